"""Lesson 3 — Why recommendations drive engagement (seed 000): embeddings + neural scorer, top 5, A/B test."""

import numpy as np
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.abtest import ab_test, default_simulation
from app_pages._ui.replay import replay
from recsys_core import plots
from recsys_core.data import held_out_share
from recsys_core.evaluation import engagement as eg
from recsys_core.lessons import engagement as el
from recsys_core.lessons import mf_basics
from recsys_core.lessons.defaults import ENGAGEMENT
from recsys_core.models import neural
from recsys_core.training.neural import neural_epoch, neural_trainer

LESSON = "engagement"
TOP = el.TOP_K

data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
held_out = held_out_share(train_set, val_set)
ui.lesson_header(LESSON, extra_steps=["Engagement"], **el.quiz_numbers(ratings, TOP))
pipeline_tab, training_tab, prediction_tab, engagement_tab, quiz_tab, insight_tab = ui.lesson_tabs(
    LESSON, ["Engagement experiment"])
with training_tab:
    st.subheader("Training trace")
    st.markdown("Every user and every item gets an **embedding** (a learned vector). A **scorer** turns a user's and an "
                "item's embeddings into a predicted rating: a small neural network (`mlp`) or their dot product (`dot`). "
                f"Each epoch passes once over the {1 - held_out:.0%} training ratings; validation uses the other {held_out:.0%}.")
    config = ui.neural_controls(ENGAGEMENT, el.CONTROL_NOTES)
window, window_users, window_items = mf_basics.replay_window(train_set)
signature = (data_key, config)


def snapshot(params):
    return {"window": neural.block_scores(params, window_users)[:, window_items].astype(np.float32),
            "item_embedding": np.asarray(params.item_embedding[:plots.HEATMAP_ROWS], np.float32)}


def make_trainer():
    return neural_trainer(train_set, val_set, config, ui.LEARNING_RATES, snapshot)


ceiling, guess = el.accuracy_ceiling(val_set), el.mean_guess_accuracy(train_set, val_set)
if training_tab.open:
    with training_tab:
        run = ui.live_training(LESSON, make_trainer, signature)
        st.caption(el.ACCURACY_DEFINITION.replace(" (see `accuracy_ceiling`)", ""))
        if run is not None and run.trained:
            last = run.history[run.params_epoch]
            m = st.columns(4)
            m[0].metric("Held-out accuracy", f"{last.val_metric:.1%}", delta=f"{(last.val_metric - guess) * 100:+.1f} "
                        "points vs. guessing the mean", help=f"Share of the {held_out:.0%} held-out ratings predicted within "
                             f"±{neural.ACCURACY_TOLERANCE:g} stars.")
            m[1].metric("Validation MSE", f"{last.val_loss:.3f} stars²")
            m[2].metric("Guess-the-mean accuracy", f"{guess:.1%}", help="Predicting the average training rating for everything.")
            if ceiling is not None:
                m[3].metric("Noise ceiling", f"{ceiling:.1%}", help="Accuracy of the planted, noise-free ratings themselves.")
                st.caption(el.ceiling_caption(ceiling))
        if run is not None:
            ui.epoch_table(run, make_trainer())
            replay(LESSON, run, window, train_set.rating_scale, {"item_embedding": "item embeddings"})

current = ui.lesson_run(LESSON, signature)
if pipeline_tab.open:
    with pipeline_tab:
        st.subheader("Pipeline trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            ui.stage_table(el.engagement_stages(ratings, train_set, val_set, current.run.params, el.example_user(train_set), TOP))
        left, right = st.columns(2)
        left.markdown(f"**Stage 1 — the logged interactions** ({ratings.n_ratings:,} rows x {len(el.RAW_COLUMNS)} columns)")
        left.dataframe(ratings.to_frame()[list(el.RAW_COLUMNS)], hide_index=True, height=280, width="stretch")
        right.markdown("**Stage 2 — cleaning and id encoding**")
        right.markdown(el.cleaning_text(ratings))
        if current.trained:
            st.markdown(f"**Stage 5 — predicted vs. actual on held-out ratings** (the first few of {val_set.n_ratings:,}; "
                        "the model never trained on them)")
            st.dataframe(el.predicted_vs_actual(current.run.params, val_set), hide_index=True, width="stretch",
                         column_config={"predicted (stars)": st.column_config.NumberColumn(format="%.2f")})

if prediction_tab.open:
    with prediction_tab:
        st.subheader("Prediction trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            params, dim = current.run.params, config.embedding_dim
            st.markdown(f"Pick a user and follow the four layers from their embedding to a top-{TOP} list.")
            counts = np.bincount(train_set.users, minlength=train_set.n_users)
            user = st.selectbox("User", range(train_set.n_users), index=el.example_user(train_set), key="eng_user",
                                format_func=lambda u: f"User {train_set.user_ids[u]} ({counts[u]:,} training ratings)")
            trace = el.neural_trace(params, user, TOP, train_set.items[train_set.users == user])
            ui.layer("Layer 1 — input user embedding", f"({dim},)", f"User {ui.text(train_set.user_ids[user])}'s row of the user "
                     "embedding table: the numbers training tuned to describe their taste.",
                     lambda: ui.plot(plots.vector_bars(trace["user_embedding"], f"User {train_set.user_ids[user]}",
                                                       "weight")))
            ui.layer("Layer 2 — input item embeddings", f"({train_set.n_items:,}, {dim})", "Every item's row of the item "
                     f"embedding table (the first {plots.HEATMAP_ROWS} are drawn).",
                     lambda: ui.plot(plots.factor_heatmap(trace["item_embeddings"], "item", "Item embeddings")))
            ui.layer("Layer 3 — similarity calculation", f"({train_set.n_items:,},)", el.similarity_text(config),
                     lambda: ui.plot(plots.score_bars(trace["scores"], trace["seen"], trace["top_items"],
                                                      f"Predicted rating of all {train_set.n_items:,} items for User "
                                                      f"{train_set.user_ids[user]}", "predicted rating (stars)")))
            ui.layer("Layer 4 — ranking and selection", f"({train_set.n_items:,},) → top {TOP}",
                     f"The {len(trace['seen']):,} items already rated are masked (-inf), the rest sorted, the best {TOP} "
                     "kept. The last two columns split each score: taste match for this user vs. quality for everyone.",
                     lambda: st.dataframe(el.score_breakdown(trace, params, train_set), hide_index=True, width="stretch"))

table = None
if engagement_tab.open:
    with engagement_tab:
        st.subheader("Engagement experiment: a simulated A/B test")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            table = ab_test(LESSON, current.run, config, data_key, ratings, train_set, val_set, TOP)


def more_data():
    n, seed = el.MORE_DATA["ratings"], ui.synthetic_choice()[1]
    big = ui.synthetic_data(n, seed)
    with ui.training_slot():
        return el.more_data_experiment(big, *ui.holdout(f"synthetic:{n}:{seed}", big), train_set)


if quiz_tab.open:
    with quiz_tab:
        st.subheader("Quiz")
        current = ui.state_banner(LESSON, signature, make_trainer)
        sim_table = default_simulation(LESSON, current.run, ratings, train_set)
        ui.quiz_block(LESSON, experiments={
            "model_vs_popular": lambda: el.model_vs_popular(sim_table, TOP), "more_data": more_data,
            "offline_vs_popular": lambda: el.offline_vs_popular(current.run.params, train_set, val_set, TOP)},
            numbers=el.quiz_numbers(ratings, TOP), replace=None if ratings.truth is not None else ui.replacements(LESSON))

if insight_tab.open:
    with insight_tab:
        st.subheader("Key insight")
        current = ui.state_banner(LESSON, signature, make_trainer)
        sim_table = default_simulation(LESSON, current.run, ratings, train_set)
        ui.key_insight(LESSON, el.insight(current.run, train_set, config.embedding_dim, sim_table, ceiling, TOP))

ui.show_code(neural.interaction, neural_epoch, eg.click_probability, eg.simulate)
