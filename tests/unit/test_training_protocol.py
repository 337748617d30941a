"""The one training loop: epoch 0, divergence, keeping the last finite weights, early stopping,
restoring the best epoch, time-budgeted chunks and Stop — the same rules for every model."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import jax
import numpy as np
import pytest

from recsys_core.data import click_dataset, holdout_split, synthetic
from recsys_core.models.tracing import compile_count
from recsys_core.training import loop
from recsys_core.training.clicks import AFTER, BEFORE, click_trainer
from recsys_core.training.loop import COMPLETED, DIVERGED, EARLY_STOPPED, STOPPED, Evaluation, Trainer
from recsys_core.training.mf import MFConfig, mf_trainer
from recsys_core.training.neural import NeuralConfig, neural_trainer


@dataclass
class Scripted:
    """A fake model whose parameters are the epoch number and whose losses follow a script.

    ``script[e]`` is (train_loss, val_loss) after epoch e (script[0]: untrained).
    """

    script: list[tuple[float, float]]
    learning_rate: float = 0.1
    loss_name = "loss"
    metric_name = "metric"
    metric_higher_is_better = False
    metric_as_percent = False

    def init(self):
        return 0, None

    def epoch(self, params, opt_state, epoch):
        return params + 1, opt_state

    def evaluate(self, params):
        train, val = self.script[params]
        return Evaluation(train, val, math.sqrt(train) if train >= 0 else math.nan, math.sqrt(val))

    def with_learning_rate(self, learning_rate):
        return replace(self, learning_rate=learning_rate)


def scripted(train, val, **kwargs) -> Trainer:
    return Trainer(Scripted(list(zip(train, val, strict=True))), len(train) - 1, **kwargs)


def test_every_run_starts_with_epoch_zero_the_untrained_model():
    run = scripted([2.0, 1.5, 1.2], [2.1, 1.6, 1.4]).start()
    assert [r.epoch for r in run.history] == [0] and run.epochs_done == 0 and not run.finished
    assert run.history[0].train_loss == 2.0 and run.initial_params == 0


def test_a_nan_loss_is_divergence_and_the_run_keeps_the_last_finite_parameters():
    run = scripted([2.0, 1.5, math.nan, 1.0], [2.0, 1.6, math.nan, 1.0]).fit()
    assert run.stop_reason == DIVERGED and run.diverged and not run.trained
    assert run.epochs_done == 2 and math.isnan(run.last.train_loss)  # the chart shows the blow-up
    assert run.params == 1 and run.params_epoch == 1
    assert "diverged at epoch 2" in run.message and "keeps the weights of epoch 1" in run.message


def test_divergence_is_more_than_ten_times_the_untrained_loss_and_nine_times_is_not():
    assert scripted([1.0, 9.0, 9.5], [1.0, 9.0, 9.5]).fit().stop_reason == COMPLETED
    run = scripted([1.0, 2.0, 10.5], [1.0, 2.0, 10.5]).fit()
    assert run.stop_reason == DIVERGED and "more than 10x" in run.message


def test_a_strong_l2_penalty_is_not_divergence_because_only_the_data_loss_is_judged():
    # The overfitting lesson's solution with L2 at its top value: the penalty term dwarfs the data
    # loss, which once made the loop call this run diverged. The data loss itself stays sane.
    data = click_dataset(seed=0)
    run = click_trainer(data, replace(AFTER, l2=0.1, epochs=4, patience=None)).fit()
    assert run.stop_reason == COMPLETED
    assert all(r.train_loss < 10 * run.history[0].train_loss for r in run.history)


def test_a_diverged_run_names_an_offered_learning_rate_that_a_probe_found_to_train():
    train, val = holdout_split(synthetic(n_users=200, n_items=100, n_ratings=3000, seed=1))
    rates = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
    run = mf_trainer(train, val, MFConfig(k=4, learning_rate=5.0, epochs=6), rates).fit()
    assert run.diverged and run.suggested_learning_rate in rates and run.suggested_learning_rate < 5.0
    assert f"learning rate {run.suggested_learning_rate:g}" in run.message
    retry = mf_trainer(train, val, MFConfig(k=4, learning_rate=run.suggested_learning_rate, epochs=6)).fit()
    assert retry.stop_reason == COMPLETED and retry.last.train_loss < retry.history[0].train_loss


def test_the_probe_reuses_the_compiled_epoch():
    train, val = holdout_split(synthetic(n_users=50, n_items=40, n_ratings=600, seed=2))
    config = MFConfig(k=3, batch_size=40, learning_rate=50.0, epochs=3)  # a shape no other test uses
    mf_trainer(train, val, replace(config, learning_rate=0.01)).fit()
    before = compile_count("mf_epoch")
    mf_trainer(train, val, config, (0.001, 0.01, 0.1, 1.0)).fit()
    assert compile_count("mf_epoch") == before


def test_early_stopping_fires_after_patience_and_restores_the_best_epoch():
    run = scripted([1.0, 0.8, 0.6, 0.5, 0.4, 0.3], [1.0, 0.9, 0.8, 0.85, 0.9, 0.95], patience=2).fit()
    assert run.stop_reason == EARLY_STOPPED and run.epochs_done == 4
    assert run.params == 2 and run.params_epoch == 2 == run.best_epoch
    assert "restored epoch 2" in run.message


def test_with_patience_set_a_run_that_uses_its_whole_budget_still_ends_on_its_best_epoch():
    run = scripted([1.0, 0.8, 0.6, 0.5], [1.0, 0.7, 0.8, 0.75], patience=5).fit()
    assert run.stop_reason == COMPLETED and run.params == 1 and run.params_epoch == 1
    assert "restored epoch 1" in run.message


def test_without_patience_the_best_epoch_is_tracked_but_the_run_keeps_its_last_weights():
    run = scripted([1.0, 0.8, 0.6, 0.5], [1.0, 0.7, 0.8, 0.9]).fit()
    assert run.stop_reason == COMPLETED and run.best_epoch == 1 and run.params == 3 and run.params_epoch == 3
    assert "lowest at epoch 1" in run.message


def _same(a, b) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True))


def _overfitting_trainers(patience: int) -> dict[str, Trainer]:
    """Each of the three models with settings that memorise their training data quickly."""
    train, val = holdout_split(synthetic(n_users=60, n_items=40, n_ratings=900, seed=4))
    clicks = click_dataset(seed=7, n_train=160, n_val=96)
    return {
        "mf": mf_trainer(train, val, MFConfig(k=16, learning_rate=0.05, l2=0.0, epochs=80, batch_size=16,
                                              init_scale=0.5, patience=patience)),
        "neural": neural_trainer(train, val, NeuralConfig(embedding_dim=8, hidden=16, learning_rate=0.03, l2=0.0,
                                                          epochs=50, batch_size=32, patience=patience)),
        "click": click_trainer(clicks, replace(BEFORE, widths=(32, 32), batch_size=16, epochs=80, patience=patience)),
    }


@pytest.mark.parametrize("model", ["mf", "neural", "click"])
def test_early_stopping_and_restore_best_behave_the_same_for_every_model(model):
    run = _overfitting_trainers(patience=3)[model].fit()
    assert run.stop_reason == EARLY_STOPPED, run.message
    assert run.epochs_done == run.best_epoch + 3
    best = min(run.history[1:], key=lambda r: r.val_loss)
    assert best.epoch == run.best_epoch == run.params_epoch
    assert _same(run.params, run.best_params)
    assert f"restored epoch {run.best_epoch}" in run.message


def test_advance_stops_after_its_time_budget_but_always_trains_at_least_one_epoch(monkeypatch):
    clock = iter(np.arange(0.0, 100.0, 0.3))  # every call to the clock moves it 0.3 s on
    monkeypatch.setattr(loop.time, "perf_counter", lambda: float(next(clock)))
    trainer = scripted([1.0] + [0.5] * 20, [1.0] + [0.5] * 20)
    run = trainer.advance(trainer.start(), max_seconds=1.0)
    assert 1 <= run.epochs_done < 20
    assert trainer.advance(run, max_seconds=0.0).epochs_done == run.epochs_done + 1


def test_stop_keeps_what_was_learned_and_says_how_far_it_got():
    trainer = scripted([1.0, 0.9, 0.8, 0.7], [1.0, 0.9, 0.8, 0.7])
    run = trainer.advance(trainer.start(), max_epochs=2)
    stopped = loop.stop(run)
    assert stopped.params == 2 and stopped.stop_reason == STOPPED
    assert stopped.message == "Stopped by you after 2 epoch(s)."
    assert loop.stop(stopped) is stopped
