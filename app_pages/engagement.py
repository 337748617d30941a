"""Lesson 3 — Why recommendations drive engagement (seed 000): embeddings + neural scorer, top 5, A/B test."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from recsys_core import plots
from recsys_core.evaluation import engagement as eg
from recsys_core.lessons import engagement as el
from recsys_core.models import neural
from recsys_core.training.neural import NeuralConfig, fit_neural, neural_trainer

LESSON = "engagement"
DEFAULTS = NeuralConfig()
TOP = 5  # the seed's list length for the traces and the offline metrics
L2_CHOICES = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
LIST_LENGTHS = (1, 3, 5, 10, 20)


@st.cache_data(max_entries=8, show_spinner="Scoring every user x item pair...")
def model_scores(key: str, config: NeuralConfig, epochs_done: int, _params) -> np.ndarray:
    return neural.all_scores(_params)


@st.cache_data(max_entries=16, show_spinner="Simulating users clicking on each policy's lists...")
def simulation(key: str, config: NeuralConfig, epochs_done: int, sim: eg.SimulationConfig, _ratings, _scores) -> pd.DataFrame:
    return eg.simulate(_ratings, _scores, sim)


@st.cache_data(max_entries=8, show_spinner="Simulating every list length...")
def by_list_length(key: str, config: NeuralConfig, epochs_done: int, sim: eg.SimulationConfig, _ratings, _scores) -> pd.DataFrame:
    return eg.ctr_vs_k(_ratings, _scores, LIST_LENGTHS, sim)


@st.cache_data(max_entries=8, show_spinner="Retraining epoch by epoch and simulating after each...")
def by_epoch(key: str, config: NeuralConfig, sim: eg.SimulationConfig, _train, _val, _ratings) -> pd.DataFrame:
    return eg.ctr_vs_epochs(_train, _val, _ratings, config, config.epochs, sim)


@st.cache_data(max_entries=8, show_spinner="Scoring the held-out ratings...")
def offline_metrics(key: str, config: NeuralConfig, epochs_done: int, _scores, _train, _test) -> pd.DataFrame:
    return el.ranking_table(_scores, _train, _test, TOP)


ui.lesson_header(LESSON, extra_steps=["engagement"])
data_key, ratings = ui.dataset()
train_set, val_set = ui.holdout(data_key, ratings)
pipeline_tab, training_tab, prediction_tab, engagement_tab, quiz_tab, insight_tab = ui.lesson_tabs(["Engagement experiment"])

with training_tab:  # first in the script: every other tab shows what this run learned
    st.subheader("Training trace")
    st.markdown("Every user and every item gets an **embedding** (a learned vector). A **scorer** turns a user's and "
                "an item's embeddings into a predicted rating: a small neural network (`mlp`) or their dot product "
                "(`dot`). Each epoch passes once over the 80% training ratings; validation uses the other 20%.")
    c1, c2, c3, c4 = st.columns(4)
    dim = c1.select_slider("Embedding size", (4, 8, 16, 32, 64), DEFAULTS.embedding_dim, key="eng_dim", bind="query-params",
                           help="Numbers per user and per item; a training row holds both, so 2 x this many columns.")
    scorer = c2.segmented_control("Scorer", neural.SCORERS, default=DEFAULTS.scorer, required=True, key="eng_scorer",
                                  bind="query-params", help="mlp: a hidden layer over [user ; item]. dot: their dot product.")
    hidden = c3.select_slider("Hidden width (mlp)", (8, 16, 32, 64, 128, 256), DEFAULTS.hidden, key="eng_hidden",
                              bind="query-params", disabled=scorer == "dot", help="Neurons in the mlp's hidden layer.")
    epochs = c4.slider("Epochs", 1, 50, DEFAULTS.epochs, key="eng_epochs", bind="query-params")
    c5, c6, c7, _ = st.columns(4)
    lr = c5.select_slider("Learning rate", ui.choices(ui.LEARNING_RATES, DEFAULTS.learning_rate), DEFAULTS.learning_rate,
                          key="eng_lr", bind="query-params", help="Adam's step size. Too large and training diverges.")
    l2 = c6.select_slider("L2 regularisation", L2_CHOICES, DEFAULTS.l2, key="eng_l2", bind="query-params",
                          help="Penalty on large weights, counted like this many 'pseudo-ratings': it holds back users "
                               "and items with few ratings. Few ratings per user need a strong L2.")
    model_seed = c7.number_input("Model seed", 0, 9999, DEFAULTS.seed, key="eng_seed", bind="query-params")
    config = replace(DEFAULTS, embedding_dim=dim, hidden=hidden, scorer=scorer, learning_rate=lr, l2=l2, epochs=epochs,
                     seed=int(model_seed))
    run = ui.live_training(lambda: neural_trainer(train_set, val_set, config, ui.LEARNING_RATES), LESSON, (data_key, config),
                           metric_as_percent=True, lesson_id=LESSON)
    st.caption(el.ACCURACY_DEFINITION.replace(" (see `accuracy_ceiling`)", ""))
    params, last = run.params, run.last
    trained = last is not None and np.isfinite(last.train_loss)
    ceiling, guess = el.accuracy_ceiling(val_set), el.mean_guess_accuracy(train_set, val_set)
    m1, m2, m3, m4 = st.columns(4)
    if trained:
        m1.metric("Held-out accuracy", f"{last.val_metric:.1%}", delta=f"{(last.val_metric - guess) * 100:+.1f} points vs. "
                  "guessing the mean", help="Share of the 20% held-out ratings predicted within ±0.5 stars.")
        m2.metric("Validation MSE", f"{last.val_loss:.3f} stars²")
    m3.metric("Guess-the-mean accuracy", f"{guess:.1%}", help="Predicting the average training rating for everything.")
    if ceiling is not None:
        m4.metric("Noise ceiling", f"{ceiling:.1%}", help="Accuracy of the planted, noise-free ratings themselves: "
                  "no model can do better on average.")
        st.caption(f"The lesson document's table shows accuracy climbing from 0.45 to 0.85. Real ratings are noisy — the "
                   f"same user might give 3 or 4 stars — so even the true tastes reach only {ceiling:.0%} here; your "
                   "model's numbers above are what this data honestly allows.")

with pipeline_tab:
    st.subheader("Pipeline trace")
    st.markdown("The lesson's six stages, computed from the ratings and the model in memory right now.")
    user = el.example_user(train_set)
    if trained:
        ui.stage_table(el.engagement_stages(ratings, train_set, val_set, params, user, TOP))
    else:
        st.error("The last run diverged, so there is no model to trace: lower the learning rate and train again.")
    left, right = st.columns(2)
    left.markdown(f"**Stage 1 — the logged interactions** ({ratings.n_ratings:,} rows x 3 columns)")
    left.dataframe(ratings.to_frame()[["user", "item", "rating"]], hide_index=True, height=280, width="stretch")
    report = el.preprocessing_report(ratings)
    right.markdown("**Stage 2 — cleaning and id encoding**")
    right.markdown(f"{el.preprocessing_text(report)} User and item ids become row numbers 0..{ratings.n_users - 1} and "
                   f"0..{ratings.n_items - 1}, so they can pick rows of the embedding tables.")
    if report["users_without_ratings"]:
        right.caption(f"{report['users_without_ratings']} users have no ratings: their embeddings stay at random.")
    if trained:
        st.markdown("**Stage 5 — predicted vs. actual on held-out ratings** (the first few of "
                    f"{val_set.n_ratings:,}; the model never trained on them)")
        st.dataframe(el.predicted_vs_actual(params, val_set), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("predicted (stars)",)})

with prediction_tab:
    st.subheader("Prediction trace")
    if not trained:
        st.error("The last run diverged: there is nothing to trace. Lower the learning rate and train again.")
    else:
        st.markdown(f"Pick a user and follow the four layers from their embedding to a top-{TOP} list.")
        counts = np.bincount(train_set.users, minlength=train_set.n_users)
        user = st.selectbox("User", range(train_set.n_users), index=user, key="eng_user",
                            format_func=lambda u: f"User {train_set.user_ids[u]} ({counts[u]} training ratings)")
        seen = train_set.items[train_set.users == user]
        trace = el.neural_trace(params, user, TOP, seen)
        ui.layer("Layer 1 — input user embedding", f"({dim},)", f"User {train_set.user_ids[user]}'s row of the user "
                 "embedding table: the numbers training tuned to describe their taste.",
                 lambda: st.plotly_chart(plots.vector_bars(trace["user_embedding"], f"User {train_set.user_ids[user]}",
                                                           "weight"), width="stretch"))
        ui.layer("Layer 2 — input item embeddings", f"({train_set.n_items:,}, {dim})", "Every item's row of the item "
                 "embedding table (the first 30 are drawn).",
                 lambda: st.plotly_chart(plots.factor_heatmap(trace["item_embeddings"], "item", "Item embeddings "
                                                              "(first 30 items)"), width="stretch"))
        scorer_text = ("the dot product of the two embeddings" if scorer == "dot" else
                       f"the network's output on the {2 * dim} numbers [user ; item]")
        ui.layer("Layer 3 — similarity calculation", f"({train_set.n_items:,},)",
                 f"Similarity = {scorer_text}; predicted rating = global mean + user bias + item bias + similarity. "
                 "Every item is scored; the ones this user already rated are greyed out.",
                 lambda: st.plotly_chart(plots.score_bars(trace["scores"], trace["seen"], trace["top_items"],
                                                          f"Predicted rating of all {train_set.n_items} items for User "
                                                          f"{train_set.user_ids[user]}", "predicted rating (stars)"),
                                         width="stretch"))
        ui.layer("Layer 4 — ranking and selection", f"({train_set.n_items:,},) → top {TOP}",
                 f"The {len(trace['seen'])} items already rated are masked (-inf), the rest sorted, the best {TOP} kept. "
                 "The last two columns split each score: taste match for this user vs. quality for everyone.",
                 lambda: st.dataframe(el.score_breakdown(trace, params, train_set), hide_index=True, width="stretch",
                                      column_config={c: st.column_config.NumberColumn(format="%.2f") for c in
                                                     ("predicted rating (stars)", "similarity (taste match)",
                                                      "item bias (quality)")}))

table = None
with engagement_tab:
    st.subheader("Engagement experiment: a simulated A/B test")
    st.markdown(
        "Do these lists really get more clicks? Simulated users, whose true tastes the synthetic catalogue planted, "
        "each see a list of items they have not rated, from one of four **policies**: **random** items, the **most "
        "popular** items, the **highest rated** items (both the same for everyone), or your **trained model**'s top "
        "items. A user clicks a shown item with a chance that rises with how much they truly like it: "
        + ", ".join(f"{p:.0%} for an item they would truly rate {s} stars" for s, p in el.click_chances().items())
        + ". All policies meet the same users and the same luck, so differences are the policies' own."
    )
    c1, c2, _ = st.columns([2, 2, 3])
    k = c1.slider("Items shown per session (k)", 1, 20, TOP, key="eng_k", bind="query-params")
    sessions = c2.select_slider("Simulated sessions", (200, 500, 1000, 2000, 5000), 1000, key="eng_sessions",
                                bind="query-params", help="More sessions, narrower 95% intervals, slower.")
    sim = eg.SimulationConfig(k=k, n_sessions=sessions)
    if ratings.truth is None:
        st.info("This data has no known tastes — nobody can say whether a simulated user *would* click an item they "
                "never rated — so the simulation runs only on the synthetic catalogue. The offline metrics below "
                "still work on your data.", icon=":material/info:")
        st.button("Use the synthetic catalogue", key="eng_to_synthetic", on_click=lambda: st.session_state.update(data="synthetic"))
    elif not trained:
        st.error("The last run diverged, so the model has no sensible lists to show: lower the learning rate.")
    if trained:
        scores = eg.policy_scores(train_set, model_scores(data_key, config, run.epochs_done, params), sim.seed,
                                  include_highest_rated=True)
    if trained and ratings.truth is not None:
        table = simulation(data_key, config, run.epochs_done, sim, ratings, scores)
        shown = el.ctr_frame(table)
        left, right = st.columns(2)
        left.plotly_chart(plots.grouped_bars(shown, "policy", "CTR (%)", f"Click-through rate, {sessions:,} sessions x "
                                             f"{k} items (95% intervals)", "CTR (% of shown items clicked)",
                                             "95% CI low (%)", "95% CI high (%)", ".1f"), width="stretch")
        clicks = shown.assign(low=shown["95% CI low (%)"] * shown["impressions"] / 100,
                              high=shown["95% CI high (%)"] * shown["impressions"] / 100)
        right.plotly_chart(plots.grouped_bars(clicks, "policy", "clicks", f"Total clicks out of {sessions * k:,} shown items",
                                              "clicks (count)", "low", "high", ","), width="stretch")
        st.markdown("\n".join(f"- {line}" for line in el.engagement_findings(table, train_set.n_ratings, train_set.n_users)))
        if el.compare(table, eg.MODEL, eg.HIGHEST_RATED) != el.HIGHER and data_key.startswith("synthetic"):
            st.button("Try it: 50,000 ratings, dot scorer (learning rate 0.01, L2 10)", key="eng_more_data",
                      icon=":material/dataset:", on_click=lambda: st.session_state.update(
                          ratings=el.MORE_DATA["ratings"], eng_scorer=el.MORE_DATA["scorer"],
                          eng_lr=el.MORE_DATA["learning_rate"], eng_l2=el.MORE_DATA["l2"]))
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.1f") for c in shown.columns if "%" in c})

        st.markdown("#### How the gap grows with training and changes with the list length")
        horizon = min(max(10, epochs), 30)
        curve = el.with_flat_policy(by_epoch(data_key, replace(config, epochs=horizon), sim, train_set, val_set, ratings),
                                    table, eg.HIGHEST_RATED)
        lengths = el.ordered(by_list_length(data_key, config, run.epochs_done, sim, ratings, scores))
        left, right = st.columns(2)
        left.plotly_chart(plots.policy_lines(el.in_percent(curve), "epoch", "ctr", f"CTR vs. training epochs (k = {k})",
                                             "training epochs (0 = untrained)", "CTR (%)", "ci_low", "ci_high",
                                             marker_x=run.epochs_done, marker_text=f"your run: {run.epochs_done} epochs"),
                          width="stretch")
        right.plotly_chart(plots.policy_lines(el.in_percent(lengths), "k", "ctr", "CTR vs. list length",
                                              "items shown per session (k)", "CTR (%)", "ci_low", "ci_high"), width="stretch")
        st.caption(f"{el.epochs_finding(curve, run.epochs_done)} {el.list_length_finding(lengths)}")
    if trained:
        st.markdown(f"#### Offline ranking metrics on the held-out 20% (a rating of 4+ stars = relevant, top {TOP})")
        ranking = offline_metrics(data_key, config, run.epochs_done, scores, train_set, val_set)
        st.dataframe(ranking, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ranking.columns[1:]})
        st.caption("Precision: share of the list that is relevant. Recall: share of the user's relevant items found. "
                   "NDCG: precision that counts early slots more. Hit rate: users with at least one hit. Coverage: "
                   "share of the catalogue anyone is shown.")
        if table is not None:
            st.markdown(el.offline_vs_online(ranking, table, TOP))


def model_vs_popular() -> tuple[str, tuple[int, str]] | str:
    if table is None:
        return "The simulation needs the synthetic catalogue (and a model that did not diverge): switch data or retrain."
    verdict = el.compare(table, eg.MODEL, eg.POPULAR)
    ctr = table.set_index("policy")["ctr"]
    result = f"Your run, k = {k}: trained model {ctr[eg.MODEL]:.1%} vs most popular {ctr[eg.POPULAR]:.1%}."
    answer = {el.LOWER: 0, el.TIE: 1, el.HIGHER: 2}[verdict]
    return result, (answer, result + " Popular items are liked by many, but not by everyone; the model picks for the "
                    "user in front of it. The 95% intervals say whether the gap is more than luck.")


def more_data() -> tuple[str, tuple[int, str]]:
    n, seed = el.MORE_DATA["ratings"], int(st.session_state.get("seed", 0))
    big = ui.synthetic_data(n, seed)
    big_train, big_val = ui.holdout(f"synthetic:{n}:{seed}", big)
    probe = replace(DEFAULTS, scorer=el.MORE_DATA["scorer"], learning_rate=el.MORE_DATA["learning_rate"], l2=el.MORE_DATA["l2"])
    big_run = fit_neural(big_train, big_val, probe)
    result = eg.simulate(big, eg.policy_scores(big_train, neural.all_scores(big_run.params), 0, include_highest_rated=True))
    ctr = result.set_index("policy")["ctr"]
    message = f"{n:,} ratings, dot scorer: trained model {ctr[eg.MODEL]:.1%} vs highest rated {ctr[eg.HIGHEST_RATED]:.1%}."
    answer = 1 if el.compare(result, eg.MODEL, eg.HIGHEST_RATED) == el.HIGHER else 0
    return message, (answer, message + f" With {big_train.n_ratings / big.n_users:.0f} training ratings per user the "
                     "model can learn each user's own taste; with 8 it mostly learns which items are good for everyone.")


with quiz_tab:
    st.subheader("Quiz")
    ui.quiz_block(LESSON, experiments={"model_vs_popular": model_vs_popular, "more_data": more_data})

with insight_tab:
    st.subheader("Key insight")
    if trained:
        mine = (f"Your model turned {train_set.n_ratings:,} training ratings into {train_set.n_users:,} user and "
                f"{train_set.n_items:,} item embeddings of {dim} numbers; after {run.epochs_done} epochs its validation "
                f"loss went from {run.history[0].val_loss:.3f} to {last.val_loss:.3f} and it predicts "
                f"**{last.val_metric:.0%}** of held-out ratings within half a star"
                + (f" (the noise ceiling is {ceiling:.0%})." if ceiling is not None else "."))
        if table is not None:
            ctr = table.set_index("policy")["ctr"]
            mine += (f" Shown as top-{k} lists, its picks were clicked **{ctr[eg.MODEL]:.1%}** of the time, against "
                     f"{ctr[eg.POPULAR]:.1%} for the most popular items, {ctr[eg.HIGHEST_RATED]:.1%} for the highest "
                     f"rated and {ctr[eg.RANDOM]:.1%} for random ones. "
                     + " ".join(el.engagement_findings(table, train_set.n_ratings, train_set.n_users)[2:]))
    else:
        mine = "Your last run diverged, so nothing was learned: lower the learning rate and train again."
    ui.key_insight(LESSON, mine)

ui.show_code(neural.interaction, eg.click_probability, eg.simulate)
