"""Our biased MF against Surprise's SVD on the same folds, in the same process.

    python -m bench.mf_vs_surprise [--quick] [--with-svdpp] [--seed N]

Data: `synthetic(943, 1682, 100_000)`, shaped like MovieLens-100K (which cannot be downloaded
here). Protocol: Surprise's shuffled 5-fold cross-validation, the very same index lists for
both libraries. Printed: RMSE/MAE per model, RMSE ratio ours/SVD, time ratio SVD/ours for the
whole k-fold run with our compiles included (cold process, persistent compilation cache off),
and the time of one MF epoch at rank 64 on 100K
ratings against a dense-gradient reference (`jax.grad` over the full tables) on the same
batches. Only ratios measured in one run mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax import lax

from recsys_core.data import Ratings, kfold_indices, synthetic
from recsys_core.evaluate import EVAL_DEFAULTS, cross_validate
from recsys_core.evaluation.metrics import mae, rmse
from recsys_core.models.mf import mf_loss
from recsys_core.training.mf import MFConfig, MFProgram, mf_epoch
from recsys_core.training.mf_rowwise import MFHyper


def surprise_cv(ratings: Ratings, algo_factory, n_folds: int, seed: int) -> tuple[float, float, float]:
    """(RMSE, MAE, seconds) of a Surprise algorithm on our k-fold index lists."""
    from surprise import Dataset, Reader

    frame = pd.DataFrame({"user": ratings.users, "item": ratings.items, "rating": ratings.ratings})
    dataset = Dataset.load_from_df(frame, Reader(rating_scale=ratings.rating_scale))
    raw = dataset.raw_ratings
    rmses, maes = [], []
    started = time.perf_counter()
    for train_index, test_index in kfold_indices(len(ratings), n_folds, seed):
        trainset = dataset.construct_trainset([raw[j] for j in train_index])
        testset = dataset.construct_testset([raw[j] for j in test_index])
        algo = algo_factory()
        algo.fit(trainset)
        predictions = algo.test(testset)
        est = np.array([p.est for p in predictions])
        true = np.array([p.r_ui for p in predictions])
        rmses.append(rmse(est, true))
        maes.append(mae(est, true))
    return float(np.mean(rmses)), float(np.mean(maes)), time.perf_counter() - started


@partial(jax.jit, static_argnames=())
def dense_grad_epoch(params, users, items, ratings, hyper):
    """Reference: the same per-rating SGD epoch, but `jax.grad` builds full-table gradients."""

    def body(params, batch):
        u, i, r = batch
        grads = jax.grad(lambda p: u.shape[0] * mf_loss(p, u, i, r, hyper.l2))(params)
        grads = grads._replace(global_mean=jnp.zeros_like(grads.global_mean))
        return jax.tree.map(lambda w, g: w - hyper.learning_rate * g, params, grads), None

    return lax.scan(body, params, (users, items, ratings))[0]


def seconds_per_call(fn, repeats: int) -> float:
    jax.block_until_ready(fn())  # warm-up (compile)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def epoch_timing(ratings: Ratings, repeats: int) -> tuple[float, float]:
    """Median seconds of one rank-64 epoch: row-wise engine vs dense-gradient reference."""
    program = MFProgram(ratings, None, MFConfig(k=64))
    params, opt_state = program.init()
    users, items, values = program.epoch_batches(1)
    hyper = MFHyper.of(0.005, 0.1)
    ours = seconds_per_call(lambda: mf_epoch(params, opt_state, users, items, values, hyper), repeats)
    # The reference gathers real indices only: clamp the padding to a valid row with weight-free
    # cost (timing only; its numbers are not used).
    cu, ci = np.minimum(users, ratings.n_users - 1), np.minimum(items, ratings.n_items - 1)
    dense = seconds_per_call(lambda: dense_grad_epoch(params, cu, ci, values, hyper), repeats)
    return ours, dense


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mf_vs_surprise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 folds and fewer timing repeats")
    parser.add_argument("--with-svdpp", action="store_true", help="also run Surprise's SVD++ (slow: minutes)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic data seed")
    args = parser.parse_args(argv)
    # Honest cold compiles: never read compiled programs from the app's persistent cache.
    jax.config.update("jax_enable_compilation_cache", False)
    n_folds, repeats = (2, 3) if args.quick else (5, 10)
    from surprise import SVD, SVDpp

    ratings = synthetic(n_users=943, n_items=1682, n_ratings=100_000, seed=args.seed)
    print(f"data: {ratings.source}; mean {ratings.global_mean:.3f}, std {ratings.ratings.std():.3f}")
    print(f"protocol: Surprise's shuffled k-fold, {n_folds} folds, fold seed 0, same index lists for all")
    print(f"JAX devices: {jax.devices()}; ours: {EVAL_DEFAULTS}")

    # Ours first, in a fresh process, so its k-fold time includes every compile.
    cv = cross_validate(ratings, EVAL_DEFAULTS, n_folds, seed=0)
    svd_rmse, svd_mae, svd_seconds = surprise_cv(ratings, lambda: SVD(random_state=0), n_folds, 0)
    rows = [("Surprise SVD (defaults)", svd_rmse, svd_mae, svd_seconds)]
    if args.with_svdpp:
        rows.append(("Surprise SVD++ (defaults)", *surprise_cv(ratings, lambda: SVDpp(random_state=0), n_folds, 0)))
    rows.append(("ours: biased MF (EVAL_DEFAULTS)", cv.rmse, cv.mae, cv.fit_seconds))

    print(f"\n{'model':34} {'RMSE':>7} {'MAE':>7} {'seconds':>8}")
    for name, r, m, s in rows:
        print(f"{name:34} {r:7.4f} {m:7.4f} {s:8.2f}")
    print(f"ours: compile {cv.compile_seconds:.2f} s of {cv.fit_seconds:.2f} s; RMSE per fold "
          + " ".join(f"{x:.4f}" for x in cv.rmse_per_fold))
    print(f"\nRMSE ratio ours/SVD:             {cv.rmse / svd_rmse:.4f}  ({100 * (1 - cv.rmse / svd_rmse):.1f}% lower)")
    print(f"time ratio SVD/ours ({n_folds} folds, compile included): {svd_seconds / cv.fit_seconds:.2f}x")

    ours_epoch, dense_epoch = epoch_timing(ratings, repeats)
    print(f"\none epoch, rank 64, {len(ratings):,} ratings, batch 256 (median of {repeats}, after warm-up):")
    print(f"  row-wise engine {1000 * ours_epoch:.1f} ms; dense jax.grad reference {1000 * dense_epoch:.1f} ms; "
          f"ratio dense/ours {dense_epoch / ours_epoch:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
