"""A learner's path through the app in a real browser: home -> lesson 1 -> train -> quiz -> deep link."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_home_page_shows_the_lessons_and_navigates_to_lesson_one(server, page):
    page.goto(server)
    wait_idle(page)
    expect(page.get_by_role("heading", name="RecSys Lab")).to_be_visible()
    page.get_by_role("link", name="Open the lesson").first.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Matrix factorization basics").first).to_be_visible()
    assert "/mf_basics" in page.url


def test_training_draws_the_loss_chart_and_metrics_update(server, page):
    page.goto(f"{server}/mf_basics?tab=2+%C2%B7+Training+trace")
    wait_idle(page)
    page.get_by_role("tab", name=re.compile("Training trace")).click()
    chart = page.locator("[data-testid='stPlotlyChart']:visible").first
    chart.wait_for()
    expect(page.get_by_text("Finished all 20 epochs")).to_be_visible()
    before = page.locator("[data-testid='stMetric']:visible").filter(has_text="Validation RMSE").inner_text()
    page.get_by_role("button", name=re.compile("Train")).first.click()
    wait_idle(page)
    expect(page.get_by_text("Finished all 20 epochs")).to_be_visible()
    assert page.locator("[data-testid='stPlotlyChart']:visible .scatterlayer .trace").count() >= 4
    after = page.locator("[data-testid='stMetric']:visible").filter(has_text="Validation RMSE").inner_text()
    assert "stars" in before and "stars" in after
    screenshot(page, "mf_basics_training")


def test_a_quiz_answer_gets_immediate_feedback(server, page):
    page.goto(f"{server}/mf_basics")
    wait_idle(page)
    page.get_by_role("tab", name=re.compile("Quiz")).click()
    page.get_by_text("C. It decreases steadily").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Correct.")).first).to_be_visible()
    page.get_by_text("A. Because empty cells are unknown").click()
    wait_idle(page)
    expect(page.get_by_text("Score: 2 / 4")).to_be_visible()


def test_a_deep_link_opens_the_lesson_with_its_settings(server, page):
    page.goto(f"{server}/mf_basics?mf_k=5&mf_epochs=8&seed=4")
    wait_idle(page)
    page.get_by_role("tab", name=re.compile("Training trace")).click()
    expect(page.get_by_text("Finished all 8 epochs")).to_be_visible()
    slider = page.locator("[data-testid='stSlider']:visible").filter(has_text="Rank k")
    assert slider.get_by_test_id("stSliderThumbValue").inner_text() == "5"
    assert "mf_k=5" in page.url and "seed=4" in page.url
    screenshot(page, "mf_basics_deep_link")


def test_stop_ends_a_long_run_early_and_keeps_what_was_learned(server, page):
    # Load with one epoch (the page trains on load), then ask for 100 slow epochs (Adam, rank
    # 64, 100,000 ratings, batch 32: about half a minute) and stop them.
    page.goto(f"{server}/mf_basics?mf_epochs=1&ratings=100000&mf_batch=32&mf_k=64&mf_opt=adam")
    wait_idle(page)
    page.get_by_role("tab", name=re.compile("Training trace")).click()
    epochs_slider = page.locator("[data-testid='stSlider']:visible").filter(has_text="Epochs").get_by_role("slider")
    epochs_slider.focus()
    epochs_slider.press("End")
    expect(page.get_by_text(re.compile(r"Epoch [1-9]\d* of 100 — training\.\.\.")).first).to_be_visible()
    page.get_by_role("button", name=re.compile("Stop")).first.click()
    message = page.get_by_text(re.compile(r"Stopped by you after \d+ epoch")).first
    expect(message).to_be_visible()
    epochs = int(re.search(r"after (\d+) epoch", message.inner_text()).group(1))
    assert 1 <= epochs < 100
    expect(page.locator("[data-testid='stPlotlyChart']:visible").first).to_be_visible()
