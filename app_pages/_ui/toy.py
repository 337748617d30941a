"""Lesson 1's toy: a ratings table small enough to touch, and rank-2 factors that fit it.

A learner edits a rating or a factor, or lets the model take gradient steps, and sees at once
the predicted table, the loss on the known cells only and the guesses for the missing cells.
It runs as a fragment, so an edit reruns only the toy (numpy: a few milliseconds), not the page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from recsys_core.lessons import mf_basics as lesson

_P, _Q, _R, _VERSION = "toy:p", "toy:q", "toy:r", "toy:version"


def _take_steps(steps: int) -> None:
    """A button callback: runs before the toy redraws, from the tables as last edited."""
    state = st.session_state
    if steps > 0:
        state[_P], state[_Q] = lesson.toy_steps(state[_R], state[_P], state[_Q], steps)
    else:
        state[_P], state[_Q] = lesson.toy_start(seed=state[_VERSION] + 1)
    state[_VERSION] += 1  # new editor keys: the editors show the new values, not the old edits


def _factors_editor(values: np.ndarray, names: tuple[str, ...], label: str, version: int) -> np.ndarray:
    frame = pd.DataFrame(values, index=list(names), columns=[f"f{j + 1}" for j in range(values.shape[1])])
    edited = st.data_editor(frame.round(3), key=f"toy:{label}:{version}", width="stretch",
                            column_config={c: st.column_config.NumberColumn(format="%.3f", step=0.1) for c in frame})
    return edited.to_numpy(dtype=float)


@st.fragment
def toy() -> None:
    state = st.session_state
    if _P not in state:
        state[_P], state[_Q] = lesson.toy_start()
        state[_VERSION] = 0
    st.markdown("#### Start small: a table you can touch")
    st.markdown(f"{len(lesson.TOY_USERS)} users, {len(lesson.TOY_ITEMS)} movies, some cells empty — the first row is the "
                "lesson document's “User 1 rated Movie 1 as 4, Movie 2 as missing, Movie 3 as 5”. "
                f"{lesson.TOY_RANK} features per user and per movie (rank {lesson.TOY_RANK}) multiply into a guess for "
                "**every** cell. Edit a rating or a feature, or let gradient descent take steps.")
    ratings_frame = pd.DataFrame(lesson.TOY_RATINGS, index=list(lesson.TOY_USERS), columns=list(lesson.TOY_ITEMS))
    edited = st.data_editor(ratings_frame, key="toy:ratings", width="stretch",
                            column_config={c: st.column_config.NumberColumn(min_value=1, max_value=5, step=1, format="%d")
                                           for c in ratings_frame})
    ratings = edited.to_numpy(dtype=float)
    left, right = st.columns(2)
    with left:
        st.caption(f"User features ({len(lesson.TOY_USERS)} x {lesson.TOY_RANK})")
        p = _factors_editor(state[_P], lesson.TOY_USERS, "p", state[_VERSION])
    with right:
        st.caption(f"Movie features ({len(lesson.TOY_ITEMS)} x {lesson.TOY_RANK})")
        q = _factors_editor(state[_Q], lesson.TOY_ITEMS, "q", state[_VERSION])
    state[_P], state[_Q], state[_R] = p, q, ratings  # what the step buttons start from
    buttons = st.columns(4)
    for col, n in zip(buttons[:3], (1, 10, 100), strict=True):
        col.button(f"Take {n} step{'s' if n > 1 else ''}", key=f"toy:step{n}", width="stretch", on_click=_take_steps,
                   args=(n,), help="Full-batch gradient descent on the loss of the known cells.")
    buttons[3].button("New random features", key="toy:reset", width="stretch", on_click=_take_steps, args=(0,))
    predicted, filled = lesson.toy_tables(ratings, p, q)
    known = int((~np.isnan(ratings)).sum())
    st.metric("Loss on the known cells only (mean squared error)", f"{lesson.toy_loss(ratings, p, q):.3f}",
              help=f"Averaged over the {known} cells that hold a rating; the {ratings.size - known} empty cells do not count.")
    a, b = st.columns(2)
    a.caption("Every cell predicted: user features · movie features")
    a.dataframe(predicted, width="stretch")
    b.caption("The table with its empty cells filled in by those predictions")
    b.dataframe(filled.style.apply(lambda _: np.where(np.isnan(ratings), "background-color: #fde68a", ""), axis=None)
                .format("{:.2f}"), width="stretch")
