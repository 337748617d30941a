"""An oversized upload in a real browser: one clear message naming the limit and what to do, no
file chip left behind, and nothing stale once a good file is chosen.

Streamlit's own upload limit (``server.maxUploadSize``) sits above the loader's 50 MB, so a 60 MB
file reaches the app instead of being refused by the uploader with a message of its own that
would stay on screen beside the next file. The files are written by the test: a valid 60 MB
ratings CSV, and a small zip whose ratings.csv unzips to the same 60 MB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from recsys_core.data import MAX_FILE_BYTES
from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e
LIMIT = f"the limit is {MAX_FILE_BYTES // 2**20} MB"
GOOD = b"user,item,rating\n" + b"".join(
    f"{u},{i},{(u * 7 + i) % 5 + 1}\n".encode() for u in range(1, 31) for i in range(1, 21) if (u + i) % 3
)


def write_big_csv(path: Path, megabytes: int = 60) -> Path:
    """user,item,rating for distinct (user, item) pairs until the file holds ``megabytes`` MB."""
    tails = [f",{i},{i % 5 + 1}\n".encode() for i in range(1, 1001)]
    with path.open("wb") as out:
        out.write(b"user,item,rating\n")
        user = 0
        while out.tell() < megabytes * 2**20:
            user += 1
            prefix = str(user).encode()
            out.write(b"".join(prefix + tail for tail in tails))
    return path


def upload(page, *paths: Path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(p) for p in paths])
    wait_idle(page, settle_ms=1500)


def messages(page):
    """Every message on the page about a file that could not be used, ours or Streamlit's."""
    ours = page.locator("[data-testid='stAlert']").filter(has_text="could not be used")
    streamlit_own = page.locator("[data-testid='stFileUploader']").filter(has_text="must be")  # "File must be 50MB..."
    return ours, streamlit_own


def chips(page):
    return page.locator("[data-testid='stFileChip']")


@pytest.mark.parametrize("kind", ["csv", "zip"])
def test_an_oversized_file_gets_one_clear_message_that_a_good_file_then_clears(server, page, tmp_path, kind):
    big = write_big_csv(tmp_path / "ratings.csv")
    assert big.stat().st_size >= 60 * 2**20
    if kind == "zip":  # as GroupLens ships it, the ratings inside their folder; the zip itself is small
        archive = tmp_path / "ml-latest-small.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            out.write(big, "ml-latest-small/ratings.csv")
        big = archive
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD)

    page.goto(f"{server}/your_data")
    wait_idle(page)
    upload(page, big)
    ours, streamlit_own = messages(page)
    expect(ours).to_have_count(1)
    text = ours.inner_text()
    assert LIMIT in text and "sample" in text, text  # the limit, and what to do
    assert ("unzipped, the file is 60.0 MB" if kind == "zip" else "the file is 60.0 MB") in text, text
    expect(streamlit_own).to_have_count(0)
    expect(chips(page)).to_have_count(0)  # the file that can never be used is not kept beside the next one
    screenshot(page, f"oversized_{kind}")

    upload(page, good)
    expect(page.get_by_role("heading", name="Loaded, not yet in use: good.csv")).to_be_visible()
    expect(ours).to_have_count(0)  # nothing stale
    expect(streamlit_own).to_have_count(0)
    expect(chips(page)).to_have_count(1)
    expect(page.get_by_text(LIMIT)).to_have_count(0)
