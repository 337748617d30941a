"""Compile every lesson's default programs before the first learner arrives.

XLA compiles a jitted function once per shape. The lessons' defaults fix those shapes (the
default number of ratings, the 80/20 split, each lesson's rank, batch size and network), so one
short run of each default at server start leaves the compiled programs in memory for everybody:
the first learner then waits for their own training only, not for compilation. With the
persistent compilation cache (``.jax_cache``) filled, a warm-up mostly loads programs from disk.
A learner's own seed gives other data of the same shapes, so the programs fit theirs too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from recsys_core.data import click_dataset, holdout_split, synthetic
from recsys_core.lessons.defaults import COLLABORATIVE_FILTERING, DEFAULT_RATINGS, ENGAGEMENT, MF_BASICS
from recsys_core.training.clicks import AFTER, BEFORE, BONUS_BATCHNORM, click_trainer
from recsys_core.training.loop import Trainer
from recsys_core.training.mf import mf_trainer
from recsys_core.training.neural import neural_trainer


def _programs(learning_rates: tuple[float, ...]) -> dict[str, Callable[[], Trainer]]:
    ratings = synthetic(n_ratings=DEFAULT_RATINGS, seed=0)
    train, val = holdout_split(ratings)
    clicks = click_dataset(0)
    return {
        "mf_basics": lambda: mf_trainer(train, val, MF_BASICS, learning_rates),
        "collaborative_filtering": lambda: mf_trainer(train, val, COLLABORATIVE_FILTERING, learning_rates),
        "engagement": lambda: neural_trainer(train, val, ENGAGEMENT, learning_rates),
        "overfitting (Before)": lambda: click_trainer(clicks, BEFORE, learning_rates),
        "overfitting (After)": lambda: click_trainer(clicks, AFTER, learning_rates),
        "overfitting (bonus)": lambda: click_trainer(clicks, BONUS_BATCHNORM, learning_rates),
    }


def warm_up(learning_rates: tuple[float, ...] = ()) -> dict[str, float]:
    """Run each lesson's default program for one epoch; seconds per program (compile or load included)."""
    seconds = {}
    for name, make in _programs(learning_rates).items():
        started = time.perf_counter()
        trainer = make()
        trainer.advance(trainer.start(), max_epochs=1)
        seconds[name] = time.perf_counter() - started
    return seconds
