"""Lesson 1 — Matrix factorization basics (seed 003): MF on known ratings only, rank 10."""

from dataclasses import replace

import numpy as np
import streamlit as st

from app_pages import _ui as ui
from recsys_core import plots
from recsys_core.data import matrix_window
from recsys_core.lessons import mf_basics as pipeline
from recsys_core.lessons.stages import example_user
from recsys_core.models import mf as models
from recsys_core.training import loop as rtrain
from recsys_core.training.mf import MFConfig, fit_mf, mf_trainer

LESSON = "mf_basics"
DEFAULTS = MFConfig()

ui.lesson_header(LESSON)
data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
pipeline_tab, training_tab, prediction_tab, quiz_tab, insight_tab = ui.lesson_tabs()

# Training comes first in the script (the other tabs show what it learned), second on screen.
with training_tab:
    st.subheader("Training trace")
    st.markdown(
        "Each **epoch** passes once over the known training ratings in small batches, nudging every "
        "factor against its gradient. The **training loss** is the squared error on those ratings; the "
        "**validation loss** is the same error on 20% of ratings the model never trains on."
    )
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider("Rank k (features per user/item)", 1, 64, DEFAULTS.k, key="mf_k", bind="query-params")
    lr = c2.select_slider("Learning rate", ui.choices(ui.LEARNING_RATES, DEFAULTS.learning_rate), value=DEFAULTS.learning_rate, key="mf_lr",
                          bind="query-params", help="Step size of each update. Too large and training diverges.")
    l2 = c3.select_slider("L2 regularisation", ui.choices(ui.L2_VALUES, DEFAULTS.l2), value=DEFAULTS.l2, key="mf_l2", bind="query-params",
                          help="Penalty on large factors; holds back users and items with few ratings.")
    epochs = c4.slider("Epochs", 1, 100, DEFAULTS.epochs, key="mf_epochs", bind="query-params")
    c5, c6, c7, _ = st.columns(4)
    batch_size = c5.select_slider("Batch size", (32, 64, 128, 256, 512, 1024), value=DEFAULTS.batch_size,
                                  key="mf_batch", bind="query-params")
    optimizer = c6.segmented_control("Optimizer", ("sgd", "adam"), default=DEFAULTS.optimizer, required=True,
                                     key="mf_opt", bind="query-params")
    model_seed = c7.number_input("Model seed", 0, 9999, DEFAULTS.seed, key="mf_seed", bind="query-params",
                                 help="Seeds the random initial factors and the batch order.")
    config = replace(DEFAULTS, k=k, learning_rate=lr, l2=l2, epochs=epochs, batch_size=batch_size,
                     optimizer=optimizer, seed=int(model_seed))
    run = ui.live_training(lambda: mf_trainer(train_set, val_set, config, ui.LEARNING_RATES), LESSON, (data_key, config), lesson_id=LESSON)

    params = run.params
    last = run.last
    baseline = float(np.sqrt(np.mean((val_set.ratings - train_set.global_mean) ** 2)))
    m1, m2, m3, m4 = st.columns(4)
    if last is not None and np.isfinite(last.val_metric):
        m1.metric("Validation RMSE", f"{last.val_metric:.3f} stars",
                  delta=f"{last.val_metric - baseline:+.3f} vs. guessing the mean", delta_color="inverse",
                  help="Root mean squared error on held-out ratings: the typical miss, in stars.")
        m2.metric("Training RMSE", f"{last.train_metric:.3f} stars")
    m3.metric("Guess-the-mean RMSE", f"{baseline:.3f} stars", help="Predicting the average rating for everything.")
    m4.metric("Training time", f"{sum(r.seconds for r in run.history):.2f} s", help=f"{run.epochs_done} epochs")
    recovery = pipeline.planted_recovery(params, ratings) if last is not None and np.isfinite(last.train_loss) else None
    if recovery is not None:
        st.markdown("**Learned vs. planted truth** — the synthetic catalogue knows every user's real taste.")
        r1, r2, r3 = st.columns(3)
        r1.metric("Correlation with the true ratings", f"{recovery['correlation']:.2f}",
                  help="Over all 500,000 cells, rated or not: 1.0 would be a perfect match.")
        r2.metric("RMSE to the noise-free truth", f"{recovery['rmse_to_truth']:.3f} stars",
                  delta=f"{recovery['rmse_to_truth'] - recovery['baseline_rmse_to_truth']:+.3f} vs. the mean",
                  delta_color="inverse")
        r3.metric("Genre structure recovered (R²)", f"{recovery['genre_r2']:.0%}",
                  help=f"How well the learned features of the {recovery['well_rated_items']} items with at least "
                       "20 ratings, linearly mapped, explain their true genre vectors (100% = all found).")

with pipeline_tab:
    st.subheader("Pipeline trace")
    st.markdown("The lesson's five stages, computed from the data and the model in memory right now.")
    init_params = run.initial_params
    user = example_user(train_set)
    step = pipeline.gradient_step_trace(params, train_set, user, config.learning_rate, config.l2)
    train_loss = last.train_loss if last is not None else float("nan")
    ui.stage_table(pipeline.mf_basics_stages(train_set, init_params, params, train_loss, step, user))
    ui.data_summary(ratings)
    st.plotly_chart(plots.matrix_heatmap(matrix_window(train_set), "Stage 1 — a window of the ratings matrix "
                                         "(most active users x most rated items; blank = missing)"), width="stretch")
    left, right = st.columns(2)
    left.plotly_chart(plots.factor_heatmap(init_params.user_factors, "user", f"Stage 2 — user features at start "
                                           f"({train_set.n_users:,} x {config.k}, first 30 rows)"), width="stretch")
    right.plotly_chart(plots.factor_heatmap(params.item_factors, "item", f"After training — item features "
                                            f"({train_set.n_items:,} x {config.k}, first 30 rows)"), width="stretch")
    st.markdown(
        f"**Stage 4 — only known cells count.** Of the {train_set.n_users * train_set.n_items:,} cells, "
        f"{train_set.n_ratings:,} hold a training rating; the loss averages the squared error over those "
        "alone. An empty cell is *unknown*, not a zero."
    )
    st.plotly_chart(plots.vector_bars(step["user_vector_after"] - step["user_vector_before"],
                                      f"Stage 5 — one gradient step's change to user {train_set.user_ids[user]}'s features",
                                      "change in weight", tickformat=".1e"), width="stretch")
    st.caption(f"One step with learning rate {config.learning_rate:g} moves each weight by at most "
               f"{np.abs(step['user_vector_after'] - step['user_vector_before']).max():.1e} and changes this user's "
               f"loss from {step['loss_before']:.4f} to {step['loss_after']:.4f}: training is thousands of such steps.")

with prediction_tab:
    st.subheader("Prediction trace")
    st.markdown("Pick a user and an item and follow the three layers of one prediction.")
    c1, c2 = st.columns(2)
    user = c1.selectbox("User", range(train_set.n_users), index=example_user(train_set),
                        format_func=lambda u: f"User {train_set.user_ids[u]}", key="mf_user")
    rated = train_set.items[train_set.users == user]
    item_choices = list(rated) + [i for i in range(train_set.n_items) if i not in set(rated)]
    item = c2.selectbox("Item (rated ones first)", item_choices, format_func=train_set.title, key="mf_item")
    trace = models.mf_trace(params, user, item)
    shape = f"({config.k},)"
    ui.layer("Layer 1 — input user and item features", f"2 vectors of shape {shape}",
             "Each row of the factor tables is a short list of learned numbers describing a user or an item.",
             lambda: [col.plotly_chart(plots.vector_bars(vec, title, "weight"), width="stretch")
                      for col, vec, title in zip(st.columns(2), (trace["user_vector"], trace["item_vector"]),
                                                 (f"User {train_set.user_ids[user]}", train_set.title(item)),
                                                 strict=True)])
    ui.layer("Layer 2 — dot product of user and item features", f"{shape} → scalar",
             "Multiply feature by feature and add up; the model adds the global mean and the two biases.",
             lambda: (st.plotly_chart(plots.vector_bars(trace["products"], "Term-by-term products (they sum to the "
                                                        "dot product)", "product"), width="stretch"),
                      st.markdown(f"`{trace['global_mean']:.2f}` (mean) + `{trace['user_bias']:+.2f}` (user bias) + "
                                  f"`{trace['item_bias']:+.2f}` (item bias) + `{trace['dot']:+.2f}` (dot product) = "
                                  f"**{trace['prediction']:.2f}**, clipped to the 1-5 scale: "
                                  f"**{trace['prediction_clipped']:.2f} stars**")))
    in_train = (train_set.users == user) & (train_set.items == item)
    in_val = (val_set.users == user) & (val_set.items == item)
    if in_train.any():
        known, where = float(train_set.ratings[in_train][0]), "a training rating (the model saw it)"
    elif in_val.any():
        known, where = float(val_set.ratings[in_val][0]), "a held-out rating (the model never saw it)"
    else:
        known, where = None, None
    ui.layer("Layer 3 — compare the prediction with the known rating", "scalar vs. scalar",
             "Where the user did rate the item, the error is what the loss measures; elsewhere the "
             "prediction is the model's guess for a missing cell.",
             lambda: st.markdown(
                 f"Predicted **{trace['prediction_clipped']:.2f}**, known **{known:g}** — {where}; error "
                 f"**{trace['prediction_clipped'] - known:+.2f} stars**." if known is not None else
                 f"User {train_set.user_ids[user]} never rated this item: **{trace['prediction_clipped']:.2f} stars** is "
                 "the model's prediction for a missing cell."))


def big_learning_rate() -> str:
    probe = fit_mf(train_set, val_set, replace(config, optimizer="sgd", learning_rate=5.0, epochs=10))
    if probe.stop_reason == rtrain.DIVERGED:
        return f"With learning rate 5.0 the run stopped after {probe.epochs_done} epoch(s): {probe.message}"
    return (f"With learning rate 5.0 the training loss went from {probe.history[0].train_loss:.3f} to "
            f"{probe.last.train_loss:.3f} over {probe.epochs_done} epochs.")


def rank_one_vs_yours() -> tuple[str, tuple[int, str]]:
    small = fit_mf(train_set, val_set, replace(config, k=1))
    big = fit_mf(train_set, val_set, replace(config, k=max(config.k, 10)))
    a, b = small.last.val_metric, big.last.val_metric
    answer = 0 if a < b - 0.002 else 1 if b < a - 0.002 else 2
    why = (f"Your run: rank 1 reached validation RMSE {a:.3f}, rank {max(config.k, 10)} reached {b:.3f}. "
           "More features can describe more kinds of taste, but with few ratings per user they can also "
           "memorise noise — which wins depends on the data and on L2.")
    return f"Rank 1: validation RMSE {a:.3f} · rank {max(config.k, 10)}: {b:.3f}", (answer, why)


with quiz_tab:
    st.subheader("Quiz")
    ui.quiz_block(LESSON, experiments={"big_lr": big_learning_rate, "rank": rank_one_vs_yours})

with insight_tab:
    st.subheader("Key insight")
    if last is not None and np.isfinite(last.train_loss):
        first = run.history[0]
        mine = (f"Your loss went from **{first.train_loss:.3f}** at epoch 1 to **{last.train_loss:.3f}** at "
                f"epoch {last.epoch}, and on ratings the model never saw it misses by **{last.val_metric:.3f} stars** "
                f"on average (guessing the mean misses by {baseline:.3f}). Two tables of just "
                f"{(train_set.n_users + train_set.n_items) * config.k:,} numbers now fill in all "
                f"{train_set.n_users * train_set.n_items:,} cells.")
        if recovery is not None:
            mine += f" Compared with the planted truth, the filled-in table correlates at **{recovery['correlation']:.2f}**."
    else:
        mine = "Your last run diverged, so nothing was learned: lower the learning rate and train again."
    ui.key_insight(LESSON, mine)

ui.show_code(models.predict_mf, models.mf_loss)
