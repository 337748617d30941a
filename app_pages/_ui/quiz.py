"""Quizzes, the key insight and "show the code that ran".

A quiz checks understanding, so the score counts a learner's *first* answer (later ones still get
feedback), and it lasts: answers go to the progress store and come back after a reload. A
"predict, then run" question only enables its Run button once the learner has locked a
prediction, so the run checks a guess instead of handing out the answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages._ui import progress, shell, state
from recsys_core import quiz

Outcome = str | tuple[str, tuple[int, str]]  # a live sentence, or (sentence, (right option, explanation))
LETTERS = "ABCDEFG"


@st.cache_resource
def questions(lesson_id: str) -> list[quiz.Question]:
    return quiz.load_quiz(lesson_id)


def replacements(lesson_id: str) -> dict[str, quiz.Question]:
    """The lesson's stand-in questions for data that cannot answer some of its own (see `quiz_block`)."""
    return quiz.load_replacements(lesson_id)


def _option(q: quiz.Question, i: int) -> str:
    return f"{LETTERS[i]}. {q.options[i]}"


def _feedback(lesson_id: str, q: quiz.Question, choice: int, override: tuple[int, str] | None) -> None:
    feedback = quiz.grade(q, choice, *(override or (None, None)))
    progress.record_answer(lesson_id, q.id, choice, feedback.correct)  # kept only if it is the first
    first = progress.progress_of(lesson_id)["choices"].get(q.id)
    (st.success if feedback.correct else st.error)(feedback.message)
    if first is not None and first != choice:
        st.caption(f"Your first answer, {LETTERS[first]}, is the one that counts for the score.")


def quiz_block(lesson_id: str, experiments: dict[str, Callable[[], Outcome]] | None = None,
               answers: dict[str, tuple[int, str]] | None = None, replace: dict[str, quiz.Question] | None = None,
               numbers: dict[str, Any] | None = None) -> None:
    """Each question with immediate feedback; the score counts first answers and is stored.

    ``experiments`` maps an experiment name from the quiz bank to a function that runs it and
    returns its live result ("predict, then run"); ``answers`` supplies the right option and an
    explanation quoting the learner's numbers for questions their own run decides; ``replace``
    swaps a question for one that fits the data in use (a file without genres, say); ``numbers``
    fill the bank's template fields (``{empty:.0%}``) from the live data.
    """
    experiments, answers, replace = experiments or {}, dict(answers or {}), replace or {}
    bank = [quiz.filled(replace.get(q.id, q), numbers or {}) for q in questions(lesson_id)]
    score_slot = st.empty()  # filled last, so it counts the answer given in this very rerun
    stored = progress.progress_of(lesson_id)["choices"]
    for n, q in enumerate(bank, start=1):
        with st.container(border=True):
            tag = " · from the lesson document" if q.from_seed else ""
            st.markdown(f"**Question {n}{tag}.** {q.prompt}")
            answer_key = state.quiz_answer(lesson_id, q.id)
            if answer_key not in st.session_state and q.id in stored:
                st.session_state[answer_key] = stored[q.id]  # the first answer, back after a reload
            if q.experiment and q.experiment in experiments:
                _predict_then_run(lesson_id, q, experiments[q.experiment], answers)
                continue
            choice = st.radio("Your answer", range(len(q.options)), index=None, key=answer_key,
                              format_func=lambda i, q=q: _option(q, i), label_visibility="collapsed")
            if choice is None:
                continue
            override = answers.get(q.id)
            if q.answer is None and override is None:
                st.info("This question is answered by your own run: train the model on the Training tab first.",
                        icon=":material/model_training:")
                continue
            _feedback(lesson_id, q, choice, override)
    results = progress.progress_of(lesson_id)["quiz"]
    right = sum(bool(results.get(q.id)) for q in bank)
    answered = sum(q.id in results for q in bank)
    score_slot.markdown(f"**Score: {right} / {len(bank)}** ({answered} answered; the first answer to each question counts)")


def _predict_then_run(lesson_id: str, q: quiz.Question, experiment: Callable[[], Outcome],
                      answers: dict[str, tuple[int, str]]) -> None:
    answer_key, locked_key = state.quiz_answer(lesson_id, q.id), state.quiz_prediction(lesson_id, q.id)
    result_key = state.quiz_experiment(lesson_id, q.id)
    if locked_key not in st.session_state and answer_key in st.session_state and q.id in progress.progress_of(lesson_id)["quiz"]:
        st.session_state[locked_key] = st.session_state[answer_key]  # locked before a reload
    locked = st.session_state.get(locked_key)
    if locked is None:
        choice = st.radio("Your prediction", range(len(q.options)), index=None, key=answer_key,
                          format_func=lambda i: _option(q, i), label_visibility="collapsed")
        st.button("Lock my prediction", key=f"{locked_key}:lock", disabled=choice is None, icon=":material/lock:",
                  help="Commit to a guess before the run shows what happens.", on_click=_lock, args=(answer_key, locked_key))
    else:
        st.markdown(f"Your locked prediction: **{_option(q, locked)}**")
    if st.button(q.experiment_label or "Run the experiment", key=f"{result_key}:run", icon=":material/play_arrow:",
                 disabled=locked is None, help=None if locked is not None else "Lock a prediction first."):
        with st.spinner("Running..."):  # an experiment that trains takes a training slot itself
            st.session_state[result_key] = experiment()
    if result_key not in st.session_state or locked is None:
        return
    outcome = st.session_state[result_key]
    message, override = outcome if isinstance(outcome, tuple) else (outcome, None)
    st.info(message, icon=":material/lab_profile:")
    override = override or answers.get(q.id)
    if q.answer is None and override is None:
        st.warning("This run could not decide the answer on the data in use.", icon=":material/help:")
        return
    _feedback(lesson_id, q, locked, override)


def _lock(answer_key: str, locked_key: str) -> None:
    """A button callback: the prediction is fixed before the script redraws the question."""
    st.session_state[locked_key] = st.session_state.get(answer_key)


def key_insight(lesson_id: str, from_your_run: str) -> None:
    st.info(shell.lesson_text(lesson_id, "key_insight"), icon=":material/lightbulb:")
    st.markdown("**What your own run showed**")
    st.markdown(from_your_run)


def show_code(*objects: Any) -> None:
    """Display the real library source that ran (a touch borrowed from Streamlit's hello app).

    Drawn only once opened: the code view's frontend module is about 1.5 MB of JavaScript that a
    first visit would otherwise load and run (about a quarter of a second on a 2-core laptop) for a
    section most learners never open."""
    key = f"show_code_{objects[0].__qualname__}"  # one per page: an open one does not carry over
    section = st.expander("Show the code that ran", icon=":material/code:", key=key, on_change="rerun")
    if not section.open:
        return
    with section:
        for obj in objects:
            module = inspect.getmodule(obj)
            # Full-strength text: a caption's faded inline code reads at 3:1 (WCAG AA asks 4.5:1).
            st.markdown(f"`{module.__name__ if module else ''}.{obj.__qualname__}`")
            # Wrapped, not scrolled sideways (a keyboard cannot reach a scrolling <pre>: axe's
            # scrollable-region-focusable), and plain: st.code's fixed syntax colours read at 3-3.8:1.
            st.code(inspect.getsource(obj), language=None, wrap_lines=True)
