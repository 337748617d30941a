"""Browser tests: a real Streamlit server per module, driven by Playwright in Debian's chromium.

Playwright's own browser download cannot work offline here, so the tests launch the system
chromium through ``executable_path``. In CI (``CI`` set) a missing chromium is a failure, never
a skip: these tests are the only proof the app works in a browser.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What app_pages/serve.py logs when the lessons' programs are compiled (or why they are not).
WARMED = re.compile("lesson programs ready|warm-up failed")
# A lesson's first training compiles JAX programs on a 2-core machine: be generous.
ACTION_TIMEOUT_MS = 120_000


def _expect_waits_like_actions() -> None:
    """`expect(...)` retries until its timeout: after a click, wait for the result, not a sleep."""
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)


_expect_waits_like_actions()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(progress_dir: Path, *options: str, env: dict[str, str] | None = None,
                     log_name: str | None = None, port: int | None = None) -> Iterator[tuple[str, Path]]:
    """The app as `make run` serves it (`python -m app_pages.serve`: `streamlit run app.py` with the
    libraries loaded and the lessons' programs compiled in the background at start) on a free
    loopback port; yields (base URL, server log path).

    ``options`` are passed after the port (``--client.showErrorDetails none``, ...); learners'
    progress goes to ``progress_dir``; ``port`` is a free one unless given (a restarted server on
    the same address).
    """
    port = port or _free_port()
    env = {**os.environ, "RECSYS_LAB_DATA_DIR": str(progress_dir), **(env or {})}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / (log_name or f"server-{port}.log")
    log = open(log_path, "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "app_pages.serve", "--server.port", str(port), *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not become healthy within 90 s")
    # Tests meet the server as a class does a little after the teacher started it: warmed up.
    # (Timing tests, such as Stop within half a second, would otherwise race the warm-up.)
    while time.monotonic() < deadline + 90 and not WARMED.search(log_path.read_text(errors="replace")):
        time.sleep(0.3)
    try:
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free loopback port for this module; yields its base URL.

    Each module's server keeps learners' progress in a directory of its own.
    """
    with streamlit_server(tmp_path_factory.mktemp("progress"), "--server.address", "127.0.0.1",
                          "--server.headless", "true", "--browser.gatherUsageStats", "false") as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def wait_idle(page, settle_ms: int = 400) -> None:
    """Wait until Streamlit has finished running the script after the last action and drawn its elements.

    The app root carries ``data-test-script-state``; right after a click it may still say
    'notRunning' for a moment before the rerun starts, hence the short settle first.
    """
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=ACTION_TIMEOUT_MS)
    page.wait_for_timeout(200)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=ACTION_TIMEOUT_MS)
    # Done running is not drawn: an element whose frontend code is still loading (Plotly's, on a page's
    # first chart) shows Streamlit's skeleton placeholder until it is.
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=ACTION_TIMEOUT_MS)


def chart_series(page, index: int = 0) -> dict[str, dict[str, list]]:
    """The drawn data of the ``index``-th chart on the page: {trace name: {x, y}} ({} if not drawn yet).

    Read from Plotly's own graph element in one snapshot (no auto-waiting: a live chart is
    replaced many times a second), so it is what the browser drew, not what the server sent. A
    lesson's training tab draws its live loss chart first.
    """
    return page.evaluate("""(index) => {
        const charts = Array.from(document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot"))
            .filter(el => el.offsetParent !== null && el.data);
        const el = charts[index];
        if (!el) return {};
        return Object.fromEntries(el.data.filter(t => t.name).map(t => [t.name, {x: Array.from(t.x), y: Array.from(t.y)}]));
    }""", index)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).click()
    wait_idle(page)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
