"""The overfitting lesson's experiment panels: the click data, reference runs, the results in the
seed's format with its targets read as one goal, and the one-lever-at-a-time sweep.

Reference runs (Before, the seed's solution, batch norm, each single lever) depend only on the
data seed and a config, so they are cached for the whole server: a class shares them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages._ui import live
from app_pages._ui.charts import plot
from recsys_core import plots
from recsys_core.data import ClickData, click_dataset
from recsys_core.lessons import overfitting as ol
from recsys_core.training.clicks import BEFORE, ClickConfig
from recsys_core.training.loop import TrainingRun


@st.cache_data(max_entries=4, show_spinner="Building the click dataset...")
def click_data(seed: int) -> ClickData:
    return click_dataset(seed)


@st.cache_data(max_entries=24, show_spinner="Training a reference run (about a second)...")
def reference(seed: int, config: ClickConfig) -> dict:
    with live.training_slot():  # inside the cache: only a miss trains, and only a miss waits for a slot
        return ol.fit_summary(click_data(seed), config)


def results(run: TrainingRun, config: ClickConfig, data: ClickData, data_seed: int) -> dict[str, Any]:
    """The Results block: Before and your run in the seed's format, the targets, the curves."""
    mine = ol.run_summary(run, data)
    trained = "val_accuracy" in mine
    before = mine if config == BEFORE and trained else reference(data_seed, BEFORE)
    st.markdown("#### Results")
    st.markdown(ol.results_line("Before", before) + "  \n"
                + ol.results_line("After (your run)" if config != BEFORE else "Your run (the Before settings)", mine))
    if mine["diverged"]:
        st.error("No results to judge: the run diverged. Lower the learning rate (the seed's solution uses "
                 f"{ol.AFTER.learning_rate:g}) and train again.", icon=":material/error:")
        return mine
    if not trained:
        return mine
    if ol.at_chance(mine, data):
        st.warning(ol.chance_message(mine, data), icon=":material/do_not_disturb_on:")
    st.markdown("**The three targets — one goal: a model that generalises** (your run)")
    checks = ol.target_checks(mine)
    cols = st.columns(4)
    for col, (label, passed) in zip(cols, checks, strict=False):
        col.badge(label, icon=":material/check:" if passed else ":material/close:", color="green" if passed else "red")
    met = sum(passed for _, passed in checks)
    cols[3].badge(f"{met} of {len(checks)} targets met", color="green" if met == len(checks) else "orange")
    restored = ol.restored_epoch(run, config)
    st.caption("Accuracy and loss are of the model your run ended with"
               + (f" (epoch {restored}, restored by early stopping)" if restored else "")
               + f", evaluated without dropout. Training time: {mine['seconds']:.1f} s over {mine['epochs_trained']:,} "
               f"epochs (epoch 1 includes compiling). No model can beat the validation ceiling of "
               f"{data.bayes_val_accuracy:.1%}: that is what the true click probabilities themselves score.")
    if config != BEFORE:
        left, right = st.columns(2)
        runs = {"Before": before["history"], "your run": mine["history"]}
        plot(plots.overlay_curves(runs, "train_metric", "training accuracy (%)",
                                  "Training accuracy: Before vs. your run", scale=100), left)
        plot(plots.overlay_curves(runs, "val_metric", "validation accuracy (%)",
                                  "Validation accuracy: Before vs. your run", scale=100), right)
    else:
        st.caption("Your run is the Before model: load the seed's solution or move a lever to compare the two.")
    return mine


SWEPT = "of_swept"  # the data seeds whose one-lever sweep this learner asked for


def swept(data_seed: int) -> bool:
    return data_seed in st.session_state.get(SWEPT, ())


def lever_sweep(data_seed: int) -> dict[str, dict[str, Any]] | None:
    """Before plus each single change of the seed's solution, and all four together — on request.

    Five more trainings are too much to start for every learner who finishes a run (a class of 30
    would queue behind 150 of them), so the sweep waits for its button; runs another learner
    already trained on this server for the same data come back from the cache at once.
    """
    st.markdown("#### Which change did it? One lever at a time")
    st.markdown("The seed's solution changes four things at once. Each row below trains **Before with just one of them**, "
                "same data and seed, so you can see which lever closes the gap.")
    if not swept(data_seed):
        if not st.button(f"Train the sweep ({len(ol.LEVERS)} runs)", key="of_sweep", icon=":material/tune:"):
            return None
        st.session_state[SWEPT] = {*st.session_state.get(SWEPT, ()), data_seed}
    runs = {name: reference(data_seed, config) for name, config in ol.LEVERS.items()}
    before = reference(data_seed, BEFORE)
    st.dataframe(pd.DataFrame(ol.lever_rows(before, runs)), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f")
                                for c in ("training accuracy (%)", "validation accuracy (%)", "gap (points)")})
    st.markdown(ol.lever_verdict(runs))
    return runs
