"""The Teacher page in AppTest: a few learners of class cs101 answer lesson 1's quiz (right and wrong,
one of them to the end, one changing their mind), learners of another class and of none answer too,
and the page opened with ``?class=cs101`` counts that class only — learners, started and finished
per lesson, and each question's shares of first answers, the most-missed question first."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, texts

LESSON_1 = "app_pages/mf_basics.py"
QUIZ = "4 · Quiz"
SMALL = {"ratings": "5000"}  # the "predict, then run" experiments train on the sidebar's data


def answer(at: AppTest, question: str, choice: int) -> None:
    at.radio(key=f"quiz:mf_basics:{question}").set_value(choice).run()
    assert not at.exception, [e.value for e in at.exception]


def predict_then_run(at: AppTest, question: str, choice: int) -> None:
    answer(at, question, choice)
    at.button(key=f"quizpred:mf_basics:{question}:lock").click().run()
    at.button(key=f"quizexp:mf_basics:{question}:run").click().run()
    assert not at.exception, [e.value for e in at.exception]


def learner(class_code: str | None, answers: dict[str, int]) -> AppTest:
    """A learner opening lesson 1's quiz from the class link (or without one) and answering."""
    at = open_page(LESSON_1, query={**SMALL, **({"class": class_code} if class_code else {})}, tab=QUIZ)
    for question, choice in answers.items():
        answer(at, question, choice)
    return at


def teacher(class_code: str) -> AppTest:
    """The Teacher page opened with the class code, as a teacher's own link /teacher?class=... does."""
    at = open_page()  # AppTest must run the entry point once before it can switch pages
    at.query_params["class"] = class_code
    at.switch_page("app_pages/teacher.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def percent(cell: str) -> float:
    return float(str(cell).rstrip("%"))


def test_the_teacher_page_counts_its_class_only_and_puts_the_most_missed_question_first():
    # Lesson 1's bank: loss_trend (right: C, index 2), known_cells (right: A, 0), big_lr (right: C, 2), rank (from the run).
    finisher = learner("cs101", {"loss_trend": 2, "known_cells": 1})
    predict_then_run(finisher, "big_lr", 2)
    predict_then_run(finisher, "rank", 1)
    assert "Score:" in texts(finisher) and "(4 answered;" in texts(finisher)
    second = learner("CS101", {"loss_trend": 0, "known_cells": 3})  # the code as written on the board
    answer(second, "known_cells", 0)  # a second try: feedback only, the first answer counts
    third = learner("cs101", {"loss_trend": 2, "known_cells": 1})
    third.switch_page("app_pages/collaborative_filtering.py")  # opens lesson 2, answers nothing there
    third.run()
    assert not third.exception
    learner("cs202", {"loss_trend": 0, "known_cells": 0})  # another class: must not be counted
    learner(None, {"loss_trend": 0, "known_cells": 2})  # no class at all

    at = teacher("cs101")
    assert "Class **cs101**: **3** learners so far." in texts(at)  # the teacher is not one of them
    summary = at.dataframe[0].value.set_index("Lesson")
    assert summary.loc["Matrix factorization basics", "Started"] == 3
    assert summary.loc["Matrix factorization basics", "Finished the quiz"] == 1
    assert summary.loc["Collaborative filtering", "Started"] == 1
    assert summary.loc["Collaborative filtering", "Finished the quiz"] == 0
    assert summary.loc["Why recommendations drive engagement", "Started"] == 0
    assert summary["Trained a model"].sum() == 0  # the quiz tab trains nothing

    questions: pd.DataFrame = at.dataframe[1].value  # lesson 1's expander
    first = questions.iloc[0]
    assert first["Question"].startswith("Why does the loss count only the cells")  # 0 of 3 right: most missed
    assert first["Answers"] == 3 and first["Right"] == "0%"
    assert [first[c] for c in "ABCD"] == ["0%", "67%", "0%", "33%"]  # first answers only: B, D, B
    by_prompt = questions.set_index("Question")
    loss = by_prompt.loc["What happens to the loss value as training progresses?"]
    assert loss["Answers"] == 3 and loss["Right"] == "67%" and [loss[c] for c in "ABCD"] == ["33%", "0%", "67%", "0%"]
    assert list(questions["Answers"]) == [3, 3, 1, 1] or list(questions["Answers"]) == [3, 1, 3, 1]
    rights = [percent(r) for r in questions["Right"]]
    assert rights == sorted(rights), "most-missed first: the share right rises down the table"
    assert sum(c.value == "No answers yet." for c in at.caption) == 3  # lessons 2-4: nobody answered


def test_the_teacher_page_without_a_class_code_explains_how_to_give_one():
    at = open_page("app_pages/teacher.py")
    assert "?class=" in texts(at) and not at.dataframe
