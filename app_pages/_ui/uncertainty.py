"""Pickers for one (user, item) pair, listed with how many training ratings each has.

Bayesian MF's spread depends on how much the data say about the user and the item, so the lists
show each one's count: most active users and most rated items first, the sparse ones at the end.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from recsys_core.data import Ratings


def pair_picker(train: Ratings, prefix: str = "pg") -> tuple[int, int]:
    """A user and an item (indices), each chosen from a list sorted by training ratings."""
    user_counts = np.bincount(train.users, minlength=train.n_users)
    item_counts = np.bincount(train.items, minlength=train.n_items)
    left, right = st.columns(2)
    user = left.selectbox("User (most ratings first)", np.argsort(-user_counts, kind="stable").tolist(),
                          key=f"{prefix}_user", format_func=lambda u: f"User {train.user_ids[u]} · {user_counts[u]:,} ratings")
    item = right.selectbox("Item (most ratings first)", np.argsort(-item_counts, kind="stable").tolist(),
                           key=f"{prefix}_item", format_func=lambda i: f"{train.title(i)} · {item_counts[i]:,} ratings")
    return int(user), int(item)
