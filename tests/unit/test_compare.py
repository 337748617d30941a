"""The Playground's comparison: same split for every model, baselines computed exactly."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from recsys_core.data import holdout_split, synthetic
from recsys_core.evaluation import compare
from recsys_core.models.baselines import BIAS_REG_USERS
from recsys_core.training.bayes import BayesConfig, predict
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


BAYES = BayesConfig(rank=4, n_samples=12, burn_in=3, sweeps_per_call=5)


def test_compare_models_scores_five_models_on_the_same_held_out_ratings(split):
    train, test = split
    results = compare.compare_models(train, test, MFConfig(k=4, epochs=3, learning_rate=0.03),
                                     NeuralConfig(scorer="dot", embedding_dim=8, epochs=2), bayes_config=BAYES)
    assert [r.model for r in results] == [compare.MEAN, compare.BIAS, compare.MF, compare.NEURAL, compare.BAYES]
    for r in results:
        assert all(math.isfinite(x) for x in (r.rmse, r.mae, r.accuracy, r.precision, r.ndcg, r.coverage)), r
        assert r.ranked_users == results[0].ranked_users > 0  # the same users' lists for every model
    assert results[1].rmse < results[0].rmse
    assert compare.findings(results, len(train) + len(test), train.n_users)


def test_the_bayesian_row_is_trained_through_the_loop_and_scored_by_its_posterior_mean(split):
    train, test = split
    row = compare.bayes_row(train, test, BAYES)
    assert [r.epoch for r in row.history] == [0, 1, 2, 3]  # epoch 0, then 15 sweeps in chunks of 5
    mean, _ = predict(row.posterior, test.users, test.items)
    assert row.rmse == pytest.approx(float(np.sqrt(np.mean((mean - test.ratings) ** 2))), rel=1e-6)
    assert row.history[-1].val_metric == pytest.approx(row.rmse, rel=1e-4)  # the loop scored the same posterior mean
    assert row.rmse < math.sqrt(np.mean((test.ratings - train.global_mean) ** 2)) - 0.05
    assert len(row.posterior.user_samples) == BAYES.n_samples
    assert row.sample_curve.mean_rmse[-1] == pytest.approx(row.rmse, rel=1e-4)
    assert len(row.sample_curve.sweeps) == BAYES.total_sweeps


def _row(model: str, ndcg: float, precision: float, rmse: float = 1.0, users: int = 900) -> compare.ModelResult:
    return compare.ModelResult(model, rmse, 0.8, 0.3, precision, 0.1, ndcg, 0.2, 0.1, (), ranked_users=users)


def test_a_trained_model_ranking_below_biases_only_beyond_noise_is_flagged_with_both_numbers():
    results = [_row(compare.MEAN, 0.004, 0.004, 1.12), _row(compare.BIAS, 0.096, 0.083, 1.00),
               _row(compare.MF, 0.064, 0.060, 0.91), _row(compare.BAYES, 0.134, 0.109, 0.89)]
    flagged = [line for line in compare.findings(results, 50_000, 1000) if "ranks worse than" in line]
    assert len(flagged) == 1
    assert "**biased MF** ranks worse than **biases only**" in flagged[0]
    assert "NDCG@5 0.064 vs 0.096" in flagged[0] and "precision@5 0.060 vs 0.083" in flagged[0]
    assert "RMSE 0.910 vs 1.000" in flagged[0]  # it predicts ratings better yet ranks worse: said so


def test_a_gap_to_the_baseline_within_noise_is_not_flagged():
    # 0.064 vs 0.096 over 100 users: twice the largest standard error is about 0.08, more than the gap.
    results = [_row(compare.MEAN, 0.004, 0.004, users=100), _row(compare.BIAS, 0.096, 0.083, users=100),
               _row(compare.MF, 0.064, 0.060, users=100)]
    assert compare.ranks_below_baseline(results[2], results) is None
    assert compare.ranks_below_baseline(results[1], results) is None  # a baseline is never flagged against itself


def test_ranking_below_guessing_the_mean_is_flagged_as_worse_than_arbitrary():
    results = [_row(compare.MEAN, 0.10, 0.08), _row(compare.BIAS, 0.05, 0.05), _row(compare.NEURAL, 0.01, 0.01)]
    line = compare.ranks_below_baseline(results[2], results)
    assert line is not None and "**guess the mean**" in line and "worse than arbitrary" in line


def test_a_diverging_model_gets_an_empty_row_with_the_reason(split):
    train, test = split
    results = compare.compare_models(train, test, MFConfig(k=4, epochs=3, learning_rate=5.0),
                                     NeuralConfig(scorer="dot", embedding_dim=8, epochs=1))
    mf = results[2]
    assert math.isnan(mf.rmse) and "diverged" in mf.message
    assert math.isfinite(results[3].rmse)
