"""Lesson 3 in a real browser: a deep link opens the A/B test with its settings, training redraws,
the quiz answers from the learner's own simulation."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_a_deep_link_opens_the_engagement_experiment_with_its_settings(server, page):
    page.goto(f"{server}/engagement?eng_k=3&eng_sessions=500&tab=4+%C2%B7+Engagement+experiment")
    wait_idle(page)
    assert page.get_by_role("tab", name=re.compile("Engagement experiment")).get_attribute("aria-selected") == "true"
    expect(page.get_by_text("Click-through rate, 500 sessions x 3 items").first).to_be_visible()
    bars = page.locator("[data-testid='stPlotlyChart']:visible").first
    assert bars.locator(".bars .point").count() == 4  # random, most popular, highest rated, trained model
    expect(page.get_by_text(re.compile("clearly more clicks")).first).to_be_visible()
    slider = page.locator("[data-testid='stSlider']:visible").filter(has_text="Items shown per session")
    assert slider.get_by_test_id("stSliderThumbValue").inner_text() == "3"
    assert "eng_k=3" in page.url
    screenshot(page, "engagement_experiment")


def test_training_redraws_the_chart_and_the_quiz_uses_the_learners_run(server, page):
    page.goto(f"{server}/engagement?eng_epochs=3")
    wait_idle(page)
    page.get_by_role("tab", name=re.compile("Training trace")).click()
    page.locator("[data-testid='stPlotlyChart']:visible").first.wait_for()
    expect(page.get_by_text("Finished all 3 epochs")).to_be_visible()
    page.get_by_role("button", name=re.compile("Train")).first.click()
    wait_idle(page)
    expect(page.get_by_text("Finished all 3 epochs")).to_be_visible()
    assert page.locator("[data-testid='stPlotlyChart']:visible .scatterlayer .trace").count() >= 4
    page.get_by_role("tab", name=re.compile("Quiz")).click()
    page.get_by_text("C. It decreases steadily").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Correct.")).first).to_be_visible()
    page.get_by_role("button", name=re.compile("simulate both policies")).click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Your run, k = 5: trained model [\d.]+% vs most popular")).first).to_be_visible()
    screenshot(page, "engagement_quiz")
