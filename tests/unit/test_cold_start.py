"""Folding a new user into a trained MF model: the ridge solve recovers, shrinks and falls back."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from recsys_core.data import synthetic
from recsys_core.evaluation.ranking import top_k
from recsys_core.lessons import cold_start
from recsys_core.models.mf import MFParams


def planted_params(n_items: int = 60, k: int = 4, seed: int = 0) -> MFParams:
    rng = np.random.default_rng(seed)
    return MFParams(
        global_mean=np.float32(3.5),
        user_bias=np.zeros(1, np.float32),
        item_bias=rng.normal(0.0, 0.3, n_items).astype(np.float32),
        user_factors=np.zeros((1, k), np.float32),
        item_factors=rng.normal(0.0, 1.0, (n_items, k)).astype(np.float32),
    )


def test_fold_in_recovers_a_known_user_vector_and_bias_from_noiseless_ratings():
    params = planted_params()
    true_vector, true_bias = np.array([0.8, -0.5, 0.3, 0.1]), 0.4
    items = np.arange(30)
    ratings = cold_start.new_user_scores(params, true_vector, true_bias)[items]
    vector, bias = cold_start.fold_in_user(params, items, ratings, l2=1e-6)
    assert_allclose(vector, true_vector, atol=1e-4)  # float32 item factors, tiny ridge
    assert bias == pytest.approx(true_bias, abs=1e-4)


def test_zero_ratings_give_the_zero_vector_so_the_ranking_is_the_item_bias_ranking():
    params = planted_params()
    vector, bias = cold_start.fold_in_user(params, [], [], l2=1.0)
    assert_allclose(vector, np.zeros(params.k))
    assert bias == 0.0
    ranking = top_k(cold_start.new_user_scores(params, vector, bias), [], 10)
    assert_allclose(ranking, np.argsort(-np.asarray(params.item_bias), kind="stable")[:10])


def test_more_l2_shrinks_the_vector_towards_zero():
    params = planted_params()
    items = np.arange(8)
    ratings = np.array([5, 5, 1, 4, 2, 5, 1, 3], float)
    norms = [np.linalg.norm(cold_start.fold_in_user(params, items, ratings, l2)[0]) for l2 in (0.1, 1.0, 10.0, 100.0)]
    assert all(a > b for a, b in zip(norms, norms[1:], strict=False)), norms
    assert norms[-1] < 0.1 * norms[0]


def test_l2_zero_with_fewer_ratings_than_unknowns_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least k \\+ 1"):
        cold_start.fold_in_user(planted_params(), [0, 1], [5, 4], l2=0.0)


def test_items_to_rate_are_popular_distinct_and_span_several_genres():
    ratings = synthetic(n_ratings=10_000, seed=0)
    chosen = cold_start.items_to_rate(ratings, 12)
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    assert len(set(chosen.tolist())) == 12
    assert len({ratings.genres_of(int(i))[0] for i in chosen}) >= 6
    assert np.all(np.diff(counts[chosen]) <= 0)  # most rated first
    assert counts[chosen].min() >= np.sort(counts)[-120]  # all among the 120 most rated of 500


def test_prior_l2_is_noise_variance_over_the_trained_users_feature_variance():
    params = planted_params()._replace(user_factors=np.full((5, 4), 0.5, np.float32))
    assert cold_start.prior_l2(params, rating_mse=0.75) == pytest.approx(3.0)
