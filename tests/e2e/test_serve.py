"""`make run`'s launcher: the server answers at once and compiles the lessons in the background.

The first learner after a server start should wait for their own training only. The launcher
(`app_pages/serve.py`) logs when every lesson's default program is compiled; a page opened then
trains without compiling (its log shows no compile of that lesson's program), and stopping the
server stops the warm-up thread with it.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from recsys_core.lessons.defaults import MF_BASICS
from tests.e2e.conftest import ARTIFACTS, chart_series, wait_idle

READY = "lesson programs ready"


def test_the_launcher_serves_and_reports_every_lesson_program_compiled(server, page):
    logs = sorted(ARTIFACTS.glob(f"server-{server.rsplit(':', 1)[1]}.log"))
    assert logs, "the server fixture writes its log to test-artifacts"
    deadline = time.monotonic() + 120
    while READY not in logs[0].read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.5)
    line = next(line for line in logs[0].read_text(errors="replace").splitlines() if READY in line)
    for lesson in ("mf_basics", "collaborative_filtering", "engagement", "overfitting (Before)"):
        assert lesson in line
    assert "warm-up failed" not in logs[0].read_text(errors="replace")
    started = time.monotonic()
    page.goto(f"{server}/mf_basics?pace=fast&tab={quote('2 · Training trace')}")
    wait_idle(page)
    seconds = time.monotonic() - started
    assert len(chart_series(page)["training"]["x"]) == MF_BASICS.epochs + 1  # epoch 0 and every epoch trained
    print(f"lesson 1 to its finished chart after the warm-up: {seconds:.2f} s (page load included)")
