"""Lesson 2 — Collaborative filtering (seed 001): MF rank 20, missing values compared, neighbours."""

from dataclasses import replace

import numpy as np
import streamlit as st

from app_pages import _ui as ui
from recsys_core import plots
from recsys_core.data import matrix_window
from recsys_core.lessons import collaborative_filtering as cf
from recsys_core.lessons import stages as pipeline
from recsys_core.models import mf as models
from recsys_core.training import loop as rtrain
from recsys_core.training.mf import MFConfig, fit_mf, mf_trainer

LESSON = "collaborative_filtering"
DEFAULTS = MFConfig(k=20, epochs=15)
RANKS = (1, 2, 5, 10, 20, 50, 100)


@st.cache_data(max_entries=24, show_spinner="Training on the preprocessed ratings...")
def preprocessing_run(key: str, _train, _val, choice: str, config: MFConfig) -> cf.PreprocessingResult:
    return cf.run_preprocessing(_train, _val, choice, config)


@st.cache_data(max_entries=12, show_spinner="Training both ranks on the same seed...")
def rank_histories(key: str, _train, _val, configs: tuple[MFConfig, ...]) -> list[tuple[rtrain.EpochRecord, ...]]:
    return [fit_mf(_train, _val, c).history for c in configs]


ui.lesson_header(LESSON)
data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
baseline = cf.mean_baseline_rmse(train_set, val_set)
pipeline_tab, training_tab, prediction_tab, quiz_tab, insight_tab = ui.lesson_tabs()

with training_tab:  # first in the script: the other tabs show what this run learned
    st.subheader("Training trace")
    st.markdown("A **feature vector** per user and item, learned from known ratings; validation = 20% never trained on.")
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider("Rank (features per user/item)", 1, 100, DEFAULTS.k, key="cf_k", bind="query-params")
    lr = c2.select_slider("Learning rate", ui.choices(ui.LEARNING_RATES, DEFAULTS.learning_rate), DEFAULTS.learning_rate,
                          key="cf_lr", bind="query-params", help="Step size of each update. Too large and training diverges.")
    l2 = c3.select_slider("L2 regularisation", ui.choices(ui.L2_VALUES, DEFAULTS.l2), DEFAULTS.l2, key="cf_l2",
                          bind="query-params", help="Penalty on large features; holds back users with few ratings.")
    epochs = c4.slider("Epochs", 1, 100, DEFAULTS.epochs, key="cf_epochs", bind="query-params")
    config = replace(DEFAULTS, k=k, learning_rate=lr, l2=l2, epochs=epochs)
    run = ui.live_training(lambda: mf_trainer(train_set, val_set, config, ui.LEARNING_RATES), LESSON, (data_key, config), lesson_id=LESSON)
    last = run.last
    m1, m2, m3 = st.columns(3)
    if last is not None and np.isfinite(last.val_metric):  # a diverged first epoch has nothing to show
        m1.metric("Validation RMSE", f"{last.val_metric:.3f} stars", delta=f"{last.val_metric - baseline:+.3f} vs. "
                  "guessing the mean", delta_color="inverse", help="The typical miss on held-out ratings, in stars.")
    m2.metric("Guess-the-mean RMSE", f"{baseline:.3f} stars")
    m3.metric("Training time", f"{sum(r.seconds for r in run.history):.2f} s", help=f"{run.epochs_done} epochs")

    st.markdown("#### Compare two ranks on the same seed")
    a, b, run_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    rank_a = a.select_slider("Rank of run A", RANKS, 5, key="cf_rank_a", bind="query-params")
    rank_b = b.select_slider("Rank of run B", RANKS, 50, key="cf_rank_b", bind="query-params")
    if run_col.button("Train both", icon=":material/compare_arrows:", key="cf_compare"):
        st.session_state["cf_compare_shown"] = True
    if st.session_state.get("cf_compare_shown"):
        with ui.training_slot():
            pair = rank_histories(data_key, train_set, val_set, (replace(config, k=rank_a), replace(config, k=rank_b)))
        st.plotly_chart(plots.overlay_curves({f"A: rank {rank_a}": pair[0], f"B: rank {rank_b}": pair[1]}, "val_metric",
                                             "validation RMSE (stars)", "Held-out error per epoch, same seed and settings"),
                        width="stretch")
        ends = [h[-1].val_metric if h else float("nan") for h in pair]
        st.caption(f"After {config.epochs} epochs: rank {rank_a} → {ends[0]:.3f} stars, rank {rank_b} → {ends[1]:.3f} stars.")

with pipeline_tab:
    st.subheader("Pipeline trace")
    choice = st.segmented_control("Stage 2 — what to do with missing ratings", list(cf.PREPROCESSING), default="mask",
                                  required=True, key="cf_fill", bind="query-params")
    st.caption(f"**{choice}**: {cf.PREPROCESSING[choice]} Each choice is trained with your settings on the same seed.")
    results, skipped = {}, None
    for option in cf.PREPROCESSING:
        try:
            with ui.training_slot():
                results[option] = preprocessing_run(data_key, train_set, val_set, option, config)
        except ValueError as error:
            skipped = str(error)
    if skipped:
        st.info(skipped, icon=":material/info:")
    example_user = pipeline.example_user(train_set)
    ui.stage_table(cf.cf_stages(train_set, val_set, results.get(choice, results["mask"]), example_user))
    window = matrix_window(train_set, 15, 20)
    left, right = st.columns(2)
    left.plotly_chart(plots.matrix_heatmap(window, "Stage 1 — raw ratings (blank = missing)", height=380), width="stretch")
    right.plotly_chart(plots.matrix_heatmap(cf.filled_window(window, choice, train_set.global_mean), f"Stage 2 — "
                                            f"after '{choice}'", zmin=0, height=380), width="stretch")

    st.markdown("#### The preprocessing experiment: every choice, same seed, same held-out ratings")
    frame = cf.experiment_table(results, baseline)
    st.plotly_chart(plots.grouped_bars(frame, "Preprocessing", "Held-out RMSE (stars)", "Held-out error by preprocessing "
                                       "(lower is better)", "held-out RMSE (stars)"), width="stretch")
    st.markdown(cf.experiment_findings(results, baseline, train_set.global_mean))
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="%.3f" if "stars" in c else "%.2f" if c == "Seconds" else "localized")
        for c in frame.columns[1:]})
    st.markdown(f"**What each model predicts for User {train_set.user_ids[example_user]}'s unrated items** "
                "(held-out ones first: their true rating is known; predictions in stars, clipped to 1-5)")
    side_by_side = cf.predictions_for_user(results, train_set, val_set, example_user)
    st.dataframe(side_by_side, hide_index=True, width="stretch", column_config={c: st.column_config.NumberColumn(
        format="%.2f") for c in side_by_side.columns[2:]})

    st.markdown("#### Stages 3-4 — similar users and items in the learned feature space")
    params = run.params
    counts_u, counts_i = np.bincount(train_set.users, minlength=train_set.n_users), np.bincount(train_set.items, minlength=train_set.n_items)
    u_col, i_col = st.columns(2)
    nb_user = u_col.selectbox("User (most active first)", np.argsort(-counts_u, kind="stable"), key="cf_nb_user",
                              format_func=lambda u: f"User {train_set.user_ids[u]} · likes {', '.join(cf.liked_genres(train_set, u)) or '—'}")
    u_col.dataframe(cf.similar_users(train_set, params.user_factors, int(nb_user)), hide_index=True, width="stretch")
    nb_item = i_col.selectbox("Item (most rated first)", np.argsort(-counts_i, kind="stable"), key="cf_nb_item",
                              format_func=lambda i: f"{train_set.title(i)} · {', '.join(train_set.genres_of(i))}")
    i_col.dataframe(cf.similar_items(train_set, params.item_factors, int(nb_item)), hide_index=True, width="stretch")
    agreement = cf.genre_agreement(train_set, params.item_factors)
    if agreement is not None:
        ratio = agreement["neighbour_share"] / max(agreement["random_share"], 1e-9)
        st.markdown(f"Across the {agreement['n_items']} most-rated items, **{agreement['neighbour_share']:.0%}** of the "
                    f"{agreement['k']} nearest neighbours share a genre with the item; random items do "
                    f"{agreement['random_share']:.0%} of the time (**{ratio:.1f}x** chance).")
        if ratio < 1.5 and st.session_state.get("data", "synthetic") == "synthetic" and train_set.n_ratings < 40_000:
            st.info(f"With {train_set.n_ratings / train_set.n_users:.0f} training ratings per user, users overlap too little "
                    "for the features to find genres yet: collaborative filtering needs shared ratings.",
                    icon=":material/group_off:")
            st.button("Use 50,000 ratings", key="cf_more_data", on_click=lambda: st.session_state.update(ratings=50_000))
    points, share = cf.item_map(train_set, params.item_factors)
    st.plotly_chart(plots.scatter_2d(points, "pc1", "pc2", "genre", "label", "Embedding map — item features projected "
                                     "to 2-D (PCA), coloured by first genre", f"component 1 ({share[0]:.0%} of variance, "
                                     "feature units)", f"component 2 ({share[1]:.0%} of variance, feature units)"),
                    width="stretch")

with prediction_tab:
    st.subheader("Prediction trace")
    st.markdown("Pick a user and an item they did not rate in training, and follow the four layers.")
    c1, c2 = st.columns(2)
    user = c1.selectbox("User", range(train_set.n_users), index=example_user, key="cf_user",
                        format_func=lambda u: f"User {train_set.user_ids[u]}")
    held = dict(zip(val_set.items[val_set.users == user].tolist(), val_set.ratings[val_set.users == user].tolist(), strict=True))
    rated = set(train_set.items[train_set.users == user].tolist())
    items = list(held) + [i for i in range(train_set.n_items) if i not in rated and i not in held]
    item = c2.selectbox("Unrated item (held-out ones first)", items, key="cf_item",
                        format_func=lambda i: train_set.title(i) + (f" · held out, rated {held[i]:g}" if i in held else ""))
    trace = models.mf_trace(params, user, item)
    shape = f"1 x {config.k}"
    ui.layer("Layer 1 — user feature vector extraction", shape, f"User {train_set.user_ids[user]}'s row (index {user}) of the user feature matrix.",
             lambda: st.plotly_chart(plots.vector_bars(trace["user_vector"], f"User {train_set.user_ids[user]}", "weight"), width="stretch"))
    ui.layer("Layer 2 — item feature vector extraction", shape, f"The item's row (index {item}) of the item feature matrix.",
             lambda: st.plotly_chart(plots.vector_bars(trace["item_vector"], train_set.title(item), "weight"), width="stretch"))
    ui.layer("Layer 3 — dot product calculation", f"{shape} · {shape} → scalar",
             "Multiply feature by feature and add up: features where both are large and of the same sign push the rating up.",
             lambda: (st.plotly_chart(plots.vector_bars(trace["products"], "Term-by-term products", "product (stars)"), width="stretch"),
                      st.markdown(f"Sum of the products: **{trace['dot']:+.3f}**")))
    others = "; ".join(f"{cf.PREPROCESSING_LABELS[c]}: {float(np.clip(models.mf_trace(r.params, user, item)['prediction'], 1, 5)):.2f}"
                       for c, r in results.items() if c != "mask")
    ui.layer("Layer 4 — rating prediction output", "scalar",
             "The mean rating and the two biases are added to the dot product; the result is clipped to the 1-5 scale.",
             lambda: st.markdown(
                 f"`{trace['global_mean']:.2f}` (mean) + `{trace['user_bias']:+.2f}` (user bias) + `{trace['item_bias']:+.2f}` "
                 f"(item bias) + `{trace['dot']:+.2f}` (dot product) = **{trace['prediction_clipped']:.2f} stars**"
                 + (f" — the held-out rating is **{held[item]:g}**." if item in held else " — never rated: nobody knows yet.")
                 + (f" The same cell from the filled models: {others}." if others else "")))


def preprocessing_quiz() -> tuple[str, tuple[int, str]]:
    order = ["zero", "mean", "mask"]
    best = cf.best_choice(results)
    scores = ", ".join(f"{cf.PREPROCESSING_LABELS[c]} {results[c].val_rmse:.3f}" for c in order if c in results)
    return f"Held-out RMSE — {scores} stars.", (order.index(best), cf.experiment_findings(results, baseline, train_set.global_mean))


def neighbour_quiz() -> tuple[str, tuple[int, str]]:
    found = cf.genre_agreement(train_set, params.item_factors)
    if found is None:
        return "This data has no genres, so the question cannot be checked here.", (1, "No genres to compare.")
    ratio = found["neighbour_share"] / max(found["random_share"], 1e-9)
    answer = 0 if ratio >= 1.5 else 1 if ratio >= 0.67 else 2
    why = (f"Your model: {found['neighbour_share']:.0%} of nearest neighbours share a genre, random items {found['random_share']:.0%} "
           f"({ratio:.1f}x). Features only capture taste where users' ratings overlap: with more ratings per user they do.")
    return f"Nearest neighbours share a genre {found['neighbour_share']:.0%} of the time; random items {found['random_share']:.0%}.", (answer, why)


with quiz_tab:
    st.subheader("Quiz")
    ui.quiz_block(LESSON, experiments={"preprocessing": preprocessing_quiz, "neighbours": neighbour_quiz})

with insight_tab:
    st.subheader("Key insight")
    mask, zero = results["mask"], results.get("zero")
    mine = (f"From {train_set.n_ratings:,} ratings your model learned {config.k} features for each of {train_set.n_users:,} users "
            f"and {train_set.n_items:,} items; keeping the mask it misses held-out ratings by **{mask.val_rmse:.3f} stars** "
            f"(guessing the mean: {baseline:.3f}).")
    if zero is not None:
        mine += f" Treating every missing rating as 0 made that **{zero.val_rmse:.3f}**: unseen is not disliked."
    if agreement is not None and agreement["neighbour_share"] >= 1.5 * agreement["random_share"]:
        mine += (f" Items close in feature space share a genre {agreement['neighbour_share']:.0%} of the time "
                 f"(chance: {agreement['random_share']:.0%}): similarity learned from users' overlapping tastes alone.")
    elif agreement is not None:
        mine += (f" Nearest items share a genre only {agreement['neighbour_share']:.0%} of the time (chance: "
                 f"{agreement['random_share']:.0%}): too few overlapping ratings to learn tastes — try 50,000 ratings.")
    ui.key_insight(LESSON, mine)

ui.show_code(cf.run_preprocessing, cf.cosine_neighbours, models.mf_trace)
