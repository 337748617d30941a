"""Lesson 2 in AppTest: trains, every control changes what it should, the experiments answer the quiz,
and the pipeline's "keep the mask" variant is the very run the training tab made."""

import json

from tests.app.conftest import (
    TRAINING,
    chart_specs,
    decode,
    metric_value,
    open_page,
    open_with_file,
    show_tab,
    table,
    texts,
    train_now,
)

PAGE = "app_pages/collaborative_filtering.py"
PIPELINE = "1 · Pipeline trace"


def chart(at, title_part: str) -> dict:
    return next(s for s in chart_specs(at) if title_part in json.dumps(s.get("layout", {})))


def stages(at):
    return table(at, 0).reset_index()


def trained_pipeline(query: dict | None = None):
    return train_now(open_page(PAGE, query=query, tab=PIPELINE))


def test_the_pipeline_shows_the_stages_and_the_preprocessing_comparison_of_the_trained_run():
    at = trained_pipeline()
    table = stages(at)
    assert list(table["Stage"]) == ["1. Raw user-item ratings", "2. Data preprocessing", "3. Matrix factorization",
                                    "4. Model training", "5. Prediction"]
    assert table.iloc[2]["Output shape"] == "User features: 1,000 x 20, Item features: 500 x 20"
    bars = chart(at, "Held-out error by preprocessing")["data"][0]
    rmse = dict(zip(bars["x"], decode(bars["y"]), strict=True))
    assert rmse["fill with zeros"] > rmse["keep the mask"] + 1.0
    assert rmse["keep the mask"] + 0.08 < rmse["fill with the mean"]  # measured 0.175-0.180 apart over seeds 0-2
    assert any(m.value.startswith("**Keep the mask** gave the lowest held-out RMSE") for m in at.markdown)
    show_tab(at, TRAINING)  # the same run: the training tab shows it finished, with the mask variant's error
    assert f"{rmse['keep the mask']:.3f}" in metric_value(at, "Validation RMSE")


def test_stage_four_shows_a_rating_that_training_moved_the_prediction_toward():
    example = stages(trained_pipeline()).iloc[3]["Example (live)"]
    known = float(example.split("(rated ")[1].split(")")[0])
    start, end = (float(x) for x in example.split("predicted ")[1].split(" after")[0].split(" at the start → "))
    assert abs(end - known) < abs(start - known)


def test_url_parameters_set_every_training_control_and_the_preprocessing_choice():
    at = trained_pipeline({"cf_k": "8", "cf_lr": "0.01", "cf_l2": "0.05", "cf_epochs": "5", "cf_fill": "zero"})
    assert (at.slider(key="cf_k").value, at.slider(key="cf_epochs").value) == (8, 5)
    assert (at.select_slider(key="cf_lr").value, at.select_slider(key="cf_l2").value) == (0.01, 0.05)
    table = stages(at)
    assert "Item features: 500 x 8" in table.iloc[2]["Output shape"]
    assert "replaced with 0.00" in table.iloc[1]["Example (live)"]
    assert "learning rate 0.01, L2 0.05" in table.iloc[3]["Operation"]


def test_changing_rank_learning_rate_l2_and_epochs_retrains_the_model():
    at = open_page(PAGE, query={"cf_epochs": "4"}, tab=TRAINING)
    before = metric_value(at, "Validation RMSE")
    at.slider(key="cf_k").set_value(3).run()
    assert metric_value(at, "Validation RMSE") != before
    at.select_slider(key="cf_lr").set_value(0.01).run()
    at.select_slider(key="cf_l2").set_value(0.02).run()
    at.slider(key="cf_epochs").set_value(6).run()
    assert not at.exception
    assert any("Finished all 6 epochs" in s.value for s in at.success)
    show_tab(at, PIPELINE)
    assert "x 3" in stages(at).iloc[2]["Output shape"] and "learning rate 0.01, L2 0.02" in stages(at).iloc[3]["Operation"]


def test_the_preprocessing_control_changes_stage_two_and_its_heatmap():
    at = trained_pipeline()
    at.segmented_control(key="cf_fill").set_value("mean").run()
    table = stages(at)
    assert "Fill the 460,000 missing cells with" in table.iloc[1]["Operation"]
    assert "(500,000 training cells)" in table.iloc[1]["Output shape"]
    filled = chart(at, "after 'fill with the mean'")["data"][0]["z"]
    assert all(v is not None for row in filled for v in row)  # no blank cell left


def test_training_two_ranks_overlays_both_validation_curves():
    at = open_page(PAGE, query={"cf_epochs": "5", "cf_rank_a": "2", "cf_rank_b": "20"}, tab=TRAINING)
    assert not [s for s in chart_specs(at) if "same seed and settings" in json.dumps(s.get("layout", {}))]
    at.button(key="cf_compare").click().run()
    spec = chart(at, "same seed and settings")
    assert [t["name"] for t in spec["data"]] == ["A: rank 2", "B: rank 20"]
    assert all(len(decode(t["y"])) == 6 for t in spec["data"])  # epoch 0 (untrained) and 5 epochs
    assert spec["layout"]["yaxis"]["title"]["text"] == "validation RMSE (stars)"
    assert {t["line"]["dash"] for t in spec["data"]} == {"solid", "dash"}  # two encodings, not two colours only
    assert any("rank 2 →" in c.value and "rank 20 →" in c.value for c in at.caption)


def test_neighbour_and_prediction_pickers_update_their_tables_and_layers():
    at = trained_pipeline()
    users_before, items_before = at.dataframe[2].value, at.dataframe[3].value
    at.selectbox(key="collaborative_filtering:nb_user").set_value(5).run()
    at.selectbox(key="collaborative_filtering:nb_item").set_value(7).run()
    assert not at.dataframe[2].value.equals(users_before) and not at.dataframe[3].value.equals(items_before)
    assert "share a genre with the item" in texts(at)
    show_tab(at, "3 · Prediction trace")
    at.selectbox(key="cf_user").set_value(10).run()
    assert "held out" in at.selectbox(key="cf_item").options[0]
    at.selectbox(key="cf_item").select_index(0).run()
    assert "known **" in texts(at) and "a held-out rating (the model never saw it)" in texts(at)
    assert "fill with zeros" in next(c.value for c in at.caption if "filled-in models" in c.value)
    assert "User 11" in next(c.value for c in at.caption if "row (index 10)" in c.value)


def test_quiz_grades_the_seed_question_and_takes_experiment_answers_from_the_run():
    at = trained_pipeline()
    show_tab(at, "4 · Quiz")
    at.radio(key="quiz:collaborative_filtering:factorization_step").set_value(0).run()
    assert any("k = 20 here" in s.value and "1,000 x 500" in s.value for s in at.success)
    for question, prediction in (("preprocessing", 2), ("neighbours", 0)):  # 50,000 ratings: neighbours share genres
        at.radio(key=f"quiz:collaborative_filtering:{question}").set_value(prediction).run()
        at.button(key=f"quizpred:collaborative_filtering:{question}:lock").click().run()
        at.button(key=f"quizexp:collaborative_filtering:{question}:run").click().run()
    assert any(i.value.startswith("Held-out RMSE — fill with zeros") for i in at.info)
    assert sum(s.value.startswith("Correct.") for s in at.success) == 3
    assert any("Score: 3 / 4" in m.value for m in at.markdown)


def test_with_few_ratings_per_user_the_more_data_button_switches_the_sidebar_to_50000_ratings():
    at = trained_pipeline({"ratings": "10000", "cf_epochs": "3"})
    at.button(key="collaborative_filtering:more_data").click().run()
    assert not at.exception
    assert at.select_slider(key="ratings").value == 50_000


def test_a_diverging_learning_rate_is_explained_and_the_pipeline_is_not_traced():
    at = open_page(PAGE, query={"cf_lr": "5.0", "cf_epochs": "5"}, tab=TRAINING)
    assert any("Training diverged" in e.value for e in at.error)
    show_tab(at, PIPELINE)
    assert any("diverged" in e.value for e in at.error) and not at.table


def test_on_a_file_without_genres_the_neighbours_question_asks_about_shared_raters_and_is_answered():
    at = open_with_file(PAGE, n_users=120, n_items=40, n_ratings=1500)
    show_tab(at, TRAINING)
    show_tab(at, "4 · Quiz")
    prompt = next(m.value for m in at.markdown if "nearest neighbours" in m.value)
    assert "rated by the same people" in prompt and "share one of its genres" not in prompt
    at.radio(key="quiz:collaborative_filtering:neighbours").set_value(1).run()
    at.button(key="quizpred:collaborative_filtering:neighbours:lock").click().run()
    at.button(key="quizexp:collaborative_filtering:neighbours:run").click().run()
    assert not at.exception
    result = next(i.value for i in at.info if "nearest neighbours were rated by" in i.value)
    assert "random items by" in result and "most-rated items" in result
    assert any(s.value.startswith(("Correct.", "Not quite")) for s in [*at.success, *at.error])
