"""Playground: train several models on the same split and seed, compare them side by side."""

import math

import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.controls import L2_VALUES, LEARNING_RATES, Control, choices, row, widget
from recsys_core import plots
from recsys_core.evaluation import compare
from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import NeuralConfig

MIN_RATINGS, MIN_HELD_OUT = 50, 10
# Per-rating SGD at 0.03 decaying by 0.9 per epoch: on the synthetic catalogue it reached a lower
# validation RMSE than lesson 1's slow 0.005 (1.049 vs 1.10 at 10,000 ratings, 0.907 at 50,000).
MF_DEFAULTS = MFConfig(k=10, learning_rate=0.03, l2=0.1, epochs=20, lr_decay=0.9)
NEURAL_DEFAULTS = NeuralConfig()
METRICS = {  # chart choice -> (table column, y axis title, bar label format)
    "RMSE": ("RMSE (stars)", "held-out RMSE (stars, lower is better)", ".3f"),
    "MAE": ("MAE (stars)", "held-out MAE (stars, lower is better)", ".3f"),
    "accuracy": ("Accuracy ±0.5 (%)", "held-out ratings within ±0.5 stars (%)", ".1f"),
    "precision@5": ("Precision@5", "precision@5 (share of the 5 picks that are relevant)", ".3f"),
    "recall@5": ("Recall@5", "recall@5 (share of relevant items found)", ".3f"),
    "NDCG@5": ("NDCG@5", "NDCG@5 (1 = relevant items ranked first)", ".3f"),
    "coverage": ("Coverage (%)", "catalogue coverage (% of items in some top 5)", ".1f"),
    "seconds": ("Training (s)", "training time (seconds)", ".2f"),
}

st.title("Playground: compare models")
st.markdown(
    "Four models learn from **the same 80% of the ratings with the same seed** and are scored on the **same "
    "held-out 20%**: guessing the mean rating, biases only (how generous each user is, how liked each item is), "
    "biased matrix factorization and the neural recommender. Which one wins depends on the data — try it."
)
data_key, ratings = ui.dataset()
st.caption(f"Data: {ui.text(ratings.source)} — chosen in the sidebar; bring your own file on the **Your data** page.")
if ratings.n_ratings < MIN_RATINGS or ratings.n_users < 2 or ratings.n_items < 2:
    st.warning(f"This data has {ratings.n_ratings:,} ratings from {ratings.n_users:,} users on {ratings.n_items:,} "
               f"items: a fair comparison needs at least {MIN_RATINGS} ratings, 2 users and 2 items. Choose other "
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
    (Control("pg_seed", "Model seed (all models)", "number", low=0, high=9999,
             help="Seeds every model's initial weights and batch order."), 0),
])
k, lr, l2, mf_epochs = values["pg_k"], values["pg_lr"], values["pg_l2"], values["pg_epochs"]
scorer, dim, neural_epochs, seed = values["pg_scorer"], values["pg_dim"], values["pg_nepochs"], values["pg_seed"]
mf_config = MFConfig(k=k, learning_rate=lr, l2=l2, epochs=mf_epochs, lr_decay=MF_DEFAULTS.lr_decay, seed=int(seed))
neural_config = NeuralConfig(scorer=scorer, embedding_dim=dim, epochs=neural_epochs, seed=int(seed))
signature = (data_key, mf_config, neural_config)

results_by_signature: dict = st.session_state.setdefault("pg_results", {})
if st.button("Train and compare", type="primary", icon=":material/compare_arrows:", key="pg_train"):
    bar = st.progress(0.0, text="Starting...")

    def report(model: str, done: int, total: int) -> None:
        bar.progress(done / total, text=f"Training {model} ({done + 1} of {total})...")

    try:
        with ui.training_slot():
            results = compare.compare_models(train_set, val_set, mf_config, neural_config, progress=report)
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
    st.info("Press **Train and compare** to train all four models with these settings "
            "(a few seconds; the first run also compiles the models)." +
            (" Your earlier results were for other settings or data." if results_by_signature else ""),
            icon=":material/play_arrow:")
    st.stop()

st.subheader("Results on the held-out ratings")
for result in results:
    if result.message:
        st.error(f"**{result.model}**: {result.message}", icon=":material/warning:")
table = pd.DataFrame([{
    "Model": r.model,
    "RMSE (stars)": r.rmse,
    "MAE (stars)": r.mae,
    "Accuracy ±0.5 (%)": 100 * r.accuracy,
    "Precision@5": r.precision,
    "Recall@5": r.recall,
    "NDCG@5": r.ndcg,
    "Coverage (%)": 100 * r.coverage,
    "Training (s)": r.fit_seconds,
} for r in results])
st.dataframe(table, hide_index=True, width="stretch", column_config={
    column: st.column_config.NumberColumn(format=f"%{fmt}") for column, _, fmt in METRICS.values()})
n_relevant = int((val_set.ratings >= threshold).sum())
st.caption(f"{len(val_set):,} held-out ratings. Top-5 lists skip items the user rated in training; a held-out rating "
           f"of at least {threshold:g} counts as relevant ({n_relevant:,} such ratings). Guessing the mean gives every "
           "item the same score, so its top 5 is arbitrary — the floor. Training times include compiling a model "
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
    st.plotly_chart(plots.grouped_bars(bars, "model", column, f"{chosen} per model", y_title, text_format=fmt),
                    width="stretch")
with right:
    curves = {r.model: r.history for r in results if r.history and all(math.isfinite(h.val_loss) for h in r.history)}
    st.plotly_chart(plots.overlay_curves(curves, "val_loss", "validation MSE (stars²)",
                                         "Validation loss per epoch, same held-out ratings"), width="stretch")
    st.caption("One epoch = one pass over the training ratings (for biases only: one pass of its closed-form updates). "
               "Guessing the mean does not train: its line is flat.")

ui.show_code(compare.compare_models, compare.bias_baseline, compare.ranking_scores)
