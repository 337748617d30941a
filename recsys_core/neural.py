"""The neural recommender of "Why recommendations drive engagement": embeddings plus a scorer.

The lesson's pipeline turns every (user, item) rating into numbers a network can learn from: a
learned user embedding and a learned item embedding (32 + 32 = 64 features per interaction),
then a scorer that predicts the rating. Two scorers are offered so the learner can compare:

* ``"mlp"``: ``mu + b_u + b_i + w2 . relu(W1 [p_u ; q_i] + b1) + b2`` (neural collaborative
  filtering, He et al. 2017, with the biases of Koren et al. 2009 so the network only has to
  learn taste, not how generous a user is);
* ``"dot"``: ``mu + b_u + b_i + p_u . q_i`` (biased matrix factorization written as a network).

Everything is pure functions over an explicit parameter pytree (`NeuralParams`) and an explicit
Adam state; one training epoch is one module-level jitted call (`lax.scan` over minibatches), and
learning rate and L2 are traced arguments so moving a slider never recompiles. `NeuralTrainer`
speaks the shared `recsys_core.train.Trainer` protocol so the app's live-training widget can
drive it a chunk of epochs at a time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from recsys_core.data import Ratings
from recsys_core.train import (
    COMPLETED,
    DIVERGED,
    EpochRecord,
    TrainingRun,
    divergence_message,
    update_best,
)

SCORERS: tuple[str, ...] = ("mlp", "dot")

# The lesson's accuracy measure, shown on the page next to the chart.
ACCURACY_TOLERANCE = 0.5
ACCURACY_DEFINITION = (
    "Accuracy = share of held-out ratings predicted within ±0.5 stars, i.e. the prediction "
    "rounded to the nearest star is exactly the star the user gave. Ratings carry noise, so "
    "even a perfect model stays well below 100% (see `accuracy_ceiling`)."
)


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


class AdamState(NamedTuple):
    """Adam's explicit state: step count and the two moment estimates (same pytree as params)."""

    step: jax.Array  # () int32, number of real updates so far
    mu: NeuralParams
    nu: NeuralParams


class Hyper(NamedTuple):
    """Traced hyperparameters: new values reuse the compiled epoch (no recompilation)."""

    learning_rate: jax.Array
    l2: jax.Array
    n_ratings: jax.Array  # number of training ratings, scales the L2 penalty (see `neural_loss`)


# --- model ----------------------------------------------------------------------------------


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


def _interaction(params: NeuralParams, p: jax.Array, q: jax.Array) -> jax.Array:
    """The taste part of the score for paired embedding rows p (n, d) and q (n, d)."""
    if params.w1 is None:
        return jnp.sum(p * q, axis=-1)
    features = jnp.concatenate([p, q], axis=-1)  # the lesson's "64 columns" per interaction
    hidden = jax.nn.relu(features @ params.w1 + params.b1)
    return hidden @ params.w2 + params.b2


def _predict(params: NeuralParams, users: jax.Array, items: jax.Array) -> jax.Array:
    mu = lax.stop_gradient(params.global_mean)
    p = params.user_embedding[users]
    q = params.item_embedding[items]
    return mu + params.user_bias[users] + params.item_bias[items] + _interaction(params, p, q)


predict_jit = jax.jit(_predict)


def predict_neural(params: NeuralParams, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predicted ratings for paired index arrays (numpy in, numpy out)."""
    users = jnp.asarray(np.asarray(users, np.int32))
    items = jnp.asarray(np.asarray(items, np.int32))
    return np.asarray(predict_jit(params, users, items))


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


user_scores_jit = jax.jit(_user_scores)

_SCORE_CHUNK = 128  # users scored per call: bounds the (users, items, hidden) grid's memory


def all_scores(params: NeuralParams) -> np.ndarray:
    """Predicted rating of every (user, item) pair, shape (n_users, n_items), as numpy."""
    n_users = int(params.user_embedding.shape[0])
    out = []
    for start in range(0, n_users, _SCORE_CHUNK):
        chunk = np.arange(start, start + _SCORE_CHUNK, dtype=np.int32)
        # Pad the last chunk to the fixed size (index 0) so every call reuses one compile.
        chunk = np.where(chunk < n_users, chunk, 0)
        _, full = user_scores_jit(params, jnp.asarray(chunk))
        out.append(np.asarray(full)[: max(0, min(_SCORE_CHUNK, n_users - start))])
    return np.concatenate(out, axis=0)


def neural_scores(params: NeuralParams, user: int) -> np.ndarray:
    """Predicted rating of every item for one user, shape (n_items,)."""
    _, full = user_scores_jit(params, jnp.asarray([user], jnp.int32))
    return np.asarray(full)[0]


def neural_trace(params: NeuralParams, user: int, k: int = 5, seen: np.ndarray | set | None = None) -> dict:
    """The lesson's four prediction layers for one user, as numpy (what the page shows).

    1. ``user_embedding`` (d,): the user as a vector.
    2. ``item_embeddings`` (n_items, d): every item as a vector.
    3. ``similarity`` (n_items,): how well each item matches the user's taste (the dot product,
       or the MLP's output on the concatenated pair), and ``scores``: the predicted rating
       (similarity plus global mean and biases).
    4. ranking: ``masked_scores`` with already-rated items set to -inf (recommending what the
       user has already rated teaches them nothing new), then ``top_items`` / ``top_scores``,
       the k best unseen items, best first.
    """
    from recsys_core.recommend import top_k  # local import: recommend imports nothing from here

    inter, full = user_scores_jit(params, jnp.asarray([user], jnp.int32))
    scores = np.asarray(full)[0]
    seen_idx = _seen_indices(seen, scores.shape[0])
    masked = scores.astype(np.float64).copy()
    masked[seen_idx] = -np.inf
    top = top_k(scores, seen_idx, k)
    return {
        "scorer": params.scorer,
        "user": int(user),
        "user_embedding": np.asarray(params.user_embedding[user]),
        "item_embeddings": np.asarray(params.item_embedding),
        "similarity": np.asarray(inter)[0],
        "scores": scores,
        "seen": seen_idx,
        "masked_scores": masked,
        "top_items": top,
        "top_scores": scores[top],
    }


def _seen_indices(seen: np.ndarray | set | None, n_items: int) -> np.ndarray:
    if seen is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(sorted(seen) if isinstance(seen, set) else seen)
    if arr.dtype == bool:
        return np.flatnonzero(arr)
    return arr.astype(np.int64).reshape(-1)


def accuracy_ceiling(ratings: Ratings) -> float | None:
    """Accuracy of the planted truth itself on ``ratings`` (None for data without a truth).

    Predicting the noise-free planted rating is the best any model can do, and rating noise
    still puts many ratings on a neighbouring star: this is the honest top of the accuracy axis.
    """
    if ratings.truth is None or len(ratings) == 0:
        return None
    lo, hi = ratings.rating_scale
    best = np.clip(ratings.truth.expected_rating(ratings.users, ratings.items), lo, hi)
    return float(np.mean(np.abs(best - ratings.ratings) <= ACCURACY_TOLERANCE))


# --- loss and optimiser -----------------------------------------------------------------------


class Batch(NamedTuple):
    """A fixed-shape minibatch; ``weight`` is 1 for real ratings and 0 for padding."""

    users: jax.Array
    items: jax.Array
    ratings: jax.Array
    weight: jax.Array


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
    pred = _predict(params, batch.users, batch.items)
    n = jnp.maximum(jnp.sum(batch.weight), 1.0)
    mse = jnp.sum(batch.weight * (pred - batch.ratings) ** 2) / n
    penalised = params._replace(global_mean=jnp.zeros(()))
    squares = sum(jnp.sum(leaf * leaf) for leaf in jax.tree_util.tree_leaves(penalised))
    return mse + l2 * squares / n_ratings


ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8


def adam_init(params: NeuralParams) -> AdamState:
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return AdamState(step=jnp.zeros((), jnp.int32), mu=zeros, nu=zeros)


def adam_update(
    params: NeuralParams, grads: NeuralParams, state: AdamState, learning_rate: jax.Array
) -> tuple[NeuralParams, AdamState]:
    """One Adam step (Kingma & Ba 2015) over the whole pytree, returning new params and state."""
    step = state.step + 1
    mu = jax.tree_util.tree_map(lambda m, g: ADAM_B1 * m + (1 - ADAM_B1) * g, state.mu, grads)
    nu = jax.tree_util.tree_map(lambda v, g: ADAM_B2 * v + (1 - ADAM_B2) * g * g, state.nu, grads)
    t = step.astype(jnp.float32)
    correction1 = 1 - ADAM_B1**t
    correction2 = 1 - ADAM_B2**t
    new_params = jax.tree_util.tree_map(
        lambda p, m, v: p - learning_rate * (m / correction1) / (jnp.sqrt(v / correction2) + ADAM_EPS),
        params,
        mu,
        nu,
    )
    return new_params, AdamState(step=step, mu=mu, nu=nu)


def _train_epoch(
    params: NeuralParams, opt_state: AdamState, batches: Batch, hyper: Hyper
) -> tuple[NeuralParams, AdamState, jax.Array]:
    """One epoch: Adam over every minibatch in ``batches`` (leading axis = step), in one scan.

    Whole steps of padding (weight sum 0, from bucketing the number of batches) leave params
    and Adam state untouched, so bucketing changes the compile, never the result.
    """

    def step(carry, batch):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(neural_loss)(params, batch, hyper.l2, hyper.n_ratings)
        new_params, new_state = adam_update(params, grads, opt_state, hyper.learning_rate)
        real = jnp.sum(batch.weight) > 0
        keep = lambda new, old: jnp.where(real, new, old)  # noqa: E731
        params = jax.tree_util.tree_map(keep, new_params, params)
        opt_state = jax.tree_util.tree_map(keep, new_state, opt_state)
        return (params, opt_state), loss

    (params, opt_state), losses = lax.scan(step, (params, opt_state), batches)
    return params, opt_state, losses


train_epoch = jax.jit(_train_epoch)


def _evaluate(params: NeuralParams, batch: Batch) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(sum of squared errors, number within the accuracy tolerance, number of ratings)."""
    pred = _predict(params, batch.users, batch.items)
    err = pred - batch.ratings
    within = (jnp.abs(err) <= ACCURACY_TOLERANCE)  # as metrics.rating_accuracy.astype(jnp.float32)
    return jnp.sum(batch.weight * err * err), jnp.sum(batch.weight * within), jnp.sum(batch.weight)


evaluate_jit = jax.jit(_evaluate)


# --- fixed shapes -----------------------------------------------------------------------------


def bucket_steps(n_batches: int) -> int:
    """Round a number of minibatches up to 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, ...

    Splits that differ by a few ratings then share one compiled epoch; at most a third of the
    scan steps are padding (skipped, see `_train_epoch`).
    """
    size = 1
    while size < n_batches:
        if size * 3 // 2 >= n_batches and size >= 2:
            return size * 3 // 2
        size *= 2
    return size


def make_batches(
    users: np.ndarray, items: np.ndarray, ratings: np.ndarray, batch_size: int, order: np.ndarray | None = None
) -> Batch:
    """Arrange ratings (in ``order``) into a (steps, batch_size) grid padded with weight 0."""
    n = len(ratings)
    order = np.arange(n) if order is None else order
    steps = bucket_steps(max(1, math.ceil(n / batch_size)))
    total = steps * batch_size
    weight = np.zeros(total, np.float32)
    weight[:n] = 1.0

    def grid(values: np.ndarray, dtype) -> jax.Array:
        out = np.zeros(total, dtype)
        out[:n] = values[order]
        return jnp.asarray(out.reshape(steps, batch_size))

    return Batch(
        users=grid(users, np.int32),
        items=grid(items, np.int32),
        ratings=grid(ratings, np.float32),
        weight=jnp.asarray(weight.reshape(steps, batch_size)),
    )


def _flat(batch: Batch) -> Batch:
    return Batch(*(x.reshape(-1) for x in batch))


# --- training run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NeuralConfig:
    """Settings of one neural training run (frozen and hashable, so it can key a cache).

    ``learning_rate`` and ``l2`` are traced: changing them reuses the compiled epoch. The other
    fields change shapes or the scorer and compile a new epoch once.

    Defaults are tuned on ``synthetic()`` (1000 x 500, 10,000 ratings, 80/20 holdout): training
    and validation MSE fall every epoch for the first five (validation about 1.19 -> 1.06) and
    validation accuracy rises about 33% -> 35% (the planted truth scores 49%); validation loss
    bottoms out around epoch 5-9. With only ~8 ratings per user, a strong ``l2`` (50 "pseudo
    ratings", see `neural_loss`) is what keeps 32-d embeddings from memorising; with 50,000
    ratings an ``l2`` near 2 does better.
    """

    embedding_dim: int = 32
    hidden: int = 64
    scorer: str = "mlp"
    learning_rate: float = 0.003
    l2: float = 50.0
    epochs: int = 5
    batch_size: int = 256
    seed: int = 0
    patience: int | None = None

    def __post_init__(self) -> None:
        if self.scorer not in SCORERS:
            raise ValueError(f"scorer must be one of {SCORERS}; got {self.scorer!r}")
        if not 1 <= self.epochs <= 50:
            raise ValueError(f"epochs must be between 1 and 50; got {self.epochs}")
        if self.embedding_dim < 1 or self.hidden < 1 or self.batch_size < 1:
            raise ValueError("embedding_dim, hidden and batch_size must be positive")
        if not self.learning_rate > 0 or self.l2 < 0:
            raise ValueError("learning_rate must be positive and l2 non-negative")


class NeuralTrainer:
    """Trains `NeuralParams` with Adam on MSE, a chunk of epochs at a time (`Trainer` protocol).

    Each epoch shuffles the training ratings on the host (numpy; seeded by config seed and epoch
    number, so a run is reproducible and `advance` never mutates its input), runs one jitted
    epoch, then measures MSE and accuracy (see `ACCURACY_DEFINITION`) on the training and
    validation ratings with the epoch's final weights.
    """

    loss_name = "MSE (stars²)"
    metric_name = "accuracy (within ±0.5 stars)"
    metric_higher_is_better = True

    def __init__(self, train: Ratings, val: Ratings | None, config: NeuralConfig = NeuralConfig()) -> None:
        if len(train) == 0:
            raise ValueError("cannot train on an empty set of ratings")
        self.train = train
        self.val = val
        self.config = config
        self.epochs = config.epochs
        self._hyper = Hyper(
            learning_rate=jnp.asarray(config.learning_rate, jnp.float32),
            l2=jnp.asarray(config.l2, jnp.float32),
            n_ratings=jnp.asarray(len(train), jnp.float32),
        )
        eval_size = 1024
        self._train_eval = _flat(make_batches(train.users, train.items, train.ratings, eval_size))
        self._val_eval = (
            None
            if val is None or len(val) == 0
            else _flat(make_batches(val.users, val.items, val.ratings, eval_size))
        )

    def start(self) -> TrainingRun:
        c = self.config
        params = init_neural(
            jax.random.PRNGKey(c.seed),
            self.train.n_users,
            self.train.n_items,
            c.embedding_dim,
            c.hidden,
            c.scorer,
            global_mean=self.train.global_mean,
        )
        # The untrained loss is the yardstick for divergence: Adam's bounded steps can blow the
        # loss up within the first epoch, which a comparison with epoch 1 would never notice.
        initial_loss, _ = self._measure(params, self._train_eval)
        return TrainingRun(params=params, opt_state=adam_init(params), extra={"initial_loss": initial_loss})

    def _measure(self, params: NeuralParams, batch: Batch | None) -> tuple[float, float]:
        if batch is None:
            return math.nan, math.nan
        sse, within, n = (float(x) for x in evaluate_jit(params, batch))
        return sse / n, within / n

    def advance(self, run: TrainingRun, n_epochs: int) -> TrainingRun:
        c = self.config
        for _ in range(n_epochs):
            if run.finished:
                break
            epoch = run.epochs_done + 1
            tic = time.perf_counter()
            order = np.random.default_rng((c.seed, epoch)).permutation(len(self.train))
            batches = make_batches(self.train.users, self.train.items, self.train.ratings, c.batch_size, order)
            params, opt_state, _ = train_epoch(run.params, run.opt_state, batches, self._hyper)
            train_loss, train_acc = self._measure(params, self._train_eval)
            val_loss, val_acc = self._measure(params, self._val_eval)
            record = EpochRecord(
                epoch=epoch,
                train_loss=train_loss,
                val_loss=val_loss if self._val_eval is not None else train_loss,
                train_metric=train_acc,
                val_metric=val_acc,
                seconds=time.perf_counter() - tic,
            )
            run = replace(run, params=params, opt_state=opt_state, history=(*run.history, record))
            first = run.extra.get("initial_loss", run.history[0].train_loss)
            message = divergence_message(train_loss, first, c.learning_rate)
            if message is not None:
                run = replace(run, stop_reason=DIVERGED, message=message)
                break
            run = update_best(run, record, params, c.patience)
            if not run.finished and run.epochs_done >= self.epochs:
                last = run.history[-1]
                run = replace(
                    run,
                    stop_reason=COMPLETED,
                    message=(
                        f"Finished {run.epochs_done} epochs: validation MSE {last.val_loss:.3f}, "
                        f"accuracy {last.val_metric:.0%}."
                    ),
                )
        return run


def fit_neural(train: Ratings, val: Ratings | None, config: NeuralConfig = NeuralConfig()) -> TrainingRun:
    """Train to the end (all epochs, early stopping or divergence) in one call."""
    trainer = NeuralTrainer(train, val, config)
    return trainer.advance(trainer.start(), config.epochs)
