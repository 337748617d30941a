"""Bring your own ratings: upload a file (or a MovieLens zip), see what was read, then use it."""

import hashlib

import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import state
from recsys_core import data as rdata
from recsys_core import plots

PREVIEW_ROWS = 200  # of the loaded file, shown as a table: enough to check the columns

st.title("Your data")
st.markdown(
    "Upload ratings and the lessons train on them instead of the synthetic catalogue. Accepted: a **MovieLens zip as "
    "downloaded** (ml-100k, ml-latest-small, ml-1m), or a ratings file — `u.data`, `ratings.dat`, `ratings.csv`, or any "
    "CSV/TSV whose columns are user, item, rating (header optional) — optionally **together with its titles file** "
    "(`u.item`, `movies.dat`, `movies.csv`) so items show their names. "
    f"Up to {rdata.MAX_FILE_BYTES // 2**20} MB (unzipped) and {rdata.MAX_RATINGS:,} ratings; nothing leaves this computer."
)

uploads = st.file_uploader("Ratings file, a ratings file and its titles file, or a MovieLens zip", key=state.upload_widget(),
                           type=["csv", "tsv", "data", "dat", "txt", "zip", "item", "base", "test"],
                           accept_multiple_files=True, help=f"Only files up to {rdata.MAX_FILE_BYTES // 2**20} MB "
                           "(unzipped) can be used; the uploader takes bigger ones only to say so.")
files = [(f.name, f.getvalue()) for f in uploads or []]
fingerprint = hashlib.sha1(b"".join(name.encode() + content[:65536] + str(len(content)).encode()
                                    for name, content in files)).hexdigest() if files else None
if fingerprint != st.session_state.get(state.UPLOAD_SEEN):
    st.session_state[state.UPLOAD_SEEN] = fingerprint
    st.session_state.pop(state.PENDING_ERROR, None)  # a new choice: no stale message from the last one
    st.session_state.pop(state.PENDING, None)
    if files:
        try:
            with st.spinner("Reading the file..."):
                loaded = rdata.load_upload(files)
        except rdata.RatingsFormatError as error:
            st.session_state[state.PENDING_ERROR] = str(error)
            if isinstance(error, rdata.FileTooLargeError):  # never usable: the next file replaces it, not joins it
                state.empty_uploader()
                st.rerun()
        else:
            st.session_state[state.PENDING] = (" + ".join(name for name, _ in files), fingerprint[:12], loaded)

if state.PENDING_ERROR in st.session_state:
    kept = st.session_state.get(state.UPLOADED_NAME)
    st.error(f"**This file could not be used.** {ui.text(st.session_state[state.PENDING_ERROR])}\n\n"
             + (f"Your previous file, {ui.text(kept)}, is still in use." if kept else "The lessons keep using the "
                "data chosen in the sidebar."), icon=":material/error:")


def use_pending() -> None:
    name, digest, loaded = st.session_state.pop(state.PENDING)
    st.session_state[state.UPLOADED], st.session_state[state.UPLOADED_NAME] = loaded, name
    st.session_state[state.UPLOADED_KEY] = f"uploaded:{digest}"
    state.move_widget(state.DATA, "uploaded")


pending = st.session_state.get(state.PENDING)
if pending is not None:
    name, _, shown = pending
    st.subheader(f"Loaded, not yet in use: {ui.text(name)}")
    st.button("Use this file in the lessons", type="primary", icon=":material/check:", on_click=use_pending)
else:
    key, shown = ui.dataset()
    st.subheader("In use by the lessons")
    st.caption(ui.text(shown.source))

ui.data_summary(shown)
low, high = shown.rating_scale
st.caption(f"Rating scale read from the data: {low:g} to {high:g}" + (" stars." if high <= 10 else "."))
for note in shown.notes:
    st.info(ui.text(note), icon=":material/info:")
stats = rdata.describe(shown)
left, right = st.columns(2)
with left:
    hist = pd.DataFrame({"rating": [f"{k:g}" for k in stats["histogram"]], "ratings": list(stats["histogram"].values())})
    st.plotly_chart(plots.grouped_bars(hist, "rating", "ratings", "Rating histogram", "number of ratings", text_format=","),
                    width="stretch", alt="Histogram of ratings: " + ", ".join(
                        f"{r} stars {n:,}" for r, n in zip(hist["rating"], hist["ratings"], strict=True)))
with right:
    st.markdown(f"**What the file holds** (first {PREVIEW_ROWS} ratings)")
    frame = shown.to_frame().head(PREVIEW_ROWS)
    if shown.item_titles is not None:
        frame.insert(2, "title", [shown.item_titles[i] for i in shown.items[:200]])
    st.dataframe(frame, hide_index=True, height=300)
ui.plot(plots.matrix_heatmap(rdata.matrix_window(shown), "The most active users x the most rated items "
                             "(blank = not rated)", zmin=low, zmax=high))
