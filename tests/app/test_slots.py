"""Fair training slots: first come first served, each waiting learner told how many are ahead, a nested
request never waits on itself, and a learner who leaves the queue does not block it."""

from __future__ import annotations

import threading
import time

import pytest

from app_pages._ui.slots import TrainingSlots


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_waiting_learners_are_served_in_the_order_they_came_and_see_how_many_are_ahead():
    slots = TrainingSlots(1)
    order, seen_ahead, release = [], {}, threading.Event()

    def learner(name: str) -> None:
        with slots.slot(lambda ahead: seen_ahead.setdefault(name, ahead)):
            order.append(name)
            if name == "first":
                release.wait(5)

    first = threading.Thread(target=learner, args=("first",))
    first.start()
    wait_until(lambda: slots.busy == 1)
    queued = []
    for count, name in enumerate(("second", "third", "fourth"), start=1):
        thread = threading.Thread(target=learner, args=(name,))
        thread.start()
        queued.append(thread)
        wait_until(lambda count=count: slots.queued == count)  # arrivals in a known order
    wait_until(lambda: len(seen_ahead) == 3)
    release.set()
    for thread in (first, *queued):
        thread.join(5)
    assert order == ["first", "second", "third", "fourth"]
    assert seen_ahead == {"second": 0, "third": 1, "fourth": 2}


def test_at_most_capacity_trainings_run_at_once():
    slots, running, peak, lock = TrainingSlots(2), [0], [0], threading.Lock()

    def train() -> None:
        with slots.slot():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=train) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak[0] == 2 and slots.busy == 0 and slots.queued == 0


def test_a_thread_that_holds_a_slot_and_asks_again_goes_on_without_waiting():
    slots = TrainingSlots(1)
    with slots.slot():
        with slots.slot():  # e.g. a cached training function called from a quiz experiment
            assert slots.busy == 1
        assert slots.busy == 1
    assert slots.busy == 0


def test_a_learner_who_leaves_the_queue_does_not_block_the_ones_behind():
    slots, release, served = TrainingSlots(1), threading.Event(), []

    def holder() -> None:
        with slots.slot():
            release.wait(5)

    def leaver(ahead: int) -> None:
        raise KeyboardInterrupt  # Streamlit interrupts a script this way when the learner clicks away

    thread = threading.Thread(target=holder)
    thread.start()
    wait_until(lambda: slots.busy == 1)
    with pytest.raises(KeyboardInterrupt):
        with slots.slot(leaver):
            pass
    assert slots.queued == 0
    later = threading.Thread(target=lambda: slots.slot().__enter__() or served.append(True))
    release.set()
    thread.join(5)
    later.start()
    later.join(5)
    assert served == [True]
