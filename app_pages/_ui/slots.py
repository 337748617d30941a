"""Fair training slots: at most a few trainings at once across every learner, first come first served.

Training is CPU bound; thirty learners pressing Train together on a 2-core laptop would otherwise
slow every page. A plain semaphore is not fair (a learner can be overtaken again and again), so
waiting learners queue in order and each can see how many are ahead. Trainings take a slot per
chunk of a few tenths of a second, so a queue moves round-robin and nobody waits behind more
than the slots' worth of others at a time. A thread that already holds a slot and asks again
(training code called from other training code) just goes on: a nested wait could deadlock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WAIT_POLL_SECONDS = 0.25


class TrainingSlots:
    """``capacity`` slots shared by every session of the server (keep one per process)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._running = 0
        self._held = threading.local()

    @property
    def busy(self) -> int:
        return self._running

    @property
    def queued(self) -> int:
        return len(self._waiting)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold a slot for the duration of the block; ``on_wait(ahead)`` is called while queued.

        ``on_wait`` runs without the lock held (it draws on the page, and Streamlit may interrupt
        it when the learner clicks): the ticket leaves the queue however the wait ends.
        """
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
        shown_at = -WAIT_POLL_SECONDS
        try:
            while True:
                with self._cond:
                    if self._running < self.capacity and self._waiting[0] is ticket:
                        self._waiting.popleft()
                        self._running += 1
                        break
                    ahead = self._waiting.index(ticket)
                    self._cond.wait(WAIT_POLL_SECONDS)
                # Every release wakes every waiter; redrawing "N ahead" on each wake-up cost 30
                # learners thousands of page updates a second. At most one every WAIT_POLL_SECONDS
                # (each is also the script's chance to act on a click).
                if on_wait is not None and time.monotonic() - shown_at >= WAIT_POLL_SECONDS:
                    on_wait(ahead)
                    shown_at = time.monotonic()
        except BaseException:
            with self._cond:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
            raise
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
