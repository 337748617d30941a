"""Matrix views of ratings: the dense table with holes, filled variants, a window, a summary.

The lessons draw ratings as a users x items matrix with holes. Dense matrices are fine for
teaching sizes; `MAX_DENSE_CELLS` (MovieLens-1M fits) keeps a big upload from exhausting memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.ratings import Ratings

MAX_DENSE_CELLS = 25_000_000

FILL_CHOICES: dict[str, str] = {
    "zero": "Treat every missing rating as 0 - as if unseen meant hated.",
    "global_mean": "Fill every missing rating with the average of all ratings.",
    "user_mean": "Fill a user's missing ratings with that user's average rating.",
    "item_mean": "Fill an item's missing ratings with that item's average rating.",
}


def _check_dense(ratings: Ratings) -> None:
    cells = ratings.n_users * ratings.n_items
    if cells > MAX_DENSE_CELLS:
        raise ValueError(
            f"{ratings.n_users:,} users x {ratings.n_items:,} items is {cells:,} cells; a dense "
            f"matrix is limited to {MAX_DENSE_CELLS:,}. Use a smaller sample."
        )


def rating_matrix(ratings: Ratings) -> tuple[np.ndarray, np.ndarray]:
    """The dense users x items matrix (float32, NaN where unrated) and its mask of known cells."""
    _check_dense(ratings)
    matrix = np.full((ratings.n_users, ratings.n_items), np.nan, dtype=np.float32)
    matrix[ratings.users, ratings.items] = ratings.ratings
    return matrix, ~np.isnan(matrix)


def _means(index: np.ndarray, values: np.ndarray, size: int, fallback: float) -> np.ndarray:
    """Mean of ``values`` per ``index``; ``fallback`` where an index has no values."""
    counts = np.bincount(index, minlength=size)
    sums = np.bincount(index, weights=values.astype(np.float64), minlength=size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback)


def fill_missing(ratings: Ratings, how: str) -> Ratings:
    """Every users x items cell as a rating: known ones as rated, missing ones filled.

    Filling is what a naive model does when it treats the matrix as complete; the
    collaborative-filtering lesson trains on the result to show what each choice teaches
    (see `FILL_CHOICES`). A user or item with no ratings gets the global mean for the
    ``user_mean``/``item_mean`` fills. Cells are in row-major order (user 0's items first);
    timestamps are dropped because filled cells never happened.
    """
    if how not in FILL_CHOICES:
        raise ValueError(f"how must be one of {', '.join(FILL_CHOICES)}; got {how!r}")
    matrix, known = rating_matrix(ratings)
    filled = matrix.astype(np.float64)
    global_mean = ratings.global_mean
    if how == "zero":
        fill = np.zeros_like(filled)
    elif how == "global_mean":
        fill = np.full_like(filled, global_mean)
    elif how == "user_mean":
        user_means = _means(ratings.users, ratings.ratings, ratings.n_users, global_mean)
        fill = np.broadcast_to(user_means[:, None], filled.shape)
    else:
        item_means = _means(ratings.items, ratings.ratings, ratings.n_items, global_mean)
        fill = np.broadcast_to(item_means[None, :], filled.shape)
    filled = np.where(known, filled, fill).astype(np.float32)
    users, items = np.divmod(np.arange(filled.size, dtype=np.int64), ratings.n_items)
    low, high = ratings.rating_scale
    n_filled = int((~known).sum())
    return Ratings(
        users=users.astype(np.int32),
        items=items.astype(np.int32),
        ratings=filled.ravel(),
        n_users=ratings.n_users,
        n_items=ratings.n_items,
        user_ids=ratings.user_ids,
        item_ids=ratings.item_ids,
        timestamps=None,
        item_titles=ratings.item_titles,
        item_genres=ratings.item_genres,
        truth=ratings.truth,
        source=ratings.source,
        rating_scale=(min(low, 0.0), high) if how == "zero" else (low, high),
        notes=ratings.notes + (f"{n_filled:,} missing cells filled ({how.replace('_', ' ')}).",),
    )


def matrix_window(ratings: Ratings, n_users: int = 20, n_items: int = 30, by: str = "most_active") -> pd.DataFrame:
    """A corner of the rating matrix for a heatmap: rows are user ids, columns item titles.

    ``by="most_active"`` shows the users with most ratings and the items rated most often
    (the densest corner, where holes and patterns are both visible); ``by="first"`` shows the
    first users and items in id order (what the raw matrix looks like: mostly holes).
    Missing ratings are NaN.
    """
    if by == "most_active":
        user_counts = np.bincount(ratings.users, minlength=ratings.n_users)
        item_counts = np.bincount(ratings.items, minlength=ratings.n_items)
        rows = np.sort(np.argsort(-user_counts, kind="stable")[:n_users])
        cols = np.argsort(-item_counts, kind="stable")[:n_items]
    elif by == "first":
        rows = np.arange(min(n_users, ratings.n_users))
        cols = np.arange(min(n_items, ratings.n_items))
    else:
        raise ValueError(f"by must be 'most_active' or 'first', got {by!r}")
    window = np.full((len(rows), len(cols)), np.nan, dtype=np.float32)
    row_of = np.full(ratings.n_users, -1)
    row_of[rows] = np.arange(len(rows))
    col_of = np.full(ratings.n_items, -1)
    col_of[cols] = np.arange(len(cols))
    inside = (row_of[ratings.users] >= 0) & (col_of[ratings.items] >= 0)
    window[row_of[ratings.users[inside]], col_of[ratings.items[inside]]] = ratings.ratings[inside]
    # Column labels must be unique for a heatmap; real catalogues repeat titles (remakes).
    labels, seen = [], set()
    for item in cols:
        label = ratings.title(int(item))
        if label in seen:
            label = f"{label} [{ratings.item_ids[item]}]"
        seen.add(label)
        labels.append(label)
    return pd.DataFrame(
        window,
        index=pd.Index(ratings.user_ids[rows], name="user"),
        columns=pd.Index(labels, name="item"),
    )


# --- a summary a learner can read ----------------------------------------------------------


def describe(ratings: Ratings) -> dict:
    """Sizes, sparsity, rating distribution and popularity skew of a ratings set.

    Keys: n_users, n_items, n_ratings, density, mean, std, ratings_per_user_median,
    ratings_per_user_max, ratings_per_item_median, ratings_per_item_max, top10_item_share
    (share of all ratings that go to the 10% most-rated items: the long tail in one number),
    histogram ({rating value: count}, whole stars as ints; rounded to whole points when a
    file has more than 21 distinct values).
    """
    per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    per_item = np.bincount(ratings.items, minlength=ratings.n_items)
    n_top = max(1, int(np.ceil(0.1 * ratings.n_items)))
    top_share = float(np.sort(per_item)[::-1][:n_top].sum() / max(len(ratings), 1))
    values = ratings.ratings.astype(np.float64)
    if len(np.unique(values)) > 21:
        values = np.rint(values)
    keys, counts = np.unique(values, return_counts=True)
    histogram = {(int(k) if float(k).is_integer() else float(k)): int(c) for k, c in zip(keys, counts, strict=True)}
    return {
        "n_users": ratings.n_users,
        "n_items": ratings.n_items,
        "n_ratings": len(ratings),
        "density": ratings.density,
        "mean": float(ratings.ratings.mean()) if len(values) else float("nan"),
        "std": float(ratings.ratings.std()) if len(values) else float("nan"),
        "ratings_per_user_median": float(np.median(per_user)),
        "ratings_per_user_max": int(per_user.max()),
        "ratings_per_item_median": float(np.median(per_item)),
        "ratings_per_item_max": int(per_item.max()),
        "top10_item_share": top_share,
        "histogram": histogram,
    }
