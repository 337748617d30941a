"""Pipeline-trace stages computed from the live data and model.

Each lesson document opens with a data-flow table (stage, input shape, operation, output
shape, example). The app rebuilds that table from the objects actually in memory, so the
shapes and the example numbers change when the learner changes the data or retrains. These
functions return plain dicts of strings; the page only lays them out.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data import Ratings
from recsys_core.models import MFParams


def stage(name: str, input_shape: str, operation: str, output_shape: str, example: str) -> dict[str, str]:
    return {"stage": name, "input": input_shape, "operation": operation, "output": output_shape, "example": example}


def vector_text(values: np.ndarray, shown: int = 3) -> str:
    """[0.10, 0.30, ..., 0.05], the seeds' way of printing a long vector."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size <= shown + 1:
        return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"
    return "[" + ", ".join(f"{v:.2f}" for v in values[:shown]) + f", ..., {values[-1]:.2f}]"


def example_user(ratings: Ratings) -> int:
    """A user with a few ratings, so the examples show both known and missing cells."""
    counts = np.bincount(ratings.users, minlength=ratings.n_users)
    candidates = np.flatnonzero(counts >= 3)
    return int(candidates[0]) if candidates.size else int(np.argmax(counts))


def user_row_text(ratings: Ratings, user: int, n_items: int = 3) -> str:
    """'User 1 rated The X as 4, The Y as missing, The Z as 5' from the real data."""
    mine = ratings.items[ratings.users == user]
    stars = ratings.ratings[ratings.users == user]
    rated = list(zip(mine[:2].tolist(), stars[:2].tolist(), strict=True))
    unrated = np.setdiff1d(np.arange(ratings.n_items), mine)[:1]
    parts = [f"{ratings.title(i)} as {r:g}" for i, r in rated[:1]]
    parts += [f"{ratings.title(int(i))} as missing" for i in unrated]
    parts += [f"{ratings.title(i)} as {r:g}" for i, r in rated[1:]]
    return f"User {ratings.user_ids[user]} rated " + ", ".join(parts[:n_items])


def mf_basics_stages(
    train: Ratings,
    init: MFParams,
    trained: MFParams,
    train_loss: float,
    step: dict,
    user: int,
) -> list[dict[str, str]]:
    """The five stages of the matrix-factorization lesson, as in the seed, from live objects.

    ``step`` is one gradient step's effect on ``user``'s vector (see
    ``train.gradient_step_trace``): before, after and the loss around it.
    """
    n_users, n_items, k = train.n_users, train.n_items, init.k
    item = int(train.items[train.users == user][0])
    missing_share = 1.0 - train.density
    predicted = float(trained.global_mean + trained.user_bias[user] + trained.item_bias[item]
                      + np.dot(np.asarray(trained.user_factors[user]), np.asarray(trained.item_factors[item])))
    known = float(train.ratings[(train.users == user) & (train.items == item)][0])
    return [
        stage(
            "Input data",
            f"{n_users:,} rows x {n_items:,} columns",
            f"Original user-item rating matrix with missing values ({missing_share:.1%} of cells empty)",
            f"{n_users:,} rows x {n_items:,} columns ({train.n_ratings:,} known ratings)",
            user_row_text(train, user),
        ),
        stage(
            "Initialize factor matrices",
            f"{n_users:,} rows x {n_items:,} columns",
            f"Create two smaller matrices: User features ({n_users:,} x {k}) and Item features ({n_items:,} x {k}), small random numbers",
            f"User features: {n_users:,} x {k}, Item features: {n_items:,} x {k}",
            f"User {train.user_ids[user]} features: {vector_text(init.user_factors[user])}, "
            f"{train.title(item)} features: {vector_text(init.item_factors[item])}",
        ),
        stage(
            "Matrix multiplication",
            f"User features ({n_users:,} x {k}), Item features ({n_items:,} x {k})",
            "Multiply user and item feature matrices (plus biases) to approximate every rating",
            f"{n_users:,} rows x {n_items:,} columns ({n_users * n_items:,} predictions)",
            f"Predicted rating for User {train.user_ids[user]} and {train.title(item)}: {predicted:.2f} (known: {known:g})",
        ),
        stage(
            "Loss calculation",
            f"Original ratings and predicted ratings ({n_users:,} x {n_items:,})",
            f"Squared error averaged over the {train.n_ratings:,} known training cells only (plus L2)",
            "Single loss value (scalar)",
            f"Loss = {train_loss:.3f} after training",
        ),
        stage(
            "Update features",
            f"User features ({n_users:,} x {k}), Item features ({n_items:,} x {k}), loss scalar",
            "Move every feature a small step against its gradient (gradient descent)",
            f"Updated user features ({n_users:,} x {k}), updated item features ({n_items:,} x {k})",
            f"User {train.user_ids[user]} features updated from {vector_text(step['user_vector_before'])} to "
            f"{vector_text(step['user_vector_after'])}; loss {step['loss_before']:.3f} → {step['loss_after']:.3f}",
        ),
    ]


def all_predictions(params: MFParams) -> np.ndarray:
    """Every users x items prediction (unclipped), as numpy."""
    p = np.asarray(params.user_factors)
    q = np.asarray(params.item_factors)
    return (float(params.global_mean) + np.asarray(params.user_bias)[:, None]
            + np.asarray(params.item_bias)[None, :] + p @ q.T)


def planted_recovery(params: MFParams, ratings: Ratings, min_item_ratings: int = 20) -> dict[str, float] | None:
    """How much of the synthetic catalogue's planted structure the model recovered.

    Compared over every cell (rated or not): the correlation between the model's predictions
    and the noise-free true ratings, and the RMSE between them; plus how well a linear map of
    the learned item factors explains the true genre vectors (R², 1 = every genre direction
    found), over items with at least ``min_item_ratings`` ratings — an item rated twice keeps
    roughly its random start, and says nothing about what the model can learn. None when the
    data has no planted truth (a learner's own file).
    """
    truth = ratings.truth
    if truth is None:
        return None
    predicted = all_predictions(params)
    users, items = np.meshgrid(np.arange(ratings.n_users), np.arange(ratings.n_items), indexing="ij")
    expected = truth.expected_rating(users.ravel(), items.ravel()).reshape(predicted.shape)
    baseline = np.full_like(expected, ratings.global_mean)
    well_rated = np.bincount(ratings.items, minlength=ratings.n_items) >= min_item_ratings
    q = np.asarray(params.item_factors, dtype=float)[well_rated]
    target = truth.item_vector[well_rated]
    design = np.hstack([q, np.ones((q.shape[0], 1))])
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coef
    total = target - target.mean(axis=0)
    return {
        "correlation": float(np.corrcoef(predicted.ravel(), expected.ravel())[0, 1]),
        "rmse_to_truth": float(np.sqrt(np.mean((np.clip(predicted, 1, 5) - expected) ** 2))),
        "baseline_rmse_to_truth": float(np.sqrt(np.mean((baseline - expected) ** 2))),
        "genre_r2": float(1.0 - (residual**2).sum() / (total**2).sum()) if well_rated.sum() > q.shape[1] + 1 else float("nan"),
        "well_rated_items": int(well_rated.sum()),
    }
