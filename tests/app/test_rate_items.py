"""The cold-start page in AppTest: rate items, get folded into the model, see your genres pulled up."""


import pandas as pd

from recsys_core.data import synthetic
from tests.app.conftest import metric_value, open_page, open_with_file, table

PAGE = "app_pages/rate_items.py"


def star_widgets(at) -> dict[int, str]:
    """Item index -> key of its star widget (keys end in the item's index)."""
    return {int(w.key.rsplit(":", 1)[1]): w.key for w in at.feedback}


def top10(at, which: int = 0) -> pd.DataFrame:
    """Your list (0) or a newcomer's (1), as the page's tables show them."""
    return table(at, which)


def test_the_page_shows_twelve_items_and_with_no_ratings_you_get_the_newcomer_list():
    at = open_page(PAGE)
    assert len(at.feedback) == 12
    assert metric_value(at, "Items you rated") == "0 of 12"
    assert metric_value(at, "Your taste vector length") == "0.00"
    assert list(top10(at, 0)["title"]) == list(top10(at, 1)["title"])
    assert metric_value(at, "Shared with a newcomer's top 10") == "10 of 10"


def test_rating_items_changes_the_recommendations_and_the_learned_vector():
    at = open_page(PAGE)
    before = list(top10(at)["title"])
    keys = list(star_widgets(at).values())
    at.feedback(key=keys[0]).set_value(4).run()  # five stars
    at.feedback(key=keys[1]).set_value(0).run()  # one star
    assert not at.exception
    assert metric_value(at, "Items you rated") == "2 of 12"
    assert metric_value(at, "Your taste vector length") != "0.00"
    assert list(top10(at)["title"]) != before
    at.button(key="ri_clear").click().run()
    assert metric_value(at, "Items you rated") == "0 of 12"
    assert list(top10(at)["title"]) == before


def test_five_stars_on_one_genre_pulls_that_genre_up_in_the_top_10():
    at = open_page(PAGE, query={"ratings": "50000"})
    ratings = synthetic(n_ratings=50_000, seed=0)  # the sidebar's data, to know each item's genres
    genre = "Horror"
    newcomer_count = sum(genre in g for g in top10(at, 1)["genres"])
    for item, key in star_widgets(at).items():
        at.feedback(key=key).set_value(4 if genre in ratings.genres_of(item) else 0)
    at.run()
    assert not at.exception
    mine = sum(genre in g for g in top10(at, 0)["genres"])
    print(f"{genre} titles in the top 10: newcomer {newcomer_count}, after rating {mine}")
    assert mine >= newcomer_count + 4
    genre_table = at.dataframe[0].value.set_index("genre")
    assert genre_table.loc[genre, "in your top 10"] == mine
    assert genre_table.loc[genre, "your mean stars"] == 5.0


def test_a_tiny_file_gets_a_clear_message_instead_of_a_traceback():
    at = open_with_file(PAGE, n_users=30, n_items=8, n_ratings=40)
    assert not at.exception
    assert any("needs at least 50 ratings" in w.value for w in at.warning)


def test_a_small_file_without_genres_still_folds_you_in():
    at = open_with_file(PAGE, n_users=30, n_items=40, n_ratings=300)
    assert not at.exception
    key = next(iter(star_widgets(at).values()))
    at.feedback(key=key).set_value(4).run()
    assert not at.exception
    assert metric_value(at, "Items you rated") == "1 of 12"
    assert not any("genres match" in h.value for h in at.subheader)
    assert "genres" not in top10(at).columns
