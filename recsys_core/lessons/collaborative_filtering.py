"""Collaborative filtering: the lesson's experiments and views over a trained factor model.

The lesson (seed 001) makes three claims a learner should be able to check on live numbers:
a missing rating must be handled deliberately (filling it with 0 teaches the model that "unseen"
means "disliked"), the model factorises the rating matrix into user and item features, and
users (or items) that end up close in that feature space are the "similar users" the model
learns from. This module computes each of those from real data and a real trained model; the
page only lays the results out. Pure numpy/JAX, no Streamlit; results are numpy so a Streamlit
cache can store them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys_core.data import FILL_CHOICES, Ratings, fill_missing
from recsys_core.lessons.stages import stage, user_row_text, vector_text
from recsys_core.models.mf import MFParams, numpy_params, predict_mf_numpy, score_matrix
from recsys_core.training.loop import EpochRecord, TrainingRun
from recsys_core.training.mf import MFConfig, mf_trainer

# --- the preprocessing experiment --------------------------------------------------------------
#
# Three ways to treat the holes of the rating matrix, trained with the same model, seed and
# hyperparameters and judged on the same held-out ratings. The filled variants train on every
# users x items cell (500,000 for 1000 x 500, 60x more than the known ratings), so they get
# fewer epochs and larger batches: each epoch already makes ~60x as many updates per row, and
# their validation error settles within 2-3 epochs (measured: 3 vs 5 epochs moved it < 0.015).

PREPROCESSING: dict[str, str] = {
    "mask": "Keep the mask: train on the known ratings only; a missing cell stays unknown.",
    "mean": FILL_CHOICES["global_mean"],
    "zero": FILL_CHOICES["zero"],
}
PREPROCESSING_LABELS = {"mask": "keep the mask", "mean": "fill with the mean", "zero": "fill with zeros"}
_FILL_HOW = {"mean": "global_mean", "zero": "zero"}
FILLED_EPOCHS = 3
FILLED_BATCH_SIZE = 1024
# Above this many cells a filled matrix takes too long to train in a lesson (and too much memory).
MAX_FILLED_CELLS = 2_000_000


def preprocess(train: Ratings, choice: str) -> Ratings:
    """The training ratings after the preprocessing ``choice`` ("mask", "mean" or "zero")."""
    if choice not in PREPROCESSING:
        raise ValueError(f"choice must be one of {', '.join(PREPROCESSING)}; got {choice!r}")
    if choice == "mask":
        return train
    cells = train.n_users * train.n_items
    if cells > MAX_FILLED_CELLS:
        raise ValueError(
            f"Filling {train.n_users:,} users x {train.n_items:,} items means training on {cells:,} cells; "
            f"the lesson fills at most {MAX_FILLED_CELLS:,}. Use the synthetic catalogue or a smaller file."
        )
    return fill_missing(train, _FILL_HOW[choice])


def experiment_config(config: MFConfig, choice: str) -> MFConfig:
    """The learner's settings, with the filled variants' shorter, larger-batch schedule."""
    if choice == "mask":
        return config
    return replace(config, epochs=min(config.epochs, FILLED_EPOCHS), batch_size=max(config.batch_size, FILLED_BATCH_SIZE))


@dataclass(frozen=True)
class PreprocessingResult:
    """One variant of the experiment, all numpy: what it trained on and what it predicts.

    ``val_rmse`` is measured on the real held-out ratings with predictions clipped to the
    original rating scale (1-5), the same rule for every variant. ``unrated_mean`` /
    ``unrated_std`` summarise the (clipped) predictions on every cell the training data left
    empty; ``unrated_mean_raw`` is before clipping (a fill-zero model goes below 1 star).
    """

    choice: str
    training_cells: int
    config: MFConfig
    params: MFParams  # numpy arrays
    initial_params: MFParams  # where training started (same seed), for the "before" of stage 4
    history: tuple[EpochRecord, ...]
    initial_loss: float
    val_rmse: float
    unrated_mean: float
    unrated_std: float
    unrated_mean_raw: float
    stop_reason: str | None
    message: str
    seconds: float

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"


def run_preprocessing(train: Ratings, val: Ratings, choice: str, config: MFConfig) -> PreprocessingResult:
    """Preprocess ``train`` by ``choice``, train MF on it, and measure it on the held-out ``val``."""
    started = time.perf_counter()
    data = preprocess(train, choice)
    cfg = experiment_config(config, choice)
    return result_of(mf_trainer(data, val, cfg).fit(), choice, len(data), cfg, train, val, time.perf_counter() - started)


def result_of(run: TrainingRun, choice: str, training_cells: int, config: MFConfig, train: Ratings, val: Ratings,
              seconds: float) -> PreprocessingResult:
    """A trained run as one variant of the experiment (the lesson's own run is "keep the mask")."""
    params = numpy_params(run.params)
    predicted = score_matrix(params)
    low, high = train.rating_scale
    clipped = np.clip(predicted, low, high)
    held_out = clipped[val.users, val.items]
    unrated = np.ones(predicted.shape, dtype=bool)
    unrated[train.users, train.items] = False
    return PreprocessingResult(
        choice=choice,
        training_cells=training_cells,
        config=config,
        params=params,
        initial_params=numpy_params(run.initial_params),
        history=run.history,
        initial_loss=run.history[0].train_loss,
        val_rmse=float(np.sqrt(np.mean((held_out - val.ratings) ** 2))) if len(val) else float("nan"),
        unrated_mean=float(clipped[unrated].mean()),
        unrated_std=float(clipped[unrated].std()),
        unrated_mean_raw=float(predicted[unrated].mean()),
        stop_reason=run.stop_reason,
        message=run.message,
        seconds=seconds,
    )


def mean_baseline_rmse(train: Ratings, val: Ratings) -> float:
    """Held-out RMSE of predicting the training mean for everything: the bar to beat."""
    return float(np.sqrt(np.mean((val.ratings - train.global_mean) ** 2))) if len(val) else float("nan")


def experiment_table(results: dict[str, PreprocessingResult], baseline_rmse: float) -> pd.DataFrame:
    """One row per variant (and the guess-the-mean baseline), in the units the lesson quotes."""
    rows = [{
        "Preprocessing": PREPROCESSING_LABELS[r.choice],
        "Training cells": r.training_cells,
        "Epochs": len(r.history),
        "Held-out RMSE (stars)": r.val_rmse,
        "Mean prediction, unrated cells (stars)": r.unrated_mean,
        "Spread of those predictions (std, stars)": r.unrated_std,
        "Seconds": r.seconds,
    } for r in results.values()]
    rows.append({"Preprocessing": "guess the mean (no model)", "Held-out RMSE (stars)": baseline_rmse})
    return pd.DataFrame(rows)


def experiment_findings(results: dict[str, PreprocessingResult], baseline_rmse: float, train_mean: float) -> str:
    """What the numbers of this very run show, in sentences (nothing canned about the outcome)."""
    ranked = sorted(results.values(), key=lambda r: (np.isnan(r.val_rmse), r.val_rmse))
    best = ranked[0]
    parts = [f"**{PREPROCESSING_LABELS[best.choice].capitalize()}** gave the lowest held-out RMSE, "
             f"**{best.val_rmse:.3f} stars** (guessing the mean: {baseline_rmse:.3f})."]
    zero, mean, mask = results.get("zero"), results.get("mean"), results.get("mask")
    if zero is not None:
        parts.append(
            f"Filling with zeros missed by **{zero.val_rmse:.3f} stars**: its predictions for unrated cells "
            f"average **{zero.unrated_mean_raw:.2f}** before clipping to the 1-star floor, against a mean rating "
            f"of {train_mean:.2f} — it learned that *unseen means disliked*."
        )
    if mean is not None and mask is not None:
        parts.append(
            f"Filling with the mean ({mean.val_rmse:.3f}) swamps the {mask.training_cells:,} real ratings with "
            f"{mean.training_cells - mask.training_cells:,} made-up average ones: its predictions for unrated "
            f"cells spread by only **{mean.unrated_std:.2f} stars** (keeping the mask: {mask.unrated_std:.2f}), "
            "so everyone gets nearly the same list."
        )
    for r in ranked:
        if r.diverged:
            parts.append(f"({PREPROCESSING_LABELS[r.choice].capitalize()}: {r.message})")
    return " ".join(parts)


def best_choice(results: dict[str, PreprocessingResult]) -> str:
    """The variant with the lowest held-out RMSE (diverged or NaN runs last)."""
    return min(results.values(), key=lambda r: (not np.isfinite(r.val_rmse), r.val_rmse)).choice


def filled_window(window: pd.DataFrame, choice: str, mean: float) -> pd.DataFrame:
    """A heatmap window of the raw matrix as the model sees it after ``choice``."""
    if choice == "mask":
        return window
    return window.fillna(0.0 if choice == "zero" else mean)


def predictions_for_user(results: dict[str, PreprocessingResult], train: Ratings, val: Ratings, user: int,
                         n_rows: int = 6) -> pd.DataFrame:
    """Each variant's prediction for cells ``user`` did not rate in training, side by side.

    The user's held-out items come first (their true rating is known, so the learner can see who
    is closer), then never-rated items, up to ``n_rows``. Predictions are clipped to the scale.
    """
    held = val.items[val.users == user]
    truth = val.ratings[val.users == user]
    rated = set(train.items[train.users == user].tolist()) | set(held.tolist())
    never = [i for i in range(train.n_items) if i not in rated][: max(n_rows - len(held), 0)]
    items = list(held[:n_rows]) + never
    known = dict(zip(held.tolist(), truth.tolist(), strict=True))
    low, high = train.rating_scale
    rows = []
    for item in items:
        row = {"Item": train.title(int(item)), "Genres": ", ".join(train.genres_of(int(item))),
               "Held-out rating": known.get(int(item), np.nan)}
        for r in results.values():
            raw = _predict(r.params, user, int(item))
            row[PREPROCESSING_LABELS[r.choice]] = float(np.clip(raw, low, high))
        rows.append(row)
    return pd.DataFrame(rows)


# --- the pipeline trace --------------------------------------------------------------------------


def example_cells(train: Ratings, val: Ratings, user: int, before: MFParams | None = None,
                  after: MFParams | None = None) -> tuple[int, int]:
    """(a training item ``user`` rated, an item the user has no training rating for).

    Given the parameters ``before`` and ``after`` training, the rated item is the one whose
    prediction training moved furthest *toward* its known rating, so the example shows what
    training does; otherwise the user's first rated item. The unrated item is a held-out one
    when there is one (its true rating is known), else the first item the user never rated.
    """
    mine = train.items[train.users == user]
    held = val.items[val.users == user]
    rated_item = int(mine[0]) if len(mine) else 0
    if len(mine) and before is not None and after is not None:
        known = train.ratings[train.users == user]
        users = np.full(len(mine), user)
        gain = np.abs(predict_mf_numpy(before, users, mine) - known) - np.abs(predict_mf_numpy(after, users, mine) - known)
        rated_item = int(mine[int(np.argmax(gain))])
    if len(held):
        return rated_item, int(held[0])
    unrated = np.setdiff1d(np.arange(train.n_items), mine)
    return rated_item, int(unrated[0]) if len(unrated) else 0


def _predict(params: MFParams, user: int, item: int) -> float:
    return float(predict_mf_numpy(params, np.array([user]), np.array([item]))[0])


def cf_stages(train: Ratings, val: Ratings, result: PreprocessingResult, user: int) -> list[dict[str, str]]:
    """The seed's five stages, from the data and the model trained with ``result.choice``."""
    n_users, n_items = train.n_users, train.n_items
    k, cells = result.config.k, n_users * n_items
    n_missing = cells - train.n_ratings
    params = result.params
    rated_item, new_item = example_cells(train, val, user, result.initial_params, params)
    uid, rated_title, new_title = train.user_ids[user], train.title(rated_item), train.title(new_item)
    known = float(train.ratings[(train.users == user) & (train.items == rated_item)][0])
    before = _predict(result.initial_params, user, rated_item)
    after = _predict(params, user, rated_item)
    low, high = train.rating_scale
    predicted = float(np.clip(_predict(params, user, new_item), low, high))
    held = val.ratings[(val.users == user) & (val.items == new_item)]
    truth = f" (held-out rating: {float(held[0]):g})" if len(held) else " (never rated)"
    if result.choice == "mask":
        operation = (f"Keep the mask: the {train.n_ratings:,} known cells train, the {n_missing:,} missing "
                     "cells are left out of the loss")
        example = f"Missing rating for User {uid} on {new_title} stays unknown: it is not a training target"
    else:
        value = 0.0 if result.choice == "zero" else train.global_mean
        operation = f"Fill the {n_missing:,} missing cells with {value:.2f} ({PREPROCESSING_LABELS[result.choice]})"
        example = f"Missing rating for User {uid} on {new_title} replaced with {value:.2f}"
    last = result.history[-1] if result.history else None
    loss_text = (f"; training loss {result.initial_loss:.3f} → {last.train_loss:.3f} stars²"
                 if last is not None and np.isfinite(last.train_loss) else "")
    return [
        stage("Raw user-item ratings", f"{n_users:,} users x {n_items:,} items",
              f"Collect user ratings for items ({train.n_ratings:,} known, {train.density:.2%} of cells)",
              f"{n_users:,} users x {n_items:,} items", user_row_text(train, user)),
        stage("Data preprocessing", f"{n_users:,} users x {n_items:,} items", operation,
              f"{n_users:,} users x {n_items:,} items ({result.training_cells:,} training cells)", example),
        stage("Matrix factorization", f"{n_users:,} users x {n_items:,} items",
              "Decompose the rating matrix into user and item feature matrices (plus one bias per user and item)",
              f"User features: {n_users:,} x {k}, Item features: {n_items:,} x {k}",
              f"User {uid} features: {vector_text(params.user_factors[user])}, "
              f"{rated_title} features: {vector_text(params.item_factors[rated_item])}"),
        stage("Model training", f"User features: {n_users:,} x {k}, Item features: {n_items:,} x {k}",
              f"Optimize features to minimize squared error on {result.training_cells:,} cells "
              f"({len(result.history)} epochs, learning rate {result.config.learning_rate:g}, L2 {result.config.l2:g})",
              "Trained user and item feature matrices",
              f"User {uid} and {rated_title} (rated {known:g}): predicted {before:.2f} at the start → "
              f"{after:.2f} after training{loss_text}"),
        stage("Prediction", f"User features: 1 x {k}, Item features: 1 x {k}",
              "Dot product of the user's and the item's features, plus the mean and both biases",
              "Predicted rating (scalar)",
              f"Predicted rating for User {uid} on {new_title}: {predicted:.2f} stars{truth}"),
    ]


# --- similar users and items ----------------------------------------------------------------------


def cosine_neighbours(vectors: np.ndarray, index: int, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows most similar to row ``index`` by cosine similarity (itself excluded).

    Cosine, not distance: it compares the *direction* of taste, so a user who rates everything
    strongly and one who rates mildly but likes the same things count as similar.
    """
    v = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(v, axis=1)
    sims = v @ v[index] / np.maximum(norms * norms[index], 1e-12)
    sims[index] = -np.inf
    order = np.argsort(-sims, kind="stable")[:k]
    return order, sims[order]


def liked_genres(ratings: Ratings, user: int, threshold: float = 4.0, top: int = 2) -> tuple[str, ...]:
    """The genres a user rated ``threshold`` or more most often (ties: alphabetical)."""
    mask = (ratings.users == user) & (ratings.ratings >= threshold)
    counts = Counter(g for item in ratings.items[mask] for g in ratings.genres_of(int(item)))
    return tuple(g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


def similar_items(ratings: Ratings, item_factors: np.ndarray, item: int, k: int = 5) -> pd.DataFrame:
    """Nearest items in the learned feature space, with the genres they share with ``item``."""
    neighbours, sims = cosine_neighbours(item_factors, item, k)
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    mine = set(ratings.genres_of(item))
    return pd.DataFrame({
        "Item": [ratings.title(int(i)) for i in neighbours],
        "Cosine similarity": sims,
        "Genres": [", ".join(ratings.genres_of(int(i))) for i in neighbours],
        "Shared genres": [", ".join(sorted(mine & set(ratings.genres_of(int(i))))) or "—" for i in neighbours],
        "Ratings": counts[neighbours],
    })


def similar_users(ratings: Ratings, user_factors: np.ndarray, user: int, k: int = 5) -> pd.DataFrame:
    """Nearest users in the learned feature space, with the genres both like (rated 4+)."""
    neighbours, sims = cosine_neighbours(user_factors, user, k)
    counts = np.bincount(ratings.users, minlength=ratings.n_users)
    mine = set(liked_genres(ratings, user, top=3))
    liked = [liked_genres(ratings, int(u), top=3) for u in neighbours]
    return pd.DataFrame({
        "User": [f"User {ratings.user_ids[u]}" for u in neighbours],
        "Cosine similarity": sims,
        "Liked genres": [", ".join(g) or "—" for g in liked],
        "Shared liked genres": [", ".join(sorted(mine & set(g))) or "—" for g in liked],
        "Ratings": counts[neighbours],
    })


NEIGHBOUR_COUNT = 10  # nearest neighbours per item when checking whether features learned genres


def genre_agreement(ratings: Ratings, item_factors: np.ndarray, k: int = NEIGHBOUR_COUNT, n_items: int = 100) -> dict[str, float] | None:
    """How often an item's nearest neighbours share one of its genres, against chance.

    Measured over the ``n_items`` most-rated items (a rarely rated item's features are still
    mostly their random start). ``random_share`` is the same rate for all other items, what a
    model that learned nothing would score. None when the data has no genres.
    """
    if not ratings.has_genres:
        return None
    genres = [set(g) for g in ratings.item_genres]
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    chosen = np.argsort(-counts, kind="stable")[:n_items]
    hits, pairs, random_hits, random_pairs = 0, 0, 0, 0
    for item in chosen:
        neighbours, _ = cosine_neighbours(item_factors, int(item), k)
        hits += sum(bool(genres[item] & genres[j]) for j in neighbours)
        pairs += len(neighbours)
        random_hits += sum(bool(genres[item] & g) for j, g in enumerate(genres) if j != item)
        random_pairs += len(genres) - 1
    return {"neighbour_share": hits / max(pairs, 1), "random_share": random_hits / max(random_pairs, 1),
            "k": k, "n_items": len(chosen)}


def corater_agreement(ratings: Ratings, item_factors: np.ndarray, k: int = NEIGHBOUR_COUNT,
                      n_items: int = 100) -> dict[str, float]:
    """How many of an item's raters also rated its nearest neighbours, against random items.

    The genre check for data without genres: collaborative filtering says items liked by the same
    people should end up close in feature space. For each of the ``n_items`` most-rated items,
    the share of its raters who also rated each of its ``k`` cosine neighbours, averaged; and the
    same share for every other item (``random_share``: what features that learned nothing give).
    """
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    chosen = np.argsort(-counts, kind="stable")[:n_items]
    neighbour_shares, random_shares = [], []
    for item in chosen:
        raters = np.zeros(ratings.n_users, bool)
        raters[ratings.users[ratings.items == item]] = True
        together = np.bincount(ratings.items[raters[ratings.users]], minlength=ratings.n_items) / max(raters.sum(), 1)
        neighbours, _ = cosine_neighbours(item_factors, int(item), k)
        neighbour_shares.append(float(np.mean(together[neighbours])))
        random_shares.append(float((together.sum() - together[item]) / max(ratings.n_items - 1, 1)))
    return {"neighbour_share": float(np.mean(neighbour_shares)), "random_share": float(np.mean(random_shares)),
            "k": k, "n_items": len(chosen)}


def coraters_outcome(ratings: Ratings, item_factors: np.ndarray):
    """(sentence, (right option, explanation)) for "are neighbours rated by the same people?"."""
    found = corater_agreement(ratings, item_factors)
    ratio = found["neighbour_share"] / max(found["random_share"], 1e-9)
    answer = 0 if ratio >= NEIGHBOURS_CLEAR else 1 if ratio >= 1 / NEIGHBOURS_CLEAR else 2
    sentence = (f"An item's nearest neighbours were rated by {found['neighbour_share']:.0%} of its raters; random "
                f"items by {found['random_share']:.0%} ({ratio:.1f}x), over the {found['n_items']} most-rated items.")
    return sentence, (answer, sentence + " Users who rate the same items pull those items' features the same way: "
                      "that shared pull is what collaborative filtering learns.")


# --- the embedding map ----------------------------------------------------------------------------


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows onto their two main directions (PCA via SVD): (n x 2 coordinates, variance shares).

    The feature space has k dimensions; PCA keeps the two along which the items differ most, so
    items the model treats alike land close together. Signs are fixed (largest loading positive)
    so the map does not flip between reruns.
    """
    x = np.asarray(vectors, np.float64)
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    axes = vt[:2]
    axes = axes * np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])[:, None]
    total = float((s**2).sum()) or 1.0
    coords = x @ axes.T
    if coords.shape[1] < 2:  # rank 1: a line
        coords = np.hstack([coords, np.zeros((len(x), 2 - coords.shape[1]))])
    share = np.zeros(2)
    share[: len(s[:2])] = s[:2] ** 2 / total
    return coords, share


def item_map(ratings: Ratings, item_factors: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Items placed by the 2-D projection of their learned features, labelled by first genre."""
    coords, share = pca_2d(item_factors)
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    frame = pd.DataFrame({
        "pc1": coords[:, 0],
        "pc2": coords[:, 1],
        "genre": [(ratings.genres_of(i) or ("no genre",))[0] for i in range(ratings.n_items)],
        "label": [f"{ratings.title(i)} · {', '.join(ratings.genres_of(i))} · {counts[i]} ratings"
                  for i in range(ratings.n_items)],
    })
    return frame, share


# --- quiz experiments and the key insight ---------------------------------------------------------

NEIGHBOURS_CLEAR = 1.5  # neighbours share a genre this many times more often than chance: taste learned


def preprocessing_outcome(results: dict[str, PreprocessingResult], baseline_rmse: float, train_mean: float):
    """(sentence, (right option, explanation)) for "which preprocessing is best?" from the learner's runs."""
    order = ["zero", "mean", "mask"]
    scores = ", ".join(f"{PREPROCESSING_LABELS[c]} {results[c].val_rmse:.3f}" for c in order if c in results)
    return (f"Held-out RMSE — {scores} stars.",
            (order.index(best_choice(results)), experiment_findings(results, baseline_rmse, train_mean)))


def neighbours_outcome(ratings: Ratings, item_factors: np.ndarray):
    """(sentence, (right option, explanation)) for "do neighbours share genres?" from the learner's model."""
    found = genre_agreement(ratings, item_factors)
    if found is None:
        return "This data has no genres, so the question cannot be checked here.", (1, "No genres to compare.")
    ratio = found["neighbour_share"] / max(found["random_share"], 1e-9)
    answer = 0 if ratio >= NEIGHBOURS_CLEAR else 1 if ratio >= 1 / NEIGHBOURS_CLEAR else 2
    why = (f"Your model: {found['neighbour_share']:.0%} of nearest neighbours share a genre, random items "
           f"{found['random_share']:.0%} ({ratio:.1f}x). Features only capture taste where users' ratings overlap: with "
           "more ratings per user they do.")
    return (f"Nearest neighbours share a genre {found['neighbour_share']:.0%} of the time; random items "
            f"{found['random_share']:.0%}.", (answer, why))


def quiz_numbers(ratings: Ratings, k: int) -> dict[str, float]:
    """The quiz bank's template fields, from the data in use and the learner's number of features."""
    empty = 1 - ratings.density
    return {"n_users": ratings.n_users, "n_items": ratings.n_items, "k": k, "empty": empty,
            "fake_per_real": empty / ratings.density, "neighbours": NEIGHBOUR_COUNT, "clear": NEIGHBOURS_CLEAR}


def quiz_experiments(results_of_run, run: TrainingRun, train: Ratings, baseline_rmse: float) -> dict:
    """The quiz's "predict, then run" experiments on the learner's own run."""
    return {"preprocessing": lambda: preprocessing_outcome(results_of_run(), baseline_rmse, train.global_mean),
            "neighbours": lambda: neighbours_outcome(train, np.asarray(run.params.item_factors)),
            "coraters": lambda: coraters_outcome(train, np.asarray(run.params.item_factors))}


def insight(results: dict[str, PreprocessingResult] | None, train: Ratings, baseline_rmse: float,
            params: MFParams | None, k: int) -> str:
    """What this learner's own run showed, in sentences made from its numbers."""
    if results is None or params is None:
        return "Train the model (Training tab) and this says what your own run showed."
    mask, zero = results["mask"], results.get("zero")
    text = (f"From {train.n_ratings:,} ratings your model learned {k} features for each of {train.n_users:,} users and "
            f"{train.n_items:,} items; keeping the mask it misses held-out ratings by **{mask.val_rmse:.3f} stars** "
            f"(guessing the mean: {baseline_rmse:.3f}).")
    if zero is not None:
        text += f" Treating every missing rating as 0 made that **{zero.val_rmse:.3f}**: unseen is not disliked."
    agreement = genre_agreement(train, np.asarray(params.item_factors))
    if agreement is not None:
        share, chance = agreement["neighbour_share"], agreement["random_share"]
        text += (f" Items close in feature space share a genre {share:.0%} of the time (chance: {chance:.0%}): "
                 "similarity learned from users' overlapping tastes alone." if share >= NEIGHBOURS_CLEAR * chance else
                 f" Nearest items share a genre only {share:.0%} of the time (chance: {chance:.0%}): too few "
                 "overlapping ratings to learn tastes yet — try more ratings per user.")
    return text
