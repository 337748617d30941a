"""AppTest helpers: open the real entry point, then switch to a page, as a learner would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

# The first run of a page compiles its JAX programs; AppTest's 3 s default is too short.
TIMEOUT_S = 180
APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def fresh_caches(tmp_path, monkeypatch):
    """cache_data/cache_resource outlive an AppTest instance, and progress lasts in a file:
    start every test from scratch, with its own progress store."""
    monkeypatch.setenv("RECSYS_LAB_DATA_DIR", str(tmp_path / "data"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


TRAINING = "2 · Training trace"


def open_page(page: str | None = None, query: dict[str, str] | None = None, tab: str | None = None,
              pace: str = "fast") -> AppTest:
    """The app opened on ``page`` (through the entry point), on lesson tab ``tab``, at ``pace``.

    Tabs run lazily, so a test opens the tab whose content it checks. Tests train at the fast
    pace unless they are about the watch pace (AppTest waits for the whole run either way).
    """
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params.update({"pace": pace, **({"tab": tab} if tab else {}), **(query or {})})
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def show_tab(at: AppTest, tab: str) -> AppTest:
    """Open another tab of the lesson, as a click on it would (the tab's state, then a rerun)."""
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def train_now(at: AppTest) -> AppTest:
    """Press a tab's "Train now" (trains at full speed without the chart)."""
    next(b for b in at.button if b.label == "Train now").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Everything the page says, in one string (markdown, captions, alerts, metrics)."""
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error") for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def table(at: AppTest, which: int = 0) -> pd.DataFrame:
    """The ``which``-th `st.table` as a learner reads it: st.table renders its cells as markdown, so
    the pages escape them (`ui.text`); here the escapes and word joiners are taken out again."""
    def plain(value):
        return re.sub(r"\\(.)", r"\1", value).replace("\u2060", "") if isinstance(value, str) else value

    frame = at.table[which].value
    frame = frame.map(plain)
    frame.index = frame.index.map(plain)
    return frame


def chart_specs(at: AppTest) -> list[dict]:
    """Plotly figures as dicts (AppTest does not parse charts; the spec is JSON in the proto)."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def decode(values) -> list[float]:
    """Plotly 7 stores numeric arrays as base64 'bdata'; turn either form into floats."""
    import base64

    import numpy as np

    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).astype(float).tolist()
    return [float("nan") if v is None else float(v) for v in values]


def metric_value(at: AppTest, label: str) -> str:
    for metric in at.metric:
        if metric.label == label:
            return metric.value
    raise AssertionError(f"no metric labelled {label!r}; have {[m.label for m in at.metric]}")


def badges(at: AppTest) -> list[str]:
    """Badge labels as 'color: text' (st.badge reaches AppTest as `:red-badge[...]` markdown)."""
    found = (re.fullmatch(r":(\w+)-badge\[(?::material/\w+: )?(.*)\]", m.value) for m in at.markdown)
    return [f"{m.group(1)}: {m.group(2)}" for m in found if m]


def open_with_file(page: str, n_users: int, n_items: int, n_ratings: int) -> AppTest:
    """A page on a learner's uploaded file of the given size (as the 'Your data' page stores it)."""
    import io

    import numpy as np

    from recsys_core.data import load_ratings

    rng = np.random.default_rng(0)
    cells = rng.choice(n_users * n_items, n_ratings, replace=False)
    text = "user,item,rating\n" + "".join(f"{c // n_items},{c % n_items},{rng.integers(1, 6)}\n" for c in cells)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.session_state["uploaded"] = load_ratings(io.StringIO(text), name="tiny.csv")
    at.session_state["uploaded_key"], at.session_state["uploaded_name"] = "uploaded:tiny", "tiny.csv"
    at.query_params.update({"data": "uploaded", "pace": "fast"})
    at.run()
    at.switch_page(page)
    return at.run()
