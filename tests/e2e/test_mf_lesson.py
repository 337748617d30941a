"""A learner's path through lesson 1 in a real browser: home -> lesson -> the toy -> training ->
quiz -> deep links, including one with a value the lesson does not allow."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_home_page_shows_the_lessons_and_navigates_to_lesson_one(server, page):
    page.goto(server)
    wait_idle(page)
    expect(page.get_by_role("heading", name="RecSys Lab")).to_be_visible()
    page.get_by_role("link", name="Open the lesson").first.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Matrix factorization basics").first).to_be_visible()
    assert "/mf_basics" in page.url and "learner=" in page.url  # an anonymous id keeps the progress


def test_the_toy_table_refits_when_the_learner_takes_steps(server, page):
    page.goto(f"{server}/mf_basics")
    wait_idle(page)
    loss = page.locator("[data-testid='stMetric']").filter(has_text="Loss on the known cells only")
    before = float(loss.locator("[data-testid='stMetricValue']").inner_text())
    page.get_by_role("button", name="Take 100 steps").click()
    wait_idle(page)
    after = float(loss.locator("[data-testid='stMetricValue']").inner_text())
    assert after < 0.1 * before
    screenshot(page, "mf_basics_toy")


def test_training_from_the_pipeline_tab_fills_the_stage_table(server, page):
    page.goto(f"{server}/mf_basics?pace=fast")
    wait_idle(page)
    expect(page.get_by_text("has not been trained yet")).to_be_visible()
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    table = page.locator("[data-testid='stTable']:visible").first
    for name in ("Input data", "Initialize factor matrices", "Matrix multiplication", "Loss calculation", "Update features"):
        expect(table.get_by_text(name).first).to_be_visible()
    expect(table.get_by_text(re.compile("At the start: .* \\+ L2")).first).to_be_visible()


def test_a_quiz_answer_gets_immediate_feedback_and_the_first_answer_counts(server, page):
    page.goto(f"{server}/mf_basics")
    wait_idle(page)
    open_tab(page, "Quiz")
    page.get_by_text("B. It increases steadily").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Not quite")).first).to_be_visible()
    page.get_by_text("C. It decreases steadily").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Correct.")).first).to_be_visible()
    expect(page.get_by_text(re.compile("Score: 0 / 4"))).to_be_visible()
    page.reload()  # progress lasts: the first answer and its score come back
    wait_idle(page)
    open_tab(page, "Quiz")
    expect(page.get_by_text(re.compile("Score: 0 / 4 \\(1 answered"))).to_be_visible()


def test_a_deep_link_opens_the_lesson_with_its_settings(server, page):
    page.goto(f"{server}/mf_basics?mf_k=5&mf_epochs=8&seed=4&pace=fast&tab=2+%C2%B7+Training+trace")
    wait_idle(page)
    expect(page.get_by_text("Finished all 8 epochs")).to_be_visible()
    slider = page.locator("[data-testid='stSlider']:visible").filter(has_text="Rank k")
    assert slider.get_by_test_id("stSliderThumbValue").inner_text() == "5"
    assert "mf_k=5" in page.url and "seed=4" in page.url
    page.get_by_text("Epoch table with observations").click()  # drawn in the rerun its opening asks for
    wait_idle(page)
    table = page.locator("[data-testid='stTable']:visible").first
    expect(table.locator("th").first).to_have_text("Epoch")  # numbered, epoch 0 the untrained model
    assert table.locator("tbody tr").count() == 9 and table.locator("tbody tr th").first.inner_text() == "0"
    open_tab(page, "Pipeline trace")  # the address keeps the run's settings whichever tab is open
    assert "mf_k=5" in page.url and "mf_epochs=8" in page.url
    screenshot(page, "mf_basics_deep_link")


def test_a_deep_link_value_that_is_not_allowed_gets_a_notice(server, page):
    page.goto(f"{server}/mf_basics?mf_k=999&tab=bogus")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"mf_k=999.*is not allowed here.*using 10 instead"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"tab=bogus.*is not allowed here"))).to_be_visible()
    assert "mf_k=999" not in page.url
