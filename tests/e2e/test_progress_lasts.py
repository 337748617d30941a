"""Quiz progress lasts, in a real browser: a learner answers lesson 1's questions and keeps the
address with their `learner=` id; after a reload, and after the server is stopped and started again
on the same data directory, that address brings back their first answers and score. A new visitor
without the id starts at zero.

This module runs its own server (not the shared `server` fixture) because it has to stop and
restart it, on one port (the same address) and one data directory.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _free_port, open_tab, streamlit_server, wait_idle

pytestmark = pytest.mark.e2e
TOTAL_QUESTIONS = 17  # lessons 1-4: 4 + 4 + 4 + 5


@contextmanager
def restartable_server(port: int, data_dir, name: str):
    """The app on ``port`` keeping progress in ``data_dir``; stopped (SIGTERM) on exit."""
    with streamlit_server(data_dir, "--server.address", "127.0.0.1", "--server.headless", "true",
                          "--browser.gatherUsageStats", "false", port=port, log_name=f"server-{name}-{port}.log") as (url, _):
        yield url


def learner_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["learner"][0]


def expect_answers_back(page) -> None:
    """The first answers (C right, then B wrong) and their score, as this learner left them."""
    expect(page.get_by_text(re.compile(r"Score: 1 / 4 \(2 answered"))).to_be_visible()
    expect(page.get_by_role("radio", name="C. It decreases steadily")).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("^B. Because computing the loss on every cell"))).to_be_checked()
    expect(page.get_by_text(re.compile("^Correct."))).to_have_count(1)
    expect(page.get_by_text(re.compile("^Not quite"))).to_have_count(1)


def test_first_answers_survive_a_reload_and_a_server_restart_and_a_new_learner_starts_at_zero(tmp_path, browser):
    port, data_dir = _free_port(), tmp_path / "progress"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    page = context.new_page()
    try:
        with restartable_server(port, data_dir, "before-restart") as url:
            page.goto(f"{url}/mf_basics")
            wait_idle(page)
            open_tab(page, "Quiz")
            page.get_by_text("C. It decreases steadily").click()
            wait_idle(page)
            page.get_by_text("B. Because computing the loss on every cell would be too slow").click()
            wait_idle(page)
            expect_answers_back(page)
            address, learner = page.url, learner_id(page)
            assert "learner=" in address and "Quiz" in address  # the address names the learner and the tab

            page.reload()  # (a) a reload
            wait_idle(page)
            assert learner_id(page) == learner
            expect_answers_back(page)

        with restartable_server(port, data_dir, "after-restart") as url:  # (b) the same address, a new server
            assert address.startswith(url)
            page.goto(address)
            wait_idle(page)
            assert learner_id(page) == learner
            expect_answers_back(page)
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Progress and quiz scores").click()
            wait_idle(page)
            expect(page.locator("[data-testid='stMetric']").filter(has_text="All lessons")).to_contain_text(
                f"1 / {TOTAL_QUESTIONS} correct")

            newcomer = context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            try:  # (c) someone opening the lesson without the id: a new learner, nothing answered
                newcomer.goto(f"{url}/mf_basics")
                wait_idle(newcomer)
                assert learner_id(newcomer) != learner
                open_tab(newcomer, "Quiz")
                expect(newcomer.get_by_text(re.compile(r"Score: 0 / 4 \(0 answered"))).to_be_visible()
                expect(newcomer.get_by_role("radio", name="C. It decreases steadily")).not_to_be_checked()
            finally:
                newcomer.context.close()
    finally:
        context.close()
