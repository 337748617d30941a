"""What the page "Matrix factorization basics" shows, computed from live objects.

The lesson (seed 003) walks a ratings matrix with holes through five stages — initialise two
factor tables, multiply, measure the loss on known cells only, step down the gradient — starting
from a toy table a learner can edit, and the synthetic catalogue lets it compare what the model
learned with the truth it planted. numpy only; the page lays the results out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from recsys_core.data import Ratings, matrix_window
from recsys_core.lessons.stages import stage, user_row_text, vector_text
from recsys_core.models.mf import MFParams, predict_mf_numpy, score_matrix, single_user

# --- the toy: a table small enough to touch ------------------------------------------------------

# The seed's first row ("User 1 rated Movie 1 as 4, Movie 2 as missing, Movie 3 as 5") and five
# more users; two tastes (users 1-3 like movies 1 and 3, users 4-6 like movies 2 and 5).
TOY_RATINGS = np.array([
    [4, np.nan, 5, 2, np.nan],
    [5, 1, np.nan, 2, 1],
    [np.nan, 2, 4, np.nan, 1],
    [1, 5, np.nan, 3, 4],
    [2, np.nan, 1, np.nan, 5],
    [np.nan, 4, 2, 3, np.nan],
])
TOY_USERS = tuple(f"User {u}" for u in range(1, 7))
TOY_ITEMS = tuple(f"Movie {i}" for i in range(1, 6))
TOY_RANK = 2


def toy_start(seed: int = 0, scale: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Small random rank-2 factors for the toy: user features (6 x 2), item features (5 x 2)."""
    rng = np.random.default_rng(seed)
    n_users, n_items = TOY_RATINGS.shape
    return scale * rng.standard_normal((n_users, TOY_RANK)), scale * rng.standard_normal((n_items, TOY_RANK))


def toy_loss(ratings: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Mean squared error of P Q^T over the known cells only (missing cells are NaN)."""
    known = ~np.isnan(ratings)
    if not known.any():
        return float("nan")
    return float(np.mean(((p @ q.T) - ratings)[known] ** 2))


TOY_LEARNING_RATE = 0.5


def toy_steps(ratings: np.ndarray, p: np.ndarray, q: np.ndarray, steps: int,
              learning_rate: float = TOY_LEARNING_RATE) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` full-batch gradient steps on `toy_loss` (both tables move together).

    With E = (P Q^T - R) on known cells and 0 elsewhere, the gradients are (2/n) E Q and
    (2/n) E^T P: a missing cell contributes nothing, exactly as the lesson says.
    """
    known = ~np.isnan(ratings)
    target = np.where(known, ratings, 0.0)
    n = max(int(known.sum()), 1)
    for _ in range(steps):
        error = np.where(known, p @ q.T - target, 0.0)
        p, q = p - learning_rate * (2 / n) * error @ q, q - learning_rate * (2 / n) * error.T @ p
    return p, q


def toy_tables(ratings: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every cell predicted, the ratings with only their missing cells filled in)."""
    predicted = p @ q.T
    filled = np.where(np.isnan(ratings), predicted, ratings)
    frame = lambda values: pd.DataFrame(np.round(values, 2), index=list(TOY_USERS), columns=list(TOY_ITEMS))  # noqa: E731
    return frame(predicted), frame(filled)


# --- the five stages ----------------------------------------------------------------------------


def loss_terms(params: MFParams, train: Ratings, l2: float) -> tuple[float, float]:
    """(squared error averaged over the known training cells, the L2 term added to it).

    The L2 term is what `recsys_core.models.mf.mf_loss` charges: l2 times the mean over ratings
    of the squared sizes of the rows each rating uses (biases and factors).
    """
    users, items = train.users, train.items
    error = predict_mf_numpy(params, users, items) - train.ratings
    sizes = (np.asarray(params.user_bias, np.float64)[users] ** 2 + np.asarray(params.item_bias, np.float64)[items] ** 2
             + np.sum(np.asarray(params.user_factors, np.float64)[users] ** 2, axis=1)
             + np.sum(np.asarray(params.item_factors, np.float64)[items] ** 2, axis=1))
    return float(np.mean(error**2)), float(l2 * np.mean(sizes))


def mf_basics_stages(train: Ratings, init: MFParams, trained: MFParams, l2: float, step: dict, user: int,
                     trained_epochs: int) -> list[dict[str, str]]:
    """The five stages of the matrix-factorization lesson, as in the seed, from live objects.

    ``step`` is one gradient step from the *initial* weights on ``user``'s features (see
    `gradient_step_trace`); stage 5 also shows how far the whole run moved them.
    """
    n_users, n_items, k = train.n_users, train.n_items, init.k
    item = int(train.items[train.users == user][0])
    known = float(train.ratings[(train.users == user) & (train.items == item)][0])
    before = float(predict_mf_numpy(init, np.array([user]), np.array([item]))[0])
    after = float(predict_mf_numpy(trained, np.array([user]), np.array([item]))[0])
    (mse0, pen0), (mse1, pen1) = loss_terms(init, train, l2), loss_terms(trained, train, l2)
    uid, title = train.user_ids[user], train.title(item)
    whole_run = np.abs(np.asarray(trained.user_factors[user]) - np.asarray(init.user_factors[user])).mean()
    return [
        stage("Input data", f"{n_users:,} rows x {n_items:,} columns",
              f"Original user-item rating matrix with missing values ({1 - train.density:.1%} of cells empty)",
              f"{n_users:,} rows x {n_items:,} columns ({train.n_ratings:,} known ratings)", user_row_text(train, user)),
        stage("Initialize factor matrices", f"{n_users:,} rows x {n_items:,} columns",
              f"Create two smaller matrices: User features ({n_users:,} x {k}) and Item features ({n_items:,} x {k}), "
              "small random numbers; one bias per user and per item, starting at 0",
              f"User features: {n_users:,} x {k}, Item features: {n_items:,} x {k}",
              f"User {uid} features: {vector_text(init.user_factors[user])}, {title} features: "
              f"{vector_text(init.item_factors[item])}"),
        stage("Matrix multiplication", f"User features ({n_users:,} x {k}), Item features ({n_items:,} x {k})",
              "Multiply user and item feature matrices and add the mean rating and both biases: every rating approximated",
              f"{n_users:,} rows x {n_items:,} columns ({n_users * n_items:,} predictions)",
              f"Predicted rating for User {uid} and {title}: {before:.2f} at the start, {after:.2f} after "
              f"{trained_epochs:,} epochs (known: {known:g})"),
        stage("Loss calculation", f"Original ratings and predicted ratings ({n_users:,} x {n_items:,})",
              f"Squared error averaged over the {train.n_ratings:,} known training cells only, plus L2 ({l2:g}) on the "
              "sizes of the factors and biases each rating uses",
              "Single loss value (scalar)",
              f"At the start: {mse0:.3f} + L2 {pen0:.3f} = {mse0 + pen0:.3f}; after training: {mse1:.3f} + L2 "
              f"{pen1:.3f} = {mse1 + pen1:.3f}"),
        stage("Update features", f"User features ({n_users:,} x {k}), Item features ({n_items:,} x {k}), loss scalar",
              f"Move every feature a small step against its gradient (learning rate {step['learning_rate']:g})",
              f"Updated user features ({n_users:,} x {k}), updated item features ({n_items:,} x {k})",
              f"User {uid}'s first step: {vector_text(step['user_vector_before'], digits=3)} → "
              f"{vector_text(step['user_vector_after'], digits=3)}, their loss {step['loss_before']:.3f} → "
              f"{step['loss_after']:.3f}; over the whole run each of their features moved {whole_run:.3f} on average"),
    ]


def gradient_step_trace(params: MFParams, train: Ratings, user: int, learning_rate: float, l2: float) -> dict:
    """The lesson's "update features" stage: one gradient step on one user's features, as numpy.

    With the item features held fixed, take the user's part of the loss — the sum over the
    user's known ratings of squared error plus ``l2 * (|p_u|² + b_u²)`` per rating, which is what
    one epoch of per-rating SGD adds up to for this user — and step ``p_u`` and ``b_u`` once down
    its gradient (``after = before - learning_rate * gradient``). Returned: the user's known
    ``items`` and ``ratings``; ``user_vector_before`` / ``gradient`` / ``user_vector_after``; the
    same for the bias; ``predictions_before`` / ``predictions_after``; and ``loss_before`` /
    ``loss_after`` (the user's mean loss per rating) and ``mse_before`` / ``mse_after``. A user
    with no ratings gets a zero gradient: nothing to learn from.
    """
    mask = train.users == user
    items = train.items[mask].astype(np.int32)
    ratings = train.ratings[mask].astype(np.float64)
    p = np.asarray(params.user_factors[user], np.float64)
    b = float(params.user_bias[user])
    q = np.asarray(params.item_factors, np.float64)[items]

    def user_loss(vector: np.ndarray, bias: float) -> tuple[float, float, np.ndarray]:
        pred = predict_mf_numpy(single_user(params, vector, bias), np.zeros(len(items), np.int64), items)
        mse = float(np.mean((pred - ratings) ** 2)) if len(items) else 0.0
        return mse + l2 * (float(vector @ vector) + bias * bias), mse, pred

    loss_before, mse_before, pred_before = user_loss(p, b)
    err = pred_before - ratings
    grad_p = 2.0 * (q.T @ err) + 2.0 * l2 * len(items) * p
    grad_b = 2.0 * float(err.sum()) + 2.0 * l2 * len(items) * b
    p_after, b_after = p - learning_rate * grad_p, b - learning_rate * grad_b
    loss_after, mse_after, pred_after = user_loss(p_after, b_after)
    return {
        "items": items, "ratings": ratings.astype(np.float32),
        "user_vector_before": p.astype(np.float32), "gradient": grad_p.astype(np.float32),
        "user_vector_after": p_after.astype(np.float32),
        "user_bias_before": b, "bias_gradient": grad_b, "user_bias_after": b_after,
        "predictions_before": pred_before.astype(np.float32), "predictions_after": pred_after.astype(np.float32),
        "loss_before": loss_before, "loss_after": loss_after, "mse_before": mse_before, "mse_after": mse_after,
        "learning_rate": learning_rate, "l2": l2,
    }


# --- learned vs planted -------------------------------------------------------------------------


def planted_recovery(params: MFParams, ratings: Ratings, min_item_ratings: int = 20) -> dict[str, float] | None:
    """How much of the synthetic catalogue's planted structure the model recovered.

    Compared over every cell (rated or not): the correlation between the model's predictions
    and the noise-free true ratings, and the RMSE between them. And how well the learned item
    factors predict the true genre vectors of items they were *not fitted on*: a linear map is
    fitted on half of the well-rated items (at least ``min_item_ratings`` ratings) and its R² is
    scored on the other half, so more factors cannot raise it just by having more columns to fit
    with. None when the data has no planted truth (a learner's own file).
    """
    truth = ratings.truth
    if truth is None:
        return None
    predicted = score_matrix(params)
    expected = truth.expected_matrix()
    baseline = np.full_like(expected, ratings.global_mean)
    well_rated = np.flatnonzero(np.bincount(ratings.items, minlength=ratings.n_items) >= min_item_ratings)
    fit, held = well_rated[0::2], well_rated[1::2]
    q = np.asarray(params.item_factors, dtype=float)
    design = lambda rows: np.hstack([q[rows], np.ones((len(rows), 1))])  # noqa: E731
    r2 = float("nan")
    if len(fit) > q.shape[1] + 1 and len(held) > 1:
        coef, *_ = np.linalg.lstsq(design(fit), truth.item_vector[fit], rcond=None)
        target = truth.item_vector[held]
        residual = target - design(held) @ coef
        r2 = float(1.0 - (residual**2).sum() / ((target - target.mean(axis=0)) ** 2).sum())
    low, high = ratings.rating_scale
    return {
        "correlation": float(np.corrcoef(predicted.ravel(), expected.ravel())[0, 1]),
        "rmse_to_truth": float(np.sqrt(np.mean((np.clip(predicted, low, high) - expected) ** 2))),
        "baseline_rmse_to_truth": float(np.sqrt(np.mean((baseline - expected) ** 2))),
        "genre_r2": r2,
        "well_rated_items": len(well_rated),
        "min_item_ratings": min_item_ratings,
        "held_out_items": len(held),
    }


def genre_r2_text(recovery: dict, k: int) -> tuple[str, str]:
    """The genre-recovery metric and its help text; "n/a" when too few items were fit to measure it."""
    r2, well_rated, minimum = recovery["genre_r2"], recovery["well_rated_items"], recovery["min_item_ratings"]
    if np.isfinite(r2):
        return f"{r2:.0%}", (f"A linear map from the learned features to the true genres, fitted on half of the "
                             f"{well_rated:,} items with at least {minimum} ratings and scored on the other "
                             f"{recovery['held_out_items']:,}: more features cannot raise it by fitting more columns.")
    # too few well-rated items to fit a map with k + 1 coefficients (little data, high rank)
    return "n/a", (f"Not measurable here: half of the {well_rated:,} items with at least {minimum} ratings is too few "
                   f"to fit a map from {k} features. More ratings or a smaller rank make it measurable.")


# --- the replay -------------------------------------------------------------------------------


def replay_window(train: Ratings, n_users: int = 15, n_items: int = 20) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The ratings window the replay fills in: (window, its user indices, its item indices)."""
    window = matrix_window(train, n_users, n_items)
    users = np.searchsorted(train.user_ids, window.index.to_numpy())
    counts = np.bincount(train.items, minlength=train.n_items)
    items = np.argsort(-counts, kind="stable")[:n_items]
    return window, users, items


def replay_snapshot(users: np.ndarray, items: np.ndarray, rows: int = 30) -> Callable[[MFParams], dict]:
    """What a replay keeps of each epoch: the window's predictions and the first factor rows."""
    def snapshot(params: MFParams) -> dict:
        return {"window": score_matrix(params, users)[:, items].astype(np.float32),
                "user_factors": np.asarray(params.user_factors[:rows], np.float32),
                "item_factors": np.asarray(params.item_factors[:rows], np.float32)}

    return snapshot


# --- quiz experiments and the key insight ---------------------------------------------------------

BIG_LEARNING_RATE = 5.0  # the quiz's "predict, then run" rate (plain SGD)
RANK_TIE = 0.002  # validation RMSE gap (stars) below which two ranks count as a tie
SEED_RANK = 10  # the lesson document's rank: the rank question compares rank 1 with at least this


def ranks_compared(k: int) -> tuple[int, int]:
    """The two ranks the rank question trains: one taste, and the learner's rank (at least the seed's)."""
    return 1, max(k, SEED_RANK)


def quiz_numbers(ratings: Ratings, k: int) -> dict[str, float]:
    """The intro's and the quiz bank's template fields, from the data in use and the lesson's settings."""
    small, big = ranks_compared(k)
    return {"n_users": ratings.n_users, "n_items": ratings.n_items, "empty": 1 - ratings.density,
            "big_lr": BIG_LEARNING_RATE, "rank_small": small, "rank_big": big, "tie": RANK_TIE}


def big_learning_rate_result(probe) -> str:
    """The quiz's big-learning-rate run in one sentence, from its history."""
    first, last = probe.history[0], probe.history[-1]
    if probe.diverged:
        return (f"With learning rate {BIG_LEARNING_RATE:g} the training loss went from {first.train_loss:.3f} (untrained) "
                f"to {'NaN' if not np.isfinite(last.train_loss) else f'{last.train_loss:.3g}'} and the run stopped at "
                f"epoch {probe.epochs_done}: it diverged.")
    return (f"With learning rate {BIG_LEARNING_RATE:g} the training loss went from {first.train_loss:.3f} to "
            f"{last.train_loss:.3f} over {probe.epochs_done} epochs.")


def rank_result(small, big, k: int) -> tuple[str, tuple[int, str]]:
    """(sentence, (right option, explanation)) for the rank-1-vs-higher-rank question."""
    a, b = small.history[-1].val_metric, big.history[-1].val_metric
    answer = 0 if a < b - RANK_TIE else 1 if b < a - RANK_TIE else 2
    why = (f"Your run: rank {small.params.user_factors.shape[1]} reached validation RMSE {a:.3f}, rank {k} reached {b:.3f} "
           f"({'a tie' if answer == 2 else f'{abs(a - b):.3f} stars apart'}). More features can describe more kinds of "
           "taste — which pays off when users have rated enough to pin them down, and L2 keeps them from fitting noise.")
    return f"Rank {small.params.user_factors.shape[1]}: validation RMSE {a:.3f} · rank {k}: {b:.3f}", (answer, why)


def insight(run, train: Ratings, baseline_rmse: float, recovery: dict | None, k: int) -> str:
    """What this learner's own run showed, in sentences made from its numbers."""
    if run is None or not run.trained:
        return "Train the model (Training tab) and this says what your own run showed."
    first, last = run.history[0], run.history[run.params_epoch]
    text = (f"Your loss went from **{first.train_loss:.3f}** untrained to **{last.train_loss:.3f}** after "
            f"{run.params_epoch:,} epochs, and on ratings the model never saw it misses by **{last.val_metric:.3f} stars** "
            f"on average (guessing the mean misses by {baseline_rmse:.3f}). Two tables of just "
            f"{(train.n_users + train.n_items) * k:,} numbers (plus {train.n_users + train.n_items:,} biases) now fill in "
            f"all {train.n_users * train.n_items:,} cells.")
    if recovery is not None:
        text += f" Compared with the planted truth, the filled-in table correlates at **{recovery['correlation']:.2f}**."
    return text
