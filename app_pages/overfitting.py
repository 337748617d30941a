"""Lesson 4 — Experiment: fixing overfitting in a click model (seed 002): Before, After, bonus batch norm."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from recsys_core import plots
from recsys_core.data import ClickData, click_dataset
from recsys_core.lessons import overfitting as ol
from recsys_core.models import click_mlp
from recsys_core.training import loop as rtrain
from recsys_core.training.clicks import AFTER, BEFORE, BONUS_BATCHNORM, ClickConfig, click_trainer

LESSON = "overfitting"
WIDTHS = (8, 16, 32, 64, 128, 256)
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
L2_CHOICES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512)
START = ol.controls_of(BEFORE)  # the lesson opens on the overfitting model, as the seed does


@st.cache_data(max_entries=4, show_spinner="Building the click dataset...")
def click_data(seed: int) -> ClickData:
    return click_dataset(seed)


@st.cache_data(max_entries=12, show_spinner="Training a reference run (a few seconds)...")
def reference(seed: int, config: ClickConfig) -> dict:
    return ol.fit_summary(click_data(seed), config)


def load_preset(name: str) -> None:
    # A bound widget can only be moved through session_state, and only before it is drawn: here.
    for control, value in ol.controls_of(ol.PRESETS[name]).items():
        st.session_state[f"of_{control}"] = value


def show_step(step: dict, dropout_rate: float) -> None:
    """One layer of the prediction trace: its values as bars (dropout beside one training step's mask)."""
    values = step["values"]
    units = [f"unit {j + 1}" for j in range(values.size)]
    if step["name"].startswith("dropout"):
        left, right = st.columns(2)
        left.plotly_chart(plots.vector_bars(values, "At evaluation (what the prediction uses): unchanged", "activation",
                                            labels=units), width="stretch")
        right.plotly_chart(plots.vector_bars(ol.dropout_example(values, dropout_rate), f"In one training step: "
                                             f"{dropout_rate:.0%} zeroed, the rest x{1 / (1 - dropout_rate):.2f}",
                                             "activation", labels=units), width="stretch")
    elif values.size > 1:
        st.plotly_chart(plots.vector_bars(values, step["name"], "value", labels=list(step.get("labels") or units)),
                        width="stretch")
    else:
        st.markdown(f"**{step['name']} = {float(values.ravel()[0]):.3f}**")


ui.lesson_header(LESSON, extra_steps=["bonus"])
data_seed = int(st.session_state.get("seed", 0))
data = click_data(data_seed)
pipeline_tab, training_tab, prediction_tab, bonus_tab, quiz_tab, insight_tab = ui.lesson_tabs(["Bonus: batch norm"])

with training_tab:  # first in the script: every other tab shows what this run learned
    st.subheader("Training trace")
    st.markdown(
        "The page opens on the **Before** model of the lesson document: a big network, no dropout, a large step, "
        "60 epochs. Train it, watch the training accuracy climb while the validation accuracy falls behind, then pull "
        "the levers — or load the seed's solution — until the three targets below turn green. The data never changes."
    )
    p1, p2, p3, _ = st.columns([1, 1.3, 1, 1.5])
    p1.button("Load Before", key="of_load_before", icon=":material/history:", on_click=load_preset, args=("before",),
              help="Dense 64-64, no dropout, learning rate 0.01, 60 epochs, no early stopping.")
    p2.button("Load the seed's solution", key="of_load_after", icon=":material/build:", on_click=load_preset,
              args=("after",), help="Dense 64 → Dropout 0.3 → Dense 32 → Dropout 0.3, Adam 0.001, early stopping "
                                    "(patience 5), up to 50 epochs.")
    p3.button("Bonus: batch norm", key="of_load_bonus", icon=":material/science:", on_click=load_preset,
              args=("bonus",), help="The seed's solution with batch normalisation instead of dropout.")

    c1, c2, c3, c4 = st.columns(4)
    width_1 = c1.select_slider("Layer 1 width (units)", WIDTHS, START["width_1"], key="of_width_1", bind="query-params")
    width_2 = c2.select_slider("Layer 2 width (0 = no second layer)", (0, *WIDTHS), START["width_2"], key="of_width_2",
                               bind="query-params", help="A smaller layer has fewer weights to memorise with.")
    dropout = c3.select_slider("Dropout rate", DROPOUT_RATES, START["dropout_rate"], key="of_dropout_rate",
                               bind="query-params", help="Share of hidden units silenced at random in each training "
                                                         "step. Off when predicting.")
    norm = c4.segmented_control("Batch normalisation", ("none", "batchnorm"), default=START["norm"], required=True,
                                key="of_norm", bind="query-params",
                                help="Normalise each hidden layer over the batch (the seed's bonus experiment).")
    c5, c6, c7, c8 = st.columns(4)
    l2 = c5.select_slider("L2 regularisation", L2_CHOICES, START["l2"], key="of_l2", bind="query-params",
                          help="Penalty on the sum of squared weights, added to the loss.")
    lr = c6.select_slider("Learning rate", ui.choices(ui.LEARNING_RATES, AFTER.learning_rate), START["learning_rate"],
                          key="of_learning_rate", bind="query-params", help="Adam's step size.")
    batch_size = c7.select_slider("Batch size", BATCH_SIZES, START["batch_size"], key="of_batch_size", bind="query-params")
    epochs = c8.slider("Epochs (at most)", 1, 150, START["epochs"], key="of_epochs", bind="query-params")
    c9, c10, c11, _ = st.columns(4)
    early = c9.toggle("Early stopping", START["early_stopping"], key="of_early_stopping", bind="query-params",
                      help="Stop when validation loss has not improved for 'patience' epochs; keep the best epoch.")
    patience = c10.slider("Patience (epochs)", 1, 20, START["patience"], key="of_patience", bind="query-params",
                          disabled=not early)
    model_seed = c11.number_input("Model seed", 0, 9999, START["seed"], key="of_seed", bind="query-params",
                                  help="Seeds the initial weights, batch order and dropout masks.")
    config = ol.config_from_controls(width_1, width_2, dropout, l2, lr, batch_size, epochs, early, patience, norm, model_seed)
    preset = ol.preset_of(config)
    changes = ol.lever_changes(config)
    st.caption(f"Network: {ol.architecture(config)} · "
               + (f"these are the settings of **{ol.PRESET_NAMES[preset]}**" if preset else "your own mix")
               + (f" · changed from Before: {'; '.join(changes)}" if changes else ""))
    for note in ol.settings_warnings(config):
        st.warning(note, icon=":material/warning:")

    run = ui.live_training(lambda: click_trainer(data, config, ui.LEARNING_RATES), LESSON, (data_seed, config), metric_as_percent=True,
                           lesson_id=LESSON)
    mine = ol.run_summary(run, data) if run is not None else {"history": [], "diverged": False}
    trained = "val_accuracy" in mine
    no_model = ("The last run diverged, so nothing was learned: lower the learning rate and train again."
                if mine["diverged"] else "No finished epoch yet: press Train on the Training tab.")
    before = mine if config == BEFORE and trained else reference(data_seed, BEFORE)

    st.markdown("#### Results")
    st.markdown(ol.results_line("Before", before) + "  \n"
                + ol.results_line("After (your run)" if config != BEFORE else "Your run (the Before settings)", mine))
    if trained:
        st.markdown("**The three targets** (your run)")
        cols = st.columns(4)
        for col, (label, passed) in zip(cols, ol.target_checks(mine), strict=False):
            with col:
                st.badge(label, icon=":material/check:" if passed else ":material/close:",
                         color="green" if passed else "red")
        met = sum(passed for _, passed in ol.target_checks(mine))
        cols[3].badge(f"{met} of 3 targets met", color="green" if met == 3 else "orange")
        restored = ol.restored_epoch(run, config)
        st.caption("Accuracy and loss are of the model your run ended with"
                   + (f" (epoch {restored}, restored by early stopping)" if restored else "")
                   + f", evaluated without dropout. Training time: {mine['seconds']:.1f} s over {mine['epochs_trained']} "
                   f"epochs (epoch 1 includes compiling). No model can beat the validation ceiling of "
                   f"{data.bayes_val_accuracy:.1%}: that is what the true click probabilities themselves score.")
    if trained and config != BEFORE:
        left, right = st.columns(2)
        runs = {"Before": before["history"], "your run": mine["history"]}
        left.plotly_chart(plots.overlay_curves(runs, "train_metric", "training accuracy (%)",
                                               "Training accuracy: Before vs. your run", scale=100), width="stretch")
        right.plotly_chart(plots.overlay_curves(runs, "val_metric", "validation accuracy (%)",
                                                "Validation accuracy: Before vs. your run", scale=100), width="stretch")
    elif trained:
        st.caption("Your run is the Before model: load the seed's solution or move a lever to compare the two.")
    if mine["diverged"]:
        st.error("No results to judge: the run diverged. Lower the learning rate (the seed's solution uses 0.001) and "
                 "train again.", icon=":material/error:")
    elif not trained:
        st.info("No finished epoch yet: press **Train**.", icon=":material/info:")

with pipeline_tab:
    st.subheader("Pipeline trace")
    st.markdown(f"The experiment's stages, from the click data and the model in memory. This lesson uses its own fixed "
                f"click dataset, built from the synthetic catalogue of data seed {data_seed} (sidebar); the sidebar's "
                "ratings choice does not apply — the task forbids changing the data.")
    if run is not None and run.history:
        ui.stage_table(ol.click_stages(data, config, run.params, mine))
    m = st.columns(5)
    m[0].metric("Training impressions", f"{data.n_train:,}")
    m[1].metric("Validation impressions", f"{data.n_val:,}")
    m[2].metric("Features", f"{data.n_features}")
    m[3].metric("Click rate", f"{np.concatenate([data.y_train, data.y_val]).mean():.1%}")
    m[4].metric("Validation ceiling", f"{data.bayes_val_accuracy:.1%}",
                help="Accuracy of predicting with the true click probabilities: no model can do better on average.")
    st.markdown("**The features of the first five training impressions** (standardised: 0 = the training average)")
    st.dataframe(pd.DataFrame(data.X_train[:5], columns=list(data.feature_names)).assign(clicked=data.y_train[:5].astype(int)),
                 hide_index=True, width="stretch", column_config={c: st.column_config.NumberColumn(format="%.2f")
                                                                    for c in data.feature_names})

with prediction_tab:
    st.subheader("Prediction trace")
    if not trained:
        st.error(no_model)
    else:
        examples = ol.example_choices(data)
        example = st.selectbox("Validation impression", examples, key="of_example",
                               format_func=lambda e: f"#{e.row}: user {e.user} shown “{e.title}” — "
                                                     f"{'clicked' if e.clicked else 'not clicked'}")
        steps = click_mlp.mlp_trace(run.params.params, run.params.bn_state, data.X_val[example.row],
                                 feature_names=data.feature_names, dropout_rate=config.dropout_rate)
        for step in steps:
            ui.layer(step["name"].capitalize(), str(tuple(int(n) for n in step["shape"])), step["note"],
                     lambda step=step: show_step(step, config.dropout_rate))
        prob = float(steps[-1]["values"].ravel()[0])
        st.markdown(f"Predicted click probability **{prob:.2f}** → predicts **{'click' if prob > 0.5 else 'no click'}**. "
                    f"The truth: the user {'clicked' if example.clicked else 'did not click'}, and their true click "
                    f"probability was {example.true_probability:.2f} — even a perfect model is wrong on an impression "
                    "that went against its odds.")

bonus = {}
with bonus_tab:
    st.subheader("Bonus experiment: batch normalisation instead of dropout")
    st.markdown("The lesson document's bonus: keep the seed's solution (Dense 64-32, Adam 0.001, early stopping) but "
                "replace dropout with **batch normalisation**, which rescales each hidden layer over the batch. Does "
                "it generalise as well?")
    if st.button("Run the bonus experiment", key="of_bonus_run", icon=":material/play_arrow:", type="primary"):
        st.session_state["of_bonus_done"] = True
    if st.session_state.get("of_bonus_done"):
        with ui.training_slot():
            bonus = {"Before": reference(data_seed, BEFORE), "dropout": reference(data_seed, AFTER),
                     "batch norm": reference(data_seed, BONUS_BATCHNORM)}
        st.markdown(ol.bonus_verdict(bonus["dropout"], bonus["batch norm"]))
        bars = pd.DataFrame({"run": [*bonus, "your run"] if trained else list(bonus),
                             "validation accuracy (%)": [100 * r["val_accuracy"] for r in bonus.values()]
                             + ([100 * mine["val_accuracy"]] if trained else [])})
        left, right = st.columns(2)
        left.plotly_chart(plots.grouped_bars(bars, "run", "validation accuracy (%)", f"Validation accuracy (ceiling "
                                             f"{data.bayes_val_accuracy:.1%})", "validation accuracy (%)",
                                             text_format=".1f"), width="stretch")
        right.plotly_chart(plots.overlay_curves({k: r["history"] for k, r in bonus.items()}, "val_metric",
                                                "validation accuracy (%)", "Validation accuracy per epoch", scale=100),
                           width="stretch")
        st.caption("Before, dropout (the seed's solution) and batch norm are reference runs with model seed 0 on this "
                   "dataset; each curve ends where early stopping ended its run.")


def bonus_experiment() -> tuple[str, tuple[int, str]]:
    st.session_state["of_bonus_done"] = True
    dropout, batchnorm = reference(data_seed, AFTER), reference(data_seed, BONUS_BATCHNORM)
    verdict = ol.compare_validation(batchnorm, dropout)
    sentence = ol.bonus_verdict(dropout, batchnorm)
    return sentence, ({"higher": 0, "tie": 1, "lower": 2}[verdict], sentence)


with quiz_tab:
    st.subheader("Quiz")
    ui.quiz_block(LESSON, experiments={"bonus": bonus_experiment})

with insight_tab:
    st.subheader("Key insight")
    if trained:
        text = (f"Before: training accuracy {before['train_accuracy']:.1%}, validation {before['val_accuracy']:.1%} — a "
                f"gap of **{ol.gap_points(before):.1f} points**. Your run: training {mine['train_accuracy']:.1%}, "
                f"validation **{mine['val_accuracy']:.1%}** — a gap of **{ol.gap_points(mine):.1f} points**, with the "
                f"ceiling at {data.bayes_val_accuracy:.1%}. ")
        text += (f"You changed: {'; '.join(changes)}. " if changes else
                 "You have not changed any lever yet: load the seed's solution or move a slider. ")
        met = sum(passed for _, passed in ol.target_checks(mine))
        text += ("All three targets are met." if met == 3 else f"{met} of the 3 targets are met.")
        if bonus:
            text += " " + ol.bonus_verdict(bonus["dropout"], bonus["batch norm"])
    else:
        text = no_model
    ui.key_insight(LESSON, text)

ui.show_code(click_mlp.dropout, click_mlp.mlp_forward, rtrain.Trainer._one_epoch)
