"""The Playground's comparison: same split for every model, baselines computed exactly."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from recsys_core.data import holdout_split, synthetic
from recsys_core.evaluation import compare
from recsys_core.models.baselines import BIAS_REG_USERS
from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import NeuralConfig


@pytest.fixture(scope="module")
def split():
    return holdout_split(synthetic(n_users=200, n_items=100, n_ratings=4_000, seed=1))


def test_bias_baseline_beats_the_mean_and_its_biases_are_shrunken_means(split):
    train, val = split
    params, history = compare.bias_baseline(train, val)
    mean_rmse = math.sqrt(np.mean((val.ratings - train.global_mean) ** 2))
    assert history[-1].val_metric < mean_rmse - 0.02
    # At the fixed point each user bias is its shrunken mean residual given the item biases.
    residual = train.ratings - train.global_mean - params.item_bias[train.items]
    expected = np.bincount(train.users, residual, train.n_users) / (np.bincount(train.users, minlength=train.n_users)
                                                                    + BIAS_REG_USERS)
    assert_allclose(params.user_bias, expected, atol=1e-5)


def test_an_oracle_that_knows_the_held_out_ratings_ranks_far_better_than_random(split):
    train, test = split
    oracle = np.full((train.n_users, train.n_items), 0.0)
    oracle[test.users, test.items] = test.ratings  # knows the held-out ratings
    scores = compare.ranking_scores(lambda users: oracle[users], train, test, k=5)
    assert scores["precision"] > 0.3
    random = compare.ranking_scores(lambda users: np.random.default_rng(0).random((len(users), train.n_items)),
                                    train, test, k=5)
    assert scores["ndcg"] > 5 * random["ndcg"]


def test_compare_models_scores_four_models_on_the_same_held_out_ratings(split):
    train, test = split
    results = compare.compare_models(train, test, MFConfig(k=4, epochs=3, learning_rate=0.03),
                                     NeuralConfig(scorer="dot", embedding_dim=8, epochs=2))
    assert [r.model for r in results] == [compare.MEAN, compare.BIAS, compare.MF, compare.NEURAL]
    for r in results:
        assert all(math.isfinite(x) for x in (r.rmse, r.mae, r.accuracy, r.precision, r.ndcg, r.coverage)), r
    assert results[1].rmse < results[0].rmse
    assert compare.findings(results, len(train) + len(test), train.n_users)


def test_a_diverging_model_gets_an_empty_row_with_the_reason(split):
    train, test = split
    results = compare.compare_models(train, test, MFConfig(k=4, epochs=3, learning_rate=5.0),
                                     NeuralConfig(scorer="dot", embedding_dim=8, epochs=1))
    mf = results[2]
    assert math.isnan(mf.rmse) and "diverged" in mf.message
    assert math.isfinite(results[3].rmse)
