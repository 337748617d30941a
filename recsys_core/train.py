"""Training runs as explicit state, advanced a chunk of epochs at a time.

A page cannot block on one long training loop: it has to redraw the loss chart after every
epoch and honour a Stop click. So a run is a value (`TrainingRun`) that a trainer advances by
a few epochs and hands back; the page stores it between reruns. Every model's trainer speaks
the same small protocol (`Trainer`), so one live-training widget serves every lesson.

This module holds what all trainers share: the per-epoch record, the observation text a
learner reads beside each epoch, divergence detection and early stopping. The model-specific
trainers live beside their models and build on these pieces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import jax

# Why a run ended; None while it can still go on.
COMPLETED = "completed"
EARLY_STOPPED = "early_stopped"
DIVERGED = "diverged"
STOPPED = "stopped"


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did, in the units the lesson reports (1-based epoch)."""

    epoch: int
    train_loss: float
    val_loss: float
    train_metric: float = math.nan  # the lesson's accuracy measure on training data
    val_metric: float = math.nan  # ... and on held-out data
    seconds: float = 0.0


@dataclass(frozen=True)
class TrainingRun:
    """One run's whole state: parameters, optimiser state, history and why it ended.

    ``best_params`` and ``best_epoch`` follow the lowest validation loss so early stopping can
    restore them. ``extra`` holds trainer-specific state (a numpy RNG for shuffling, batch
    norm statistics, ...).
    """

    params: Any
    opt_state: Any
    history: tuple[EpochRecord, ...] = ()
    best_params: Any = None
    best_epoch: int = 0
    stop_reason: str | None = None
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    @property
    def last(self) -> EpochRecord | None:
        return self.history[-1] if self.history else None


class Trainer(Protocol):
    """What the live-training widget needs from a model's trainer.

    ``start`` builds a fresh run (initialised parameters, no history); ``advance`` trains up to
    ``n_epochs`` more epochs and returns the new run, finished when the epoch budget is spent,
    early stopping fired or training diverged. Neither mutates its input.
    """

    loss_name: str  # e.g. "MSE (stars²)" or "binary cross-entropy"
    metric_name: str  # e.g. "RMSE (stars)" or "accuracy"
    metric_higher_is_better: bool
    epochs: int

    def start(self) -> TrainingRun: ...

    def advance(self, run: TrainingRun, n_epochs: int) -> TrainingRun: ...


def stop(run: TrainingRun) -> TrainingRun:
    """The learner pressed Stop: keep what was learned, say so."""
    if run.finished:
        return run
    return replace(
        run,
        stop_reason=STOPPED,
        message=f"Stopped by you after {run.epochs_done} epoch(s).",
    )


def divergence_message(loss: float, first_loss: float, learning_rate: float) -> str | None:
    """Explain a diverging run, or return None when the loss is still sane.

    A loss that is NaN/inf, or has grown to more than 10x where it started, will not come back:
    the steps are overshooting the minimum. The fix is nearly always a smaller learning rate.
    """
    if not math.isfinite(loss):
        what = "became NaN" if math.isnan(loss) else "became infinite"
    elif math.isfinite(first_loss) and first_loss > 0 and loss > 10 * first_loss:
        what = f"grew from {first_loss:.3g} to {loss:.3g}"
    else:
        return None
    return (
        f"Training diverged: the loss {what}. Each update overshot the minimum, so the "
        f"weights blew up. Lower the learning rate (it is {learning_rate:g}; try "
        f"{learning_rate / 10:g}) or raise L2 regularisation, then train again."
    )


def update_best(run: TrainingRun, record: EpochRecord, params: Any, patience: int | None) -> TrainingRun:
    """Track the best epoch by validation loss; finish the run when patience runs out.

    ``patience=None`` turns early stopping off (the best epoch is still tracked so the app can
    mark it). With early stopping on, the run ends holding the best epoch's parameters, as
    Keras's ``restore_best_weights=True`` does.
    """
    improved = run.best_epoch == 0 or record.val_loss < run.history[run.best_epoch - 1].val_loss
    if improved:
        run = replace(run, best_params=params, best_epoch=record.epoch)
    if patience is not None and record.epoch - run.best_epoch >= patience:
        best = run.history[run.best_epoch - 1]
        run = replace(
            run,
            params=run.best_params,
            stop_reason=EARLY_STOPPED,
            message=(
                f"Early stopping: validation loss has not improved for {patience} epochs, so "
                f"training stopped at epoch {record.epoch} and restored epoch "
                f"{run.best_epoch} (validation loss {best.val_loss:.4f})."
            ),
        )
    return run


def observations(history: tuple[EpochRecord, ...] | list[EpochRecord], higher_is_better: bool = True) -> list[str]:
    """One sentence per epoch describing what the numbers did, for the epoch table.

    The sentences are generated from the history, never canned: falling loss, a plateau,
    validation loss rising while training loss falls (overfitting), or a blow-up.
    """
    notes: list[str] = []
    best_val = math.inf
    for i, rec in enumerate(history):
        if not math.isfinite(rec.train_loss):
            notes.append("Loss is NaN/inf: training diverged — lower the learning rate.")
            continue
        if i == 0:
            notes.append("Starting point: the weights are random, so the loss is at its highest.")
            best_val = rec.val_loss
            continue
        prev = history[i - 1]
        change = (rec.train_loss - prev.train_loss) / max(abs(prev.train_loss), 1e-12)
        val_up = rec.val_loss > prev.val_loss + 1e-9
        if change > 0.5:
            note = "Training loss jumped up: steps are too large — the run is becoming unstable."
        elif val_up and rec.train_loss < prev.train_loss and rec.val_loss > best_val:
            note = (
                "Validation loss rose while training loss fell: the model is starting to "
                "memorise the training data (overfitting)."
            )
        elif change < -0.05:
            note = f"Loss fell {abs(change):.0%}: the model is still learning quickly."
        elif change < -0.005:
            note = f"Loss fell {abs(change):.1%}: learning is slowing down."
        elif change <= 0.005:
            note = "Loss barely moved: training has plateaued (converged)."
        else:
            note = "Loss rose a little: noise from minibatches, or a learning rate on the high side."
        if math.isfinite(rec.val_metric) and math.isfinite(prev.val_metric):
            better = rec.val_metric > prev.val_metric if higher_is_better else rec.val_metric < prev.val_metric
            if better and "overfitting" not in note:
                note += " Held-out accuracy improved."
        best_val = min(best_val, rec.val_loss)
        notes.append(note)
    return notes


def device_summary() -> str:
    """Which device JAX computes on, for the sidebar (respects JAX_PLATFORMS)."""
    devices = jax.devices()
    kind = devices[0].platform.upper()
    return f"{kind} ({len(devices)} device{'s' if len(devices) != 1 else ''}: {devices[0].device_kind})"
