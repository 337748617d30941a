"""MovieLens as downloaded, in a real browser: the ml-100k zip, or ratings.csv + movies.csv selected
together, become the data in use and lesson 1 names items by their titles (latin-1 ones included),
in the stage table's example and in the prediction trace's item picker, never as "Item 356".

The files are the fixture's small MovieLens look-alikes, written into the test's own directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, wait_idle
from tests.fixtures.movielens import MOVIES, write_movielens_files

pytestmark = pytest.mark.e2e
LATIN_1_TITLE = "Café au lait (1994)"
TITLES = {title for title, _ in MOVIES}


def use_upload(page, server: str, *paths: Path) -> None:
    """Upload ``paths`` on the Your-data page in one selection and make them the data in use."""
    page.goto(f"{server}/your_data?pace=fast")
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(p) for p in paths])
    wait_idle(page, settle_ms=1000)
    names = " + ".join(p.name for p in paths)
    expect(page.get_by_role("heading", name=f"Loaded, not yet in use: {names}")).to_be_visible()
    page.get_by_role("button", name="Use this file in the lessons").click()
    wait_idle(page)
    expect(page.get_by_text(f"In use: your file {names}")).to_be_visible()


def open_lesson_one(page) -> None:
    """Navigate inside the app: a fresh page load starts a new session, without the upload."""
    page.get_by_role("link", name="1 · Matrix factorization").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Matrix factorization basics").first).to_be_visible()
    expect(page.get_by_text("In use: your file")).to_be_visible()


def pick_item(page, typed: str, title: str) -> None:
    """Type into the prediction trace's item picker and choose ``title`` from what it offers."""
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Item (rated ones first)")
    picker.locator("input").click()
    picker.locator("input").fill(typed)
    option = page.get_by_role("option", name=title, exact=True)
    expect(option).to_be_visible()
    option.click()
    wait_idle(page)
    expect(picker.locator("input")).to_have_value(title)


def check_titles_in_lesson_one(page, name: str) -> None:
    open_lesson_one(page)
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    table = page.locator("[data-testid='stTable']:visible").first
    expect(table.get_by_text("Input data").first).to_be_visible()
    example = table.inner_text()
    shown = [title for title in TITLES if title in example]
    assert shown, f"no MovieLens title in the stage table:\n{example}"
    assert not re.search(r"\bItem \d+", example), example
    screenshot(page, f"movielens_{name}_pipeline")

    open_tab(page, "Prediction trace")
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Item (rated ones first)")
    expect(picker).to_be_visible()
    assert picker.locator("input").input_value() in TITLES  # the item picked at first is named too
    pick_item(page, "Toy Sto", "Toy Story (1995)")
    pick_item(page, "au lait", LATIN_1_TITLE)
    # The item's feature bars are titled with it: the title reached a chart, not only the picker.
    expect(page.locator("[data-testid='stPlotlyChart'] .gtitle").filter(has_text=LATIN_1_TITLE).first).to_be_attached()
    assert not re.search(r"\bItem \d+", page.locator("[data-testid='stMain']").inner_text())
    screenshot(page, f"movielens_{name}_prediction")


def test_the_ml_100k_zip_as_downloaded_names_items_in_lesson_one(server, page, tmp_path):
    files = write_movielens_files(tmp_path)
    use_upload(page, server, files.ml_100k_zip)
    check_titles_in_lesson_one(page, "ml_100k_zip")


def test_ratings_csv_and_movies_csv_selected_together_name_items_in_lesson_one(server, page, tmp_path):
    files = write_movielens_files(tmp_path)
    use_upload(page, server, files.ratings_csv, files.movies_csv)
    check_titles_in_lesson_one(page, "ratings_movies_csv")
