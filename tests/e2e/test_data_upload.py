"""Bringing your own data in a real browser: a bad file gets one clear message, a good file is shown
and becomes the data in use only on "Use this file", and the previous data stays in use after a bad one."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e

GOOD = b"user,item,rating\n" + b"".join(
    f"{u},{i},{(u * 7 + i) % 5 + 1}\n".encode() for u in range(1, 31) for i in range(1, 21) if (u + i) % 3
)
BAD = b"user,item,rating\n1,10,4\n2,11,five\n3,12,3\n"


def upload(page, *files: tuple[str, bytes]) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content} for name, content in files])
    wait_idle(page, settle_ms=1000)


def clear_uploads(page) -> None:
    for button in page.locator("[data-testid='stFileChipDeleteBtn'] button").all()[::-1]:
        button.click()
    wait_idle(page)


def test_a_malformed_file_names_the_line_and_a_good_file_is_used_only_when_asked(server, page):
    page.goto(f"{server}/your_data")
    wait_idle(page)
    upload(page, ("bad.csv", BAD))
    alert = page.locator("[data-testid='stAlert']").filter(has_text="could not be used")
    expect(alert).to_be_visible()
    assert "line 3" in alert.inner_text() and "five" in alert.inner_text()

    clear_uploads(page)
    expect(alert).to_have_count(0)  # no stale message once the file is gone
    upload(page, ("good.csv", GOOD))
    expect(page.get_by_role("heading", name="Loaded, not yet in use: good.csv")).to_be_visible()
    expect(page.get_by_text("In use: the synthetic catalogue")).to_be_visible()  # the sidebar still names it
    assert page.locator("[data-testid='stMetric']").filter(has_text="Ratings").inner_text().endswith("400")
    page.get_by_role("button", name="Use this file in the lessons").click()
    wait_idle(page)
    assert "data=uploaded" in page.url
    expect(page.get_by_text("In use: your file good.csv")).to_be_visible()

    clear_uploads(page)
    upload(page, ("bad.csv", BAD))
    alert = page.locator("[data-testid='stAlert']").filter(has_text="could not be used")
    assert "good.csv" in alert.inner_text() and "still in use" in alert.inner_text()
