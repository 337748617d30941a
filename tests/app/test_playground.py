"""The Playground in AppTest: one button trains five models on one split; odd data gets messages;
Bayesian MF's predictions show their spread."""

import json
import math
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import chart_specs, decode, open_page, open_with_file

PAGE = "app_pages/playground.py"
MODELS = ["guess the mean", "biases only", "biased MF", "neural", "Bayesian MF"]
PREDICTION = re.compile(r"predicted \*\*(\d\.\d\d) ± (\d\.\d\d) stars\*\*")
NUMBERS = ["RMSE (stars)", "MAE (stars)", "Accuracy ±0.5 (%)", "Precision@5", "Recall@5", "NDCG@5", "Coverage (%)",
           "Training (s)"]


def trained(at: AppTest) -> AppTest:
    at.button(key="pg_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def results(at: AppTest):
    return at.dataframe[0].value


def test_the_page_names_its_data_source_and_waits_for_the_button():
    at = open_page(PAGE)
    assert any("chosen in the sidebar" in c.value and "Your data" in c.value for c in at.caption)
    assert any("Train and compare" in i.value for i in at.info)
    assert len(at.dataframe) == 0


def predictions(at: AppTest) -> list[tuple[str, float, float]]:
    """Every "predicted **m ± s stars**" sentence on the page, with its numbers."""
    return [(m.value, float(found[1]), float(found[2])) for m in at.markdown if (found := PREDICTION.search(m.value))]


def test_train_and_compare_fills_the_table_with_five_models_and_finite_numbers():
    at = trained(open_page(PAGE))
    table = results(at)
    assert list(table["Model"]) == MODELS
    assert np.isfinite(table[NUMBERS].to_numpy(float)).all()
    assert table["RMSE (stars)"].iloc[1] < table["RMSE (stars)"].iloc[0]  # biases beat guessing the mean
    bars, curves, samples, support = chart_specs(at)
    assert [t["name"] for t in curves["data"]] == MODELS
    assert "RMSE" in bars["layout"]["yaxis"]["title"]["text"]
    assert "samples drawn" in samples["layout"]["xaxis"]["title"]["text"]
    assert "RMSE" in samples["layout"]["yaxis"]["title"]["text"]
    assert support["layout"]["xaxis"]["type"] == "log"


def test_the_samples_chart_ends_at_the_tables_bayesian_rmse_and_its_alt_text_says_so():
    at = trained(open_page(PAGE, query={"pg_samples": "20"}))
    bayes_rmse = results(at).set_index("Model").loc["Bayesian MF", "RMSE (stars)"]
    chart = at.get("plotly_chart")[2]
    averaged = decode(json.loads(chart.proto.spec)["data"][0]["y"])
    assert len(averaged) == 25  # 5 burn-in sweeps and 20 kept samples
    assert averaged[-1] == pytest.approx(bayes_rmse, abs=1e-4)
    assert f"{bayes_rmse:.3f} after 20" in chart.proto.alt
    assert any(f"their average scores {bayes_rmse:.3f}" in m.value for m in at.markdown)


def test_a_prediction_shows_plus_minus_stars_and_changes_with_the_picked_user_and_item():
    at = trained(open_page(PAGE))
    [(first, _, busiest_std)] = predictions(at)  # the most active user and the most rated item come first
    sparse_user = at.selectbox(key="pg_user").options[-1]
    at.selectbox(key="pg_user").select_index(len(at.selectbox(key="pg_user").options) - 1).run()
    [(second, _, sparse_std)] = predictions(at)
    assert second != first and sparse_user.split(" ·")[0] in second
    assert sparse_std > busiest_std  # fewest ratings: the sampled factorizations disagree more
    at.selectbox(key="pg_item").select_index(len(at.selectbox(key="pg_item").options) - 1).run()
    [(third, _, sparsest_std)] = predictions(at)
    assert third != second and sparsest_std > busiest_std


def test_the_chart_metric_switches_without_retraining_and_new_settings_ask_for_a_new_run():
    at = trained(open_page(PAGE))
    seconds = list(results(at)["Training (s)"])
    at.segmented_control(key="pg_metric").set_value("NDCG@5").run()
    assert "NDCG@5" in chart_specs(at)[0]["layout"]["yaxis"]["title"]["text"]
    assert list(results(at)["Training (s)"]) == seconds  # the same run, shown again
    at.slider(key="pg_k").set_value(4).run()
    assert len(at.dataframe) == 0
    assert any("other settings" in i.value for i in at.info)


def test_a_diverging_learning_rate_empties_only_the_mf_row_and_says_why():
    at = trained(open_page(PAGE, query={"pg_lr": "5.0"}))
    assert any("biased MF" in e.value and "diverged" in e.value for e in at.error)
    table = results(at).set_index("Model")
    assert math.isnan(table.loc["biased MF", "RMSE (stars)"])
    assert math.isfinite(table.loc["neural", "RMSE (stars)"])


def test_a_file_too_small_to_compare_gets_a_clear_message():
    at = open_with_file(PAGE, n_users=30, n_items=8, n_ratings=40)
    assert not at.exception
    assert any("needs at least 50 ratings" in w.value for w in at.warning)


def test_a_small_file_of_30_users_is_compared_with_a_warning_about_noise():
    at = open_with_file(PAGE, n_users=30, n_items=20, n_ratings=200)
    assert any("noisy" in i.value for i in at.info)
    table = results(trained(at))
    assert list(table["Model"]) == MODELS
    assert np.isfinite(table["RMSE (stars)"].to_numpy(float)).all()
