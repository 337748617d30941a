"""Training a learner can watch, in a real browser: every lesson's default run plays out from epoch 0
over ten and more chart states at the "watch" pace, a diverging run shows its loss rising before the
blow-up, and Stop acts within half a second on the largest data. Screenshots of each lesson's
training tab mid-run and finished are kept in test-artifacts/."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import chart_series, screenshot, wait_idle

pytestmark = pytest.mark.e2e
TRAINING = "tab=2+%C2%B7+Training+trace"
SCRIPT_STATE = "() => document.querySelector(\"[data-testid='stApp']\").dataset.testScriptState"
LESSONS = {"mf_basics": 15, "collaborative_filtering": 15, "engagement": 10, "overfitting": 60}


def points(page) -> int:
    """How many epochs the training curve on screen has drawn (0 when no chart yet)."""
    return len(chart_series(page).get("training", {}).get("x", []))


# Every state the training curve is drawn in, recorded by the page itself every 10 ms: a screenshot
# taken from the test meanwhile (a few hundred ms) must not hide the frames drawn while it is taken.
RECORD_DRAWN = """() => {
    window.__drawn = [];
    setInterval(() => {
        const chart = Array.from(document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot"))
            .find(el => el.offsetParent !== null && el.data);
        const trace = chart ? chart.data.find(t => t.name === "training") : null;
        const n = trace ? trace.x.length : 0;
        if (n && window.__drawn[window.__drawn.length - 1] !== n) window.__drawn.push(n);
    }, 10);
}"""


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_at_the_watch_pace_the_default_run_plays_out_from_epoch_0_over_ten_chart_states(server, page, lesson):
    epochs = LESSONS[lesson]
    page.goto(f"{server}/{lesson}?{TRAINING}")  # "watch" is the default pace
    wait_idle(page)  # the first visit compiles; then train again and watch that run
    page.evaluate(RECORD_DRAWN)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Epoch \d+ of [\d,]+ — training")).first).to_be_visible()
    mid_shot, started = False, time.monotonic()
    while time.monotonic() - started < 60:
        n = points(page)
        if not mid_shot and 3 <= n <= epochs // 2:
            screenshot(page, f"{lesson}_training_watch_mid")
            mid_shot = True
        if n == epochs + 1 and page.evaluate(SCRIPT_STATE) == "notRunning":
            break
        page.wait_for_timeout(25)
    wait_idle(page)
    screenshot(page, f"{lesson}_training_watch_finished")
    drawn = page.evaluate("window.__drawn")
    seen = drawn[1:] if drawn[:1] == [epochs + 1] else drawn  # the previous run's finished chart came first
    assert seen and seen[-1] == epochs + 1, seen
    intermediate = [n for n in seen if n < epochs + 1]
    assert len(intermediate) >= 10, seen
    assert chart_series(page)["training"]["x"][0] == 0  # the first point is the untrained model
    assert mid_shot


def test_a_diverging_learning_rate_draws_a_rising_curve_before_the_blow_up(server, page):
    # Adam at 0.25 on lesson 1's defaults: the loss rises for four epochs, then passes 10x its start.
    page.goto(f"{server}/mf_basics?{TRAINING}&mf_opt=adam&mf_lr=0.25&pace=fast")
    wait_idle(page)
    message = page.locator("[data-testid='stAlert']").filter(has_text="Training diverged").first
    expect(message).to_be_visible()
    assert re.search(r"trained without diverging at learning rate [\d.]+", message.inner_text())
    losses = chart_series(page)["training"]["y"]
    finite = [v for v in losses if v is not None]
    assert len(finite) >= 4 and all(b > a for a, b in zip(finite[1:4], finite[2:5], strict=False)), losses
    chart = page.locator("[data-testid='stPlotlyChart']:visible").first
    expect(chart.get_by_text(re.compile("off the chart")).first).to_be_visible()  # the blow-up is marked, not blank
    screenshot(page, "mf_basics_divergence")


def test_stop_acts_within_half_a_second_on_the_largest_data(server, page):
    # 100,000 ratings, rank 64, batch 32, Adam: about a tenth of a second per epoch, 100 epochs.
    page.goto(f"{server}/mf_basics?{TRAINING}&pace=fast&ratings=100000&mf_k=64&mf_batch=32&mf_opt=adam&mf_epochs=100")
    expect(page.get_by_text(re.compile(r"Epoch ([5-9]|\d\d) of 100 — training"))).to_be_visible()
    clicked = time.monotonic()
    page.get_by_role("button", name="Stop").click()
    shown = "() => document.querySelector(\"[data-testid='stProgress']\").innerText"
    epoch = lambda: int(re.search(r"Epoch (\d+)", page.evaluate(shown)).group(1))  # noqa: E731
    last_epoch, last_change = epoch(), clicked
    while time.monotonic() - clicked < 3.0:
        now = epoch()
        if now != last_epoch:
            last_epoch, last_change = now, time.monotonic()
        if page.get_by_text(re.compile(r"Stopped by you after \d+ epoch")).count():
            break
        page.wait_for_timeout(10)
    last_text = f"epoch {last_epoch}"
    acted = last_change - clicked
    print(f"Stop acted {acted:.3f} s after the click ({last_text!r})")
    expect(page.get_by_text(re.compile(r"Stopped by you after \d+ epoch")).first).to_be_visible()
    assert acted <= 0.5
