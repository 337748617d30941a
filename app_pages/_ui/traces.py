"""The pipeline and prediction traces: the seed's stage table, one layer of a prediction, and the
matrix-factorization prediction trace that lessons 1 and 2 share.

Text that came from a learner's file (titles, ids) is escaped before it reaches markdown, so a
title can never become a link, an image or markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages._ui.charts import plot
from recsys_core import plots
from recsys_core.data import Ratings
from recsys_core.models.mf import MFParams, mf_trace

STAGE_COLUMNS = ["Stage", "Input shape", "Operation", "Output shape", "Example (live)"]
_MARKDOWN_SPECIALS = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()#+-.!|<>~$:"})
# GitHub-flavoured markdown turns bare URLs (http://, https://, www.) and e-mail addresses into
# links after escapes are resolved, so no escape stops it; an invisible word joiner does.
_AUTOLINK = re.compile(r"(https?:)(?=//)|(www)(?=\.)|(@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def text(value: object) -> str:
    """Data as literal text inside markdown: every markdown and HTML special character escaped, and
    a URL or e-mail address kept from becoming a link (a word joiner after ``http:``, ``www``, ``@``)."""
    return _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, str(value)).translate(_MARKDOWN_SPECIALS)


def text_table(frame: pd.DataFrame) -> None:
    """A static table (it wraps long titles instead of cutting them) whose cells are data, not markdown:
    `st.table` renders cells as markdown, so every text cell is escaped."""
    st.table(frame.map(lambda v: text(v) if isinstance(v, str) else v))


def stage_table(stages: Sequence[dict[str, str]]) -> None:
    """The seed's data-flow table, with every shape and example taken from live objects."""
    frame = pd.DataFrame(
        [[text(f"{i}. {s['stage']}"), *(text(s[c]) for c in ("input", "operation", "output", "example"))]
         for i, s in enumerate(stages, 1)],
        columns=STAGE_COLUMNS,
    )
    # A static table wraps long cells (a dataframe would hide the examples off to the right); it
    # renders cells as markdown, so the cells (plain text, titles and ids among them) are escaped.
    st.table(frame.set_index("Stage"))


def layer(title: str, shape: str, explanation: str, body: Callable[[], None] | None = None) -> None:
    """One step of a prediction trace: its name, the shape of what it holds, what it does."""
    with st.container(border=True):
        st.markdown(f"**{title}** &nbsp; `{shape}`")
        st.caption(explanation)
        if body is not None:
            body()


def parts_figure(trace: dict, title: str) -> go.Figure:
    """A prediction as a waterfall: the mean, plus each bias, plus the taste match = the rating."""
    labels = ["mean rating μ", "user bias b_u", "item bias b_i", "taste match p·q"]
    values = [trace["global_mean"], trace["user_bias"], trace["item_bias"], trace["dot"]]
    fig = go.Figure(go.Waterfall(
        x=[*labels, "prediction"], y=[*values, 0.0], measure=["absolute", "relative", "relative", "relative", "total"],
        text=[f"{values[0]:.2f}", *(plots.signed(v) for v in values[1:]), f"{trace['prediction']:.2f}"],
        textposition="outside", connector=dict(line=dict(color="#9ca3af")),
        increasing=dict(marker=dict(color=plots.PALETTE[0])), decreasing=dict(marker=dict(color=plots.PALETTE[1])),
        totals=dict(marker=dict(color=plots.PALETTE[2])),
    ))
    fig.update_yaxes(title_text="stars", **plots.GRID)
    return plots._layout(fig, height=300, title=title)


def parts_sentence(trace: dict) -> str:
    """Which part of the prediction does the personal work, from the numbers."""
    personal = {"the user's generosity (bias)": trace["user_bias"], "the item's appeal to everyone (bias)": trace["item_bias"],
                "the taste match (dot product)": trace["dot"]}
    total = sum(abs(v) for v in personal.values()) or 1.0
    biggest = max(personal, key=lambda k: abs(personal[k]))
    shares = ", ".join(f"{name} {abs(v) / total:.0%}" for name, v in personal.items())
    return (f"Starting from the mean rating **{trace['global_mean']:.2f}**, the three personal parts move it by "
            f"{plots.signed(sum(personal.values()))} stars; their shares of that movement: {shares}. Here "
            f"**{biggest}** does most of the work.")


def mf_prediction_trace(params: MFParams, train: Ratings, val: Ratings, user: int, item: int, layout: str) -> None:
    """One MF prediction layer by layer: the seed's 3 layers (``layout="basics"``, lesson 1) or 4
    (``"collaborative"``, lesson 2), with the biases introduced and each part's share shown."""
    trace = mf_trace(params, user, item, train.rating_scale)
    low, high = train.rating_scale
    k, uid, title = params.k, train.user_ids[user], train.title(item)
    user_bars = lambda: plot(plots.vector_bars(trace["user_vector"], f"User {uid}", "weight"))  # noqa: E731
    item_bars = lambda: plot(plots.vector_bars(trace["item_vector"], title, "weight"))  # noqa: E731
    dot = lambda: (plot(plots.vector_bars(trace["products"], "Term-by-term products p_u[f] · q_i[f] (they sum "  # noqa: E731
                                          "to the dot product)", "product")),
                   st.markdown(f"Sum of the {k} products: **{trace['dot']:+.3f}**"))
    parts = lambda: (plot(parts_figure(trace, "Where the predicted rating comes from")),  # noqa: E731
                     st.markdown(parts_sentence(trace)))
    if layout == "basics":
        layer("Layer 1 — input user and item features", f"a user and an item vector, each ({k},)",
              "Each row of the factor tables is a short list of learned numbers describing a user or an item.",
              lambda: [plot(plots.vector_bars(vec, name, "weight"), col.container())
                       for col, vec, name in zip(st.columns(2), (trace["user_vector"], trace["item_vector"]),
                                                 (f"User {uid}", title), strict=True)])
        layer("Layer 2 — dot product of user and item features, plus the biases", f"({k},) · ({k},) → scalar",
              "Multiply feature by feature and add up: that is the taste match. The model adds it to the mean rating "
              "and two learned biases — how generous this user is, how much everyone likes this item.",
              lambda: (dot(), parts()))
    else:
        layer("Layer 1 — user feature vector extraction", f"1 x {k}", f"User {text(uid)}'s row (index {user}) of the user "
              "feature matrix.", user_bars)
        layer("Layer 2 — item feature vector extraction", f"1 x {k}", f"The item's row (index {item}) of the item "
              "feature matrix.", item_bars)
        layer("Layer 3 — dot product calculation", f"1 x {k} · 1 x {k} → scalar", "Multiply feature by feature and add "
              "up: features where both are large and of the same sign push the rating up.", dot)
    known, where = _known_rating(train, val, user, item)
    clipped = trace["prediction_clipped"]
    clip_note = f" (the raw sum {trace['prediction']:.2f} is clipped to the {low:g}-{high:g} scale)" \
        if clipped != trace["prediction"] else ""
    verdict = (f"Predicted **{clipped:.2f}**{clip_note}, known **{known:g}** — {where}; error "
               f"**{plots.signed(clipped - known)} stars**." if known is not None else
               f"User {text(uid)} never rated this item: **{clipped:.2f} stars**{clip_note} is the model's guess for a "
               "missing cell.")
    final = "Layer 3 — compare the prediction with the known rating" if layout == "basics" else \
        "Layer 4 — rating prediction output"
    layer(final, "scalar", "The mean rating and the two biases are added to the dot product; where the user did rate "
          "the item, the error is what the loss measures.",
          lambda: (parts() if layout != "basics" else None, st.markdown(verdict)))


def mlp_step(step: dict, dropout_rate: float) -> None:
    """One layer of the click model's trace: its values as bars (dropout beside one training step's mask)."""
    from recsys_core.lessons.overfitting import dropout_example

    values = step["values"]
    units = [f"unit {j + 1}" for j in range(values.size)]
    if step["name"].startswith("dropout"):
        # Keyed by layer: two dropout layers of one width with the same activations (all units dead,
        # say) would draw identical figures, and Streamlit refuses two elements with one auto id.
        left, right = st.columns(2)
        plot(plots.vector_bars(values, "At evaluation (what the prediction uses): unchanged", "activation",
                               labels=units), left, key=f"mlp_trace:{step['name']}:evaluation")
        plot(plots.vector_bars(dropout_example(values, dropout_rate), f"In one training step: "
                               f"{dropout_rate:.0%} zeroed, the rest x{1 / (1 - dropout_rate):.2f}",
                               "activation", labels=units), right, key=f"mlp_trace:{step['name']}:training")
    elif values.size > 1:
        plot(plots.vector_bars(values, step["name"], "value", labels=list(step.get("labels") or units)))
    else:
        st.markdown(f"**{step['name']} = {float(values.ravel()[0]):.3f}**")


def pick_user_and_item(train: Ratings, val: Ratings, user: int, key: str, unrated: bool) -> tuple[int, int]:
    """A user picker and an item picker for a prediction trace.

    ``unrated=False`` lists the user's rated items first (lesson 1 compares with the known rating);
    ``unrated=True`` lists only items the user did not rate in training, held-out ones first with
    their rating (lesson 2 predicts a missing cell).
    """
    c1, c2 = st.columns(2)
    user = c1.selectbox("User", range(train.n_users), index=user, key=f"{key}_user",
                        format_func=lambda u: f"User {train.user_ids[u]}")
    rated = train.items[train.users == user]
    if not unrated:
        items = [*rated, *np.setdiff1d(np.arange(train.n_items), rated)]
        item = c2.selectbox("Item (rated ones first)", items, format_func=train.title, key=f"{key}_item")
        return int(user), int(item)
    held = dict(zip(val.items[val.users == user].tolist(), val.ratings[val.users == user].tolist(), strict=True))
    others = np.setdiff1d(np.arange(train.n_items), np.concatenate([rated, list(held)]).astype(int))
    item = c2.selectbox("Unrated item (held-out ones first)", [*held, *others], key=f"{key}_item",
                        format_func=lambda i: train.title(i) + (f" · held out, rated {held[i]:g}" if i in held else ""))
    return int(user), int(item)


def _known_rating(train: Ratings, val: Ratings, user: int, item: int) -> tuple[float | None, str | None]:
    for data, where in ((train, "a training rating (the model saw it)"), (val, "a held-out rating (the model never saw it)")):
        hit = (data.users == user) & (data.items == item)
        if hit.any():
            return float(data.ratings[hit][0]), where
    return None, None


def replay_matrix(window: pd.DataFrame, predicted: np.ndarray, scale: tuple[float, float], epoch: int) -> go.Figure:
    """The ratings window with every missing cell filled by the model's prediction at ``epoch``
    (known cells keep their rating), on the rating scale's fixed colours."""
    filled = pd.DataFrame(np.where(window.isna(), predicted, window.to_numpy()), index=window.index, columns=window.columns)
    return plots.matrix_heatmap(filled, f"Epoch {epoch}: the window with its missing cells predicted", zmin=scale[0],
                                zmax=scale[1], height=380)

