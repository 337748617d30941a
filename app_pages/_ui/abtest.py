"""The engagement lesson's simulated A/B test: policies, click-through rates, and offline metrics.

Simulated users whose true tastes the synthetic catalogue planted each see a list from one of four
policies; the same users and the same luck meet every policy, so differences are the policies'
own. Everything derived from the trained model is computed once per run and kept with it.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app_pages._ui import live, state
from app_pages._ui.charts import plot
from app_pages._ui.controls import Control, widget
from recsys_core import plots
from recsys_core.data import Ratings, held_out_share
from recsys_core.evaluation import engagement as eg
from recsys_core.evaluation.compare import relevance_threshold
from recsys_core.lessons import engagement as el
from recsys_core.models.neural import all_scores
from recsys_core.training.loop import TrainingRun
from recsys_core.training.neural import NeuralConfig

LIST_LENGTHS = (1, 3, 5, 10, 20)


def default_simulation(lesson: str, run: TrainingRun | None, ratings: Ratings, train: Ratings) -> pd.DataFrame | None:
    """The A/B test at its default settings (the quiz and the insight quote it), once per run."""
    if run is None or not run.trained or ratings.truth is None:
        return None
    return live.derived(lesson, run, ("simulation", eg.SimulationConfig()), lambda: eg.simulate(
        ratings, eg.policy_scores(train, all_scores(run.params), 0, include_highest_rated=True)))


@st.cache_data(max_entries=6, show_spinner="Retraining epoch by epoch and simulating after each...")
def by_epoch(key: str, config: NeuralConfig, sim: eg.SimulationConfig, _train, _val, _ratings) -> pd.DataFrame:
    with live.training_slot():  # inside the cache: only a miss trains
        return eg.ctr_vs_epochs(_train, _val, _ratings, config, config.epochs, sim)


def ab_test(lesson: str, run: TrainingRun, config: NeuralConfig, data_key: str, ratings: Ratings, train: Ratings,
            val: Ratings, top: int) -> pd.DataFrame | None:
    """The whole experiment section; returns the simulation table (None when it cannot run)."""
    st.markdown(el.ab_test_intro())
    c1, c2, _ = st.columns([2, 2, 3])
    k = widget(Control("eng_k", "Items shown per session (k)", "slider", low=1, high=20), top, c1)
    sessions = widget(Control("eng_sessions", "Simulated sessions", "select", (200, 500, 1000, 2000, 5000),
                              fmt=lambda n: f"{n:,}", help=f"More sessions, narrower {eg.CONFIDENCE:.0%} intervals, slower."), 1000, c2)
    sim = eg.SimulationConfig(k=k, n_sessions=sessions)
    scores = live.derived(lesson, run, "policy_scores", lambda: eg.policy_scores(
        train, all_scores(run.params), sim.seed, include_highest_rated=True))
    table = None
    if ratings.truth is None:
        st.info("This data has no known tastes — nobody can say whether a simulated user *would* click an item they "
                "never rated — so the simulation runs only on the synthetic catalogue. The offline metrics below still "
                "work on your data.", icon=":material/info:")
        st.button("Use the synthetic catalogue", key="eng_to_synthetic", on_click=state.move_widget, args=(state.DATA, "synthetic"))
    else:
        table = live.derived(lesson, run, ("simulation", sim), lambda: eg.simulate(ratings, scores, sim))
        shown = el.ctr_frame(table)
        left, right = st.columns(2)
        left.plotly_chart(plots.grouped_bars(shown, "policy", "CTR (%)", f"Click-through rate, {sessions:,} sessions x {k} "
                                             f"items ({eg.CONFIDENCE:.0%} intervals)", "CTR (% of shown items clicked)",
                                             el.CI_LOW, el.CI_HIGH, ".1f"), width="stretch",
                          alt=el.ctr_alt_text(table, sessions, k))
        clicks = shown.assign(low=shown[el.CI_LOW] * shown["impressions"] / 100,
                              high=shown[el.CI_HIGH] * shown["impressions"] / 100)
        plot(plots.grouped_bars(clicks, "policy", "clicks", f"Total clicks out of {sessions * k:,} shown "
                                "items", "clicks (count)", "low", "high", ","), right)
        st.markdown("\n".join(f"- {line}" for line in el.engagement_findings(table, train.n_ratings, train.n_users)))
        if el.compare(table, eg.MODEL, eg.HIGHEST_RATED) != el.HIGHER and data_key.startswith("synthetic"):
            st.button(el.more_data_label(), key="eng_more_data", icon=":material/dataset:", on_click=_more_data)
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.1f") for c in shown.columns if "%" in c})
        st.markdown("#### How the gap grows with training and changes with the list length")
        horizon = min(max(10, config.epochs), 30)
        curve = el.with_flat_policy(by_epoch(data_key, replace(config, epochs=horizon), sim, train, val, ratings),
                                    table, eg.HIGHEST_RATED)
        lengths = el.ordered(live.derived(lesson, run, ("by_k", sim), lambda: eg.ctr_vs_k(ratings, scores, LIST_LENGTHS, sim)))
        left, right = st.columns(2)
        plot(plots.policy_lines(el.in_percent(curve), "epoch", "ctr", f"CTR vs. training epochs (k = {k})",
                                "training epochs (0 = untrained)", "CTR (%)", "ci_low", "ci_high",
                                marker_x=run.epochs_done, marker_text=f"your run: {run.epochs_done} epochs"), left)
        plot(plots.policy_lines(el.in_percent(lengths), "k", "ctr", "CTR vs. list length",
                                "items shown per session (k)", "CTR (%)", "ci_low", "ci_high"), right)
        st.caption(f"{el.epochs_finding(curve, run.epochs_done)} {el.list_length_finding(lengths)}")
    st.markdown(f"#### Offline ranking metrics on the held-out {held_out_share(train, val):.0%} (a rating of "
                f"{relevance_threshold(train.rating_scale):g}+ stars = relevant, top {top})")
    ranking = live.derived(lesson, run, "ranking", lambda: el.ranking_table(scores, train, val, top))
    st.dataframe(ranking, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ranking.columns[1:]})
    st.caption("Precision: share of the list that is relevant. Recall: share of the user's relevant items found. NDCG: "
               "precision that counts early slots more. Hit rate: users with at least one hit. Coverage: share of the "
               "catalogue anyone is shown.")
    if table is not None:
        st.markdown(el.offline_vs_online(ranking, table, top))
    return table


def _more_data() -> None:
    """The "try it with more data" button: more ratings and the dot scorer's settings (a callback)."""
    state.move_widget(state.RATINGS, el.MORE_DATA["ratings"])
    for key, value in (("eng_scorer", "scorer"), ("eng_lr", "learning_rate"), ("eng_l2", "l2")):
        state.move_widget(key, el.MORE_DATA[value])

