"""What one learner feels in a real browser: the first visit after a server start, and a warm slider.

    python -m bench.browser [--moves 8] [--pace fast] [--lesson mf_basics]

Two figures of issue 14 are browser figures, not server figures:
- **first visit**: a server started as ``make run`` starts it (``app_pages.serve``), a learner who
  arrives once its warm-up is done opens a lesson's training tab; from navigation start to the
  trained chart drawn (the last change in the number of drawn Plotly charts, and the script idle
  with no element still waiting for its lazily loaded code);
- **warm slider**: on that trained page, the rank slider moved one step with the keyboard (as a
  learner does: focus the slider, ArrowRight/ArrowLeft) ``--moves`` times; from the key press to
  the retrained, redrawn chart. At ``pace=fast`` that is the whole retrain; at ``pace=watch`` the
  time to the chart's first redraw is printed as well (the run then plays for a few seconds).

One Chromium (Debian's ``/usr/bin/chromium``) against one server, nothing else: both are on the
same 2 cores, so the figures include the browser's own work, as a learner's would. Prints the
median and max of each; not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import quote

from bench.classroom import CHROMIUM, CHROMIUM_ARGS, TRAINING_TAB, Server

# The page's state, polled in the browser (every 10 ms) so the times are the page's own clock.
_WATCH_JS = """
window.__log = [];
(() => {
  let last = "";
  setInterval(() => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app ? app.getAttribute("data-test-script-state") : null;
    const charts = Array.from(document.querySelectorAll(".js-plotly-plot"));
    const points = charts.length && charts[0].data ? charts[0].data.map(t => (t.x || []).length).join(",") : "";
    const stamp = charts.length && charts[0]._fullLayout ? String(charts[0].data?.[0]?.y?.slice(-1)) : "";
    const waiting = document.querySelectorAll("[data-testid='stSkeleton']").length;
    const key = `${state}|${charts.length}|${points}|${stamp}|${waiting}`;
    if (key !== last) { window.__log.push([performance.now(), state, charts.length, points + "/" + stamp, waiting]); last = key; }
  }, 10);
})();
"""


def _settled(page, since: float, settle_ms: float = 800.0, timeout_s: float = 120.0) -> list:
    """Wait until the page has run, is idle, waits for no lazy code and has not changed for ``settle_ms``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(settle_ms)
        log = [e for e in page.evaluate("window.__log") if e[0] >= since]
        now = page.evaluate("performance.now()")
        if log and log[-1][1] == "notRunning" and not log[-1][4] and now - log[-1][0] >= settle_ms \
                and any(e[1] == "running" for e in log):
            return log
    raise TimeoutError("the page did not settle")


def _chart_change_ms(log: list, since: float) -> tuple[float, float]:
    """(first, last) time after ``since`` at which the first chart's drawn data changed."""
    changes = [t for (t, _, _, drawn, _), prev in zip(log[1:], log, strict=False) if drawn != prev[3]]
    return (changes[0] - since, changes[-1] - since) if changes else (float("nan"), float("nan"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lesson", default="mf_basics")
    parser.add_argument("--pace", choices=("fast", "watch"), default="fast")
    parser.add_argument("--moves", type=int, default=8)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    server = Server(launcher="serve", wait_ready=True)
    print(f"server via app_pages.serve: healthy after {server.healthy_seconds:.1f} s, warmed up after "
          f"{server.ready_seconds:.1f} s (JAX cache {server.jax_cache_entries} entries)", flush=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.add_init_script(_WATCH_JS)
            page.goto(f"{server.url}/{args.lesson}?pace={args.pace}&tab={quote(TRAINING_TAB)}", wait_until="commit")
            log = _settled(page, 0.0)
            drawn = [t for (t, _, n, _, _), prev in zip(log[1:], log, strict=False) if n != prev[2]]
            print(f"first visit ({args.lesson}, pace={args.pace}): trained chart drawn {drawn[-1] / 1000:.2f} s, "
                  f"page settled {log[-1][0] / 1000:.2f} s after navigation start", flush=True)
            slider = page.get_by_role("slider", name="Rank k (features per user/item)")
            first, last = [], []
            for move in range(args.moves):
                slider.focus()
                since = page.evaluate("performance.now()")
                page.keyboard.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
                log = _settled(page, since)
                a, b = _chart_change_ms(log, since)
                first.append(a)
                last.append(b)
                print(f"  move {move + 1}: chart first redrawn {a:.0f} ms, finished {b:.0f} ms", flush=True)
            browser.close()
    finally:
        server.stop()
    for name, values in (("first redraw", first), ("finished chart", last)):
        print(f"warm slider, {name}: median {statistics.median(values):.0f} ms, max {max(values):.0f} ms "
              f"over {len(values)} moves (pace={args.pace})")


if __name__ == "__main__":
    main()
