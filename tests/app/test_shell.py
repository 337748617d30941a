"""The entry point, navigation, sidebar and the non-lesson pages render and behave."""

from tests.app.conftest import badges, open_page

PAGES = [
    "app_pages/home.py",
    "app_pages/mf_basics.py",
    "app_pages/collaborative_filtering.py",
    "app_pages/engagement.py",
    "app_pages/overfitting.py",
    "app_pages/your_data.py",
    "app_pages/playground.py",
    "app_pages/rate_items.py",
    "app_pages/progress.py",
    "app_pages/teacher.py",
]


def test_home_page_lists_the_four_lessons_as_not_started():
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    for title in ("Matrix factorization basics", "Collaborative filtering",
                  "Why recommendations drive engagement", "Experiment: fixing overfitting"):
        assert title in text
    assert badges(at).count("gray: not started") == 4


def test_every_page_renders_without_exception():
    for page in PAGES:
        at = open_page(page)
        assert not at.exception, page
        assert at.title, page


def test_sidebar_shows_the_device_jax_runs_on():
    at = open_page()
    assert any("JAX computes on" in c.value and "CPU" in c.value for c in at.sidebar.caption)


def test_url_parameters_choose_the_dataset_size_and_seed():
    at = open_page("app_pages/your_data.py", query={"ratings": "5000", "seed": "3"})
    assert at.sidebar.number_input(key="seed").value == 3
    assert at.sidebar.select_slider(key="ratings").value == 5000
    assert any(m.label == "Ratings" and m.value == "5,000" for m in at.metric)


def _tab_in_url(at) -> str | None:
    value = at.query_params.get("tab")
    return value[0] if isinstance(value, list) and value else value or None


def test_the_open_tab_does_not_carry_over_from_one_lesson_to_the_next():
    at = open_page("app_pages/mf_basics.py", query={"ratings": "5000"}, tab="4 · Quiz")
    assert at.session_state["tab"] == "4 · Quiz" and _tab_in_url(at) == "4 · Quiz"
    at.switch_page("app_pages/collaborative_filtering.py")
    at.run()
    assert not at.exception
    assert at.session_state["tab"] == "1 · Pipeline trace"  # the next lesson starts at its first step
    assert _tab_in_url(at) in (None, "1 · Pipeline trace")
    at.switch_page("app_pages/overfitting.py")
    at.session_state["tab"] = "4 · Bonus: batch norm"  # a tab only lesson 4 has
    at.run()
    at.switch_page("app_pages/engagement.py")
    at.run()
    assert not at.exception and at.session_state["tab"] == "1 · Pipeline trace"
    assert not [w.value for w in at.warning if "tab" in w.value]  # no "tab not found" notice either
