"""The quiz bank: every lesson's file loads, carries the seed's question, and grades as documented."""

import json

import pytest

from recsys_core import quiz

LESSONS = ("mf_basics", "collaborative_filtering", "engagement", "overfitting")
SEED_QUESTIONS = {
    "mf_basics": "What happens to the loss value as training progresses?",
    "collaborative_filtering": "What does the matrix factorization step do in collaborative filtering?",
    "engagement": "What happens to the loss value as the model trains?",
}


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_at_least_three_valid_questions(lesson):
    questions = quiz.load_quiz(lesson)
    assert len(questions) >= 3
    for q in questions:
        assert q.prompt and q.options and (q.answer is not None or q.experiment)


@pytest.mark.parametrize("lesson", sorted(SEED_QUESTIONS))
def test_the_lesson_documents_own_question_is_in_the_bank_and_marked(lesson):
    seeded = [q for q in quiz.load_quiz(lesson) if q.from_seed]
    assert [q.prompt for q in seeded] == [SEED_QUESTIONS[lesson]]


def test_at_least_one_question_per_lesson_is_answered_by_running_something():
    for lesson in LESSONS:
        assert any(q.experiment for q in quiz.load_quiz(lesson)), lesson


def test_grading_marks_right_and_wrong_and_names_the_right_option():
    q = quiz.load_quiz("mf_basics")[0]
    assert quiz.grade(q, 2).correct
    wrong = quiz.grade(q, 0)
    assert not wrong.correct and "It decreases steadily" in wrong.message


def test_a_run_dependent_question_needs_the_answer_from_the_run():
    q = next(q for q in quiz.load_quiz("mf_basics") if q.answer is None)
    with pytest.raises(ValueError, match="learner's run"):
        quiz.grade(q, 0)
    feedback = quiz.grade(q, 1, answer=1, explanation="Your run said so.")
    assert feedback.correct and feedback.message.endswith("Your run said so.")


def test_score_counts_right_answers_among_answered_ones():
    assert quiz.score({"a": True, "b": False, "c": True}) == (2, 3)


def test_a_malformed_quiz_file_names_the_file_and_the_question(tmp_path):
    bad = {"questions": [{"id": "q1", "prompt": "?", "options": ["a", "b"], "answer": 5, "explanation": "."}]}
    (tmp_path / "broken.json").write_text(json.dumps(bad))
    with pytest.raises(quiz.QuizFormatError, match="broken.json, question q1: answer 5"):
        quiz.load_quiz("broken", quiz_dir=tmp_path)


def test_replacement_questions_take_the_id_of_the_step_they_replace_and_are_checked_too(tmp_path):
    bank = {"questions": [{"id": "q1", "prompt": "?", "options": ["a", "b"], "answer": 0, "explanation": "."}],
            "replacements": {"q1": {"prompt": "other?", "options": ["x", "y", "z"], "answer": None,
                                    "explanation": "", "experiment": "run"}}}
    (tmp_path / "lesson.json").write_text(json.dumps(bank))
    replacement = quiz.load_replacements("lesson", quiz_dir=tmp_path)["q1"]
    assert replacement.id == "q1" and replacement.options == ("x", "y", "z") and replacement.experiment == "run"
    bank["replacements"]["q1"]["answer"] = 7
    (tmp_path / "lesson.json").write_text(json.dumps(bank))
    with pytest.raises(quiz.QuizFormatError, match="lesson.json, question q1: answer 7"):
        quiz.load_replacements("lesson", quiz_dir=tmp_path)
    for lesson in ("collaborative_filtering", "engagement"):  # the shipped banks load, each replacing a real step
        ids = {q.id for q in quiz.load_quiz(lesson)}
        assert set(quiz.load_replacements(lesson)) <= ids and quiz.load_replacements(lesson)
