"""Several models on the same split, scored the same way: the Playground's comparison.

A comparison is only fair when every model sees the same training ratings, the same held-out
ratings and the same seed, and is scored by the same code. This module trains the four models
the Playground offers — guess the mean, the bias-only baseline, biased matrix factorization and
the neural recommender — and scores each on held-out data with the metrics of `metrics.py`:
rating error (RMSE, MAE, accuracy within ±0.5 stars) and top-k quality (precision, recall and
NDCG at k, with a held-out rating at or above a threshold counting as relevant; catalogue
coverage). Every model is reduced to two functions — predict given (user, item) pairs, and
score every item for a block of users — so one scorer serves them all.

No Streamlit here; the page passes a ``progress`` callback to hear which model is training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from recsys_core import metrics, neural
from recsys_core import train as rtrain
from recsys_core.data import Ratings
from recsys_core.models import MFParams
from recsys_core.neural import NeuralConfig
from recsys_core.recommend import top_k_batch
from recsys_core.train import EpochRecord, MFConfig

TOP_K = 5
MAX_RANKED_USERS = 2_000  # ranking metrics use at most this many users (a seeded sample beyond)
_USER_BLOCK = 128  # users scored per block; the neural scorer is compiled for this block size

# Models in the order the table lists them.
MEAN, BIAS, MF, NEURAL = "guess the mean", "biases only", "biased MF", "neural"

# Bias-only baseline as in Koren (2010) and Surprise's BaselineOnly (ALS, its default
# regularisation): alternate item and user bias updates, each a shrunken mean of residuals.
BIAS_REG_ITEMS, BIAS_REG_USERS, BIAS_ITERATIONS = 10.0, 15.0, 10


@dataclass(frozen=True)
class ModelResult:
    """One row of the comparison: held-out scores, training time and the validation curve."""

    model: str
    rmse: float
    mae: float
    accuracy: float  # share of held-out ratings predicted within ±0.5 stars
    precision: float  # at TOP_K
    recall: float
    ndcg: float
    coverage: float  # share of the catalogue in anybody's top-k list
    fit_seconds: float
    history: tuple[EpochRecord, ...]
    message: str = ""  # why the row is empty (a diverged run), else ""


def relevance_threshold(rating_scale: tuple[float, float]) -> float:
    """A held-out rating at least this high counts as "relevant": 4 on a 1-5 scale.

    Other scales use the same point, three quarters of the way up (8.5 on 1-10).
    """
    low, high = rating_scale
    return 4.0 if high == 5 else low + 0.75 * (high - low)


def bias_baseline(train: Ratings, val: Ratings | None, iterations: int = BIAS_ITERATIONS,
                  reg_items: float = BIAS_REG_ITEMS, reg_users: float = BIAS_REG_USERS) -> tuple[MFParams, tuple[EpochRecord, ...]]:
    """Predict ``mu + b_u + b_i`` with no taste features: MF with rank 0, fitted in closed form.

    Each pass sets every item bias to the mean residual of its ratings shrunk towards zero,
    ``sum(r - mu - b_u) / (n_i + reg_items)``, then every user bias likewise: an item with two
    5-star ratings does not outrank one loved by hundreds. Returned as `MFParams` with zero-width
    factor tables (so every MF scorer works on it) and one record per pass (MSE, RMSE).
    """
    mu = train.global_mean
    users, items, ratings = train.users, train.items, train.ratings.astype(np.float64)
    n_items = np.bincount(items, minlength=train.n_items)
    n_users = np.bincount(users, minlength=train.n_users)
    user_bias, item_bias = np.zeros(train.n_users), np.zeros(train.n_items)
    history = []
    for epoch in range(1, iterations + 1):
        started = time.perf_counter()
        item_bias = np.bincount(items, ratings - mu - user_bias[users], train.n_items) / (n_items + reg_items)
        user_bias = np.bincount(users, ratings - mu - item_bias[items], train.n_users) / (n_users + reg_users)
        train_mse = float(np.mean((mu + user_bias[users] + item_bias[items] - ratings) ** 2))
        val_mse = train_mse if val is None or len(val) == 0 else float(
            np.mean((mu + user_bias[val.users] + item_bias[val.items] - val.ratings) ** 2))
        history.append(EpochRecord(epoch, train_mse, val_mse, math.sqrt(train_mse), math.sqrt(val_mse),
                                   time.perf_counter() - started))
    params = MFParams(
        global_mean=np.float32(mu),
        user_bias=user_bias.astype(np.float32),
        item_bias=item_bias.astype(np.float32),
        user_factors=np.zeros((train.n_users, 0), np.float32),
        item_factors=np.zeros((train.n_items, 0), np.float32),
    )
    return params, tuple(history)


def mf_block_scores(params: MFParams) -> Callable[[np.ndarray], np.ndarray]:
    """Scores of every item for a block of users, from (numpy copies of) MF parameters."""
    mu = float(params.global_mean)
    user_bias, item_bias = np.asarray(params.user_bias, np.float64), np.asarray(params.item_bias, np.float64)
    user_factors, item_factors = np.asarray(params.user_factors, np.float64), np.asarray(params.item_factors, np.float64)

    def scores(users: np.ndarray) -> np.ndarray:
        return mu + user_bias[users][:, None] + item_bias[None, :] + user_factors[users] @ item_factors.T

    return scores


def neural_block_scores(params: neural.NeuralParams) -> Callable[[np.ndarray], np.ndarray]:
    """Scores of every item for a block of users from the neural recommender (one compiled block size)."""

    def scores(users: np.ndarray) -> np.ndarray:
        padded = np.zeros(_USER_BLOCK, np.int32)
        padded[: len(users)] = users
        _, full = neural.user_scores_jit(params, jnp.asarray(padded))
        return np.asarray(full, np.float64)[: len(users)]

    return scores


def ranking_scores(block_scores: Callable[[np.ndarray], np.ndarray], train: Ratings, test: Ratings,
                   k: int = TOP_K, threshold: float = 4.0, max_users: int = MAX_RANKED_USERS, seed: int = 0) -> dict[str, float]:
    """Precision, recall and NDCG at ``k`` on held-out ratings, and catalogue coverage.

    Each user's list is their ``k`` best-scored items not rated in ``train``; an item is relevant
    when the user rated it at least ``threshold`` in ``test``. Precision/recall/NDCG average over
    users with something relevant; coverage is the share of the catalogue appearing in any list.
    Above ``max_users`` users a seeded sample is ranked, so a big uploaded file stays quick.
    """
    users = np.arange(train.n_users)
    if users.size > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    liked = test.ratings >= threshold
    relevant_by_user: dict[int, set[int]] = {}
    for u, i in zip(test.users[liked], test.items[liked], strict=True):
        relevant_by_user.setdefault(int(u), set()).add(int(i))
    lists, relevant = [], []
    for start in range(0, users.size, _USER_BLOCK):
        block = users[start:start + _USER_BLOCK]
        seen = np.zeros((block.size, train.n_items), bool)
        in_block = np.isin(train.users, block)
        seen[np.searchsorted(block, train.users[in_block]), train.items[in_block]] = True  # block is sorted
        lists.append(top_k_batch(block_scores(block), seen, k))
        relevant.extend(relevant_by_user.get(int(u), set()) for u in block)
    recommended = np.concatenate(lists) if lists else np.zeros((0, k), np.int64)
    return {
        "precision": metrics.precision_at_k(recommended, relevant, k),
        "recall": metrics.recall_at_k(recommended, relevant, k),
        "ndcg": metrics.ndcg_at_k(recommended, relevant, k),
        "coverage": metrics.catalogue_coverage(recommended, train.n_items),
    }


def score_model(model: str, predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
                block_scores: Callable[[np.ndarray], np.ndarray], train: Ratings, test: Ratings,
                fit_seconds: float, history: tuple[EpochRecord, ...]) -> ModelResult:
    """Score one trained model on the held-out ratings (predictions clipped to the rating scale)."""
    low, high = train.rating_scale
    predicted = np.clip(predict(test.users, test.items), low, high)
    ranking = ranking_scores(block_scores, train, test, threshold=relevance_threshold(train.rating_scale))
    return ModelResult(
        model=model,
        rmse=metrics.rmse(predicted, test.ratings),
        mae=metrics.mae(predicted, test.ratings),
        accuracy=metrics.rating_accuracy(predicted, test.ratings),
        fit_seconds=fit_seconds,
        history=history,
        **ranking,
    )


def _failed(model: str, fit_seconds: float, history: tuple[EpochRecord, ...], message: str) -> ModelResult:
    nan = math.nan
    return ModelResult(model, nan, nan, nan, nan, nan, nan, nan, fit_seconds, history, message)


def compare_models(train: Ratings, test: Ratings, mf_config: MFConfig, neural_config: NeuralConfig,
                   progress: Callable[[str, int, int], None] | None = None) -> list[ModelResult]:
    """Train the four models on ``train`` with the same seed and score each on ``test``.

    ``progress(model, done, total)`` is called before each model trains. A run that diverges
    gets an empty row carrying its explanation instead of numbers from blown-up weights.
    """
    if len(train) == 0 or len(test) == 0:
        raise ValueError("the comparison needs both training and held-out ratings")
    say = progress or (lambda *_: None)
    results = []

    say(MEAN, 0, 4)
    started = time.perf_counter()
    mu = train.global_mean
    val_mse = float(np.mean((test.ratings - mu) ** 2))
    train_mse = float(np.mean((train.ratings - mu) ** 2))
    flat = tuple(EpochRecord(e, train_mse, val_mse, math.sqrt(train_mse), math.sqrt(val_mse))
                 for e in range(1, max(mf_config.epochs, neural_config.epochs) + 1))
    seconds = time.perf_counter() - started
    results.append(score_model(MEAN, lambda u, i: np.full(len(u), mu), lambda b: np.full((len(b), train.n_items), mu),
                               train, test, seconds, flat))

    say(BIAS, 1, 4)
    started = time.perf_counter()
    bias_params, bias_history = bias_baseline(train, test)
    seconds = time.perf_counter() - started
    bias_scores = mf_block_scores(bias_params)
    results.append(score_model(BIAS, lambda u, i: mu + bias_params.user_bias[u] + bias_params.item_bias[i],
                               bias_scores, train, test, seconds, bias_history))

    say(MF, 2, 4)
    started = time.perf_counter()
    run = rtrain.fit_mf(train, test, mf_config)
    seconds = time.perf_counter() - started
    if run.stop_reason == rtrain.DIVERGED:
        results.append(_failed(MF, seconds, run.history, run.message))
    else:
        params = run.params
        results.append(score_model(MF, lambda u, i: rtrain.predict_ratings(params, u, i, train.rating_scale),
                                   mf_block_scores(params), train, test, seconds, run.history))

    say(NEURAL, 3, 4)
    started = time.perf_counter()
    run = neural.fit_neural(train, test, neural_config)
    seconds = time.perf_counter() - started
    if run.stop_reason == rtrain.DIVERGED:
        results.append(_failed(NEURAL, seconds, run.history, run.message))
    else:
        params = run.params
        results.append(score_model(NEURAL, lambda u, i: neural.predict_neural(params, u, i),
                                   neural_block_scores(params), train, test, seconds, run.history))
    return results


def findings(results: list[ModelResult], n_ratings: int, n_users: int) -> list[str]:
    """What the comparison shows, in sentences generated from its numbers."""
    scored = [r for r in results if math.isfinite(r.rmse)]
    if not scored:
        return []
    by = {r.model: r for r in scored}
    best_rmse = min(scored, key=lambda r: r.rmse)
    lines = [f"Lowest held-out RMSE: **{best_rmse.model}** ({best_rmse.rmse:.3f} stars)."]
    ranked = [r for r in scored if math.isfinite(r.ndcg)]
    if ranked:
        best_ndcg = max(ranked, key=lambda r: r.ndcg)
        lines.append(f"Best top-{TOP_K} list (NDCG@{TOP_K}): **{best_ndcg.model}** ({best_ndcg.ndcg:.3f})"
                     + (" — a different winner: predicting ratings well and ranking well are not the same job."
                        if best_ndcg.model != best_rmse.model else "."))
    if MF in by and BIAS in by:
        gap = by[MF].rmse - by[BIAS].rmse
        per_user = n_ratings / max(n_users, 1)
        if gap > 0.002:
            lines.append(f"Biased MF is {gap:.3f} stars *worse* than biases alone: with about {per_user:.0f} ratings "
                         "per user its taste features fit noise. Raise L2, lower the rank, or use more ratings.")
        elif gap < -0.002:
            lines.append(f"Taste features pay off: biased MF beats biases alone by {-gap:.3f} stars "
                         f"(about {per_user:.0f} ratings per user).")
        else:
            lines.append("Biased MF and biases alone are level: the taste features add almost nothing here.")
    widest = max(scored, key=lambda r: r.coverage if math.isfinite(r.coverage) else -1.0)
    if math.isfinite(widest.coverage):
        lines.append(f"Widest catalogue coverage: **{widest.model}** ({widest.coverage:.0%} of items appear in someone's "
                     f"top {TOP_K}); low coverage means everyone is shown the same few items.")
    return lines
