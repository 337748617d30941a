"""The Gibbs sampler of Bayesian biased MF: data layout, conditionals and one jitted sweep.

The arithmetic of `recsys_core.training.bayes`, kept apart from its user-facing API (config, the
app's init/run/evaluate shape, predictions) so each stays readable; numpy and JAX only.

The model, for one training set (mu = the training mean, fixed):

    r_ui ~ N(mu + b_u + c_i + p_u . q_i, 1 / tau)
    x_u = [p_u, b_u] ~ N(m_U, Lambda_U^-1),  (m_U, Lambda_U) ~ NormalWishart(0, beta0, w0 I, nu0)
    y_i = [q_i, c_i] ~ N(m_V, Lambda_V^-1),  (m_V, Lambda_V) ~ NormalWishart(0, beta0, w0 I, nu0)
    tau ~ Gamma(a0, b0)

Each bias rides in its row as one more dimension whose partner on the other side is a constant
1 (the user side sees item rows as [q_i, 1] and ratings less c_i), so biases and factors share
one conjugate update. The hyperprior is Normal-Wishart, as in BPMF, not Normal-Gamma per
dimension: every row's conditional needs a full (k+1) x (k+1) Cholesky anyway, so a full prior
precision costs nothing extra, and it lets the data correlate the dimensions (e.g. an item's
bias with its taste loadings). Normal-Gamma pays off when k is in the hundreds.

How a sweep is computed (XLA CPU, 2 cores; the figures are in bench/README.md):
- A row's conditional needs the Gram matrix of the rows it rated. The rating list is cut, on
  the host, into fixed-length chunks that each belong to one row (a row with n ratings owns
  ceil(n / chunk) chunks, zero-padded); one batched einsum makes every chunk's Gram matrix and
  one sorted segment sum adds them per row. That ran 4x faster than a scatter-add of
  per-rating outer products at 100K ratings (2.5x at 1M) and beat a dense rating-matrix matmul
  at 1M. Rows bucketed by length (a padded batch per power of two) ran about as fast, but
  took 2-5x longer to compile; chunks are two ops whatever the popularity curve.
- The Gram is taken of [design, residual], so the same matmul yields the right-hand side and
  the sum of squared residuals, from which the noise precision's conditional follows with no
  second pass over the ratings.
- k-fold scoring stacks the folds block-diagonally (fold f's user u is row f * n_users + u)
  with their own hyperparameters and noise, so all folds run in one compiled program; every
  fold draws from its own random stream, so a fold gives the same chain alone or stacked.
- Every random number is drawn on the host with numpy and scanned in (`SweepNoise`): none
  depends on the data, and generating them inside the program (a counter-based generator
  inlined per `jax.random` call, a rejection loop for the Gamma) was half the compile time.
- Shapes are fixed (chunks padded to a bucketed count); the hyperprior settings, burn-in,
  length of the chain and the seed are traced or host-side, so changing them never
  recompiles. Only the rank, the data's padded shapes and sweeps per call compile.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.linalg import solve_triangular

from recsys_core.data import Ratings

# Ratings per chunk of a row's rating list (see the module docstring). 32 and 64 ran within
# noise of each other at 100K and 1M ratings; 32 wastes less on the many rarely rated items.
CHUNK = 32

# How many times each jitted function was traced (= compiled) in this process; the counter
# sits inside the traced bodies, which Python runs only while tracing.
_TRACE_COUNTS: collections.Counter[str] = collections.Counter()


def compile_count(name: str = "gibbs_sweeps") -> int:
    """Times the jitted function ``name`` was compiled (a test hook, as in `recsys_core.train`)."""
    return _TRACE_COUNTS[name]


class BayesHyper(NamedTuple):
    """Traced settings of a sweep (see `recsys_core.training.bayes.BayesConfig`): new values never recompile.

    The Wishart degrees of freedom, the noise prior's shape and the seed enter only through
    the random numbers drawn on the host (`draw_noise`).
    """

    prior_strength: jax.Array
    wishart_scale: jax.Array
    noise_rate: jax.Array
    burn_in: jax.Array  # int32: sweeps before the first kept sample
    total_sweeps: jax.Array  # int32: sweeps after which nothing more is kept
    low: jax.Array  # rating scale, for the clipped RMSE trace
    high: jax.Array


class Layout(NamedTuple):
    """One or more training sets (folds) and their evaluation pairs, padded to fixed shapes.

    Row indices are absolute in the stacked tables (fold f's user u is f * n_users + u). A
    ``*_other`` slot holding the other table's row count is padding: it gathers a zero row.
    Ratings are stored centred on their fold's mean.
    """

    user_other: jax.Array  # (user chunks, CHUNK) int32: item row of each rating of the chunk
    user_rating: jax.Array  # (user chunks, CHUNK) float32
    user_row: jax.Array  # (user chunks,) int32, sorted: the user row the chunk belongs to
    item_other: jax.Array  # the same for the item side
    item_rating: jax.Array
    item_row: jax.Array
    fold_ratings: jax.Array  # (F,) float32: training ratings per fold
    fold_mean: jax.Array  # (F,) float32: mu of each fold
    eval_users: jax.Array  # (E,) int32 absolute user rows of the pairs to predict
    eval_items: jax.Array  # (E,) int32
    eval_ratings: jax.Array  # (E,) float32 true ratings (uncentred), 0 for padding
    eval_group: jax.Array  # (E,) int32: which score a pair counts in; out of range = padding
    group_size: jax.Array  # (G,) float32: pairs per group
    fold_key: jax.Array  # (F,) int32: which random stream each fold draws from


class ChainState(NamedTuple):
    """Everything the chain carries from sweep to sweep (a pytree: jit and scan take it as is)."""

    user_rows: jax.Array  # (F * n_users, k + 1): [p_u, b_u]
    item_rows: jax.Array  # (F * n_items, k + 1): [q_i, c_i]
    noise_precision: jax.Array  # (F,) tau
    sweep: jax.Array  # () int32: sweeps drawn so far
    kept: jax.Array  # () float32: samples averaged so far
    pred_sum: jax.Array  # (E,) sum over kept samples of (prediction - mu) on the eval pairs
    pred_sq: jax.Array  # (E,) ... of its square (for the posterior std)
    pred_last: jax.Array  # (E,) the latest sample's (prediction - mu)
    user_samples: jax.Array  # (S, F * n_users, k + 1) kept samples (S = 0: not stored)
    item_samples: jax.Array  # (S, F * n_items, k + 1)
    noise_sum: jax.Array  # (F,) sum over kept samples of 1 / sqrt(tau)


def _bucket(n: int) -> int:
    """Round up to one of few sizes (at most 1/8 wasted) so similar data share a compile."""
    if n <= 16:
        return 1 << max(0, (n - 1).bit_length())
    step = 1 << (n.bit_length() - 4)
    return -(-n // step) * step


def _chunks(rows: np.ndarray, others: np.ndarray, values: np.ndarray, n_rows: int, sentinel: int) -> tuple[np.ndarray, ...]:
    """Cut a rating list into per-row chunks of CHUNK ratings: (other, value, row) arrays."""
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_rows)
    per_row = -(-counts // CHUNK)
    n_chunks = int(per_row.sum())
    padded = _bucket(max(n_chunks, 1))
    chunk_row = np.full(padded, n_rows - 1, np.int32)  # padding chunks add zeros to the last row
    chunk_row[:n_chunks] = np.repeat(np.arange(n_rows, dtype=np.int32), per_row)
    sorted_rows = rows[order]
    position = np.arange(len(rows)) - (np.cumsum(counts) - counts)[sorted_rows]
    chunk = (np.cumsum(per_row) - per_row)[sorted_rows] + position // CHUNK
    other = np.full((padded, CHUNK), sentinel, np.int32)
    value = np.zeros((padded, CHUNK), np.float32)
    other[chunk, position % CHUNK] = others[order]
    value[chunk, position % CHUNK] = values[order]
    return other, value, chunk_row


def build_layout(trains: Sequence[Ratings], evals: Sequence[Sequence[Ratings]], fold_keys: Sequence[int] | None = None) -> Layout:
    """Stack training sets (same catalogue) and their eval sets; ``evals[f][g]`` is fold f's group g.

    A pair of fold f, group g counts in score ``f * G + g`` (G = groups per fold). Fold f
    draws from key stream ``fold_keys[f]`` (default f), so one fold alone can replay its chain.
    """
    n_folds, n_users, n_items = len(trains), trains[0].n_users, trains[0].n_items
    n_groups = len(evals[0])
    means = np.array([t.global_mean for t in trains], np.float32)
    users = np.concatenate([t.users.astype(np.int64) + f * n_users for f, t in enumerate(trains)])
    items = np.concatenate([t.items.astype(np.int64) + f * n_items for f, t in enumerate(trains)])
    centred = np.concatenate([t.ratings - means[f] for f, t in enumerate(trains)]).astype(np.float32)
    user_side = _chunks(users, items, centred, n_folds * n_users, n_folds * n_items)
    item_side = _chunks(items, users, centred, n_folds * n_items, n_folds * n_users)
    pairs = [(f, g, e) for f in range(n_folds) for g, e in enumerate(evals[f])]
    length = _bucket(max(1, -(-sum(len(e) for _, _, e in pairs) // 1024))) * 1024
    eval_users = np.zeros(length, np.int32)
    eval_items = np.zeros(length, np.int32)
    eval_ratings = np.zeros(length, np.float32)
    eval_group = np.full(length, n_folds * n_groups, np.int32)
    sizes = np.zeros(n_folds * n_groups, np.float32)
    start = 0
    for f, g, e in pairs:
        stop = start + len(e)
        eval_users[start:stop] = e.users + f * n_users
        eval_items[start:stop] = e.items + f * n_items
        eval_ratings[start:stop] = e.ratings
        eval_group[start:stop] = f * n_groups + g
        sizes[f * n_groups + g] = len(e)
        start = stop
    return Layout(
        *user_side, *item_side,
        fold_ratings=np.array([len(t) for t in trains], np.float32), fold_mean=means,
        eval_users=eval_users, eval_items=eval_items, eval_ratings=eval_ratings,
        eval_group=eval_group, group_size=sizes,
        fold_key=np.asarray(range(n_folds) if fold_keys is None else fold_keys, np.int32),
    )


def init_chain(layout: Layout, n_users: int, n_items: int, rank: int, init_scale: float, seed: int, n_stored: int) -> ChainState:
    """Small random factors (std ``init_scale``) and zero biases, drawn with numpy from ``seed``.

    Every fold starts from the same rows. ``n_stored`` kept samples fit in the chain (0: none).
    numpy rather than `jax.random`: eager JAX calls compile small programs of their own.
    """
    n_folds, k = len(layout.fold_mean), rank
    rng = np.random.default_rng(seed)
    user_rows = np.zeros((n_folds * n_users, k + 1), np.float32)
    item_rows = np.zeros((n_folds * n_items, k + 1), np.float32)
    user_rows[:, :k] = np.tile(init_scale * rng.standard_normal((n_users, k)), (n_folds, 1))
    item_rows[:, :k] = np.tile(init_scale * rng.standard_normal((n_items, k)), (n_folds, 1))
    n_eval = len(layout.eval_users)
    return ChainState(
        user_rows=user_rows, item_rows=item_rows,
        noise_precision=np.ones(n_folds, np.float32), sweep=np.int32(0), kept=np.float32(0),
        pred_sum=np.zeros(n_eval, np.float32), pred_sq=np.zeros(n_eval, np.float32),
        pred_last=np.zeros(n_eval, np.float32),
        user_samples=np.zeros((n_stored, *user_rows.shape), np.float32),
        item_samples=np.zeros((n_stored, *item_rows.shape), np.float32),
        noise_sum=np.zeros(n_folds, np.float32),
    )


class SweepNoise(NamedTuple):
    """Every random number of a run of sweeps (leading axes: sweep, fold), drawn on the host.

    Nothing random depends on the data: a row's draw is its conditional mean plus a fixed
    transform of standard normals, the Wishart's Bartlett factor needs normals and chi-squares
    of known degrees of freedom, and tau's Gamma has a known shape (only its rate depends on
    the residuals). So numpy draws them all up front. Inside the program every `jax.random`
    call had inlined its own counter-based generator, and `jax.random.gamma` a rejection
    while-loop: together half of the compile time, and a 1-3% of the run.
    """

    user_rows: jax.Array  # (S, F, n_users, K) standard normals
    item_rows: jax.Array  # (S, F, n_items, K)
    user_bartlett: jax.Array  # (S, F, K, K) standard normals (below the diagonal are used)
    item_bartlett: jax.Array
    user_mean: jax.Array  # (S, F, K) standard normals for the prior mean
    item_mean: jax.Array
    user_chi2: jax.Array  # (S, F, K) chi-square with nu0 + n_users - j degrees of freedom
    item_chi2: jax.Array
    tau_gamma: jax.Array  # (S, F) Gamma(a0 + N_f / 2, 1)


def draw_noise(seed: int, fold_keys: np.ndarray, first_sweep: int, n_sweeps: int, n_users: int, n_items: int,
               dim: int, wishart_dof: float, noise_shape: float, fold_ratings: np.ndarray) -> SweepNoise:
    """The random numbers of sweeps ``first_sweep ..`` for every fold (see `SweepNoise`).

    Sweep s of fold f draws from ``numpy.random.default_rng((seed, s, fold_keys[f]))``, so a
    chain run in chunks equals one run at once, and a fold alone equals the same fold stacked.
    """
    n_folds = len(fold_keys)
    lead = (n_sweeps, n_folds)
    out = {name: np.empty((*lead, *shape), np.float32) for name, shape in (
        ("user_rows", (n_users, dim)), ("item_rows", (n_items, dim)), ("user_bartlett", (dim, dim)),
        ("item_bartlett", (dim, dim)), ("user_mean", (dim,)), ("item_mean", (dim,)), ("user_chi2", (dim,)),
        ("item_chi2", (dim,)), ("tau_gamma", ()))}
    steps = np.arange(dim)
    for s in range(n_sweeps):
        for f, key in enumerate(fold_keys):
            rng = np.random.default_rng((seed, first_sweep + s, int(key)))
            for name in ("user_rows", "item_rows", "user_bartlett", "item_bartlett", "user_mean", "item_mean"):
                out[name][s, f] = rng.standard_normal(out[name].shape[2:], dtype=np.float32)
            out["user_chi2"][s, f] = 2.0 * rng.standard_gamma((wishart_dof + n_users - steps) / 2.0)
            out["item_chi2"][s, f] = 2.0 * rng.standard_gamma((wishart_dof + n_items - steps) / 2.0)
            out["tau_gamma"][s, f] = rng.standard_gamma(noise_shape + 0.5 * float(fold_ratings[f]))
    return SweepNoise(**out)


class _SideNoise(NamedTuple):
    """One side's random numbers for one sweep, per fold (leading F axis)."""

    rows: jax.Array  # (F, n, K)
    bartlett: jax.Array  # (F, K, K)
    mean: jax.Array  # (F, K)
    chi2: jax.Array  # (F, K)


def _draw_normal_wishart(rows: jax.Array, noise: _SideNoise, hyper: BayesHyper) -> tuple[jax.Array, jax.Array]:
    """Each fold's (m, Lambda) from its Normal-Wishart conditional given its rows (F, n, K).

    Lambda ~ Wishart(W_n, nu_n) by Bartlett's construction with W_n = C^-T C^-1 (C = chol of
    W_n^-1): Lambda = C^-T A A^T C^-1 with A lower triangular, A_jj^2 ~ chi2(nu_n - j); then
    m ~ N(m_n, (beta_n Lambda)^-1) = m_n + C A^-T z / sqrt(beta_n). Nothing is inverted.
    """
    _, n, dim = rows.shape
    mean = rows.mean(axis=1)
    centred = rows - mean[:, None]
    beta_n = hyper.prior_strength + n
    scatter = jnp.einsum("fnk,fnj->fkj", centred, centred)
    scatter += (hyper.prior_strength * n / beta_n) * mean[:, :, None] * mean[:, None, :]
    chol = jnp.linalg.cholesky(jnp.eye(dim) / hyper.wishart_scale + scatter)
    bartlett = jnp.tril(noise.bartlett, -1) + jnp.sqrt(noise.chi2)[:, :, None] * jnp.eye(dim)
    root = solve_triangular(chol, bartlett, lower=True, trans=1)  # C^-T A
    precision = root @ jnp.swapaxes(root, 1, 2)
    spread = solve_triangular(bartlett, noise.mean[..., None], lower=True, trans=1)
    offset = (chol @ spread)[..., 0]
    return n * mean / beta_n + offset / jnp.sqrt(beta_n), precision


def _row_grams(other_rows: jax.Array, other: jax.Array, rating: jax.Array, row: jax.Array, n_rows: int) -> jax.Array:
    """Per row, the Gram matrix of [design, residual] over its ratings: (n_rows, K + 1, K + 1).

    The other side's row [v, bias] enters as the design [v, 1] and takes its bias off the
    rating; a padding slot gathers an all-zero row and a zero rating, adding nothing.
    """
    k = other_rows.shape[1] - 1
    design = jnp.concatenate([other_rows[:, :k], jnp.ones_like(other_rows[:, :1])], axis=1)
    design = jnp.concatenate([design, jnp.zeros_like(design[:1])])
    bias = jnp.concatenate([other_rows[:, k], jnp.zeros(1, other_rows.dtype)])
    block = jnp.concatenate([design[other], (rating - bias[other])[..., None]], axis=-1)
    partial = jnp.einsum("clk,clj->ckj", block, block)
    return jax.ops.segment_sum(partial, row, n_rows, indices_are_sorted=True)


def row_conditionals(grams: jax.Array, noise_precision: jax.Array, prior_mean: jax.Array, prior_precision: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Each row's Gaussian conditional as (precision P, P @ mean) from its Gram matrix.

    ``grams`` is (F, n, K + 1, K + 1), the rest per fold: P = Lambda + tau * sum d d^T and
    P mean = Lambda m + tau * sum d * residual, with the prior (m, Lambda) and tau of the fold.
    """
    dim = grams.shape[-1] - 1
    tau = noise_precision[:, None, None]
    precision = prior_precision[:, None] + tau[..., None] * grams[..., :dim, :dim]
    shift = jnp.einsum("fkj,fj->fk", prior_precision, prior_mean)[:, None] + tau * grams[..., :dim, dim]
    return precision, shift


def _draw_rows(precision: jax.Array, shift: jax.Array, noise: jax.Array) -> jax.Array:
    """x = P^-1 h + L^-T z (P = L L^T, z = ``noise``): a draw from N(P^-1 h, P^-1) per row, two solves."""
    chol = jnp.linalg.cholesky(precision)
    half = solve_triangular(chol, shift[..., None], lower=True)
    return solve_triangular(chol, half + noise[..., None], lower=True, trans=1)[..., 0]


def _draw_side(rows, other_rows, other, rating, row, noise_precision, noise: _SideNoise, hyper):
    """One side of a sweep: its hyperparameters per fold, then every row given them.

    Returns the new rows (F * n, K) and their Grams (F, n, K + 1, K + 1).
    """
    n_folds, n, dim = noise.rows.shape
    means, precisions = _draw_normal_wishart(rows.reshape(n_folds, n, dim), noise, hyper)
    grams = _row_grams(other_rows, other, rating, row, n_folds * n).reshape(n_folds, n, dim + 1, dim + 1)
    precision, shift = row_conditionals(grams, noise_precision, means, precisions)
    return _draw_rows(precision, shift, noise.rows).reshape(n_folds * n, dim), grams


@jax.jit
def gibbs_sweeps(chain: ChainState, layout: Layout, hyper: BayesHyper, noise: SweepNoise) -> tuple[ChainState, jax.Array]:
    """One Gibbs sweep per leading entry of ``noise``, in one call; returns the chain and a trace.

    A sweep draws the users' hyperparameters, every user row, the items' hyperparameters,
    every item row, then each fold's noise precision. Samples of sweeps s (0-based, over the
    whole chain) with burn_in <= s < total_sweeps are averaged (and stored when the chain has
    room). The trace is (sweeps, groups, 2): per group, the summed squared error of the
    clipped posterior mean so far and of the clipped current sample.
    """
    _TRACE_COUNTS["gibbs_sweeps"] += 1
    n_folds = chain.noise_precision.shape[0]
    dim = chain.user_rows.shape[1]
    n_items = chain.item_rows.shape[0] // n_folds
    n_groups = layout.group_size.shape[0]
    eval_fold = jnp.minimum(layout.eval_group // (n_groups // n_folds), n_folds - 1)
    mu = layout.fold_mean[eval_fold]
    stored = chain.user_samples.shape[0] > 0  # static: a chain without room skips the writes

    def sweep(chain: ChainState, noise: SweepNoise):
        user_noise = _SideNoise(noise.user_rows, noise.user_bartlett, noise.user_mean, noise.user_chi2)
        item_noise = _SideNoise(noise.item_rows, noise.item_bartlett, noise.item_mean, noise.item_chi2)
        users, _ = _draw_side(chain.user_rows, chain.item_rows, layout.user_other, layout.user_rating,
                              layout.user_row, chain.noise_precision, user_noise, hyper)
        items, grams = _draw_side(chain.item_rows, users, layout.item_other, layout.item_rating,
                                  layout.item_row, chain.noise_precision, item_noise, hyper)
        # Squared residuals from the item side's Gram with the new rows: [y, -1] G [y, -1].
        ends = jnp.concatenate([items, -jnp.ones_like(items[:, :1])], axis=1).reshape(n_folds, n_items, dim + 1)
        sse = jnp.einsum("fnk,fnkj,fnj->f", ends, grams, ends)
        tau = noise.tau_gamma / (hyper.noise_rate + 0.5 * sse)

        keep = (chain.sweep >= hyper.burn_in) & (chain.sweep < hyper.total_sweeps)
        weight = keep.astype(jnp.float32)
        k = dim - 1
        u, i = users[layout.eval_users], items[layout.eval_items]
        pred = jnp.sum(u[:, :k] * i[:, :k], axis=1) + u[:, k] + i[:, k]
        pred_sum = chain.pred_sum + weight * pred
        kept = chain.kept + weight
        mean_pred = jnp.where(kept > 0, pred_sum / jnp.maximum(kept, 1.0), pred)
        errors = jnp.stack([
            jnp.clip(mu + mean_pred, hyper.low, hyper.high) - layout.eval_ratings,
            jnp.clip(mu + pred, hyper.low, hyper.high) - layout.eval_ratings,
        ], axis=1)
        trace = jax.ops.segment_sum(errors * errors, layout.eval_group, n_groups)
        slot = jnp.where(keep, chain.kept.astype(jnp.int32), chain.user_samples.shape[0])
        new = ChainState(
            user_rows=users, item_rows=items, noise_precision=tau, sweep=chain.sweep + 1, kept=kept,
            pred_sum=pred_sum, pred_sq=chain.pred_sq + weight * pred * pred, pred_last=pred,
            user_samples=chain.user_samples.at[slot].set(users, mode="drop") if stored else chain.user_samples,
            item_samples=chain.item_samples.at[slot].set(items, mode="drop") if stored else chain.item_samples,
            noise_sum=chain.noise_sum + weight * lax.rsqrt(tau),
        )
        return new, trace

    return lax.scan(sweep, chain, noise)


@functools.partial(jax.jit, static_argnames=("n_users",))
def _user_conditional_program(item_rows, other, rating, row, noise_precision, prior_mean, prior_precision, n_users):
    _TRACE_COUNTS["user_conditionals"] += 1
    grams = _row_grams(item_rows, other, rating, row, n_users)[None]
    precision, shift = row_conditionals(grams, noise_precision[None], prior_mean[None], prior_precision[None])
    covariance = jnp.linalg.inv(precision[0])
    return jnp.einsum("ukj,uj->uk", covariance, shift[0]), covariance


def user_conditionals(train: Ratings, item_rows: np.ndarray, noise_precision: float, prior_mean: np.ndarray,
                      prior_precision: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every user's Gaussian conditional of [p_u, b_u]: (mean (n_users, K), covariance (n_users, K, K)).

    Given the item rows [q_i, c_i] (n_items, K), the noise precision tau and the users' prior
    N(prior_mean, prior_precision^-1), with ratings centred on the training mean, computed by
    the sweep's own Gram and conditional code. A test hook, and what a lesson can show of one
    Gibbs step.
    """
    layout = build_layout([train], [[train]])
    mean, covariance = _user_conditional_program(
        np.asarray(item_rows, np.float32), layout.user_other, layout.user_rating, layout.user_row,
        np.float32(noise_precision), np.asarray(prior_mean, np.float32), np.asarray(prior_precision, np.float32),
        n_users=train.n_users,
    )
    return np.asarray(mean), np.asarray(covariance)
