"""Lesson 4 — Experiment: fixing overfitting in a click model (seed 002): Before, After, bonus batch norm."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.experiment import click_data, lever_sweep, reference, results, swept
from app_pages._ui.replay import Table, replay
from recsys_core import plots
from recsys_core.lessons import overfitting as ol
from recsys_core.models import click_mlp
from recsys_core.training import loop
from recsys_core.training.clicks import AFTER, BEFORE, BONUS_BATCHNORM, click_epoch, click_trainer

LESSON = "overfitting"

data_seed = ui.synthetic_choice()[1]
data = click_data(data_seed)
ui.lesson_header(LESSON, extra_steps=["Bonus"])
pipeline_tab, training_tab, prediction_tab, bonus_tab, quiz_tab, insight_tab = ui.lesson_tabs(LESSON, ["Bonus: batch norm"])
with training_tab:
    st.subheader("Training trace")
    st.markdown("The page opens on the **Before** model of the lesson document: a big network, no dropout, a large step, "
                f"{BEFORE.epochs} epochs. Train it, watch the training accuracy climb while the validation accuracy falls behind, then "
                "pull the levers — or load the seed's solution — until the targets turn green. The data never changes.")
    presets = st.columns([1, 1.3, 1, 1.5])
    for col, (name, label, icon) in zip(presets, (("before", "Load Before", ":material/history:"),
                                                  ("after", "Load the seed's solution", ":material/build:"),
                                                  ("bonus", "Bonus: batch norm", ":material/science:")), strict=False):
        col.button(label, key=f"of_load_{name}", icon=icon, on_click=ui.load_click_preset, args=(ol.PRESETS[name],),
                   help=ol.architecture(ol.PRESETS[name]))
    config = ui.click_controls(BEFORE)
    preset, changes = ol.preset_of(config), ol.lever_changes(config)
    st.caption(f"Network: {ol.architecture(config)} · " + (f"these are the settings of **{ol.PRESET_NAMES[preset]}**"
               if preset else "your own mix") + (f" · changed from Before: {'; '.join(changes)}" if changes else ""))
    for note in ol.settings_warnings(config):
        st.warning(note, icon=":material/warning:")
signature = (data_seed, config)


def snapshot(model):
    return {"first_layer": np.asarray(model.params[0]["w"], np.float32).T[:plots.HEATMAP_ROWS]}


def make_trainer():
    return click_trainer(data, config, ui.LEARNING_RATES, snapshot)


if training_tab.open:
    with training_tab:
        run = ui.live_training(LESSON, make_trainer, signature)
        if run is not None:
            results(run, config, data, data_seed)
            ui.epoch_table(run, make_trainer())
            replay(LESSON, run, tables={"first_layer": Table("first-layer weights", "hidden unit", "input feature",
                                                             data.feature_names)})
            if run.finished:
                lever_sweep(data_seed)

current = ui.lesson_run(LESSON, signature)
if pipeline_tab.open:
    with pipeline_tab:
        st.subheader("Pipeline trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        st.markdown(f"The experiment's stages, from the click data and the model in memory. This lesson uses its own fixed "
                    f"click dataset, built from the synthetic catalogue of data seed {data_seed} (sidebar); the sidebar's "
                    "ratings choice does not apply — the task forbids changing the data.")
        if current.trained:
            ui.stage_table(ol.click_stages(data, config, current.run.params, ol.run_summary(current.run, data)))
        m = st.columns(5)
        m[0].metric("Training impressions", f"{data.n_train:,}")
        m[1].metric("Validation impressions", f"{data.n_val:,}")
        m[2].metric("Features", f"{data.n_features}")
        m[3].metric("Click rate", f"{np.concatenate([data.y_train, data.y_val]).mean():.1%}")
        m[4].metric("Validation ceiling", f"{data.bayes_val_accuracy:.1%}",
                    help="Accuracy of predicting with the true click probabilities: no model can do better on average.")
        st.markdown("**The features of the first five training impressions** (standardised: 0 = the training average)")
        st.dataframe(pd.DataFrame(data.X_train[:5], columns=list(data.feature_names)).assign(
            clicked=data.y_train[:5].astype(int)), hide_index=True, width="stretch",
            column_config={c: st.column_config.NumberColumn(format="%.2f") for c in data.feature_names})

if prediction_tab.open:
    with prediction_tab:
        st.subheader("Prediction trace")
        current = ui.state_banner(LESSON, signature, make_trainer)
        if current.trained:
            example = st.selectbox("Validation impression", ol.example_choices(data), key="of_example",
                                   format_func=lambda e: f"#{e.row}: user {e.user} shown “{e.title}” — "
                                                         f"{'clicked' if e.clicked else 'not clicked'}")
            model = current.run.params
            steps = click_mlp.mlp_trace(model.params, model.bn_state, data.X_val[example.row],
                                        feature_names=data.feature_names, dropout_rate=config.dropout_rate)
            for step in steps:
                ui.layer(step["name"].capitalize(), str(tuple(int(n) for n in step["shape"])), step["note"],
                         lambda step=step: ui.mlp_step(step, config.dropout_rate))
            prob = float(steps[-1]["values"].ravel()[0])
            st.markdown(ol.prediction_sentence(prob, example))

bonus = {}
if bonus_tab.open:
    with bonus_tab:
        st.subheader("Bonus experiment: batch normalisation instead of dropout")
        st.markdown(f"The lesson document's bonus: keep the seed's solution ({ol.architecture(AFTER)}, Adam, "
                    "early stopping) but replace "
                    "dropout with **batch normalisation**, which rescales each hidden layer over the batch. Does it "
                    "generalise as well?")
        bonus = {"Before": reference(data_seed, BEFORE), "dropout": reference(data_seed, AFTER),
                 "batch norm": reference(data_seed, BONUS_BATCHNORM)}
        st.markdown(ol.bonus_verdict(bonus["dropout"], bonus["batch norm"]))
        mine = ol.run_summary(current.run, data) if current.trained else {}
        runs = {**bonus, **({"your run": mine} if "val_accuracy" in mine else {})}
        bars = pd.DataFrame({"run": list(runs), "validation accuracy (%)": [100 * r["val_accuracy"] for r in runs.values()]})
        left, right = st.columns(2)
        ui.plot(plots.grouped_bars(bars, "run", "validation accuracy (%)", f"Validation accuracy (ceiling "
                                   f"{data.bayes_val_accuracy:.1%})", "validation accuracy (%)",
                                   text_format=".1f"), left)
        ui.plot(plots.overlay_curves({k: r["history"] for k, r in bonus.items()}, "val_metric",
                                     "validation accuracy (%)", "Validation accuracy per epoch", scale=100), right)
        st.caption("Before, dropout (the seed's solution) and batch norm are reference runs with model seed 0 on this "
                   "dataset; each curve ends where early stopping ended its run.")

if quiz_tab.open:
    with quiz_tab:
        st.subheader("Quiz")
        current = ui.state_banner(LESSON, signature, make_trainer)
        before = reference(data_seed, BEFORE)
        ui.quiz_block(LESSON, experiments={"bonus": lambda: ol.bonus_outcome(reference(data_seed, AFTER),
                                                                            reference(data_seed, BONUS_BATCHNORM))},
                      numbers=ol.quiz_numbers(before, reference(data_seed, ol.LEVERS[ol.EARLY_LEVER]), data))

if insight_tab.open:
    with insight_tab:
        st.subheader("Key insight")
        current = ui.state_banner(LESSON, signature, make_trainer)
        mine = ol.run_summary(current.run, data) if current.run is not None else {}
        sweep = (ol.lever_verdict({n: reference(data_seed, c) for n, c in ol.LEVERS.items()}) if swept(data_seed) else
                 "Which change did it? Train the one-lever sweep at the end of the Training tab.") if current.trained else None
        ui.key_insight(LESSON, ol.insight(reference(data_seed, BEFORE), mine, changes, sweep, data))

ui.show_code(click_mlp.dropout, click_mlp.mlp_forward, click_epoch, loop.Trainer._one_epoch)
