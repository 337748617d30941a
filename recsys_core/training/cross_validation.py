"""k-fold cross-validation of biased MF in one compiled program.

Scoring a configuration trains one model per fold. Doing that fold by fold through the training loop
compiled several programs (the epoch, the evaluation, eager checks) and paid Python and
dispatch costs per fold and epoch; on 2 busy cores compiling alone took longer than
Surprise's whole run. So `fit_mf_folds` trains every fold, every epoch, in one jitted call
whose program is as small as we could make it (XLA CPU compile time grows with every kernel):
- The folds' tables are stacked row-wise into one block-diagonal problem (fold f's user u is
  row f * n_users + u), so one scan step updates a minibatch from every fold with plain
  gathers and scatters: no vmap (batched gathers compiled 2-3x slower here), no fold loop.
- Each bias rides in its factor table as an extra column, opposite a constant-1 column (user
  row [p, b_u, 1], item row [q, 1, b_i], so the dot product is p.q + b_u + b_i): two gathers
  and two scatters per step instead of four of each. Per-column masks keep the constant
  columns fixed and carry L2 and the bias switch.
- Ratings are centred on their fold's mean, so mu drops out of the step.
- The minibatches (MFProgram's exact shuffles) and the per-step learning rate are built on
  the host; epochs are just more scan steps. The test folds are scored with numpy from the
  returned tables, once: no evaluation inside the program.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from recsys_core.data import Ratings
from recsys_core.models.mf import MFParams, gather
from recsys_core.models.tracing import count_trace
from recsys_core.training.batching import bucket, epoch_order, pad
from recsys_core.training.mf import MFConfig
from recsys_core.training.mf_rowwise import MFHyper


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
    count_trace("mf_folds")

    def step(tables, batch):
        user_rows, item_rows = tables
        u, i, r, step_size = batch
        p = gather(user_rows, u)
        q = gather(item_rows, i)
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

    The same model, initial parameters, minibatches (``MFProgram.epoch_batches``), learning
    rate schedule, L2 and bias switch as training each fold with `MFProgram`, so the results
    agree with fold-by-fold training up to float rounding. SGD only (no Adam), no early stopping
    or divergence check (a diverged fold scores NaN). Folds share one padded shape, so any
    number of folds compiles once per (k, batch size, steps, table sizes).
    """
    if config.optimizer != "sgd":
        raise ValueError("fit_mf_folds trains with SGD only; use mf_trainer for Adam")
    if not folds or any(len(train) == 0 for train, _ in folds):
        raise ValueError("every fold needs training ratings")
    n_folds, k, batch = len(folds), config.k, config.batch_size
    n_users, n_items = folds[0][0].n_users, folds[0][0].n_items
    n_batches = bucket(-(-max(len(train) for train, _ in folds) // batch))
    steps = config.epochs * n_batches

    # Same initial factors for every fold, as MFProgram draws them (init_mf, config.seed).
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
            order = epoch_order(config.seed, e + 1, len(train))
            users[e, :, f] = pad(train.users[order] + np.int32(f * n_users), n_batches * batch, n_folds * n_users).reshape(shape)
            items[e, :, f] = pad(train.items[order] + np.int32(f * n_items), n_batches * batch, n_folds * n_items).reshape(shape)
            ratings[e, :, f] = pad(train.ratings[order] - means[f], n_batches * batch, 0.0).reshape(shape)
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
