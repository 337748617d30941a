"""Lesson 1 in AppTest: it trains on load, sliders retrain, the quiz grades, the URL sets controls."""

from tests.app.conftest import chart_specs, decode, metric_value, open_page

PAGE = "app_pages/mf_basics.py"


def loss_curve(at) -> list[float]:
    spec = next(s for s in chart_specs(at) if "Loss per epoch" in json_text(s))
    return decode(spec["data"][0]["y"])


def json_text(spec: dict) -> str:
    import json

    return json.dumps(spec.get("layout", {}))


def test_the_lesson_trains_on_load_and_the_training_loss_falls():
    at = open_page(PAGE)
    assert any("Finished all 20 epochs" in s.value for s in at.success)
    losses = loss_curve(at)
    assert len(losses) == 21  # epoch 0 (untrained) and 20 epochs
    assert losses[-1] < 0.8 * losses[0]
    stages = at.table[0].value.reset_index()
    assert list(stages["Stage"]) == ["1. Input data", "2. Initialize factor matrices", "3. Matrix multiplication",
                                     "4. Loss calculation", "5. Update features"]
    assert "1,000 rows x 500 columns" in stages.iloc[0]["Input shape"]


def test_changing_the_rank_slider_retrains_and_changes_chart_and_metrics():
    at = open_page(PAGE)
    before_rmse, before_curve = metric_value(at, "Validation RMSE"), loss_curve(at)
    at.slider(key="mf_k").set_value(2).run()
    assert not at.exception
    assert loss_curve(at) != before_curve
    stages = at.table[0].value.reset_index()
    assert "x 2" in stages.iloc[1]["Output shape"]
    at.select_slider(key="mf_lr").set_value(0.02).run()
    assert metric_value(at, "Validation RMSE") != before_rmse


def test_url_parameters_set_the_controls_and_the_run():
    at = open_page(PAGE, query={"mf_k": "4", "mf_epochs": "6", "mf_opt": "adam"})
    assert at.slider(key="mf_k").value == 4
    assert at.slider(key="mf_epochs").value == 6
    assert at.segmented_control(key="mf_opt").value == "adam"
    assert any("Finished all 6 epochs" in s.value for s in at.success)
    assert len(loss_curve(at)) == 7


def test_quiz_marks_right_and_wrong_answers_and_keeps_the_score():
    at = open_page(PAGE)
    at.radio(key="quiz:mf_basics:loss_trend").set_value(1).run()
    assert any(e.value.startswith("Not quite") for e in at.error)
    at.radio(key="quiz:mf_basics:loss_trend").set_value(2).run()
    assert any(s.value.startswith("Correct.") for s in at.success)
    assert any("Score: 1 / 4" in m.value for m in at.markdown)


def test_the_big_learning_rate_experiment_shows_the_divergence_message():
    at = open_page(PAGE)
    at.button(key="quizexp:mf_basics:big_lr:run").click().run()
    assert any("diverged" in i.value and "learning rate" in i.value for i in at.info)


def test_the_rank_question_takes_its_answer_from_the_learners_run():
    at = open_page(PAGE)
    at.radio(key="quiz:mf_basics:rank").set_value(0).run()
    assert any("Run the experiment first" in w.value for w in at.warning)
    at.button(key="quizexp:mf_basics:rank:run").click().run()
    at.radio(key="quiz:mf_basics:rank").set_value(0).run()
    assert any("Your run: rank 1 reached validation RMSE" in m.value for m in list(at.success) + list(at.error))


def test_a_diverging_learning_rate_gets_a_clear_message_and_nothing_crashes():
    at = open_page(PAGE, query={"mf_lr": "5.0", "mf_opt": "sgd"})
    assert not at.exception
    assert any("Training diverged" in e.value for e in at.error)


def test_the_lesson_runs_on_a_learners_own_file_without_planted_truth():
    at = open_page(PAGE, query={"data": "sample"})
    assert any("Finished all 20 epochs" in s.value for s in at.success)
    stages = at.table[0].value.reset_index()
    assert "100 rows x 80 columns" in stages.iloc[0]["Input shape"]
    assert not any("planted" in m.value for m in at.markdown)
