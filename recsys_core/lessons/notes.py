"""The Observation column of every epoch table: one honest sentence per epoch, from the numbers.

A learner reads these beside the loss curve, so a note may only claim what the history shows
beyond noise: "converged" needs the loss to have stopped moving *and* stopped falling steadily
(a slow straight-line fall is a learning rate that is too small, not convergence), and
"overfitting" needs validation loss to stay above its best by more than its own epoch-to-epoch
wobble for at least two epochs (a rise of 0.0002 is not a finding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from recsys_core.training.loop import EpochRecord

CONVERGED_CHANGE = 0.005  # relative change over the last `WINDOW` epochs below which a loss has stopped
WINDOW = 3
STEADY_RATIO = 0.5  # the latest fall is at least this share of the earlier ones: still falling steadily
SLOW_STEP = 0.01  # a steady fall of less than this (relative) per epoch is "learning slowly"
NOISE_FLOOR = 0.002  # relative to the best validation loss: smaller rises are never called overfitting
OVERFIT_EPOCHS = 2  # epochs in a row above the best by more than the noise


def _relative(a: float, b: float) -> float:
    return (a - b) / max(abs(b), 1e-12)


def _noise(val: Sequence[float], best: float) -> float:
    """Epoch-to-epoch wobble of the validation loss: the median absolute change over the last
    five epochs (after the first, which is learning, not noise), floored at `NOISE_FLOOR` x best."""
    changes = np.abs(np.diff(np.asarray(val[1:], dtype=float)))[-5:]
    typical = float(np.median(changes)) if changes.size else 0.0
    return max(typical, NOISE_FLOOR * abs(best))


def _is_overfitting(history: Sequence[EpochRecord], i: int) -> bool:
    """Validation loss above its best (over epochs 1..i) by more than the noise for the last
    `OVERFIT_EPOCHS` epochs, while training loss did not rise."""
    val = [r.val_loss for r in history[: i + 1]]
    if i < OVERFIT_EPOCHS + 1 or not all(math.isfinite(v) for v in val):
        return False
    best_epoch = int(np.argmin(val[1:])) + 1
    best = val[best_epoch]
    noise = _noise(val, best)
    recent = range(i - OVERFIT_EPOCHS + 1, i + 1)
    return (best_epoch <= i - OVERFIT_EPOCHS and all(val[j] - best > noise for j in recent)
            and history[i].train_loss <= history[best_epoch].train_loss)


def _plateau(train: Sequence[float], i: int) -> str | None:
    """'slow' (a steady fall of under `SLOW_STEP` an epoch), 'converged' (under `CONVERGED_CHANGE`
    over the last `WINDOW` epochs and not falling steadily) or None, from the training loss."""
    if i < WINDOW + 1:  # epochs 1..WINDOW are still the first fall from the untrained start
        return None
    window = np.asarray(train[i - WINDOW : i + 1], dtype=float)
    steps = np.diff(window) / np.maximum(np.abs(window[:-1]), 1e-12)
    steady = bool(np.all(steps < 0)) and abs(steps[-1]) >= STEADY_RATIO * float(np.max(np.abs(steps)))
    if steady and float(np.max(np.abs(steps))) < SLOW_STEP:
        return "slow"
    if abs(_relative(window[-1], window[0])) < CONVERGED_CHANGE:
        return "converged"
    return None


def observations(history: Sequence[EpochRecord], higher_is_better: bool = True) -> list[str]:
    """One sentence per epoch of ``history`` (which starts with epoch 0, the untrained model)."""
    notes: list[str] = []
    train = [r.train_loss for r in history]
    for i, rec in enumerate(history):
        if not math.isfinite(rec.train_loss):
            notes.append("Loss is NaN/inf: training diverged — the steps were too large for this data.")
            continue
        if rec.epoch == 0:
            notes.append("Untrained: the model's random starting weights, before any update.")
            continue
        prev = history[i - 1]
        change = _relative(rec.train_loss, prev.train_loss)
        plateau = _plateau(train, i)
        if change > 0.5:
            note = "Training loss jumped up: the steps are too large — the run is becoming unstable."
        elif _is_overfitting(history, i):
            note = ("Validation loss has stayed above its best for two epochs while training loss kept falling: "
                    "the model is memorising the training data (overfitting).")
        elif plateau == "slow":
            note = (f"Learning slowly: the loss falls steadily but only {abs(change):.2%} an epoch — a larger "
                    "learning rate would go faster.")
        elif plateau == "converged":
            note = (f"Converged: the loss changed less than {CONVERGED_CHANGE:.1%} over the last {WINDOW} epochs "
                    "and is no longer falling steadily.")
        elif change < -0.05:
            note = f"Loss fell {abs(change):.0%}: the model is still learning quickly."
        elif change < 0:
            note = f"Loss fell {abs(change):.1%}: learning is slowing down."
        else:
            note = f"Loss rose {change:.1%}: noise from the minibatches, or a learning rate on the high side."
        if math.isfinite(rec.val_metric) and math.isfinite(prev.val_metric) and "overfitting" not in note:
            better = rec.val_metric > prev.val_metric if higher_is_better else rec.val_metric < prev.val_metric
            if better:
                note += " Held-out accuracy improved." if higher_is_better else " Held-out error improved."
        notes.append(note)
    return notes
