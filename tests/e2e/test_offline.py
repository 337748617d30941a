"""Offline for real: across every page, with every lesson trained and every tab opened, the browser
asks nothing of any host but the local server (no fonts, icons, analytics or favicon from the
internet). Every request and websocket is recorded; the test prints what went where and fails
on the first request that left the machine's server.

The server is started as `make run` starts it, with nothing but the port on the command line, so
`.streamlit/config.toml` is what is tested: with ``gatherUsageStats`` on, for one, the browser
fetches https://data.streamlit.io/metrics.json on the first page.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import streamlit_server, wait_idle

pytestmark = pytest.mark.e2e

TRAINING = "pace=fast&tab=2+%C2%B7+Training+trace"
LESSONS = ("mf_basics", "collaborative_filtering", "engagement", "overfitting")
LAB_PAGES = ("your_data", "playground", "rate_items", "progress", "teacher", "teacher?class=cs101")
LOCAL_SCHEMES = {"data", "blob", "about"}  # never leave the browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("progress")) as (url, _):
        yield url


def test_every_page_trained_and_every_tab_opened_asks_only_the_local_server(server, page):
    seen: list[tuple[str, str]] = []  # (page visited, url requested)
    where = {"page": "home"}
    page.on("request", lambda request: seen.append((where["page"], request.url)))
    page.on("websocket", lambda socket: seen.append((where["page"], socket.url)))

    def visit(path: str) -> None:
        where["page"] = path or "home"
        page.goto(f"{server}/{path}")
        wait_idle(page)
        expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()

    visit("")
    for lesson in LESSONS:
        visit(f"{lesson}?{TRAINING}")  # the training tab trains the lesson's default run at once
        expect(page.get_by_text(re.compile(r"^Epoch [\d,]+ of [\d,]+$")).first).to_be_visible()
        tabs = page.get_by_role("tab")
        for index in range(tabs.count()):
            where["page"] = f"{lesson}, tab {tabs.nth(index).inner_text()}"
            tabs.nth(index).click()
            wait_idle(page)
    for path in LAB_PAGES:
        visit(path)

    server_host = urlsplit(server).netloc
    hosts = Counter(urlsplit(url).netloc or urlsplit(url).scheme for _, url in seen)
    print(f"\n{len(seen)} requests and websockets, by host: {dict(hosts)}")
    elsewhere = [(visited, url) for visited, url in seen
                 if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != server_host]
    for visited, url in elsewhere:
        print(f"  left the server on {visited}: {url}")
    assert len(seen) > 50 and hosts[server_host] == len(seen) - sum(
        n for host, n in hosts.items() if host in LOCAL_SCHEMES)
    assert not elsewhere, f"{len(elsewhere)} request(s) to another host, first: {elsewhere[0]}"
