"""Similar users and items in a learned feature space, and a 2-D map of the items.

Shared by every lesson whose model learns a vector per user and per item (matrix factorization
features, neural embeddings): neighbours by cosine similarity, whether neighbours share a genre
more often than chance, and the items projected to two dimensions, coloured by genre.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages._ui import state
from app_pages._ui.charts import plot
from recsys_core import plots
from recsys_core.data import Ratings
from recsys_core.lessons import collaborative_filtering as cf

MORE_RATINGS = 50_000


def neighbours(lesson: str, train: Ratings, user_factors: np.ndarray, item_factors: np.ndarray) -> dict | None:
    """Pickers for a user and an item with their nearest neighbours; returns the genre agreement."""
    st.markdown("#### Similar users and items in the learned feature space")
    user_counts = np.bincount(train.users, minlength=train.n_users)
    item_counts = np.bincount(train.items, minlength=train.n_items)
    u_col, i_col = st.columns(2)
    user = u_col.selectbox("User (most active first)", np.argsort(-user_counts, kind="stable"), key=f"{lesson}:nb_user",
                           format_func=lambda u: f"User {train.user_ids[u]} · likes {', '.join(cf.liked_genres(train, u)) or '—'}")
    u_col.dataframe(cf.similar_users(train, user_factors, int(user)), hide_index=True, width="stretch")
    item = i_col.selectbox("Item (most rated first)", np.argsort(-item_counts, kind="stable"), key=f"{lesson}:nb_item",
                           format_func=lambda i: f"{train.title(i)} · {', '.join(train.genres_of(i))}")
    i_col.dataframe(cf.similar_items(train, item_factors, int(item)), hide_index=True, width="stretch")
    agreement = cf.genre_agreement(train, item_factors)
    if agreement is not None:
        ratio = agreement["neighbour_share"] / max(agreement["random_share"], 1e-9)
        st.markdown(f"Across the {agreement['n_items']:,} most-rated items, **{agreement['neighbour_share']:.0%}** of the "
                    f"{agreement['k']} nearest neighbours share a genre with the item; random items do "
                    f"{agreement['random_share']:.0%} of the time (**{ratio:.1f}x** chance).")
        per_user = train.n_ratings / train.n_users
        if ratio < cf.NEIGHBOURS_CLEAR and train.truth is not None and train.n_ratings < 0.8 * MORE_RATINGS:
            st.info(f"With {per_user:.0f} training ratings per user, users overlap too little for the features to find "
                    "genres yet: collaborative filtering needs shared ratings.", icon=":material/group_off:")
            st.button(f"Use {MORE_RATINGS:,} ratings", key=f"{lesson}:more_data",
                      on_click=lambda: state.move_widget(state.RATINGS, MORE_RATINGS))
    points, share = cf.item_map(train, item_factors)
    plot(plots.scatter_2d(points, "pc1", "pc2", "genre", "label", "Embedding map — item features projected "
                          "to 2-D (PCA), coloured by first genre", f"component 1 ({share[0]:.0%} of variance, "
                          "feature units)", f"component 2 ({share[1]:.0%} of variance, feature units)"))
    return agreement
