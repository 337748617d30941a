"""At the lesson defaults every control changes what the learner sees: each claim measured on 3 data seeds.

`recsys_core.lessons.defaults` chose lessons 1-3's data and settings from sweeps (SWEEPS.md). These
tests train at those defaults, and at each control's alternative, on data seeds 0, 1 and 2 with the
app's split and check the effect. Margins are at most about half the smallest effect measured over
the seeds (noted beside each), so they hold on any CPU; nothing here asserts a figure one machine
produced. Every fit is cached per (seed, config), so a run shared by two claims trains once, and
the few shapes (rank, batch size, optimizer, scorer, embedding size) compile once each.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pytest

from recsys_core.data import holdout_split, synthetic
from recsys_core.evaluation import engagement as eg
from recsys_core.evaluation.ranking import seen_mask, top_k_batch
from recsys_core.lessons import defaults
from recsys_core.lessons.collaborative_filtering import genre_agreement, run_preprocessing
from recsys_core.lessons.engagement import HIGHER, TIE, compare
from recsys_core.models.neural import all_scores
from recsys_core.training.loop import DIVERGENCE_FACTOR
from recsys_core.training.mf import fit_mf
from recsys_core.training.neural import fit_neural, neural_trainer

SEEDS = (0, 1, 2)
MF1 = defaults.MF_BASICS
MF2 = defaults.COLLABORATIVE_FILTERING
NEURAL = defaults.ENGAGEMENT
NEURAL_CHECKPOINTS = (0, 1, NEURAL.epochs // 2, NEURAL.epochs)  # the default run's epochs the claims read
SIMULATION = eg.SimulationConfig(k=5, n_sessions=1000, seed=0)  # what the page runs by default

seeds = pytest.mark.parametrize("seed", SEEDS)


@functools.cache
def data(seed: int):
    """(all ratings, train, validation) as the app makes them from the sidebar's defaults."""
    ratings = synthetic(n_users=1000, n_items=500, n_ratings=defaults.DEFAULT_RATINGS, seed=seed)
    train, val = holdout_split(ratings, 0.2, seed=0)
    return ratings, train, val


@functools.cache
def mf_run(seed: int, config):
    _, train, val = data(seed)
    return fit_mf(train, val, config)


def rmse(seed: int, config) -> float:
    run = mf_run(seed, config)
    assert not run.diverged, run.message
    return run.last.val_metric


def rmse_after(seed: int, config, epochs: int) -> float:
    """Validation RMSE of a run of ``epochs`` epochs: the prefix of the longer run (constant learning
    rate and batch order fixed by (seed, epoch), so the first epochs of a longer run are that run)."""
    assert config.lr_decay == 1.0
    return mf_run(seed, config).history[epochs].val_metric


@functools.cache
def neural_checkpoints(seed: int, config, epochs: tuple[int, ...]):
    """{epoch: (validation accuracy, the page's simulated CTR table)} at each epoch in ``epochs``."""
    ratings, train, val = data(seed)
    trainer = neural_trainer(train, val, replace(config, epochs=max(epochs)))
    run = trainer.start()
    out = {}
    for epoch in epochs:
        if epoch:
            run = trainer.advance(run, max_epochs=epoch - run.epochs_done)
        assert not run.diverged, run.message
        scores = eg.policy_scores(train, all_scores(run.params), SIMULATION.seed, include_highest_rated=True)
        out[epoch] = (run.last.val_metric, eg.simulate(ratings, scores, SIMULATION), run.params)
    return out


def neural_at(seed: int, config=NEURAL, epochs: int | None = None):
    """(validation accuracy, CTR table) after ``epochs`` (default: the config's own)."""
    epochs = config.epochs if epochs is None else epochs
    grid = NEURAL_CHECKPOINTS if config == NEURAL else (epochs,)
    accuracy, table, _ = neural_checkpoints(seed, config, grid)[epochs]
    return accuracy, table


def ctr(table, policy: str = eg.MODEL) -> float:
    return float(table.set_index("policy").loc[policy, "ctr"])


# --- lesson 1: matrix factorization basics --------------------------------------------------------


@seeds
def test_lesson_1_default_rank_is_clearly_better_than_rank_1(seed):
    # measured +0.077..+0.086 over seeds 0-2; asserted 0.035 (the issue asks for 0.01)
    assert rmse(seed, replace(MF1, k=1)) - rmse(seed, MF1) > 0.035


@seeds
def test_lesson_1_too_little_and_too_much_l2_are_both_visibly_worse(seed):
    # L2 0: +0.059..+0.070, asserted 0.025; L2 1.0: +0.113..+0.123, asserted 0.05
    assert rmse(seed, replace(MF1, l2=0.0)) - rmse(seed, MF1) > 0.025
    assert rmse(seed, replace(MF1, l2=1.0)) - rmse(seed, MF1) > 0.05


@seeds
def test_lesson_1_a_4x_smaller_learning_rate_is_still_learning_and_visibly_behind(seed):
    slow = replace(MF1, learning_rate=MF1.learning_rate / 4)
    # measured +0.081..+0.086; asserted 0.04
    assert rmse(seed, slow) - rmse(seed, MF1) > 0.04
    losses = [r.train_loss for r in mf_run(seed, slow).history]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), "its loss falls every epoch"
    # still falling at the end: 1.9-2.5% over the last 3 epochs; asserted 0.8% (issue 11's
    # "converged" needs less than 0.5%)
    assert (losses[-4] - losses[-1]) / losses[-4] > 0.008


@seeds
def test_lesson_1_a_larger_learning_rate_diverges_in_the_first_epoch(seed):
    run = mf_run(seed, replace(MF1, learning_rate=defaults.MF_BASICS_DIVERGING_LEARNING_RATE))
    assert run.diverged and run.epochs_done <= 2  # measured: NaN in epoch 1 on every seed


@seeds
def test_lesson_1_half_the_epochs_is_visibly_worse(seed):
    # measured +0.044..+0.051; asserted 0.02
    assert rmse_after(seed, MF1, MF1.epochs // 2) - rmse(seed, MF1) > 0.02


@seeds
def test_lesson_1_batch_size_barely_matters_with_a_per_rating_learning_rate(seed):
    # 32 vs 1024 measured 0.0008..0.0016 apart: small by design; asserted below the 0.01 a learner sees
    assert abs(rmse(seed, replace(MF1, batch_size=32)) - rmse(seed, replace(MF1, batch_size=1024))) < 0.01


@seeds
def test_lesson_1_adam_at_the_default_learning_rate_lands_about_where_sgd_does(seed):
    # measured -0.001..+0.004 against SGD; asserted within 0.01
    assert abs(rmse(seed, replace(MF1, optimizer="adam")) - rmse(seed, MF1)) < 0.01


@seeds
def test_lesson_1_the_watch_the_blow_up_rate_grows_the_loss_for_3_epochs_before_it_diverges(seed):
    run = mf_run(seed, defaults.MF_BASICS_WATCH_BLOW_UP)
    assert run.diverged
    losses = [r.train_loss for r in run.history]
    before = losses[:-1]  # epoch 0 up to the last epoch before the blow-up (all below 10x untrained)
    # measured: the loss rises at each of epochs 1-4 (3.0x-9.5x untrained) and passes
    # DIVERGENCE_FACTOR x untrained at epoch 5 on every seed; asserted: it rises over at least 3 epochs
    assert len(before) >= 4 and all(b > a for a, b in zip(before, before[1:], strict=False))
    assert losses[-1] > DIVERGENCE_FACTOR * losses[0] or not math.isfinite(losses[-1])


# --- lesson 2: collaborative filtering ------------------------------------------------------------


@seeds
def test_lesson_2_rank_l2_learning_rate_and_epochs_each_move_the_error_visibly(seed):
    base = rmse(seed, MF2)
    assert rmse(seed, replace(MF2, k=1)) - base > 0.035  # measured +0.077..+0.084
    assert rmse(seed, replace(MF2, l2=0.0)) - base > 0.07  # measured +0.141..+0.160
    assert rmse(seed, replace(MF2, l2=1.0)) - base > 0.055  # measured +0.118..+0.121
    assert rmse(seed, replace(MF2, learning_rate=MF2.learning_rate / 4)) - base > 0.035  # +0.076..+0.082
    assert rmse_after(seed, MF2, MF2.epochs // 2) - base > 0.015  # measured +0.033..+0.040
    assert mf_run(seed, replace(MF2, learning_rate=defaults.MF_BASICS_DIVERGING_LEARNING_RATE)).diverged


@seeds
def test_lesson_2_keeping_the_mask_beats_filling_with_the_mean_or_with_zeros(seed):
    _, train, val = data(seed)
    mask = run_preprocessing(train, val, "mask", MF2).val_rmse
    assert run_preprocessing(train, val, "mean", MF2).val_rmse - mask > 0.08  # measured 0.175..0.180
    assert run_preprocessing(train, val, "zero", MF2).val_rmse - mask > 0.5  # measured 1.53..1.62


@seeds
def test_lesson_2_item_neighbours_share_a_genre_far_more_often_than_chance(seed):
    _, train, _ = data(seed)
    found = genre_agreement(train, np.asarray(mf_run(seed, MF2).params.item_factors))
    # measured 4.45x..4.64x (94-96% vs 21%); asserted 2x, above the page's 1.5x threshold
    assert found["neighbour_share"] > 2.0 * found["random_share"]


# --- lesson 3: engagement --------------------------------------------------------------------------


@seeds
def test_lesson_3_model_beats_most_popular_and_random_by_more_than_noise(seed):
    _, table = neural_at(seed)
    for baseline in (eg.POPULAR, eg.RANDOM):
        assert compare(table, eg.MODEL, baseline) == HIGHER  # 95% intervals apart
        # measured +24.2..+24.8 (popular) and +25.2..+28.2 (random) points; asserted 10
        assert ctr(table) - ctr(table, baseline) > 0.10


@seeds
def test_lesson_3_model_also_beats_the_highest_rated_list(seed):
    _, table = neural_at(seed)
    assert compare(table, eg.MODEL, eg.HIGHEST_RATED) == HIGHER
    assert ctr(table) - ctr(table, eg.HIGHEST_RATED) > 0.05  # measured +11.8..+13.9 points; asserted 5


@seeds
def test_lesson_3_a_tiny_embedding_gets_fewer_clicks(seed):
    # embedding 4: measured -2.7..-5.5 CTR points; asserted 1.3 (8, 16 and 64: -1.4..+0.7, not asserted)
    assert ctr(neural_at(seed)[1]) - ctr(neural_at(seed, replace(NEURAL, embedding_dim=4))[1]) > 0.013


@seeds
def test_lesson_3_too_little_and_too_much_l2_both_cost_clicks(seed):
    base = ctr(neural_at(seed)[1])
    assert base - ctr(neural_at(seed, replace(NEURAL, l2=0.0))[1]) > 0.05  # measured -11.0..-13.8; asserted 5
    assert base - ctr(neural_at(seed, replace(NEURAL, l2=50.0))[1]) > 0.05  # measured -11.8..-15.5; asserted 5


@seeds
def test_lesson_3_a_5x_smaller_learning_rate_costs_clicks_and_accuracy(seed):
    accuracy, table = neural_at(seed)
    slow_accuracy, slow = neural_at(seed, replace(NEURAL, learning_rate=NEURAL.learning_rate / 5))
    assert ctr(table) - ctr(slow) > 0.035  # measured -7.2..-10.2 points; asserted 3.5
    assert accuracy - slow_accuracy > 0.015  # measured -3.1..-4.3 points; asserted 1.5


@seeds
def test_lesson_3_a_5x_larger_learning_rate_costs_a_few_clicks_and_10x_many(seed):
    accuracy, table = neural_at(seed)
    fast = neural_at(seed, replace(NEURAL, learning_rate=NEURAL.learning_rate * 5))[1]
    # x5 (0.025): measured -2.2..-5.7 points, the weaker side of the learning rate; asserted 1
    assert ctr(table) - ctr(fast) > 0.01
    faster_accuracy, faster = neural_at(seed, replace(NEURAL, learning_rate=NEURAL.learning_rate * 10))
    assert ctr(table) - ctr(faster) > 0.04  # x10 (0.05, a slider option): measured -8.4..-13.9; asserted 4
    assert accuracy - faster_accuracy > 0.01  # measured -2.3..-3.3 points; asserted 1


@seeds
def test_lesson_3_learning_rate_0_1_diverges_within_the_default_epochs(seed):
    _, train, val = data(seed)
    run = fit_neural(train, val, replace(NEURAL, learning_rate=0.1))
    # measured: the first slider option that diverges, at epoch 6-7 on every seed (0.07 trains)
    assert run.diverged and run.epochs_done < NEURAL.epochs


@seeds
def test_lesson_3_one_epoch_is_visibly_worse_and_half_the_epochs_about_the_same(seed):
    accuracy, table = neural_at(seed)
    early_accuracy, early = neural_at(seed, epochs=1)
    assert ctr(table) - ctr(early) > 0.05  # measured -13.0..-15.3 points; asserted 5
    assert accuracy - early_accuracy > 0.018  # measured -4.3..-5.0 points; asserted 1.8
    # the run has levelled off by epoch 5: measured -0.7..+0.1 points; asserted within the 2 a learner sees
    assert abs(ctr(table) - ctr(neural_at(seed, epochs=NEURAL.epochs // 2)[1])) < 0.02


@seeds
def test_lesson_3_the_mlp_scorer_at_the_same_settings_gets_fewer_clicks(seed):
    # measured -5.8..-15.5 points; asserted 2.5
    assert ctr(neural_at(seed)[1]) - ctr(neural_at(seed, replace(NEURAL, scorer="mlp"))[1]) > 0.025


@seeds
def test_lesson_3_the_untrained_model_shows_everyone_their_own_random_list(seed):
    _, table = neural_at(seed, epochs=0)
    # epoch 0 measured 9.2..10.0% vs random 9.6..9.8%: a tie, within 1.5 points
    assert compare(table, eg.MODEL, eg.RANDOM) == TIE
    assert abs(ctr(table) - ctr(table, eg.RANDOM)) < 0.015
    # why: biases start at 0 and random embeddings rank differently per user (469-486 distinct items
    # in all lists for model seeds 0-4 on data seed 0); asserted 300 of 500
    ratings, _, _ = data(seed)
    params = neural_checkpoints(seed, NEURAL, NEURAL_CHECKPOINTS)[0][2]
    assert not np.asarray(params.item_bias).any()
    shown = top_k_batch(all_scores(params), seen_mask(ratings), SIMULATION.k)
    assert len(np.unique(shown[shown >= 0])) > 300


def test_defaults_are_finite_watchable_runs():
    # every lesson's default run completes without diverging in a watchable number of epochs
    for config in (MF1, MF2):
        assert 15 <= config.epochs <= 40
        assert math.isfinite(rmse(0, config))
    assert NEURAL.epochs == 10  # one chart redraw per epoch: the watch pace needs at least ten, and no more
