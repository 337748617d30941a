"""Teacher view: how a class is doing — counts and shares only, never one learner's answers."""

import pandas as pd
import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import progress
from recsys_core import progress as store

st.title("Teacher view")
code = progress.class_code()
if code is None:
    st.markdown(
        "Give your class a code: add `?class=` and a code of your choice "
        f"({store.CLASS_CODE_LENGTH[0]}-{store.CLASS_CODE_LENGTH[1]} letters, digits, `-` or `_`) to the address you "
        f"share, for example `http://localhost:{st.get_option('server.port')}/?class=cs101`. Every learner who opens that link joins "
        "the class; this page, opened with the same code, then shows how many started and finished each lesson and how "
        "the class answered each quiz question. Learners are anonymous: no names, only counts."
    )
    st.stop()

summary = progress.store().class_summary(code)
st.markdown(f"Class **{ui.text(code)}**: **{summary.learners:,}** learner{'s' if summary.learners != 1 else ''} so far. "
            "Refresh the page to update.")
titles = {lesson.id: lesson.title for lesson in ui.LESSONS}
st.dataframe(pd.DataFrame([{"Lesson": titles[c.lesson], "Started": c.started, "Trained a model": c.trained,
                            "Finished the quiz": c.finished} for c in summary.lessons]),
             hide_index=True, width="stretch")
st.caption("Finished = answered every question of the lesson's quiz. Only first answers count.")

for lesson in ui.LESSONS:
    stats = progress.store().question_stats(code, lesson.id)
    bank = {q.id: q for q in ui.questions(lesson.id)}
    with st.expander(f"{lesson.title}: first answers per question, most-missed first", expanded=False):
        rows = []
        for s in stats:
            q = bank.get(s.question_id)
            if q is None:
                continue
            # A question nobody answered has no shares: "0%" on every option would claim a result.
            shares = [f"{share:.0%}" if s.answers else "—" for share in s.option_shares]
            rows.append({"Question": q.prompt.split("{")[0][:90], "Answers": s.answers,
                         "Right": f"{s.share_correct:.0%}" if s.share_correct is not None else "—",
                         **{f"{'ABCDEFG'[i]}": share for i, share in enumerate(shares)}})
        if any(row["Answers"] for row in rows):
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        else:
            st.caption("No answers yet.")
