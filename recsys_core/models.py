"""Pure JAX models: parameters as named tuples, and functions that initialise, predict and trace.

The lessons open a model up and show every number inside a prediction, so each model here is a
handful of small pure functions over explicit parameters (the JAX MNIST example's shape): no
classes with hidden state, nothing that needs Streamlit. The training loop lives in `train.py`.

Biased matrix factorization (Koren, Bell & Volinsky 2009; Surprise's ``SVD``) predicts

    r_hat(u, i) = mu + b_u + b_i + p_u . q_i

where ``mu`` is the mean training rating, ``b_u`` / ``b_i`` say how generous a user is and how
well liked an item is, and ``p_u`` / ``q_i`` are k learned "taste" features.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class MFParams(NamedTuple):
    """Biased matrix factorization parameters (a pytree: jit, grad and scan accept it as is)."""

    global_mean: jax.Array  # () the mean training rating, mu; fixed, not learned
    user_bias: jax.Array  # (n_users,)
    item_bias: jax.Array  # (n_items,)
    user_factors: jax.Array  # (n_users, k)
    item_factors: jax.Array  # (n_items, k)

    @property
    def k(self) -> int:
        return int(self.user_factors.shape[1])


def init_mf(
    key: jax.Array,
    n_users: int,
    n_items: int,
    k: int,
    global_mean: float = 0.0,
    init_scale: float = 0.1,
) -> MFParams:
    """Small random factors and zero biases.

    Factors start small (N(0, init_scale)) but not zero: all-zero factors have zero gradient
    (d(p.q)/dp = q = 0) and would never move. Biases start at zero so the first prediction is
    the global mean, the best constant guess.
    """
    user_key, item_key = jax.random.split(key)
    return MFParams(
        global_mean=jnp.asarray(global_mean, dtype=jnp.float32),
        user_bias=jnp.zeros((n_users,), jnp.float32),
        item_bias=jnp.zeros((n_items,), jnp.float32),
        user_factors=init_scale * jax.random.normal(user_key, (n_users, k), jnp.float32),
        item_factors=init_scale * jax.random.normal(item_key, (n_items, k), jnp.float32),
    )


def predict_mf(params: MFParams, users: jax.Array, items: jax.Array) -> jax.Array:
    """Predicted rating mu + b_u + b_i + p_u . q_i for each (users[j], items[j]) pair (unclipped)."""
    dot = jnp.sum(params.user_factors[users] * params.item_factors[items], axis=-1)
    return params.global_mean + params.user_bias[users] + params.item_bias[items] + dot


def mf_loss(
    params: MFParams,
    users: jax.Array,
    items: jax.Array,
    ratings: jax.Array,
    l2: float | jax.Array,
) -> jax.Array:
    """Mean over the given known ratings of squared error plus L2 on the rows each rating uses.

    Only known cells count: a missing rating is not a zero rating, it is an unknown one. Filling
    the gaps with 0 (or the mean) would train the model to predict "no opinion" for the ~98% of
    cells nobody rated, and those fake targets would swamp the real ones.

    The penalty is charged per rating on the rows it touches, ``l2 * (b_u² + b_i² + |p_u|² +
    |q_i|²)`` — the objective Surprise's SVD descends — so a user with many ratings is held back
    by them in proportion, and a minibatch's loss only involves the rows in that minibatch
    (which is what lets the trainer update just those rows).
    """
    errors = predict_mf(params, users, items) - ratings
    penalty = (
        params.user_bias[users] ** 2
        + params.item_bias[items] ** 2
        + jnp.sum(params.user_factors[users] ** 2, axis=-1)
        + jnp.sum(params.item_factors[items] ** 2, axis=-1)
    )
    return jnp.mean(errors**2 + l2 * penalty)


def mf_trace(params: MFParams, user: int, item: int, rating_scale: tuple[float, float] = (1.0, 5.0)) -> dict[str, np.ndarray | float]:
    """Every number inside one prediction, in the order the lesson shows them (numpy).

    ``products`` is the term-by-term product p_u[f] * q_i[f] whose sum is ``dot``: the learner
    sees which taste features push the rating up and which pull it down.
    """
    user_vector = np.asarray(params.user_factors[user])
    item_vector = np.asarray(params.item_factors[item])
    products = user_vector * item_vector
    dot = float(products.sum())
    global_mean = float(params.global_mean)
    user_bias = float(params.user_bias[user])
    item_bias = float(params.item_bias[item])
    prediction = global_mean + user_bias + item_bias + dot
    return {
        "user_vector": user_vector,
        "item_vector": item_vector,
        "products": products,
        "dot": dot,
        "global_mean": global_mean,
        "user_bias": user_bias,
        "item_bias": item_bias,
        "prediction": prediction,
        "prediction_clipped": float(np.clip(prediction, *rating_scale)),
    }


def mf_scores(params: MFParams, user: int) -> np.ndarray:
    """Predicted (unclipped) rating of every item for one user, as numpy, for ranking top-k.

    Plain numpy on purpose: one matrix-vector product is instant, and a jitted version would
    compile once per catalogue size for no gain.
    """
    item_factors = np.asarray(params.item_factors)
    user_vector = np.asarray(params.user_factors[user])
    return (
        float(params.global_mean)
        + float(params.user_bias[user])
        + np.asarray(params.item_bias)
        + item_factors @ user_vector
    ).astype(np.float32)
