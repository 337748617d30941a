"""Progress that survives a reload and a server restart: the glue between pages and the store.

Each browser gets an anonymous learner id in its address on the first visit (``?learner=...``);
quiz answers (first attempt) and lesson status go to `recsys_core.progress` (SQLite) under that
id, and come back into the session when the same address is opened again. A teacher's class
code (``?class=...``) groups learners for the Teacher page's aggregates. Storage trouble never
breaks a lesson: progress then lasts for the session only, and the page says so once.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import streamlit as st

from app_pages._ui import state
from app_pages._ui.shell import LESSONS
from recsys_core import progress as store_lib

log = logging.getLogger(__name__)


@st.cache_resource
def store() -> store_lib.ProgressStore:
    """One store per server process (cache_resource is shared by every session)."""
    return store_lib.open_store(store_lib.load_bank(lesson.id for lesson in LESSONS))


def _safely(action, *args) -> Any:
    try:
        return action(*args)
    except (sqlite3.Error, OSError) as error:
        log.exception("progress store failed")
        if not st.session_state.get("progress_store_failed"):
            st.session_state["progress_store_failed"] = True
            st.toast(f"Progress could not be saved ({error.__class__.__name__}); it lasts for this session only.",
                     icon=":material/cloud_off:")
        return None


def _from_url(name: str, check) -> str | None:
    raw = st.query_params.get(name)
    if raw is None:
        return None
    try:
        return check(raw)
    except store_lib.InvalidIdError as error:
        st.warning(f"The link's `{name}` is not valid ({error}); it was ignored.", icon=":material/link_off:")
        st.query_params.pop(name, None)
        return None


def identify(join_class: bool = True) -> str:
    """This browser's learner id (from the URL, or new), kept in the URL; restores stored progress.

    With a class code in the URL the learner joins that class, unless ``join_class`` is False (the
    Teacher page: the code says which class to show, and the teacher is not one of its learners).
    """
    learner = st.session_state.get(state.LEARNER) or _from_url(state.LEARNER, store_lib.check_learner_id)
    if learner is None:
        learner = store_lib.new_learner_id()
    st.session_state[state.LEARNER] = learner
    st.query_params[state.LEARNER] = learner
    code = st.session_state.get(state.CLASS) or _from_url(state.CLASS, store_lib.check_class_code)
    if code is not None:
        if join_class and st.session_state.get(state.CLASS) != code:
            _safely(store().join_class, learner, code)
        st.session_state[state.CLASS] = code
        st.query_params[state.CLASS] = code
    if state.PROGRESS not in st.session_state:
        stored = _safely(store().learner_progress, learner) or {}
        st.session_state[state.PROGRESS] = {
            lesson: {"visited": p["started"], "trained": p["trained"], "quiz": dict(p["quiz"]), "choices": dict(p["choices"])}
            for lesson, p in stored.items()
        }
    return learner


def learner() -> str:
    return st.session_state.get(state.LEARNER) or identify()


def class_code() -> str | None:
    return st.session_state.get(state.CLASS)


def progress_of(lesson_id: str) -> dict[str, Any]:
    progress = st.session_state.setdefault(state.PROGRESS, {})
    return progress.setdefault(lesson_id, {"visited": False, "trained": False, "quiz": {}, "choices": {}})


def mark_visited(lesson_id: str) -> None:
    entry = progress_of(lesson_id)
    if not entry["visited"]:
        entry["visited"] = True
        _safely(store().mark_started, learner(), lesson_id, class_code())


def mark_trained(lesson_id: str) -> None:
    entry = progress_of(lesson_id)
    if not entry["trained"]:
        entry["trained"] = True
        _safely(store().mark_trained, learner(), lesson_id)


def record_answer(lesson_id: str, question_id: str, choice: int, correct: bool) -> bool:
    """Keep the first answer to a question (later ones are feedback only); True if this was it."""
    entry = progress_of(lesson_id)
    if question_id in entry["quiz"]:
        return False
    entry["quiz"][question_id] = correct
    entry["choices"][question_id] = choice
    _safely(store().record_answer, learner(), lesson_id, question_id, choice, correct)
    return True


def reset() -> None:
    """Start over: this learner's progress is cleared here and in the store (same learner id)."""
    st.session_state.pop(state.PROGRESS, None)
    for key in [k for k in st.session_state if str(k).startswith(("quiz:", "quizexp:", "quizpred:"))]:
        del st.session_state[key]
    _safely(store().reset_learner, learner())
