"""Bring your own ratings: upload a file, see what was read, use it in the lessons."""

import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from recsys_core import data as rdata
from recsys_core import plots

st.title("Your data")
st.markdown(
    "Upload a ratings file and the lessons train on it instead of the synthetic catalogue. "
    "Accepted: MovieLens **`u.data`** (tab-separated), **`ratings.dat`** (`::`-separated), "
    "**`ratings.csv`** (`userId,movieId,rating,timestamp`), or any CSV/TSV whose columns are "
    f"user, item, rating (header optional). Up to {rdata.MAX_FILE_BYTES // 2**20} MB and "
    f"{rdata.MAX_RATINGS:,} ratings; nothing leaves this computer."
)


def use_uploaded() -> None:
    st.session_state["data"] = "uploaded"


upload = st.file_uploader("Ratings file", type=["csv", "tsv", "data", "dat", "txt"], key="upload")
if upload is not None and st.session_state.get("uploaded_file_id") != upload.file_id:
    try:
        ratings = rdata.load_ratings(upload, name=upload.name)
    except rdata.RatingsFormatError as error:
        st.session_state["upload_error"] = str(error)
    else:
        st.session_state.pop("upload_error", None)
        st.session_state["uploaded"] = ratings
        st.session_state["uploaded_name"] = upload.name
        st.session_state["uploaded_key"] = f"uploaded:{upload.file_id}"
    st.session_state["uploaded_file_id"] = upload.file_id

if "upload_error" in st.session_state:
    kept = st.session_state.get("uploaded_name")
    st.error(
        f"**This file could not be used.** {st.session_state['upload_error']}\n\n"
        + (f"Your previous file, `{kept}`, is still loaded." if kept else "The lessons keep using the built-in data."),
        icon=":material/error:",
    )

key, ratings = ui.dataset()
if "uploaded" in st.session_state:
    if st.session_state.get("data") != "uploaded":
        st.button(f"Use {st.session_state['uploaded_name']} in the lessons", type="primary", on_click=use_uploaded)
    shown = st.session_state["uploaded"]
    st.subheader(f"Loaded: {st.session_state['uploaded_name']}")
else:
    shown = ratings
    st.subheader("Currently used by the lessons")
    st.caption(shown.source)

ui.data_summary(shown)
for note in shown.notes:
    st.info(note, icon=":material/info:")
stats = rdata.describe(shown)
left, right = st.columns(2)
with left:
    hist = pd.DataFrame({"rating (stars)": list(stats["histogram"]), "ratings": list(stats["histogram"].values())})
    st.plotly_chart(plots.grouped_bars(hist, "rating (stars)", "ratings", "Rating histogram", "number of ratings",
                                       text_format=","), width="stretch")
with right:
    st.markdown("**What the file holds**")
    st.dataframe(shown.to_frame().head(200), hide_index=True, height=300)
st.plotly_chart(
    plots.matrix_heatmap(rdata.matrix_window(shown), "The most active users x the most rated items (blank = not rated)"),
    width="stretch",
)
