"""The click-model lesson's library: its data, model, trainer and the experiment's claim.

The claim the lesson makes — the "Before" model overfits the way the seed describes and the
seed's fix meets the seed's targets — is measured here on five seeds, not assumed.
"""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from numpy.testing import assert_allclose

from recsys_core.data import ClickData, click_dataset
from recsys_core.lessons.overfitting import experiment_results
from recsys_core.models import click_mlp
from recsys_core.models.click_mlp import ClickModel, init_mlp, mlp_forward, mlp_trace, predict_proba
from recsys_core.models.tracing import compile_count
from recsys_core.training import clicks
from recsys_core.training.batching import epoch_order, weighted_batches
from recsys_core.training.clicks import (
    AFTER,
    BEFORE,
    BONUS_BATCHNORM,
    ClickConfig,
    ClickProgram,
    click_trainer,
    fit_click,
)
from recsys_core.training.loop import EARLY_STOPPED, EpochRecord

SEEDS = (0, 1, 2, 3, 4)


# Every mechanics test uses one tiny architecture and batch size on `tiny_data`, so they share
# one compiled epoch per norm (compiling an epoch costs seconds; running one, microseconds), and
# the eager checks share their op-by-op compiles. 48 training impressions in batches of 32 make
# two minibatches, the second half padding.
TINY = {"widths": (8, 8), "batch_size": 32}


@pytest.fixture(scope="module")
def tiny_data() -> ClickData:
    """A small dataset of its own shape, for the mechanics (fast to train, quick to memorise)."""
    return click_dataset(seed=7, n_train=48, n_val=48, n_context=6)


def _tiny_model(data: ClickData, norm: str = "none", seed: int = 1) -> ClickModel:
    return init_mlp(jax.random.key(seed), data.n_features, TINY["widths"], norm)


def _numpy_forward(model: ClickModel, x: np.ndarray, batch_stats: bool) -> np.ndarray:
    """A plain numpy MLP (no dropout) to check the JAX one against."""
    h = np.asarray(x, np.float64)
    bn = iter(model.bn_state)
    for layer in model.params[:-1]:
        h = h @ np.asarray(layer["w"]) + np.asarray(layer["b"])
        if "gamma" in layer:
            stats = next(bn)
            mean, var = (h.mean(0), h.var(0)) if batch_stats else (np.asarray(stats["mean"]), np.asarray(stats["var"]))
            h = (h - mean) / np.sqrt(var + click_mlp._BN_EPS) * np.asarray(layer["gamma"]) + np.asarray(layer["beta"])
        h = np.maximum(h, 0.0)
    return (h @ np.asarray(model.params[-1]["w"]) + np.asarray(model.params[-1]["b"]))[:, 0]


# --- the lesson's claim -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_before_overfits_and_after_meets_the_seeds_targets(seed: int) -> None:
    data = click_dataset(seed=seed)
    before = experiment_results(fit_click(data, replace(BEFORE, seed=seed)), data)
    after = experiment_results(fit_click(data, replace(AFTER, seed=seed)), data)
    print(f"seed {seed} ceiling {data.bayes_val_accuracy:.3f} before {before} after {after}")
    assert before["train_accuracy"] >= 0.88 and before["val_accuracy"] <= 0.75, before
    assert after["val_accuracy"] >= 0.80 and after["train_accuracy"] < 0.88, after
    assert after["all_targets_met"] and not before["all_targets_met"]
    assert after["val_loss"] < before["val_loss"]


def test_batchnorm_bonus_trains_and_generalises_sanely() -> None:
    data = click_dataset(seed=0)
    bonus = experiment_results(fit_click(data, BONUS_BATCHNORM), data)
    print(f"bonus (batch norm instead of dropout): {bonus}")
    assert bonus["val_accuracy"] > 0.70
    assert bonus["val_accuracy"] <= data.bayes_val_accuracy + 0.02  # nobody beats the ceiling by much


# --- the data ------------------------------------------------------------------------------------


def test_click_dataset_is_the_same_for_the_same_seed_and_differs_across_seeds() -> None:
    a, b, c = click_dataset(seed=3), click_dataset(seed=3), click_dataset(seed=4)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.y_train, c.y_train)
    assert a.X_train.dtype == np.float32 and a.y_train.dtype == np.float32
    assert len(a.feature_names) == a.n_features


def test_the_ceiling_is_what_the_true_probabilities_score_and_it_leaves_room_above_80() -> None:
    data = click_dataset(seed=0)
    assert data.bayes_val_accuracy == pytest.approx(np.mean((data.p_val > 0.5) == (data.y_val > 0.5)))
    assert data.bayes_val_accuracy > 0.82
    # Training labels follow the same probabilities (a calibration check, 3 standard errors).
    assert abs(data.y_train.mean() - data.p_train.mean()) < 3 * np.sqrt(0.25 / data.n_train)


# --- the model -----------------------------------------------------------------------------------


def test_dropout_is_the_identity_at_evaluation_and_scales_survivors_in_training(tiny_data) -> None:
    h = jnp.ones((400, 50))
    dropped = np.asarray(click_mlp.dropout(h, jnp.float32(0.3), jax.random.key(0)))
    assert_allclose(dropped[dropped != 0], 1 / 0.7, rtol=1e-6)  # survivors scaled by 1/(1-p)
    assert abs((dropped == 0).mean() - 0.3) < 0.02
    assert abs(dropped.mean() - 1.0) < 0.03  # inverted dropout keeps the expected value

    model = _tiny_model(tiny_data)
    x = jnp.asarray(tiny_data.X_train[:32])
    eval_logits, _ = mlp_forward(model.params, x, dropout_rate=0.3, key=jax.random.key(3), train=False, bn_state=[])
    assert_allclose(np.asarray(eval_logits), _numpy_forward(model, np.asarray(x), False), rtol=1e-5, atol=1e-6)
    train_logits, _ = mlp_forward(model.params, x, dropout_rate=0.3, key=jax.random.key(3), train=True, bn_state=[])
    assert not np.allclose(np.asarray(train_logits), np.asarray(eval_logits))


def test_batch_norm_uses_batch_statistics_in_training_and_running_statistics_at_evaluation(tiny_data) -> None:
    model = _tiny_model(tiny_data, "batchnorm", seed=0)
    running = [{"mean": jnp.full_like(s["mean"], 0.5), "var": jnp.full_like(s["var"], 2.0)} for s in model.bn_state]
    model = ClickModel(model.params, running)
    x = tiny_data.X_train[:32]

    train_logits, new_state = mlp_forward(model.params, x, dropout_rate=0.0, key=None, train=True, bn_state=running)
    assert_allclose(np.asarray(train_logits), _numpy_forward(model, x, batch_stats=True), rtol=1e-4, atol=1e-5)
    batch_mean = x @ np.asarray(model.params[0]["w"]) + np.asarray(model.params[0]["b"])
    assert_allclose(np.asarray(new_state[0]["mean"]), 0.99 * 0.5 + 0.01 * batch_mean.mean(0), rtol=1e-5)

    eval_logits, same_state = mlp_forward(model.params, x, dropout_rate=0.0, key=None, train=False, bn_state=running)
    assert_allclose(np.asarray(eval_logits), _numpy_forward(model, x, batch_stats=False), rtol=1e-4, atol=1e-5)
    for kept, given in zip(jax.tree.leaves(same_state), jax.tree.leaves(running), strict=True):
        np.testing.assert_array_equal(np.asarray(kept), np.asarray(given))
    # At evaluation one example's prediction does not depend on the rest of the batch.
    alone, _ = mlp_forward(model.params, x[:1], dropout_rate=0.0, key=None, train=False, bn_state=running)
    # (float32: a batch of 1 and of 32 take different matrix-product paths; 1e-4 holds on any CPU)
    assert_allclose(np.asarray(alone), np.asarray(eval_logits)[:1], rtol=1e-4, atol=1e-6)


def test_padding_rows_do_not_move_batch_statistics(tiny_data) -> None:
    model = _tiny_model(tiny_data, "batchnorm", seed=0)
    x = tiny_data.X_train[:16]
    padded = np.concatenate([x, 100 * np.ones_like(x)])
    weights = jnp.asarray([1.0] * 16 + [0.0] * 16)
    kwargs = {"dropout_rate": 0.0, "key": None, "train": True, "bn_state": model.bn_state}
    real, state_real = mlp_forward(model.params, x, **kwargs)
    both, state_both = mlp_forward(model.params, padded, weights=weights, **kwargs)
    assert_allclose(np.asarray(both)[:16], np.asarray(real), rtol=1e-4, atol=1e-5)
    assert_allclose(np.asarray(state_both[0]["var"]), np.asarray(state_real[0]["var"]), rtol=1e-5)


def test_gradients_match_finite_differences_on_a_tiny_net(tiny_data) -> None:
    model = _tiny_model(tiny_data, "batchnorm", seed=0)
    # float64, so central differences are accurate to ~1e-10 and the tolerance can be tight.
    with jax.enable_x64(True):
        model = jax.tree.map(lambda a: a.astype(jnp.float64), model)
        x = jnp.asarray(tiny_data.X_train[:6], jnp.float64)
        y = jnp.asarray([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
        w = jnp.asarray([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
        rng = np.random.default_rng(0)
        flat, unravel = ravel_pytree(model.params)
        # Start from a generic point: with all biases at their initial 0, a unit fed only by dead
        # ReLUs sits exactly on its kink, where no finite difference agrees with any gradient.
        flat = flat + jnp.asarray(rng.normal(0.0, 0.1, flat.shape))

        def loss(flat_params):
            value, _ = click_mlp.batch_loss(
                unravel(flat_params), model.bn_state, x, y, w, jax.random.key(2), jnp.float64(0.2), jnp.float64(0.01)
            )
            return value

        @jax.jit  # one compiled program for the gradient and every finite difference
        def directional(flat_params, directions, eps):
            analytic = directions @ jax.grad(loss)(flat_params)
            numeric = (jax.vmap(loss)(flat_params + eps * directions) - jax.vmap(loss)(flat_params - eps * directions))
            return analytic, numeric / (2 * eps)

        directions = rng.normal(size=(4, flat.shape[0]))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        analytic, numeric = directional(flat, jnp.asarray(directions), 1e-5)
        assert_allclose(np.asarray(analytic), np.asarray(numeric), rtol=1e-6, atol=1e-9)


def test_prediction_trace_walks_every_layer_and_ends_in_the_models_probability(tiny_data) -> None:
    run = fit_click(tiny_data, replace(AFTER, **TINY, epochs=2))
    model: ClickModel = run.params
    steps = mlp_trace(model.params, model.bn_state, tiny_data.X_val[0], dropout_rate=0.3)
    names = [step["name"] for step in steps]
    assert names == ["input features", "dense 1", "relu 1", "dropout 1", "dense 2", "relu 2", "dropout 2",
                     "logit", "sigmoid probability"]
    assert [step["shape"] for step in steps][:3] == [(tiny_data.n_features,), (8,), (8,)]
    assert "identity" in steps[3]["note"]
    assert_allclose(steps[-1]["values"], predict_proba(model, tiny_data.X_val[:1]), rtol=1e-4)

    bn_run = fit_click(tiny_data, replace(BONUS_BATCHNORM, **TINY, epochs=2))
    bn_steps = mlp_trace(bn_run.params.params, bn_run.params.bn_state, tiny_data.X_val[0])
    assert "batch norm 1" in [step["name"] for step in bn_steps]
    assert_allclose(bn_steps[-1]["values"], predict_proba(bn_run.params, tiny_data.X_val[:1]), rtol=1e-4)


# --- training ------------------------------------------------------------------------------------


def test_changing_learning_rate_l2_or_dropout_does_not_recompile(tiny_data) -> None:
    base = ClickConfig(**TINY, epochs=1, patience=None)
    fit_click(tiny_data, base)
    traces = compile_count("click_epoch")
    for changed in (
        replace(base, learning_rate=0.02),
        replace(base, l2=0.001),
        replace(base, dropout_rate=0.0),
        replace(base, seed=5, learning_rate=0.0001, l2=0.1, dropout_rate=0.6),
    ):
        fit_click(tiny_data, changed)
    assert compile_count("click_epoch") == traces


def _epoch_args(config: ClickConfig, data: ClickData, key: int):
    """What `ClickProgram.epoch` passes to the jitted epoch for epoch 1 (batches, key, epoch, hparams)."""
    model, opt_state = ClickProgram(data, config).init()
    batches = weighted_batches({"x": data.X_train, "y": data.y_train}, config.batch_size,
                               epoch_order(config.seed, 1, data.n_train))
    hparams = {name: np.float32(getattr(config, name)) for name in ("learning_rate", "l2", "dropout_rate")}
    return model, opt_state, batches, jax.random.key(key), np.int32(1), hparams


def test_a_padded_step_changes_nothing(tiny_data) -> None:
    model, opt, batches, key, epoch, hparams = _epoch_args(
        replace(BONUS_BATCHNORM, **TINY, learning_rate=0.1, dropout_rate=0.5, l2=0.1), tiny_data, 1)
    batches = {**batches, "weight": np.zeros_like(batches["weight"])}  # every step all padding
    new_model, new_opt = clicks.click_epoch(model, opt, batches, key, epoch, hparams)
    for a, b in zip(jax.tree.leaves((model, opt)), jax.tree.leaves((new_model, new_opt)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_jit_and_no_jit_epochs_agree(tiny_data) -> None:
    # Two minibatches (Adam state carried from one to the next, the second half padding) with
    # batch norm and dropout: every path of the epoch, on shapes small enough to run op by op.
    args = _epoch_args(replace(BONUS_BATCHNORM, **TINY, dropout_rate=0.2), tiny_data, 4)
    assert args[2]["weight"].sum(axis=1).tolist() == [32, 16]
    jitted, _ = clicks.click_epoch(*args)
    with jax.disable_jit():
        eager, _ = clicks.click_epoch(*args)
    lr, steps = float(args[5]["learning_rate"]), 2
    for layer_jit, layer_eager in zip(jitted.params, eager.params, strict=True):
        for name in layer_jit:
            a, b = np.asarray(layer_jit[name]), np.asarray(layer_eager[name])
            if name == "b" and "gamma" in layer_jit:
                # A bias right before batch norm has a gradient of exactly zero in exact arithmetic
                # (the norm subtracts it out again); Adam turns its rounding noise into steps of up
                # to the learning rate, so the two paths can only be held to that bound.
                assert np.abs(a - b).max() <= 2 * lr * steps
            else:
                assert_allclose(a, b, rtol=2e-4, atol=2e-5, err_msg=name)
    for a, b in zip(jax.tree.leaves(jitted.bn_state), jax.tree.leaves(eager.bn_state), strict=True):
        assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=2e-5)


def test_training_reduces_the_loss(tiny_data) -> None:
    run = fit_click(tiny_data, replace(AFTER, **TINY, epochs=8, patience=None))
    assert run.history[-1].train_loss < run.history[0].train_loss < 0.75


def test_early_stopping_restores_the_best_epoch(tiny_data) -> None:
    config = replace(BEFORE, **TINY, epochs=60, patience=3)
    run = fit_click(tiny_data, config)
    assert run.stop_reason == EARLY_STOPPED
    assert run.epochs_done == run.best_epoch + 3 < 60
    best: EpochRecord = run.history[run.best_epoch]
    assert best.val_loss == min(rec.val_loss for rec in run.history)
    restored = experiment_results(run, tiny_data)
    assert restored["val_loss"] == pytest.approx(best.val_loss, rel=1e-4)
    assert restored["train_accuracy"] == pytest.approx(best.train_metric, abs=1e-6)


def test_training_in_chunks_gives_the_same_run_as_training_in_one_go(tiny_data) -> None:
    trainer = click_trainer(tiny_data, replace(AFTER, **TINY, epochs=5, patience=None))
    start = trainer.start()
    chunked = trainer.advance(trainer.advance(start, max_epochs=2), max_epochs=3)
    whole = trainer.advance(start, max_epochs=5)
    assert start.epochs_done == 0  # advance never mutates its input
    assert [r.val_loss for r in chunked.history] == pytest.approx([r.val_loss for r in whole.history], rel=1e-6)
    assert chunked.finished and whole.finished


def test_experiment_results_reports_the_seeds_three_targets(tiny_data) -> None:
    results = experiment_results(fit_click(tiny_data, replace(AFTER, **TINY, epochs=2)), tiny_data)
    for key in ("train_accuracy", "val_accuracy", "train_loss", "val_loss", "seconds"):
        assert np.isfinite(results[key])
    assert results["val_accuracy_at_least_80"] == (results["val_accuracy"] >= 0.80)
    assert results["train_accuracy_below_88"] == (results["train_accuracy"] < 0.88)
    assert results["under_5_minutes"] is True
