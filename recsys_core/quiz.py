"""Quiz bank loading and grading.

Questions live in `assets/quizzes/<lesson>.json` so a teacher can read or extend them without
touching code. Some questions are answered by running the model ("predict, run, check"): they
name an experiment the page runs, and some take their right answer from the learner's own run
(`answer: null` in the bank; the page supplies it), because the point is what *their* numbers
showed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

QUIZ_DIR = Path(__file__).resolve().parent.parent / "assets" / "quizzes"


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    options: tuple[str, ...]
    answer: int | None  # index into options; None when the learner's own run decides it
    explanation: str
    from_seed: bool = False  # the lesson document's own question
    experiment: str | None = None  # name of a run the page offers before checking
    experiment_label: str = ""


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str


class QuizFormatError(ValueError):
    """A quiz file is malformed; the message names the file and the question."""


def _question(item: dict, file: str, position: str) -> Question:
    """One question of a bank, checked; errors name the file and the question (``position`` until
    its id is known)."""
    try:
        q = Question(
            id=str(item["id"]),
            prompt=item["prompt"],
            options=tuple(item["options"]),
            answer=item["answer"],
            explanation=item["explanation"],
            from_seed=bool(item.get("from_seed", False)),
            experiment=item.get("experiment"),
            experiment_label=item.get("experiment_label", ""),
        )
    except KeyError as missing:
        raise QuizFormatError(f"{file}, {position}: missing field {missing}") from None
    if len(q.options) < 2:
        raise QuizFormatError(f"{file}, question {q.id}: needs at least two options")
    if q.answer is not None and not 0 <= q.answer < len(q.options):
        raise QuizFormatError(f"{file}, question {q.id}: answer {q.answer} is not an option index")
    return q


def load_quiz(lesson: str, quiz_dir: Path = QUIZ_DIR) -> list[Question]:
    """Read and check one lesson's questions (every answer index must point at an option)."""
    path = quiz_dir / f"{lesson}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    questions = [_question(item, path.name, f"question {n}") for n, item in enumerate(raw["questions"], start=1)]
    if len({q.id for q in questions}) != len(questions):
        raise QuizFormatError(f"{path.name}: question ids must be unique")
    return questions


def load_replacements(lesson: str, quiz_dir: Path = QUIZ_DIR) -> dict[str, Question]:
    """Questions that stand in for others when the data cannot answer them (a file without genres
    or planted tastes): {id of the question replaced: its replacement}.

    A replacement takes the id of the question it replaces: it is the same step of the quiz asked
    in a way this data can answer, so scores, "finished" and a class's counts stay per step.
    """
    path = quiz_dir / f"{lesson}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {replaced: _question({**item, "id": replaced}, path.name, f"the replacement for {replaced}")
            for replaced, item in raw.get("replacements", {}).items()}


def filled(question: Question, numbers: dict) -> Question:
    """The question with its template fields (``{empty:.0%}``) filled from the live ``numbers``."""
    if not numbers:
        return question
    return replace(question, prompt=question.prompt.format(**numbers), explanation=question.explanation.format(**numbers),
                   options=tuple(o.format(**numbers) for o in question.options),
                   experiment_label=question.experiment_label.format(**numbers))


def grade(question: Question, choice: int, answer: int | None = None, explanation: str | None = None) -> Feedback:
    """Mark one answer; ``answer``/``explanation`` override the bank for run-dependent questions."""
    right = question.answer if answer is None else answer
    if right is None:
        raise ValueError(f"question {question.id} takes its answer from the learner's run; pass answer=")
    why = explanation or question.explanation
    if choice == right:
        return Feedback(True, f"Correct. {why}")
    return Feedback(False, f"Not quite — the answer is “{question.options[right]}”. {why}")


def score(results: dict[str, bool]) -> tuple[int, int]:
    """(right, answered) over a lesson's answered questions."""
    return sum(results.values()), len(results)
