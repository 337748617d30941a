"""How good is a model? Each metric is a small pure numpy function whose docstring defines it.

Learners meet these numbers on every page, so each one is written to be read: the definition
in words, the formula, and what a perfect and a useless model score. Inputs are numpy arrays
(or anything numpy accepts); outputs are Python floats.

Ranking metrics take ``recommended``, an ``(n_users, k)`` array of item indices (best first;
negative entries mean "no item", for padded lists), and ``relevant``, one set or array of item
indices per row. Rows whose relevant set is empty are skipped, because no list can be right
or wrong for a user with nothing to find; the result is the mean over the remaining rows
(NaN if none remain).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _pair(pred, true) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64).ravel()
    true = np.asarray(true, dtype=np.float64).ravel()
    if pred.shape != true.shape:
        raise ValueError(f"predictions and targets differ in length: {pred.shape[0]} vs {true.shape[0]}")
    return pred, true


def rmse(pred, true) -> float:
    """Root mean squared error: ``sqrt(mean((pred - true)^2))``, in stars.

    Big mistakes count more than small ones (they are squared). 0 is perfect; predicting the
    global mean scores about the ratings' standard deviation (around 1 star on MovieLens).
    """
    pred, true = _pair(pred, true)
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def mae(pred, true) -> float:
    """Mean absolute error: ``mean(|pred - true|)``, the typical miss in stars. 0 is perfect."""
    pred, true = _pair(pred, true)
    return float(np.mean(np.abs(pred - true)))


def rating_accuracy(pred, true, tolerance: float = 0.5) -> float:
    """Share of predictions within ``tolerance`` stars of the true rating: ``mean(|pred - true| <= tol)``.

    With whole-star ratings and ``tolerance=0.5`` this is the share of predictions that round
    to the right star (a prediction exactly half-way, e.g. 3.5 for a 3, counts as right).
    """
    pred, true = _pair(pred, true)
    return float(np.mean(np.abs(pred - true) <= tolerance))


def binary_accuracy(prob, labels, threshold: float = 0.5) -> float:
    """Share of right yes/no calls: predict "click" when ``prob > threshold``, compare with labels (0/1)."""
    prob, labels = _pair(prob, labels)
    return float(np.mean((prob > threshold) == (labels > 0.5)))


def log_loss(prob, labels, eps: float = 1e-7) -> float:
    """Binary cross-entropy: ``-mean(y log p + (1 - y) log(1 - p))``, in nats.

    It punishes confident mistakes hard (p near 0 for a click). Probabilities are clipped to
    ``[eps, 1 - eps]`` so one certain mistake gives a large, finite number instead of infinity.
    Always guessing 0.5 scores log 2 = 0.693.
    """
    prob, labels = _pair(prob, labels)
    prob = np.clip(prob, eps, 1.0 - eps)
    return float(-np.mean(labels * np.log(prob) + (1.0 - labels) * np.log(1.0 - prob)))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values share the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    new_group = np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.concatenate((starts[1:], [len(values)]))
    mean_rank = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(values))
    ranks[order] = mean_rank[group]
    return ranks


def auc(scores, labels) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative.

    Counted over all (positive, negative) pairs, a tie counting one half; computed without the
    pairs through ranks (Mann-Whitney U): ``(sum of positives' ranks - P(P+1)/2) / (P N)`` with
    tied scores sharing their average rank. 1 is perfect, 0.5 is guessing. NaN when the labels
    hold only one class (no pairs to compare).
    """
    scores, labels = _pair(scores, labels)
    positive = labels > 0.5
    n_pos = int(positive.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(scores)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _hits(recommended, relevant: Sequence, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For users with something relevant: a (users, k) bool "is a hit" and their relevant counts."""
    recommended = np.asarray(recommended)
    if recommended.ndim != 2:
        raise ValueError(f"recommended must be (n_users, k), got shape {recommended.shape}")
    if len(relevant) != recommended.shape[0]:
        raise ValueError(f"{recommended.shape[0]} recommendation lists but {len(relevant)} relevant sets")
    if not 1 <= k <= recommended.shape[1]:
        raise ValueError(f"k must be between 1 and the list length {recommended.shape[1]}, got {k}")
    rows, counts = [], []
    for row, wanted in zip(recommended[:, :k], relevant, strict=True):
        wanted = np.fromiter(wanted, dtype=np.int64) if isinstance(wanted, set | frozenset) else np.asarray(wanted)
        wanted = np.unique(wanted)
        if len(wanted) == 0:
            continue
        rows.append((row >= 0) & np.isin(row, wanted))
        counts.append(len(wanted))
    if not rows:
        return np.zeros((0, k), dtype=bool), np.zeros(0, dtype=np.int64)
    return np.array(rows), np.array(counts)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def precision_at_k(recommended, relevant: Sequence, k: int) -> float:
    """Share of the top ``k`` recommendations that are relevant: ``hits@k / k``, averaged over users."""
    hits, _ = _hits(recommended, relevant, k)
    return _mean(hits.sum(axis=1) / k)


def recall_at_k(recommended, relevant: Sequence, k: int) -> float:
    """Share of a user's relevant items found in the top ``k``: ``hits@k / |relevant|``, averaged."""
    hits, n_relevant = _hits(recommended, relevant, k)
    return _mean(hits.sum(axis=1) / np.maximum(n_relevant, 1))


def ndcg_at_k(recommended, relevant: Sequence, k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance, averaged over users.

    ``DCG = sum over positions i = 1..k of rel_i / log2(i + 1)``: a hit at the top counts 1, at
    position 2 counts 0.63, and so on. It is divided by the best possible DCG (all
    ``min(k, |relevant|)`` relevant items first), so 1 means a perfect order.
    """
    hits, n_relevant = _hits(recommended, relevant, k)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discount
    ideal = np.cumsum(discount)[np.minimum(n_relevant, k) - 1] if len(n_relevant) else np.zeros(0)
    return _mean(dcg / ideal)


def hit_rate_at_k(recommended, relevant: Sequence, k: int) -> float:
    """Share of users with at least one relevant item in their top ``k``."""
    hits, _ = _hits(recommended, relevant, k)
    return _mean(hits.any(axis=1).astype(np.float64))


def catalogue_coverage(recommended, n_items: int) -> float:
    """Share of the catalogue recommended to at least one user: ``|distinct items in lists| / n_items``.

    Accuracy alone rewards recommending the same blockbusters to everyone; coverage shows it.
    """
    items = np.asarray(recommended).ravel()
    items = items[(items >= 0) & (items < n_items)]
    return float(len(np.unique(items)) / n_items)
