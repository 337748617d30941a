"""Learner progress that survives a reload and a server restart, and the class aggregates a teacher sees.

Streamlit keeps `st.session_state` per browser tab in the server's memory, so a reload, a deep link
or a restart of the server empties it and every quiz score falls back to zero. This module keeps the
same facts — which lessons a learner opened and trained, and their first answer to each question —
in one SQLite file under a data directory, using only the standard library's `sqlite3`.

No personal data is stored: a learner is a random token the app puts in the URL on the first visit,
and a class is a short code the teacher chooses and hands out (`?class=...`). The teacher's queries
return counts and shares only, never a row about one learner.

The store knows the quiz bank's shape (lesson -> question id -> number of options) so that it can
refuse an answer to a question that does not exist and decide "finished" without each caller
passing the bank again.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recsys_core import quiz

SCHEMA_VERSION = 1
STORE_FILENAME = "progress.sqlite3"
DATA_DIR_ENV = "RECSYS_LAB_DATA_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
# Writes are a few milliseconds each, so a writer waiting 5 s means something is badly wrong;
# failing then is better than a page that hangs forever.
BUSY_TIMEOUT_SECONDS = 5.0

LEARNER_ID_LENGTH = 12  # secrets.token_urlsafe(9): 9 random bytes = 72 bits, 12 URL-safe characters
_LEARNER_ID = re.compile(rf"[A-Za-z0-9_-]{{{LEARNER_ID_LENGTH}}}")
CLASS_CODE_LENGTH = (3, 32)  # characters a class code may have
_CLASS_CODE = re.compile(rf"[A-Za-z0-9_-]{{{CLASS_CODE_LENGTH[0]},{CLASS_CODE_LENGTH[1]}}}")

Bank = Mapping[str, Mapping[str, int]]
"""The shape of the quiz bank: lesson id -> question id -> number of options, in display order."""


class InvalidIdError(ValueError):
    """A learner id or class code (usually from the URL) does not have the expected shape.

    The message is safe to show on the page as it is: it says what was expected and never repeats
    the text that came in, so a crafted URL cannot put its own words or markdown on the screen.
    """


class SchemaVersionError(RuntimeError):
    """The file was written by a newer version of this module; opening it could lose data."""


# --- ids ----------------------------------------------------------------------------------------


def new_learner_id() -> str:
    """A fresh anonymous learner id: random, so it names nobody and cannot be guessed from another."""
    return secrets.token_urlsafe(9)


def check_learner_id(text: object) -> str:
    """``text`` if it is shaped like an id from `new_learner_id`, else `InvalidIdError`."""
    if not isinstance(text, str) or not _LEARNER_ID.fullmatch(text):
        raise InvalidIdError(
            f"The learner id in the address is not valid: it should be {LEARNER_ID_LENGTH} letters, "
            "digits, '-' or '_'. A new one will be made for you."
        )
    return text


def check_class_code(text: object) -> str:
    """The class code in lower case, or `InvalidIdError` if it is not 3-32 of [A-Za-z0-9_-].

    Lower case because a teacher writes "CS101" on the board and some learners type "cs101":
    both should land in the same class.
    """
    if not isinstance(text, str) or not _CLASS_CODE.fullmatch(text):
        raise InvalidIdError(f"The class code in the address is not valid: use {CLASS_CODE_LENGTH[0]} to "
                             f"{CLASS_CODE_LENGTH[1]} letters, digits, '-' or '_'.")
    return text.lower()


# --- where the file lives -----------------------------------------------------------------------


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for the store: `$RECSYS_LAB_DATA_DIR` if set, else `<repo>/.data`; created if missing."""
    raw = (os.environ if environ is None else environ).get(DATA_DIR_ENV, "")
    directory = Path(raw).expanduser() if raw else DEFAULT_DATA_DIR
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def load_bank(lesson_ids: Iterable[str], quiz_dir: Path = quiz.QUIZ_DIR) -> dict[str, dict[str, int]]:
    """The quiz bank's shape for the given lessons, read from the same JSON files the quiz uses."""
    return {lesson: {q.id: len(q.options) for q in quiz.load_quiz(lesson, quiz_dir)} for lesson in lesson_ids}


def open_store(bank: Bank, directory: Path | None = None) -> ProgressStore:
    """The store in ``directory`` (default `data_dir()`), creating the file on first use."""
    return ProgressStore((directory or data_dir()) / STORE_FILENAME, bank)


# --- aggregates a teacher sees --------------------------------------------------------------------


@dataclass(frozen=True)
class LessonCounts:
    """How many learners of a class opened, trained in and finished (answered every question of) a lesson."""

    lesson: str
    started: int
    trained: int
    finished: int


@dataclass(frozen=True)
class ClassSummary:
    """A class at a glance; ``learners`` lets the page say "3 learners" for a small class."""

    class_code: str
    learners: int
    lessons: tuple[LessonCounts, ...]


@dataclass(frozen=True)
class QuestionStats:
    """First answers of a class to one question: how many, how many right, and how many on each option."""

    question_id: str
    answers: int
    correct: int
    option_counts: tuple[int, ...]

    @property
    def option_shares(self) -> tuple[float, ...]:
        return tuple(n / self.answers if self.answers else 0.0 for n in self.option_counts)

    @property
    def share_correct(self) -> float | None:
        """None when nobody answered yet: "0 % right" would claim a result that does not exist."""
        return self.correct / self.answers if self.answers else None


# --- the store ----------------------------------------------------------------------------------

_SCHEMA_V1 = (
    """CREATE TABLE learners (
        learner_id TEXT PRIMARY KEY,
        class_code TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX learners_by_class ON learners (class_code)",
    """CREATE TABLE lesson_status (
        learner_id TEXT NOT NULL REFERENCES learners (learner_id),
        lesson TEXT NOT NULL,
        started_at TEXT NOT NULL,
        trained_at TEXT,
        PRIMARY KEY (learner_id, lesson)
    ) WITHOUT ROWID""",
    """CREATE TABLE answers (
        learner_id TEXT NOT NULL REFERENCES learners (learner_id),
        lesson TEXT NOT NULL,
        question_id TEXT NOT NULL,
        choice INTEGER NOT NULL CHECK (choice >= 0),
        correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
        answered_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lesson, question_id)
    ) WITHOUT ROWID""",
)
# Statements that take the file from version N to N + 1; version 0 is an empty file. A later schema
# change appends an entry here instead of editing the ones above, so old files upgrade in place.
_MIGRATIONS: dict[int, tuple[str, ...]] = {0: _SCHEMA_V1}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ProgressStore:
    """Learner progress in one SQLite file, safe to share between the threads of a Streamlit server.

    Every call opens its own short-lived connection: Streamlit runs each rerun in a fresh thread,
    so a connection per thread would be opened and dropped just as often, and one shared connection
    behind a lock would make every reader wait for every writer. The file is in WAL mode so that
    readers never wait for the writer and the writer never waits for readers; writers queue on the
    file's write lock for at most `BUSY_TIMEOUT_SECONDS`.

    One extra connection stays open for the store's lifetime and is otherwise unused: SQLite
    checkpoints and deletes the WAL file whenever its last connection closes, and with a connection
    per call that happened on every write (measured: 1.4 ms a write without it, 0.2 ms with it).
    """

    def __init__(self, path: Path | str, bank: Bank) -> None:
        self.path = Path(path)
        self.bank: dict[str, dict[str, int]] = {lesson: dict(qs) for lesson, qs in bank.items()}
        for lesson, questions in self.bank.items():
            if not questions:
                raise ValueError(f"lesson {lesson!r} has no questions, so it could never be finished")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._create_or_migrate()
        self._keep_wal: sqlite3.Connection | None = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False)
        # A connection attaches to the WAL only at its first read; until then it does not count.
        self._keep_wal.execute("SELECT 1 FROM meta").fetchall()

    def close(self) -> None:
        if self._keep_wal is not None:
            self._keep_wal.close()
            self._keep_wal = None

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections --

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are begun explicitly below, never implicitly by sqlite3.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # In WAL mode NORMAL survives a crash of the app; only a power cut can lose the last
            # answers, a fair trade for not waiting on the disk at every click.
            conn.execute("PRAGMA synchronous = NORMAL")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute(begin)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads first and
        # writes later can fail with SQLITE_BUSY at once, without waiting, when another writer got
        # in between: the busy timeout cannot help it.
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        # One transaction so that all the SELECTs of a call see the same snapshot.
        return self._transaction("BEGIN")

    def _create_or_migrate(self) -> None:
        with self._connect() as conn:
            # WAL is recorded in the file itself, so every later connection uses it too.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"{self.path} cannot use WAL (journal mode {mode!r}); "
                                               "is the data directory on a network drive?")
            conn.execute("BEGIN IMMEDIATE")  # two servers starting at once must not both migrate
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise SchemaVersionError(f"{self.path} has schema version {version}; this code knows "
                                             f"up to {SCHEMA_VERSION}. Update the app or use another data directory.")
                while version < SCHEMA_VERSION:
                    for statement in _MIGRATIONS[version]:
                        conn.execute(statement)
                    version += 1
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(version),))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- checks --

    def _check_question(self, lesson: str, question_id: str, choice: int) -> None:
        options = self._check_lesson(lesson).get(question_id)
        if options is None:
            raise ValueError(f"lesson {lesson!r} has no question {question_id!r}")
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < options:
            raise ValueError(f"choice {choice!r} is not an option index of {lesson}/{question_id} (0..{options - 1})")

    def _check_lesson(self, lesson: str) -> dict[str, int]:
        if lesson not in self.bank:
            raise ValueError(f"unknown lesson {lesson!r}; the store knows {sorted(self.bank)}")
        return self.bank[lesson]

    @staticmethod
    def _ensure_started(conn: sqlite3.Connection, learner: str, lesson: str, class_code: str | None) -> None:
        now = _now()
        conn.execute("INSERT INTO learners (learner_id, class_code, created_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (learner_id) DO UPDATE SET class_code = excluded.class_code "
                     "WHERE excluded.class_code IS NOT NULL", (learner, class_code, now))
        conn.execute("INSERT INTO lesson_status (learner_id, lesson, started_at) VALUES (?, ?, ?) "
                     "ON CONFLICT DO NOTHING", (learner, lesson, now))

    # -- what a learner does --

    def join_class(self, learner: str, class_code: str) -> None:
        """Put the learner in a class (the latest code wins: a learner belongs to one class at a time)."""
        learner, class_code = check_learner_id(learner), check_class_code(class_code)
        with self._write() as conn:
            conn.execute("INSERT INTO learners (learner_id, class_code, created_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (learner_id) DO UPDATE SET class_code = excluded.class_code",
                         (learner, class_code, _now()))

    def mark_started(self, learner: str, lesson: str, class_code: str | None = None) -> None:
        """The learner opened the lesson; with ``class_code`` they also join that class.

        Idempotent: the first opening's time is kept, and a later visit without a class code does
        not take the learner out of their class.
        """
        learner = check_learner_id(learner)
        class_code = None if class_code is None else check_class_code(class_code)
        self._check_lesson(lesson)
        with self._write() as conn:
            self._ensure_started(conn, learner, lesson, class_code)

    def mark_trained(self, learner: str, lesson: str) -> None:
        """The learner trained a model in the lesson (idempotent; the first time is kept)."""
        learner = check_learner_id(learner)
        self._check_lesson(lesson)
        with self._write() as conn:
            self._ensure_started(conn, learner, lesson, None)
            conn.execute("UPDATE lesson_status SET trained_at = ? WHERE learner_id = ? AND lesson = ? "
                         "AND trained_at IS NULL", (_now(), learner, lesson))

    def record_answer(self, learner: str, lesson: str, question_id: str, choice: int, correct: bool) -> bool:
        """Keep the learner's answer if it is their first to this question; True if it was.

        The first attempt wins because it is the one that says what the learner understood before
        the feedback told them the answer: a teacher who sees that 70 % first chose B learns
        something, while the last attempt is right for nearly everyone. ``correct`` is passed in
        rather than looked up because some questions take their answer from the learner's own run.
        Idempotent, so calling it again on a rerun changes nothing.
        """
        learner = check_learner_id(learner)
        self._check_question(lesson, question_id, choice)
        with self._write() as conn:
            self._ensure_started(conn, learner, lesson, None)
            cursor = conn.execute(
                "INSERT INTO answers (learner_id, lesson, question_id, choice, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (learner, lesson, question_id, choice, int(bool(correct)), _now()),
            )
            return cursor.rowcount == 1

    def reset_learner(self, learner: str) -> None:
        """Forget the learner's lessons and answers ("start over"); they stay in their class."""
        learner = check_learner_id(learner)
        with self._write() as conn:
            conn.execute("DELETE FROM answers WHERE learner_id = ?", (learner,))
            conn.execute("DELETE FROM lesson_status WHERE learner_id = ?", (learner,))

    def learner_progress(self, learner: str) -> dict[str, dict[str, Any]]:
        """Everything needed to restore a session: for every lesson of the bank, in order,
        ``{"started", "trained", "finished": bool, "quiz": {question_id: correct},
        "choices": {question_id: option index}}``.

        Answers to questions no longer in the bank are left out, so that a teacher editing a quiz
        file cannot make a score read "5 answered of 4".
        """
        learner = check_learner_id(learner)
        with self._read() as conn:
            status = dict(conn.execute("SELECT lesson, trained_at IS NOT NULL FROM lesson_status "
                                       "WHERE learner_id = ?", (learner,)).fetchall())
            rows = conn.execute("SELECT lesson, question_id, choice, correct FROM answers WHERE learner_id = ?",
                                (learner,)).fetchall()
        answers = {(lesson, qid): (choice, bool(correct)) for lesson, qid, choice, correct in rows}
        progress: dict[str, dict[str, Any]] = {}
        for lesson, questions in self.bank.items():
            given = {qid: answers[lesson, qid] for qid in questions if (lesson, qid) in answers}
            progress[lesson] = {
                "started": lesson in status,
                "trained": bool(status.get(lesson, False)),
                "finished": len(given) == len(questions),
                "quiz": {qid: correct for qid, (_, correct) in given.items()},
                "choices": {qid: choice for qid, (choice, _) in given.items()},
            }
        return progress

    # -- what a teacher sees --

    def class_summary(self, class_code: str) -> ClassSummary:
        """Per lesson of the bank: how many learners of the class started, trained and finished it.

        Finished means every question of the lesson's current bank has a first answer; it is
        worked out when asked rather than stored, so it stays right when a quiz file changes.
        """
        class_code = check_class_code(class_code)
        with self._read() as conn:
            learners = conn.execute("SELECT COUNT(*) FROM learners WHERE class_code = ?", (class_code,)).fetchone()[0]
            status = {lesson: (started, trained) for lesson, started, trained in conn.execute(
                "SELECT s.lesson, COUNT(*), COUNT(s.trained_at) FROM lesson_status AS s "
                "JOIN learners AS l USING (learner_id) WHERE l.class_code = ? GROUP BY s.lesson", (class_code,))}
            finished = {lesson: self._count_finished(conn, class_code, lesson) for lesson in self.bank}
        counts = tuple(LessonCounts(lesson, *status.get(lesson, (0, 0)), finished[lesson]) for lesson in self.bank)
        return ClassSummary(class_code, learners, counts)

    def _count_finished(self, conn: sqlite3.Connection, class_code: str, lesson: str) -> int:
        question_ids = list(self.bank[lesson])
        placeholders = ", ".join("?" * len(question_ids))  # only "?"s are spliced in; values are bound
        return conn.execute(
            "SELECT COUNT(*) FROM (SELECT a.learner_id FROM answers AS a JOIN learners AS l USING (learner_id) "
            f"WHERE l.class_code = ? AND a.lesson = ? AND a.question_id IN ({placeholders}) "
            "GROUP BY a.learner_id HAVING COUNT(*) = ?)",
            (class_code, lesson, *question_ids, len(question_ids)),
        ).fetchone()[0]

    def question_stats(self, class_code: str, lesson: str) -> list[QuestionStats]:
        """First answers of the class to each question of the lesson, most-missed first.

        Most-missed is the lowest share right (not the most wrong answers), so a late question
        that fewer learners reached is not hidden below an early one; ties put the question with
        more answers first, then bank order. Questions nobody answered come last.
        """
        class_code = check_class_code(class_code)
        questions = self._check_lesson(lesson)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT a.question_id, a.choice, COUNT(*), SUM(a.correct) FROM answers AS a "
                "JOIN learners AS l USING (learner_id) WHERE l.class_code = ? AND a.lesson = ? "
                "GROUP BY a.question_id, a.choice", (class_code, lesson)).fetchall()
        counts = {qid: [0] * options for qid, options in questions.items()}
        correct = dict.fromkeys(questions, 0)
        for qid, choice, n, right in rows:
            # A quiz file edited to fewer options leaves old choices out of range: drop them.
            if qid in counts and choice < len(counts[qid]):
                counts[qid][choice] += n
                correct[qid] += right
        stats = [QuestionStats(qid, sum(counts[qid]), correct[qid], tuple(counts[qid])) for qid in questions]
        order = {qid: n for n, qid in enumerate(questions)}
        return sorted(stats, key=lambda s: (s.share_correct is None, s.share_correct or 0.0, -s.answers,
                                            order[s.question_id]))
