"""Progress and quiz scores: what this learner has done, kept across reloads and server restarts."""

import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import progress

st.title("Progress and quiz scores")
st.markdown("What you have done so far. Your progress is saved under the anonymous learner id in this page's "
            "address: open the same address again (even after the server restarts) and it is still here.")

rows = []
for lesson in ui.LESSONS:
    entry = ui.progress_of(lesson.id)
    total = len(ui.questions(lesson.id))
    right, answered = sum(entry["quiz"].values()), len(entry["quiz"])
    rows.append(
        {
            "Lesson": lesson.title,
            "Opened": "yes" if entry["visited"] else "no",
            "Trained a model": "yes" if entry["trained"] else "no",
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


st.button("Start over (clear scores)", on_click=progress.reset, icon=":material/restart_alt:")
