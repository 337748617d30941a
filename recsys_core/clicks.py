"""Click prediction: the data, model and trainer behind "Experiment: fixing overfitting".

The lesson's seed describes a click model that scores 90% on training data and 70% on
validation data, and asks the learner to close that gap by changing only the architecture and
the training hyperparameters — never the data. To let a learner run that experiment live, the
app needs three things this module provides:

* a fixed click dataset (`click_dataset`) whose true click probabilities are known, so the page
  can show the ceiling no model can beat, and which is small and wide enough that a big
  unregularised network memorises it (the "Before" model) while a regularised one generalises;
* a small multilayer perceptron (`init_mlp`, `mlp_forward`, `mlp_trace`) with inverted dropout
  and batch normalisation, written as pure functions over explicit parameters and state;
* a trainer (`ClickTrainer`) that speaks the shared `recsys_core.train.Trainer` protocol, so the
  live-training widget that serves every lesson also serves this one.

One epoch is one module-level jitted call (`lax.scan` over host-shuffled minibatches padded to a
bucketed shape); learning rate, L2 and dropout rate are traced, so moving a slider never
recompiles. Numpy goes in and comes out; JAX stays inside.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from recsys_core.data import ClickData, click_dataset  # noqa: F401 - re-exported for pages
from recsys_core.train import (
    COMPLETED,
    DIVERGED,
    EpochRecord,
    TrainingRun,
    divergence_message,
    update_best,
)

# --- the model -----------------------------------------------------------------------------


class ClickModel(NamedTuple):
    """Everything a trained click model is: weights plus batch-norm running statistics.

    Kept together so early stopping restores both (the statistics belong to the weights they
    were collected with). ``bn_state`` is an empty list when the model has no batch norm.
    """

    params: list[dict[str, jax.Array]]
    bn_state: list[dict[str, jax.Array]]


_BN_MOMENTUM = 0.99  # Keras's default: running statistics average over ~100 batches
_BN_EPS = 1e-3


def init_mlp(
    key: jax.Array, n_features: int, widths: tuple[int, ...] = (64, 32), norm: str = "none"
) -> ClickModel:
    """Fresh weights (He-uniform for ReLU layers, as Keras's Glorot would be too timid here).

    One dict per dense layer (``w``, ``b``; hidden layers also ``gamma``, ``beta`` with batch
    norm), the last layer mapping to one logit.
    """
    if norm not in ("none", "batchnorm"):
        raise ValueError(f"norm must be 'none' or 'batchnorm', got {norm!r}")
    sizes = (n_features, *widths, 1)
    keys = jax.random.split(key, len(sizes) - 1)
    params: list[dict[str, jax.Array]] = []
    bn_state: list[dict[str, jax.Array]] = []
    for i, (k, fan_in, fan_out) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        limit = math.sqrt(6.0 / fan_in) if i < len(widths) else math.sqrt(6.0 / (fan_in + fan_out))
        layer = {
            "w": jax.random.uniform(k, (fan_in, fan_out), jnp.float32, -limit, limit),
            "b": jnp.zeros((fan_out,), jnp.float32),
        }
        if norm == "batchnorm" and i < len(widths):
            layer["gamma"] = jnp.ones((fan_out,), jnp.float32)
            layer["beta"] = jnp.zeros((fan_out,), jnp.float32)
            bn_state.append({"mean": jnp.zeros((fan_out,), jnp.float32), "var": jnp.ones((fan_out,), jnp.float32)})
        params.append(layer)
    return ClickModel(params, bn_state)


def _dropout(h: jax.Array, rate: jax.Array, key: jax.Array) -> jax.Array:
    """Inverted dropout: zero each unit with probability ``rate``, scale survivors by 1/(1-rate).

    Scaling at training time keeps each unit's expected value unchanged, so evaluation needs
    no rescaling and simply skips this step.
    """
    keep = jax.random.uniform(key, h.shape) >= rate
    return jnp.where(keep, h / (1.0 - rate), 0.0)


def _batch_norm(
    h: jax.Array, layer: dict, stats: dict, train: bool, weights: jax.Array | None
) -> tuple[jax.Array, dict]:
    """Normalise with this batch's statistics when training, with the running ones otherwise.

    ``weights`` (1 for real rows, 0 for padding) keep padded rows out of the batch statistics.
    """
    if train:
        w = jnp.ones(h.shape[:1], h.dtype) if weights is None else weights
        total = jnp.maximum(w.sum(), 1.0)
        mean = (w[:, None] * h).sum(axis=0) / total
        var = (w[:, None] * (h - mean) ** 2).sum(axis=0) / total
        new_stats = {
            "mean": _BN_MOMENTUM * stats["mean"] + (1 - _BN_MOMENTUM) * mean,
            "var": _BN_MOMENTUM * stats["var"] + (1 - _BN_MOMENTUM) * var,
        }
    else:
        mean, var, new_stats = stats["mean"], stats["var"], stats
    h = (h - mean) / jnp.sqrt(var + _BN_EPS)
    return layer["gamma"] * h + layer["beta"], new_stats


def mlp_forward(
    params: list[dict[str, jax.Array]],
    x: jax.Array,
    *,
    dropout_rate: jax.Array | float,
    key: jax.Array | None,
    train: bool,
    bn_state: list[dict[str, jax.Array]],
    weights: jax.Array | None = None,
) -> tuple[jax.Array, list[dict[str, jax.Array]]]:
    """Logits of a batch and the updated batch-norm statistics.

    Dense -> [batch norm] -> ReLU -> [dropout] per hidden layer, then one dense unit: the logit,
    whose sigmoid is the click probability (the loss works on the logit, which is the same
    model but numerically stable). Dropout and batch statistics only act when ``train``.
    """
    h = x
    new_state: list[dict[str, jax.Array]] = []
    n_hidden = len(params) - 1
    keys = jax.random.split(key, max(n_hidden, 1)) if (train and key is not None) else None
    for i, layer in enumerate(params[:-1]):
        h = h @ layer["w"] + layer["b"]
        if "gamma" in layer:
            h, stats = _batch_norm(h, layer, bn_state[len(new_state)], train, weights)
            new_state.append(stats)
        h = jax.nn.relu(h)
        if train and keys is not None:
            h = _dropout(h, dropout_rate, keys[i])
    logits = (h @ params[-1]["w"] + params[-1]["b"])[:, 0]
    return logits, new_state


def predict_proba(model: ClickModel, x: np.ndarray | jax.Array) -> np.ndarray:
    """Click probabilities in evaluation mode (no dropout, running batch-norm statistics)."""
    logits = _eval_logits(model, jnp.asarray(x, jnp.float32))
    return np.asarray(jax.nn.sigmoid(logits))


@jax.jit
def _eval_logits(model: ClickModel, x: jax.Array) -> jax.Array:
    logits, _ = mlp_forward(model.params, x, dropout_rate=0.0, key=None, train=False, bn_state=model.bn_state)
    return logits


def mlp_trace(
    params: list[dict[str, jax.Array]],
    bn_state: list[dict[str, jax.Array]],
    x_one: np.ndarray,
    *,
    feature_names: tuple[str, ...] | None = None,
    dropout_rate: float = 0.0,
) -> list[dict[str, Any]]:
    """What happens inside one prediction, layer by layer, with the real values.

    Each entry has ``name``, ``shape``, ``values`` (numpy), ``note`` (what the step does) and,
    for the input, ``labels``. Dropout appears as its own step when the model was trained with
    it, marked as the identity: it is off at evaluation time.
    """
    h = np.asarray(x_one, np.float32).reshape(-1)
    steps: list[dict[str, Any]] = [
        {
            "name": "input features",
            "shape": h.shape,
            "values": h.copy(),
            "note": "standardised features of this impression",
            "labels": feature_names,
        }
    ]
    bn_index = 0
    for i, layer in enumerate(params[:-1], start=1):
        w, b = np.asarray(layer["w"]), np.asarray(layer["b"])
        h = h @ w + b
        steps.append({"name": f"dense {i}", "shape": h.shape, "values": h.copy(),
                      "note": f"x @ W{i} + b{i}, W{i} is {w.shape[0]}x{w.shape[1]}"})
        if "gamma" in layer:
            stats = bn_state[bn_index]
            bn_index += 1
            mean, var = np.asarray(stats["mean"]), np.asarray(stats["var"])
            h = (h - mean) / np.sqrt(var + _BN_EPS) * np.asarray(layer["gamma"]) + np.asarray(layer["beta"])
            steps.append({"name": f"batch norm {i}", "shape": h.shape, "values": h.copy(),
                          "note": "normalised with running statistics from training, then scaled and shifted"})
        h = np.maximum(h, 0.0)
        steps.append({"name": f"relu {i}", "shape": h.shape, "values": h.copy(),
                      "note": f"negatives set to 0: {int((h > 0).sum())} of {h.size} units active"})
        if dropout_rate > 0:
            steps.append({"name": f"dropout {i}", "shape": h.shape, "values": h.copy(),
                          "note": f"rate {dropout_rate:g} while training; off at evaluation: identity"})
    w, b = np.asarray(params[-1]["w"]), np.asarray(params[-1]["b"])
    logit = h @ w + b
    steps.append({"name": "logit", "shape": logit.shape, "values": logit.copy(),
                  "note": "one number: the click score before squashing"})
    prob = 1.0 / (1.0 + np.exp(-logit))
    steps.append({"name": "sigmoid probability", "shape": prob.shape, "values": prob.copy(),
                  "note": "predicted click probability; clicks are predicted when it is above 0.5"})
    return steps


# --- loss, metrics, optimiser ----------------------------------------------------------------


def _bce_from_logits(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Per-example binary cross-entropy of sigmoid(logits), stable for large |logits|."""
    return jnp.maximum(logits, 0.0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits)))


def _l2_penalty(params: list[dict[str, jax.Array]]) -> jax.Array:
    """Sum of squared weights (kernels only; biases and batch-norm scales are not shrunk)."""
    return sum(jnp.sum(layer["w"] ** 2) for layer in params)


def _batch_loss(
    params: list[dict[str, jax.Array]],
    bn_state: list[dict[str, jax.Array]],
    x: jax.Array,
    y: jax.Array,
    weights: jax.Array,
    key: jax.Array,
    dropout_rate: jax.Array,
    l2: jax.Array,
) -> tuple[jax.Array, list[dict[str, jax.Array]]]:
    """Mean cross-entropy over the batch's real rows plus the L2 penalty (training mode)."""
    logits, new_state = mlp_forward(
        params, x, dropout_rate=dropout_rate, key=key, train=True, bn_state=bn_state, weights=weights
    )
    data_loss = jnp.sum(weights * _bce_from_logits(logits, y)) / jnp.maximum(weights.sum(), 1.0)
    return data_loss + l2 * _l2_penalty(params), new_state


class AdamState(NamedTuple):
    """Adam's running moments and step count, one moment per parameter leaf."""

    step: jax.Array
    mu: Any
    nu: Any


_ADAM_B1, _ADAM_B2, _ADAM_EPS = 0.9, 0.999, 1e-7  # Keras's defaults, as in the seed


def adam_init(params: Any) -> AdamState:
    zeros = jax.tree.map(jnp.zeros_like, params)
    return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)


def adam_update(grads: Any, state: AdamState, params: Any, learning_rate: jax.Array) -> tuple[Any, AdamState]:
    """One Adam step (bias-corrected moments): the optimiser the seed uses, in a few lines."""
    step = state.step + 1
    mu = jax.tree.map(lambda m, g: _ADAM_B1 * m + (1 - _ADAM_B1) * g, state.mu, grads)
    nu = jax.tree.map(lambda v, g: _ADAM_B2 * v + (1 - _ADAM_B2) * g * g, state.nu, grads)
    t = step.astype(jnp.float32)
    scale = learning_rate * jnp.sqrt(1 - _ADAM_B2**t) / (1 - _ADAM_B1**t)
    new_params = jax.tree.map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + _ADAM_EPS), params, mu, nu)
    return new_params, AdamState(step, mu, nu)


# --- one epoch as one jitted call -------------------------------------------------------------

_trace_counts: dict[str, int] = {"train_epoch": 0}  # how often the epoch was traced (tests)


def _evaluate(model: ClickModel, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean cross-entropy and accuracy in evaluation mode on a full set."""
    logits, _ = mlp_forward(model.params, x, dropout_rate=0.0, key=None, train=False, bn_state=model.bn_state)
    return jnp.mean(_bce_from_logits(logits, y)), jnp.mean((logits > 0) == (y > 0.5))


@jax.jit
def train_epoch(
    model: ClickModel,
    opt_state: AdamState,
    batches: dict[str, jax.Array],
    key: jax.Array,
    hparams: dict[str, jax.Array],
    eval_sets: dict[str, jax.Array],
) -> tuple[ClickModel, AdamState, dict[str, jax.Array]]:
    """Train one epoch over ``batches`` and evaluate on the full sets, in one compiled call.

    ``batches`` holds ``x`` (steps, batch, features), ``y`` and ``w`` (steps, batch): 1 for a
    real row, 0 for padding. A step whose batch is all padding changes nothing (not even
    Adam's moments), so every epoch of a dataset has the same bucketed shape and compiles once.
    ``hparams`` (learning_rate, l2, dropout_rate) are traced scalars: new values reuse the code.
    """
    _trace_counts["train_epoch"] += 1
    grad_fn = jax.value_and_grad(_batch_loss, has_aux=True)

    def step(carry, batch):
        params, bn_state, opt, k = carry
        k, sub = jax.random.split(k)
        (loss, new_bn), grads = grad_fn(
            params, bn_state, batch["x"], batch["y"], batch["w"], sub, hparams["dropout_rate"], hparams["l2"]
        )
        new_params, new_opt = adam_update(grads, opt, params, hparams["learning_rate"])
        real = batch["w"].sum() > 0
        keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(real, a, b), new, old)  # noqa: E731
        return (keep(new_params, params), keep(new_bn, bn_state), keep(new_opt, opt), k), (loss, real)

    (params, bn_state, opt_state, _), (losses, real) = jax.lax.scan(
        step, (model.params, model.bn_state, opt_state, key), batches
    )
    model = ClickModel(params, bn_state)
    train_loss, train_acc = _evaluate(model, eval_sets["x_train"], eval_sets["y_train"])
    val_loss, val_acc = _evaluate(model, eval_sets["x_val"], eval_sets["y_val"])
    metrics = {
        "batch_loss": jnp.sum(jnp.where(real, losses, 0.0)) / jnp.maximum(real.sum(), 1),
        "train_loss": train_loss,
        "train_accuracy": train_acc,
        "val_loss": val_loss,
        "val_accuracy": val_acc,
    }
    return model, opt_state, metrics


def _bucket(n: int) -> int:
    """Round a step count up so nearby sizes share one compiled shape (at most 25% padding)."""
    step = max(1, 2 ** (n.bit_length() - 3))
    return -(-n // step) * step


def epoch_batches(n_examples: int, batch_size: int, epoch_seed: Any, x: np.ndarray, y: np.ndarray) -> dict:
    """Shuffle on the host (cheap in numpy) and cut into padded, masked minibatches."""
    order = np.random.default_rng(epoch_seed).permutation(n_examples)
    n_steps = -(-n_examples // batch_size)
    total = _bucket(n_steps) * batch_size
    index = np.zeros(total, np.int64)
    index[:n_examples] = order
    weights = np.zeros(total, np.float32)
    weights[:n_examples] = 1.0
    shape = (total // batch_size, batch_size)
    return {
        "x": x[index].reshape(*shape, x.shape[1]),
        "y": y[index].reshape(shape),
        "w": weights.reshape(shape),
    }


# --- configs, presets and the trainer --------------------------------------------------------


@dataclass(frozen=True)
class ClickConfig:
    """Everything the learner may change: architecture and training hyperparameters, not data.

    ``patience`` turns on early stopping on validation loss (restoring the best epoch's
    weights); None trains all ``epochs``. Frozen, so it can key a Streamlit cache.
    """

    widths: tuple[int, ...] = (64, 32)
    dropout_rate: float = 0.3
    l2: float = 0.0
    learning_rate: float = 0.001
    batch_size: int = 32
    epochs: int = 50
    optimizer: str = "adam"
    norm: str = "none"
    patience: int | None = 5
    seed: int = 0


# The overfitting model the seed's fix starts from: the same first layer, a second layer of 64,
# no dropout, a 10x larger step and 60 epochs without early stopping — it learns the training
# impressions, accidental clicks included, by heart.
BEFORE = ClickConfig(widths=(64, 64), dropout_rate=0.0, learning_rate=0.01, epochs=60, patience=None)
# The seed's solution, exactly: 64-Dropout(0.3)-32-Dropout(0.3)-1, Adam 1e-3, early stopping.
AFTER = ClickConfig()
# The bonus experiment: the seed's solution with batch normalisation instead of dropout.
BONUS_BATCHNORM = ClickConfig(dropout_rate=0.0, norm="batchnorm")


class ClickTrainer:
    """Trains a `ClickConfig` on `ClickData` a chunk of epochs at a time (the `Trainer` protocol).

    Shuffling is derived from (seed, epoch) and dropout keys from the seed folded with the
    epoch, so a run is reproducible and ``advance`` never mutates the run it is given.
    """

    loss_name = "binary cross-entropy"
    metric_name = "accuracy"
    metric_higher_is_better = True

    def __init__(self, data: ClickData, config: ClickConfig):
        if config.optimizer != "adam":
            raise ValueError(f"only the 'adam' optimizer is available, got {config.optimizer!r}")
        if not 0.0 <= config.dropout_rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {config.dropout_rate}")
        self.data = data
        self.config = config
        self.epochs = config.epochs
        self._hparams = {
            "learning_rate": jnp.float32(config.learning_rate),
            "l2": jnp.float32(config.l2),
            "dropout_rate": jnp.float32(config.dropout_rate),
        }
        self._eval_sets = {
            "x_train": jnp.asarray(data.X_train),
            "y_train": jnp.asarray(data.y_train),
            "x_val": jnp.asarray(data.X_val),
            "y_val": jnp.asarray(data.y_val),
        }

    def start(self) -> TrainingRun:
        key = jax.random.key(self.config.seed)
        model = init_mlp(key, self.data.n_features, self.config.widths, self.config.norm)
        return TrainingRun(params=model, opt_state=adam_init(model.params))

    def advance(self, run: TrainingRun, n_epochs: int) -> TrainingRun:
        cfg = self.config
        for _ in range(n_epochs):
            if run.finished:
                break
            epoch = run.epochs_done + 1
            started = time.perf_counter()
            batches = epoch_batches(
                self.data.n_train, cfg.batch_size, (cfg.seed, epoch), self.data.X_train, self.data.y_train
            )
            key = jax.random.fold_in(jax.random.key(cfg.seed + 1), epoch)
            model, opt_state, m = train_epoch(run.params, run.opt_state, batches, key, self._hparams, self._eval_sets)
            m = {name: float(value) for name, value in m.items()}  # waits for the device
            record = EpochRecord(
                epoch=epoch,
                train_loss=m["train_loss"],
                val_loss=m["val_loss"],
                train_metric=m["train_accuracy"],
                val_metric=m["val_accuracy"],
                seconds=time.perf_counter() - started,
            )
            run = replace(run, params=model, opt_state=opt_state, history=(*run.history, record))
            first = run.history[0].train_loss
            problem = divergence_message(max(m["train_loss"], m["batch_loss"]), first, cfg.learning_rate)
            if problem is not None:
                return replace(run, stop_reason=DIVERGED, message=problem)
            run = update_best(run, record, model, cfg.patience)
            if run.finished:
                break
            if epoch >= cfg.epochs:
                run = self._complete(run)
        return run

    def _complete(self, run: TrainingRun) -> TrainingRun:
        """The epoch budget is spent; with early stopping on, keep the best epoch (as Keras does)."""
        if self.config.patience is not None and run.best_epoch != run.epochs_done:
            return replace(
                run,
                params=run.best_params,
                stop_reason=COMPLETED,
                message=(
                    f"Trained all {run.epochs_done} epochs; restored epoch {run.best_epoch}, "
                    "which had the lowest validation loss."
                ),
            )
        return replace(run, stop_reason=COMPLETED, message=f"Trained all {run.epochs_done} epochs.")


def fit_click(data: ClickData, config: ClickConfig) -> TrainingRun:
    """Train to the end (all epochs, or until early stopping or divergence)."""
    trainer = ClickTrainer(data, config)
    return trainer.advance(trainer.start(), config.epochs)


def _accuracy_and_loss(model: ClickModel, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = np.clip(predict_proba(model, x).astype(np.float64), 1e-7, 1 - 1e-7)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean((p > 0.5) == (y > 0.5))), float(loss)


def experiment_results(run: TrainingRun, data: ClickData) -> dict[str, Any]:
    """The seed's Results block for a finished run, plus whether each target is met.

    Accuracy and loss are of the model the run ends with (the restored best epoch when early
    stopping fired), evaluated without dropout; ``seconds`` is the time spent training.
    """
    model: ClickModel = run.params
    train_acc, train_loss = _accuracy_and_loss(model, data.X_train, data.y_train)
    val_acc, val_loss = _accuracy_and_loss(model, data.X_val, data.y_val)
    seconds = float(sum(rec.seconds for rec in run.history))
    targets = {
        "val_accuracy_at_least_80": val_acc >= 0.80,
        "train_accuracy_below_88": train_acc < 0.88,
        "under_5_minutes": seconds < 300.0,
    }
    return {
        "train_accuracy": train_acc,
        "val_accuracy": val_acc,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "seconds": seconds,
        "epochs_trained": run.epochs_done,
        "best_epoch": run.best_epoch,
        "bayes_val_accuracy": data.bayes_val_accuracy,
        **targets,
        "all_targets_met": all(targets.values()),
    }
