"""What every lesson's pipeline trace is made of: a stage row, and the seeds' way of printing numbers.

Each lesson document opens with a data-flow table (stage, input shape, operation, output
shape, example). The app rebuilds that table from the objects actually in memory, so the
shapes and the example numbers change when the learner changes the data or retrains. These
functions return plain dicts of strings; the page only lays them out.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data import Ratings


def stage(name: str, input_shape: str, operation: str, output_shape: str, example: str) -> dict[str, str]:
    return {"stage": name, "input": input_shape, "operation": operation, "output": output_shape, "example": example}


def vector_text(values: np.ndarray, shown: int = 3, digits: int = 2) -> str:
    """[0.10, 0.30, ..., 0.05], the seeds' way of printing a long vector."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size <= shown + 1:
        return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values[:shown]) + f", ..., {values[-1]:.{digits}f}]"


def example_user(ratings: Ratings) -> int:
    """A user with a typical number of ratings (the median, at least 3), so examples show both
    known and missing cells and a training step visibly moves their features."""
    counts = np.bincount(ratings.users, minlength=ratings.n_users)
    target = max(3, int(np.median(counts)))
    candidates = np.flatnonzero(counts >= target)
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
