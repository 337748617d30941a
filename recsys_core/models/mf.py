"""Biased matrix factorization as pure functions: parameters, initialisation, prediction, loss, trace.

The lessons open the model up and show every number inside a prediction, so the model is a
handful of small functions over explicit parameters (the JAX MNIST example's shape): no classes
with hidden state. Biased MF (Koren, Bell & Volinsky 2009; Surprise's ``SVD``) predicts

    r_hat(u, i) = mu + b_u + b_i + p_u . q_i

where ``mu`` is the mean training rating, ``b_u`` / ``b_i`` say how generous a user is and how
well liked an item is, and ``p_u`` / ``q_i`` are k learned "taste" features. That formula is
written twice here, once in JAX (`predict_mf`, for training and jitted evaluation) and once in
numpy (`predict_mf_numpy` for pairs, `score_matrix` for whole rows); everything else calls them.
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


def numpy_params(params: MFParams) -> MFParams:
    """The same parameters as numpy arrays: picklable for caches, cheap to slice on the host."""
    return MFParams(*(np.asarray(leaf) for leaf in params))


def init_mf(
    seed: int, n_users: int, n_items: int, k: int, global_mean: float = 0.0, init_scale: float = 0.1
) -> MFParams:
    """Small random factors N(0, init_scale) and zero biases, drawn with numpy from ``seed``.

    Factors start small but not zero: all-zero factors have zero gradient (d(p.q)/dp = q = 0)
    and would never move. Biases start at zero so the first prediction is the global mean, the
    best constant guess. numpy rather than `jax.random`: eager `jax.random` compiles several
    small programs on first use, which took seconds on a busy 2-core machine for a one-off table.
    """
    rng = np.random.default_rng(seed)
    return MFParams(
        global_mean=jnp.asarray(global_mean, jnp.float32),
        user_bias=jnp.zeros((n_users,), jnp.float32),
        item_bias=jnp.zeros((n_items,), jnp.float32),
        user_factors=jnp.asarray((init_scale * rng.standard_normal((n_users, k))).astype(np.float32)),
        item_factors=jnp.asarray((init_scale * rng.standard_normal((n_items, k))).astype(np.float32)),
    )


def single_user(params: MFParams, vector: np.ndarray, bias: float) -> MFParams:
    """The model's items with one user (index 0) described by ``vector`` and ``bias``.

    For a user the model was not trained on (a newcomer folded in) or a user's vector after a
    hand-made gradient step: the numpy predictors then score them like any trained user.
    """
    return params._replace(user_bias=np.array([bias], np.float64), user_factors=np.asarray(vector, np.float64)[None, :])


def gather(table: jax.Array, index: jax.Array) -> jax.Array:
    """Rows (or entries) of ``table`` at ``index``, clamping out-of-range indices.

    Padded minibatches carry an out-of-range index; clamping reads a real row whose result is
    never written back (the trainers' scatters drop out-of-range indices).
    """
    return table.at[index].get(mode="clip")


def predict_mf(params: MFParams, users: jax.Array, items: jax.Array) -> jax.Array:
    """Predicted rating mu + b_u + b_i + p_u . q_i for each (users[j], items[j]) pair (unclipped)."""
    dot = jnp.sum(gather(params.user_factors, users) * gather(params.item_factors, items), axis=-1)
    return params.global_mean + gather(params.user_bias, users) + gather(params.item_bias, items) + dot


def predict_mf_numpy(params: MFParams, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """`predict_mf` in numpy (float64) for a few pairs on the host: no compile, no device trip."""
    users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
    p = np.asarray(params.user_factors, np.float64)[users]
    q = np.asarray(params.item_factors, np.float64)[items]
    return (float(params.global_mean) + np.asarray(params.user_bias, np.float64)[users]
            + np.asarray(params.item_bias, np.float64)[items] + np.einsum("...k,...k->...", p, q))


def score_matrix(params: MFParams, users: np.ndarray | None = None) -> np.ndarray:
    """Predicted (unclipped) rating of every item for each of ``users`` (all users when None).

    Shape (len(users), n_items), float64, numpy: one matrix product, instant at teaching sizes,
    and a jitted version would compile once per catalogue size for no gain.
    """
    user_factors = np.asarray(params.user_factors, np.float64)
    user_bias = np.asarray(params.user_bias, np.float64)
    if users is not None:
        users = np.asarray(users, np.int64)
        user_factors, user_bias = user_factors[users], user_bias[users]
    return (float(params.global_mean) + user_bias[:, None] + np.asarray(params.item_bias, np.float64)[None, :]
            + user_factors @ np.asarray(params.item_factors, np.float64).T)


def mf_scores(params: MFParams, user: int) -> np.ndarray:
    """Predicted (unclipped) rating of every item for one user, for ranking top-k."""
    return score_matrix(params, np.array([user]))[0]


def mf_loss(params: MFParams, users: jax.Array, items: jax.Array, ratings: jax.Array, l2: float | jax.Array) -> jax.Array:
    """Mean over the given known ratings of squared error plus L2 on the rows each rating uses.

    Only known cells count: a missing rating is not a zero rating, it is an unknown one. Filling
    the gaps with 0 (or the mean) would train the model to predict "no opinion" for the ~98% of
    cells nobody rated, and those fake targets would swamp the real ones.

    The penalty is charged per rating on the rows it touches, ``l2 * (b_u² + b_i² + |p_u|² +
    |q_i|²)`` — the objective Surprise's SVD descends — so a user with many ratings is held back
    by them in proportion, and a minibatch's loss only involves the rows in that minibatch
    (which is what lets the trainer update just those rows). The trainer descends exactly this
    objective in closed form (`recsys_core.training.mf_rowwise`); tests check it against
    `jax.grad` of this function.
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
    prediction = float(predict_mf_numpy(params, np.array([user]), np.array([item]))[0])
    return {
        "user_vector": user_vector,
        "item_vector": item_vector,
        "products": products,
        "dot": float(products.sum()),
        "global_mean": float(params.global_mean),
        "user_bias": float(params.user_bias[user]),
        "item_bias": float(params.item_bias[item]),
        "prediction": prediction,
        "prediction_clipped": float(np.clip(prediction, *rating_scale)),
    }
