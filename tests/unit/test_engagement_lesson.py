"""The engagement lesson's stage table and sentences, and the claims its page makes, measured."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import holdout_split, synthetic
from recsys_core.evaluation import engagement as eg
from recsys_core.lessons import engagement as el
from recsys_core.models import neural
from recsys_core.training import neural as training


def _table(ctr: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"policy": p, "impressions": 1000, "clicks": int(c * 1000), "ctr": c, "ci_low": lo, "ci_high": hi}
                         for p, (c, lo, hi) in ctr.items()])


def test_six_stages_take_their_shapes_from_the_live_data_and_model():
    ratings = synthetic(n_users=40, n_items=30, n_ratings=400, seed=1)
    train, test = holdout_split(ratings, 0.2, 0)
    run = training.fit_neural(train, test, training.NeuralConfig(embedding_dim=4, hidden=8, epochs=1, batch_size=64))
    user = el.example_user(train)
    stages = el.engagement_stages(ratings, train, test, run.params, user, k=5)
    assert [s["stage"] for s in stages] == ["User interaction data collection", "Data preprocessing", "Feature engineering",
                                           "Model training", "Model evaluation", "Recommendation generation"]
    assert stages[0]["output"] == "400 rows x 3 columns (user, item, rating)"
    assert stages[2]["output"] == "400 rows x 8 columns"  # 4 user + 4 item numbers per rating
    assert stages[3]["input"].startswith("320 rows") and stages[4]["input"].startswith("80 rows")
    assert "Nothing dropped" in stages[1]["operation"]
    assert stages[5]["output"] == "5 items list"


def test_a_gap_counts_only_when_the_95_percent_intervals_do_not_overlap():
    table = _table({eg.RANDOM: (0.10, 0.09, 0.11), eg.POPULAR: (0.20, 0.18, 0.22), eg.HIGHEST_RATED: (0.25, 0.23, 0.27),
                    eg.MODEL: (0.26, 0.24, 0.28)})
    assert el.compare(table, eg.MODEL, eg.RANDOM) == el.HIGHER
    assert el.compare(table, eg.RANDOM, eg.MODEL) == el.LOWER
    assert el.compare(table, eg.MODEL, eg.HIGHEST_RATED) == el.TIE
    lines = el.engagement_findings(table, 8000, 1000)
    assert "clearly more clicks** than random" in lines[0] and "about as many" in lines[2]
    assert "8 ratings per user" in lines[2]


def test_click_chances_match_the_simulations_click_model():
    chances = el.click_chances()
    np.testing.assert_allclose([chances[5], chances[4], chances[3]], [0.5, 0.182, 0.047], atol=1e-3)


@pytest.fixture(scope="module")
def default_run():
    """The page at its defaults: synthetic(), 80/20 split, NeuralConfig(), k = 5, 1000 sessions."""
    ratings = synthetic()
    train, test = holdout_split(ratings, 0.2, 0)
    run = training.fit_neural(train, test, training.NeuralConfig())
    scores = eg.policy_scores(train, neural.all_scores(run.params), 0, include_highest_rated=True)
    return ratings, train, test, run, scores, eg.simulate(ratings, scores, eg.SimulationConfig())


def test_at_the_defaults_the_model_beats_random_and_popular_but_only_ties_highest_rated(default_run):
    """What the page states at its defaults (measured: 24.8% vs 10.5% / 18.3% / 24.5%)."""
    *_, table = default_run
    assert el.compare(table, eg.MODEL, eg.RANDOM) == el.HIGHER
    assert el.compare(table, eg.MODEL, eg.POPULAR) == el.HIGHER
    assert el.compare(table, eg.MODEL, eg.HIGHEST_RATED) == el.TIE


def test_at_the_defaults_offline_precision_favours_most_popular_while_clicks_favour_the_model(default_run):
    _, train, test, _, scores, table = default_run
    ranking = el.ranking_table(scores, train, test, 5).set_index("policy")
    assert ranking.loc[eg.POPULAR, "precision@5"] > ranking.loc[eg.MODEL, "precision@5"]
    assert "popularity-biased" in el.offline_vs_online(ranking.reset_index(), table, 5)


def test_accuracy_stays_honestly_below_the_noise_ceiling_at_the_defaults(default_run):
    _, train, test, run, *_ = default_run
    accuracy, ceiling = run.last.val_metric, el.accuracy_ceiling(test)
    assert el.mean_guess_accuracy(train, test) < accuracy < ceiling < 0.6  # not the seed's 0.85


def test_with_50000_ratings_and_the_dot_scorer_the_model_beats_highest_rated():
    """The 'Try it' button's claim (measured: 35.8% vs 23.6%, intervals far apart)."""
    ratings = synthetic(n_ratings=el.MORE_DATA["ratings"])
    train, test = holdout_split(ratings, 0.2, 0)
    config = training.NeuralConfig(scorer=el.MORE_DATA["scorer"], learning_rate=el.MORE_DATA["learning_rate"],
                                 l2=el.MORE_DATA["l2"])
    run = training.fit_neural(train, test, config)
    table = eg.simulate(ratings, eg.policy_scores(train, neural.all_scores(run.params), 0, include_highest_rated=True))
    assert el.compare(table, eg.MODEL, eg.HIGHEST_RATED) == el.HIGHER
    assert "also beats the **highest-rated**" in el.engagement_findings(table, len(train), train.n_users)[2]


def test_a_flat_policy_repeats_its_row_at_every_epoch_in_lesson_order():
    by_epoch = pd.DataFrame([{"epoch": e, "policy": p, "ctr": 0.1, "ci_low": 0.0, "ci_high": 0.2}
                             for e in (0, 1) for p in (eg.RANDOM, eg.MODEL)])
    table = _table({eg.HIGHEST_RATED: (0.25, 0.23, 0.27)})
    out = el.with_flat_policy(by_epoch, table, eg.HIGHEST_RATED)
    assert list(out["policy"]) == [eg.RANDOM] * 2 + [eg.HIGHEST_RATED] * 2 + [eg.MODEL] * 2
    assert list(out[out["policy"] == eg.HIGHEST_RATED]["ctr"]) == [0.25, 0.25]
