"""Every session-state key and URL parameter the app uses, declared once.

URL-bound widget keys *are* the deep-link parameter names (`?mf_k=5&tab=...`): teachers' links
depend on them, so they never change. Pages do not write another widget's key by a string
literal; they go through these names and `move_widget`, so a key is renamed in one place.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

# Sidebar and shell (URL-bound).
DATA, RATINGS, SEED, PACE, TAB = "data", "ratings", "seed", "pace", "tab"
# Progress that lasts (URL): an anonymous learner id, a teacher's class code.
LEARNER, CLASS = "learner", "class"

# Uploads: the data in use, and a file loaded but not yet in use ("Use this file").
UPLOADED, UPLOADED_NAME, UPLOADED_KEY = "uploaded", "uploaded_name", "uploaded_key"
PENDING, PENDING_ERROR, UPLOAD_WIDGET, UPLOAD_SEEN = "pending_upload", "upload_error", "upload", "upload_seen"
UPLOAD_RESETS = "upload_resets"  # how often the uploader was emptied (its key changes each time)

PROGRESS = "progress"  # {lesson: {"visited", "trained", "quiz": {question: correct}}}
RANK_PAIR = "cf_pair"  # lesson 2's two-rank comparison, kept until the next "Train both"
LAST_LESSON = "last_lesson"  # the lesson page shown last, so its open tab does not leak into the next
CHART_DRAWN = "chart_drawn"  # this browser tab has drawn a chart, so Plotly's frontend code is loaded


def run(lesson: str) -> str:
    """The lesson's `TrainingRun` in memory: the one model every tab of the lesson shows."""
    return f"run:{lesson}"


def run_signature(lesson: str) -> str:
    """What the run in memory was trained with (data key and config)."""
    return f"sig:{lesson}"


def derived(lesson: str) -> str:
    """Work derived from the run in memory (traces, recovery, simulations), kept with it."""
    return f"derived:{lesson}"


def quiz_answer(lesson: str, question: str) -> str:
    return f"quiz:{lesson}:{question}"


def quiz_prediction(lesson: str, question: str) -> str:
    """The locked prediction of a "predict, then run" question."""
    return f"quizpred:{lesson}:{question}"


def quiz_experiment(lesson: str, question: str) -> str:
    return f"quizexp:{lesson}:{question}"


def button(lesson: str, name: str) -> str:
    return f"{lesson}:{name}"


def upload_widget() -> str:
    """The uploader's key: `UPLOAD_WIDGET`, then a new one after each `empty_uploader`."""
    resets = st.session_state.get(UPLOAD_RESETS, 0)
    return f"{UPLOAD_WIDGET}:{resets}" if resets else UPLOAD_WIDGET


def empty_uploader() -> None:
    """Drop every file from the uploader (Streamlit has no other way than a new key); the next
    rerun draws it empty and, with nothing chosen yet, keeps the message about the dropped file."""
    st.session_state[UPLOAD_RESETS] = st.session_state.get(UPLOAD_RESETS, 0) + 1
    st.session_state[UPLOAD_SEEN] = None


def move_widget(key: str, value: Any) -> None:
    """Set a widget's value from code (a preset, a "try this" button): only in a callback or
    before the widget is drawn in this run, which is when Streamlit allows it."""
    st.session_state[key] = value
