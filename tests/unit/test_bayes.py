"""Bayesian MF by Gibbs sampling: exact conditionals, recovery, uncertainty, determinism, compiles."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from recsys_core.data import Ratings, kfold
from recsys_core.training import bayes
from recsys_core.training import gibbs as bayes_gibbs
from recsys_core.training.bayes import BayesConfig, BayesSampler, fit_bayes, fit_bayes_folds, predict

WIDE = (-10.0, 10.0)  # a rating scale wide enough that clipping never hides an error


def _ratings(users, items, values, n_users, n_items) -> Ratings:
    return Ratings(
        users=np.asarray(users, np.int32), items=np.asarray(items, np.int32),
        ratings=np.asarray(values, np.float32), n_users=n_users, n_items=n_items,
        user_ids=np.arange(n_users), item_ids=np.arange(n_items), rating_scale=WIDE,
    )


def planted(n_users=60, n_items=40, rank=3, density=0.6, noise=0.1, seed=0) -> tuple[Ratings, Ratings]:
    """Rank-`rank` ratings with biases plus N(0, noise) noise, split 80/20 at random."""
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.7, (n_users, rank))
    q = rng.normal(0, 0.7, (n_items, rank))
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    values = (3.0 + rng.normal(0, 0.3, n_users)[users] + rng.normal(0, 0.3, n_items)[items]
              + np.sum(p[users] * q[items], axis=1) + rng.normal(0, noise, len(users)))
    data = _ratings(users, items, values, n_users, n_items)
    order = rng.permutation(len(data))
    cut = int(0.8 * len(data))
    return data.subset(order[:cut]), data.subset(order[cut:])


TRAIN, VAL = planted()
CONFIG = BayesConfig(rank=3, burn_in=30, n_samples=60, sweeps_per_call=10)


def test_sampler_recovers_planted_low_rank_data_near_the_noise_floor():
    result = fit_bayes(TRAIN, CONFIG, val=VAL)
    mean, _ = predict(result, VAL.users, VAL.items)
    val_rmse = float(np.sqrt(np.mean((mean - VAL.ratings) ** 2)))
    assert val_rmse < 0.15  # noise floor 0.10; predicting the mean alone scores about 1.2
    assert result.scores.val_rmse == pytest.approx(val_rmse, rel=1e-4)
    assert 0.08 < result.noise_std < 0.13


def test_user_conditional_mean_and_covariance_equal_a_numpy_computation():
    rng = np.random.default_rng(1)
    train = _ratings([0, 0, 1, 1, 1, 3, 3, 4], [0, 2, 0, 1, 3, 2, 3, 1], rng.uniform(1, 5, 8), 5, 4)
    item_rows = rng.normal(size=(4, 3))  # [q_i (rank 2), c_i]
    tau, prior_mean = 2.5, rng.normal(size=3)
    root = rng.normal(size=(3, 3))
    prior_precision = root @ root.T + np.eye(3)
    mean, cov = bayes_gibbs.user_conditionals(train, item_rows, tau, prior_mean, prior_precision)

    mu = train.ratings.mean()
    for u in range(5):
        mine = train.users == u
        design = np.column_stack([item_rows[train.items[mine], :2], np.ones(mine.sum())])
        residual = train.ratings[mine] - mu - item_rows[train.items[mine], 2]
        precision = prior_precision + tau * design.T @ design
        expected_cov = np.linalg.inv(precision)
        expected_mean = expected_cov @ (prior_precision @ prior_mean + tau * design.T @ residual)
        assert_allclose(cov[u], expected_cov, rtol=1e-4, atol=1e-6)
        assert_allclose(mean[u], expected_mean, rtol=1e-4, atol=1e-5)
    assert_allclose(mean[2], prior_mean, rtol=1e-5)  # no ratings: the prior itself


def test_a_row_draw_is_the_mean_plus_the_inverse_cholesky_transpose_of_its_noise():
    rng = np.random.default_rng(2)
    root = rng.normal(size=(4, 3, 3))
    precision = root @ np.swapaxes(root, 1, 2) + np.eye(3)
    shift, noise = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    draws = np.asarray(jax.jit(bayes_gibbs._draw_rows)(precision, shift, noise))
    for r in range(4):
        chol = np.linalg.cholesky(precision[r])
        expected = np.linalg.solve(precision[r], shift[r]) + np.linalg.solve(chol.T, noise[r])
        assert_allclose(draws[r], expected, rtol=1e-4, atol=1e-5)  # and L^-T z has covariance P^-1


def test_normal_wishart_draws_have_the_conditional_mean_and_spread():
    rng = np.random.default_rng(3)
    n, dim, draws = 30, 3, 4000
    rows = rng.normal(0.5, 1.5, size=(1, n, dim))
    hyper = BayesConfig(rank=dim - 1, prior_strength=2.0, wishart_scale=0.5).hyper((1, 5))
    dof_n = float(dim) + n  # BPMF's nu0 = K, the default
    noise = bayes_gibbs._SideNoise(
        rows=jnp.zeros((draws, 1, n, dim)),
        bartlett=rng.normal(size=(draws, 1, dim, dim)), mean=rng.normal(size=(draws, 1, dim)),
        chi2=rng.chisquare(dof_n - np.arange(dim), size=(draws, 1, dim)),
    )
    means, precisions = jax.jit(jax.vmap(lambda z: bayes_gibbs._draw_normal_wishart(rows, z, hyper)))(noise)

    x = rows[0]
    xbar, centred = x.mean(0), x - x.mean(0)
    beta_n = 2.0 + n
    w_inv = np.eye(dim) / 0.5 + centred.T @ centred + (2.0 * n / beta_n) * np.outer(xbar, xbar)
    w = np.linalg.inv(w_inv)
    assert_allclose(np.mean(precisions[:, 0], axis=0), dof_n * w, rtol=0.05, atol=0.05 * np.abs(dof_n * w).max())
    assert_allclose(np.mean(means[:, 0], axis=0), n * xbar / beta_n, atol=0.02)
    expected_mean_cov = w_inv / (beta_n * (dof_n - dim - 1))  # E[(beta_n Lambda)^-1]
    assert_allclose(np.cov(np.asarray(means[:, 0]).T), expected_mean_cov, rtol=0.1, atol=0.1 * expected_mean_cov.max())


def test_host_noise_gives_chi_squares_and_gammas_of_the_conditional_degrees_of_freedom():
    noise = bayes_gibbs.draw_noise(0, np.array([0, 1]), 0, 400, 30, 20, 3, 4.0, 1.0, np.array([100.0, 50.0]))
    assert noise.user_rows.shape == (400, 2, 30, 3) and noise.item_rows.shape == (400, 2, 20, 3)
    assert_allclose(noise.user_chi2.mean(axis=(0, 1)), 4.0 + 30 - np.arange(3), rtol=0.05)  # chi2(nu) has mean nu
    assert_allclose(noise.item_chi2.mean(axis=(0, 1)), 4.0 + 20 - np.arange(3), rtol=0.05)
    assert_allclose(noise.tau_gamma.mean(axis=0), [1.0 + 50.0, 1.0 + 25.0], rtol=0.03)
    assert abs(float(noise.user_rows.mean())) < 0.02 and abs(float(noise.user_rows.std()) - 1.0) < 0.02


def test_a_sweeps_noise_depends_only_on_seed_sweep_and_fold_stream():
    args = (30, 20, 3, 4.0, 1.0, np.array([100.0, 100.0]))
    run = bayes_gibbs.draw_noise(0, np.array([0, 1]), 0, 6, *args)
    later = bayes_gibbs.draw_noise(0, np.array([1]), 4, 2, *args)
    np.testing.assert_array_equal(later.item_rows[:, 0], run.item_rows[4:, 1])
    assert not np.array_equal(bayes_gibbs.draw_noise(1, np.array([0]), 0, 1, *args).user_rows[0, 0], run.user_rows[0, 0])


@pytest.fixture(scope="module")
def uneven_fit():
    """Half the users rate 18 items, half 3; a third of the items draw most of the ratings."""
    rng = np.random.default_rng(5)
    n_users, n_items = 40, 30
    weights = np.where(np.arange(n_items) < 10, 6.0, 1.0)
    users, items = [], []
    for u in range(n_users):
        chosen = rng.choice(n_items, size=18 if u < 20 else 3, replace=False, p=weights / weights.sum())
        users += [u] * len(chosen)
        items += list(chosen)
    users, items = np.array(users), np.array(items)
    p, q = rng.normal(0, 0.6, (n_users, 2)), rng.normal(0, 0.6, (n_items, 2))
    values = 3.0 + np.sum(p[users] * q[items], axis=1) + rng.normal(0, 0.3, len(users))
    train = _ratings(users, items, values, n_users, n_items)
    result = fit_bayes(train, replace(CONFIG, rank=2))
    all_users, all_items = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    _, std = predict(result, all_users.ravel(), all_items.ravel())
    return train, std.reshape(n_users, n_items)


def test_uncertainty_is_smaller_for_users_with_more_ratings(uneven_fit):
    _, std = uneven_fit
    assert std[:20].mean() < 0.8 * std[20:].mean()


def test_uncertainty_is_smaller_for_items_with_more_ratings(uneven_fit):
    train, std = uneven_fit
    counts = np.bincount(train.items, minlength=train.n_items)
    many, few = counts >= np.quantile(counts, 0.75), counts <= np.quantile(counts, 0.25)
    assert std[:, many].mean() < 0.8 * std[:, few].mean()


def test_the_same_seed_gives_the_same_predictions_and_another_seed_others():
    first = predict(fit_bayes(TRAIN, CONFIG), VAL.users, VAL.items)
    again = predict(fit_bayes(TRAIN, CONFIG), VAL.users, VAL.items)
    other = predict(fit_bayes(TRAIN, replace(CONFIG, seed=1)), VAL.users, VAL.items)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert np.abs(first[0] - other[0]).max() > 1e-4


def test_changing_traced_hyperparameters_does_not_recompile():
    fit_bayes(TRAIN, CONFIG)
    before = bayes.compile_count()
    for changed in (dict(prior_strength=5.0), dict(wishart_scale=0.3, wishart_dof=6.0), dict(noise_shape=2.0, noise_rate=0.5),
                    dict(burn_in=10), dict(seed=7), dict(init_scale=0.3)):
        fit_bayes(TRAIN, replace(CONFIG, **changed))
    assert bayes.compile_count() == before


def test_a_chain_run_in_chunks_equals_one_run_at_once():
    config = replace(CONFIG, burn_in=10, n_samples=20)
    chunked = predict(fit_bayes(TRAIN, replace(config, sweeps_per_call=10)), VAL.users, VAL.items)
    at_once = predict(fit_bayes(TRAIN, replace(config, sweeps_per_call=30)), VAL.users, VAL.items)
    assert_allclose(chunked[0], at_once[0], rtol=1e-4, atol=1e-4)
    assert_allclose(chunked[1], at_once[1], rtol=1e-3, atol=1e-4)


def test_stacked_folds_score_as_each_fold_run_alone():
    data = Ratings(**{**TRAIN.__dict__, "users": np.concatenate([TRAIN.users, VAL.users]),
                      "items": np.concatenate([TRAIN.items, VAL.items]),
                      "ratings": np.concatenate([TRAIN.ratings, VAL.ratings]), "timestamps": None})
    folds = kfold(data, 2, seed=0)
    config = replace(CONFIG, burn_in=10, n_samples=20)
    stacked = fit_bayes_folds(folds, config)
    train, test = folds[1]
    layout = bayes_gibbs.build_layout([train], [[test]], fold_keys=[1])
    chain = bayes_gibbs.init_chain(layout, data.n_users, data.n_items, 3, config.init_scale, config.seed, 0)
    noise = config.noise(layout, data.n_users, data.n_items, 0, 30)
    chain, _ = bayes_gibbs.gibbs_sweeps(chain, layout, config.hyper(WIDE), noise)
    alone = train.global_mean + np.asarray(chain.pred_sum)[: len(test)] / float(chain.kept)
    assert stacked.rmse[1] == pytest.approx(float(np.sqrt(np.mean((alone - test.ratings) ** 2))), rel=1e-4)


def test_during_burn_in_the_sampler_scores_the_current_sample_and_keeps_none():
    sampler = BayesSampler(TRAIN, VAL, CONFIG)
    state = sampler.run(sampler.init())
    scores = sampler.evaluate(state)
    assert (scores.sweeps, scores.samples) == (10, 0)
    assert scores.val_rmse == pytest.approx(np.sqrt(state.trace[-1, 1, 1] / len(VAL)), rel=1e-4)
    with pytest.raises(ValueError, match="burn-in"):
        sampler.result(state)


def test_rmse_curve_has_one_point_per_sweep_and_averaging_beats_single_samples():
    curve = bayes.rmse_by_samples(TRAIN, VAL, CONFIG)
    assert len(curve.sweeps) == CONFIG.total_sweeps and curve.samples[-1] == CONFIG.n_samples
    assert curve.mean_rmse[-1] < np.median(curve.sample_rmse[CONFIG.burn_in:])


def test_running_a_finished_chain_returns_it_unchanged():
    sampler = BayesSampler(TRAIN, VAL, replace(CONFIG, burn_in=0))
    state = sampler.init()
    while not sampler.finished(state):
        state = sampler.run(state)
    assert sampler.run(state) is state and state.sweeps_done == CONFIG.n_samples


# --- the sampler in the one training loop ---------------------------------------------------------

LOOP_CONFIG = replace(CONFIG, burn_in=10, n_samples=30, sweeps_per_call=5)


def test_through_the_loop_epoch_0_is_the_untrained_guess_of_the_training_mean():
    _, trainer = bayes.bayes_trainer(TRAIN, VAL, LOOP_CONFIG)
    run = trainer.start()
    first = run.history[0]
    expected = float(np.mean((VAL.ratings - TRAIN.global_mean) ** 2))
    assert first.epoch == 0
    assert first.val_loss == pytest.approx(expected, rel=1e-5)
    assert first.val_metric == pytest.approx(np.sqrt(expected), rel=1e-5)


def test_through_the_loop_the_posterior_mean_s_rmse_falls_and_one_epoch_is_one_chunk():
    program, trainer = bayes.bayes_trainer(TRAIN, VAL, LOOP_CONFIG)
    run = trainer.fit()
    val_rmse = [r.val_metric for r in run.history]
    assert [r.epoch for r in run.history] == list(range(LOOP_CONFIG.total_sweeps // 5 + 1))
    assert run.stop_reason == "completed" and not run.diverged
    assert val_rmse[-1] < 0.5 * val_rmse[0]  # planted data: from about 1.2 (the mean) to near the noise floor
    assert val_rmse[-1] < val_rmse[LOOP_CONFIG.burn_in // 5]  # averaging the kept samples improves on the last burn-in one
    assert run.history[-1].train_metric < run.history[0].train_metric
    assert program.curve(run).mean_rmse[-1] == pytest.approx(val_rmse[-1], rel=1e-5)


def test_the_loop_s_chain_is_the_one_fit_bayes_draws():
    program, trainer = bayes.bayes_trainer(TRAIN, VAL, LOOP_CONFIG)
    through_loop = predict(program.result(trainer.fit()), VAL.users, VAL.items)
    direct = predict(fit_bayes(TRAIN, LOOP_CONFIG, val=VAL), VAL.users, VAL.items)
    np.testing.assert_array_equal(through_loop[0], direct[0])
    np.testing.assert_array_equal(through_loop[1], direct[1])


def test_the_loop_gives_the_same_history_for_the_same_seed_and_another_for_another():
    def history(seed):
        return [(r.train_loss, r.val_loss) for r in bayes.bayes_trainer(TRAIN, VAL, replace(LOOP_CONFIG, seed=seed))[1].fit().history]

    assert history(0) == history(0)
    assert history(0)[1:] != history(1)[1:]


def test_a_run_through_the_loop_compiles_the_sweep_once_for_all_its_chunks():
    train, val = planted(n_users=37, n_items=23, seed=4)  # shapes no other test uses
    before = bayes.compile_count()
    _, trainer = bayes.bayes_trainer(train, val, LOOP_CONFIG)
    assert len(trainer.fit().history) == 9  # epoch 0 and 8 chunks
    assert bayes.compile_count() == before + 1
    bayes.bayes_trainer(train, val, replace(LOOP_CONFIG, seed=3, burn_in=5))[1].fit()
    assert bayes.compile_count() == before + 1


def test_without_validation_data_the_loop_reports_the_training_numbers_twice():
    program, trainer = bayes.bayes_trainer(TRAIN, None, LOOP_CONFIG)
    run = trainer.fit()
    assert all(r.val_loss == r.train_loss and r.val_metric == r.train_metric for r in run.history)
    assert program.curve(run).mean_rmse[-1] == pytest.approx(run.history[-1].train_metric, rel=1e-5)


def test_the_posterior_scorer_ranks_by_the_same_means_predict_gives():
    result = fit_bayes(TRAIN, LOOP_CONFIG)
    users = np.array([0, 5, 17])
    scores = bayes.posterior_scorer(result)(users)
    assert scores.shape == (3, TRAIN.n_items)
    grid_users, grid_items = np.repeat(users, TRAIN.n_items), np.tile(np.arange(TRAIN.n_items), 3)
    mean, _ = predict(result, grid_users, grid_items)  # WIDE scale: no clipping
    assert_allclose(scores.ravel(), mean, rtol=1e-5, atol=1e-5)
