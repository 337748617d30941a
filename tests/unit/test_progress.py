"""The progress store: what a learner did survives a restart, stays theirs, and reaches the teacher
only as class aggregates; ids from the URL are checked, and SQL never sees raw text."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from recsys_core import progress
from recsys_core.progress import InvalidIdError, ProgressStore

# Two lessons, small enough to answer by hand: lesson "a" has a 3-option and a 2-option question.
BANK = {"a": {"q1": 3, "q2": 2}, "b": {"q3": 4}}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / progress.STORE_FILENAME


@pytest.fixture
def store(path: Path):
    with ProgressStore(path, BANK) as opened:
        yield opened


def learners(n: int) -> list[str]:
    return [progress.new_learner_id() for _ in range(n)]


# --- persistence --------------------------------------------------------------------------------


def test_progress_survives_closing_and_reopening_the_store_from_the_same_file(path):
    (learner,) = learners(1)
    with ProgressStore(path, BANK) as before:
        before.mark_trained(learner, "a")
        before.record_answer(learner, "a", "q1", 2, False)
        expected = before.learner_progress(learner)
    with ProgressStore(path, BANK) as after:
        assert after.learner_progress(learner) == expected
    assert expected["a"] == {"started": True, "trained": True, "finished": False,
                             "quiz": {"q1": False}, "choices": {"q1": 2}}


def test_the_file_is_in_wal_mode_for_every_connection(store, path):
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_the_schema_version_is_recorded_in_the_meta_table(store, path):
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert row == (str(progress.SCHEMA_VERSION),)


def test_a_file_written_by_a_newer_schema_is_refused_rather_than_opened(store, path):
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(progress.SCHEMA_VERSION + 1),))
    conn.close()
    with pytest.raises(progress.SchemaVersionError):
        ProgressStore(path, BANK)


def test_the_wal_file_stays_between_calls_so_a_write_does_not_checkpoint_and_delete_it(store, path):
    store.mark_started(progress.new_learner_id(), "a")
    assert path.with_name(path.name + "-wal").exists()


# --- what a learner does ------------------------------------------------------------------------


def test_the_first_attempt_is_kept_and_a_later_attempt_does_not_overwrite_it(store):
    (learner,) = learners(1)
    assert store.record_answer(learner, "a", "q1", 1, False) is True
    assert store.record_answer(learner, "a", "q1", 0, True) is False
    assert store.learner_progress(learner)["a"]["quiz"] == {"q1": False}
    assert store.learner_progress(learner)["a"]["choices"] == {"q1": 1}


def test_a_learner_is_finished_with_a_lesson_once_every_question_has_an_answer(store):
    (learner,) = learners(1)
    store.record_answer(learner, "a", "q1", 0, True)
    assert not store.learner_progress(learner)["a"]["finished"]
    store.record_answer(learner, "a", "q2", 1, False)
    assert store.learner_progress(learner)["a"]["finished"]


def test_answering_a_question_counts_as_having_started_the_lesson(store):
    (learner,) = learners(1)
    store.record_answer(learner, "b", "q3", 3, True)
    assert store.learner_progress(learner)["b"]["started"]


def test_an_unknown_learner_has_every_lesson_not_started(store):
    (learner,) = learners(1)
    assert store.learner_progress(learner) == {
        lesson: {"started": False, "trained": False, "finished": False, "quiz": {}, "choices": {}} for lesson in BANK
    }


def test_one_learners_answers_never_appear_in_anothers_progress(store):
    alice, bob = learners(2)
    store.record_answer(alice, "a", "q1", 0, True)
    store.mark_trained(alice, "b")
    assert store.learner_progress(bob) == store.learner_progress(progress.new_learner_id())


def test_reset_clears_one_learner_and_leaves_the_others_alone(store):
    alice, bob = learners(2)
    for learner in (alice, bob):
        store.record_answer(learner, "a", "q1", 0, True)
    bob_before = store.learner_progress(bob)
    store.reset_learner(alice)
    assert store.learner_progress(alice)["a"] == {"started": False, "trained": False, "finished": False,
                                                   "quiz": {}, "choices": {}}
    assert store.learner_progress(bob) == bob_before


def test_after_a_reset_the_next_answer_is_a_first_attempt_again(store):
    (learner,) = learners(1)
    store.record_answer(learner, "a", "q1", 0, True)
    store.reset_learner(learner)
    assert store.record_answer(learner, "a", "q1", 2, False) is True


def test_a_reset_learner_stays_in_their_class(store):
    (learner,) = learners(1)
    store.mark_started(learner, "a", class_code="cs101")
    store.reset_learner(learner)
    assert store.class_summary("cs101").learners == 1


@pytest.mark.parametrize(("question_id", "choice"), [("nope", 0), ("q1", 3), ("q1", -1), ("q1", True)])
def test_an_answer_to_an_unknown_question_or_a_choice_outside_its_options_is_refused(store, question_id, choice):
    with pytest.raises(ValueError):
        store.record_answer(progress.new_learner_id(), "a", question_id, choice, True)


def test_an_unknown_lesson_is_refused(store):
    with pytest.raises(ValueError, match="unknown lesson"):
        store.mark_started(progress.new_learner_id(), "no_such_lesson")


def test_a_bank_with_a_lesson_without_questions_is_refused(path):
    with pytest.raises(ValueError, match="no questions"):
        ProgressStore(path, {"a": {}})


# --- quiz files that change ---------------------------------------------------------------------


def test_a_question_added_to_the_bank_makes_a_finished_lesson_unfinished(path):
    (learner,) = learners(1)
    with ProgressStore(path, BANK) as before:
        before.record_answer(learner, "b", "q3", 0, True)
    with ProgressStore(path, {**BANK, "b": {"q3": 4, "q4": 2}}) as after:
        assert not after.learner_progress(learner)["b"]["finished"]


def test_answers_to_a_question_removed_from_the_bank_are_left_out_of_progress(path):
    (learner,) = learners(1)
    with ProgressStore(path, BANK) as before:
        before.record_answer(learner, "a", "q1", 0, True)
        before.record_answer(learner, "a", "q2", 0, True)
    with ProgressStore(path, {**BANK, "a": {"q2": 2}}) as after:
        assert after.learner_progress(learner)["a"]["quiz"] == {"q2": True}


def test_the_bank_shape_is_read_from_the_quiz_files():
    bank = progress.load_bank(["mf_basics"])
    assert list(bank) == ["mf_basics"]
    assert bank["mf_basics"]["loss_trend"] == 4
    assert len(bank["mf_basics"]) >= 3


# --- ids from the URL ---------------------------------------------------------------------------


def test_new_learner_ids_pass_the_check_and_differ():
    ids = learners(100)
    assert all(progress.check_learner_id(i) == i for i in ids)
    assert len(set(ids)) == 100


@pytest.mark.parametrize("text", ["", "short", "a" * 13, "abc def ghij", "' OR '1'='1", "abcdefghijk\n",
                                  "abcdefghijk/", None, 123456789012])
def test_a_learner_id_of_the_wrong_shape_is_rejected(text):
    with pytest.raises(InvalidIdError):
        progress.check_learner_id(text)


@pytest.mark.parametrize("text", ["ab", "c" * 33, "cs 101", "cs101;", "x'; DROP TABLE learners; --", "", None])
def test_a_class_code_of_the_wrong_shape_is_rejected(text):
    with pytest.raises(InvalidIdError):
        progress.check_class_code(text)


def test_the_error_message_never_repeats_the_text_from_the_url():
    crafted = "![x](http://evil.example)"
    with pytest.raises(InvalidIdError) as error:
        progress.check_class_code(crafted)
    assert crafted not in str(error.value) and "evil" not in str(error.value)


def test_store_calls_reject_a_bad_learner_id_before_touching_the_file(store):
    with pytest.raises(InvalidIdError):
        store.record_answer("'; DELETE FROM answers; --", "a", "q1", 0, True)


def test_class_codes_differing_only_in_case_name_the_same_class(store):
    alice, bob = learners(2)
    store.mark_started(alice, "a", class_code="CS101")
    store.mark_started(bob, "a", class_code="cs101")
    assert store.class_summary("Cs101").learners == 2


# --- SQL injection ------------------------------------------------------------------------------


def test_sql_in_a_question_id_is_stored_verbatim_and_runs_nothing(path):
    hostile = "q'); DROP TABLE answers; --"
    (learner,) = learners(1)
    with ProgressStore(path, {"a": {hostile: 2, "q2": 2}}) as store:
        store.record_answer(learner, "a", hostile, 1, True)
        store.record_answer(learner, "a", "q2", 0, False)
        assert store.learner_progress(learner)["a"]["quiz"] == {hostile: True, "q2": False}
        assert [s.question_id for s in store.question_stats("nobody", "a")] == [hostile, "q2"]


def test_sql_in_a_class_code_is_rejected_and_leaves_the_tables_intact(store):
    (learner,) = learners(1)
    store.record_answer(learner, "a", "q1", 0, True)
    with pytest.raises(InvalidIdError):
        store.mark_started(learner, "a", class_code="x'; DROP TABLE answers; --")
    assert store.learner_progress(learner)["a"]["quiz"] == {"q1": True}


# --- what a teacher sees ------------------------------------------------------------------------


@pytest.fixture
def cs101(store):
    """Four learners: two finish lesson a, one answers only q1 (wrong), one only opens and trains."""
    first, second, third, fourth = learners(4)
    for learner in (first, second, third, fourth):
        store.mark_started(learner, "a", class_code="cs101")
    store.record_answer(first, "a", "q1", 0, True)
    store.record_answer(first, "a", "q2", 1, True)
    store.record_answer(second, "a", "q1", 1, False)
    store.record_answer(second, "a", "q2", 1, True)
    store.record_answer(third, "a", "q1", 2, False)
    store.mark_trained(fourth, "a")
    return store


def test_the_class_summary_counts_learners_who_started_trained_and_finished_each_lesson(cs101):
    summary = cs101.class_summary("cs101")
    assert summary.learners == 4
    assert summary.lessons == (progress.LessonCounts("a", started=4, trained=1, finished=2),
                               progress.LessonCounts("b", started=0, trained=0, finished=0))


def test_question_stats_give_the_share_of_first_answers_on_each_option_and_the_share_right(cs101):
    by_id = {s.question_id: s for s in cs101.question_stats("cs101", "a")}
    assert (by_id["q1"].answers, by_id["q1"].option_counts) == (3, (1, 1, 1))
    assert by_id["q1"].option_shares == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-12)
    assert by_id["q1"].share_correct == pytest.approx(1 / 3, abs=1e-12)
    assert by_id["q2"].option_shares == (0.0, 1.0)
    assert by_id["q2"].share_correct == 1.0


def test_question_stats_put_the_most_missed_question_first(cs101):
    assert [s.question_id for s in cs101.question_stats("cs101", "a")] == ["q1", "q2"]


def test_question_stats_count_first_answers_only(cs101):
    (late,) = learners(1)
    cs101.mark_started(late, "a", class_code="cs101")
    cs101.record_answer(late, "a", "q2", 0, False)
    cs101.record_answer(late, "a", "q2", 1, True)
    q2 = next(s for s in cs101.question_stats("cs101", "a") if s.question_id == "q2")
    assert q2.option_counts == (1, 2)


def test_a_question_nobody_answered_comes_last_with_no_share_right(store):
    (learner,) = learners(1)
    store.mark_started(learner, "a", class_code="cs101")
    store.record_answer(learner, "a", "q2", 0, True)
    stats = store.question_stats("cs101", "a")
    assert [s.question_id for s in stats] == ["q2", "q1"]
    assert (stats[1].answers, stats[1].share_correct, stats[1].option_shares) == (0, None, (0.0, 0.0, 0.0))


def test_learners_of_another_class_are_not_counted(cs101):
    (other,) = learners(1)
    cs101.mark_started(other, "a", class_code="cs102")
    cs101.record_answer(other, "a", "q1", 0, True)
    cs101.record_answer(other, "a", "q2", 0, False)
    assert cs101.class_summary("cs101").lessons[0] == progress.LessonCounts("a", 4, 1, 2)
    assert sum(s.answers for s in cs101.question_stats("cs101", "a")) == 5
    assert cs101.class_summary("cs102").lessons[0] == progress.LessonCounts("a", 1, 0, 1)


def test_learners_without_a_class_are_not_counted_in_any_class(store):
    store.mark_started(progress.new_learner_id(), "a")
    assert store.class_summary("cs101").learners == 0


def test_a_later_visit_without_a_class_code_keeps_the_learner_in_their_class(store):
    (learner,) = learners(1)
    store.mark_started(learner, "a", class_code="cs101")
    store.mark_started(learner, "b")
    assert store.class_summary("cs101").learners == 1


def test_joining_another_class_moves_the_learner(store):
    (learner,) = learners(1)
    store.mark_started(learner, "a", class_code="cs101")
    store.join_class(learner, "cs102")
    assert (store.class_summary("cs101").learners, store.class_summary("cs102").learners) == (0, 1)


# --- many sessions at once ------------------------------------------------------------------------


def test_eight_threads_writing_fifty_answers_each_lose_nothing_and_raise_nothing(path):
    bank = {"big": {f"q{i:02d}": 4 for i in range(50)}}
    ids = learners(8)
    start = threading.Barrier(len(ids))

    def answer_all(learner: str) -> list[bool]:
        start.wait()
        return [store.record_answer(learner, "big", q, 1, True) for q in bank["big"]]

    with ProgressStore(path, bank) as store, ThreadPoolExecutor(len(ids)) as pool:
        firsts = list(pool.map(answer_all, ids))  # re-raises any thread's exception here
        assert firsts == [[True] * 50] * 8
        assert all(store.learner_progress(i)["big"]["finished"] for i in ids)


def test_threads_racing_on_the_same_question_record_exactly_one_first_attempt(store):
    (learner,) = learners(1)
    start = threading.Barrier(8)

    def answer(choice: int) -> tuple[int, bool]:
        start.wait()
        return choice % 3, store.record_answer(learner, "a", "q1", choice % 3, False)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(answer, range(8)))
    winners = [choice for choice, first in outcomes if first]
    assert len(winners) == 1
    assert store.learner_progress(learner)["a"]["choices"] == {"q1": winners[0]}


# --- where the file lives -----------------------------------------------------------------------


def test_the_data_directory_comes_from_the_environment_variable_and_is_created(tmp_path):
    wanted = tmp_path / "class" / "data"
    assert progress.data_dir({progress.DATA_DIR_ENV: str(wanted)}) == wanted
    assert wanted.is_dir()


def test_without_the_environment_variable_the_default_directory_is_used(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "DEFAULT_DATA_DIR", tmp_path / ".data")
    assert progress.data_dir({}) == tmp_path / ".data"
    assert (tmp_path / ".data").is_dir()


def test_open_store_puts_the_file_in_the_given_directory(tmp_path):
    with progress.open_store(BANK, tmp_path) as store:
        assert store.path == tmp_path / progress.STORE_FILENAME
    assert store.path.exists()
