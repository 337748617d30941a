"""Several models on the same split, scored the same way: the Playground's comparison.

A comparison is only fair when every model sees the same training ratings, the same held-out
ratings and the same seed, and is scored by the same code. This module trains the five models
the Playground offers — guess the mean, the bias-only baseline, biased matrix factorization, the
neural recommender and Bayesian MF (Gibbs sampling, through the same training loop) — and scores each on held-out data with the metrics of `metrics.py`:
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
from dataclasses import dataclass, replace

import numpy as np

from recsys_core.data import Ratings
from recsys_core.evaluation import metrics
from recsys_core.evaluation.ranking import top_k_batch
from recsys_core.models import neural
from recsys_core.models.baselines import bias_iterations
from recsys_core.models.mf import MFParams, predict_mf_numpy, score_matrix
from recsys_core.training.bayes import (
    BayesConfig,
    BayesResult,
    SampleCurve,
    bayes_trainer,
    posterior_scorer,
    predict,
)
from recsys_core.training.loop import EpochRecord, TrainingRun
from recsys_core.training.mf import MFConfig, fit_mf, predict_ratings
from recsys_core.training.neural import NeuralConfig, fit_neural

TOP_K = 5
MAX_RANKED_USERS = 2_000  # ranking metrics use at most this many users (a seeded sample beyond)
_USER_BLOCK = neural.SCORE_BLOCK  # users scored per block; the neural scorer is compiled for this size

# Models in the order the table lists them.
MEAN, BIAS, MF, NEURAL, BAYES = "guess the mean", "biases only", "biased MF", "neural", "Bayesian MF"
BASELINES = (MEAN, BIAS)  # the simplest models: a trained model should rank at least as well

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
    ranked_users: int = 0  # users with a relevant held-out item: precision and NDCG average over them
    posterior: BayesResult | None = None  # Bayesian MF: its kept samples, for predictions with a spread
    sample_curve: SampleCurve | None = None  # Bayesian MF: held-out RMSE against samples drawn


def relevance_threshold(rating_scale: tuple[float, float]) -> float:
    """A held-out rating at least this high counts as "relevant": 4 on a 1-5 scale.

    Other scales use the same point, three quarters of the way up (8.5 on 1-10).
    """
    low, high = rating_scale
    return 4.0 if high == 5 else low + 0.75 * (high - low)


def bias_baseline(train: Ratings, val: Ratings | None) -> tuple[MFParams, tuple[EpochRecord, ...]]:
    """The bias-only model (`recsys_core.models.baselines`) and one record per pass (MSE, RMSE).

    Record 0 is the untrained model (every bias zero: guessing the mean), as in every history.
    """
    def record(epoch: int, params: MFParams, seconds: float) -> EpochRecord:
        train_mse = float(np.mean((predict_mf_numpy(params, train.users, train.items) - train.ratings) ** 2))
        val_mse = train_mse if val is None or len(val) == 0 else float(
            np.mean((predict_mf_numpy(params, val.users, val.items) - val.ratings) ** 2))
        return EpochRecord(epoch, train_mse, val_mse, math.sqrt(train_mse), math.sqrt(val_mse), seconds)

    params = _zero_biases(train)
    history = [record(0, params, 0.0)]
    started = time.perf_counter()
    for epoch, params in enumerate(bias_iterations(train), start=1):
        history.append(record(epoch, params, time.perf_counter() - started))
        started = time.perf_counter()
    return params, tuple(history)


def _zero_biases(train: Ratings) -> MFParams:
    return MFParams(np.float32(train.global_mean), np.zeros(train.n_users, np.float32), np.zeros(train.n_items, np.float32),
                    np.zeros((train.n_users, 0), np.float32), np.zeros((train.n_items, 0), np.float32))


def mf_block_scores(params: MFParams) -> Callable[[np.ndarray], np.ndarray]:
    """Scores of every item for a block of users, from MF parameters."""
    host = MFParams(*(np.asarray(leaf) for leaf in params))
    return lambda users: score_matrix(host, users)


def neural_block_scores(params: neural.NeuralParams) -> Callable[[np.ndarray], np.ndarray]:
    """Scores of every item for a block of users from the neural recommender (one compiled block size)."""
    return lambda users: neural.block_scores(params, users)


def ranking_scores(block_scores: Callable[[np.ndarray], np.ndarray], train: Ratings, test: Ratings,
                   k: int = TOP_K, threshold: float = 4.0, max_users: int = MAX_RANKED_USERS, seed: int = 0) -> dict[str, float]:
    """Precision, recall and NDCG at ``k`` on held-out ratings, and catalogue coverage.

    Each user's list is their ``k`` best-scored items not rated in ``train``; an item is relevant
    when the user rated it at least ``threshold`` in ``test``. Precision/recall/NDCG average over
    users with something relevant (``ranked_users`` of them); coverage is the share of the
    catalogue appearing in any list. Above ``max_users`` users a seeded sample is ranked, so a big uploaded file stays quick.
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
        "ranked_users": sum(1 for r in relevant if r),
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


def _trained(model: str, fit: Callable[[], TrainingRun], train: Ratings, test: Ratings,
             predictor: Callable, block_scorer: Callable) -> ModelResult:
    """Train one model through the training loop and score it; a diverged run gets an empty row."""
    started = time.perf_counter()
    run = fit()
    seconds = time.perf_counter() - started
    if run.diverged:
        return _failed(model, seconds, run.history, run.message)
    return score_model(model, predictor(run.params), block_scorer(run.params), train, test, seconds, run.history)


def bayes_row(train: Ratings, test: Ratings, config: BayesConfig) -> ModelResult:
    """Bayesian MF drawn through the training loop (one epoch = one chunk of Gibbs sweeps), scored by its
    posterior mean; the row keeps the samples (for predictions with a spread) and the RMSE-by-samples curve."""
    started = time.perf_counter()
    program, trainer = bayes_trainer(train, test, config)
    run = trainer.fit()
    seconds = time.perf_counter() - started
    if run.diverged:  # the loop's advice is about learning rates, which a sampler does not have
        return _failed(BAYES, seconds, run.history, f"Sampling broke down at epoch {run.history[-1].epoch}: the posterior "
                       "mean's numbers became NaN or infinite, so no sample is used. A lower rank usually avoids this.")
    posterior = program.result(run)
    row = score_model(BAYES, lambda u, i: predict(posterior, u, i)[0], posterior_scorer(posterior), train, test, seconds,
                      run.history)
    return replace(row, posterior=posterior, sample_curve=program.curve(run))


def compare_models(train: Ratings, test: Ratings, mf_config: MFConfig, neural_config: NeuralConfig,
                   progress: Callable[[str, int, int], None] | None = None,
                   bayes_config: BayesConfig | None = None) -> list[ModelResult]:
    """Train the models on ``train`` with the same seed and score each on ``test``.

    Four models, and Bayesian MF fifth when ``bayes_config`` is given. ``progress(model, done,
    total)`` is called before each model trains. A run that diverges gets an empty row carrying
    its explanation instead of numbers from blown-up weights.
    """
    if len(train) == 0 or len(test) == 0:
        raise ValueError("the comparison needs both training and held-out ratings")
    say = progress or (lambda *_: None)
    total = 4 if bayes_config is None else 5
    results = []

    say(MEAN, 0, total)
    started = time.perf_counter()
    mu = train.global_mean
    val_mse = float(np.mean((test.ratings - mu) ** 2))
    train_mse = float(np.mean((train.ratings - mu) ** 2))
    longest = max(mf_config.epochs, neural_config.epochs,
                  0 if bayes_config is None else -(-bayes_config.total_sweeps // bayes_config.sweeps_per_call))
    flat = tuple(EpochRecord(e, train_mse, val_mse, math.sqrt(train_mse), math.sqrt(val_mse)) for e in range(longest + 1))
    seconds = time.perf_counter() - started
    results.append(score_model(MEAN, lambda u, i: np.full(len(u), mu), lambda b: np.full((len(b), train.n_items), mu),
                               train, test, seconds, flat))

    say(BIAS, 1, total)
    started = time.perf_counter()
    bias_params, bias_history = bias_baseline(train, test)
    seconds = time.perf_counter() - started
    results.append(score_model(BIAS, lambda u, i: predict_mf_numpy(bias_params, u, i), mf_block_scores(bias_params),
                               train, test, seconds, bias_history))

    say(MF, 2, total)
    results.append(_trained(MF, lambda: fit_mf(train, test, mf_config), train, test,
                            lambda p: (lambda u, i: predict_ratings(p, u, i, train.rating_scale)), mf_block_scores))
    say(NEURAL, 3, total)
    results.append(_trained(NEURAL, lambda: fit_neural(train, test, neural_config), train, test,
                            lambda p: (lambda u, i: neural.predict_neural(p, u, i)), neural_block_scores))
    if bayes_config is not None:
        say(BAYES, 4, total)
        results.append(bayes_row(train, test, bayes_config))
    return results


def noise_bound(a: float, b: float, n_users: int) -> float:
    """Twice the largest standard error the difference of two means of per-user scores in [0, 1] can have.

    A score in [0, 1] with mean m has variance at most m (1 - m) (the Bhatia-Davis inequality), so
    the bound needs no per-user numbers; a gap beyond it is no accident of which users were held out.
    """
    return 2.0 * math.sqrt((a * (1 - a) + b * (1 - b)) / max(n_users, 1))


def ranks_below_baseline(result: ModelResult, results: list[ModelResult]) -> str | None:
    """A sentence when a trained model's top-k lists are worse than a baseline's beyond noise, else None.

    Compared by NDCG and precision at k against guess-the-mean and biases-only; the baseline it
    trails most by NDCG is named.
    """
    if result.model in BASELINES or not math.isfinite(result.ndcg):
        return None
    behind = [(b, b.ndcg - result.ndcg) for b in results if b.model in BASELINES and math.isfinite(b.ndcg)
              and (b.ndcg - result.ndcg > noise_bound(b.ndcg, result.ndcg, result.ranked_users)
                   or b.precision - result.precision > noise_bound(b.precision, result.precision, result.ranked_users))]
    if not behind:
        return None
    base = max(behind, key=lambda pair: pair[1])[0]
    line = (f"**{result.model}** ranks worse than **{base.model}**, the simplest baseline: NDCG@{TOP_K} "
            f"{result.ndcg:.3f} vs {base.ndcg:.3f}, precision@{TOP_K} {result.precision:.3f} vs {base.precision:.3f} "
            f"(over {result.ranked_users:,} users' lists: more than sampling noise).")
    if math.isfinite(base.rmse) and result.rmse < base.rmse:
        line += f" It predicts ratings better (RMSE {result.rmse:.3f} vs {base.rmse:.3f}), yet orders them worse."
    if base.model == BIAS:
        line += (" Ranking by the item bias recommends what nearly everyone rates highly: a strong top-k baseline "
                 "when each user has few ratings.")
    else:
        line += " Guessing the mean ranks items in catalogue order: this model's lists are worse than arbitrary."
    return line


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
    lines += [line for line in (ranks_below_baseline(r, results) for r in scored) if line]
    widest = max(scored, key=lambda r: r.coverage if math.isfinite(r.coverage) else -1.0)
    if math.isfinite(widest.coverage):
        lines.append(f"Widest catalogue coverage: **{widest.model}** ({widest.coverage:.0%} of items appear in someone's "
                     f"top {TOP_K}); low coverage means everyone is shown the same few items.")
    return lines
