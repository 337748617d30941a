"""Training runs as explicit state, advanced a chunk of epochs at a time.

A page cannot block on one long training loop: it has to redraw the loss chart after every
epoch and honour a Stop click. So a run is a value (`TrainingRun`) that a trainer advances by
a few epochs and hands back; the page stores it between reruns. Every model's trainer speaks
the same small protocol (`Trainer`), so one live-training widget serves every lesson.

This module holds what all trainers share: the per-epoch record, the observation text a
learner reads beside each epoch, divergence detection and early stopping. The model-specific
trainers live beside their models and build on these pieces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import jax

# Why a run ended; None while it can still go on.
COMPLETED = "completed"
EARLY_STOPPED = "early_stopped"
DIVERGED = "diverged"
STOPPED = "stopped"


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did, in the units the lesson reports (1-based epoch)."""

    epoch: int
    train_loss: float
    val_loss: float
    train_metric: float = math.nan  # the lesson's accuracy measure on training data
    val_metric: float = math.nan  # ... and on held-out data
    seconds: float = 0.0


@dataclass(frozen=True)
class TrainingRun:
    """One run's whole state: parameters, optimiser state, history and why it ended.

    ``best_params`` and ``best_epoch`` follow the lowest validation loss so early stopping can
    restore them. ``extra`` holds trainer-specific state (a numpy RNG for shuffling, batch
    norm statistics, ...).
    """

    params: Any
    opt_state: Any
    history: tuple[EpochRecord, ...] = ()
    best_params: Any = None
    best_epoch: int = 0
    stop_reason: str | None = None
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    @property
    def last(self) -> EpochRecord | None:
        return self.history[-1] if self.history else None


class Trainer(Protocol):
    """What the live-training widget needs from a model's trainer.

    ``start`` builds a fresh run (initialised parameters, no history); ``advance`` trains up to
    ``n_epochs`` more epochs and returns the new run, finished when the epoch budget is spent,
    early stopping fired or training diverged. Neither mutates its input.
    """

    loss_name: str  # e.g. "MSE (stars²)" or "binary cross-entropy"
    metric_name: str  # e.g. "RMSE (stars)" or "accuracy"
    metric_higher_is_better: bool
    epochs: int

    def start(self) -> TrainingRun: ...

    def advance(self, run: TrainingRun, n_epochs: int) -> TrainingRun: ...


def stop(run: TrainingRun) -> TrainingRun:
    """The learner pressed Stop: keep what was learned, say so."""
    if run.finished:
        return run
    return replace(
        run,
        stop_reason=STOPPED,
        message=f"Stopped by you after {run.epochs_done} epoch(s).",
    )


def divergence_message(loss: float, first_loss: float, learning_rate: float) -> str | None:
    """Explain a diverging run, or return None when the loss is still sane.

    A loss that is NaN/inf, or has grown to more than 10x where it started, will not come back:
    the steps are overshooting the minimum. The fix is nearly always a smaller learning rate.
    """
    if not math.isfinite(loss):
        what = "became NaN" if math.isnan(loss) else "became infinite"
    elif math.isfinite(first_loss) and first_loss > 0 and loss > 10 * first_loss:
        what = f"grew from {first_loss:.3g} to {loss:.3g}"
    else:
        return None
    return (
        f"Training diverged: the loss {what}. Each update overshot the minimum, so the "
        f"weights blew up. Lower the learning rate (it is {learning_rate:g}; try "
        f"{learning_rate / 10:g}) or raise L2 regularisation, then train again."
    )


def update_best(run: TrainingRun, record: EpochRecord, params: Any, patience: int | None) -> TrainingRun:
    """Track the best epoch by validation loss; finish the run when patience runs out.

    ``patience=None`` turns early stopping off (the best epoch is still tracked so the app can
    mark it). With early stopping on, the run ends holding the best epoch's parameters, as
    Keras's ``restore_best_weights=True`` does.
    """
    improved = run.best_epoch == 0 or record.val_loss < run.history[run.best_epoch - 1].val_loss
    if improved:
        run = replace(run, best_params=params, best_epoch=record.epoch)
    if patience is not None and record.epoch - run.best_epoch >= patience:
        best = run.history[run.best_epoch - 1]
        run = replace(
            run,
            params=run.best_params,
            stop_reason=EARLY_STOPPED,
            message=(
                f"Early stopping: validation loss has not improved for {patience} epochs, so "
                f"training stopped at epoch {record.epoch} and restored epoch "
                f"{run.best_epoch} (validation loss {best.val_loss:.4f})."
            ),
        )
    return run


def observations(history: tuple[EpochRecord, ...] | list[EpochRecord], higher_is_better: bool = True) -> list[str]:
    """One sentence per epoch describing what the numbers did, for the epoch table.

    The sentences are generated from the history, never canned: falling loss, a plateau,
    validation loss rising while training loss falls (overfitting), or a blow-up.
    """
    notes: list[str] = []
    best_val = math.inf
    for i, rec in enumerate(history):
        if not math.isfinite(rec.train_loss):
            notes.append("Loss is NaN/inf: training diverged — lower the learning rate.")
            continue
        if i == 0:
            notes.append("Starting point: the weights are random, so the loss is at its highest.")
            best_val = rec.val_loss
            continue
        prev = history[i - 1]
        change = (rec.train_loss - prev.train_loss) / max(abs(prev.train_loss), 1e-12)
        val_up = rec.val_loss > prev.val_loss + 1e-9
        if change > 0.5:
            note = "Training loss jumped up: steps are too large — the run is becoming unstable."
        elif val_up and rec.train_loss < prev.train_loss and rec.val_loss > best_val:
            note = (
                "Validation loss rose while training loss fell: the model is starting to "
                "memorise the training data (overfitting)."
            )
        elif change < -0.05:
            note = f"Loss fell {abs(change):.0%}: the model is still learning quickly."
        elif change < -0.005:
            note = f"Loss fell {abs(change):.1%}: learning is slowing down."
        elif change <= 0.005:
            note = "Loss barely moved: training has plateaued (converged)."
        else:
            note = "Loss rose a little: noise from minibatches, or a learning rate on the high side."
        if math.isfinite(rec.val_metric) and math.isfinite(prev.val_metric):
            better = rec.val_metric > prev.val_metric if higher_is_better else rec.val_metric < prev.val_metric
            if better and "overfitting" not in note:
                note += " Held-out accuracy improved."
        best_val = min(best_val, rec.val_loss)
        notes.append(note)
    return notes


def device_summary() -> str:
    """Which device JAX computes on, for the sidebar (respects JAX_PLATFORMS)."""
    devices = jax.devices()
    kind = devices[0].platform.upper()
    return f"{kind} ({len(devices)} device{'s' if len(devices) != 1 else ''}: {devices[0].device_kind})"


# =============================================================================================
# Biased matrix factorization: the JAX training engine
# =============================================================================================
#
# Why it is built this way (measured on 2 CPU cores, see DESIGN.md §7):
# - One epoch is one jitted call: `lax.scan` over minibatches beat a Python loop of jitted steps
#   by 1.5-2.7x, and the page only needs numbers once per epoch.
# - Each scan step gathers the rows its minibatch touches, computes their gradients in closed
#   form and scatter-adds the update. Letting `jax.grad` produce full-table gradients was
#   1.4-11x slower: most of every table is untouched by any one minibatch.
# - The learning rate, L2 and the bias switch are traced arguments, so a slider never
#   recompiles. Only shapes compile: k, the batch size, the table sizes and the bucketed number
#   of batches (plus the optimizer, which changes the program).
# - Shuffling happens on the host with numpy (`jax.random.permutation` of 1M indices took 0.73 s,
#   numpy 0.04 s); batches are padded to a bucketed count so folds that differ by a few ratings
#   share one compile. Padding uses an out-of-range row index: gathers clamp it and scatters
#   with ``mode="drop"`` discard it, so padding never changes a parameter.

import collections  # noqa: E402
import functools  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import NamedTuple  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from recsys_core.data import Ratings  # noqa: E402
from recsys_core.models import MFParams  # noqa: E402

_ADAM_B1 = 0.9
_ADAM_B2 = 0.999
_ADAM_EPS = 1e-8
_EVAL_CHUNK = 1024  # evaluation arrays are padded to a bucketed multiple of this

# How many times each module-level jitted function was traced (= compiled) in this process.
# The increments sit inside the traced bodies, which Python runs only while tracing.
_TRACE_COUNTS: collections.Counter[str] = collections.Counter()


def compile_count(name: str = "mf_epoch") -> int:
    """Times the jitted function ``name`` ("mf_epoch", "mf_errors", "mf_predict", "mf_folds") was compiled.

    A test hook: training with a new learning rate or L2 must leave ``compile_count()`` alone.
    """
    return _TRACE_COUNTS[name]


@dataclass(frozen=True)
class MFConfig:
    """Hyperparameters of one MF training run (frozen, so it can key a Streamlit cache).

    ``learning_rate`` is per rating, as in Surprise's SVD: every rating in a minibatch takes its
    own step ``lr * gradient of its term of the loss`` and the steps are summed into the rows
    (equivalently, a step of ``lr * batch_size`` on the minibatch's mean loss). So the value does
    not have to change with ``batch_size``. With ``optimizer="adam"`` it is Adam's step size.
    ``l2_bias`` (None = same as ``l2``) regularises the biases separately from the factors;
    ``lr_decay`` multiplies the learning rate after every epoch (1.0 = constant).
    """

    k: int = 10
    learning_rate: float = 0.005
    l2: float = 0.1
    epochs: int = 20
    batch_size: int = 256
    optimizer: str = "sgd"  # "sgd" | "adam"
    seed: int = 0
    use_bias: bool = True
    init_scale: float = 0.1
    patience: int | None = None
    l2_bias: float | None = None
    lr_decay: float = 1.0

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.k < 1 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("k, batch_size and epochs must be at least 1")

    def learning_rate_at(self, epoch: int) -> float:
        """The learning rate used in (1-based) ``epoch``."""
        return self.learning_rate * self.lr_decay ** (epoch - 1)


class MFHyper(NamedTuple):
    """The traced hyperparameters of one epoch: new values reuse the compiled program."""

    learning_rate: jax.Array
    l2: jax.Array
    l2_bias: jax.Array
    bias_on: jax.Array  # 1.0 learns biases, 0.0 keeps them at zero (plain p.q)

    @classmethod
    def of(cls, learning_rate: float, l2: float, l2_bias: float | None = None, use_bias: bool = True) -> MFHyper:
        f32 = np.float32
        return cls(f32(learning_rate), f32(l2), f32(l2 if l2_bias is None else l2_bias), f32(1.0 if use_bias else 0.0))


class LazyAdamState(NamedTuple):
    """Adam moments for every table, updated only on the rows a minibatch touches.

    Lazy (sparse) Adam, as TensorFlow's LazyAdam: a row's moments move only when the row
    appears in a minibatch, so a step costs O(batch) rather than O(table), and a rarely rated
    item is not dragged along by stale momentum while nobody rates it. Bias correction uses the
    global step count.
    """

    m: MFParams
    v: MFParams
    step: jax.Array  # () float32: minibatches seen


def init_mf_numpy(seed: int, n_users: int, n_items: int, k: int, global_mean: float = 0.0, init_scale: float = 0.1) -> MFParams:
    """`init_mf`'s distribution drawn with numpy from ``seed``.

    The trainer uses this: eager `jax.random` compiles several small programs on first use,
    which took seconds on a busy 2-core machine for a one-off table of random numbers.
    """
    rng = np.random.default_rng(seed)
    return MFParams(
        global_mean=jnp.asarray(global_mean, jnp.float32),
        user_bias=jnp.asarray(np.zeros(n_users, np.float32)),
        item_bias=jnp.asarray(np.zeros(n_items, np.float32)),
        user_factors=jnp.asarray((init_scale * rng.standard_normal((n_users, k))).astype(np.float32)),
        item_factors=jnp.asarray((init_scale * rng.standard_normal((n_items, k))).astype(np.float32)),
    )


def init_opt_state(params: MFParams, optimizer: str) -> LazyAdamState | tuple:
    """Optimizer state: nothing for SGD, zero moments for Adam."""
    if optimizer == "sgd":
        return ()
    zeros = jax.tree.map(lambda leaf: jnp.asarray(np.zeros(leaf.shape, np.float32)), params)
    return LazyAdamState(m=zeros, v=zeros, step=jnp.zeros((), jnp.float32))


def _gather(table: jax.Array, index: jax.Array) -> jax.Array:
    # Padding rows carry an out-of-range index; clamping reads a real row whose result is
    # never written back (the scatters below drop out-of-range indices).
    return table.at[index].get(mode="clip")


def mf_row_gradients(params: MFParams, users: jax.Array, items: jax.Array, ratings: jax.Array, hyper: MFHyper) -> MFParams:
    """Per-rating gradients of ``mf_loss``'s terms with respect to the rows each rating uses.

    For e = r_hat - r the term is e² + l2 (|p_u|² + |q_i|²) + l2_bias (b_u² + b_i²), so
    d/dp_u = 2 (e q_i + l2 p_u), d/dq_i = 2 (e p_u + l2 q_i), d/db_u = 2 (e + l2_bias b_u).
    Returned as an MFParams of per-rating rows (global_mean slot: zeros, mu is not learned).
    """
    p = _gather(params.user_factors, users)
    q = _gather(params.item_factors, items)
    bu = _gather(params.user_bias, users)
    bi = _gather(params.item_bias, items)
    err = params.global_mean + bu + bi + jnp.sum(p * q, axis=-1) - ratings
    return MFParams(
        global_mean=jnp.zeros_like(err),
        user_bias=2.0 * hyper.bias_on * (err + hyper.l2_bias * bu),
        item_bias=2.0 * hyper.bias_on * (err + hyper.l2_bias * bi),
        user_factors=2.0 * (err[:, None] * q + hyper.l2 * p),
        item_factors=2.0 * (err[:, None] * p + hyper.l2 * q),
    )


def mf_sgd_step(params: MFParams, users: jax.Array, items: jax.Array, ratings: jax.Array, hyper: MFHyper) -> MFParams:
    """One minibatch of SGD touching only the minibatch's rows (scatter-add of per-rating steps).

    A row rated twice in the batch receives both steps, so the update equals
    ``params - lr * grad(sum of the batch's loss terms)`` exactly.
    """
    g = mf_row_gradients(params, users, items, ratings, hyper)
    lr = hyper.learning_rate
    return params._replace(
        user_bias=params.user_bias.at[users].add(-lr * g.user_bias, mode="drop"),
        item_bias=params.item_bias.at[items].add(-lr * g.item_bias, mode="drop"),
        user_factors=params.user_factors.at[users].add(-lr * g.user_factors, mode="drop"),
        item_factors=params.item_factors.at[items].add(-lr * g.item_factors, mode="drop"),
    )


def _sum_duplicates(index: jax.Array, values: jax.Array) -> jax.Array:
    """For each position j, the sum of ``values`` over all positions with the same index."""
    order = jnp.argsort(index)
    ordered = index[order]
    starts = jnp.concatenate([jnp.ones((1,), jnp.int32), (ordered[1:] != ordered[:-1]).astype(jnp.int32)])
    slot = jnp.zeros_like(index).at[order].set(jnp.cumsum(starts) - 1)
    totals = jnp.zeros_like(values).at[slot].add(values)
    return totals[slot]


def _lazy_adam_rows(table, m, v, index, grads, lr, bc1, bc2):
    """Adam on the rows in ``index``; duplicate indices first sum their gradients.

    The sums go through a batch-sized scratch (one slot per distinct row, found by sorting the
    batch's indices), not a table-sized one: zeroing a whole table every step cost ~8x more.
    """
    g = _sum_duplicates(index, grads)
    m_rows = _ADAM_B1 * _gather(m, index) + (1.0 - _ADAM_B1) * g
    v_rows = _ADAM_B2 * _gather(v, index) + (1.0 - _ADAM_B2) * g * g
    new_rows = _gather(table, index) - lr * (m_rows / bc1) / (jnp.sqrt(v_rows / bc2) + _ADAM_EPS)
    # Duplicates compute identical rows, so whichever write wins is the same value.
    return (
        table.at[index].set(new_rows, mode="drop"),
        m.at[index].set(m_rows, mode="drop"),
        v.at[index].set(v_rows, mode="drop"),
    )


def mf_adam_step(params: MFParams, state: LazyAdamState, users: jax.Array, items: jax.Array, ratings: jax.Array, hyper: MFHyper) -> tuple[MFParams, LazyAdamState]:
    """One minibatch of lazy Adam (see `LazyAdamState`) on the rows the minibatch touches."""
    g = mf_row_gradients(params, users, items, ratings, hyper)
    real = jnp.any(users < params.user_bias.shape[0]).astype(jnp.float32)  # all-padding batch: no step
    step = state.step + real
    t = jnp.maximum(step, 1.0)
    bc1, bc2 = 1.0 - _ADAM_B1**t, 1.0 - _ADAM_B2**t
    lr = hyper.learning_rate
    new, m, v = {}, {}, {}
    for name, index in (("user_bias", users), ("item_bias", items), ("user_factors", users), ("item_factors", items)):
        new[name], m[name], v[name] = _lazy_adam_rows(
            getattr(params, name), getattr(state.m, name), getattr(state.v, name), index, getattr(g, name), lr, bc1, bc2
        )
    return (
        params._replace(**new),
        LazyAdamState(m=state.m._replace(**m), v=state.v._replace(**v), step=step),
    )


@functools.partial(jax.jit, static_argnames=("optimizer",))
def mf_epoch(
    params: MFParams,
    opt_state: LazyAdamState | tuple,
    users: jax.Array,
    items: jax.Array,
    ratings: jax.Array,
    hyper: MFHyper,
    optimizer: str = "sgd",
) -> tuple[MFParams, LazyAdamState | tuple]:
    """One epoch: `lax.scan` over minibatches shaped (n_batches, batch_size), one compiled call.

    Rows padded with an out-of-range user index are no-ops (see the section comment).
    """
    _TRACE_COUNTS["mf_epoch"] += 1

    def sgd_body(carry, batch):
        params, state = carry
        return (mf_sgd_step(params, *batch, hyper), state), None

    def adam_body(carry, batch):
        return mf_adam_step(*carry, *batch, hyper), None

    body = sgd_body if optimizer == "sgd" else adam_body
    (params, opt_state), _ = lax.scan(body, (params, opt_state), (users, items, ratings))
    return params, opt_state


@jax.jit
def mf_errors(params: MFParams, users: jax.Array, items: jax.Array, ratings: jax.Array, weights: jax.Array, low: jax.Array, high: jax.Array) -> jax.Array:
    """Sums over the weighted ratings: [squared error, squared error clipped, |error| clipped, count].

    Inputs are padded to a multiple of ``_EVAL_CHUNK`` and scanned chunk by chunk: one gather
    of 80K rows at once ran several times slower on XLA CPU than the same work in chunks.
    """
    _TRACE_COUNTS["mf_errors"] += 1
    chunks = tuple(x.reshape(-1, _EVAL_CHUNK) for x in (users, items, ratings, weights))

    def body(totals, chunk):
        u, i, r, w = chunk
        dot = jnp.sum(_gather(params.user_factors, u) * _gather(params.item_factors, i), axis=-1)
        pred = params.global_mean + _gather(params.user_bias, u) + _gather(params.item_bias, i) + dot
        err = pred - r
        clipped = jnp.clip(pred, low, high) - r
        return totals + jnp.stack([
            jnp.sum(w * err * err), jnp.sum(w * clipped * clipped), jnp.sum(w * jnp.abs(clipped)), jnp.sum(w)
        ]), None

    totals, _ = lax.scan(body, jnp.zeros(4, jnp.float32), chunks)
    return totals


@jax.jit
def _mf_predict_clipped(params: MFParams, users: jax.Array, items: jax.Array, low: jax.Array, high: jax.Array) -> jax.Array:
    _TRACE_COUNTS["mf_predict"] += 1
    dot = jnp.sum(_gather(params.user_factors, users) * _gather(params.item_factors, items), axis=-1)
    pred = params.global_mean + _gather(params.user_bias, users) + _gather(params.item_bias, items) + dot
    return jnp.clip(pred, low, high)


def bucket_batches(n_batches: int) -> int:
    """Round a batch count up to one of few sizes (≤ 1/8 wasted) so similar data share a compile.

    Powers of two up to 16, then multiples of 2^(bits-4): 313 -> 320, 312 -> 320, 1000 -> 1024.
    """
    if n_batches <= 16:
        return 1 << max(0, (n_batches - 1).bit_length())
    step = 1 << (n_batches.bit_length() - 4)
    return -(-n_batches // step) * step


def _pad(values: np.ndarray, length: int, fill) -> np.ndarray:
    out = np.full(length, fill, dtype=values.dtype)
    out[: len(values)] = values
    return out


@dataclass(frozen=True, eq=False)
class _EvalSet:
    """A ratings split padded to a bucketed length, ready for `mf_errors` (weight 0 = padding)."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, data: Ratings, min_chunks: int = 1) -> _EvalSet:
        length = bucket_batches(max(min_chunks, -(-len(data) // _EVAL_CHUNK))) * _EVAL_CHUNK
        return cls(
            users=_pad(data.users.astype(np.int32), length, 0),
            items=_pad(data.items.astype(np.int32), length, 0),
            ratings=_pad(data.ratings.astype(np.float32), length, 0.0),
            weights=_pad(np.ones(len(data), np.float32), length, 0.0),
        )


def _error_summary(params: MFParams, data: _EvalSet, rating_scale: tuple[float, float]) -> tuple[float, float, float]:
    """(MSE of raw predictions, RMSE of clipped predictions, MAE of clipped predictions)."""
    sse, sse_clipped, sae_clipped, count = np.asarray(
        mf_errors(params, data.users, data.items, data.ratings, data.weights,
                  np.float32(rating_scale[0]), np.float32(rating_scale[1]))
    ).astype(np.float64)
    count = max(float(count), 1.0)
    rmse = math.sqrt(sse_clipped / count) if math.isfinite(sse_clipped) else math.nan
    return float(sse / count), rmse, float(sae_clipped / count)


def _all_finite(params: MFParams) -> bool:
    return all(bool(jnp.isfinite(leaf).all()) for leaf in jax.tree.leaves(params))


class MFTrainer:
    """Trains biased MF a chunk of epochs at a time (the `Trainer` protocol).

    Per epoch it records: ``train_loss`` = training MSE (stars², the data term of the loss
    without the L2 penalty, measured with the parameters at the end of the epoch so it is
    comparable with ``val_loss``); ``val_loss`` = validation MSE; ``train_metric`` /
    ``val_metric`` = RMSE of the predictions as shown to a user (clipped to the rating scale,
    as Surprise reports it); ``seconds`` = wall time of the epoch including evaluation.
    Without validation data the validation numbers are the training numbers.
    """

    loss_name = "MSE (stars²)"
    metric_name = "RMSE (stars)"
    metric_higher_is_better = False

    def __init__(self, train: Ratings, val: Ratings | None, config: MFConfig, min_batches: int = 1) -> None:
        """``min_batches`` forces a larger batch bucket (a test hook: padding must not matter)."""
        if len(train) == 0:
            raise ValueError("cannot train on an empty ratings set")
        self.train = train
        self.val = val
        self.config = config
        self.epochs = config.epochs
        self.rating_scale = train.rating_scale
        n_batches = -(-len(train) // config.batch_size)
        self.n_batches = bucket_batches(max(n_batches, min_batches))
        self._train_eval = _EvalSet.of(train)
        self._val_eval = _EvalSet.of(val) if val is not None and len(val) else None

    def start(self) -> TrainingRun:
        """Fresh parameters (seeded), empty history; mu = training mean when biases are on."""
        cfg = self.config
        mu = self.train.global_mean if cfg.use_bias else 0.0
        params = init_mf_numpy(cfg.seed, self.train.n_users, self.train.n_items, cfg.k, mu, cfg.init_scale)
        initial_mse, _, _ = _error_summary(params, self._train_eval, self.rating_scale)
        return TrainingRun(params=params, opt_state=init_opt_state(params, cfg.optimizer), extra={"initial_loss": initial_mse})

    def score(self, params: MFParams, data: Ratings) -> tuple[float, float, float]:
        """(MSE, RMSE, MAE) of ``params`` on ``data``, predictions clipped for RMSE and MAE.

        ``data`` is padded to at least the training set's evaluation length so a test fold
        reuses the program compiled for training instead of compiling its own.
        """
        chunks = len(self._train_eval.users) // _EVAL_CHUNK
        return _error_summary(params, _EvalSet.of(data, min_chunks=chunks), self.rating_scale)

    def epoch_batches(self, epoch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The shuffled, padded minibatches of (1-based) ``epoch``: (n_batches, batch_size) each.

        The order depends only on (seed, epoch), so a run resumed chunk by chunk sees the same
        batches as one run straight through.
        """
        cfg, data = self.config, self.train
        order = np.random.default_rng((cfg.seed, epoch)).permutation(len(data))
        length = self.n_batches * cfg.batch_size
        shape = (self.n_batches, cfg.batch_size)
        users = _pad(data.users[order].astype(np.int32), length, data.n_users).reshape(shape)
        items = _pad(data.items[order].astype(np.int32), length, data.n_items).reshape(shape)
        ratings = _pad(data.ratings[order].astype(np.float32), length, 0.0).reshape(shape)
        return users, items, ratings

    def advance(self, run: TrainingRun, n_epochs: int) -> TrainingRun:
        """Train up to ``n_epochs`` more epochs; returns a new run (the input is not changed)."""
        cfg = self.config
        todo = min(n_epochs, self.epochs - run.epochs_done)
        for _ in range(max(todo, 0)):
            if run.finished:
                return run
            epoch = run.epochs_done + 1
            started = time.perf_counter()
            lr = cfg.learning_rate_at(epoch)
            hyper = MFHyper.of(lr, cfg.l2, cfg.l2_bias, cfg.use_bias)
            params, opt_state = mf_epoch(run.params, run.opt_state, *self.epoch_batches(epoch), hyper, optimizer=cfg.optimizer)
            train_mse, train_rmse, _ = _error_summary(params, self._train_eval, self.rating_scale)
            if self._val_eval is None:
                val_mse, val_rmse = train_mse, train_rmse
            else:
                val_mse, val_rmse, _ = _error_summary(params, self._val_eval, self.rating_scale)
            record = EpochRecord(epoch, train_mse, val_mse, train_rmse, val_rmse, time.perf_counter() - started)
            problem = divergence_message(train_mse, run.extra.get("initial_loss", math.nan), cfg.learning_rate)
            if problem is None and not (math.isfinite(val_mse) and _all_finite(params)):
                problem = divergence_message(math.nan, math.nan, cfg.learning_rate)
            if problem is not None:
                # Keep the last finite parameters: the blown-up ones are of no use to anyone.
                return replace(run, history=run.history + (record,), stop_reason=DIVERGED, message=problem)
            run = replace(run, params=params, opt_state=opt_state, history=run.history + (record,))
            run = update_best(run, record, params, cfg.patience)
        if not run.finished and run.epochs_done >= self.epochs:
            last = run.history[-1]
            best = run.history[run.best_epoch - 1]
            run = replace(
                run,
                stop_reason=COMPLETED,
                message=(
                    f"Finished all {self.epochs} epochs: validation RMSE {last.val_metric:.4f} "
                    f"(best {best.val_metric:.4f} at epoch {run.best_epoch})."
                ),
            )
        return run


def fit_mf(train: Ratings, val: Ratings | None, config: MFConfig) -> TrainingRun:
    """Train to the end of the epoch budget (or early stopping / divergence) in one call."""
    trainer = MFTrainer(train, val, config)
    return trainer.advance(trainer.start(), config.epochs)


def predict_ratings(params: MFParams, users: np.ndarray, items: np.ndarray, rating_scale: tuple[float, float] = (1, 5)) -> np.ndarray:
    """Predicted ratings clipped to the scale, as numpy (inputs padded so sizes share a compile)."""
    users = np.asarray(users, np.int32)
    items = np.asarray(items, np.int32)
    n = len(users)
    if n == 0:
        return np.zeros(0, np.float32)
    length = bucket_batches(-(-n // _EVAL_CHUNK)) * _EVAL_CHUNK
    out = _mf_predict_clipped(params, _pad(users, length, 0), _pad(items, length, 0),
                              np.float32(rating_scale[0]), np.float32(rating_scale[1]))
    return np.asarray(out)[:n]


def gradient_step_trace(params: MFParams, train: Ratings, user: int, learning_rate: float, l2: float) -> dict:
    """The lesson's "update features" stage: one gradient step on one user's features, as numpy.

    With the item features held fixed, take the user's part of the loss — the mean over the
    user's known ratings of squared error plus ``l2 * (|p_u|² + b_u²)`` — and step ``p_u`` and
    ``b_u`` once down its gradient (``after = before - learning_rate * gradient``). Returned:
    the user's known ``items`` and ``ratings``; ``user_vector_before`` / ``gradient`` /
    ``user_vector_after``; the same for the bias (``user_bias_before``, ``bias_gradient``,
    ``user_bias_after``); ``predictions_before`` / ``predictions_after`` on the known items;
    and ``loss_before`` / ``loss_after`` (the user's loss) and ``mse_before`` / ``mse_after``.
    A user with no ratings gets a zero gradient: nothing to learn from.
    """
    mask = train.users == user
    items = train.items[mask].astype(np.int32)
    ratings = train.ratings[mask].astype(np.float32)
    p = np.asarray(params.user_factors[user], np.float64)
    b = float(params.user_bias[user])
    q = np.asarray(params.item_factors, np.float64)[items]
    base = float(params.global_mean) + np.asarray(params.item_bias, np.float64)[items]

    def user_loss(vector: np.ndarray, bias: float) -> tuple[float, float, np.ndarray]:
        pred = base + bias + q @ vector
        mse = float(np.mean((pred - ratings) ** 2)) if len(items) else 0.0
        return mse + l2 * (float(vector @ vector) + bias * bias), mse, pred

    loss_before, mse_before, pred_before = user_loss(p, b)
    if len(items):
        err = pred_before - ratings
        grad_p = 2.0 * (q.T @ err) / len(items) + 2.0 * l2 * p
        grad_b = 2.0 * float(err.mean()) + 2.0 * l2 * b
    else:
        grad_p, grad_b = np.zeros_like(p), 0.0
    p_after = p - learning_rate * grad_p
    b_after = b - learning_rate * grad_b
    loss_after, mse_after, pred_after = user_loss(p_after, b_after)
    return {
        "items": items,
        "ratings": ratings,
        "user_vector_before": p.astype(np.float32),
        "gradient": grad_p.astype(np.float32),
        "user_vector_after": p_after.astype(np.float32),
        "user_bias_before": b,
        "bias_gradient": grad_b,
        "user_bias_after": b_after,
        "predictions_before": pred_before.astype(np.float32),
        "predictions_after": pred_after.astype(np.float32),
        "loss_before": loss_before,
        "loss_after": loss_after,
        "mse_before": mse_before,
        "mse_after": mse_after,
        "learning_rate": learning_rate,
        "l2": l2,
    }


# ---------------------------------------------------------------------------------------------
# k-fold cross-validation in one compiled program
# ---------------------------------------------------------------------------------------------
#
# Scoring a configuration trains one model per fold. Doing that fold by fold through `MFTrainer`
# compiled several programs (the epoch, the evaluation, eager checks) and paid Python and
# dispatch costs per fold and epoch; on 2 busy cores compiling alone took longer than
# Surprise's whole run. So `fit_mf_folds` trains every fold, every epoch, in one jitted call
# whose program is as small as we could make it (XLA CPU compile time grows with every kernel):
# - The folds' tables are stacked row-wise into one block-diagonal problem (fold f's user u is
#   row f * n_users + u), so one scan step updates a minibatch from every fold with plain
#   gathers and scatters: no vmap (batched gathers compiled 2-3x slower here), no fold loop.
# - Each bias rides in its factor table as an extra column, opposite a constant-1 column (user
#   row [p, b_u, 1], item row [q, 1, b_i], so the dot product is p.q + b_u + b_i): two gathers
#   and two scatters per step instead of four of each. Per-column masks keep the constant
#   columns fixed and carry L2 and the bias switch.
# - Ratings are centred on their fold's mean, so mu drops out of the step.
# - The minibatches (MFTrainer's exact shuffles) and the per-step learning rate are built on
#   the host; epochs are just more scan steps. The test folds are scored with numpy from the
#   returned tables, once: no evaluation inside the program.


@functools.partial(jax.jit, donate_argnums=(0, 1))
def _mf_folds_program(
    user_rows: jax.Array,  # (F * n_users, k + 2): [p, b_u, 1] per fold, stacked
    item_rows: jax.Array,  # (F * n_items, k + 2): [q, 1, b_i]
    users: jax.Array,  # (steps, F * batch) int32 rows of user_rows; out of range = padding
    items: jax.Array,  # (steps, F * batch)
    ratings: jax.Array,  # (steps, F * batch), centred on each fold's mean
    step_sizes: jax.Array,  # (steps,) = -2 * learning rate of the step's epoch
    user_scale: jax.Array,  # (k + 2,) which user columns learn: [1..1, bias_on, 0]
    item_scale: jax.Array,  # (k + 2,) [1..1, 0, bias_on]
    user_l2: jax.Array,  # (k + 2,) [l2..l2, l2_bias, 0]
    item_l2: jax.Array,  # (k + 2,) [l2..l2, 0, l2_bias]
) -> tuple[jax.Array, jax.Array]:
    """Per-rating SGD over every step of every epoch of every fold; returns the final tables."""
    _TRACE_COUNTS["mf_folds"] += 1

    def step(tables, batch):
        user_rows, item_rows = tables
        u, i, r, step_size = batch
        p = _gather(user_rows, u)
        q = _gather(item_rows, i)
        err = (jnp.sum(p * q, axis=-1) - r)[:, None]
        user_rows = user_rows.at[u].add(step_size * user_scale * (err * q + user_l2 * p), mode="drop")
        item_rows = item_rows.at[i].add(step_size * item_scale * (err * p + item_l2 * q), mode="drop")
        return (user_rows, item_rows), None

    (user_rows, item_rows), _ = lax.scan(step, (user_rows, item_rows), (users, items, ratings, step_sizes))
    return user_rows, item_rows


@dataclass(frozen=True)
class FoldScores:
    """What `fit_mf_folds` returns: per-fold test RMSE and MAE (clipped predictions) and params."""

    rmse: tuple[float, ...]
    mae: tuple[float, ...]
    params: tuple[MFParams, ...]


def fit_mf_folds(folds: Sequence[tuple[Ratings, Ratings]], config: MFConfig) -> FoldScores:
    """Train one model per (train, test) fold, all folds in one compiled call; score each test fold.

    The same model, initial parameters, minibatches (``MFTrainer.epoch_batches``), learning
    rate schedule, L2 and bias switch as training each fold with `MFTrainer`, so the results
    agree with fold-by-fold training up to float rounding. SGD only (no Adam), no early stopping
    or divergence check (a diverged fold scores NaN). Folds share one padded shape, so any
    number of folds compiles once per (k, batch size, steps, table sizes).
    """
    if config.optimizer != "sgd":
        raise ValueError("fit_mf_folds trains with SGD only; use MFTrainer for Adam")
    if not folds or any(len(train) == 0 for train, _ in folds):
        raise ValueError("every fold needs training ratings")
    n_folds, k, batch = len(folds), config.k, config.batch_size
    n_users, n_items = folds[0][0].n_users, folds[0][0].n_items
    n_batches = bucket_batches(-(-max(len(train) for train, _ in folds) // batch))
    steps = config.epochs * n_batches

    # Same initial factors for every fold, as MFTrainer draws them (init_mf_numpy, config.seed).
    init = np.random.default_rng(config.seed)
    user_init = (config.init_scale * init.standard_normal((n_users, k))).astype(np.float32)
    item_init = (config.init_scale * init.standard_normal((n_items, k))).astype(np.float32)
    user_rows = np.zeros((n_folds, n_users, k + 2), np.float32)
    item_rows = np.zeros((n_folds, n_items, k + 2), np.float32)
    user_rows[:, :, :k], user_rows[:, :, k + 1] = user_init, 1.0
    item_rows[:, :, :k], item_rows[:, :, k] = item_init, 1.0

    # (steps, F, batch): step s of epoch e holds each fold's s-th minibatch of that epoch.
    users = np.empty((config.epochs, n_batches, n_folds, batch), np.int32)
    items = np.empty_like(users)
    ratings = np.empty(users.shape, np.float32)
    means = np.zeros(n_folds, np.float32)
    for f, (train, _) in enumerate(folds):
        means[f] = train.global_mean if config.use_bias else 0.0
        shape = (n_batches, batch)
        for e in range(config.epochs):
            order = np.random.default_rng((config.seed, e + 1)).permutation(len(train))
            users[e, :, f] = _pad(train.users[order] + np.int32(f * n_users), n_batches * batch, n_folds * n_users).reshape(shape)
            items[e, :, f] = _pad(train.items[order] + np.int32(f * n_items), n_batches * batch, n_folds * n_items).reshape(shape)
            ratings[e, :, f] = _pad(train.ratings[order] - means[f], n_batches * batch, 0.0).reshape(shape)
    step_sizes = np.repeat([-2.0 * config.learning_rate_at(e) for e in range(1, config.epochs + 1)], n_batches)
    hyper = MFHyper.of(0.0, config.l2, config.l2_bias, config.use_bias)
    ones, zero, bias_on = np.ones(k, np.float32), np.zeros(1, np.float32), np.float32(hyper.bias_on)[None]
    l2, l2_bias = np.full(k, hyper.l2, np.float32), np.float32(hyper.l2_bias)[None]

    users_out, items_out = _mf_folds_program(
        user_rows.reshape(-1, k + 2), item_rows.reshape(-1, k + 2),
        users.reshape(steps, -1), items.reshape(steps, -1), ratings.reshape(steps, -1),
        step_sizes.astype(np.float32),
        np.concatenate([ones, bias_on, zero]), np.concatenate([ones, zero, bias_on]),
        np.concatenate([l2, l2_bias, zero]), np.concatenate([l2, zero, l2_bias]),
    )
    users_out = np.asarray(users_out).reshape(n_folds, n_users, k + 2)
    items_out = np.asarray(items_out).reshape(n_folds, n_items, k + 2)

    low, high = folds[0][0].rating_scale
    rmses, maes, params = [], [], []
    for f, (_, test) in enumerate(folds):
        pred = means[f] + np.einsum("ij,ij->i", users_out[f, test.users], items_out[f, test.items])
        err = np.clip(pred, low, high) - test.ratings
        rmses.append(float(np.sqrt(np.mean(err * err))) if len(test) else math.nan)
        maes.append(float(np.mean(np.abs(err))) if len(test) else math.nan)
        params.append(MFParams(
            global_mean=jnp.asarray(means[f]),
            user_bias=jnp.asarray(users_out[f, :, k]),
            item_bias=jnp.asarray(items_out[f, :, k + 1]),
            user_factors=jnp.asarray(users_out[f, :, :k]),
            item_factors=jnp.asarray(items_out[f, :, :k]),
        ))
    return FoldScores(rmse=tuple(rmses), mae=tuple(maes), params=tuple(params))
