"""The click-prediction network of "Experiment: fixing overfitting": an MLP with dropout or batch norm.

The lesson's seed fixes an overfitting Keras model with dropout, early stopping and a smaller
layer; the bonus swaps dropout for batch normalisation. So the network here is a small
multilayer perceptron with exactly those switches, written as pure functions over explicit
parameters and batch-norm state, so the prediction trace can show every layer's real values and
the one training loop (`recsys_core.training.clicks`) can jit one epoch of it.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from recsys_core.models.tracing import count_trace


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


def dropout(h: jax.Array, rate: jax.Array, key: jax.Array) -> jax.Array:
    """Inverted dropout: zero each unit with probability ``rate``, scale survivors by 1/(1-rate).

    Scaling at training time keeps each unit's expected value unchanged, so evaluation needs
    no rescaling and simply skips this step.
    """
    keep = jax.random.uniform(key, h.shape) >= rate
    return jnp.where(keep, h / (1.0 - rate), 0.0)


def batch_norm(
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
            h, stats = batch_norm(h, layer, bn_state[len(new_state)], train, weights)
            new_state.append(stats)
        h = jax.nn.relu(h)
        if train and keys is not None:
            h = dropout(h, dropout_rate, keys[i])
    logits = (h @ params[-1]["w"] + params[-1]["b"])[:, 0]
    return logits, new_state


def predict_proba(model: ClickModel, x: np.ndarray | jax.Array) -> np.ndarray:
    """Click probabilities in evaluation mode (no dropout, running batch-norm statistics)."""
    logits = _eval_logits(model, jnp.asarray(x, jnp.float32))
    return np.asarray(jax.nn.sigmoid(logits))


@jax.jit
def _eval_logits(model: ClickModel, x: jax.Array) -> jax.Array:
    count_trace("click_eval_logits")
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


# --- loss ------------------------------------------------------------------------------------


def bce_from_logits(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Per-example binary cross-entropy of sigmoid(logits), stable for large |logits|."""
    return jnp.maximum(logits, 0.0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits)))


def l2_penalty(params: list[dict[str, jax.Array]]) -> jax.Array:
    """Sum of squared weights (kernels only; biases and batch-norm scales are not shrunk)."""
    return sum(jnp.sum(layer["w"] ** 2) for layer in params)


def batch_loss(
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
    data_loss = jnp.sum(weights * bce_from_logits(logits, y)) / jnp.maximum(weights.sum(), 1.0)
    return data_loss + l2 * l2_penalty(params), new_state


def evaluate(model: ClickModel, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean cross-entropy (no L2 term) and accuracy in evaluation mode on a full set."""
    logits, _ = mlp_forward(model.params, x, dropout_rate=0.0, key=None, train=False, bn_state=model.bn_state)
    return jnp.mean(bce_from_logits(logits, y)), jnp.mean((logits > 0) == (y > 0.5))
