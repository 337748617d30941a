"""The data every lesson uses: the sidebar's choice, cached, with a key that identifies it.

Caches hold numpy/pandas objects only (JAX stays inside the library); a `Ratings` is passed
unhashed (``_ratings``) next to its key, because hashing a million ratings on every rerun would
cost more than the work it saves.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages._ui import state
from recsys_core import data as rdata
from recsys_core.data import Ratings
from recsys_core.lessons.defaults import DEFAULT_RATINGS

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
SAMPLE_FILE = ASSETS / "sample_ratings.csv"
RATING_COUNTS = (5_000, 10_000, 20_000, 50_000, 100_000)


@st.cache_data(max_entries=12, show_spinner="Generating the synthetic catalogue...")
def synthetic_data(n_ratings: int, seed: int, n_users: int = 1000, n_items: int = 500) -> Ratings:
    return rdata.synthetic(n_users=n_users, n_items=n_items, n_ratings=n_ratings, seed=seed)


@st.cache_data(max_entries=2, show_spinner="Loading the sample file...")
def sample_data() -> Ratings:
    return rdata.load_ratings(SAMPLE_FILE)


def synthetic_choice() -> tuple[int, int]:
    """(number of ratings, data seed) the sidebar selects for the synthetic catalogue."""
    return int(st.session_state.get(state.RATINGS, DEFAULT_RATINGS)), int(st.session_state.get(state.SEED, 0))


def dataset() -> tuple[str, Ratings]:
    """The data the sidebar selects, with a key that identifies it for caches and runs."""
    choice = st.session_state.get(state.DATA, "synthetic")
    if choice == "uploaded" and state.UPLOADED in st.session_state:
        return st.session_state[state.UPLOADED_KEY], st.session_state[state.UPLOADED]
    if choice == "sample":
        return "sample", sample_data()
    n_ratings, seed = synthetic_choice()
    return f"synthetic:{n_ratings}:{seed}", synthetic_data(n_ratings, seed)


@st.cache_data(max_entries=12)
def holdout(key: str, _ratings: Ratings, test_fraction: float = rdata.TEST_FRACTION,
            seed: int = 0) -> tuple[Ratings, Ratings]:
    """The lessons' train/held-out split, cached per dataset key (the Ratings itself is not hashed)."""
    return rdata.holdout_split(_ratings, test_fraction=test_fraction, seed=seed)
