"""Lesson 2 in a real browser: the stage table and preprocessing comparison of the trained run, and a quiz answer."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_the_pipeline_shows_the_stage_table_and_the_preprocessing_comparison(server, page):
    page.goto(f"{server}/collaborative_filtering?pace=fast")
    wait_idle(page)
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    table = page.locator("[data-testid='stTable']:visible").first
    for name in ("Raw user-item ratings", "Data preprocessing", "Matrix factorization", "Model training", "Prediction"):
        expect(table.get_by_text(name).first).to_be_visible()
    expect(page.get_by_text("User features: 1,000 x 20, Item features: 500 x 20").first).to_be_visible()
    bars = page.locator("[data-testid='stPlotlyChart']:visible").nth(2)
    bars.locator(".bars path").first.wait_for()
    assert bars.locator(".bars path").count() == 4
    expect(page.get_by_text(re.compile("Keep the mask gave the lowest held-out RMSE"))).to_be_visible()
    page.get_by_role("radio", name="fill with zeros").click()
    wait_idle(page)
    assert "cf_fill=zero" in page.url
    table.get_by_text(re.compile("replaced with 0.00")).first.wait_for()
    screenshot(page, "cf_pipeline")


def test_a_quiz_answer_gets_feedback(server, page):
    page.goto(f"{server}/collaborative_filtering")
    wait_idle(page)
    open_tab(page, "Quiz")
    page.get_by_text("A. It breaks down the user-item rating matrix").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Correct.")).first).to_be_visible()
    expect(page.get_by_text(re.compile("Score: 1 / 4"))).to_be_visible()
    screenshot(page, "cf_quiz")
