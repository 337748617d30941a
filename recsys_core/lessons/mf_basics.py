"""What the page "Matrix factorization basics" shows, computed from live objects.

The lesson (seed 003) walks a ratings matrix with holes through five stages — initialise two
factor tables, multiply, measure the loss on known cells only, step down the gradient — and
the synthetic catalogue lets it compare what the model learned with the truth it planted.
numpy only; the page lays the results out.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data import Ratings
from recsys_core.lessons.stages import stage, user_row_text, vector_text
from recsys_core.models.mf import MFParams, predict_mf_numpy, score_matrix, single_user


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
    `gradient_step_trace`): before, after and the loss around it.
    """
    n_users, n_items, k = train.n_users, train.n_items, init.k
    item = int(train.items[train.users == user][0])
    missing_share = 1.0 - train.density
    predicted = float(predict_mf_numpy(trained, np.array([user]), np.array([item]))[0])
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
    predicted = score_matrix(params)
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


def gradient_step_trace(params: MFParams, train: Ratings, user: int, learning_rate: float, l2: float) -> dict:
    """The lesson's "update features" stage: one gradient step on one user's features, as numpy.

    With the item features held fixed, take the user's part of the loss — the mean over the
    user's known ratings of squared error plus ``l2 * (|p_u|² + b_u²)`` — and step ``p_u`` and
    ``b_u`` once down its gradient (``after = before - learning_rate * gradient``). Returned:
    the user's known ``items`` and ``ratings``; ``user_vector_before`` / ``gradient`` /
    ``user_vector_after``; the same for the bias (``user_bias_before``, ``bias_gradient``,
    ``user_bias_after``); ``predictions_before`` / ``predictions_after`` on the known items;
    and ``loss_before`` / ``loss_after`` (the user's loss) and ``mse_before`` / ``mse_after``.
    A user with no ratings gets a zero gradient: nothing to learn from.
    """
    mask = train.users == user
    items = train.items[mask].astype(np.int32)
    ratings = train.ratings[mask].astype(np.float32)
    p = np.asarray(params.user_factors[user], np.float64)
    b = float(params.user_bias[user])
    q = np.asarray(params.item_factors, np.float64)[items]

    def user_loss(vector: np.ndarray, bias: float) -> tuple[float, float, np.ndarray]:
        pred = predict_mf_numpy(single_user(params, vector, bias), np.zeros(len(items), np.int64), items)
        mse = float(np.mean((pred - ratings) ** 2)) if len(items) else 0.0
        return mse + l2 * (float(vector @ vector) + bias * bias), mse, pred

    loss_before, mse_before, pred_before = user_loss(p, b)
    if len(items):
        err = pred_before - ratings
        grad_p = 2.0 * (q.T @ err) / len(items) + 2.0 * l2 * p
        grad_b = 2.0 * float(err.mean()) + 2.0 * l2 * b
    else:
        grad_p, grad_b = np.zeros_like(p), 0.0
    p_after = p - learning_rate * grad_p
    b_after = b - learning_rate * grad_b
    loss_after, mse_after, pred_after = user_loss(p_after, b_after)
    return {
        "items": items,
        "ratings": ratings,
        "user_vector_before": p.astype(np.float32),
        "gradient": grad_p.astype(np.float32),
        "user_vector_after": p_after.astype(np.float32),
        "user_bias_before": b,
        "bias_gradient": grad_b,
        "user_bias_after": b_after,
        "predictions_before": pred_before.astype(np.float32),
        "predictions_after": pred_after.astype(np.float32),
        "loss_before": loss_before,
        "loss_after": loss_after,
        "mse_before": mse_before,
        "mse_after": mse_after,
        "learning_rate": learning_rate,
        "l2": l2,
    }
