"""The neural recommender of "Why recommendations drive engagement": embeddings plus a scorer.

The lesson's pipeline turns every (user, item) rating into numbers a network can learn from: a
learned user embedding and a learned item embedding (32 + 32 = 64 features per interaction),
then a scorer that predicts the rating. Two scorers are offered so the learner can compare:

* ``"mlp"``: ``mu + b_u + b_i + w2 . relu(W1 [p_u ; q_i] + b1) + b2`` (neural collaborative
  filtering, He et al. 2017, with the biases of Koren et al. 2009 so the network only has to
  learn taste, not how generous a user is);
* ``"dot"``: ``mu + b_u + b_i + p_u . q_i`` (biased matrix factorization written as a network).

Pure functions over an explicit parameter pytree (`NeuralParams`); the training program lives in
`recsys_core.training.neural`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from recsys_core.models.tracing import count_trace

SCORERS: tuple[str, ...] = ("mlp", "dot")

# The lesson's accuracy measure: a prediction within half a star, i.e. rounded to the star given.
ACCURACY_TOLERANCE = 0.5


class NeuralParams(NamedTuple):
    """Parameters of the embedding recommender (a pytree; jit, grad and scan accept it as is).

    ``w1``/``b1``/``w2``/``b2`` are None for the ``"dot"`` scorer: None is an empty pytree node,
    so the scorer is part of the pytree's structure and jit compiles one version per scorer.
    """

    global_mean: jax.Array  # () mean training rating, mu; fixed, not learned
    user_bias: jax.Array  # (n_users,)
    item_bias: jax.Array  # (n_items,)
    user_embedding: jax.Array  # (n_users, d)
    item_embedding: jax.Array  # (n_items, d)
    w1: jax.Array | None = None  # (2d, hidden) first dense layer over [p_u ; q_i]
    b1: jax.Array | None = None  # (hidden,)
    w2: jax.Array | None = None  # (hidden,) output layer: one number, the taste score
    b2: jax.Array | None = None  # ()

    @property
    def scorer(self) -> str:
        return "dot" if self.w1 is None else "mlp"

    @property
    def embedding_dim(self) -> int:
        return int(self.user_embedding.shape[1])


class Batch(NamedTuple):
    """A fixed-shape minibatch; ``weight`` is 1 for real ratings and 0 for padding."""

    users: jax.Array
    items: jax.Array
    ratings: jax.Array
    weight: jax.Array


def init_neural(
    key: jax.Array,
    n_users: int,
    n_items: int,
    embedding_dim: int = 32,
    hidden: int = 64,
    scorer: str = "mlp",
    global_mean: float = 0.0,
    init_scale: float = 0.1,
) -> NeuralParams:
    """Small random embeddings, zero biases and He-initialised dense layers.

    Embeddings start small but not zero (zero vectors get zero gradient through a dot product
    and would never move); biases start at zero so the first prediction is close to the global
    mean, the best constant guess.
    """
    if scorer not in SCORERS:
        raise ValueError(f"scorer must be one of {SCORERS}; got {scorer!r}")
    ku, ki, k1, k2 = jax.random.split(key, 4)
    params = NeuralParams(
        global_mean=jnp.asarray(global_mean, jnp.float32),
        user_bias=jnp.zeros((n_users,), jnp.float32),
        item_bias=jnp.zeros((n_items,), jnp.float32),
        user_embedding=init_scale * jax.random.normal(ku, (n_users, embedding_dim), jnp.float32),
        item_embedding=init_scale * jax.random.normal(ki, (n_items, embedding_dim), jnp.float32),
    )
    if scorer == "dot":
        return params
    fan_in = 2 * embedding_dim
    return params._replace(
        w1=jax.random.normal(k1, (fan_in, hidden), jnp.float32) * math.sqrt(2.0 / fan_in),
        b1=jnp.zeros((hidden,), jnp.float32),
        # The output layer starts small so the untrained model predicts about the mean rating.
        w2=jax.random.normal(k2, (hidden,), jnp.float32) * 0.01,
        b2=jnp.zeros((), jnp.float32),
    )


def interaction(params: NeuralParams, p: jax.Array, q: jax.Array) -> jax.Array:
    """The taste part of the score for paired embedding rows p (n, d) and q (n, d)."""
    if params.w1 is None:
        return jnp.sum(p * q, axis=-1)
    features = jnp.concatenate([p, q], axis=-1)  # the lesson's "64 columns" per interaction
    hidden = jax.nn.relu(features @ params.w1 + params.b1)
    return hidden @ params.w2 + params.b2


def predict(params: NeuralParams, users: jax.Array, items: jax.Array) -> jax.Array:
    """Predicted rating for paired index arrays (JAX, unclipped)."""
    mu = lax.stop_gradient(params.global_mean)
    p = params.user_embedding[users]
    q = params.item_embedding[items]
    return mu + params.user_bias[users] + params.item_bias[items] + interaction(params, p, q)


@jax.jit
def _predict_jit(params: NeuralParams, users: jax.Array, items: jax.Array) -> jax.Array:
    count_trace("neural_predict")
    return predict(params, users, items)


def predict_neural(params: NeuralParams, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predicted ratings for paired index arrays (numpy in, numpy out)."""
    return np.asarray(_predict_jit(params, jnp.asarray(np.asarray(users, np.int32)), jnp.asarray(np.asarray(items, np.int32))))


def data_loss(params: NeuralParams, batch: Batch) -> jax.Array:
    """Mean squared error over the batch's real ratings: the loss without its L2 term."""
    pred = predict(params, batch.users, batch.items)
    return jnp.sum(batch.weight * (pred - batch.ratings) ** 2) / jnp.maximum(jnp.sum(batch.weight), 1.0)


def neural_loss(params: NeuralParams, batch: Batch, l2: jax.Array, n_ratings: jax.Array) -> jax.Array:
    """Minibatch estimate of ``(sum of squared errors + l2 * |params|^2) / n_ratings``.

    The penalty covers every embedding, bias and weight (not the fixed global mean) and is
    divided by the number of training ratings, so over an epoch it counts once, not once per
    rating. That makes shrinkage depend on evidence: an item with n ratings gets its bias pulled
    toward zero like ``sum(residuals) / (n + l2)``, so an item with one 5-star rating cannot
    outrank a well-loved classic. Ranking by predicted rating needs exactly that; per-rating
    penalties (as in Surprise's SGD) shrink a 1-rating item no harder than a 100-rating one.
    Padding has weight 0 and contributes nothing.
    """
    penalised = params._replace(global_mean=jnp.zeros(()))
    squares = sum(jnp.sum(leaf * leaf) for leaf in jax.tree_util.tree_leaves(penalised))
    return data_loss(params, batch) + l2 * squares / n_ratings


def _user_scores(params: NeuralParams, users: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(interaction, full score) of every item for each user in ``users`` -> (n, n_items) each.

    For the MLP the first layer is linear in the concatenation, ``W1 [p ; q] = W1u p + W1i q``,
    so each side is projected once and the (user, item) grid only pays for an add, a relu and
    the output layer — scoring the whole catalogue stays cheap.
    """
    p = params.user_embedding[users]  # (n, d)
    q = params.item_embedding  # (n_items, d)
    if params.w1 is None:
        inter = p @ q.T
    else:
        d = p.shape[1]
        a = p @ params.w1[:d] + params.b1  # (n, hidden)
        b = q @ params.w1[d:]  # (n_items, hidden)
        hidden = jax.nn.relu(a[:, None, :] + b[None, :, :])
        inter = hidden @ params.w2 + params.b2
    full = params.global_mean + params.user_bias[users][:, None] + params.item_bias[None, :] + inter
    return inter, full


@jax.jit
def user_scores(params: NeuralParams, users: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Jitted `_user_scores`: (interaction, predicted rating) of every item for a block of users."""
    count_trace("neural_user_scores")
    return _user_scores(params, users)


SCORE_BLOCK = 128  # users scored per call: bounds the (users, items, hidden) grid's memory


def block_scores(params: NeuralParams, users: np.ndarray) -> np.ndarray:
    """Predicted rating of every item for up to `SCORE_BLOCK` users (padded so one compile serves all)."""
    padded = np.zeros(SCORE_BLOCK, np.int32)
    padded[: len(users)] = users
    _, full = user_scores(params, jnp.asarray(padded))
    return np.asarray(full, np.float64)[: len(users)]


def all_scores(params: NeuralParams) -> np.ndarray:
    """Predicted rating of every (user, item) pair, shape (n_users, n_items), as numpy."""
    n_users = int(params.user_embedding.shape[0])
    blocks = [block_scores(params, np.arange(start, min(start + SCORE_BLOCK, n_users)))
              for start in range(0, n_users, SCORE_BLOCK)]
    return np.concatenate(blocks, axis=0)


def neural_scores(params: NeuralParams, user: int) -> tuple[np.ndarray, np.ndarray]:
    """(taste match, predicted rating) of every item for one user, each shape (n_items,)."""
    inter, full = user_scores(params, jnp.asarray([user], jnp.int32))
    return np.asarray(inter)[0], np.asarray(full)[0]
