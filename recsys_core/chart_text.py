"""Text alternatives for charts: what a screen reader announces for a figure, read from the figure.

A chart is a picture of numbers; a learner who cannot see it (a screen reader, a projector washing
out the colours) gets the same numbers in words. Read back from the figure itself, so the words
can never disagree with what is drawn. Kept short: a title and a few numbers per series. A figure
is a `go.Figure` or the plain dict of one (`plots.training_curves_spec`, the heatmap specs), read
the same way.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

ALT_MAX_ITEMS = 12  # bars or points listed one by one; more are summarised by their extremes


def _short(value: float) -> str:
    """A number for a sentence: three significant digits, thousands separated, a real minus sign."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("infinite" if value > 0 else "minus infinite")
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return text.replace("-", "−")


def _axis_title(axis) -> str:
    """An axis title without its parenthesised note: "epoch (0 = untrained)" -> "epoch"."""
    text = (axis.title.text or "") if axis is not None and axis.title is not None else ""
    return text.split(" (")[0].strip()


def _values(array) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in np.asarray(array, dtype=object).ravel()], dtype=float)


def _line_text(trace, x_name: str, off_chart: set) -> str | None:
    """One series: where it starts and ends, and its lowest value if that lies between."""
    x = list(trace.x if trace.x is not None else [])
    y = _values(trace.y if trace.y is not None else [])
    kept = np.flatnonzero(np.isfinite(y) & np.array([v not in off_chart for v in x], dtype=bool))
    if not trace.name or kept.size == 0:
        return None
    first, last, low = kept[0], kept[-1], kept[np.argmin(y[kept])]
    at = f"{x_name} " if x_name else ""
    if last == first:
        return f"{trace.name} {_short(y[first])} at {at}{x[first]}"
    text = f"{trace.name} from {_short(y[first])} to {_short(y[last])} ({at}{x[first]} to {x[last]})"
    if low not in (first, last):
        text += f", lowest {_short(y[low])} at {at}{x[low]}"
    return text


def _off_chart_text(name: str, marks, x_name: str) -> str:
    """The points of a series that a clipped axis draws at its top edge, with their real values."""
    points = ", ".join(f"{x_name + ' ' if x_name else ''}{x} {text}" for x, text in zip(marks.x, marks.text, strict=False))
    return f"{name} off the chart (diverged): {points}"


def _bar_text(trace, max_items: int) -> str:
    labels = [str(v) for v in (trace.x if trace.x is not None else [])]
    y = _values(trace.y if trace.y is not None else [])
    text = list(trace.text) if trace.text is not None and not isinstance(trace.text, str) else None
    if len(y) <= max_items:
        low = _values(trace.error_y.arrayminus) if trace.error_y is not None and trace.error_y.arrayminus is not None else None
        high = _values(trace.error_y.array) if trace.error_y is not None and trace.error_y.array is not None else None
        items = []
        for i, (label, value) in enumerate(zip(labels, y, strict=False)):
            item = f"{label} {text[i] if text else _short(value)}"
            if low is not None and high is not None:
                item += f" (interval {_short(value - low[i])} to {_short(value + high[i])})"
            items.append(item)
        return ", ".join(items)
    top, bottom = int(np.nanargmax(y)), int(np.nanargmin(y))
    named = not all(label.lstrip("-").isdigit() for label in labels)  # categories, not positions
    return (f"{len(y):,} bars from {_short(y[bottom])}{f' ({labels[bottom]})' if named else ''} to "
            f"{_short(y[top])}{f' ({labels[top]})' if named else ''}")


def _heatmap_text(trace, layout) -> str:
    z = _values(trace.z).reshape(np.shape(trace.z))
    rows, cols = z.shape
    blank = float(np.isnan(z).mean())
    unit = trace.colorbar.title.text if trace.colorbar is not None and trace.colorbar.title is not None else ""
    text = f"{rows:,} x {cols:,} cells ({_axis_title(layout.yaxis) or 'rows'} x {_axis_title(layout.xaxis) or 'columns'})"
    if np.isfinite(z).any():
        text += f", {unit + ' ' if unit else ''}from {_short(np.nanmin(z))} to {_short(np.nanmax(z))}"
    return text + (f", {blank:.0%} of cells blank" if blank else "")


class _View:
    """A figure dict read like a `go.Figure`: ``view.layout.title.text``, ``view.data[0].z``; a
    property the dict does not set reads as None, as an unset one of a figure does (`describe`
    checks for None, not for Plotly's defaults)."""

    def __init__(self, part: dict) -> None:
        self._part = part

    def __getattr__(self, name: str) -> Any:
        return _view(self._part.get(name))

    __getitem__ = __getattr__


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return _View(value)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):
        return [_View(v) for v in value]
    return value


def describe(fig: go.Figure | dict, max_items: int = ALT_MAX_ITEMS) -> str:
    """A text alternative for ``fig`` (``st.plotly_chart(..., alt=...)``): its title, then per axis
    the key numbers of each series — lines from first to last value (and their lowest), bars with
    their labels and intervals, heatmaps with their size, range and share of blank cells."""
    fig = _View(fig) if isinstance(fig, dict) else fig
    layout = fig.layout
    title = layout.title.text if layout.title is not None and layout.title.text else ""
    panels = [a.text for a in layout.annotations or () if a.xref == "paper" and a.text] if not title else []
    parts = [(title or "; ".join(panels) or "Chart").rstrip(".") + "."]
    by_axis: dict[str, list] = {}
    for trace in fig.data:
        by_axis.setdefault(getattr(trace, "yaxis", None) or "y", []).append(trace)
    for axis, traces in by_axis.items():
        y_axis = layout[axis.replace("y", "yaxis", 1)]
        x_axis = layout[(getattr(traces[0], "xaxis", None) or "x").replace("x", "xaxis", 1)]
        y_name = (y_axis.title.text or "") if y_axis is not None and y_axis.title is not None else ""
        x_name = _axis_title(x_axis)
        if all(t.type == "scatter" and t.mode == "markers" for t in traces):  # a map: how many points per group
            counts = ", ".join(f"{t.name} {len(t.x):,}" for t in traces)
            parts.append(f"{sum(len(t.x) for t in traces):,} points: {counts}.")
            continue
        # training_curves marks a blown-up point with an unnamed marker in its series' colour.
        clipped = {t.marker.color: t for t in traces if t.type == "scatter" and not t.name and "text" in (t.mode or "")}
        texts = []
        for trace in traces:
            if trace.type == "heatmap":
                texts.append(_heatmap_text(trace, layout))
            elif trace.type == "bar":
                texts.append(_bar_text(trace, max_items))
            elif trace.type == "waterfall":
                texts.append(", ".join(f"{x} {t}" for x, t in zip(trace.x, trace.text, strict=False)))
            elif trace.type == "scatter" and trace.name:
                marks = clipped.get(trace.line.color)
                texts.append(_line_text(trace, x_name, set(marks.x) if marks else set()))
                if marks:
                    texts.append(_off_chart_text(trace.name, marks, x_name))
        texts = [t for t in texts if t]
        if texts:
            heading = y_name if y_name and not any(t.type == "heatmap" for t in traces) else ""
            parts.append((f"{heading}: " if heading else "") + "; ".join(texts) + ".")
    marked = [a.text.strip() for a in layout.annotations or () if a.xref != "paper" and a.text and "▲" not in a.text]
    if marked:
        parts.append("Marked: " + "; ".join(marked) + ".")
    # Labels are escaped for Plotly (`label`), which draws the entities as characters; an accessible
    # name is plain text, so it gets the characters themselves.
    return html.unescape(" ".join(parts))
