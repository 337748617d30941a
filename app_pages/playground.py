"""Playground: train several models on the same split and seed, compare them side by side."""

import math
from dataclasses import replace

import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.controls import L2_VALUES, LEARNING_RATES, Control, choices, row, widget
from app_pages._ui.uncertainty import pair_picker
from recsys_core import plots
from recsys_core.data import TEST_FRACTION
from recsys_core.evaluation import compare
from recsys_core.lessons import playground as lesson
from recsys_core.lessons.defaults import PLAYGROUND_MF
from recsys_core.lessons.playground import BAYES_PLAYGROUND, METRICS
from recsys_core.training import bayes
from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import NeuralConfig

MIN_RATINGS, MIN_HELD_OUT = 50, 10
MF_DEFAULTS, HELD_OUT = PLAYGROUND_MF, TEST_FRACTION  # HELD_OUT: the share every model is scored on
NEURAL_DEFAULTS = NeuralConfig()
st.title("Playground: compare models")
st.markdown(
    f"Five models learn from **the same {1 - HELD_OUT:.0%} of the ratings with the same seed** and are scored on the "
    f"**same held-out {HELD_OUT:.0%}**: guessing the mean rating, biases only (how generous each user is, how liked each item is), "
    "biased matrix factorization, the neural recommender and Bayesian MF, which averages many sampled "
    "factorizations. Which one wins depends on the data — try it."
)
data_key, ratings = ui.dataset()
st.caption(f"Data: {ui.text(ratings.source)} — chosen in the sidebar; bring your own file on the **Your data** page.")
if ratings.n_ratings < MIN_RATINGS or ratings.n_users < 2 or ratings.n_items < 2:
    st.warning(f"This data has {ratings.n_ratings:,} ratings from {ratings.n_users:,} users on {ratings.n_items:,} "
               f"items: a fair comparison needs at least {MIN_RATINGS} ratings, two users and two items. Choose other "
               "data in the sidebar.", icon=":material/warning:")
    st.stop()
train_set, val_set = ui.holdout(data_key, ratings)
threshold = compare.relevance_threshold(ratings.rating_scale)
ui.data_summary(ratings)
if ratings.n_ratings < 1_000:
    st.info(f"Only {ratings.n_ratings:,} ratings ({len(val_set):,} held out): the scores below are noisy — a "
            "different seed can reorder the models.", icon=":material/info:")

st.subheader("Settings")
values = row([
    (Control("pg_k", "MF rank k", "slider", low=1, high=64, help="Taste features per user and item in biased MF."),
     MF_DEFAULTS.k),
    (Control("pg_lr", "MF learning rate", "select", choices(LEARNING_RATES, MF_DEFAULTS.learning_rate),
             help=f"Per-rating SGD step, multiplied by {MF_DEFAULTS.lr_decay} after every epoch."), MF_DEFAULTS.learning_rate),
    (Control("pg_l2", "MF L2", "select", choices(L2_VALUES, MF_DEFAULTS.l2), help="Penalty on large factors and biases."),
     MF_DEFAULTS.l2),
    (Control("pg_epochs", "MF epochs", "slider", low=1, high=100), MF_DEFAULTS.epochs),
    (Control("pg_scorer", "Neural scorer", "segmented", ("mlp", "dot"),
             help="mlp: a small network over both embeddings; dot: their dot product."), NEURAL_DEFAULTS.scorer),
    (Control("pg_dim", "Embedding size", "select", (8, 16, 32, 64)), NEURAL_DEFAULTS.embedding_dim),
    (Control("pg_nepochs", "Neural epochs", "slider", low=1, high=50), NEURAL_DEFAULTS.epochs),
    (Control("pg_samples", "Bayesian MF samples", "select", choices(lesson.SAMPLE_COUNTS, BAYES_PLAYGROUND.n_samples),
             help=f"Factorizations drawn and averaged, after {BAYES_PLAYGROUND.burn_in} burn-in sweeps."),
     BAYES_PLAYGROUND.n_samples),
    (Control("pg_brank", "Bayesian MF rank", "slider", low=1, high=32), BAYES_PLAYGROUND.rank),
    (Control("pg_seed", "Model seed (all models)", "number", low=0, high=9999,
             help="Seeds every model's initial weights, batch order and samples."), 0),
], columns=5)
k, lr, l2, mf_epochs = values["pg_k"], values["pg_lr"], values["pg_l2"], values["pg_epochs"]
scorer, dim, neural_epochs, seed = values["pg_scorer"], values["pg_dim"], values["pg_nepochs"], values["pg_seed"]
mf_config = MFConfig(k=k, learning_rate=lr, l2=l2, epochs=mf_epochs, lr_decay=MF_DEFAULTS.lr_decay, seed=int(seed))
neural_config = NeuralConfig(scorer=scorer, embedding_dim=dim, epochs=neural_epochs, seed=int(seed))
bayes_config = replace(BAYES_PLAYGROUND, n_samples=values["pg_samples"], rank=values["pg_brank"], seed=int(seed))
signature = (data_key, mf_config, neural_config, bayes_config)

results_by_signature: dict = st.session_state.setdefault("pg_results", {})
if st.button("Train and compare", type="primary", icon=":material/compare_arrows:", key="pg_train"):
    bar = st.progress(0.0, text="Starting...")

    def report(model: str, done: int, total: int) -> None:
        bar.progress(done / total, text=f"Training {model} ({done + 1} of {total})...")

    try:
        with ui.training_slot():
            results = compare.compare_models(train_set, val_set, mf_config, neural_config, report, bayes_config)
    except ValueError as error:
        bar.empty()
        st.error(f"The comparison could not run on this data: {error}", icon=":material/error:")
        st.stop()
    bar.empty()
    results_by_signature.pop(signature, None)
    results_by_signature[signature] = results
    while len(results_by_signature) > 4:  # keep the last few settings, not every one ever tried
        results_by_signature.pop(next(iter(results_by_signature)))

results = results_by_signature.get(signature)
if results is None:
    st.info("Press **Train and compare** to train all five models with these settings "
            "(a few seconds; the first run also compiles the models)." +
            (" Your earlier results were for other settings or data." if results_by_signature else ""),
            icon=":material/play_arrow:")
    st.stop()

st.subheader("Results on the held-out ratings")
for result in results:
    if result.message:
        st.error(f"**{result.model}**: {result.message}", icon=":material/warning:")
table = lesson.results_frame(results)
st.dataframe(table, hide_index=True, width="stretch", column_config={
    column: st.column_config.NumberColumn(format=f"%{fmt}") for column, _, fmt in METRICS.values()})
n_relevant = int((val_set.ratings >= threshold).sum())
st.caption(f"{len(val_set):,} held-out ratings. Top-{compare.TOP_K} lists skip items the user rated in training; a "
           f"held-out rating of at least {threshold:g} counts as relevant ({n_relevant:,} such ratings). Guessing the mean "
           f"gives every item the same score, so its top {compare.TOP_K} is arbitrary — the floor. Training times include compiling a model "
           "the first time its shapes are seen in this server.")
if n_relevant == 0:
    st.warning(f"No held-out rating reaches {threshold:g}, so precision, recall and NDCG cannot be measured here.")
for line in compare.findings(results, ratings.n_ratings, ratings.n_users):
    st.markdown(f"- {line}")

left, right = st.columns(2)
with left:
    chosen = widget(Control("pg_metric", "Metric in the bar chart", "segmented", tuple(METRICS)), "RMSE")
    column, y_title, fmt = METRICS[chosen]
    bars = table[["Model", column]].rename(columns={"Model": "model"}).dropna()
    ui.plot(plots.grouped_bars(bars, "model", column, f"{chosen} per model", y_title, text_format=fmt))
with right:
    curves = {r.model: r.history for r in results if r.history and all(math.isfinite(h.val_loss) for h in r.history)}
    ui.plot(plots.overlay_curves(curves, "val_loss", "validation MSE (stars²)",
                                 "Validation loss per epoch, same held-out ratings"))
    st.caption("One epoch = one pass over the training ratings (for biases only: one pass of its closed-form updates; "
               f"for Bayesian MF: {bayes_config.sweeps_per_call} Gibbs sweeps, each drawing every user's and item's "
               "factors once). Guessing the mean does not train: its line is flat.")

sampled = next((r for r in results if r.posterior is not None), None)
if sampled is not None:
    st.subheader("Bayesian MF: many factorizations, and how sure each prediction is")
    st.markdown(lesson.averaging_text(sampled.sample_curve, results))
    left, right = st.columns(2)
    curve = sampled.sample_curve
    mf_rmse = {r.model: r.rmse for r in results if r.model == compare.MF}
    left.plotly_chart(plots.samples_curve(curve.sweeps, curve.mean_rmse, curve.sample_rmse, bayes_config.burn_in,
                                          "Held-out RMSE against samples drawn", mf_rmse),
                      width="stretch", alt=lesson.samples_alt(curve, bayes_config.burn_in))
    support = lesson.uncertainty_by_support(sampled.posterior, train_set, val_set)
    right.plotly_chart(plots.support_lines(support, "Uncertainty by number of training ratings"), width="stretch",
                       alt=lesson.support_alt(support))
    st.caption(lesson.support_summary(support))
    user, item = pair_picker(train_set)
    st.markdown(lesson.prediction_sentence(sampled.posterior, train_set, user, item, escape=ui.text))

ui.show_code(compare.compare_models, compare.bias_baseline, compare.ranking_scores, bayes.BayesProgram, bayes.predict)
