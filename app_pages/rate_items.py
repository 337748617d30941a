"""Rate a few items yourself: a new user folded into a trained model (the cold-start problem)."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import state
from app_pages._ui.controls import Control, widget
from recsys_core import plots
from recsys_core.evaluation.ranking import popular_items, top_k
from recsys_core.lessons import cold_start
from recsys_core.lessons.defaults import PLAYGROUND_MF
from recsys_core.models.mf import MFParams, numpy_params
from recsys_core.training.mf import fit_mf

TOP_N = 10
MIN_RATINGS = 50  # fewer, and "everybody else" is too few people to learn item features from
STARS = 5  # st.feedback("stars") offers five stars and returns 0..4


@st.cache_data(max_entries=6, show_spinner="Training the model on everybody else's ratings...")
def trained_model(key: str, _ratings) -> tuple[MFParams, float, float]:
    """MF trained on all ratings of the chosen data: numpy parameters, training MSE, seconds."""
    started = time.perf_counter()
    with ui.training_slot():
        run = fit_mf(_ratings, None, PLAYGROUND_MF)
    params = cold_start.shrink_item_biases(numpy_params(run.params), _ratings)
    return params, run.last.train_loss, time.perf_counter() - started


st.title("Rate a few items yourself")
st.markdown(
    "A recommender has never seen a brand-new visitor: this is the **cold-start problem**. Rate some of the items "
    "below (leave the ones you haven't seen) and the model fits *you* — without retraining on everybody else."
)
data_key, ratings = ui.dataset()
st.caption(f"Data: {ui.text(ratings.source)} — chosen in the sidebar; bring your own file on the **Your data** page.")
if ratings.n_ratings < MIN_RATINGS or ratings.n_items < TOP_N + 5:
    st.warning(f"This data has {ratings.n_ratings:,} ratings on {ratings.n_items:,} items; this page needs at least "
               f"{MIN_RATINGS} ratings and {TOP_N + 5} items. Choose other data in the sidebar.", icon=":material/warning:")
    st.stop()
params, train_mse, fit_seconds = trained_model(data_key, ratings)
per_user = ratings.n_ratings / ratings.n_users
st.caption(f"Model: biased MF, rank {PLAYGROUND_MF.k}, trained on all {ratings.n_ratings:,} ratings in {fit_seconds:.1f} s "
           "(once per data choice).")
if per_user < 20:
    st.info(f"The model learned from about {per_user:.0f} ratings per user, so its sense of taste is rough and your ratings "
            "move the list only a little. More ratings per user (sidebar, or a bigger file) sharpen it.", icon=":material/info:")

c1, c2 = st.columns(2)
n_items = widget(Control("ri_n", "Items to rate", "select", (8, 12, 16, 24), help="Popular items, spread across genres."),
                 12, c1)
l2 = widget(Control("ri_l2", "L2 for your vector", "select", (0.3, 1.0, 3.0, 10.0, 30.0),
                    help="How hard your vector and bias are pulled towards zero, i.e. towards a newcomer's list. "
                         f"A Bayesian would pick about {cold_start.prior_l2(params, train_mse):.1f} for this model: the "
                         "rating noise (training MSE) over the spread of the trained users' features."), 3.0, c2)

candidates = cold_start.items_to_rate(ratings, n_items)
popularity = np.bincount(ratings.items, minlength=ratings.n_items)
star_keys = {int(item): f"ri_star:{data_key}:{int(item)}" for item in candidates}
low, high = ratings.rating_scale


def clear_ratings() -> None:
    for key in star_keys.values():
        state.move_widget(key, None)


st.subheader("1 · Rate what you know")
st.caption(f"One star means {low:g} and {STARS} stars mean {high:g} on this data's own scale; leave an item empty if "
           "you haven't seen it (click a chosen star again to clear it).")
columns = st.columns(4)
for n, item in enumerate(candidates):
    with columns[n % 4].container(border=True, height="stretch"):
        st.markdown(f"**{ui.text(ratings.title(int(item)))}**")
        genres = ui.text(", ".join(ratings.genres_of(int(item))))
        st.caption(f"{genres + ' · ' if genres else ''}rated by {popularity[item]:,} people")
        st.feedback("stars", key=star_keys[int(item)])
st.button("Clear my ratings", on_click=clear_ratings, icon=":material/restart_alt:", key="ri_clear")

rated = [int(item) for item in candidates if st.session_state.get(star_keys[int(item)]) is not None]
stars = [low + st.session_state[star_keys[item]] / (STARS - 1) * (high - low) for item in rated]
vector, bias = cold_start.fold_in_user(params, rated, stars, l2)
scores = cold_start.new_user_scores(params, vector, bias)
yours = top_k(scores, rated, TOP_N)
newcomer_scores = cold_start.new_user_scores(params, np.zeros(params.k), 0.0)  # what zero ratings give
newcomer = top_k(newcomer_scores, rated, TOP_N)

st.subheader("2 · Fold you into the model")
st.markdown(
    f"With every item's features fixed, your predicted rating is linear in your own {params.k} features and bias, so "
    "finding them is a small ridge regression with an exact answer — no retraining of the other "
    f"{ratings.n_users:,} users. With no ratings the answer is all zeros and your list is the crowd's favourites: the "
    f"items with the highest item bias, each bias counted as if the item had {cold_start.PRIOR_WEIGHT} more ratings at "
    "its expected level, so an item two people loved does not outrank one loved by hundreds. With one or two ratings "
    "the L2 penalty outweighs the evidence, so your vector stays short and most of that list stays put: that is the "
    "cold-start problem. Each further rating adds evidence and lets your taste show."
)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Items you rated", f"{len(rated)} of {len(candidates)}")
m2.metric("Your taste vector length", f"{np.linalg.norm(vector):.2f}", help="|p|: 0 means no personal taste yet.")
m3.metric("Your bias", f"{bias:+.2f} stars", help="How much more generous than average your ratings are.")
m4.metric(f"Shared with a newcomer's top {TOP_N}", f"{cold_start.overlap(yours, newcomer)} of {TOP_N}",
          help="The list the model gives someone who rated nothing: the crowd's favourites.")
st.plotly_chart(plots.vector_bars(vector, f"Your learned taste vector ({params.k} features)", "weight"), width="stretch",
                alt=f"Bar chart of your {params.k} taste features; length {np.linalg.norm(vector):.2f}.")

st.subheader(f"3 · Your top {TOP_N}")
for col, title, items, item_scores in zip(st.columns(2), ("**For you** (rated items left out)", "**For a newcomer** (no "
                                        "ratings: the crowd's favourites)"), (yours, newcomer), (scores, newcomer_scores), strict=True):
    col.markdown(title)
    with col:
        ui.text_table(cold_start.list_table(ratings, items, item_scores))
popular = popular_items(ratings, TOP_N, seen=rated)
st.caption(f"Your list shares {cold_start.overlap(yours, newcomer)} of {TOP_N} items with a newcomer's and "
           f"{cold_start.overlap(yours, popular)} with the {TOP_N} most-rated items (popular is not the same as "
           "liked: the model ranks by predicted stars).")

if ratings.has_genres:
    st.subheader("4 · Do the genres match your taste?")
    genre_table = cold_start.genre_table(ratings, candidates, rated, stars, yours, newcomer)
    st.dataframe(genre_table, hide_index=True, width="stretch",
                 column_config={"your mean stars": st.column_config.NumberColumn(format="%.1f")})
    liked = genre_table.dropna(subset=["your mean stars"])
    if len(liked):
        top = liked.iloc[0].to_dict()
        mine, theirs = top[f"in your top {TOP_N}"], top[f"in a newcomer's top {TOP_N}"]
        st.markdown(f"You rated **{ui.text(top['genre'])}** highest ({top['your mean stars']:.1f} stars on "
                    f"{top['items you rated']} item(s)): your top {TOP_N} holds **{mine}** such title(s), a newcomer's {theirs}.")

st.subheader("5 · What each extra rating changes")
if rated:
    shared = cold_start.overlap_steps(params, rated, stars, l2, newcomer, TOP_N)
    shared_label = f"shared with a newcomer's top {TOP_N}"
    steps = pd.DataFrame({"your ratings used": [f"{n} rated" for n in range(len(shared))], shared_label: shared})
    st.plotly_chart(plots.grouped_bars(steps, "your ratings used", shared_label,
                                       "Your list moves away from the crowd's favourites as you rate more",
                                       f"items {shared_label}", text_format="d"), width="stretch",
                    alt=f"Items {shared_label} after each of your ratings: " + ", ".join(map(str, shared)))
    st.caption("Refitted from scratch with none of your ratings, then your first, your first two and so on, in the order "
               f"the items are shown above (L2 = {l2:g}). After your first rating your list shared {shared[1]} of {TOP_N} items with a "
               f"newcomer's; with all {len(rated)}, {shared[-1]}.")
else:
    st.info("Rate a few items above: this chart then shows how your list moves away from a newcomer's with "
            "every rating.", icon=":material/star:")

ui.show_code(cold_start.fold_in_user, cold_start.shrink_item_biases)
