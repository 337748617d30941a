"""Lesson 2 — Collaborative filtering (seed 001): MF rank 20, missing values compared, neighbours."""

from dataclasses import replace

import numpy as np
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import state
from app_pages._ui.controls import Control, widget
from app_pages._ui.neighbours import neighbours
from app_pages._ui.replay import replay
from recsys_core import plots
from recsys_core.data import held_out_share, matrix_window
from recsys_core.lessons import collaborative_filtering as cf
from recsys_core.lessons import mf_basics
from recsys_core.lessons.defaults import COLLABORATIVE_FILTERING
from recsys_core.lessons.stages import example_user
from recsys_core.models.mf import mf_trace
from recsys_core.training.mf import fit_mf, mf_trainer

LESSON = "collaborative_filtering"
RANKS = (1, 2, 5, 10, 20, 50, 100)


@st.cache_data(max_entries=12, show_spinner="Training on the filled-in matrix (every cell a target)...")
def filled_variant(key: str, _train, _val, choice: str, config) -> cf.PreprocessingResult:
    with ui.training_slot():  # inside the cache: only a miss trains
        return cf.run_preprocessing(_train, _val, choice, config)


data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
baseline = cf.mean_baseline_rmse(train_set, val_set)
ui.lesson_header(LESSON)
pipeline_tab, training_tab, prediction_tab, quiz_tab, insight_tab = ui.lesson_tabs(LESSON)
with training_tab:
    st.subheader("Training trace")
    st.markdown("A **feature vector** per user and item, learned from known ratings; validation = the "
                f"{held_out_share(train_set, val_set):.0%} of ratings it never trains on.")
    config = ui.mf_controls(ui.MFControls("cf", full=False, ranks=(1, 100)), COLLABORATIVE_FILTERING)
window, window_users, window_items = mf_basics.replay_window(train_set)
signature = (data_key, config)


def make_trainer():
    return mf_trainer(train_set, val_set, config, ui.LEARNING_RATES, mf_basics.replay_snapshot(window_users, window_items))


def experiment(run) -> tuple[dict[str, cf.PreprocessingResult], str | None]:
    """The three ways to treat missing ratings, each trained with the learner's settings and seed."""
    results = {"mask": ui.derived(LESSON, run, "mask", lambda: cf.result_of(
        run, "mask", len(train_set), config, train_set, val_set, sum(r.seconds for r in run.history)))}
    try:
        for choice in ("mean", "zero"):
            results[choice] = filled_variant(data_key, train_set, val_set, choice, config)
    except ValueError as error:  # a file too big to fill every cell
        return results, str(error)
    return results, None


if training_tab.open:
    with training_tab:
        run = ui.live_training(LESSON, make_trainer, signature, show_metric=False)
        if run is not None and run.trained:
            last = run.history[run.params_epoch]
            m = st.columns(3)
            ui.rmse_metric(m[0], last, baseline)
            m[1].metric("Guess-the-mean RMSE", f"{baseline:.3f} stars")
            m[2].metric("Training time", f"{sum(r.seconds for r in run.history):.2f} s", help=f"{run.epochs_done:,} epochs")
        if run is not None:
            ui.epoch_table(run, make_trainer())
            replay(LESSON, run, window, train_set.rating_scale, {"item_factors": "item features"})
        st.markdown("#### Compare two ranks on the same seed")
        a, b = st.columns(2)
        rank_a = widget(Control("cf_rank_a", "Rank of run A", "select", RANKS), 5, a)
        rank_b = widget(Control("cf_rank_b", "Rank of run B", "select", RANKS), 50, b)
        if st.button("Train both", icon=":material/compare_arrows:", key="cf_compare"):
            with st.spinner("Training both ranks on the same seed..."), ui.training_slot():
                st.session_state[state.RANK_PAIR] = [fit_mf(train_set, val_set, replace(config, k=k)).history for k in (rank_a, rank_b)]
        if pair := st.session_state.get(state.RANK_PAIR):
            ui.plot(plots.overlay_curves({f"A: rank {rank_a}": pair[0], f"B: rank {rank_b}": pair[1]}, "val_metric",
                                         "validation RMSE (stars)", "Held-out error per epoch, same seed and "
                                         "settings"))
            st.caption(f"After {config.epochs:,} epochs: rank {rank_a} → {pair[0][-1].val_metric:.3f} stars, rank "
                       f"{rank_b} → {pair[1][-1].val_metric:.3f} stars.")

current = ui.lesson_run(LESSON, signature)
if pipeline_tab.open:
    with pipeline_tab:
        st.subheader("Pipeline trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        choice = widget(Control("cf_fill", "Stage 2 — what to do with missing ratings", "segmented",
                                tuple(cf.PREPROCESSING), fmt=lambda c: cf.PREPROCESSING_LABELS[c]), "mask")
        st.caption(f"**{cf.PREPROCESSING_LABELS[choice]}**: {cf.PREPROCESSING[choice]}")
        view = matrix_window(train_set, 15, 20)
        left, right = st.columns(2)
        ui.plot(plots.matrix_heatmap(view, "Stage 1 — raw ratings (blank = missing)", height=380), left)
        ui.plot(plots.matrix_heatmap(cf.filled_window(view, choice, train_set.global_mean), "Stage 2 — after "
                f"'{cf.PREPROCESSING_LABELS[choice]}'", zmin=0, height=380), right)
        if current.trained:
            results, skipped = experiment(current.run)
            if skipped:
                st.info(skipped, icon=":material/info:")
            user = example_user(train_set)
            ui.stage_table(cf.cf_stages(train_set, val_set, results.get(choice, results["mask"]), user))
            st.markdown("#### The preprocessing experiment: every choice, same seed, same held-out ratings")
            frame = cf.experiment_table(results, baseline)
            ui.plot(plots.grouped_bars(frame, "Preprocessing", "Held-out RMSE (stars)", "Held-out error by "
                    "preprocessing (lower is better)", "held-out RMSE (stars)"))
            st.markdown(cf.experiment_findings(results, baseline, train_set.global_mean))
            st.dataframe(frame, hide_index=True, width="stretch")
            st.markdown(f"**What each model predicts for User {ui.text(train_set.user_ids[user])}'s unrated items** (held-out "
                        f"ones first; stars, clipped to {train_set.rating_scale[0]:g}-{train_set.rating_scale[1]:g})")
            st.dataframe(cf.predictions_for_user(results, train_set, val_set, user), hide_index=True, width="stretch")
            neighbours(LESSON, train_set, current.run.params.user_factors, current.run.params.item_factors)

if prediction_tab.open:
    with prediction_tab:
        st.subheader("Prediction trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            user, item = ui.pick_user_and_item(train_set, val_set, example_user(train_set), "cf", unrated=True)
            ui.mf_prediction_trace(current.run.params, train_set, val_set, user, item, layout="collaborative")
            results, _ = experiment(current.run)
            low, high = train_set.rating_scale
            st.caption("The same cell from the filled-in models: " + "; ".join(
                f"{cf.PREPROCESSING_LABELS[c]} {np.clip(mf_trace(r.params, user, item)['prediction'], low, high):.2f}"
                for c, r in results.items() if c != "mask"))

if quiz_tab.open:
    with quiz_tab:
        st.subheader("Quiz")
        current = ui.state_banner(LESSON, signature, make_trainer)
        ui.quiz_block(LESSON, experiments=cf.quiz_experiments(lambda: experiment(current.run)[0], current.run, train_set,
                                                              baseline) if current.trained else {},
                      numbers=cf.quiz_numbers(ratings, config.k),
                      replace=None if ratings.has_genres else ui.replacements(LESSON))

if insight_tab.open:
    with insight_tab:
        st.subheader("Key insight")
        current = ui.state_banner(LESSON, signature, make_trainer)
        ui.key_insight(LESSON, cf.insight(experiment(current.run)[0] if current.trained else None, train_set, baseline,
                                          current.run.params if current.trained else None, config.k))

ui.show_code(cf.run_preprocessing, cf.cosine_neighbours, mf_trace)
