"""Lesson 3 in AppTest: trains on load, the simulation shows its tables and charts, controls retrain,
the quiz grades (also from the learner's run), the URL sets controls, and a file without tastes works."""

import json

from tests.app.conftest import chart_specs, decode, open_page

PAGE = "app_pages/engagement.py"


def chart(at, title_part: str) -> dict:
    return next(s for s in chart_specs(at) if title_part in json.dumps(s.get("layout", {}).get("title", {})))


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_lesson_trains_on_load_and_shows_stages_simulation_and_its_measured_findings():
    at = open_page(PAGE)
    assert any("Finished all 5 epochs" in s.value for s in at.success)
    stages = at.table[0].value.reset_index()
    assert [s.split(". ", 1)[1] for s in stages["Stage"]] == [
        "User interaction data collection", "Data preprocessing", "Feature engineering", "Model training",
        "Model evaluation", "Recommendation generation"]
    assert stages.iloc[0]["Output shape"] == "10,000 rows x 3 columns (user, item, rating)"
    assert stages.iloc[2]["Output shape"] == "10,000 rows x 64 columns"
    assert stages.iloc[5]["Output shape"] == "5 items list"
    bars = chart(at, "Click-through rate")
    assert bars["data"][0]["x"] == ["random", "most popular", "highest rated", "trained model"]
    ctr = dict(zip(bars["data"][0]["x"], decode(bars["data"][0]["y"]), strict=True))
    assert ctr["trained model"] > ctr["most popular"] > ctr["random"]
    # The page's sentences at the defaults are the measured ones (see tests/unit/test_engagement_lesson.py).
    text = markdown_text(at)
    assert "clearly more clicks** than random" in text and "clearly more clicks** than most popular" in text
    assert "gets about as many clicks" in text and "8 ratings per user" in text
    assert "popularity-biased" in text  # offline precision favours most popular at the defaults
    assert len(chart(at, "CTR vs. training epochs")["data"]) == 4
    assert len(chart(at, "CTR vs. list length")["data"]) == 4
    ranking = next(df.value for df in at.dataframe if "precision@5" in df.value.columns)
    assert list(ranking.columns) == ["policy", "precision@5", "recall@5", "NDCG@5", "hit rate@5", "coverage"]


def test_changing_controls_retrains_and_resimulates():
    at = open_page(PAGE)
    at.select_slider(key="eng_dim").set_value(8).run()
    assert not at.exception
    assert at.table[0].value.reset_index().iloc[2]["Output shape"] == "10,000 rows x 16 columns"
    at.slider(key="eng_k").set_value(3).run()
    assert not at.exception
    assert "1,000 sessions x 3 items" in json.dumps(chart(at, "Click-through rate")["layout"]["title"])


def test_url_parameters_set_the_controls_and_the_run():
    at = open_page(PAGE, query={"eng_scorer": "dot", "eng_epochs": "3", "eng_k": "10", "tab": "4 · Engagement experiment"})
    assert at.segmented_control(key="eng_scorer").value == "dot"
    assert at.select_slider(key="eng_hidden").disabled
    assert at.slider(key="eng_epochs").value == 3 and at.slider(key="eng_k").value == 10
    assert any("Finished all 3 epochs" in s.value for s in at.success)
    assert "x 10 items" in json.dumps(chart(at, "Click-through rate")["layout"]["title"])


def test_quiz_grades_the_seed_question_and_takes_the_popular_question_from_the_run():
    at = open_page(PAGE)
    at.radio(key="quiz:engagement:loss_trend").set_value(1).run()
    assert any(e.value.startswith("Not quite") for e in at.error)
    at.radio(key="quiz:engagement:loss_trend").set_value(2).run()
    assert any(s.value.startswith("Correct.") for s in at.success)
    at.button(key="quizexp:engagement:model_vs_popular:run").click().run()
    assert any("trained model" in i.value and "most popular" in i.value for i in at.info)
    at.radio(key="quiz:engagement:model_vs_popular").set_value(2).run()  # at the defaults the model wins clearly
    assert any(s.value.startswith("Correct. Your run, k = 5") for s in at.success)
    assert any("Score: 2 / 4" in m.value for m in at.markdown)


def test_a_diverging_learning_rate_gets_a_clear_message_and_nothing_crashes():
    at = open_page(PAGE, query={"eng_lr": "5.0", "eng_l2": "0.0", "eng_epochs": "2"})
    assert not at.exception
    assert any("diverged" in e.value for e in at.error)


def test_data_without_planted_tastes_skips_the_simulation_with_a_reason_but_keeps_offline_metrics():
    at = open_page(PAGE, query={"data": "sample"})
    assert not at.exception
    assert any("no known tastes" in i.value for i in at.info)
    assert not any("Click-through rate" in json.dumps(s.get("layout", {})) for s in chart_specs(at))
    assert any("precision@5" in df.value.columns for df in at.dataframe)
    at.button(key="eng_to_synthetic").click().run()
    assert at.selectbox(key="data").value == "synthetic"


def test_the_try_more_data_button_sets_the_controls_and_personalisation_then_beats_highest_rated():
    at = open_page(PAGE, query={"eng_epochs": "2"})
    at.button(key="eng_more_data").click().run()
    assert not at.exception
    assert at.select_slider(key="ratings").value == 50_000 and at.segmented_control(key="eng_scorer").value == "dot"
    assert at.select_slider(key="eng_lr").value == 0.01 and at.select_slider(key="eng_l2").value == 10.0
    assert "also beats the **highest-rated** list" in markdown_text(at)
