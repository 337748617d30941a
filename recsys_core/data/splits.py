"""Train/test splits: a model is judged on ratings it did not train on.

Every split keeps the whole catalogue (same n_users, n_items, ids and titles) so train and test
index the same embedding tables.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data.ratings import Ratings

TEST_FRACTION = 0.2  # the lessons' and the Playground's held-out share


def holdout_split(ratings: Ratings, test_fraction: float = TEST_FRACTION, seed: int = 0) -> tuple[Ratings, Ratings]:
    """A random ``test_fraction`` of the ratings for testing, the rest for training.

    Ratings are drawn one by one (not users), so a test user usually has train ratings too.
    Both parts keep the original order of the ratings.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n = len(ratings)
    n_test = int(round(n * test_fraction))
    order = np.random.default_rng(seed).permutation(n)
    test = np.sort(order[:n_test])
    train = np.sort(order[n_test:])
    return ratings.subset(train), ratings.subset(test)


def held_out_share(train: Ratings, test: Ratings) -> float:
    """The share of the ratings a split holds out: what the pages quote ("validation uses 20%")."""
    return len(test) / max(len(train) + len(test), 1)


def kfold_indices(n_ratings: int, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) rating indices per fold, exactly as Surprise's ``KFold`` makes them.

    Matching ``surprise.model_selection.KFold(n_folds, random_state=seed, shuffle=True)``
    index for index lets the app quote Surprise's published numbers as a fair baseline: the
    indices are shuffled once with ``np.random.RandomState(seed)``, fold ``i`` tests on the
    next ``n // k`` of them (one more for the first ``n % k`` folds) and trains on the others,
    in Surprise's order (the shuffled indices before the fold, then those after it).
    """
    if not 2 <= n_folds <= n_ratings:
        raise ValueError(f"n_folds must be between 2 and the number of ratings ({n_ratings}), got {n_folds}")
    indices = np.arange(n_ratings)
    np.random.RandomState(seed).shuffle(indices)
    folds = []
    start = stop = 0
    for fold in range(n_folds):
        start = stop
        stop += n_ratings // n_folds + (1 if fold < n_ratings % n_folds else 0)
        folds.append((np.concatenate((indices[:start], indices[stop:])), indices[start:stop].copy()))
    return folds


def kfold(ratings: Ratings, n_folds: int = 5, seed: int = 0) -> list[tuple[Ratings, Ratings]]:
    """(train, test) `Ratings` per fold; see `kfold_indices` for the protocol."""
    return [(ratings.subset(train), ratings.subset(test)) for train, test in kfold_indices(len(ratings), n_folds, seed)]


def leave_last_out(ratings: Ratings) -> tuple[Ratings, Ratings]:
    """Each user's latest rating is the test set; everything before it trains.

    This is how a recommender is used: predict what someone does next from what they did
    before. Latest means the largest timestamp (ties: the later one in the data), or simply
    the last in the data when there are no timestamps. A user with a single rating keeps it
    in training, since nothing would be left to learn them from.
    """
    n = len(ratings)
    position = np.arange(n)
    time = ratings.timestamps if ratings.timestamps is not None else position
    order = np.lexsort((position, time, ratings.users))  # by user, then time, then position
    sorted_users = ratings.users[order]
    is_last = np.ones(n, dtype=bool)
    is_last[:-1] = sorted_users[:-1] != sorted_users[1:]
    per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    last = order[is_last]
    last = last[per_user[ratings.users[last]] >= 2]
    test_mask = np.zeros(n, dtype=bool)
    test_mask[last] = True
    return ratings.subset(np.flatnonzero(~test_mask)), ratings.subset(np.flatnonzero(test_mask))
