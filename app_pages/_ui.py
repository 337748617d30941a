"""Streamlit glue shared by every page: data choice, caches, live training, quiz, traces.

`recsys_core` never imports Streamlit; this module is the one place where the library meets
the widgets. Pages call these building blocks top to bottom, so each lesson reads like a
storyboard and every lesson trains, traces and quizzes the same way.
"""

from __future__ import annotations

import inspect
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from recsys_core import data as rdata
from recsys_core import plots, quiz
from recsys_core.data import Ratings
from recsys_core.lessons.notes import observations
from recsys_core.training import loop as train
from recsys_core.training.device import device_summary

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
SAMPLE_FILE = ASSETS / "sample_ratings.csv"

# At most this many trainings run at once across every learner's session: training is CPU
# bound and a classroom of learners pressing Train together would otherwise slow every page.
MAX_CONCURRENT_TRAININGS = 2
RATING_COUNTS = (5_000, 10_000, 20_000, 50_000, 100_000)
# Log-spaced so a learner can go from too timid to divergent in a few clicks.
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
L2_VALUES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def choices(values: Sequence[float], default: float) -> tuple[float, ...]:
    """Slider options that are sure to contain the model's default value."""
    return tuple(sorted(set(values) | {default}))


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    page: str  # path of the page script, relative to app.py
    minutes: int
    summary: str
    icon: str
    nav_title: str  # short enough for the sidebar, which truncates long titles


LESSONS: tuple[Lesson, ...] = (
    Lesson("mf_basics", "Matrix factorization basics", "app_pages/mf_basics.py", 12,
           "Break a big, mostly empty ratings table into two small factor tables and watch the loss fall.",
           ":material/grid_on:", "1 · Matrix factorization"),
    Lesson("collaborative_filtering", "Collaborative filtering", "app_pages/collaborative_filtering.py", 12,
           "Learn from similar users: what filling missing ratings does, neighbours in feature space.",
           ":material/group:", "2 · Collaborative filtering"),
    Lesson("engagement", "Why recommendations drive engagement", "app_pages/engagement.py", 12,
           "A neural recommender picks a top 5; simulated users click more than on popular or random picks.",
           ":material/ads_click:", "3 · Engagement"),
    Lesson("overfitting", "Experiment: fixing overfitting", "app_pages/overfitting.py", 20,
           "A click model memorises its training data; fix it with dropout, early stopping and a smaller layer.",
           ":material/science:", "4 · Fixing overfitting"),
)
LESSON_BY_ID = {lesson.id: lesson for lesson in LESSONS}


# --- set-up -----------------------------------------------------------------------------------

def configure_jax() -> None:
    """Keep compiled XLA programs on disk so a restarted server does not compile again."""
    import jax

    jax.config.update("jax_compilation_cache_dir", str(ROOT / ".jax_cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


@st.cache_resource
def training_slots() -> threading.BoundedSemaphore:
    """One semaphore for the whole server (cache_resource is shared by every session)."""
    return threading.BoundedSemaphore(MAX_CONCURRENT_TRAININGS)


@contextmanager
def training_slot():
    slots = training_slots()
    if not slots.acquire(timeout=0.05):
        with st.spinner("Other learners are training right now; waiting for a free slot..."):
            slots.acquire()
    try:
        yield
    finally:
        slots.release()


@st.cache_resource
def lesson_texts() -> dict[str, dict[str, str]]:
    return json.loads((ASSETS / "lessons.json").read_text(encoding="utf-8"))


def lesson_text(lesson_id: str, field: str) -> str:
    return lesson_texts()[lesson_id][field]


# --- data -------------------------------------------------------------------------------------

@st.cache_data(max_entries=12, show_spinner="Generating the synthetic catalogue...")
def synthetic_data(n_ratings: int, seed: int, n_users: int = 1000, n_items: int = 500) -> Ratings:
    return rdata.synthetic(n_users=n_users, n_items=n_items, n_ratings=n_ratings, seed=seed)


@st.cache_data(max_entries=2, show_spinner="Loading the sample file...")
def sample_data() -> Ratings:
    return rdata.load_ratings(SAMPLE_FILE)


def sidebar() -> None:
    """The shared sidebar: which data every lesson uses (bound to the URL), device, how to use."""
    with st.sidebar:
        st.subheader("Data")
        # Bound widgets write their displayed option into the URL, so options are short words
        # (no format_func): a teacher's link reads ?data=synthetic&ratings=10000&seed=0.
        choices = ["synthetic", "sample"] + (["uploaded"] if "uploaded" in st.session_state else [])
        labels = {
            "synthetic": "a synthetic catalogue with known tastes",
            "sample": "the bundled sample file (2,000 ratings)",
            "uploaded": f"your file {st.session_state.get('uploaded_name', '')}",
        }
        choice = st.selectbox("Ratings used by the lessons", choices, key="data", bind="query-params",
                              help="The synthetic catalogue plants genres and tastes, so the app can compare what "
                                   "a model learns with the truth. Upload your own file on the 'Your data' page.")
        st.caption(f"Using {labels[choice]}.")
        if choice == "synthetic":
            st.select_slider("Number of ratings", RATING_COUNTS, value=10_000, key="ratings",
                             bind="query-params", help="1,000 users x 500 items, as in the lesson documents.")
            st.number_input("Data seed", min_value=0, max_value=9999, value=0, step=1, key="seed",
                            bind="query-params", help="Same seed, same data: share the link to share the run.")
        st.divider()
        st.caption(f"JAX computes on: **{device()}**")
        with st.expander("How to use RecSys Lab"):
            st.markdown(
                "1. Start with **Matrix factorization basics**.\n"
                "2. Each lesson walks the same steps as tabs: pipeline, training, prediction, quiz, key insight.\n"
                "3. Move a slider: the model retrains and every number updates.\n"
                "4. The page address holds your settings — copy it to share the exact run."
            )


@st.cache_resource
def device() -> str:
    return device_summary()


def dataset() -> tuple[str, Ratings]:
    """The data the sidebar selects, with a key that identifies it for caches and runs."""
    choice = st.session_state.get("data", "synthetic")
    if choice == "uploaded" and "uploaded" in st.session_state:
        return st.session_state["uploaded_key"], st.session_state["uploaded"]
    if choice == "sample":
        return "sample", sample_data()
    n_ratings = int(st.session_state.get("ratings", 10_000))
    seed = int(st.session_state.get("seed", 0))
    return f"synthetic:{n_ratings}:{seed}", synthetic_data(n_ratings, seed)


@st.cache_data(max_entries=12)
def holdout(key: str, _ratings: Ratings, test_fraction: float = 0.2, seed: int = 0) -> tuple[Ratings, Ratings]:
    """The lesson's 80/20 split, cached per dataset key (the Ratings itself is not hashed)."""
    return rdata.holdout_split(_ratings, test_fraction=test_fraction, seed=seed)


def data_summary(ratings: Ratings) -> None:
    cols = st.columns(4)
    cols[0].metric("Users", f"{ratings.n_users:,}")
    cols[1].metric("Items", f"{ratings.n_items:,}")
    cols[2].metric("Ratings", f"{ratings.n_ratings:,}")
    cols[3].metric("Known cells", f"{ratings.density:.2%}", help="Share of the users x items matrix that holds a rating.")


# --- progress ---------------------------------------------------------------------------------

def progress_of(lesson_id: str) -> dict[str, Any]:
    progress = st.session_state.setdefault("progress", {})
    return progress.setdefault(lesson_id, {"visited": False, "trained": False, "quiz": {}})


def lesson_header(lesson_id: str, extra_steps: Sequence[str] = ()) -> Lesson:
    """Title, length and intro; ``extra_steps`` names steps a lesson adds after the prediction."""
    lesson = LESSON_BY_ID[lesson_id]
    progress_of(lesson_id)["visited"] = True
    st.title(lesson.title)
    steps = ["pipeline", "training", "prediction", *extra_steps, "quiz", "insight"]
    count = {5: "five", 6: "six", 7: "seven"}.get(len(steps), str(len(steps)))
    st.caption(f"About {lesson.minutes} minutes · {count} steps: " + " → ".join(steps))
    st.markdown(lesson_text(lesson_id, "intro"))
    return lesson


def lesson_tabs(extra: Sequence[str] = ()) -> Sequence[Any]:
    """The five steps every lesson follows (plus ``extra`` tabs after the prediction trace);
    the open tab is part of the URL (`?tab=...`)."""
    names = ["Pipeline trace", "Training trace", "Prediction trace", *extra, "Quiz", "Key insight"]
    return st.tabs([f"{i} · {name}" for i, name in enumerate(names, 1)], key="tab", bind="query-params")


# --- pipeline and prediction traces ------------------------------------------------------------

STAGE_COLUMNS = ["Stage", "Input shape", "Operation", "Output shape", "Example (live)"]


def stage_table(stages: Sequence[dict[str, str]]) -> None:
    """The seed's data-flow table, with every shape and example taken from live objects."""
    frame = pd.DataFrame(
        [[f"{i}. {s['stage']}", s["input"], s["operation"], s["output"], s["example"]] for i, s in enumerate(stages, 1)],
        columns=STAGE_COLUMNS,
    )
    # A static table wraps long cells; a dataframe would hide the examples off to the right.
    st.table(frame.set_index("Stage"))


def layer(title: str, shape: str, explanation: str, body: Callable[[], None] | None = None) -> None:
    """One step of a prediction trace: its name, the shape of what it holds, what it does."""
    with st.container(border=True):
        st.markdown(f"**{title}** &nbsp; `{shape}`")
        st.caption(explanation)
        if body is not None:
            body()


# --- live training ----------------------------------------------------------------------------

def _epoch_frame(run: train.TrainingRun, trainer: train.Trainer, metric_as_percent: bool) -> pd.DataFrame:
    notes = observations(run.history, trainer.metric_higher_is_better)
    scale = 100.0 if metric_as_percent else 1.0
    rows = []
    for record, note in zip(run.history, notes, strict=True):
        row = {
            "Epoch": record.epoch,
            f"Train loss ({trainer.loss_name})": record.train_loss,
            "Validation loss": record.val_loss,
        }
        if math.isfinite(record.val_metric):
            row[f"Train {trainer.metric_name}"] = record.train_metric * scale
            row[f"Validation {trainer.metric_name}"] = record.val_metric * scale
        row["Seconds"] = record.seconds
        row["Observation"] = note
        rows.append(row)
    return pd.DataFrame(rows)


def live_training(
    make_trainer: Callable[[], train.Trainer],
    key: str,
    signature: Any,
    *,
    metric_as_percent: bool = False,
    auto_start: bool = True,
    lesson_id: str | None = None,
) -> train.TrainingRun | None:
    """Train with a live chart, a progress bar, Stop, and the epoch/Observation table.

    The run lives in ``st.session_state`` and advances one epoch per step, redrawing after each,
    so a Stop click (which interrupts this script) keeps every finished epoch. A new
    ``signature`` (settings or data changed) starts a fresh run by itself when ``auto_start``.
    """
    state = st.session_state
    run_key, sig_key = f"run:{key}", f"sig:{key}"
    trainer = make_trainer()
    buttons = st.columns([1, 1, 4], vertical_alignment="center")
    train_clicked = buttons[0].button("Train", type="primary", icon=":material/play_arrow:", key=f"{key}:train",
                                      help="Train from freshly initialised weights with the settings above.")
    stop_clicked = buttons[1].button("Stop", icon=":material/stop:", key=f"{key}:stop",
                                     help="Stop after the current epoch; what was learned so far is kept.")
    run: train.TrainingRun | None = state.get(run_key)
    if stop_clicked and run is not None:
        run = train.stop(run)
        state[run_key] = run
    if train_clicked or (auto_start and state.get(sig_key) != signature and not stop_clicked):
        run = trainer.start()
        state[run_key], state[sig_key] = run, signature
    elif state.get(sig_key) != signature and run is not None:
        buttons[2].warning("Settings changed since this run: press Train to retrain.", icon=":material/info:")

    progress_slot, chart_slot = st.empty(), st.empty()

    def draw(current: train.TrainingRun) -> None:
        done = current.epochs_done
        progress_slot.progress(min(done / max(trainer.epochs, 1), 1.0),
                               text=f"Epoch {done} of {trainer.epochs}" + ("" if current.finished else " — training..."))
        if current.history:
            chart_slot.plotly_chart(
                plots.training_curves(current.history, trainer.loss_name, trainer.metric_name,
                                      total_epochs=trainer.epochs, best_epoch=current.best_epoch or None,
                                      metric_as_percent=metric_as_percent),
                width="stretch",
            )

    if run is None:
        progress_slot.info("Press **Train** to start.")
        return None
    drawn_at = 0.0
    while not run.finished:
        # Redraw at most ~4 times a second: on small data an epoch takes milliseconds and
        # sending a chart per epoch would cost more than the training itself.
        if time.monotonic() - drawn_at > 0.25:
            draw(run)
            drawn_at = time.monotonic()
        with training_slot():
            run = trainer.advance(run, max_epochs=1)
        state[run_key] = run
    draw(run)
    if lesson_id:
        progress_of(lesson_id)["trained"] = True
    if run.stop_reason == train.DIVERGED:
        st.error(run.message, icon=":material/warning:")
    elif run.stop_reason == train.EARLY_STOPPED:
        st.info(run.message, icon=":material/front_hand:")
    elif run.message:
        st.success(run.message, icon=":material/check_circle:")
    with st.expander("Epoch table with observations", expanded=False):
        st.dataframe(_epoch_frame(run, trainer, metric_as_percent), hide_index=True, width="stretch",
                     column_config={"Observation": st.column_config.TextColumn(width="large")})
        if run.history:
            st.caption("Epoch 1's time includes JIT compilation the first time a shape is seen in this server.")
    return run


# --- quiz -------------------------------------------------------------------------------------

@st.cache_resource
def questions(lesson_id: str) -> list[quiz.Question]:
    return quiz.load_quiz(lesson_id)


def quiz_block(
    lesson_id: str,
    experiments: dict[str, Callable[[], str | tuple[str, tuple[int, str]]]] | None = None,
    answers: dict[str, tuple[int, str]] | None = None,
) -> None:
    """Each question with immediate feedback; the score is kept in the session.

    ``experiments`` maps an experiment name from the quiz bank to a function that runs it and
    returns a sentence with its live numbers ("predict, run, check"). ``answers`` supplies the
    right option and explanation for questions answered by the learner's own run.
    """
    experiments = experiments or {}
    answers = dict(answers or {})
    results = progress_of(lesson_id)["quiz"]
    bank = questions(lesson_id)
    score_slot = st.empty()  # filled last, so it counts the answer given in this very rerun
    for n, q in enumerate(bank, start=1):
        with st.container(border=True):
            tag = " · from the lesson document" if q.from_seed else ""
            st.markdown(f"**Question {n}{tag}.** {q.prompt}")
            if q.experiment and q.experiment in experiments:
                result_key = f"quizexp:{lesson_id}:{q.id}"
                if st.button(q.experiment_label or "Run the experiment", key=f"{result_key}:run",
                             icon=":material/play_arrow:"):
                    with st.spinner("Running..."), training_slot():
                        st.session_state[result_key] = experiments[q.experiment]()
                if result_key in st.session_state:
                    outcome = st.session_state[result_key]
                    # An experiment returns its live result, or (result, (answer, explanation))
                    # when the right answer depends on what the learner's run showed.
                    message, override = outcome if isinstance(outcome, tuple) else (outcome, None)
                    st.info(message, icon=":material/lab_profile:")
                    if override is not None:
                        answers.setdefault(q.id, override)
            choice = st.radio("Your answer", range(len(q.options)), index=None, key=f"quiz:{lesson_id}:{q.id}",
                              format_func=lambda i, q=q: f"{'ABCDEFG'[i]}. {q.options[i]}", label_visibility="collapsed")
            if choice is not None:
                override = answers.get(q.id)
                if q.answer is None and override is None:
                    st.warning("Run the experiment first: this question is answered by your own run.")
                    continue
                feedback = quiz.grade(q, choice, *(override or (None, None)))
                results[q.id] = feedback.correct
                (st.success if feedback.correct else st.error)(feedback.message)
    right, answered = quiz.score(results)
    score_slot.markdown(f"**Score: {right} / {len(bank)}** ({answered} answered)")


def key_insight(lesson_id: str, from_your_run: str) -> None:
    st.info(lesson_text(lesson_id, "key_insight"), icon=":material/lightbulb:")
    st.markdown("**What your own run showed**")
    st.markdown(from_your_run)


def show_code(*objects: Any) -> None:
    """Display the real library source that ran (a touch borrowed from Streamlit's hello app)."""
    with st.expander("Show the code that ran", icon=":material/code:"):
        for obj in objects:
            module = inspect.getmodule(obj)
            st.caption(f"`{module.__name__ if module else ''}.{obj.__qualname__}`")
            st.code(inspect.getsource(obj), language="python")
