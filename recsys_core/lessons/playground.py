"""What the Playground shows beside its comparison table: the table itself, and Bayesian MF's uncertainty.

The comparison is computed in `recsys_core.evaluation.compare`; this module turns its rows into
the page's table, and turns Bayesian MF's kept samples into what a learner can read: one
prediction as "4.1 ± 0.6 stars", how the ± shrinks for users and items with more ratings, and
why the average of many sampled factorizations predicts better than any one of them. Every
number in the text comes from the run passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from recsys_core.data import Ratings
from recsys_core.evaluate import BAYES_DEFAULTS
from recsys_core.evaluation.compare import MF, TOP_K, ModelResult
from recsys_core.models.neural import ACCURACY_TOLERANCE
from recsys_core.training.bayes import BayesResult, SampleCurve, predict

# The library's defaults (tuned on movielens-like) in chunks of 5 sweeps: 12 epochs on the chart.
# At the Playground's default 50,000 ratings the whole chain took 0.6 s once compiled (2.6 s with
# the first compile) and scored 0.889 against biased MF's 0.907 on the held-out 20%.
BAYES_PLAYGROUND = replace(BAYES_DEFAULTS, sweeps_per_call=5)
SAMPLE_COUNTS = (5, 10, 20, 30, 55, 100, 200)  # kept samples offered; each count compiles the sweep once
SUPPORT_BUCKETS = 6  # held-out pairs split into this many near-equal groups by training ratings
MAX_SUPPORT_PAIRS = 20_000  # pairs whose spread is averaged per run (55 samples each: milliseconds)

_K, _TOL = TOP_K, ACCURACY_TOLERANCE
METRICS = {  # chart choice -> (table column, y axis title, bar label format)
    "RMSE": ("RMSE (stars)", "held-out RMSE (stars, lower is better)", ".3f"),
    "MAE": ("MAE (stars)", "held-out MAE (stars, lower is better)", ".3f"),
    "accuracy": (f"Accuracy ±{_TOL:g} (%)", f"held-out ratings within ±{_TOL:g} stars (%)", ".1f"),
    f"precision@{_K}": (f"Precision@{_K}", f"precision@{_K} (share of the {_K} picks that are relevant)", ".3f"),
    f"recall@{_K}": (f"Recall@{_K}", f"recall@{_K} (share of relevant items found)", ".3f"),
    f"NDCG@{_K}": (f"NDCG@{_K}", f"NDCG@{_K} (1 = relevant items ranked first)", ".3f"),
    "coverage": ("Coverage (%)", f"catalogue coverage (% of items in some top {_K})", ".1f"),
    "seconds": ("Training (s)", "training time (seconds)", ".2f"),
}


def results_frame(results: list[ModelResult]) -> pd.DataFrame:
    """The comparison table: one row per model, the columns `METRICS` names (percentages in %)."""
    columns = [column for column, _, _ in METRICS.values()]
    return pd.DataFrame([dict(zip(["Model", *columns], (
        r.model, r.rmse, r.mae, 100 * r.accuracy, r.precision, r.recall, r.ndcg, 100 * r.coverage, r.fit_seconds),
        strict=True)) for r in results])


def prediction_sentence(posterior: BayesResult, train: Ratings, user: int, item: int,
                        escape: Callable[[str], str] = str) -> str:
    """One prediction with its spread, e.g. "**4.12 ± 0.61 stars**", and what the ± means (markdown;
    ``escape`` makes the data's ids and titles literal text)."""
    mean, std = (float(x[0]) for x in predict(posterior, np.array([user]), np.array([item])))
    n_user, n_item = int((train.users == user).sum()), int((train.items == item).sum())
    spread = math.hypot(std, posterior.noise_std)
    return (f"User {escape(str(train.user_ids[user]))} ({n_user:,} training ratings) and {escape(train.title(item))} "
            f"({n_item:,} training ratings): predicted **{mean:.2f} ± {std:.2f} stars**, the mean and standard "
            f"deviation over {len(posterior.user_samples)} sampled factorizations — the ± is how much they disagree "
            f"about this pair. A rating the user actually gives would scatter further, ± {spread:.2f} in all, "
            f"because ratings themselves are noisy (σ ≈ {posterior.noise_std:.2f}).")


def uncertainty_by_support(posterior: BayesResult, train: Ratings, pairs: Ratings, n_buckets: int = SUPPORT_BUCKETS,
                           max_pairs: int = MAX_SUPPORT_PAIRS) -> pd.DataFrame:
    """Mean posterior std of the predictions for ``pairs``, by how many training ratings their user
    (and, separately, their item) has: the pairs are cut into ``n_buckets`` near-equal groups by
    that count (a seeded sample of ``max_pairs`` beyond that many, so a big file stays quick).
    Columns: side ("users"/"items"), low, high, median (training ratings), pairs, std."""
    if len(pairs) > max_pairs:
        pairs = pairs.subset(np.sort(np.random.default_rng(0).choice(len(pairs), max_pairs, replace=False)))
    _, std = predict(posterior, pairs.users, pairs.items)
    rows = []
    for side, rated, index, n in (("users", train.users, pairs.users, train.n_users),
                                  ("items", train.items, pairs.items, train.n_items)):
        counts = np.bincount(rated, minlength=n)[index]
        inner = np.unique(np.quantile(counts, np.linspace(0, 1, n_buckets + 1)[1:-1], method="higher"))
        bucket = np.searchsorted(inner, counts, side="right")
        for b in np.unique(bucket):
            mine = bucket == b
            rows.append({"side": side, "low": int(counts[mine].min()), "high": int(counts[mine].max()),
                         "median": float(np.median(counts[mine])), "pairs": int(mine.sum()),
                         "std": float(std[mine].mean())})
    return pd.DataFrame(rows)


def support_summary(frame: pd.DataFrame) -> str:
    """The shrinking in words (fewest vs most training ratings, users and items), from the table."""
    def span(row: pd.Series) -> str:
        return f"{row.low:,}" if row.low == row.high else f"{row.low:,}–{row.high:,}"

    parts = []
    for side, part in frame.groupby("side", sort=False):
        few, many = part.iloc[0], part.iloc[-1]
        parts.append(f"{side} with {span(few)} training ratings ± {few['std']:.2f}, with {span(many)} ± {many['std']:.2f}")
    return "Mean posterior std of the held-out predictions: " + "; ".join(parts) + "."


def averaging_text(curve: SampleCurve, results: list[ModelResult]) -> str:
    """Two sentences: why the average of many sampled factorizations beats one, with this run's numbers."""
    kept = curve.samples > 0
    single, averaged, n = float(np.median(curve.sample_rmse[kept])), float(curve.mean_rmse[-1]), int(curve.samples[-1])
    mf = next((r.rmse for r in results if r.model == MF and math.isfinite(r.rmse)), None)
    tuned = f", and biased MF's one tuned factorization {mf:.3f}" if mf is not None else ""
    numbers = (f"One sampled factorization predicts the held-out ratings with RMSE {single:.3f} (the median over the "
               f"{n} kept samples); their average scores {averaged:.3f}{tuned}.")
    if averaged >= single:
        return numbers + " Here the average is no better than one sample, so this run does not show what averaging buys."
    return numbers + (" Each sample is one way the factors could explain the training ratings, and the samples "
                      "disagree most where the data say least, so averaging cancels their separate errors and keeps "
                      "what they all agree on.")


def samples_alt(curve: SampleCurve, burn_in: int) -> str:
    """The RMSE-against-samples chart in words (its ``alt=`` text)."""
    kept = curve.samples > 0
    first = int(np.argmax(kept))
    return (f"Line chart of held-out RMSE against samples drawn, {len(curve.sweeps)} in all, the first {burn_in} "
            f"burn-in. The average of the kept samples falls from {curve.mean_rmse[first]:.3f} after one kept sample "
            f"to {curve.mean_rmse[-1]:.3f} after {int(curve.samples[-1])}; single samples stay near "
            f"{float(np.median(curve.sample_rmse[kept])):.3f}.")


def support_alt(frame: pd.DataFrame) -> str:
    """The uncertainty-by-ratings chart in words (its ``alt=`` text)."""
    return "Line chart, posterior std against training ratings (log scale). " + support_summary(frame)
