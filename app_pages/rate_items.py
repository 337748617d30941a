"""Rate a few items yourself: a new user folded into a trained model (the cold-start problem)."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui.controls import Control, widget
from recsys_core import plots
from recsys_core.data import Ratings
from recsys_core.evaluation.ranking import popular_items, recommendation_table, top_k
from recsys_core.lessons import cold_start
from recsys_core.models.mf import MFParams
from recsys_core.training.mf import MFConfig, fit_mf

# The Playground's MF settings: on the synthetic catalogue they learn genre-shaped item features
# in 20 quick epochs (lesson 1's slower learning rate leaves the features near their random start).
MODEL = MFConfig(k=10, learning_rate=0.03, l2=0.1, epochs=20, lr_decay=0.9)
TOP_N = 10


@st.cache_data(max_entries=6, show_spinner="Training the model on everybody else's ratings...")
def trained_model(key: str, _ratings) -> tuple[MFParams, float, float]:
    """MF trained on all ratings of the chosen data: numpy parameters, training MSE, seconds."""
    started = time.perf_counter()
    with ui.training_slot():
        run = fit_mf(_ratings, None, MODEL)
    params = MFParams(*(np.asarray(leaf) for leaf in run.params))
    return params, run.last.train_loss, time.perf_counter() - started


st.title("Rate a few items yourself")
st.markdown(
    "A recommender has never seen a brand-new visitor: this is the **cold-start problem**. Rate some of the items "
    "below (leave the ones you haven't seen) and the model fits *you* — without retraining on everybody else."
)
data_key, ratings = ui.dataset()
st.caption(f"Data: {ui.text(ratings.source)} — chosen in the sidebar; bring your own file on the **Your data** page.")
if ratings.n_ratings < 50 or ratings.n_items < TOP_N + 5:
    st.warning(f"This data has {ratings.n_ratings:,} ratings on {ratings.n_items:,} items; this page needs at least "
               f"50 ratings and {TOP_N + 5} items. Choose other data in the sidebar.", icon=":material/warning:")
    st.stop()
params, train_mse, fit_seconds = trained_model(data_key, ratings)
has_genres = ratings.item_genres is not None and any(ratings.item_genres)
per_user = ratings.n_ratings / ratings.n_users
st.caption(f"Model: biased MF, rank {MODEL.k}, trained on all {ratings.n_ratings:,} ratings in {fit_seconds:.1f} s "
           "(once per data choice).")
if per_user < 20:
    more = ("With 50,000 ratings (sidebar) the pull of your taste is much clearer." if ratings.truth is not None
            else "A file with more ratings per user would sharpen it.")
    st.info(f"The model learned from about {per_user:.0f} ratings per user, so its sense of taste is rough and "
            f"your ratings move the list only a little. {more}", icon=":material/info:")

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


def listing(data: Ratings, items: np.ndarray, item_scores: np.ndarray, with_genres: bool) -> pd.DataFrame:
    """A top-10 table for `st.table` (which wraps long titles instead of cutting them)."""
    table = recommendation_table(data, items, item_scores).rename(columns={"score": "predicted stars"})
    table["predicted stars"] = table["predicted stars"].map("{:.2f}".format)
    table[["title", "genres"]] = table[["title", "genres"]].map(ui.text)  # st.table renders cells as markdown
    return table.drop(columns=["item"] if with_genres else ["item", "genres"]).set_index("rank")


def clear_ratings() -> None:
    for key in star_keys.values():
        st.session_state[key] = None


st.subheader("1 · Rate what you know")
st.caption("1 to 5 stars; leave an item empty if you haven't seen it (click a chosen star again to clear it).")
columns = st.columns(4)
for n, item in enumerate(candidates):
    with columns[n % 4].container(border=True, height="stretch"):
        st.markdown(f"**{ui.text(ratings.title(int(item)))}**")
        genres = ui.text(", ".join(ratings.genres_of(int(item))))
        st.caption(f"{genres + ' · ' if genres else ''}rated by {popularity[item]:,} people")
        st.feedback("stars", key=star_keys[int(item)])
st.button("Clear my ratings", on_click=clear_ratings, icon=":material/restart_alt:", key="ri_clear")

rated = [item for item in candidates if st.session_state.get(star_keys[int(item)]) is not None]
stars = [st.session_state[star_keys[int(item)]] + 1 for item in rated]  # st.feedback gives 0..4
vector, bias = cold_start.fold_in_user(params, rated, stars, l2)
scores = cold_start.new_user_scores(params, vector, bias)
yours = top_k(scores, rated, TOP_N)
newcomer_scores = cold_start.new_user_scores(params, np.zeros(params.k), 0.0)  # what zero ratings give
newcomer = top_k(newcomer_scores, rated, TOP_N)
popular = popular_items(ratings, TOP_N, seen=rated)

st.subheader("2 · Fold you into the model")
st.markdown(
    f"With every item's features fixed, your predicted rating is linear in your own {params.k} features and bias, so "
    "finding them is a small ridge regression with an exact answer — no retraining of the other "
    f"{ratings.n_users:,} users. With no ratings the answer is all zeros and your list is the crowd's favourites "
    "(the items with the highest item bias, liked by most who rated them). With one or two ratings the L2 penalty "
    "outweighs the evidence, so your vector stays short and most of that list stays put: that is the cold-start "
    "problem. Each further rating adds evidence and lets your taste show."
)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Items you rated", f"{len(rated)} of {len(candidates)}")
m2.metric("Your taste vector length", f"{np.linalg.norm(vector):.2f}", help="|p|: 0 means no personal taste yet.")
m3.metric("Your bias", f"{bias:+.2f} stars", help="How much more generous than average your ratings are.")
m4.metric("Shared with a newcomer's top 10", f"{cold_start.overlap(yours, newcomer)} of {TOP_N}",
          help="The list the model gives someone who rated nothing: the crowd's favourites.")
st.plotly_chart(plots.vector_bars(vector, f"Your learned taste vector ({params.k} features)", "weight"), width="stretch")

st.subheader(f"3 · Your top {TOP_N}")
left, right = st.columns(2)
with left:
    st.markdown("**For you** (rated items left out)")
    st.table(listing(ratings, yours, scores, has_genres))
with right:
    st.markdown("**For a newcomer** (no ratings: the crowd's favourites)")
    st.table(listing(ratings, newcomer, newcomer_scores, has_genres))
st.caption(f"Your list shares {cold_start.overlap(yours, newcomer)} of {TOP_N} items with a newcomer's and "
           f"{cold_start.overlap(yours, popular)} with the {TOP_N} most-rated items (popular is not the same as "
           "liked: the model ranks by predicted stars).")

if has_genres:
    st.subheader("4 · Do the genres match your taste?")
    genres = sorted({g for item in candidates for g in ratings.genres_of(int(item))}
                    | set(cold_start.genre_counts(ratings, yours)))
    your_stars = {g: [s for item, s in zip(rated, stars, strict=True) if g in ratings.genres_of(int(item))] for g in genres}
    mine, everyone = cold_start.genre_counts(ratings, yours), cold_start.genre_counts(ratings, newcomer)
    genre_table = pd.DataFrame({
        "genre": genres,
        "your mean stars": [np.mean(your_stars[g]) if your_stars[g] else np.nan for g in genres],
        "items you rated": [len(your_stars[g]) for g in genres],
        "in your top 10": [mine.get(g, 0) for g in genres],
        "in a newcomer's top 10": [everyone.get(g, 0) for g in genres],
    }).sort_values(["your mean stars", "in your top 10"], ascending=False, na_position="last")
    st.dataframe(genre_table, hide_index=True, width="stretch",
                 column_config={"your mean stars": st.column_config.NumberColumn(format="%.1f")})
    liked = genre_table.dropna(subset=["your mean stars"])
    if len(liked):
        top = liked.iloc[0]
        theirs = top["in a newcomer's top 10"]
        st.markdown(f"You rated **{ui.text(top['genre'])}** highest ({top['your mean stars']:.1f} stars on "
                    f"{top['items you rated']} item(s)): your top 10 holds **{top['in your top 10']}** {ui.text(top['genre'])} "
                    f"title(s), a newcomer's {theirs}.")

st.subheader("5 · What each extra rating changes")
if rated:
    steps = []
    for n in range(len(rated) + 1):
        v, b = cold_start.fold_in_user(params, rated[:n], stars[:n], l2)
        listed = top_k(cold_start.new_user_scores(params, v, b), rated, TOP_N)
        steps.append({"your ratings used": f"{n} rated", "shared with a newcomer's top 10": cold_start.overlap(listed, newcomer)})
    st.plotly_chart(plots.grouped_bars(pd.DataFrame(steps), "your ratings used", "shared with a newcomer's top 10",
                                       "Your list moves away from the crowd's favourites as you rate more",
                                       "items shared with a newcomer's top 10", text_format="d"), width="stretch")
    shared = [step["shared with a newcomer's top 10"] for step in steps]
    st.caption(f"Refitted from scratch with your first 0, 1, 2, ... ratings, in the order the items are shown above "
               f"(L2 = {l2:g}). After your first rating your list shared {shared[1]} of {TOP_N} items with a "
               f"newcomer's; with all {len(rated)}, {shared[-1]}.")
else:
    st.info("Rate a few items above: this chart then shows how your list moves away from a newcomer's with "
            "every rating.", icon=":material/star:")

ui.show_code(cold_start.fold_in_user)
