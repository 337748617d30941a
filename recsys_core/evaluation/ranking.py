"""Top-k recommendation: from a score per item to the short list a user actually sees.

Any model (matrix factorization, the neural recommender, popularity, random) ends in a score for
every item; a recommender then shows the k best items the user has *not* rated yet. Items the
user already rated are masked out before ranking: recommending something the user has already
watched and rated tells them nothing new and wastes one of only k slots — and it would flatter
offline metrics, because a model easily "predicts" the training ratings it was fitted to.

numpy only: the scores come out of JAX as arrays, the lists go into tables and charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data import Ratings


def seen_indices(seen: np.ndarray | set | list | None, n_items: int) -> np.ndarray:
    """Seen items as an index array; accepts a set, an index array or a boolean mask."""
    if seen is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(seen, set | frozenset):
        arr = np.fromiter((int(i) for i in seen), dtype=np.int64, count=len(seen))
    else:
        arr = np.asarray(seen)
    if arr.dtype == bool:
        if arr.shape != (n_items,):
            raise ValueError(f"a boolean seen mask must have shape ({n_items},); got {arr.shape}")
        return np.flatnonzero(arr)
    arr = arr.astype(np.int64).reshape(-1)
    return arr[(arr >= 0) & (arr < n_items)]


def top_k(scores: np.ndarray, seen: np.ndarray | set | list | None, k: int) -> np.ndarray:
    """Indices of the ``k`` highest-scoring items the user has not seen, best first.

    Returns fewer than ``k`` indices when fewer than ``k`` items are unseen. Ties keep the lower
    item index first (a stable sort), so equal scores give a reproducible list. NaN scores rank
    last.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    n_items = scores.shape[0]
    masked = np.where(np.isnan(scores), -np.inf, scores)
    available = np.ones(n_items, dtype=bool)
    available[seen_indices(seen, n_items)] = False
    candidates = np.flatnonzero(available)
    if k <= 0 or candidates.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-masked[candidates], kind="stable")[:k]
    return candidates[order].astype(np.int64)


def top_k_batch(scores: np.ndarray, seen_mask: np.ndarray, k: int) -> np.ndarray:
    """Top-k unseen items for every user at once: (n_users, n_items) -> (n_users, k) indices.

    A user with fewer than ``k`` unseen items gets their unseen items first and then ``-1``
    (no item) in the remaining slots, so the result stays one rectangular array.
    """
    scores = np.asarray(scores, dtype=np.float64)
    seen_mask = np.asarray(seen_mask, dtype=bool)
    if scores.shape != seen_mask.shape:
        raise ValueError(f"scores {scores.shape} and seen_mask {seen_mask.shape} must have the same shape")
    n_users, n_items = scores.shape
    k_eff = min(k, n_items)
    # Seen items get -inf; NaN counts as worst-but-unseen so it still ranks above seen items.
    masked = np.where(np.isnan(scores), np.finfo(np.float64).min, scores)
    masked = np.where(seen_mask, -np.inf, masked)
    # A stable sort keeps ties in item order, exactly as `top_k` does (argpartition would pick
    # an arbitrary subset of tied items); sorting 1000 x 500 scores takes milliseconds.
    result = np.argsort(-masked, axis=1, kind="stable")[:, :k_eff].astype(np.int64)
    result_scores = np.take_along_axis(masked, result, axis=1)
    result[np.isneginf(result_scores)] = -1
    if k > n_items:
        result = np.concatenate([result, np.full((n_users, k - n_items), -1, np.int64)], axis=1)
    return result


def seen_mask(ratings: Ratings) -> np.ndarray:
    """Boolean (n_users, n_items) matrix: True where the user has rated the item."""
    mask = np.zeros((ratings.n_users, ratings.n_items), dtype=bool)
    mask[ratings.users, ratings.items] = True
    return mask


def item_popularity(ratings: Ratings) -> np.ndarray:
    """Number of ratings each item received, shape (n_items,)."""
    return np.bincount(ratings.items, minlength=ratings.n_items)


def popular_items(ratings: Ratings, k: int, seen: np.ndarray | set | list | None = None) -> np.ndarray:
    """The ``k`` most-rated items (the non-personalised baseline), skipping ``seen`` ones."""
    return top_k(item_popularity(ratings).astype(np.float64), seen, k)


def recommendation_table(ratings: Ratings, items: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """A readable top-k list: rank, item id, title, genres and the score that ranked it.

    ``scores`` is either every item's score (n_items,) or one score per listed item.
    """
    items = np.asarray(items, dtype=np.int64).reshape(-1)
    items = items[items >= 0]
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    listed = scores[items] if scores.shape[0] == ratings.n_items else scores[: len(items)]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(items) + 1),
            "item": ratings.item_ids[items],
            "title": [ratings.title(int(i)) for i in items],
            "genres": [", ".join(ratings.genres_of(int(i))) for i in items],
            "score": listed,
        }
    )
