"""The frame around every page: the lesson list, the shared sidebar, a lesson's header and tabs.

The sidebar holds what the whole app shares — which data the lessons use and the training pace —
bound to the page address like every other setting. A lesson's tabs run lazily: only the open
tab's content is computed, which is most of what keeps a rerun cheap when a class shares one
laptop.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app_pages._ui import controls, data, state, traces
from app_pages._ui.controls import Control
from recsys_core.data import N_ITEMS, N_USERS
from recsys_core.lessons.engagement import TOP_K
from recsys_core.training.device import device_summary, use_compilation_cache

PACES = ("watch", "fast")
DEFAULT_PACE = "watch"  # a learner opening a lesson expects to see the model learn, not a finished chart


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
           f"A neural recommender picks a top {TOP_K}; simulated users click more than on popular or random picks.",
           ":material/ads_click:", "3 · Engagement"),
    Lesson("overfitting", "Experiment: fixing overfitting", "app_pages/overfitting.py", 20,
           "A click model memorises its training data; fix it with dropout, early stopping and a smaller layer.",
           ":material/science:", "4 · Fixing overfitting"),
)
LESSON_BY_ID = {lesson.id: lesson for lesson in LESSONS}
STEPS = ("Pipeline trace", "Training trace", "Prediction trace", "Quiz", "Key insight")


def configure_jax() -> None:
    """Keep compiled XLA programs on disk so a restarted server does not compile again."""
    use_compilation_cache(str(data.ROOT / ".jax_cache"))


@st.cache_resource
def lesson_texts() -> dict[str, dict[str, str]]:
    return json.loads((data.ASSETS / "lessons.json").read_text(encoding="utf-8"))


def lesson_text(lesson_id: str, field: str, **numbers: Any) -> str:
    """A lesson's prose from assets/lessons.json, its numbers filled in from the live data."""
    return lesson_texts()[lesson_id][field].format(**numbers)


@st.cache_resource
def device() -> str:
    return device_summary()


DATA_CHOICE = Control(state.DATA, "Ratings used by the lessons", "segmented", ("synthetic", "sample", "uploaded"))
RATINGS = Control(state.RATINGS, "Number of ratings", "select", data.RATING_COUNTS, fmt=lambda n: f"{n:,}",
                  help=f"{N_USERS:,} users x {N_ITEMS:,} items; more ratings per user let the taste features matter.")
SEED = Control(state.SEED, "Data seed", "number", low=0, high=9999,
               help="Same seed, same data: share the link to share the run.")
PACE = Control(state.PACE, "Training pace", "segmented", PACES,
               help="watch: each run plays out over a few seconds so you can follow the curves. "
                    "fast: full speed, for trying many settings.")


def pace() -> str:
    return controls.link_value(PACE, DEFAULT_PACE)


def sidebar() -> None:
    """The shared sidebar: which data every lesson uses, the training pace, the device, how to use."""
    with st.sidebar:
        st.subheader("Data")
        uploaded = state.UPLOADED in st.session_state
        options = DATA_CHOICE.options if uploaded else DATA_CHOICE.options[:2]
        labels = {"synthetic": "synthetic", "sample": "sample file",  # option labels are markdown
                  "uploaded": traces.text(st.session_state.get(state.UPLOADED_NAME, "your file"))}
        choice = controls.widget(Control(state.DATA, DATA_CHOICE.label, "segmented", options,
                                         fmt=lambda c: labels[c],
                                         help="The synthetic catalogue plants genres and tastes, so the app can compare "
                                              "what a model learns with the truth. Upload your own on 'Your data'."),
                                 "synthetic")
        if choice == "synthetic":
            controls.widget(RATINGS, data.DEFAULT_RATINGS)
            controls.widget(SEED, 0)
            n_ratings, seed = data.synthetic_choice()
            st.caption(f"In use: the synthetic catalogue, {n_ratings:,} ratings, seed {seed}.")
        elif choice == "sample":
            st.caption("In use: the bundled sample file.")
        else:
            st.caption(f"In use: your file **{traces.text(st.session_state.get(state.UPLOADED_NAME, ''))}**.")
        st.subheader("Training")
        controls.widget(PACE, DEFAULT_PACE)
        st.divider()
        st.caption(f"JAX computes on: **{device()}**")
        with st.expander("How to use RecSys Lab"):
            st.markdown(
                "1. Start with **Matrix factorization basics**.\n"
                "2. Each lesson walks the same steps as tabs: pipeline, training, prediction, quiz, key insight.\n"
                "3. Move a slider: the model retrains and every number updates.\n"
                "4. The page address holds your settings — copy it to share the exact run."
            )


def data_summary(ratings) -> None:
    cols = st.columns(4)
    cols[0].metric("Users", f"{ratings.n_users:,}")
    cols[1].metric("Items", f"{ratings.n_items:,}")
    cols[2].metric("Ratings", f"{ratings.n_ratings:,}")
    cols[3].metric("Known cells", f"{ratings.density:.2%}", help="Share of the users x items matrix that holds a rating.")


def lesson_header(lesson_id: str, extra_steps: Sequence[str] = (), **numbers: Any) -> Lesson:
    """Title, length, intro (its numbers from the live data) and the place for link notices."""
    from app_pages._ui import progress  # progress imports shell for LESSONS

    lesson = LESSON_BY_ID[lesson_id]
    progress.mark_visited(lesson_id)
    st.title(lesson.title)
    steps = [s.removesuffix(" trace").lower() for s in (*STEPS[:3], *extra_steps, *STEPS[3:])]
    st.caption(f"About {lesson.minutes} minutes · {len(steps)} steps: " + " → ".join(steps))
    st.markdown(lesson_text(lesson_id, "intro", **numbers))
    controls.begin_notices()
    return lesson


def lesson_tabs(lesson_id: str, extra: Sequence[str] = ()) -> Sequence[Any]:
    """The steps every lesson follows (plus ``extra`` after the prediction trace) as lazy tabs.

    The open tab is part of the URL (``?tab=2 · Training trace``); a tab name the lesson does not
    have gets a notice. The open tab never carries over from one lesson to the next.
    """
    names = [f"{i} · {name}" for i, name in enumerate((*STEPS[:3], *extra, *STEPS[3:]), 1)]
    previous = st.session_state.get(state.LAST_LESSON)
    if previous != lesson_id:
        st.session_state.pop(state.TAB, None)
        if previous is not None:  # came from another lesson: its tab in the URL is not this one's
            st.query_params.pop(state.TAB, None)
        st.session_state[state.LAST_LESSON] = lesson_id
    controls.link_value(Control(state.TAB, "tab", "segmented", tuple(names)), names[0])
    tabs = st.tabs(names, key=state.TAB, on_change="rerun")
    controls.link_value(Control(state.TAB, "tab", "segmented", tuple(names)), names[0])
    return tabs
