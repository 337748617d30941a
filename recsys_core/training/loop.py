"""The one training loop: every model in the app trains through `Trainer`.

A page cannot block on one long loop: it redraws the chart as epochs finish and has to honour a
Stop click at once. So a run is a value (`TrainingRun`) that the trainer advances by a budget of
epochs or seconds and hands back; the page keeps it between reruns. The loop owns everything
that is the same for every model, so it is written once and behaves the same in every lesson:

* epoch 0 — the untrained model is measured before the first update, so every chart starts where
  the fall begins and divergence is judged against where the run started;
* timing of each epoch, and chunks sized by time rather than epochs;
* divergence — the *data* loss (without any L2 term, which a strong penalty can make large on its
  own) becomes NaN/inf or exceeds `DIVERGENCE_FACTOR` times its untrained value; the run keeps
  the last finite parameters, says so, and names a learning rate a short probe found to train;
* early stopping on validation loss and restoring the best epoch (as Keras's
  ``restore_best_weights=True``), whenever patience is set.

A model supplies an `EpochProgram`: its init, one jitted epoch, and its evaluation. Nothing else
is written per model.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp

# Why a run ended; None while it can still go on.
COMPLETED = "completed"
EARLY_STOPPED = "early_stopped"
DIVERGED = "diverged"
STOPPED = "stopped"

DIVERGENCE_FACTOR = 10.0  # a data loss this many times its untrained value will not come back
PROBE_SECONDS = 3.0  # at most this long spent probing for a learning rate that trains
_run_ids = itertools.count(1)


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did, in the units the lesson reports; epoch 0 is the untrained model.

    ``train_loss`` and ``val_loss`` are data losses (no regularisation term), measured with the
    parameters at the end of the epoch, so the two are comparable.
    """

    epoch: int
    train_loss: float
    val_loss: float
    train_metric: float = math.nan  # the lesson's accuracy measure on training data
    val_metric: float = math.nan  # ... and on held-out data
    seconds: float = 0.0


class Evaluation(NamedTuple):
    """A model's evaluation of its parameters: data losses and metric, training and validation."""

    train_loss: float
    val_loss: float
    train_metric: float = math.nan
    val_metric: float = math.nan


class EpochProgram(Protocol):
    """What a model supplies to the loop.

    ``init`` returns fresh (parameters, optimiser state); ``epoch`` makes one pass over the
    training data (one jitted call) and returns the new pair without mutating its inputs;
    ``evaluate`` measures parameters without changing them. ``with_learning_rate`` returns the
    same program with another learning rate (traced, so it reuses the compiled epoch): the loop
    uses it to probe for a rate that trains when a run diverges.
    """

    loss_name: str  # e.g. "MSE (stars²)" or "binary cross-entropy"
    metric_name: str  # e.g. "RMSE (stars)" or "accuracy"
    metric_higher_is_better: bool
    metric_as_percent: bool
    learning_rate: float

    def init(self) -> tuple[Any, Any]: ...

    def epoch(self, params: Any, opt_state: Any, epoch: int) -> tuple[Any, Any]: ...

    def evaluate(self, params: Any) -> Evaluation: ...

    def with_learning_rate(self, learning_rate: float) -> EpochProgram: ...


@dataclass(frozen=True)
class TrainingRun:
    """One run's whole state: parameters, optimiser state, history and why it ended.

    ``history`` starts with epoch 0 (the untrained model). ``params`` are the parameters the run
    holds now: the last epoch's, the best epoch's after early stopping restored them, or the last
    finite ones after divergence; ``params_epoch`` says which epoch they come from.
    ``best_params``/``best_epoch`` follow the lowest validation loss over epochs 1 and later.
    ``suggested_learning_rate`` is set when a diverged run's probe found a rate that trains.
    ``run_id`` tells runs apart (caches of work derived from a run key on it). ``snapshots`` keep
    what a replay needs from each epoch (a window of predictions, a few factor rows), not whole
    parameter tables.
    """

    params: Any
    opt_state: Any
    history: tuple[EpochRecord, ...] = ()
    initial_params: Any = None
    params_epoch: int = 0
    best_params: Any = None
    best_epoch: int = 0
    stop_reason: str | None = None
    message: str = ""
    suggested_learning_rate: float | None = None
    run_id: int = 0
    snapshots: tuple[Any, ...] = ()  # one per epoch of history when the trainer takes snapshots

    @property
    def epochs_done(self) -> int:
        """Epochs trained so far (epoch 0, the untrained measurement, is not an epoch of training)."""
        return self.history[-1].epoch if self.history else 0

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    @property
    def diverged(self) -> bool:
        return self.stop_reason == DIVERGED

    @property
    def last(self) -> EpochRecord | None:
        return self.history[-1] if self.history else None

    @property
    def trained(self) -> bool:
        """At least one epoch trained and the parameters can be trusted (not a diverged run)."""
        return self.epochs_done > 0 and not self.diverged

    def record(self, epoch: int) -> EpochRecord:
        return self.history[epoch]


def all_finite(params: Any) -> bool:
    """True when every parameter of the pytree is finite (no NaN or inf anywhere)."""
    return bool(_all_finite(params))


@jax.jit
def _all_finite(params: Any) -> jax.Array:
    """One program for the whole pytree: checked leaf by leaf, the test cost two small computations
    and a wait per leaf every epoch, each queued behind the other learners' training in a class."""
    return jnp.all(jnp.stack([jnp.isfinite(leaf).all() for leaf in jax.tree.leaves(params)]))


def divergence(record: EpochRecord, untrained_loss: float, params_finite: bool) -> str | None:
    """What went wrong, in words, when this epoch diverged; None when the run is still sane."""
    loss = record.train_loss
    if not math.isfinite(loss):
        return "became NaN" if math.isnan(loss) else "became infinite"
    if math.isfinite(untrained_loss) and untrained_loss > 0 and loss > DIVERGENCE_FACTOR * untrained_loss:
        return (f"grew from {untrained_loss:.3g} (untrained) to {loss:.3g}, more than "
                f"{DIVERGENCE_FACTOR:g}x where it started")
    if not math.isfinite(record.val_loss) or not params_finite:
        return "stayed finite on the training data, but some weights became NaN or infinite"
    return None


def stop(run: TrainingRun) -> TrainingRun:
    """The learner pressed Stop: keep what was learned, say so."""
    if run.finished:
        return run
    return replace(run, stop_reason=STOPPED, message=f"Stopped by you after {run.epochs_done} epoch(s).")


class Trainer:
    """Runs any `EpochProgram` for ``epochs`` epochs, with early stopping when ``patience`` is set.

    ``learning_rates`` are the rates the learner can choose from; when a run diverges the loop
    probes the ones below the current rate and names the largest that trains. ``snapshot(params)``
    is kept for every epoch (None for a diverged one), for a replay of the run.
    """

    def __init__(self, program: EpochProgram, epochs: int, patience: int | None = None,
                 learning_rates: Sequence[float] = (), snapshot: Callable[[Any], Any] | None = None) -> None:
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be at least 1 (or None), got {patience}")
        self.program = program
        self.epochs = epochs
        self.patience = patience
        self.learning_rates = tuple(sorted(set(learning_rates)))
        self.snapshot = snapshot

    @property
    def loss_name(self) -> str:
        return self.program.loss_name

    @property
    def metric_name(self) -> str:
        return self.program.metric_name

    @property
    def metric_higher_is_better(self) -> bool:
        return self.program.metric_higher_is_better

    @property
    def metric_as_percent(self) -> bool:
        return self.program.metric_as_percent

    def start(self) -> TrainingRun:
        """Fresh parameters and their measurement as epoch 0 (the untrained model)."""
        started = time.perf_counter()
        params, opt_state = self.program.init()
        evaluation = self.program.evaluate(params)
        record = EpochRecord(0, *evaluation, seconds=time.perf_counter() - started)
        return TrainingRun(params=params, opt_state=opt_state, history=(record,), initial_params=params,
                           run_id=next(_run_ids), snapshots=self._snapshot(params))

    def advance(self, run: TrainingRun, max_epochs: int | None = None, max_seconds: float | None = None) -> TrainingRun:
        """Train more epochs — at most ``max_epochs``, and no more after ``max_seconds`` have passed
        (at least one epoch always runs). Returns a new run; the input is not changed."""
        started = time.perf_counter()
        done = 0
        while not run.finished and run.epochs_done < self.epochs:
            if (max_epochs is not None and done >= max_epochs) or (
                    max_seconds is not None and done > 0 and time.perf_counter() - started >= max_seconds):
                break
            run = self._one_epoch(run)
            done += 1
        if not run.finished and run.epochs_done >= self.epochs:
            run = self._complete(run)
        return run

    def fit(self) -> TrainingRun:
        """Train to the end (all epochs, early stopping or divergence) in one call."""
        return self.advance(self.start())

    # --- one epoch and its rules ------------------------------------------------------------

    def _one_epoch(self, run: TrainingRun) -> TrainingRun:
        epoch = run.epochs_done + 1
        started = time.perf_counter()
        params, opt_state = self.program.epoch(run.params, run.opt_state, epoch)
        evaluation = self.program.evaluate(params)
        record = EpochRecord(epoch, *evaluation, seconds=time.perf_counter() - started)
        history = run.history + (record,)
        problem = divergence(record, run.history[0].train_loss, all_finite(params))
        if problem is not None:
            # Keep the last finite parameters: the blown-up ones are of no use to anyone.
            snapshots = run.snapshots + ((None,) if self.snapshot else ())
            return self._diverged(replace(run, history=history, snapshots=snapshots), epoch, problem)
        run = replace(run, params=params, opt_state=opt_state, history=history, params_epoch=epoch,
                      snapshots=run.snapshots + self._snapshot(params))
        if run.best_epoch == 0 or record.val_loss < run.history[run.best_epoch].val_loss:
            run = replace(run, best_params=params, best_epoch=epoch)
        if self.patience is not None and epoch - run.best_epoch >= self.patience:
            best = run.history[run.best_epoch]
            run = replace(
                run, params=run.best_params, params_epoch=run.best_epoch, stop_reason=EARLY_STOPPED,
                message=(f"Early stopping: validation loss has not improved for {self.patience} epochs, so training "
                         f"stopped at epoch {epoch} and restored epoch {run.best_epoch} (validation loss "
                         f"{best.val_loss:.4f})."),
            )
        return run

    def _snapshot(self, params: Any) -> tuple[Any, ...]:
        return (self.snapshot(params),) if self.snapshot else ()

    def _complete(self, run: TrainingRun) -> TrainingRun:
        """The epoch budget is spent; with early stopping on, keep the best epoch."""
        restored = self.patience is not None and 0 < run.best_epoch < run.epochs_done
        if restored:
            run = replace(run, params=run.best_params, params_epoch=run.best_epoch)
        last, best = run.history[-1], run.history[run.best_epoch]
        value, metric = self._metric_text, self.metric_name.split(" (")[0]
        message = f"Finished all {self.epochs} epochs: validation {metric} {value(last.val_metric)}"
        if restored:
            message += (f"; restored epoch {run.best_epoch}, which had the lowest validation loss "
                        f"({metric} {value(best.val_metric)}).")
        elif run.best_epoch and run.best_epoch != run.epochs_done:
            message += f" (validation loss was lowest at epoch {run.best_epoch}, {metric} {value(best.val_metric)})."
        else:
            message += "."
        return replace(run, stop_reason=COMPLETED, message=message)

    def _metric_text(self, value: float) -> str:
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.1%}" if self.metric_as_percent else f"{value:.4f}"

    def _diverged(self, run: TrainingRun, epoch: int, problem: str) -> TrainingRun:
        rate = self.program.learning_rate
        suggestion = self._probe(min(self.epochs, max(5, epoch + 1))) if self.learning_rates else None
        if suggestion is not None:
            advice = (f"A short probe on this data trained without diverging at learning rate {suggestion:g}: "
                      f"choose it (or lower) and train again.")
        elif self.learning_rates and rate <= self.learning_rates[0]:
            advice = "This is already the smallest learning rate: raise L2 regularisation or check the data."
        elif self.learning_rates:
            advice = (f"No smaller learning rate trained in a short probe either: lower the learning rate "
                      f"(it is {rate:g}) a lot, or raise L2 regularisation.")
        else:
            advice = f"Lower the learning rate (it is {rate:g}; try {rate / 10:g}) and train again."
        kept = f"epoch {run.params_epoch}" if run.params_epoch else "the untrained start"
        message = (f"Training diverged at epoch {epoch}: the training loss {problem}. Each update overshot the "
                   f"minimum, so the weights blew up. The run keeps the weights of {kept}, the last with a finite "
                   f"loss, and no tab traces or ranks with them. {advice}")
        return replace(run, stop_reason=DIVERGED, message=message, suggested_learning_rate=suggestion)

    def _probe(self, epochs: int) -> float | None:
        """The largest offered learning rate below the current one that trains ``epochs`` epochs
        without diverging and lowers the training loss; None when none does within `PROBE_SECONDS`."""
        rate = self.program.learning_rate
        candidates = [r for r in self.learning_rates if r < rate]
        started = time.perf_counter()
        for candidate in sorted(candidates, reverse=True):
            if time.perf_counter() - started > PROBE_SECONDS:
                return None
            probe = Trainer(self.program.with_learning_rate(candidate), epochs)  # no learning_rates: no nested probe
            run = probe.advance(probe.start())
            if not run.diverged and run.history[-1].train_loss < run.history[0].train_loss:
                return candidate
        return None
