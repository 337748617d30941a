"""Two learners on one server, in two browser contexts at once (separate cookies, storage and
websockets, as two laptops would be): everything one of them does — uploading a file and using it,
training on it, answering a quiz question — stays theirs. The other learner's sidebar, lesson run,
quiz answers and score, and progress page never show any of it, and their own work does not change
the first learner's either."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ACTION_TIMEOUT_MS, open_tab, wait_idle

pytestmark = pytest.mark.e2e

ALICE_FILE = b"user,item,rating\n" + b"".join(
    f"{u},{i},{(u * 7 + i) % 5 + 1}\n".encode() for u in range(1, 31) for i in range(1, 21) if (u + i) % 3
)  # 30 users x 20 items, 400 ratings: nothing like the synthetic catalogue's 1,000 x 500
TOTAL_QUESTIONS = 17  # lessons 1-4: 4 + 4 + 4 + 5


@pytest.fixture
def two_learners(browser):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    pages = []
    for context in contexts:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        pages.append(context.new_page())
    yield pages
    for context in contexts:
        context.close()


def learner_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["learner"][0]


def go(page, nav_title: str) -> None:
    """Open a page from the sidebar, as a learner does (a new address would start a new session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=nav_title).click()
    wait_idle(page)


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']:visible").filter(has_text=label).get_by_test_id("stMetricValue")


def test_one_learners_upload_run_and_answers_are_never_visible_to_another(server, two_learners):
    alice, bob = two_learners
    for page in (alice, bob):  # both sessions are open before either does anything
        page.goto(f"{server}/?pace=fast")
        wait_idle(page)
    assert learner_id(alice) != learner_id(bob)

    # Alice brings her own file, uses it, trains lesson 1 on it and answers a question.
    go(alice, "Your data")
    alice.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "alice.csv", "mimeType": "text/csv", "buffer": ALICE_FILE}])
    wait_idle(alice, settle_ms=1000)
    alice.get_by_role("button", name="Use this file in the lessons").click()
    wait_idle(alice)
    expect(alice.get_by_text("In use: your file alice.csv")).to_be_visible()
    go(alice, "1 · Matrix factorization")
    open_tab(alice, "Training trace")
    expect(alice.get_by_text(re.compile("^Finished all 15 epochs"))).to_be_visible()
    alice_rmse = metric(alice, "Validation RMSE").inner_text()
    open_tab(alice, "Pipeline trace")
    expect(metric(alice, "Users")).to_have_text("30")
    expect(alice.get_by_text("has not been trained yet")).to_have_count(0)
    open_tab(alice, "Quiz")
    alice.get_by_text("C. It decreases steadily").click()
    wait_idle(alice)
    expect(alice.get_by_text(re.compile(r"Score: 1 / 4 \(1 answered"))).to_be_visible()
    go(alice, "Progress and quiz scores")
    expect(metric(alice, "All lessons")).to_have_text(f"1 / {TOTAL_QUESTIONS} correct")

    # Bob, on the same server at the same time, sees none of it.
    sidebar = bob.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile("^In use: the synthetic catalogue"))).to_be_visible()
    expect(bob.get_by_text("alice.csv")).to_have_count(0)
    expect(sidebar.get_by_role("button", name=re.compile("alice|your file"))).to_have_count(0)  # no "uploaded" choice
    go(bob, "Your data")
    expect(bob.get_by_role("heading", name=re.compile("Loaded, not yet in use"))).to_have_count(0)
    expect(metric(bob, "Users")).to_have_text("1,000")
    go(bob, "1 · Matrix factorization")
    expect(bob.get_by_text("has not been trained yet")).to_be_visible()  # Alice's run is not Bob's
    expect(metric(bob, "Users")).to_have_text("1,000")
    open_tab(bob, "Quiz")
    expect(bob.get_by_text(re.compile(r"Score: 0 / 4 \(0 answered"))).to_be_visible()
    expect(bob.get_by_text(re.compile("^Correct"))).to_have_count(0)
    options = bob.locator("[data-testid='stRadio']:visible").get_by_role("radio")  # the quiz's answer options
    expect(options).to_have_count(4 + 4 + 4 + 3)
    for option in options.all():
        expect(option).not_to_be_checked()
    go(bob, "Progress and quiz scores")
    expect(metric(bob, "All lessons")).to_have_text(f"0 / {TOTAL_QUESTIONS} correct")

    # Bob trains and answers in his own session; Alice's run, data and score stay as they were.
    go(bob, "1 · Matrix factorization")
    open_tab(bob, "Training trace")
    expect(bob.get_by_text(re.compile("^Finished all 15 epochs"))).to_be_visible()
    open_tab(bob, "Quiz")
    bob.get_by_text("A. It stays the same").click()
    wait_idle(bob)
    expect(bob.get_by_text(re.compile(r"Score: 0 / 4 \(1 answered"))).to_be_visible()
    go(alice, "1 · Matrix factorization")
    open_tab(alice, "Training trace")
    expect(alice.get_by_text(re.compile("^Finished all 15 epochs"))).to_be_visible()
    assert metric(alice, "Validation RMSE").inner_text() == alice_rmse  # the same run, not retrained
    open_tab(alice, "Pipeline trace")
    expect(metric(alice, "Users")).to_have_text("30")
    open_tab(alice, "Quiz")
    expect(alice.get_by_text(re.compile(r"Score: 1 / 4 \(1 answered"))).to_be_visible()
