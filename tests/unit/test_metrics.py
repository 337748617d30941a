"""Each metric against a hand-computed example (arithmetic in the comments), auc against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from recsys_core.evaluation.metrics import (
    auc,
    binary_accuracy,
    catalogue_coverage,
    hit_rate_at_k,
    log_loss,
    mae,
    ndcg_at_k,
    precision_at_k,
    rating_accuracy,
    recall_at_k,
    rmse,
)

PRED = [3.0, 4.5, 2.0, 5.0]
TRUE = [4.0, 4.0, 2.0, 3.0]  # errors: -1, +0.5, 0, +2


def test_rmse_is_the_root_of_the_mean_squared_error():
    # squares 1, 0.25, 0, 4 -> mean 5.25 / 4 = 1.3125 -> sqrt
    assert rmse(PRED, TRUE) == pytest.approx(math.sqrt(1.3125))


def test_mae_is_the_mean_absolute_error():
    # |errors| 1, 0.5, 0, 2 -> 3.5 / 4
    assert mae(PRED, TRUE) == pytest.approx(0.875)


def test_rating_accuracy_counts_predictions_within_half_a_star_inclusive():
    # |errors| 1 (no), 0.5 (yes, boundary), 0 (yes), 2 (no) -> 2 / 4
    assert rating_accuracy(PRED, TRUE) == pytest.approx(0.5)
    # with a whole star of tolerance the error of 1 counts too -> 3 / 4
    assert rating_accuracy(PRED, TRUE, tolerance=1.0) == pytest.approx(0.75)


def test_metrics_refuse_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        rmse([1, 2], [1, 2, 3])


def test_binary_accuracy_calls_a_click_above_the_threshold():
    # calls: 0.9>0.5 yes (label 1 right), 0.5 is not above -> no (label 1 wrong), 0.2 no (0 right), 0.7 yes (0 wrong)
    assert binary_accuracy([0.9, 0.5, 0.2, 0.7], [1, 1, 0, 0]) == pytest.approx(0.5)
    assert binary_accuracy([0.9, 0.5, 0.2, 0.7], [1, 1, 0, 0], threshold=0.8) == pytest.approx(0.75)


def test_log_loss_is_the_mean_binary_cross_entropy():
    # -(log 0.8 + log(1 - 0.4)) / 2 = -(log 0.8 + log 0.6) / 2
    assert log_loss([0.8, 0.4], [1, 0]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert log_loss([0.5] * 4, [1, 0, 1, 0]) == pytest.approx(math.log(2))


def test_log_loss_stays_finite_for_a_certain_mistake():
    # p = 0 for a click is clipped to 1e-7 -> -log(1e-7) / 1
    assert log_loss([0.0], [1]) == pytest.approx(-math.log(1e-7))


def brute_force_auc(scores, labels) -> float:
    """Every (positive, negative) pair: 1 if the positive scores higher, 1/2 on a tie."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_auc_of_a_hand_made_example_with_a_tie():
    # positives 0.9, 0.4; negatives 0.4, 0.1. Pairs: (0.9,0.4)=1 (0.9,0.1)=1 (0.4,0.4)=0.5 (0.4,0.1)=1 -> 3.5/4
    assert auc([0.9, 0.4, 0.4, 0.1], [1, 1, 0, 0]) == pytest.approx(0.875)


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_a_brute_force_pairwise_count_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=40) / 5.0  # few distinct values: lots of ties
    labels = rng.integers(0, 2, size=40)
    assert auc(scores, labels) == pytest.approx(brute_force_auc(scores, labels))


def test_auc_is_nan_when_only_one_class_is_present():
    assert math.isnan(auc([0.1, 0.9], [1, 1]))


# Three users, lists of 3 items (best first). User 2 has nothing relevant and is skipped.
RECOMMENDED = np.array([[5, 1, 7], [2, 3, 4], [0, 1, 2]])
RELEVANT = [{1, 9}, np.array([8]), set()]


def test_precision_at_k_is_hits_over_k_averaged_over_users_with_relevant_items():
    # user 0: one hit (item 1) in 3 -> 1/3; user 1: 0/3; user 2 skipped -> (1/3 + 0) / 2
    assert precision_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx(1 / 6)
    # at k = 1: user 0's first item (5) misses -> 0
    assert precision_at_k(RECOMMENDED, RELEVANT, 1) == 0.0


def test_recall_at_k_is_hits_over_relevant_averaged():
    # user 0: 1 of 2 relevant found -> 1/2; user 1: 0 of 1 -> (1/2 + 0) / 2
    assert recall_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx(0.25)


def test_ndcg_at_k_discounts_hits_by_log2_of_their_position():
    # user 0: hit at position 2 -> DCG = 1/log2(3); ideal: 2 relevant first -> 1 + 1/log2(3)
    # user 1: DCG 0. Mean of the two users.
    user0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx(user0 / 2)


def test_ndcg_is_one_for_a_perfect_order():
    assert ndcg_at_k(np.array([[4, 2, 0]]), [{4, 2}], 3) == pytest.approx(1.0)


def test_hit_rate_at_k_is_the_share_of_users_with_any_hit():
    # user 0 has a hit, user 1 none -> 1/2
    assert hit_rate_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx(0.5)


def test_padding_entries_never_count_as_hits():
    assert hit_rate_at_k(np.array([[-1, -1]]), [{-1}], 2) == 0.0


def test_ranking_metrics_are_nan_when_no_user_has_relevant_items():
    assert math.isnan(precision_at_k(RECOMMENDED, [set(), set(), set()], 2))


def test_ranking_metrics_refuse_a_k_longer_than_the_lists():
    with pytest.raises(ValueError, match="k must be between"):
        recall_at_k(RECOMMENDED, RELEVANT, 4)


def test_catalogue_coverage_is_the_share_of_items_recommended_to_anyone():
    # distinct items 0, 1, 2, 3, 4, 5, 7 = 7 of a 10-item catalogue
    assert catalogue_coverage(RECOMMENDED, n_items=10) == pytest.approx(0.7)
