"""Lesson 1 in AppTest: training from epoch 0, one run on every tab, deep links, the quiz, the toy."""

import json
import time

from tests.app.conftest import (
    TRAINING,
    chart_specs,
    decode,
    metric_value,
    open_page,
    show_tab,
    table,
    texts,
    train_now,
)

PAGE = "app_pages/mf_basics.py"


def loss_chart(at) -> dict:
    return next(s for s in chart_specs(at) if "Loss per epoch" in json.dumps(s.get("layout", {})))


def training_losses(at) -> tuple[list[float], list[float]]:
    trace = next(t for t in loss_chart(at)["data"] if t.get("name") == "training")
    return decode(trace["x"]), decode(trace["y"])


def test_the_training_tab_trains_on_load_and_the_chart_starts_at_the_untrained_epoch_0():
    at = open_page(PAGE, tab=TRAINING)
    assert any("Finished all 15 epochs" in s.value for s in at.success)
    epochs, losses = training_losses(at)
    assert epochs[0] == 0 and len(losses) == 16  # epoch 0 (untrained) and 15 epochs
    assert losses[-1] < 0.8 * losses[0]
    # The loss is MSE and the metric RMSE, one transform of the other: one panel, not two copies of a curve.
    assert {t.get("xaxis") for t in loss_chart(at)["data"]} == {"x"}


def test_other_tabs_say_the_model_is_untrained_until_it_trains_then_show_the_same_run():
    at = open_page(PAGE)  # the pipeline tab opens first
    assert "has not been trained yet" in texts(at) and not at.table
    train_now(at)
    stages = table(at, 0).reset_index()
    assert [s.split(". ", 1)[1] for s in stages["Stage"]] == ["Input data", "Initialize factor matrices",
                                                             "Matrix multiplication", "Loss calculation", "Update features"]
    assert "1,000 rows x 500 columns" in stages.iloc[0]["Input shape"]
    assert "At the start:" in stages.iloc[3]["Example (live)"] and "+ L2" in stages.iloc[3]["Example (live)"]
    step = stages.iloc[4]["Example (live)"]
    before, after = step.split("first step: ")[1].split(", their loss")[0].split(" → ")
    assert before != after  # one step from the initial weights changes them at the shown precision
    show_tab(at, TRAINING)  # the training tab shows that very run, finished: it does not train again
    assert any("Finished all 15 epochs" in s.value for s in at.success)


def test_changing_the_rank_slider_retrains_and_changes_chart_and_metrics():
    at = open_page(PAGE, tab=TRAINING)
    before_rmse, before_curve = metric_value(at, "Validation RMSE"), training_losses(at)[1]
    at.slider(key="mf_k").set_value(1).run()
    assert not at.exception and training_losses(at)[1] != before_curve
    assert metric_value(at, "Validation RMSE") != before_rmse


def test_url_parameters_set_the_controls_and_the_run():
    at = open_page(PAGE, query={"mf_k": "4", "mf_epochs": "6", "mf_opt": "adam"}, tab=TRAINING)
    assert at.slider(key="mf_k").value == 4 and at.slider(key="mf_epochs").value == 6
    assert at.segmented_control(key="mf_opt").value == "adam"
    assert any("Finished all 6 epochs" in s.value for s in at.success)
    assert len(training_losses(at)[1]) == 7
    assert at.query_params["mf_k"] == "4"  # written back, so the address still holds the run


def test_a_value_a_deep_link_may_not_have_gets_a_notice_naming_it_and_the_value_used():
    at = open_page(PAGE, query={"mf_k": "999", "mf_lr": "0.123", "tab": "bogus"})
    notices = " ".join(w.value for w in at.warning)
    assert "`mf_k=999` is not allowed" in notices and "using 10 instead" in notices
    assert "`mf_lr=0.123` is not allowed" in notices and "using 0.02 instead" in notices
    assert "`tab=bogus` is not allowed" in notices and "using 1 · Pipeline trace instead" in notices
    assert at.slider(key="mf_k").value == 10


def test_a_diverged_run_is_explained_on_every_tab_and_never_traced():
    at = open_page(PAGE, query={"mf_lr": "5.0", "mf_opt": "sgd"}, tab=TRAINING)
    assert not at.exception
    message = next(e.value for e in at.error if "Training diverged" in e.value)
    assert "keeps the weights of the untrained start" in message and "learning rate" in message
    for tab in ("1 · Pipeline trace", "3 · Prediction trace", "5 · Key insight"):
        show_tab(at, tab)
        assert any("diverged" in e.value for e in at.error), tab
        assert not at.table and not any("Layer 1" in m.value for m in at.markdown), tab


def test_quiz_the_first_answer_counts_for_the_score():
    at = open_page(PAGE, tab="4 · Quiz")
    at.radio(key="quiz:mf_basics:loss_trend").set_value(1).run()
    assert any(e.value.startswith("Not quite") for e in at.error)
    at.radio(key="quiz:mf_basics:loss_trend").set_value(2).run()
    assert any(s.value.startswith("Correct.") for s in at.success)
    assert any("first answer, B, is the one that counts" in c.value for c in at.caption)
    assert any("Score: 0 / 4" in m.value for m in at.markdown)


def test_quiz_explanations_quote_the_data_in_use():
    at = open_page(PAGE, tab="4 · Quiz")
    at.radio(key="quiz:mf_basics:known_cells").set_value(0).run()
    assert any("About 90% of the matrix is empty" in s.value for s in at.success)  # 50,000 of 500,000 cells rated


def test_a_predict_then_run_question_locks_the_prediction_before_it_can_run():
    at = open_page(PAGE, tab="4 · Quiz")
    run = at.button(key="quizexp:mf_basics:big_lr:run")
    assert run.disabled
    at.radio(key="quiz:mf_basics:big_lr").set_value(2).run()
    at.button(key="quizpred:mf_basics:big_lr:lock").click().run()
    assert any("Your locked prediction: **C." in m.value for m in at.markdown)
    at.button(key="quizexp:mf_basics:big_lr:run").click().run()
    assert any("diverged" in i.value for i in at.info)
    assert any(s.value.startswith("Correct.") for s in at.success)


def test_the_rank_question_takes_its_answer_from_the_learners_run():
    at = open_page(PAGE, tab="4 · Quiz")
    at.radio(key="quiz:mf_basics:rank").set_value(1).run()
    at.button(key="quizpred:mf_basics:rank:lock").click().run()
    at.button(key="quizexp:mf_basics:rank:run").click().run()
    assert any("Your run: rank 1 reached validation RMSE" in m.value for m in list(at.success) + list(at.error))


def test_the_toy_table_updates_at_once_when_the_model_takes_steps():
    at = open_page(PAGE)
    loss = float(metric_value(at, "Loss on the known cells only (mean squared error)"))
    started = time.perf_counter()
    at.button(key="toy:step100").click().run()
    seconds = time.perf_counter() - started
    fitted = float(metric_value(at, "Loss on the known cells only (mean squared error)"))
    assert fitted < 0.1 * loss
    print(f"toy: 100 steps and the redrawn toy in {seconds:.3f} s of AppTest")


def test_the_lesson_runs_on_a_learners_own_file_without_planted_truth():
    at = open_page(PAGE, query={"data": "sample"}, tab=TRAINING)
    assert any("Finished all 15 epochs" in s.value for s in at.success)
    assert not any("planted" in m.value for m in at.markdown)
    show_tab(at, "1 · Pipeline trace")
    assert "100 rows x 80 columns" in table(at, 0).reset_index().iloc[0]["Input shape"]
