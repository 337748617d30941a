"""Lesson 4 in a real browser: load the seed's solution, train, see the targets pass, answer a quiz question."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_loading_the_seeds_solution_trains_it_and_every_target_badge_passes(server, page):
    page.goto(f"{server}/overfitting?of_epochs=3&pace=fast&tab=2+%C2%B7+Training+trace")
    wait_idle(page)
    expect(page.get_by_text(re.compile("Finished all 3 epochs"))).to_be_visible()
    page.get_by_role("button", name="Load the seed's solution").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Finished all 50 epochs|Early stopping: validation loss")).first).to_be_visible()
    expect(page.get_by_text("3 of 3 targets met")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Validation accuracy ≥ 80%: (8\d|9\d)\.\d%"))).to_be_visible()
    assert "of_dropout_rate=0.3" in page.url and "of_early_stopping=true" in page.url
    page.get_by_role("button", name=re.compile(r"Train the sweep \(5 runs\)")).click()  # five more runs: on request
    wait_idle(page)
    expect(page.get_by_text(re.compile("alone (meets|each meet) all three targets|No single change"))).to_be_visible()
    screenshot(page, "overfitting_after")
    open_tab(page, "Quiz")
    page.get_by_text(re.compile(r"^B\. Overfitting")).click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Correct.")).first).to_be_visible()
    expect(page.get_by_text(re.compile("Score: 1 / 5"))).to_be_visible()
