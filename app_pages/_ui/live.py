"""Live training: Train, Stop, a pace a learner can watch, and the run every tab of a lesson shows.

The run lives in session state. It advances in chunks of a few tenths of a second, each inside a
fair training slot, and the chart redraws between chunks, so a Stop click (which interrupts the
script at its next redraw) acts within half a second and keeps every finished epoch. At the
"watch" pace the script waits between frames (waiting costs no CPU and holds no slot) so a
default run plays out over a few seconds; "fast" trains at full speed. Whatever state the run
is in — training, finished, stopped, diverged, not trained — every tab reads it from here and
says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app_pages._ui import progress, replay, shell, state
from app_pages._ui.charts import plot
from app_pages._ui.slots import TrainingSlots
from recsys_core import plots
from recsys_core.lessons.notes import observations
from recsys_core.training import loop
from recsys_core.training.loop import EpochRecord, Trainer, TrainingRun

MAX_CONCURRENT_TRAININGS = 2  # CPU bound: more at once only slows everyone on a 2-core laptop
CHUNK_SECONDS = 0.15  # training between two chances to redraw or honour Stop
FRAME_SECONDS = 0.1  # at most ten redraws a second
WATCH_FRAME_SECONDS = 0.19  # at "watch", at most about five a second (lessons 1-3: every epoch)
STOP_CHECK_SECONDS = 0.25  # while a frame is held at "watch", Stop is noticed at least this often
WATCH_SECONDS = (3.0, 5.0)  # a run at "watch" pace lasts this long on screen, short runs stretched


@st.cache_resource
def training_slots() -> TrainingSlots:
    """One set of slots for the whole server (cache_resource is shared by every session)."""
    return TrainingSlots(MAX_CONCURRENT_TRAININGS)


@contextmanager
def training_slot(status: Any | None = None):
    """A training slot; while queued the learner sees how many are ahead of them."""
    slot = status if status is not None else st.empty()

    def waiting(ahead: int) -> None:
        slot.info(f"Queued — {ahead} ahead of you; other learners are training right now." if ahead else
                  "Queued — you are next; other learners are training right now.", icon=":material/hourglass_top:")

    with training_slots().slot(waiting):
        if status is None:
            slot.empty()
        yield


@dataclass(frozen=True)
class LessonRun:
    """The run in memory for a lesson, and whether it was trained with the current settings."""

    run: TrainingRun | None
    current: bool  # trained with the settings now on screen

    @property
    def trained(self) -> bool:
        return self.run is not None and self.run.trained


def lesson_run(lesson: str, signature: Hashable) -> LessonRun:
    run = st.session_state.get(state.run(lesson))
    return LessonRun(run, st.session_state.get(state.run_signature(lesson)) == signature)


def _store(lesson: str, run: TrainingRun, signature: Hashable) -> None:
    if st.session_state.get(state.run(lesson)) is not run:
        st.session_state[state.run(lesson)] = run
        st.session_state[state.run_signature(lesson)] = signature


def _start(lesson: str, trainer: Trainer, signature: Hashable, status: Any) -> TrainingRun:
    with training_slot(status):
        run = trainer.start()
    st.session_state.pop(state.derived(lesson), None)  # what was derived from the old run is stale
    replay.reset(lesson)
    _store(lesson, run, signature)
    return run


def _advance(trainer: Trainer, run: TrainingRun, max_epochs: int | None, status: Any) -> TrainingRun:
    with training_slot(status):
        return trainer.advance(run, max_epochs=max_epochs, max_seconds=CHUNK_SECONDS)


def train_now(lesson: str, make_trainer: Callable[[], Trainer], signature: Hashable) -> TrainingRun:
    """Train to the end at full speed without a chart (a tab's "Train now" button)."""
    trainer = make_trainer()
    status = st.empty()
    with st.spinner("Training with the settings of the Training tab..."):
        run = _start(lesson, trainer, signature, status)
        while not run.finished:
            run = _advance(trainer, run, None, status)
            _store(lesson, run, signature)
    progress.mark_trained(lesson)
    return run


def _watch_seconds(epochs: int) -> float:
    low, high = WATCH_SECONDS
    return min(max(0.15 * epochs, low), high)


def live_training(lesson: str, make_trainer: Callable[[], Trainer], signature: Hashable, *,
                  auto_start: bool = True, show_metric: bool = True) -> TrainingRun | None:
    """Train/Stop buttons, a progress bar and the live chart; returns the run in memory.

    A new ``signature`` (settings or data changed) starts a fresh run by itself when
    ``auto_start``. ``show_metric=False`` draws the loss alone, for a metric that is only a
    transform of the loss (RMSE next to MSE would be one curve drawn twice).
    """
    trainer = make_trainer()
    buttons = st.columns([1, 1, 4], vertical_alignment="center")
    train_clicked = buttons[0].button("Train", type="primary", icon=":material/play_arrow:",
                                      key=state.button(lesson, "train"),
                                      help="Train from freshly initialised weights with the settings above.")
    stop_clicked = buttons[1].button("Stop", icon=":material/stop:", key=state.button(lesson, "stop"),
                                     help="Stop after the current chunk; what was learned so far is kept.")
    current = lesson_run(lesson, signature)
    run = current.run
    status, chart_slot = st.empty(), st.empty()
    if stop_clicked and run is not None:
        run = loop.stop(run)
        _store(lesson, run, st.session_state.get(state.run_signature(lesson)))
    elif train_clicked or (auto_start and not current.current):
        run = _start(lesson, trainer, signature, status)
    elif not current.current and run is not None:
        buttons[2].warning("Settings changed since this run: press **Train** to train with them.", icon=":material/info:")
    if run is None:
        status.info("Press **Train** to start.", icon=":material/play_arrow:")
        return None

    def draw(run: TrainingRun, trainer: Trainer) -> None:
        # A frame of a run in progress: its text alternative from the run's numbers (reading them
        # back out of the figure cost as much as building it, for a frame on screen a fifth of a second).
        last = run.history[-1]
        alt = (f"Training curves while training, epoch {run.epochs_done:,} of {trainer.epochs:,}: training loss "
               f"{plots.number(run.history[0].train_loss)} at epoch 0 and {plots.number(last.train_loss)} now, "
               f"validation loss {plots.number(last.val_loss)} now.")
        plot(chart_spec(run, trainer, show_metric=show_metric), chart_slot, alt=alt)

    watch = shell.pace() == "watch" and not run.finished
    if watch:  # the untrained model first: the fall starts where it really starts
        run = _play(run, trainer, status, lambda run: _store(lesson, run, signature), draw)
    elif not run.finished and not st.session_state.get(state.CHART_DRAWN):
        # A browser tab's first chart makes it load Plotly's frontend code (4.7 MB, ~0.8 s of a 2-core
        # laptop): drawn before training, the untrained model's chart lets that happen while the model
        # trains, not after. Later runs at "fast" draw only their finished chart.
        draw(run, trainer)
    st.session_state[state.CHART_DRAWN] = True
    # At "fast" a frame at most every FRAME_SECONDS (each costs the server a figure in the one
    # interpreter a class shares), so a run shorter than that (a warm slider move on a lesson's
    # defaults) draws only its finished chart, which starts at epoch 0 too.
    drawn_at = time.monotonic()
    while not run.finished:
        run = _advance(trainer, run, None, status)
        _store(lesson, run, signature)
        if run.finished:  # its bar and chart are drawn below
            break
        _progress(status, run, trainer)  # also the script's chance to act on Stop
        if time.monotonic() - drawn_at >= FRAME_SECONDS:
            draw(run, trainer)
            drawn_at = time.monotonic()
    _progress(status, run, trainer)
    plot(chart_spec(run, trainer, replay.epoch(lesson, run), show_metric), chart_slot)
    progress.mark_trained(lesson)
    outcome(run)
    return run


def _play(run: TrainingRun, trainer: Trainer, status: Any, keep: Callable[[TrainingRun], None],
          draw: Callable[[TrainingRun, Trainer], None]) -> TrainingRun:
    """The "watch" pace: the run plays over WATCH_SECONDS, a frame every WATCH_FRAME_SECONDS at most.

    Each frame's epochs are trained in one slot (lesson 4: three epochs a frame, 20 frames, not 60
    turns in the queue a class shares), then the frame is shown and held until the next is due on
    the run's schedule — but at least half its share, so a run that fell behind (a slow first
    epoch, a busy class) still shows every frame and does not rush.
    """
    share = _watch_seconds(trainer.epochs) / trainer.epochs  # seconds on screen per epoch
    per_frame = max(1, math.ceil(WATCH_FRAME_SECONDS / share))  # epochs per frame
    first, started, compute = run.epochs_done, time.monotonic(), 0.0
    while True:
        draw(run, trainer)
        shown_at = time.monotonic()
        due = started + (run.epochs_done + per_frame - first) * share - compute  # the next frame on time
        _hold(status, run, trainer, max(due, shown_at + per_frame * share / 2))
        began = time.monotonic()
        run = _advance(trainer, run, per_frame, status)
        compute = time.monotonic() - began
        keep(run)
        if run.finished:
            return run


def _hold(status: Any, run: TrainingRun, trainer: Trainer, until: float) -> None:
    """Keep the frame on screen until ``until``. Stop acts when the script next sends something, so a
    hold longer than a quarter of a second re-sends the progress bar that often."""
    _progress(status, run, trainer)
    while (left := until - time.monotonic()) > 0:
        time.sleep(min(STOP_CHECK_SECONDS, left))
        if until - time.monotonic() > 0:  # only a long hold re-sends the bar (every delta costs the server)
            _progress(status, run, trainer)


def _progress(status: Any, run: TrainingRun, trainer: Trainer) -> None:
    done = run.epochs_done
    text = f"Epoch {done:,} of {trainer.epochs:,}" + ("" if run.finished else " — training...")
    status.progress(min(done / max(trainer.epochs, 1), 1.0), text=text)


def chart_spec(run: TrainingRun, trainer: Trainer, highlight: int | None = None, show_metric: bool = True) -> dict:
    """The run's loss (and metric) curves, with the best epoch and a replayed epoch marked."""
    return plots.training_curves_spec(run.history, trainer.loss_name, trainer.metric_name, total_epochs=trainer.epochs,
                                      best_epoch=run.best_epoch or None, metric_as_percent=trainer.metric_as_percent,
                                      show_metric=show_metric, highlight_epoch=highlight)


def outcome(run: TrainingRun) -> None:
    """Why the run ended, as a coloured message (divergence explained with its fix)."""
    if run.stop_reason == loop.DIVERGED:
        st.error(run.message, icon=":material/warning:")
    elif run.stop_reason == loop.EARLY_STOPPED:
        st.info(run.message, icon=":material/front_hand:")
    elif run.stop_reason == loop.STOPPED:
        st.warning(run.message + " Every tab shows the model as it was then.", icon=":material/stop_circle:")
    elif run.message:
        st.success(run.message, icon=":material/check_circle:")


def rmse_metric(column: Any, record: EpochRecord, baseline: float) -> None:
    """The run's validation RMSE against guessing the mean (the MF lessons' headline number)."""
    column.metric("Validation RMSE", f"{record.val_metric:.3f} stars", delta=f"{record.val_metric - baseline:+.3f} vs. "
                  "guessing the mean", delta_color="inverse", help="The typical miss on held-out ratings, in stars.")


def epoch_table(run: TrainingRun, trainer: Trainer) -> None:
    """Every epoch's numbers with an Observation generated from them (wrapping, no empty cells).

    Drawn only once opened, like "Show the code that ran": a table's frontend code (Arrow, ~1 MB)
    would otherwise be loaded and run on every first visit to a training tab (~0.2 s on 2 cores).
    """
    section = st.expander("Epoch table with observations", key="epoch_table", on_change="rerun")
    if not section.open:
        return
    notes = observations(run.history, trainer.metric_higher_is_better)
    scale = 100.0 if trainer.metric_as_percent else 1.0
    unit = " (%)" if trainer.metric_as_percent else ""
    rows = []
    digits = 2 if trainer.metric_as_percent else 4  # 47.30 %, not 47.3000 %
    for record, note in zip(run.history, notes, strict=True):
        # The epoch as text: a table whose index is 0, 1, 2, ... draws no index column at all.
        row = {"Epoch": str(record.epoch), f"Train loss ({trainer.loss_name})": plots.number(record.train_loss),
               "Validation loss": plots.number(record.val_loss)}
        row[f"Train {trainer.metric_name}{unit}"] = plots.number(record.train_metric * scale, digits)
        row[f"Validation {trainer.metric_name}{unit}"] = plots.number(record.val_metric * scale, digits)
        row["Seconds"] = f"{record.seconds:.3f}"
        row["Observation"] = note
        rows.append(row)
    with section:
        st.table(pd.DataFrame(rows).set_index("Epoch"))
        st.caption("Epoch 0 is the untrained model. Epoch 1's time includes compiling the model the first time its "
                   "shapes are seen in this server.")


def state_banner(lesson: str, signature: Hashable, make_trainer: Callable[[], Trainer]) -> LessonRun:
    """Which run this tab shows, in one line — and a way to train when there is none."""
    current = lesson_run(lesson, signature)
    run = current.run
    if run is None or run.epochs_done == 0:
        untrained = st.empty()  # cleared once "Train now" trains: the tab must not say both
        left, right = untrained.container().columns([4, 1], vertical_alignment="center")
        left.info("The model has not been trained yet, so this tab shows nothing learned. Train it here, or watch it "
                  "learn on the **Training trace** tab.", icon=":material/hourglass_empty:")
        if right.button("Train now", key=state.button(lesson, f"train_now_{st.session_state.get(state.TAB)}"),
                        icon=":material/play_arrow:"):
            untrained.empty()
            run = train_now(lesson, make_trainer, signature)
            current = LessonRun(run, True)
        else:
            return current
    if run.diverged:
        st.error(f"The last run diverged at epoch {run.epochs_done}: nothing it learned can be trusted, so this tab does "
                 f"not trace it. {run.message.split('. ')[-1]}", icon=":material/warning:")
    elif run.stop_reason == loop.STOPPED:
        st.warning(f"This tab shows the run you stopped after {run.epochs_done:,} epoch(s).", icon=":material/stop_circle:")
    elif not run.finished:
        st.info(f"Training is still under way ({run.epochs_done:,} epochs so far): this tab shows the model as it is now.",
                icon=":material/pending:")
    else:
        st.caption(f"This tab shows the run in memory: {run.epochs_done:,} epochs, " + run.message.split(":")[0].lower()
                   + ("." if run.message else ""))
    if not current.current:
        st.caption("The settings on the Training tab changed since this run; train again to see them here.")
    return current


def derived(lesson: str, run: TrainingRun, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per run (and per ``name``), kept with the run in this session."""
    cache = st.session_state.setdefault(state.derived(lesson), {})
    key = (run.run_id, run.epochs_done, run.stop_reason, name)
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = compute()
    return cache[key]
