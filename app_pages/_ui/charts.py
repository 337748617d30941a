"""Every chart with a text alternative: what a screen reader announces for a figure is read back
from the figure itself (`chart_text.describe`: its title and key numbers), so it says what is drawn."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st
from plotly.basedatatypes import BaseFigure

from recsys_core import chart_text, plots


def plot(figure: go.Figure | dict, where: Any = st, alt: str | None = None, **options: Any) -> Any:
    """``figure`` at full width in ``where`` (a column, container or placeholder), described by
    ``alt`` or, without one, by its own numbers; ``options`` go to ``st.plotly_chart`` (a key).

    A dict must come from one of `plots`' ``*_spec`` builders, whose output a unit test shows
    Plotly's validation would leave unchanged: it is sent without being validated again.
    """
    sent = _Checked(figure) if isinstance(figure, dict) else figure
    return where.plotly_chart(sent, width="stretch", alt=alt or chart_text.describe(figure), **options)


class _Checked(BaseFigure):
    """A figure dict `st.plotly_chart` sends as it is.

    Streamlit validates every figure it is given: a dict by building a `go.Figure` from it, a
    `go.Figure` only by copying it out (``to_dict``). This figure's ``to_dict`` is the dict itself
    (with Plotly's default template, as validation would add), so a live training frame or a replay
    heatmap costs its dict and its JSON, not 5-12 ms of building, validating and copying in the one
    interpreter a class shares.
    """

    def __init__(self, spec: dict) -> None:  # no BaseFigure state: nothing but to_dict is read
        self._spec = plots.as_validated(spec)

    def to_dict(self) -> dict:
        return self._spec
