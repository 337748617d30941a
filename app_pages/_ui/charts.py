"""Every chart with a text alternative: what a screen reader announces for a figure is read back
from the figure itself (`plots.describe`: its title and key numbers), so it says what is drawn."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from recsys_core import plots


def plot(figure: go.Figure, where: Any = st, alt: str | None = None, **options: Any) -> Any:
    """``figure`` at full width in ``where`` (a column, container or placeholder), described by
    ``alt`` or, without one, by its own numbers; ``options`` go to ``st.plotly_chart`` (a key)."""
    return where.plotly_chart(figure, width="stretch", alt=alt or plots.describe(figure), **options)
