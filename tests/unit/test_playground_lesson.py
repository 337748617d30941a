"""What the Playground says about Bayesian MF: a prediction's spread, how it shrinks, the samples chart."""

import math

import numpy as np
import pytest

from recsys_core import plots
from recsys_core.data import holdout_split, synthetic
from recsys_core.evaluation import compare
from recsys_core.lessons import playground as lesson
from recsys_core.training.bayes import BayesConfig, bayes_trainer, predict

CONFIG = BayesConfig(rank=4, n_samples=20, burn_in=5, sweeps_per_call=5)


@pytest.fixture(scope="module")
def fitted():
    train, val = holdout_split(synthetic(n_users=300, n_items=150, n_ratings=9_000, seed=2))
    program, trainer = bayes_trainer(train, val, CONFIG)
    run = trainer.fit()
    return train, val, program.result(run), program.curve(run)


def test_the_prediction_sentence_shows_the_posterior_mean_plus_minus_its_std_in_stars(fitted):
    train, _, posterior, _ = fitted
    mean, std = predict(posterior, np.array([3]), np.array([7]))
    text = lesson.prediction_sentence(posterior, train, 3, 7)
    assert f"**{mean[0]:.2f} ± {std[0]:.2f} stars**" in text
    assert f"({int((train.users == 3).sum()):,} training ratings)" in text
    assert lesson.prediction_sentence(posterior, train, 4, 7) != text


def test_the_prediction_sentence_escapes_titles_with_the_escape_it_is_given(fitted):
    train, _, posterior, _ = fitted
    text = lesson.prediction_sentence(posterior, train, 3, 7, escape=lambda s: f"<{s}>")
    assert f"<{train.title(7)}>" in text and f"<{train.user_ids[3]}>" in text


def test_the_uncertainty_of_held_out_predictions_shrinks_from_the_sparsest_to_the_busiest_bucket(fitted):
    train, val, posterior, _ = fitted
    frame = lesson.uncertainty_by_support(posterior, train, val)
    for side in ("users", "items"):
        part = frame[frame.side == side]
        assert len(part) >= 4 and part["pairs"].sum() == len(val)
        assert (np.diff(part["median"]) > 0).all()
        # busiest / sparsest bucket over data and model seeds 0-5 at these sizes: 0.77-0.91 (users), 0.73-0.88 (items)
        assert part["std"].iloc[-1] < 0.95 * part["std"].iloc[0], part
    assert "users with" in lesson.support_summary(frame) and "items with" in lesson.support_summary(frame)


def test_a_large_held_out_set_is_sampled_for_the_uncertainty_table(fitted):
    train, val, posterior, _ = fitted
    assert lesson.uncertainty_by_support(posterior, train, val, max_pairs=500)["pairs"].sum() == 1000  # 500 per side


def test_the_averaging_text_quotes_the_run_s_single_sample_and_averaged_rmse(fitted):
    _, _, _, curve = fitted
    kept = curve.samples > 0
    rows = [compare.ModelResult(compare.MF, 0.9512, 0, 0, 0, 0, 0, 0, 0, ())]
    text = lesson.averaging_text(curve, rows)
    assert f"RMSE {np.median(curve.sample_rmse[kept]):.3f}" in text
    assert f"average scores {curve.mean_rmse[-1]:.3f}" in text and "0.951" in text
    # the claim the text makes; averaged / single RMSE over data and model seeds 0-5: 0.92-0.94
    assert curve.mean_rmse[-1] < 0.97 * np.median(curve.sample_rmse[kept])
    assert text.count(". ") == 1  # two sentences


def test_the_samples_chart_has_both_series_axis_titles_and_an_alt_text_with_its_numbers(fitted):
    _, _, _, curve = fitted
    fig = plots.samples_curve(curve.sweeps, curve.mean_rmse, curve.sample_rmse, CONFIG.burn_in, "t", {"biased MF": 0.95})
    assert len(fig.data) == 2 and len(fig.data[0].x) == CONFIG.total_sweeps
    assert "samples drawn" in fig.layout.xaxis.title.text and "RMSE" in fig.layout.yaxis.title.text
    assert any("biased MF 0.950" in (a.text or "") for a in fig.layout.annotations)
    alt = lesson.samples_alt(curve, CONFIG.burn_in)
    assert f"{curve.mean_rmse[-1]:.3f}" in alt and f"after {CONFIG.n_samples}" in alt


def test_the_uncertainty_chart_draws_users_and_items_on_a_log_axis(fitted):
    train, val, posterior, _ = fitted
    frame = lesson.uncertainty_by_support(posterior, train, val)
    fig = plots.support_lines(frame, "t")
    assert [t.name for t in fig.data] == ["by the user's training ratings", "by the item's training ratings"]
    assert fig.layout.xaxis.type == "log" and "std" in fig.layout.yaxis.title.text
    assert math.isclose(fig.data[0].y[0], frame[frame.side == "users"]["std"].iloc[0])


def test_the_results_frame_has_one_row_per_model_and_every_chart_column():
    rows = [compare.ModelResult(m, 1.0, 0.8, 0.3, 0.1, 0.1, 0.1, 0.2, 0.5, ()) for m in (compare.MEAN, compare.BAYES)]
    frame = lesson.results_frame(rows)
    assert list(frame["Model"]) == [compare.MEAN, compare.BAYES]
    assert {column for column, _, _ in lesson.METRICS.values()} <= set(frame.columns)
    assert frame["Coverage (%)"].iloc[0] == pytest.approx(20.0)
