"""Welcome page: what the learner will learn, and the four lessons with their status."""

import streamlit as st

from app_pages import _ui as ui

st.title("RecSys Lab")
st.markdown(
    "**How does a site decide what to show you next?** In four short lessons you will build the "
    "answer yourself: a real model trains in your browser session, you watch its loss fall epoch "
    "by epoch, step through every layer of one prediction, and check yourself with quizzes. "
    "Every number on every page is computed live from the data and the model in memory."
)

st.subheader("Start here")
st.markdown(
    "Take the lessons in order — each builds on the one before: "
    + ", ".join(f"{lesson.title} ({lesson.minutes} min)" for lesson in ui.LESSONS) + "."
)
st.page_link(ui.LESSONS[0].page, label=f"Start with lesson 1: {ui.LESSONS[0].title}", icon=":material/play_circle:")

cols = st.columns(2)
for n, lesson in enumerate(ui.LESSONS):
    progress = ui.progress_of(lesson.id)
    right, answered = sum(progress["quiz"].values()), len(progress["quiz"])
    if answered:
        status, color = f"quiz {right}/{len(ui.questions(lesson.id))}", "green" if right == answered else "orange"
    elif progress["trained"] or progress["visited"]:
        status, color = "in progress", "blue"
    else:
        status, color = "not started", "gray"
    with cols[n % 2].container(border=True, height="stretch"):
        st.markdown(f"#### {n + 1}. {lesson.title}")
        st.badge(status, color=color)
        st.markdown(lesson.summary)
        st.caption(f"About {lesson.minutes} minutes")
        st.page_link(lesson.page, label="Open the lesson", icon=":material/arrow_forward:")

st.subheader("What you will be able to explain")
st.markdown(
    "- why a ratings table is mostly empty, and how two small factor tables can fill it in;\n"
    "- what a training loss is, why it falls, and what it means when validation loss rises;\n"
    "- how a recommender turns users and items into vectors and ranks items by similarity;\n"
    "- why personalised recommendations earn more clicks than showing everyone the popular items;\n"
    "- how dropout, early stopping and a smaller model fix overfitting."
)
st.subheader("After the lessons: the Lab")
lab = st.columns(3)
lab[0].page_link("app_pages/your_data.py", label="Your data — upload MovieLens or any ratings CSV",
                 icon=":material/upload_file:")
lab[1].page_link("app_pages/playground.py", label="Playground — compare four models on one split",
                 icon=":material/compare_arrows:")
lab[2].page_link("app_pages/rate_items.py", label="Rate items yourself — the cold-start problem",
                 icon=":material/star:")
st.caption("Teachers: every setting lives in the page address. Set up a lesson, copy the URL, and "
           "your class opens exactly the same data, seed and hyperparameters.")
