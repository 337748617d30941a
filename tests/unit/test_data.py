"""The synthetic catalogue, the splits, the matrix view and the summary behave as the lessons assume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import (
    FILL_CHOICES,
    MAX_DENSE_CELLS,
    Ratings,
    describe,
    fill_missing,
    holdout_split,
    kfold,
    kfold_indices,
    leave_last_out,
    matrix_window,
    rating_matrix,
    synthetic,
)


def tiny(ratings, users, items, timestamps=None) -> Ratings:
    """A hand-made Ratings with ids 1..n (index + 1)."""
    users, items = np.asarray(users, dtype=np.int32), np.asarray(items, dtype=np.int32)
    n_users, n_items = int(users.max()) + 1, int(items.max()) + 1
    return Ratings(
        users=users,
        items=items,
        ratings=np.asarray(ratings, dtype=np.float32),
        n_users=n_users,
        n_items=n_items,
        user_ids=np.arange(1, n_users + 1),
        item_ids=np.arange(1, n_items + 1),
        timestamps=None if timestamps is None else np.asarray(timestamps, dtype=np.int64),
    )


@pytest.fixture(scope="module")
def movielens_like() -> Ratings:
    return synthetic(n_users=943, n_items=1682, n_ratings=100_000)


@pytest.fixture(scope="module")
def small() -> Ratings:
    return synthetic(n_users=60, n_items=40, n_ratings=600, seed=3)


# --- the synthetic catalogue -----------------------------------------------------------------


def test_synthetic_is_deterministic_per_seed_and_differs_across_seeds():
    first, again, other = synthetic(seed=5), synthetic(seed=5), synthetic(seed=6)
    for name in ("users", "items", "ratings", "timestamps", "item_titles"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert first.item_genres == again.item_genres
    assert not np.array_equal(first.ratings, other.ratings) or not np.array_equal(first.items, other.items)


def test_synthetic_has_the_requested_shape_and_density():
    ratings = synthetic(n_users=200, n_items=100, n_ratings=3000)
    assert (ratings.n_users, ratings.n_items, len(ratings)) == (200, 100, 3000)
    assert ratings.density == pytest.approx(3000 / (200 * 100))
    assert ratings.users.max() < 200 and ratings.items.max() < 100


def test_synthetic_movielens_shape_has_movielens_like_rating_mean_and_spread(movielens_like):
    assert 3.3 <= movielens_like.ratings.mean() <= 3.8
    assert 0.9 <= movielens_like.ratings.std() <= 1.3


def test_synthetic_popularity_has_a_long_tail(movielens_like):
    assert describe(movielens_like)["top10_item_share"] > 0.35


def test_synthetic_gives_every_user_at_least_two_ratings_and_no_pair_twice(movielens_like):
    assert np.bincount(movielens_like.users, minlength=movielens_like.n_users).min() >= 2
    pairs = movielens_like.users.astype(np.int64) * movielens_like.n_items + movielens_like.items
    assert len(np.unique(pairs)) == len(pairs)


def test_synthetic_titles_are_unique_and_each_item_has_one_or_two_genres(movielens_like):
    assert len(set(movielens_like.item_titles)) == movielens_like.n_items
    assert {len(g) for g in movielens_like.item_genres} <= {1, 2}


# --- splits -----------------------------------------------------------------------------------


def test_holdout_split_sizes_add_up_and_the_parts_are_disjoint(small):
    train, test = holdout_split(small, test_fraction=0.25, seed=1)
    assert (len(train), len(test)) == (450, 150)
    key = lambda r: set(zip(r.users.tolist(), r.items.tolist(), strict=True))  # noqa: E731
    assert key(train).isdisjoint(key(test))
    assert key(train) | key(test) == key(small)
    assert (train.n_users, train.n_items) == (small.n_users, small.n_items)


def test_holdout_split_is_seeded(small):
    a, b, c = holdout_split(small, seed=1)[1], holdout_split(small, seed=1)[1], holdout_split(small, seed=2)[1]
    np.testing.assert_array_equal(a.items, b.items)
    assert not np.array_equal(a.items, c.items)


def test_kfold_indices_match_surprise_fold_for_fold():
    from surprise import Dataset, Reader
    from surprise.model_selection import KFold

    n = 103  # not a multiple of 5, so the first folds are one longer
    frame = pd.DataFrame({"user": np.arange(n) % 7, "item": np.arange(n), "rating": np.ones(n)})
    data = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5)))
    ours = kfold_indices(n, n_folds=5, seed=42)
    theirs = list(KFold(n_splits=5, random_state=42, shuffle=True).split(data))
    assert [len(test) for _, test in ours] == [21, 21, 21, 20, 20]
    for (train, test), (their_train, their_test) in zip(ours, theirs, strict=True):
        # item id == rating index, so Surprise's raw test items are the test indices, in order.
        assert [int(t[1]) for t in their_test] == test.tolist()
        their_train_items = sorted(int(their_train.to_raw_iid(i)) for _, i, _ in their_train.all_ratings())
        assert their_train_items == sorted(train.tolist())


def test_kfold_folds_partition_the_ratings(small):
    folds = kfold(small, n_folds=4, seed=0)
    tested = np.concatenate([test.users.astype(np.int64) * small.n_items + test.items for _, test in folds])
    assert np.array_equal(np.sort(tested), np.sort(small.users.astype(np.int64) * small.n_items + small.items))
    assert all(len(train) + len(test) == len(small) for train, test in folds)


def test_leave_last_out_takes_each_users_latest_rating_by_timestamp():
    #        user 0: times 5, 9, 1 -> item 1 (time 9) is latest; user 1: one rating stays in train
    #        user 2: times 3, 3 -> a tie goes to the later one in the data (item 3)
    ratings = tiny([4, 5, 3, 2, 1, 4], [0, 0, 0, 1, 2, 2], [0, 1, 2, 0, 0, 3], timestamps=[5, 9, 1, 7, 3, 3])
    train, test = leave_last_out(ratings)
    assert sorted(zip(test.users.tolist(), test.items.tolist(), strict=True)) == [(0, 1), (2, 3)]
    assert len(train) == 4 and 1 in train.users


def test_leave_last_out_without_timestamps_takes_the_last_in_order():
    ratings = tiny([4, 5, 3, 2], [0, 1, 0, 1], [0, 0, 1, 1])
    _, test = leave_last_out(ratings)
    assert sorted(zip(test.users.tolist(), test.items.tolist(), strict=True)) == [(0, 1), (1, 1)]


# --- matrix view and filling -------------------------------------------------------------------


def test_rating_matrix_has_nan_holes_and_a_mask_of_known_cells():
    matrix, known = rating_matrix(tiny([4, 2, 5], [0, 1, 1], [0, 0, 2]))
    assert matrix.dtype == np.float32 and matrix.shape == (2, 3)
    np.testing.assert_array_equal(known, [[True, False, False], [True, False, True]])
    assert matrix[1, 2] == 5 and np.isnan(matrix[0, 1])


@pytest.mark.parametrize("how", list(FILL_CHOICES))
def test_fill_missing_keeps_known_cells_and_fills_every_other_cell(small, how):
    filled = fill_missing(small, how)
    assert len(filled) == small.n_users * small.n_items
    before, known = rating_matrix(small)
    after, after_known = rating_matrix(filled)
    assert after_known.all()
    np.testing.assert_array_equal(after[known], before[known])
    # The expected fill for a missing cell (u, i), computed the slow way.
    u, i = map(int, np.argwhere(~known)[0])
    expected = {
        "zero": 0.0,
        "global_mean": small.ratings.mean(),
        "user_mean": small.ratings[small.users == u].mean(),
        "item_mean": small.ratings[small.items == i].mean() if (small.items == i).any() else small.ratings.mean(),
    }[how]
    assert after[u, i] == pytest.approx(expected, abs=1e-5)


def test_fill_with_zero_widens_the_rating_scale_to_include_zero(small):
    assert fill_missing(small, "zero").rating_scale == (0.0, 5.0)
    assert fill_missing(small, "global_mean").rating_scale == small.rating_scale


def test_fill_missing_describes_every_choice_and_refuses_unknown_ones(small):
    assert set(FILL_CHOICES) == {"zero", "global_mean", "user_mean", "item_mean"}
    with pytest.raises(ValueError, match="how must be one of"):
        fill_missing(small, "median")


def test_dense_views_refuse_matrices_too_big_for_memory():
    huge = tiny([1, 2], [0, 1], [0, 1])
    huge = Ratings(**{**huge.__dict__, "n_users": MAX_DENSE_CELLS, "n_items": 2})
    with pytest.raises(ValueError, match="dense matrix is limited"):
        rating_matrix(huge)


def test_matrix_window_shows_the_most_active_users_and_most_rated_items(small):
    window = matrix_window(small, n_users=5, n_items=4)
    assert window.shape == (5, 4)
    per_user = np.bincount(small.users, minlength=small.n_users)
    per_item = np.bincount(small.items, minlength=small.n_items)
    assert per_user[np.searchsorted(small.user_ids, window.index)].min() == np.sort(per_user)[-5]
    assert list(window.columns) == [small.title(i) for i in np.argsort(-per_item, kind="stable")[:4]]
    matrix, _ = rating_matrix(small)
    u, title = window.index[0] - 1, window.columns[0]
    i = list(small.item_titles).index(title)
    np.testing.assert_equal(window.iloc[0, 0], matrix[u, i])


def test_matrix_window_labels_repeated_titles_apart():
    ratings = tiny([4, 2, 5], [0, 1, 1], [0, 0, 1])
    ratings = Ratings(**{**ratings.__dict__, "item_titles": np.array(["Heat", "Heat"], dtype=object)})
    assert list(matrix_window(ratings).columns) == ["Heat", "Heat [2]"]


# --- describe ------------------------------------------------------------------------------------


def test_describe_counts_a_hand_made_example():
    # users rated 3, 1, 1 items; item 0 has 3 ratings, item 1 one, item 2 one (5 ratings, 3x3)
    stats = describe(tiny([4, 4, 2, 5, 3], [0, 0, 0, 1, 2], [0, 1, 2, 0, 0]))
    assert stats["n_users"] == 3 and stats["n_items"] == 3 and stats["n_ratings"] == 5
    assert stats["density"] == pytest.approx(5 / 9)
    assert stats["mean"] == pytest.approx(18 / 5)
    assert stats["std"] == pytest.approx(np.std([4, 4, 2, 5, 3]))
    assert (stats["ratings_per_user_median"], stats["ratings_per_user_max"]) == (1.0, 3)
    assert (stats["ratings_per_item_median"], stats["ratings_per_item_max"]) == (1.0, 3)
    assert stats["top10_item_share"] == pytest.approx(3 / 5)  # top 10% of 3 items = 1 item, 3 ratings
    assert stats["histogram"] == {2: 1, 3: 1, 4: 2, 5: 1}
