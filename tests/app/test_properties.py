"""Every lesson survives any combination of its own controls, set by a deep link, and always says
which state its model is in.

Hypothesis draws every URL-bound lever of a lesson from the values its `Control` allows (the same
specs the page draws its widgets from, so a value the page refuses fails the test loudly), opens the
lesson on that link, and trains it either on the Training tab or with "Train now" on the Prediction
tab. Whatever the draw — a learning rate of 5, no L2, rank 1 or 100, one epoch, dropout 0.9 with
batch norm, patience longer than the run — the page never raises; the Training tab names how the
run ended (finished, early stopping, stopped, diverged; a chance-level click model is called out
too); the Prediction tab and one more tab (pipeline, quiz, key insight...) say which run they show,
without training again, and the Prediction tab never traces a diverged run; no tab prints a raw
nan or inf.

Affordable on two cores: a few examples per lesson, 5,000 ratings for lessons 1-3, small epoch
counts (1 is among them, and patience is drawn up to its maximum so it often outlasts the run).
Each example prints one line: the link, the route, the state reached and its seconds. Shrinking is
off: one example takes seconds, and the printed line already is the reproduction.
"""

from __future__ import annotations

import functools
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as hs

from app_pages._ui.controls import (
    Control,
    MFControls,
    click_control_specs,
    mf_control_specs,
    neural_control_specs,
)
from recsys_core.lessons import overfitting as ol
from recsys_core.lessons.defaults import COLLABORATIVE_FILTERING, ENGAGEMENT, MF_BASICS
from recsys_core.training import loop
from recsys_core.training.clicks import BEFORE
from tests.app.conftest import TRAINING, open_page, show_tab, texts, train_now

PREDICTION = "3 · Prediction trace"
SMALL_EPOCHS = (1, 2, 3, 5, 8)  # 1 is the extreme; the largest keeps an example within a few seconds
# (each lesson's largest epoch count is one explicit example, with a batch size that keeps it short)
ROUTES = ("training tab", "train now on the prediction tab")

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "8")),  # per lesson; raise it to hunt for bugs
    deadline=None,  # the first example of a shape compiles JAX programs
    # The autouse fixture gives the test a fresh store and caches, shared by its examples: intended.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[p for p in settings.default.phases if p.name != "shrink"],
    derandomize=bool(os.environ.get("CI")),  # CI runs the same examples every time; locally they vary
    print_blob=True,
)


@dataclass(frozen=True)
class Lesson:
    page: str
    id: str
    specs: tuple[tuple[Control, Any], ...]
    trace_key: str  # the prediction trace's first widget: there only when a run is traced
    others: tuple[str, ...]  # the tabs besides training and prediction; one is drawn per example
    data: tuple[tuple[str, str], ...] = (("ratings", "5000"),)


# Lesson 2's levers are lesson 1's without batch, optimizer and seed, ranks 1-100 (as its page builds them).
FIVE_TABS = ("1 · Pipeline trace", "4 · Quiz", "5 · Key insight")
LESSONS = {
    "mf_basics": Lesson("app_pages/mf_basics.py", "mf_basics",
                        tuple(mf_control_specs(MFControls("mf"), MF_BASICS)), "mf_user", FIVE_TABS),
    "collaborative_filtering": Lesson("app_pages/collaborative_filtering.py", "collaborative_filtering",
                                      tuple(mf_control_specs(MFControls("cf", full=False, ranks=(1, 100)),
                                                             COLLABORATIVE_FILTERING)), "cf_user", FIVE_TABS),
    "engagement": Lesson("app_pages/engagement.py", "engagement", tuple(neural_control_specs(ENGAGEMENT)), "eng_user",
                         ("1 · Pipeline trace", "4 · Engagement experiment", "5 · Quiz", "6 · Key insight")),
    "overfitting": Lesson("app_pages/overfitting.py", "overfitting", tuple(click_control_specs(BEFORE)), "of_example",
                          ("1 · Pipeline trace", "5 · Quiz", "6 · Key insight"), data=()),  # the bonus tab has no run
}


def strategy(control: Control) -> hs.SearchStrategy:
    """Values the control allows, its extremes drawn often."""
    if control.key.endswith("epochs"):
        return hs.sampled_from(SMALL_EPOCHS)
    if control.kind in ("slider", "number"):
        return hs.one_of(hs.sampled_from((control.low, control.high)), hs.integers(control.low, control.high))
    if control.kind == "toggle":
        return hs.booleans()
    return hs.sampled_from(control.options)


def levers(lesson: Lesson) -> hs.SearchStrategy[dict[str, Any]]:
    return hs.fixed_dictionaries({control.key: strategy(control) for control, _ in lesson.specs})


def url_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


@functools.cache
def click_data():
    from recsys_core.data import click_dataset

    return click_dataset(0)  # the lesson's data at data seed 0, the default


def assert_no_raw_nan(at) -> None:
    """Numbers a learner reads are never Python's nan/inf (a diverged run is said in words)."""
    raw = r"\bnan\b|(?<!-)\binf\b"  # "masked (-inf)" is prose; a printed nan or inf is a missing guard
    assert not re.search(raw, texts(at)), re.findall(rf".{{0,60}}(?:{raw}).{{0,20}}", texts(at))


def run_of(at, lesson: Lesson) -> loop.TrainingRun:
    return at.session_state[f"run:{lesson.id}"]


def assert_training_tab_names_the_outcome(at, lesson: Lesson, values: dict[str, Any]) -> str:
    """Checks the Training tab's outcome message; returns the state in words (for the printed line)."""
    run = run_of(at, lesson)
    assert run.finished, "the training tab ended its script run with the run still going"
    assert_no_raw_nan(at)
    if run.stop_reason == loop.COMPLETED:
        epochs = next(values.get(c.key, default) for c, default in lesson.specs if c.key.endswith("epochs"))
        assert run.epochs_done == epochs
        assert any(s.value.startswith(f"Finished all {run.epochs_done} epochs") for s in at.success), texts(at)
    elif run.stop_reason == loop.EARLY_STOPPED:
        assert any(i.value.startswith("Early stopping:") for i in at.info), texts(at)
    elif run.stop_reason == loop.STOPPED:
        assert any(w.value.startswith("Stopped by you after") for w in at.warning), texts(at)
    else:
        assert run.stop_reason == loop.DIVERGED, run.stop_reason
        assert any(e.value.startswith(f"Training diverged at epoch {run.epochs_done}") for e in at.error), texts(at)
    if lesson.id == "overfitting" and not run.diverged:
        summary = ol.run_summary(run, click_data())
        if "val_accuracy" in summary and ol.at_chance(summary, click_data()):
            assert any("at chance level" in w.value for w in at.warning), texts(at)
            assert not any(b.value.startswith(":green-badge[") and "3 of 3" in b.value for b in at.markdown)
            return f"{run.stop_reason}, at chance"
    return run.stop_reason


def assert_tab_says_which_run_it_shows(at, lesson: Lesson, prediction: bool = True) -> None:
    """The tab's banner names the run in memory; the prediction tab traces it unless it diverged."""
    run = run_of(at, lesson)
    assert_no_raw_nan(at)
    traced = lesson.trace_key in [s.key for s in at.selectbox]
    if run.diverged:
        assert any(e.value.startswith(f"The last run diverged at epoch {run.epochs_done}:") for e in at.error), texts(at)
        assert not traced, "a diverged run was traced"
        return
    if run.stop_reason == loop.STOPPED:
        assert any(w.value == f"This tab shows the run you stopped after {run.epochs_done:,} epoch(s)." for w in at.warning)
    else:
        reason = "finished all" if run.stop_reason == loop.COMPLETED else "early stopping"
        assert any(c.value.startswith(f"This tab shows the run in memory: {run.epochs_done:,} epochs, {reason}")
                   for c in at.caption), texts(at)
    assert not any("has not been trained yet" in i.value for i in at.info)
    assert not any("changed since this run" in c.value for c in at.caption)
    if prediction:
        assert traced == run.trained, f"trained={run.trained} but traced={traced}"


def stop_it(at, lesson: Lesson) -> None:
    """As if Stop had been pressed during the run's last chunk: a stopped run with what it learned.

    (AppTest runs a script to its end, so Stop cannot land mid-run here; the browser suite presses
    the real button. This checks what every tab does with a stopped run.)"""
    run = run_of(at, lesson)
    at.session_state[f"run:{lesson.id}"] = loop.stop(replace(run, stop_reason=None, message=""))


def check_lesson(lesson: Lesson, values: dict[str, Any], route: str, stop: bool, other: int) -> None:
    query = {**dict(lesson.data), **{key: url_text(value) for key, value in values.items()}}
    link = "&".join(f"{k}={v}" for k, v in query.items())
    started = time.monotonic()
    if route == "training tab":
        at = open_page(lesson.page, query=query, tab=TRAINING)
    else:
        at = open_page(lesson.page, query=query, tab=PREDICTION)
        assert any("has not been trained yet" in i.value for i in at.info), texts(at)
        assert lesson.trace_key not in [s.key for s in at.selectbox]
        train_now(at)
        assert_tab_says_which_run_it_shows(at, lesson)
        show_tab(at, TRAINING)
    assert not [w.value for w in at.warning if "is not allowed here" in w.value], "a drawn value was refused"
    for control, _ in lesson.specs:  # the link set every lever (none fell back to its default)
        if control.key in values:
            assert at.session_state[control.key] == values[control.key], control.key
    first = run_of(at, lesson)
    outcome = assert_training_tab_names_the_outcome(at, lesson, values)
    if stop and not first.diverged:  # a diverged run ended by itself: there is nothing left to stop
        stop_it(at, lesson)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        outcome = assert_training_tab_names_the_outcome(at, lesson, values)
    show_tab(at, PREDICTION)
    assert run_of(at, lesson).run_id == first.run_id, "opening another tab trained again"
    assert_tab_says_which_run_it_shows(at, lesson)
    tab = lesson.others[other % len(lesson.others)]
    show_tab(at, tab)
    assert run_of(at, lesson).run_id == first.run_id, f"opening {tab} trained again"
    assert_tab_says_which_run_it_shows(at, lesson, prediction=False)
    event(f"{lesson.id}: {outcome}")
    print(f"[{lesson.id}] {outcome:>13} after {run_of(at, lesson).epochs_done:>2} epoch(s), "
          f"{time.monotonic() - started:5.1f} s, {route}, then {tab[4:]}: ?{link}", flush=True)


TRAIN_NOW = ROUTES[1]


def draws(lesson: str):
    """A lesson's levers, how it is trained, whether Stop is pressed, and which other tab opens last."""
    return given(values=levers(LESSONS[lesson]), route=hs.sampled_from(ROUTES), stop=hs.booleans(),
                 other=hs.integers(0, 3))


# The explicit examples below are the absurd corners, each lesson's largest epoch count, and the
# draws that once found a bug; Hypothesis runs them first, then max_examples random ones.


@PROPERTY_SETTINGS
@draws("mf_basics")
@example(values={"mf_lr": 5.0, "mf_l2": 0.0, "mf_k": 64, "mf_epochs": 1, "mf_opt": "sgd", "mf_batch": 32},
         route="training tab", stop=False, other=0)
@example(values={"mf_lr": 0.0001, "mf_l2": 1.0, "mf_k": 1, "mf_epochs": 1, "mf_opt": "adam", "mf_batch": 1024,
                 "mf_seed": 9999}, route=TRAIN_NOW, stop=True, other=1)
@example(values={"mf_epochs": 100, "mf_opt": "adam", "mf_lr": 0.25, "mf_batch": 1024},
         route="training tab", stop=False, other=2)
# Rank 64 on 5,000 ratings: too few well-rated items to measure the genre R² (the page said "nan%").
@example(values={"mf_k": 64, "mf_lr": 0.0001, "mf_opt": "adam", "mf_epochs": 2}, route="training tab", stop=False,
         other=3)
def test_any_mix_of_lesson_1_controls_trains_without_error_and_every_tab_names_the_model_state(
        values, route, stop, other):
    check_lesson(LESSONS["mf_basics"], values, route, stop, other)


@PROPERTY_SETTINGS
@draws("collaborative_filtering")
@example(values={"cf_lr": 5.0, "cf_l2": 0.0, "cf_k": 100, "cf_epochs": 1}, route="training tab", stop=False, other=0)
@example(values={"cf_lr": 0.0001, "cf_l2": 0.0, "cf_k": 1, "cf_epochs": 8}, route=TRAIN_NOW, stop=True, other=1)
def test_any_mix_of_lesson_2_controls_trains_without_error_and_every_tab_names_the_model_state(
        values, route, stop, other):
    check_lesson(LESSONS["collaborative_filtering"], values, route, stop, other)


@PROPERTY_SETTINGS
@draws("engagement")
@example(values={"eng_lr": 5.0, "eng_l2": 0.0, "eng_scorer": "mlp", "eng_hidden": 256, "eng_dim": 64, "eng_epochs": 1},
         route="training tab", stop=False, other=2)
@example(values={"eng_lr": 0.0001, "eng_l2": 200.0, "eng_scorer": "dot", "eng_dim": 4, "eng_epochs": 1},
         route=TRAIN_NOW, stop=True, other=3)
@example(values={"eng_epochs": 50, "eng_scorer": "mlp", "eng_lr": 0.0001, "eng_l2": 0.0},
         route="training tab", stop=False, other=0)
def test_any_mix_of_lesson_3_controls_trains_without_error_and_every_tab_names_the_model_state(
        values, route, stop, other):
    check_lesson(LESSONS["engagement"], values, route, stop, other)


@PROPERTY_SETTINGS
@draws("overfitting")
@example(values={"of_dropout_rate": 0.9, "of_norm": "batchnorm", "of_early_stopping": True, "of_patience": 20,
                 "of_epochs": 3, "of_learning_rate": 5.0, "of_l2": 0.0, "of_batch_size": 8, "of_width_2": 0},
         route="training tab", stop=False, other=1)
@example(values={"of_early_stopping": True, "of_patience": 1, "of_epochs": 8, "of_width_1": 256, "of_width_2": 256,
                 "of_learning_rate": 0.0001, "of_batch_size": 512}, route=TRAIN_NOW, stop=True, other=2)
# Before's big network at a large step overfits at once: early stopping ends the run.
@example(values={"of_early_stopping": True, "of_patience": 1, "of_epochs": 8, "of_learning_rate": 0.05},
         route="training tab", stop=False, other=3)
@example(values={"of_epochs": 150, "of_batch_size": 512, "of_early_stopping": True, "of_patience": 20},
         route=TRAIN_NOW, stop=False, other=0)
# Every unit dead: two identical dropout charts in the trace (a duplicate element id crashed the tab).
@example(values={"of_width_1": 16, "of_width_2": 16, "of_dropout_rate": 0.9, "of_learning_rate": 0.15, "of_l2": 0.0001,
                 "of_batch_size": 16, "of_epochs": 2, "of_seed": 5526}, route=TRAIN_NOW, stop=True, other=1)
def test_any_mix_of_lesson_4_controls_trains_without_error_and_every_tab_names_the_model_state(
        values, route, stop, other):
    check_lesson(LESSONS["overfitting"], values, route, stop, other)
