"""Top-k recommendation: the best unseen items, best first, and never an item already rated."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.data import synthetic
from recsys_core.evaluation import ranking as recommend


def _random_case(rng: np.random.Generator):
    n_items = int(rng.integers(1, 40))
    # Few distinct values make ties common; a few NaNs test the "rank last" rule.
    scores = rng.integers(0, 5, size=n_items).astype(float) if rng.random() < 0.5 else rng.normal(size=n_items)
    scores[rng.random(n_items) < 0.05] = np.nan
    seen = np.flatnonzero(rng.random(n_items) < rng.random())
    k = int(rng.integers(0, n_items + 3))
    return scores, seen, k


@pytest.mark.parametrize("form", ["array", "set", "list", "mask"])
def test_top_k_never_returns_a_seen_item_over_many_random_inputs(form):
    rng = np.random.default_rng(["array", "set", "list", "mask"].index(form))
    for _ in range(500):
        scores, seen, k = _random_case(rng)
        n_items = len(scores)
        given = {"array": seen, "set": set(seen.tolist()), "list": seen.tolist(), "mask": np.isin(np.arange(n_items), seen)}[form]
        top = recommend.top_k(scores, given, k)
        unseen = np.setdiff1d(np.arange(n_items), seen)
        assert not set(top.tolist()) & set(seen.tolist())
        assert len(top) == min(k, len(unseen)) and len(set(top.tolist())) == len(top)
        # Best first, and nothing left out scores higher than the last one shown (NaN = lowest).
        ranked = np.where(np.isnan(scores), -np.inf, scores)
        assert np.all(ranked[top][:-1] >= ranked[top][1:])
        if len(top):
            rest = np.setdiff1d(unseen, top)
            assert np.all(ranked[rest] <= ranked[top[-1]])


def test_top_k_batch_agrees_with_top_k_row_by_row_and_never_shows_a_seen_item():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n_users, n_items = int(rng.integers(1, 8)), int(rng.integers(1, 30))
        scores = rng.integers(0, 4, size=(n_users, n_items)).astype(float)
        seen = rng.random((n_users, n_items)) < rng.random()
        k = int(rng.integers(1, n_items + 3))
        batch = recommend.top_k_batch(scores, seen, k)
        assert batch.shape == (n_users, k)
        for u in range(n_users):
            single = recommend.top_k(scores[u], seen[u], k)
            np.testing.assert_array_equal(batch[u, : len(single)], single)
            assert np.all(batch[u, len(single):] == -1)
            shown = batch[u][batch[u] >= 0]
            assert not seen[u, shown].any()


def test_seen_mask_marks_exactly_the_rated_cells():
    ratings = synthetic(n_users=20, n_items=15, n_ratings=60, seed=1)
    mask = recommend.seen_mask(ratings)
    assert mask.shape == (20, 15) and mask.sum() == 60
    assert mask[ratings.users, ratings.items].all()


def test_popular_items_are_the_most_rated_ones_the_user_has_not_seen():
    ratings = synthetic(n_users=30, n_items=20, n_ratings=150, seed=2)
    counts = np.bincount(ratings.items, minlength=20)
    top = recommend.popular_items(ratings, 3)
    assert list(counts[top]) == sorted(counts, reverse=True)[:3]
    skipped = recommend.popular_items(ratings, 3, seen={int(top[0])})
    np.testing.assert_array_equal(skipped[:2], top[1:])


def test_recommendation_table_lists_rank_id_title_genres_and_score_in_order():
    ratings = synthetic(n_users=10, n_items=12, n_ratings=40, seed=0)
    scores = np.linspace(0, 1, 12)
    items = recommend.top_k(scores, {11}, 3)
    table = recommend.recommendation_table(ratings, items, scores)
    assert list(table.columns) == ["rank", "item", "title", "genres", "score"]
    assert list(table["rank"]) == [1, 2, 3]
    assert list(table["item"]) == list(ratings.item_ids[[10, 9, 8]])
    assert table["title"][0] == ratings.title(10)
    np.testing.assert_allclose(table["score"], scores[[10, 9, 8]])
