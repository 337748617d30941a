"""Lesson 2 in AppTest: trains on load, every control changes what it should, the experiments answer the quiz."""

import json

from tests.app.conftest import chart_specs, decode, metric_value, open_page

PAGE = "app_pages/collaborative_filtering.py"


def chart(at, title_part: str) -> dict:
    return next(s for s in chart_specs(at) if title_part in json.dumps(s.get("layout", {})))


def stages(at):
    return at.table[0].value.reset_index()


def test_the_lesson_trains_on_load_and_shows_the_stages_and_the_preprocessing_comparison():
    at = open_page(PAGE)
    assert any("Finished all 15 epochs" in s.value for s in at.success)
    table = stages(at)
    assert list(table["Stage"]) == ["1. Raw user-item ratings", "2. Data preprocessing", "3. Matrix factorization",
                                    "4. Model training", "5. Prediction"]
    assert table.iloc[2]["Output shape"] == "User features: 1,000 x 20, Item features: 500 x 20"
    bars = chart(at, "Held-out error by preprocessing")["data"][0]
    rmse = dict(zip(bars["x"], decode(bars["y"]), strict=True))
    assert rmse["fill with zeros"] > rmse["keep the mask"] + 1.5
    assert rmse["keep the mask"] < rmse["fill with the mean"] < rmse["guess the mean (no model)"] + 0.03
    assert any(m.value.startswith("**Keep the mask** gave the lowest held-out RMSE") for m in at.markdown)


def test_url_parameters_set_every_training_control_and_the_preprocessing_choice():
    at = open_page(PAGE, query={"cf_k": "8", "cf_lr": "0.01", "cf_l2": "0.05", "cf_epochs": "5", "cf_fill": "zero"})
    assert (at.slider(key="cf_k").value, at.slider(key="cf_epochs").value) == (8, 5)
    assert (at.select_slider(key="cf_lr").value, at.select_slider(key="cf_l2").value) == (0.01, 0.05)
    assert any("Finished all 5 epochs" in s.value for s in at.success)
    table = stages(at)
    assert "Item features: 500 x 8" in table.iloc[2]["Output shape"]
    assert "replaced with 0.00" in table.iloc[1]["Example (live)"]
    assert "learning rate 0.01, L2 0.05" in table.iloc[3]["Operation"]


def test_changing_rank_learning_rate_l2_and_epochs_retrains_the_model():
    at = open_page(PAGE, query={"cf_epochs": "4"})
    before = metric_value(at, "Validation RMSE")
    at.slider(key="cf_k").set_value(3).run()
    assert "x 3" in stages(at).iloc[2]["Output shape"]
    at.select_slider(key="cf_lr").set_value(0.02).run()
    at.select_slider(key="cf_l2").set_value(0.02).run()
    at.slider(key="cf_epochs").set_value(6).run()
    assert not at.exception
    assert any("Finished all 6 epochs" in s.value for s in at.success)
    assert metric_value(at, "Validation RMSE") != before
    assert "learning rate 0.02, L2 0.02" in stages(at).iloc[3]["Operation"]


def test_the_preprocessing_control_changes_stage_two_and_its_heatmap():
    at = open_page(PAGE)
    at.segmented_control(key="cf_fill").set_value("mean").run()
    table = stages(at)
    assert "Fill the 492,000 missing cells with 3.56" in table.iloc[1]["Operation"]
    assert "(500,000 training cells)" in table.iloc[1]["Output shape"]
    filled = chart(at, "after 'mean'")["data"][0]["z"]
    assert all(v is not None for row in filled for v in row)  # no blank cell left


def test_training_two_ranks_overlays_both_validation_curves():
    at = open_page(PAGE, query={"cf_epochs": "5", "cf_rank_a": "2", "cf_rank_b": "20"})
    assert not [s for s in chart_specs(at) if "same seed and settings" in json.dumps(s.get("layout", {}))]
    at.button(key="cf_compare").click().run()
    spec = chart(at, "same seed and settings")
    assert [t["name"] for t in spec["data"]] == ["A: rank 2", "B: rank 20"]
    assert all(len(decode(t["y"])) == 6 for t in spec["data"])  # epoch 0 (untrained) and 5 epochs
    assert spec["layout"]["yaxis"]["title"]["text"] == "validation RMSE (stars)"
    assert any("rank 2 →" in c.value and "rank 20 →" in c.value for c in at.caption)


def test_neighbour_and_prediction_pickers_update_their_tables_and_layers():
    at = open_page(PAGE)
    users_before, items_before = at.dataframe[2].value, at.dataframe[3].value
    at.selectbox(key="cf_nb_user").set_value(5).run()
    at.selectbox(key="cf_nb_item").set_value(7).run()
    assert not at.dataframe[2].value.equals(users_before)
    assert not at.dataframe[3].value.equals(items_before)
    at.selectbox(key="cf_user").set_value(10).run()
    assert "held out" in at.selectbox(key="cf_item").options[0]
    at.selectbox(key="cf_item").select_index(0).run()
    layer4 = next(m.value for m in at.markdown if "(dot product) =" in m.value)
    assert "the held-out rating is" in layer4 and "fill with zeros: 1.0" in layer4
    assert "User 11" in next(c.value for c in at.caption if "row (index 10)" in c.value)


def test_quiz_grades_the_seed_question_and_takes_experiment_answers_from_the_run():
    at = open_page(PAGE)
    at.radio(key="quiz:collaborative_filtering:factorization_step").set_value(1).run()
    assert any(e.value.startswith("Not quite") for e in at.error)
    at.radio(key="quiz:collaborative_filtering:factorization_step").set_value(0).run()
    at.button(key="quizexp:collaborative_filtering:preprocessing:run").click().run()
    assert any(i.value.startswith("Held-out RMSE — fill with zeros") for i in at.info)
    at.radio(key="quiz:collaborative_filtering:preprocessing").set_value(2).run()
    at.button(key="quizexp:collaborative_filtering:neighbours:run").click().run()
    at.radio(key="quiz:collaborative_filtering:neighbours").set_value(1).run()  # 10,000 ratings: near chance
    assert sum(s.value.startswith("Correct.") for s in at.success) == 3
    assert any("Score: 3 / 4" in m.value for m in at.markdown)


def test_the_more_data_button_switches_the_sidebar_to_50000_ratings():
    at = open_page(PAGE, query={"cf_epochs": "3"})
    at.button(key="cf_more_data").click().run()
    assert not at.exception
    assert at.select_slider(key="ratings").value == 50_000
    assert "(40,000 known" in stages(at).iloc[0]["Operation"]


def test_a_diverging_learning_rate_gets_a_clear_message_and_nothing_crashes():
    at = open_page(PAGE, query={"cf_lr": "5.0", "cf_epochs": "5"})
    assert not at.exception
    assert any("Training diverged" in e.value for e in at.error)
    assert any("Training diverged" in m.value for m in at.markdown)  # the experiment says so too
