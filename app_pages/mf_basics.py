"""Lesson 1 — Matrix factorization basics (seed 003): MF on known ratings only, rank 10."""

from dataclasses import replace

import numpy as np
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.replay import replay
from app_pages._ui.toy import toy
from recsys_core import plots
from recsys_core.data import held_out_share, matrix_window
from recsys_core.lessons import mf_basics as lesson
from recsys_core.lessons.defaults import MF_BASICS
from recsys_core.lessons.stages import example_user
from recsys_core.models import mf as models
from recsys_core.training import mf_rowwise as rowwise
from recsys_core.training.mf import fit_mf, mf_epoch, mf_trainer

LESSON = "mf_basics"
CONTROLS = ui.MFControls("mf", notes={
    "batch": "Ratings per update step. The learning rate is per rating, so the batch size changes little here.",
    "opt": "sgd: plain steps; adam: steps scaled per weight. At the default learning rate both land about the same "
           "validation RMSE, so switching barely changes the result; at a much larger rate Adam's steps stay near "
           "the rate per weight, so its loss grows for a few epochs before it blows up: the way to watch a divergence.",
})

data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
ui.lesson_header(LESSON, **lesson.quiz_numbers(ratings, MF_BASICS.k))
pipeline_tab, training_tab, prediction_tab, quiz_tab, insight_tab = ui.lesson_tabs(LESSON)
with training_tab:  # always drawn: the controls hold the run's settings (and the URL); the rest runs when open
    st.subheader("Training trace")
    st.markdown("Each **epoch** passes once over the known training ratings in small batches, nudging every factor "
                "against its gradient. The **training loss** is the squared error on those ratings; the **validation "
                f"loss** is the same error on the {held_out_share(train_set, val_set):.0%} of ratings the model never "
                "trains on.")
    config = ui.mf_controls(CONTROLS, MF_BASICS)
window, window_users, window_items = lesson.replay_window(train_set)
signature = (data_key, config)
baseline = float(np.sqrt(np.mean((val_set.ratings - train_set.global_mean) ** 2)))


def make_trainer():
    return mf_trainer(train_set, val_set, config, ui.LEARNING_RATES, lesson.replay_snapshot(window_users, window_items))


if training_tab.open:
    with training_tab:
        run = ui.live_training(LESSON, make_trainer, signature, show_metric=False)
        if run is not None and run.trained:
            last = run.history[run.params_epoch]
            m = st.columns(4)
            ui.rmse_metric(m[0], last, baseline)
            m[1].metric("Training RMSE", f"{last.train_metric:.3f} stars")
            m[2].metric("Guess-the-mean RMSE", f"{baseline:.3f} stars", help="Predicting the average rating for everything.")
            m[3].metric("Training time", f"{sum(r.seconds for r in run.history):.2f} s", help=f"{run.epochs_done:,} epochs")
            recovery = ui.derived(LESSON, run, "recovery", lambda: lesson.planted_recovery(run.params, ratings))
            if recovery is not None:
                st.markdown("**Learned vs. planted truth** — the synthetic catalogue knows every user's real taste.")
                r = st.columns(3)
                r[0].metric("Correlation with the true ratings", f"{recovery['correlation']:.2f}",
                            help=f"Over all {ratings.n_users * ratings.n_items:,} cells, rated or not (1 = perfect).")
                r[1].metric("RMSE to the noise-free truth", f"{recovery['rmse_to_truth']:.3f} stars",
                            delta=f"{recovery['rmse_to_truth'] - recovery['baseline_rmse_to_truth']:+.3f} vs. the mean",
                            delta_color="inverse")
                r[2].metric("Genre structure recovered (R², held-out items)", *lesson.genre_r2_text(recovery, config.k))
        if run is not None:
            ui.epoch_table(run, make_trainer())
            replay(LESSON, run, window, train_set.rating_scale,
                   {"user_factors": "user features", "item_factors": "item features"})

if pipeline_tab.open:
    with pipeline_tab:
        st.subheader("Pipeline trace")
        toy()
        st.markdown("#### The full-size lesson: the same five stages on the whole catalogue")
        current = ui.state_banner(LESSON, signature, make_trainer)
        ui.data_summary(ratings)
        ui.plot(plots.matrix_heatmap(matrix_window(train_set), "Stage 1 — a window of the ratings matrix "
                                     "(most active users x most rated items; blank = missing)"))
        if current.trained:
            run, user = current.run, example_user(train_set)
            step = ui.derived(LESSON, run, "step", lambda: lesson.gradient_step_trace(
                run.initial_params, train_set, user, config.learning_rate, config.l2))
            ui.stage_table(lesson.mf_basics_stages(train_set, run.initial_params, run.params, config.l2, step, user,
                                                   run.params_epoch))
            left, right = st.columns(2)
            rows = plots.HEATMAP_ROWS
            bound = float(max(np.abs(np.asarray(run.initial_params.user_factors[:rows])).max(),
                              np.abs(np.asarray(run.params.user_factors[:rows])).max()))
            ui.plot(plots.factor_heatmap(run.initial_params.user_factors, "user", f"Stage 2 — user features "
                    f"at the start ({train_set.n_users:,} x {config.k})", bound=bound), left)
            ui.plot(plots.factor_heatmap(run.params.user_factors, "user", f"After training — the same rows "
                    f"(epoch {run.params_epoch:,})", bound=bound), right)
            ui.plot(plots.vector_bars(step["user_vector_after"] - step["user_vector_before"], f"Stage 5 — the "
                    f"first step's change to User {train_set.user_ids[user]}'s features", "change in weight"))

if prediction_tab.open:
    with prediction_tab:
        st.subheader("Prediction trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            user, item = ui.pick_user_and_item(train_set, val_set, example_user(train_set), "mf", unrated=False)
            ui.mf_prediction_trace(current.run.params, train_set, val_set, user, item, layout="basics")


def big_learning_rate() -> str:
    with ui.training_slot():
        probe = fit_mf(train_set, val_set, replace(config, optimizer="sgd", learning_rate=lesson.BIG_LEARNING_RATE, epochs=10))
    return lesson.big_learning_rate_result(probe)


def rank_one_vs_yours():
    small, big = lesson.ranks_compared(config.k)
    with ui.training_slot():
        return lesson.rank_result(fit_mf(train_set, val_set, replace(config, k=small)),
                                  fit_mf(train_set, val_set, replace(config, k=big)), big)


if quiz_tab.open:
    with quiz_tab:
        st.subheader("Quiz")
        ui.state_banner(LESSON, signature, make_trainer)
        ui.quiz_block(LESSON, experiments={"big_lr": big_learning_rate, "rank": rank_one_vs_yours},
                      numbers=lesson.quiz_numbers(ratings, config.k))

if insight_tab.open:
    with insight_tab:
        st.subheader("Key insight")
        current = ui.state_banner(LESSON, signature, make_trainer)
        recovery = ui.derived(LESSON, current.run, "recovery", lambda: lesson.planted_recovery(current.run.params, ratings)) \
            if current.trained else None
        ui.key_insight(LESSON, lesson.insight(current.run, train_set, baseline, recovery, config.k))

ui.show_code(models.predict_mf, models.mf_loss, rowwise.row_gradients, rowwise.sgd_step, mf_epoch)
