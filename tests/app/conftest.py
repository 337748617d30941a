"""AppTest helpers: open the real entry point, then switch to a page, as a learner would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

# The first run of a page compiles its JAX programs; AppTest's 3 s default is too short.
TIMEOUT_S = 180
APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def fresh_caches():
    """cache_data/cache_resource outlive an AppTest instance; start every test from scratch."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def open_page(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    if query:
        at.query_params.update(query)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


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
    at.query_params["data"] = "uploaded"
    at.run()
    at.switch_page(page)
    return at.run()
