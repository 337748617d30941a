"""Lesson 3 in a real browser: a deep link opens the A/B test with its settings, and a "predict, then
run" question locks the learner's prediction before the run checks it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_a_deep_link_opens_the_engagement_experiment_with_its_settings(server, page):
    page.goto(f"{server}/engagement?eng_k=3&eng_sessions=500&pace=fast&tab=4+%C2%B7+Engagement+experiment")
    wait_idle(page)
    assert page.get_by_role("tab", name=re.compile("Engagement experiment")).get_attribute("aria-selected") == "true"
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    expect(page.get_by_text("Click-through rate, 500 sessions x 3 items").first).to_be_visible()
    bars = page.locator("[data-testid='stPlotlyChart']:visible").first
    assert bars.locator(".bars .point").count() == 4  # random, most popular, highest rated, trained model
    expect(page.get_by_text(re.compile("clearly more clicks")).first).to_be_visible()
    slider = page.locator("[data-testid='stSlider']:visible").filter(has_text="Items shown per session")
    assert slider.get_by_test_id("stSliderThumbValue").inner_text() == "3"
    assert "eng_k=3" in page.url
    screenshot(page, "engagement_experiment")


def test_a_prediction_is_locked_before_the_run_checks_it(server, page):
    page.goto(f"{server}/engagement?pace=fast&tab=5+%C2%B7+Quiz")
    wait_idle(page)
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    run = page.get_by_role("button", name=re.compile("simulate both policies"))
    expect(run).to_be_disabled()
    question = page.locator("[data-testid='stVerticalBlock']").filter(has_text="from the most-popular list").last
    question.get_by_text(re.compile(r"^C\. The trained model")).click()
    wait_idle(page)
    question.get_by_role("button", name="Lock my prediction").click()
    wait_idle(page)
    expect(run).to_be_enabled()
    run.click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Your run, k = 5: trained model [\d.]+% vs most popular")).first).to_be_visible()
    expect(page.get_by_text(re.compile("^Correct. Your run")).first).to_be_visible()
    screenshot(page, "engagement_quiz")
