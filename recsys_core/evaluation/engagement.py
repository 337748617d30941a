"""Simulated users: does showing personalised recommendations really get more clicks?

The lesson claims that recommendations drive engagement. Offline metrics cannot show that on
their own, so this module runs the experiment a site would run (an A/B test) on simulated users
whose true tastes are known: the ones `recsys_core.data.synthetic` planted. In every session a
policy shows a user k items they have not rated yet; the user clicks each shown item on their
own, with a probability that rises with how much they would truly like it:

    p(click) = sigmoid(CLICK_SLOPE * (expected_rating(u, i) - CLICK_THRESHOLD))

``expected_rating`` is the planted, noise-free rating (the user's generosity, the item's quality
and the taste match). With the defaults an item the user would truly rate 5 stars is clicked
half the time, a 4-star item about one time in five and a 3-star item one time in twenty, so
showing random items gives a click-through rate (CTR) near 10%, in the range real sites report
for untargeted content, and even a perfect recommender stays well below 100%.

Three policies are compared on the same sessions and the same random draws (common random
numbers, so differences between policies are not luck): ``"random"``, ``"most popular"`` (most
ratings in the training data) and ``"trained model"`` (top-k by any model's scores). CTRs carry
95% Wilson intervals, which behave well for rates near 0 or 1 and small samples.

Pure and seeded: the same inputs and seed give the same table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from recsys_core.data import Ratings
from recsys_core.evaluation import metrics
from recsys_core.evaluation.ranking import item_popularity, seen_mask, top_k_batch
from recsys_core.models.neural import all_scores
from recsys_core.training.neural import NeuralConfig, neural_trainer

RANDOM = "random"
POPULAR = "most popular"
MODEL = "trained model"
HIGHEST_RATED = "highest rated"  # optional: best average rating, the same list for everyone
POLICIES: tuple[str, ...] = (RANDOM, POPULAR, MODEL)

CLICK_SLOPE = 1.5  # per star: how sharply click chance rises with true liking
CLICK_THRESHOLD = 5.0  # stars: the true rating at which a shown item is clicked half the time
CONFIDENCE = 0.95  # of the Wilson intervals around every click-through rate
WILSON_Z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)  # two-sided: 1.96


@dataclass(frozen=True)
class SimulationConfig:
    """One simulated A/B test: ``n_sessions`` sampled users each see ``k`` items per policy."""

    k: int = 5
    n_sessions: int = 1000
    seed: int = 0
    click_slope: float = CLICK_SLOPE
    click_threshold: float = CLICK_THRESHOLD

    def __post_init__(self) -> None:
        if self.k < 1 or self.n_sessions < 1:
            raise ValueError("k and n_sessions must be at least 1")


def _truth(ratings: Ratings):
    if ratings.truth is None:
        raise ValueError(
            "The engagement simulation needs users whose true tastes are known: use the "
            "synthetic data set (a loaded file has no planted truth)."
        )
    return ratings.truth


def click_probability(ratings: Ratings, users: np.ndarray, items: np.ndarray, config: SimulationConfig) -> np.ndarray:
    """Chance that each user clicks each shown item (same shape as ``items``; -1 = no item -> 0)."""
    truth = _truth(ratings)
    users = np.broadcast_to(np.asarray(users).reshape(-1, *([1] * (np.ndim(items) - 1))), np.shape(items))
    items = np.asarray(items)
    valid = items >= 0
    expected = truth.expected_rating(users[valid].astype(np.int64), items[valid].astype(np.int64))
    p = np.zeros(items.shape, dtype=np.float64)
    p[valid] = 1.0 / (1.0 + np.exp(-config.click_slope * (expected - config.click_threshold)))
    return p


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927); (nan, nan) with no trials."""
    if trials <= 0:
        return math.nan, math.nan
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def highest_rated_scores(train: Ratings, shrinkage: float = 10.0) -> np.ndarray:
    """Each item's mean training rating, shrunk toward the global mean: (n_items,).

    ``(sum of ratings + shrinkage * mean) / (n ratings + shrinkage)``: an item needs about
    ``shrinkage`` ratings before its own average counts as much as the global one, so a single
    5-star rating does not put an unknown item at the top.
    """
    counts = np.bincount(train.items, minlength=train.n_items)
    sums = np.bincount(train.items, weights=train.ratings, minlength=train.n_items)
    return (sums + shrinkage * train.global_mean) / (counts + shrinkage)


def policy_scores(
    train: Ratings, model_scores: np.ndarray | None, seed: int = 0, include_highest_rated: bool = False
) -> dict[str, np.ndarray]:
    """Score matrices (n_users, n_items) for the policies.

    ``"random"``: uniform noise (a fresh random shelf per user); ``"most popular"``: how many
    training ratings each item has, the same for every user (ties broken by the lower index);
    ``"trained model"``: ``model_scores`` as given, left out when it is None. With
    ``include_highest_rated``, also ``"highest rated"`` (`highest_rated_scores`, the same for
    everyone): it separates what a model gains by knowing which items are good from what it
    gains by knowing each user's taste.
    """
    rng = np.random.default_rng(seed)
    shape = (train.n_users, train.n_items)
    scores = {
        RANDOM: rng.random(shape),
        POPULAR: np.broadcast_to(item_popularity(train).astype(np.float64), shape),
    }
    if model_scores is not None:
        model_scores = np.asarray(model_scores)
        if model_scores.shape != shape:
            raise ValueError(f"model scores must have shape {shape}; got {model_scores.shape}")
        scores[MODEL] = model_scores
    if include_highest_rated:
        scores[HIGHEST_RATED] = np.broadcast_to(highest_rated_scores(train), shape)
    return scores


def _sessions(ratings: Ratings, config: SimulationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Sampled session users and one uniform draw per (session, item), shared by all policies."""
    rng = np.random.default_rng((config.seed, 1))
    users = rng.integers(ratings.n_users, size=config.n_sessions)
    draws = rng.random((config.n_sessions, ratings.n_items))
    return users, draws


def simulate(
    ratings: Ratings,
    scores_by_policy: Mapping[str, np.ndarray],
    config: SimulationConfig = SimulationConfig(),
) -> pd.DataFrame:
    """Run the simulated A/B test: one row per policy with impressions, clicks and CTR.

    ``ratings`` says what each user has already rated (pass all known ratings, train and test:
    nothing a user has rated is shown again). Every policy meets the same sampled users and the
    same random draws; a shown item is clicked when its draw falls below its click probability.
    Columns: policy, impressions, clicks, ctr, ci_low, ci_high (95% Wilson), expected_ctr (the
    mean click probability: the CTR without the luck of the draws), distinct_items (how many
    different items the policy showed over all sessions: one shared list shows about k).
    """
    users, draws = _sessions(ratings, config)
    seen = seen_mask(ratings)[users]
    rows = []
    for name, scores in scores_by_policy.items():
        shown = top_k_batch(np.asarray(scores)[users], seen, config.k)
        p = click_probability(ratings, users, shown, config)
        valid = shown >= 0
        clicked = valid & (np.take_along_axis(draws, np.maximum(shown, 0), axis=1) < p)
        impressions, clicks = int(valid.sum()), int(clicked.sum())
        low, high = wilson_interval(clicks, impressions)
        rows.append(
            {
                "policy": name,
                "impressions": impressions,
                "clicks": clicks,
                "ctr": clicks / impressions if impressions else math.nan,
                "ci_low": low,
                "ci_high": high,
                "expected_ctr": float(p[valid].mean()) if impressions else math.nan,
                "distinct_items": int(np.unique(shown[valid]).size),
            }
        )
    return pd.DataFrame(rows)


def ctr_vs_k(
    ratings: Ratings,
    scores_by_policy: Mapping[str, np.ndarray],
    ks: Sequence[int] = (1, 3, 5, 10, 20),
    config: SimulationConfig = SimulationConfig(),
) -> pd.DataFrame:
    """CTR of each policy as the list grows (tidy: one row per k and policy).

    The model's first slots hold its most confident picks, so its CTR falls as k grows; random
    stays flat. Same sessions and draws for every k.
    """
    frames = []
    for k in ks:
        table = simulate(ratings, scores_by_policy, SimulationConfig(**{**config.__dict__, "k": int(k)}))
        frames.append(table.assign(k=int(k)))
    return pd.concat(frames, ignore_index=True)[["k", *frames[0].columns.drop("k")]]


def ctr_vs_epochs(
    train: Ratings,
    val: Ratings | None,
    ratings: Ratings,
    config=None,
    epochs: int = 10,
    sim_config: SimulationConfig = SimulationConfig(),
    score_fn: Callable | None = None,
) -> pd.DataFrame:
    """Train the neural recommender epoch by epoch and run the A/B test after each epoch.

    Epoch 0 is the untrained model (random embeddings: about as good as random). Random and
    most-popular do not learn, so they are simulated once and repeated on every row, which makes
    the chart's baselines flat lines. Tidy: epoch, policy, ctr, ci_low, ci_high, expected_ctr,
    val_loss. ``score_fn(params)`` overrides how a score matrix is made (default `all_scores`).
    """
    config = NeuralConfig(epochs=max(1, epochs)) if config is None else config
    score_fn = all_scores if score_fn is None else score_fn
    trainer = neural_trainer(train, val, config)
    run = trainer.start()
    baselines = simulate(ratings, policy_scores(train, None, sim_config.seed), sim_config)
    frames = []
    for epoch in range(0, min(epochs, config.epochs) + 1):
        if epoch > 0:
            run = trainer.advance(run, max_epochs=1)
            if run.epochs_done < epoch or run.diverged:
                break
        model = simulate(ratings, {MODEL: score_fn(run.params)}, sim_config)
        val_loss = run.history[-1].val_loss
        frames.append(pd.concat([baselines, model], ignore_index=True).assign(epoch=epoch, val_loss=val_loss))
    table = pd.concat(frames, ignore_index=True)
    return table[["epoch", "policy", "ctr", "ci_low", "ci_high", "expected_ctr", "impressions", "clicks",
                  "distinct_items", "val_loss"]]


# --- offline ranking metrics ------------------------------------------------------------------


def _relevant_sets(test: Ratings, like_threshold: float) -> list[set[int]]:
    relevant: list[set[int]] = [set() for _ in range(test.n_users)]
    liked = test.ratings >= like_threshold
    for u, i in zip(test.users[liked], test.items[liked], strict=True):
        relevant[int(u)].add(int(i))
    return relevant


def ranking_report(
    model_scores: np.ndarray, train: Ratings, test: Ratings, k: int = 5, like_threshold: float = 4.0
) -> dict[str, float]:
    """Offline top-k quality of a score matrix on held-out ratings.

    Each user's list is their top-k items not rated in ``train``; an item is relevant when the
    user rated it at least ``like_threshold`` stars in ``test``. Precision, recall, NDCG and hit
    rate average over users with at least one relevant test item; coverage is the share of the
    catalogue that appears in anybody's list (low coverage = everyone sees the same few items).
    """
    recommended = top_k_batch(model_scores, seen_mask(train), k)
    relevant = _relevant_sets(test, like_threshold)
    return {
        f"precision@{k}": metrics.precision_at_k(recommended, relevant, k),
        f"recall@{k}": metrics.recall_at_k(recommended, relevant, k),
        f"ndcg@{k}": metrics.ndcg_at_k(recommended, relevant, k),
        f"hit_rate@{k}": metrics.hit_rate_at_k(recommended, relevant, k),
        "coverage": metrics.catalogue_coverage(recommended, train.n_items),
        "users_evaluated": float(sum(1 for r in relevant if r)),
    }
