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

from bench.classroom import CHROMIUM, CHROMIUM_ARGS, TRAINING_TAB, Server, page_log_js, settled_log

SETTLE_S, TIMEOUT_S = 0.8, 120.0  # unchanged this long means settled; give up after this


def _chart_change_ms(log: list, since: float) -> tuple[float, float]:
    """(first, last) time in ms after ``since`` at which the first chart's drawn data changed."""
    changes = [t for (t, *_, drawn), prev in zip(log[1:], log, strict=False) if drawn != prev[4]]
    return ((changes[0] - since) * 1000, (changes[-1] - since) * 1000) if changes else (float("nan"), float("nan"))


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
            page.add_init_script(page_log_js(10))  # the page's own clock, every 10 ms
            page.goto(f"{server.url}/{args.lesson}?pace={args.pace}&tab={quote(TRAINING_TAB)}", wait_until="commit")
            log = settled_log(page, 0.0, SETTLE_S, time.monotonic() + TIMEOUT_S)
            drawn = [t for (t, _, n, *_), prev in zip(log[1:], log, strict=False) if n != prev[2]]
            print(f"first visit ({args.lesson}, pace={args.pace}): trained chart drawn {drawn[-1]:.2f} s, "
                  f"page settled {log[-1][0]:.2f} s after navigation start", flush=True)
            slider = page.get_by_role("slider", name="Rank k (features per user/item)")
            first, last = [], []
            for move in range(args.moves):
                slider.focus()
                since = page.evaluate("performance.now()") / 1000
                page.keyboard.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
                log = settled_log(page, since, SETTLE_S, time.monotonic() + TIMEOUT_S)
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
