"""The movielens-like preset has MovieLens-100K's published shape, shares and popularity curve."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.data import ML_1M, movielens_like

ML_100K_SHARES = np.array([0.061, 0.114, 0.271, 0.342, 0.212])


@pytest.fixture(scope="module")
def data():
    return movielens_like(seed=0)


def _shares(ratings) -> np.ndarray:
    return np.bincount(ratings.ratings.astype(int), minlength=6)[1:] / len(ratings)


def test_it_has_movielens_100k_size_with_every_item_rated_and_no_pair_twice(data):
    assert (data.n_users, data.n_items, len(data)) == (943, 1682, 100_000)
    assert np.bincount(data.items, minlength=data.n_items).min() >= 1
    pairs = data.users.astype(np.int64) * data.n_items + data.items
    assert len(np.unique(pairs)) == len(pairs)


def test_rating_shares_are_within_one_point_of_movielens_100k(data):
    np.testing.assert_allclose(_shares(data), ML_100K_SHARES, atol=0.01)


def test_mean_rating_is_within_0_03_of_3_53(data):
    assert abs(float(data.ratings.mean()) - 3.53) <= 0.03


def test_every_user_has_at_least_20_ratings(data):
    assert np.bincount(data.users, minlength=data.n_users).min() >= 20


def test_popularity_curve_follows_movielens_100k(data):
    # Published: most-rated item 583, median item 27, item Gini 0.629 (LensKit's description).
    counts = np.sort(np.bincount(data.items, minlength=data.n_items))
    gini = float((2 * np.arange(1, len(counts) + 1) - len(counts) - 1) @ counts / (len(counts) * counts.sum()))
    assert 500 <= counts[-1] <= 680
    assert 22 <= np.median(counts) <= 33
    assert 0.59 <= gini <= 0.67
    assert np.sum(counts <= 5) >= 150  # a long tail of rarely rated films
    assert 0.38 <= counts[-len(counts) // 10:].sum() / counts.sum() <= 0.52


def test_the_same_seed_gives_the_same_ratings_and_another_seed_others(data):
    again = movielens_like(seed=0)
    other = movielens_like(seed=1)
    for name in ("users", "items", "ratings"):
        np.testing.assert_array_equal(getattr(again, name), getattr(data, name))
    assert not np.array_equal(other.ratings, data.ratings) or not np.array_equal(other.items, data.items)


def test_the_1m_preset_has_movielens_1m_size_shares_and_minimum_activity():
    data = movielens_like(seed=0, shape=ML_1M)
    assert (data.n_users, data.n_items, len(data)) == (6040, 3706, 1_000_209)
    np.testing.assert_allclose(_shares(data), ML_1M.shares, atol=0.01)
    assert np.bincount(data.users, minlength=data.n_users).min() >= 20
