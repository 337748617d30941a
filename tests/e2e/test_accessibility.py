"""Accessibility in a real browser: axe-core scans every page of the app, each lesson on every tab
with a trained model; every chart carries a text alternative with its numbers; and lesson 1's
training tab is reachable and operable from the keyboard alone.

axe-core comes from npm (`package.json`, installed by `make test` with `npm ci`) and is injected
from `node_modules/` by Playwright: nothing is fetched from another host. A serious or critical
violation fails the test unless it sits inside a Streamlit widget's own internals that the app
cannot change; those are excused only by `STREAMLIT_OWN` below, rule by rule, with the upstream
issue. Each scan's counts are printed at the end of the module and kept in
test-artifacts/axe-summary.json.

Measured with these 29 scans on the code before the fixes (5de54e6): 1,439-1,549 serious axe nodes
in the app's own content over two runs (color-contrast: captions at 3.8:1, st.code's syntax colours
at 3-3.8:1, a caption's inline code at 3:1; scrollable-region-focusable 54: sideways-scrolling code
blocks), 44 of 47 charts without a text alternative and 1,000 chart labels below 4.5:1; after: none,
with 321 nodes left in Streamlit's own markup (the allow-list below). The keyboard tests passed
before too. (A first, narrower scan without expanders and below-the-fold text counted 426 nodes,
321 of them the same Streamlit markup.)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, ROOT, open_tab, wait_idle

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Every WCAG 2.x success criterion at levels A and AA that axe-core tests.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
VIEWPORT = {"width": 1400, "height": 1000}  # the `page` fixture's


@dataclass(frozen=True)
class Excused:
    """A violation inside a Streamlit widget's own markup: the rule, where, and the upstream issue."""

    rule: str
    selector: str  # the node must lie inside an element matching this (``Element.closest``)
    widget: str
    upstream: str


# Violations the app cannot fix: they come from markup Streamlit itself renders for a widget.
# Nothing else may be excused; the app's own text, colours and markdown must pass. Searched for
# upstream reports (GitHub issues: "streamlit axe", "sidebar nav list listitem", "disabled widget
# label contrast"): none names these two; the open umbrella issue for Streamlit's accessibility
# markup is streamlit/streamlit#8399.
UMBRELLA = "https://github.com/streamlit/streamlit/issues/8399"
STREAMLIT_OWN: tuple[Excused, ...] = (
    # st.navigation with sections ("Start", "Lessons", "Lab") renders each section as a <div> (its
    # header and its <li> links) directly inside the <ul data-testid="stSidebarNavItems">: the <ul>
    # holds <div>s (rule "list") and the links' <li>s have no list parent (rule "listitem"). Only a
    # navigation without sections avoids it. No specific upstream issue found; see the umbrella.
    Excused("list", "[data-testid='stSidebarNavItems']", "st.navigation (sidebar page list with sections)", UMBRELLA),
    Excused("listitem", "[data-testid='stSidebarNavItems']", "st.navigation (sidebar page list with sections)",
            UMBRELLA),
    # A disabled widget's label (the engagement lesson's "Hidden width" while the scorer is `dot`,
    # lesson 4's "Patience" while early stopping is off) is greyed out to 2.3:1. WCAG 1.4.3 exempts
    # text of inactive components, but Streamlit marks the label with a `disabled` attribute that a
    # <label> does not have, so axe cannot know. No specific upstream issue found; see the umbrella.
    Excused("color-contrast", "[data-testid='stWidgetLabel'][disabled]", "label of a disabled widget", UMBRELLA),
)

LESSON_TABS = {
    "mf_basics": ("Pipeline trace", "Training trace", "Prediction trace", "Quiz", "Key insight"),
    "collaborative_filtering": ("Pipeline trace", "Training trace", "Prediction trace", "Quiz", "Key insight"),
    "engagement": ("Pipeline trace", "Training trace", "Prediction trace", "Engagement experiment", "Quiz",
                   "Key insight"),
    "overfitting": ("Pipeline trace", "Training trace", "Prediction trace", "Bonus: batch norm", "Quiz", "Key insight"),
}

_SCAN = """async ({tags, impacts, excused}) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    const element = (target) => {
        let root = document, found = null;
        for (const selector of target) {  // a target is a chain through shadow roots
            found = root.querySelector(selector);
            if (!found) return null;
            root = found.shadowRoot || found;
        }
        return found;
    };
    return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
        rule: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => {
            const el = element(n.target);
            const widgets = [];
            for (let e = el; e; e = e.parentElement) {
                const id = e.getAttribute && e.getAttribute("data-testid");
                if (id) widgets.push(id);
            }
            const why = excused.find(x => x.rule === v.id && el && el.closest(x.selector));
            return {target: n.target.join(" >> "), html: n.html.slice(0, 240), summary: n.failureSummary,
                    widgets: widgets.slice(0, 4), excused: why ? why.upstream : null};
        }),
    }));
}"""


@pytest.fixture(scope="module")
def report(request):
    """Per-scan counts, printed when the module ends (also when a test failed) and kept as JSON."""
    rows: list[dict] = []
    yield rows
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-summary.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if terminal is None or capture is None or not rows:
        return
    lines = ["", f"axe-core {rows[0]['axe']}: serious/critical nodes per page (app's own / in Streamlit's widget markup)"]
    for row in rows:
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(row["rules"].items())) or "-"
        lines.append(f"  {row['page']:<50} {row['own']:>3} / {row['excused']:>3}   charts {row['charts']} "
                     f"({row['charts_without_text']} without text, {row['faint_chart_text']} faint labels)   {rules}")
    lines.append(f"  {'total':<50} {sum(r['own'] for r in rows):>3} / {sum(r['excused'] for r in rows):>3}")
    with capture.global_and_fixture_disabled():  # shown when the tests pass too
        for line in lines:
            terminal.write_line(line)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} not found: `make test` installs it (npm ci, from package-lock.json)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(AXE)


def wait_for_charts(page) -> None:
    """Plotly draws after the script finishes (its code loads lazily, behind a skeleton, on a page's
    first chart): scan the charts as the learner sees them."""
    page.wait_for_function("""() => !document.querySelector("[data-testid='stSkeleton']")
        && Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
            .filter(el => el.offsetParent !== null).every(el => el.querySelector(".main-svg"))""")


def open_expanders(page) -> None:
    """Scan what the expanders hold too (epoch tables, the code that ran): a learner opens them."""
    page.evaluate("""() => document.querySelectorAll("[data-testid='stExpander'] details:not([open]) > summary")
        .forEach(summary => { if (summary.offsetParent !== null) summary.click(); })""")
    wait_idle(page)  # "Show the code that ran" draws its content in the rerun its opening asks for


def charts_without_text(page) -> list[str]:
    """Every visible chart must carry a text alternative that gives numbers, not just a title."""
    return page.evaluate("""() => Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.getAttribute("role") === "figure" && /[0-9]/.test(el.getAttribute("aria-label") || "")))
        .map(el => (el.querySelector(".gtitle, .annotation-text") || {}).textContent || "(untitled chart)")""")


# axe-core leaves the text inside a chart's SVG alone; this checks it the same way against the white
# chart background (text inside bars is checked against its bar in the unit tests).
_CHART_TEXT = """() => {
    const luminance = (rgb) => {
        const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(v => v / 255)
            .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const low = [];
    for (const chart of document.querySelectorAll("[data-testid='stPlotlyChart']")) {
        if (chart.offsetParent === null) continue;
        const texts = chart.querySelectorAll(".gtitle, .annotation-text, .xtick text, .ytick text, .g-xtitle text, "
            + ".g-ytitle text, .legendtext, .cbtitle text, .cbaxis text");
        for (const text of texts) {
            if (!text.textContent.trim()) continue;
            const ratio = 1.05 / (luminance(getComputedStyle(text).fill) + 0.05);
            if (ratio < 4.5) low.push(`"${text.textContent.trim().slice(0, 40)}" at ${ratio.toFixed(2)}:1`);
        }
    }
    return low;
}"""


def scan(page, axe_source: str, name: str, report: list[dict]) -> list[str]:
    """axe-core on the page as it is now; returns one line per node that fails in the app's own content
    and one per chart without a text alternative."""
    open_expanders(page)
    # Every element inside the viewport: axe cannot judge the contrast of text scrolled out of view.
    height = page.evaluate("""() => Math.max(...Array.from(document.querySelectorAll(
        "[data-testid='stMain'], [data-testid='stSidebarContent']"), el => el.scrollHeight))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height + 100, VIEWPORT["height"]), 20_000)})
    wait_for_charts(page)
    if not page.evaluate("typeof axe !== 'undefined'"):  # a tab switch keeps the page, and axe with it
        page.add_script_tag(path=axe_source)
    excused = [{"rule": x.rule, "selector": x.selector, "upstream": x.upstream} for x in STREAMLIT_OWN]
    violations = page.evaluate(_SCAN, {"tags": WCAG_TAGS, "impacts": list(FAILING_IMPACTS), "excused": excused})
    own, counts, n_excused = [], {}, 0
    for violation in violations:
        for node in violation["nodes"]:
            counts[violation["rule"]] = counts.get(violation["rule"], 0) + 1
            if node["excused"]:
                n_excused += 1
            else:
                own.append(f"{name}: {violation['rule']} ({violation['impact']}) in {'<'.join(node['widgets'])}: "
                           f"{node['html']} — {node['summary'].splitlines()[-1].strip()}")
    charts = page.locator("[data-testid='stPlotlyChart']:visible").count()
    unlabelled = charts_without_text(page)
    faint = page.evaluate(_CHART_TEXT)
    page.set_viewport_size(VIEWPORT)
    own += [f"{name}: chart without a text alternative: {title}" for title in unlabelled]
    own += [f"{name}: chart text below 4.5:1 on white: {text}" for text in faint]
    report.append({"page": name, "axe": page.evaluate("axe.version"), "own": len(own), "excused": n_excused,
                   "rules": counts, "charts": charts, "charts_without_text": len(unlabelled), "faint_chart_text": len(faint),
                   "violations": violations})
    return own


def test_the_home_page_has_no_serious_violation(server, page, axe_source, report):
    page.goto(server)
    wait_idle(page)
    assert not (failures := scan(page, axe_source, "/ (home)", report)), "\n".join(failures)


@pytest.mark.parametrize("lesson", list(LESSON_TABS))
def test_every_tab_of_a_trained_lesson_has_no_serious_violation(server, page, axe_source, report, lesson):
    tabs = LESSON_TABS[lesson]
    training = f"2 · {tabs[1]}"
    page.goto(f"{server}/{lesson}?pace=fast&tab={quote_plus(training)}")  # trains once, at full speed
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).wait_for()
    failures = scan(page, axe_source, f"/{lesson} · {training}", report)
    for n, tab in enumerate(tabs, start=1):
        if n == 2:
            continue
        open_tab(page, tab)  # the same session: every tab shows the run just trained
        if tab == "Quiz":  # with feedback on screen: a learner's first answer
            page.get_by_text(re.compile(r"^A\. ")).first.click()
            wait_idle(page)
        failures += scan(page, axe_source, f"/{lesson} · {n} · {tab}", report)
    assert not failures, "\n".join(failures)


LAB_PAGES = ("/your_data", "/playground", "/rate_items", "/progress", "/teacher", "/teacher?class=cs101")


@pytest.mark.parametrize("path", LAB_PAGES)
def test_every_lab_page_has_no_serious_violation(server, page, axe_source, report, path):
    page.goto(f"{server}{path}")
    wait_idle(page)
    if path == "/playground":
        page.get_by_role("button", name="Train and compare").click()
        wait_idle(page)
        page.get_by_text("Results on the held-out ratings").wait_for()
    assert not (failures := scan(page, axe_source, path, report)), "\n".join(failures)


# --- keyboard --------------------------------------------------------------------------------------------

TRAINING = f"/mf_basics?pace=fast&tab={quote_plus('2 · Training trace')}"
CONTROLS = ("[data-testid='stSlider'], [data-testid='stNumberInput'], [data-testid='stButton'], "
            "[data-testid='stButtonGroup'], [data-testid='stCheckbox'], [data-testid='stExpander'], "
            "[data-testid='stTabs'] [role='tablist'], [data-testid='stSidebarNavLink']")
FOCUSED = """([widget, target]) => { const el = document.activeElement;
    const control = el && el.matches(target) && el.closest(widget);
    return control ? ((el.innerText || "").trim() || control.innerText.trim()).split("\\n") : []; }"""
SLIDER, BUTTON, TAB = "input[type='range']", "button", "[role='tab']"  # what takes the focus in a widget


def tab_to(page, widget: str, label: str, target: str, key: str = "Tab", limit: int = 120) -> int:
    """Press ``key`` until the focus is on a ``target`` element inside the ``widget`` whose text starts
    with ``label`` (not on its help icon); returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        # Any line: a button's text starts with its icon's name ("play_arrow").
        if any(line.startswith(label) for line in page.evaluate(FOCUSED, [widget, target])):
            return presses
    raise AssertionError(f"{label!r} ({widget}) is not reachable with {key} in {limit} presses")


def replay_caption(page) -> str:
    return page.get_by_text(re.compile(r"^Epoch \d+ of \d+\. Colours use one scale")).inner_text()


def test_lesson_one_training_controls_work_from_the_keyboard_alone(server, page):
    page.goto(server + TRAINING)
    wait_idle(page)
    wait_for_charts(page)
    assert page.url.count("mf_k=") == 0  # the default rank, 10, is left out of the address
    tab_to(page, "[data-testid='stSlider']", "Rank k", SLIDER)
    page.keyboard.press("ArrowRight")  # a slider moves by one step; the lesson retrains
    wait_idle(page)
    assert parse_qs(urlsplit(page.url).query)["mf_k"] == ["11"]
    rank = page.locator("[data-testid='stSlider']:visible").filter(has_text="Rank k")
    assert rank.get_by_test_id("stSliderThumbValue").inner_text() == "11"
    expect(page.get_by_text("Finished all 15 epochs")).to_be_visible()

    tab_to(page, "[data-testid='stSlider']", "Epoch to show", SLIDER)  # replay one epoch back
    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    assert replay_caption(page).startswith("Epoch 14 of 15.")
    tab_to(page, "[data-testid='stButton']", "Train", BUTTON, key="Shift+Tab")
    page.keyboard.press("Enter")  # a fresh run: the replay starts again at its last epoch
    wait_idle(page)
    assert replay_caption(page).startswith("Epoch 15 of 15.")

    tab_to(page, "[data-testid='stTabs'] [role='tablist']", "2 · Training trace", TAB, key="Shift+Tab")
    page.keyboard.press("ArrowRight")  # from the open tab to the next one
    page.keyboard.press("Enter")
    wait_idle(page)
    assert parse_qs(urlsplit(page.url).query)["tab"] == ["3 · Prediction trace"]
    assert page.get_by_role("tab", name="3 · Prediction trace").get_attribute("aria-selected") == "true"


def test_every_control_of_lesson_one_s_training_tab_is_reached_by_tab(server, page):
    page.goto(server + TRAINING)
    wait_idle(page)
    wait_for_charts(page)  # every widget drawn, none still behind a loading skeleton
    expect(page.get_by_text("Finished all 15 epochs")).to_be_visible()
    controls = page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
        .filter(el => el.offsetParent !== null)
        .map((el, i) => { el.dataset.keyboardCheck = i; return el.innerText.trim().split("\\n")[0] || el.dataset.testid; })""",
                             CONTROLS)
    assert len(controls) >= 20  # nav links, sidebar data and pace, tabs, seven settings, Train/Stop, replay...
    reached: set[int] = set()
    for _ in range(250):
        page.keyboard.press("Tab")
        index = page.evaluate("""() => { const el = document.activeElement;  // a help icon is not its widget
            const control = el && !el.matches("[aria-label^='Help for']") && el.closest("[data-keyboard-check]");
            return control ? Number(control.dataset.keyboardCheck) : null; }""")
        if index is not None:
            reached.add(index)
        if len(reached) == len(controls):
            break
    missing = [label for i, label in enumerate(controls) if i not in reached]
    assert not missing, f"not reachable with Tab: {missing}"
