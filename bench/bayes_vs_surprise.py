"""Bayesian MF and our SGD MF against Surprise on MovieLens-calibrated data, same folds, one process.

    python -m bench.bayes_vs_surprise [--quick] [--with-svdpp] [--1m] [--seed N]

Data: `movielens_like(seed)` (943 users x 1,682 items x 100,000 ratings, calibrated so that
Surprise scores there what it scores on real MovieLens-100K), or with ``--1m`` its
MovieLens-1M-shaped sibling (6,040 x 3,706 x 1,000,209). Protocol: Surprise's shuffled 5-fold
cross-validation, the same index lists for every model (``--quick``: the first 2 of the 5
folds). Printed: the data's statistics; RMSE/MAE and seconds per model; the RMSE margins and
time ratios the issue sets as targets, each marked met or not; the Gibbs sampler's time per
sweep (all folds stacked, and one fold alone as the app runs it); and held-out RMSE against
the number of samples averaged, on fold 1.

Our times are for the whole k-fold run in a cold process with the persistent compilation
cache off, so every compile counts. Only ratios measured in one run mean anything on a shared
machine: the absolute seconds move with other people's jobs.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
import pandas as pd

from recsys_core.data import ML_1M, ML_100K, Ratings, kfold, kfold_indices, movielens_like
from recsys_core.evaluate import BAYES_DEFAULTS, EVAL_DEFAULTS, score_folds
from recsys_core.evaluation.metrics import mae, rmse
from recsys_core.training.bayes import BayesSampler, rmse_by_samples

PUBLISHED_ML_100K = {"BaselineOnly": 0.944, "SVD": 0.934, "SVD++": 0.919}  # Surprise's 5-fold figures


def surprise_cv(ratings: Ratings, algo_factory, folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float, float]:
    """(RMSE, MAE, seconds) of a Surprise algorithm over the given (train, test) index lists."""
    from surprise import Dataset, Reader

    frame = pd.DataFrame({"user": ratings.users, "item": ratings.items, "rating": ratings.ratings})
    dataset = Dataset.load_from_df(frame, Reader(rating_scale=ratings.rating_scale))
    raw = dataset.raw_ratings
    rmses, maes = [], []
    started = time.perf_counter()
    for train_index, test_index in folds:
        algo = algo_factory()
        algo.fit(dataset.construct_trainset([raw[j] for j in train_index]))
        predictions = algo.test(dataset.construct_testset([raw[j] for j in test_index]))
        est = np.array([p.est for p in predictions])
        true = np.array([p.r_ui for p in predictions])
        rmses.append(rmse(est, true))
        maes.append(mae(est, true))
    return float(np.mean(rmses)), float(np.mean(maes)), time.perf_counter() - started


def describe(ratings: Ratings) -> str:
    """The statistics the preset is calibrated on, one line each."""
    per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    per_item = np.sort(np.bincount(ratings.items, minlength=ratings.n_items))
    n = len(per_item)
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ per_item / (n * per_item.sum()))
    shares = np.bincount(ratings.ratings.astype(int), minlength=6)[1:] / len(ratings)
    return "\n".join([
        f"data: {ratings.source}",
        f"  rating shares 1-5: {' '.join(f'{100 * s:.1f}%' for s in shares)}; mean {ratings.global_mean:.3f}",
        f"  ratings per user: min {per_user.min()}, median {np.median(per_user):.0f}, max {per_user.max()}",
        f"  ratings per item: max {per_item[-1]}, median {np.median(per_item):.0f}, items with 1: "
        f"{np.sum(per_item == 1)}, with <= 5: {np.sum(per_item <= 5)}; top 10% of items get "
        f"{per_item[-n // 10:].sum() / per_item.sum():.1%}; Gini {gini:.3f}",
    ])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bayes_vs_surprise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 2 of the 5 folds only")
    parser.add_argument("--with-svdpp", action="store_true", help="also run Surprise's SVD++ (slow: minutes)")
    parser.add_argument("--1m", dest="one_m", action="store_true", help="the 1M-rating preset (Surprise takes minutes)")
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    args = parser.parse_args(argv)
    # Honest cold compiles: never read compiled programs from the app's persistent cache.
    jax.config.update("jax_enable_compilation_cache", False)
    from surprise import SVD, BaselineOnly, SVDpp

    ratings = movielens_like(args.seed, ML_1M if args.one_m else ML_100K)
    n_folds = 2 if args.quick else 5
    fold_indices = kfold_indices(len(ratings), 5, seed=0)[:n_folds]
    folds = kfold(ratings, 5, seed=0)[:n_folds]
    print(describe(ratings))
    print(f"protocol: Surprise's shuffled 5-fold split (fold seed 0), {n_folds} fold(s) scored, same index lists for all")
    print(f"JAX devices: {jax.devices()}\n  bayes: {BAYES_DEFAULTS}\n  mf:    {EVAL_DEFAULTS}")

    # Ours first, in a fresh process, so the k-fold times include every compile.
    bayes = score_folds(folds, BAYES_DEFAULTS)
    mf = score_folds(folds, EVAL_DEFAULTS)
    rows = {"Surprise BaselineOnly": surprise_cv(ratings, lambda: BaselineOnly(verbose=False), fold_indices),
            "Surprise SVD (defaults)": surprise_cv(ratings, lambda: SVD(random_state=0), fold_indices)}
    if args.with_svdpp:
        rows["Surprise SVD++ (defaults)"] = surprise_cv(ratings, lambda: SVDpp(random_state=0), fold_indices)
    rows["ours: Bayesian MF (Gibbs)"] = (bayes.rmse, bayes.mae, bayes.fit_seconds)
    rows["ours: biased MF (SGD)"] = (mf.rmse, mf.mae, mf.fit_seconds)

    print(f"\n{'model':30} {'RMSE':>7} {'MAE':>7} {'seconds':>8}")
    for name, (r, m, s) in rows.items():
        print(f"{name:30} {r:7.4f} {m:7.4f} {s:8.2f}")
    print(f"bayes: compile {bayes.compile_seconds:.2f} s of {bayes.fit_seconds:.2f} s; RMSE per fold "
          + " ".join(f"{x:.4f}" for x in bayes.rmse_per_fold))
    print(f"mf:    compile {mf.compile_seconds:.2f} s of {mf.fit_seconds:.2f} s")

    svd_rmse, _, svd_seconds = rows["Surprise SVD (defaults)"]
    base_rmse = rows["Surprise BaselineOnly"][0]
    if not args.one_m:
        print("\ncalibration (published ML-100K 5-fold RMSE vs this data):")
        for name, published in PUBLISHED_ML_100K.items():
            key = next((k for k in rows if k.split(" ")[1] == name), None)
            if key is not None:
                print(f"  {name:12} published {published:.3f}, here {rows[key][0]:.4f} (diff {rows[key][0] - published:+.4f})")
    print("\ntargets (measured in this run):")
    print(f"  bayes RMSE {svd_rmse - bayes.rmse:.4f} below SVD (>= 0.035): {verdict(svd_rmse - bayes.rmse >= 0.035)}")
    if "Surprise SVD++ (defaults)" in rows:
        svdpp_rmse = rows["Surprise SVD++ (defaults)"][0]
        print(f"  bayes RMSE {svdpp_rmse - bayes.rmse:.4f} below SVD++ (> 0): {verdict(bayes.rmse < svdpp_rmse)}")
    print(f"  time ratio SVD/bayes ({n_folds} folds, compile included): {svd_seconds / bayes.fit_seconds:.2f}x "
          f"(> 1): {verdict(bayes.fit_seconds < svd_seconds)}")
    print(f"  MF RMSE {svd_rmse - mf.rmse:.4f} below SVD (>= 0.015): {verdict(svd_rmse - mf.rmse >= 0.015)}")
    print(f"  time ratio SVD/MF: {svd_seconds / mf.fit_seconds:.1f}x (>= 5): {verdict(svd_seconds >= 5 * mf.fit_seconds)}")
    print(f"  (BaselineOnly - bayes: {base_rmse - bayes.rmse:.4f})")

    sweeps = BAYES_DEFAULTS.total_sweeps
    print(f"\nGibbs sweep time: {1000 * (bayes.fit_seconds - bayes.compile_seconds) / sweeps:.1f} ms per sweep "
          f"of all {n_folds} stacked folds (k-fold run, compile excluded)")
    train, test = folds[0]
    sampler = BayesSampler(train, test, BAYES_DEFAULTS)
    state = sampler.run(sampler.init())  # compiles
    started = time.perf_counter()
    state = sampler.run(state)
    jax.block_until_ready(state.chain.user_rows)
    per_sweep = (time.perf_counter() - started) / BAYES_DEFAULTS.sweeps_per_call
    print(f"  one fold alone, as the app runs it (a chunk of {BAYES_DEFAULTS.sweeps_per_call} sweeps, "
          f"samples stored): {1000 * per_sweep:.1f} ms per sweep")

    curve = rmse_by_samples(train, test, BAYES_DEFAULTS)
    kept = curve.samples > 0
    print("\nfold 1 held-out RMSE against samples averaged (rmse_by_samples):")
    for n in (1, 2, 5, 10, 20, 40, BAYES_DEFAULTS.n_samples):
        at = np.flatnonzero(curve.samples == n)
        if len(at):
            print(f"  {n:3d} samples: {curve.mean_rmse[at[0]]:.4f}")
    print(f"  a single sample alone: median {np.median(curve.sample_rmse[kept]):.4f} "
          f"(best {curve.sample_rmse[kept].min():.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
