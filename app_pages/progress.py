"""Progress and quiz scores for this browser session."""

import pandas as pd
import streamlit as st

from app_pages import _ui as ui

st.title("Progress and quiz scores")
st.markdown("What you have done in this session. Scores are kept until you close the tab.")

rows = []
for lesson in ui.LESSONS:
    progress = ui.progress_of(lesson.id)
    total = len(ui.questions(lesson.id))
    right, answered = sum(progress["quiz"].values()), len(progress["quiz"])
    rows.append(
        {
            "Lesson": lesson.title,
            "Opened": "yes" if progress["visited"] else "no",
            "Trained a model": "yes" if progress["trained"] else "no",
            "Questions answered": f"{answered} / {total}",
            "Correct": right,
            "Score": right / total if total else 0.0,
        }
    )
frame = pd.DataFrame(rows)
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={"Score": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)},
)
total_right = int(frame["Correct"].sum())
total_questions = sum(len(ui.questions(lesson.id)) for lesson in ui.LESSONS)
st.metric("All lessons", f"{total_right} / {total_questions} correct")


def reset() -> None:
    st.session_state.pop("progress", None)
    for key in [k for k in st.session_state if str(k).startswith(("quiz:", "quizexp:"))]:
        del st.session_state[key]


st.button("Start over (clear scores)", on_click=reset, icon=":material/restart_alt:")
