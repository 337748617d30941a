"""Bringing your own data in a real browser: a bad file gets a clear message, good data stays."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e

GOOD = b"user,item,rating\n" + b"".join(
    f"{u},{i},{(u * 7 + i) % 5 + 1}\n".encode() for u in range(1, 31) for i in range(1, 21) if (u + i) % 3
)
BAD = b"user,item,rating\n1,10,4\n2,11,five\n3,12,3\n"


def upload(page, name: str, content: bytes) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    wait_idle(page, settle_ms=1000)


def test_a_malformed_file_names_the_line_and_a_good_file_stays_loaded(server, page):
    page.goto(f"{server}/your_data")
    wait_idle(page)
    upload(page, "bad.csv", BAD)
    alert = page.locator("[data-testid='stAlert']").filter(has_text="could not be used")
    expect(alert).to_be_visible()
    assert "line 3" in alert.inner_text() and "five" in alert.inner_text()

    upload(page, "good.csv", GOOD)
    expect(page.get_by_role("heading", name="Loaded: good.csv")).to_be_visible()
    assert page.locator("[data-testid='stMetric']").filter(has_text="Ratings").inner_text().endswith("400")
    page.get_by_role("button", name="Use good.csv in the lessons").click()
    wait_idle(page)
    assert "data=uploaded" in page.url

    upload(page, "bad.csv", BAD)
    alert = page.locator("[data-testid='stAlert']").filter(has_text="could not be used")
    assert "good.csv" in alert.inner_text() and "still loaded" in alert.inner_text()
    expect(page.get_by_role("heading", name="Loaded: good.csv")).to_be_visible()
