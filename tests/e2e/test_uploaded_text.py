"""Uploaded text is data, never markup, in a real browser.

The test writes a ratings file and its titles file whose titles, genres and user ids are markdown
and HTML that would load an image from example.org, make a javascript: link or turn bold if any
page let them through. It uses the file and visits every place that names items or users: lesson
1 (pipeline and prediction tabs, trained), lesson 2's pipeline tab, Rate items and Your data.
Each page must show the literal text, hold no image from example.org and no javascript: link, and
the browser must never ask example.org for anything.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, wait_idle

pytestmark = pytest.mark.e2e

EVIL_TITLES = (
    "![x](http://example.org/p.png)",
    "[click](javascript:alert(1))",
    "<img src=http://example.org/q.png onerror=alert(1)>",
    "**bold**",
    '<b>big</b> <a href="http://example.org/r">link</a>',  # Plotly draws <b> and <a href> in chart labels
)
EVIL_GENRES = ("<img src=http://example.org/g.png>", "[genre](javascript:alert(2))", "**Drama**")
EVIL_USERS = ("**u00**", "<img src=http://example.org/u.png>", "[u](javascript:alert(3))")
N_USERS, N_ITEMS = 30, 24


def evil_files() -> tuple[bytes, bytes]:
    """ratings.csv (user, item, rating) and movies.csv (movieId, title, genres), seeded.

    The marked-up items and users rate or are rated everywhere, so they are the most active and
    most rated, the ones every example and chart window picks first.
    """
    rng = np.random.default_rng(13)
    users = [*EVIL_USERS, *(f"u{u:02d}" for u in range(len(EVIL_USERS), N_USERS))]
    items = [f"m{j:02d}" for j in range(N_ITEMS)]
    titles = [*EVIL_TITLES, *(f"Ordinary film {j} (2001)" for j in range(len(EVIL_TITLES), N_ITEMS))]
    genres = ["|".join(EVIL_GENRES)] * len(EVIL_TITLES) + [
        "Comedy|Drama" if j % 2 else "Action" for j in range(len(EVIL_TITLES), N_ITEMS)]
    rows = [f"{user},{item},{rng.integers(1, 6)}" for u, user in enumerate(users) for j, item in enumerate(items)
            if u < len(EVIL_USERS) or j < len(EVIL_TITLES) or rng.random() < 0.5]
    ratings = "user,item,rating\n" + "\n".join(rows) + "\n"
    movies = "movieId,title,genres\n" + "".join(
        f"{i},{quoted(t)},{g}\n" for i, t, g in zip(items, titles, genres, strict=True))
    return ratings.encode(), movies.encode()


def quoted(field: str) -> str:
    return '"' + field.replace('"', '""') + '"' if '"' in field or "," in field else field


def assert_no_markup_from_the_file(page, where: str) -> None:
    """No image from example.org, no javascript: link and no bold made from the file's text."""
    assert page.locator("img[src*='example.org']").count() == 0, where
    assert page.locator("a[href^='javascript:' i]").count() == 0, where
    links = page.locator("a[href*='example.org']")
    assert links.count() == 0, f"{where}: " + "; ".join(link.evaluate("e => e.parentElement.outerHTML.slice(0, 300)")
                                                         for link in links.all())
    for tag in ("strong", "b"):  # "**bold**" / "**u00**" / "**Drama**" must not become bold text
        made_bold = page.locator(tag).filter(has_text=re.compile(r"^(bold|big|u00|Drama)$"))
        assert made_bold.count() == 0, f"{where}: {made_bold.all_inner_texts()}"


def chart_text(page) -> str:
    """Every text Plotly drew in the page's charts (axis ticks, titles, legends), as the DOM holds it."""
    return "\n".join(page.locator("[data-testid='stPlotlyChart'] svg text").all_text_contents())


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


# ui.text puts an invisible word joiner after "http:", "www" and "@" so markdown cannot autolink.
WORD_JOINER = "\u2060"


def assert_literal(haystack: str, needles, where: str, at_least: int = 1) -> None:
    haystack = haystack.replace(WORD_JOINER, "")
    shown = [n for n in needles if n in haystack]
    assert len(shown) >= at_least, f"{where}: expected the literal text of {needles}, found {shown} in:\n{haystack[:3000]}"


def trained_stage_table(page, lesson_link: str, first_stage: str, where: str) -> None:
    """Open a lesson from the sidebar, train it from its pipeline tab, and check the stage table's
    cells show the file's titles and user ids literally."""
    page.get_by_role("link", name=lesson_link).click()
    wait_idle(page)
    page.get_by_role("button", name="Train now").click()
    wait_idle(page)
    table = page.locator("[data-testid='stTable']:visible").first
    expect(table.get_by_text(first_stage).first).to_be_visible()
    assert_literal(table.inner_text(), EVIL_TITLES, where)
    assert_literal(table.inner_text(), EVIL_USERS, where)


@pytest.fixture
def requests_seen(page):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_titles_genres_and_ids_from_a_file_show_as_text_and_load_nothing(server, page, requests_seen):
    ratings, movies = evil_files()
    page.goto(f"{server}/your_data?pace=fast")
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(files=[
        {"name": "ratings.csv", "mimeType": "text/csv", "buffer": ratings},
        {"name": "movies.csv", "mimeType": "text/csv", "buffer": movies},
    ])
    wait_idle(page, settle_ms=1000)
    expect(page.get_by_role("heading", name="Loaded, not yet in use: ratings.csv + movies.csv")).to_be_visible()
    assert_literal(chart_text(page), EVIL_TITLES, "Your data before use: the heatmap's item labels", at_least=3)
    assert_no_markup_from_the_file(page, "Your data, loaded")
    page.get_by_role("button", name="Use this file in the lessons").click()
    wait_idle(page)
    expect(page.get_by_text("In use: your file ratings.csv + movies.csv")).to_be_visible()
    assert_literal(chart_text(page), EVIL_TITLES, "Your data in use: the heatmap's item labels", at_least=3)
    assert_literal(chart_text(page), EVIL_USERS, "Your data in use: the heatmap's user labels")  # Plotly skips crowded ticks
    assert_no_markup_from_the_file(page, "Your data, in use")
    screenshot(page, "uploaded_text_your_data")

    # Lesson 1, pipeline tab, trained: the stage table's example and the ratings window.
    trained_stage_table(page, "1 · Matrix factorization", "Input data", "lesson 1 stage table")
    assert_literal(chart_text(page), EVIL_TITLES, "lesson 1 ratings window", at_least=3)
    assert_no_markup_from_the_file(page, "lesson 1 pipeline")
    screenshot(page, "uploaded_text_lesson_1_pipeline")

    # Lesson 1, prediction tab: the pickers, the layers' captions and the item's chart title.
    open_tab(page, "Prediction trace")
    item_picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Item (rated ones first)").locator("input")
    for title in EVIL_TITLES:
        item_picker.click()
        item_picker.fill(title[:12])
        page.get_by_role("option", name=title, exact=True).click()
        wait_idle(page)
        expect(item_picker).to_have_value(title)
        assert title in chart_text(page), f"lesson 1 prediction: {title} not the item's chart title"
        assert_no_markup_from_the_file(page, f"lesson 1 prediction, item {title}")
    user_picker = page.locator("[data-testid='stSelectbox']").filter(has_text="User").first.locator("input")
    for user in EVIL_USERS:
        user_picker.click()
        user_picker.fill(f"User {user}"[:9])
        page.get_by_role("option", name=f"User {user}", exact=True).click()
        wait_idle(page)
        assert_literal(main_text(page), [f"User {user}"], "lesson 1 prediction text")
        assert f"User {user}" in chart_text(page), f"lesson 1 prediction: User {user} not the user's chart title"
        assert_no_markup_from_the_file(page, f"lesson 1 prediction, user {user}")
    screenshot(page, "uploaded_text_lesson_1_prediction")

    # Lesson 2, pipeline tab, trained: stage table, predictions, neighbours and the embedding map.
    trained_stage_table(page, "2 · Collaborative filtering", "Raw user-item ratings", "lesson 2 stage table")
    assert_literal(main_text(page), [f"User {u}" for u in EVIL_USERS], "lesson 2 pipeline text")
    assert_literal(chart_text(page), EVIL_TITLES, "lesson 2 ratings windows", at_least=3)
    assert_no_markup_from_the_file(page, "lesson 2 pipeline")
    screenshot(page, "uploaded_text_lesson_2_pipeline")

    # Rate items: each item to rate is named in bold markdown, with its genres in a caption.
    page.get_by_role("link", name="Rate items yourself").click()
    wait_idle(page)
    assert_literal(main_text(page), EVIL_TITLES, "Rate items", at_least=4)
    assert_literal(main_text(page), EVIL_GENRES, "Rate items genres", at_least=3)
    page.get_by_role("radio", name="5 out of 5 stars").first.click()  # the most rated item: a marked-up one
    wait_idle(page)  # a rating: the sentence naming the genre you rated highest appears
    expect(page.get_by_text("highest (5.0 stars")).to_be_visible()
    assert_literal(page.get_by_text("highest (5.0 stars").inner_text(), EVIL_GENRES, "Rate items, your top genre")
    assert_no_markup_from_the_file(page, "Rate items")
    screenshot(page, "uploaded_text_rate_items")

    page.get_by_role("link", name="Your data").click()
    wait_idle(page)
    assert_no_markup_from_the_file(page, "Your data, again")

    reached = sorted({url for url in requests_seen if "example.org" in url})
    assert not reached, f"the browser asked example.org for: {reached}"
