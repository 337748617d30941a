"""Models with no taste features: the bars a recommender has to clear.

Guessing the mean rating, and the bias-only model ``mu + b_u + b_i`` (Koren 2010; Surprise's
BaselineOnly): how generous each user is and how liked each item is, nothing personal. A model
that cannot beat them has learned nothing about taste, so the Playground scores them beside MF.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from recsys_core.data import Ratings
from recsys_core.models.mf import MFParams

# Surprise's BaselineOnly (ALS) defaults: each bias is a mean of residuals shrunk by these counts.
BIAS_REG_ITEMS, BIAS_REG_USERS, BIAS_ITERATIONS = 10.0, 15.0, 10


def bias_iterations(train: Ratings, iterations: int = BIAS_ITERATIONS, reg_items: float = BIAS_REG_ITEMS,
                    reg_users: float = BIAS_REG_USERS) -> Iterator[MFParams]:
    """The bias-only model after each alternating pass, as MF with rank 0 (numpy parameters).

    Each pass sets every item bias to the mean residual of its ratings shrunk towards zero,
    ``sum(r - mu - b_u) / (n_i + reg_items)``, then every user bias likewise: an item with two
    5-star ratings does not outrank one loved by hundreds. Zero-width factor tables let every
    MF scorer and predictor work on the result.
    """
    mu = train.global_mean
    users, items, ratings = train.users, train.items, train.ratings.astype(np.float64)
    n_items = np.bincount(items, minlength=train.n_items)
    n_users = np.bincount(users, minlength=train.n_users)
    user_bias, item_bias = np.zeros(train.n_users), np.zeros(train.n_items)
    for _ in range(iterations):
        item_bias = np.bincount(items, ratings - mu - user_bias[users], train.n_items) / (n_items + reg_items)
        user_bias = np.bincount(users, ratings - mu - item_bias[items], train.n_users) / (n_users + reg_users)
        yield MFParams(
            global_mean=np.float32(mu),
            user_bias=user_bias.astype(np.float32),
            item_bias=item_bias.astype(np.float32),
            user_factors=np.zeros((train.n_users, 0), np.float32),
            item_factors=np.zeros((train.n_items, 0), np.float32),
        )
