"""Plotly figure builders: pure functions from numbers to `go.Figure`.

Pages stay layout-only and the figures stay testable: a test can build a figure from a known
history and read its traces back. Every axis says what it measures and in which unit, because a
learner looking at a chart in class has no one to ask.

Plotly draws a subset of HTML in every label (``<b>``, ``<br>``, ``<a href>``...), and titles, genres
and ids can come from a learner's file, so text that reaches a figure goes through `label` first:
a title like ``<a href="...">`` is drawn as those characters, never as a link.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recsys_core.training.loop import DIVERGENCE_FACTOR, EpochRecord

# Okabe & Ito's colour-blind-safe palette; training and validation also differ in line style and
# marker, so the two never rely on colour alone.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
TRAIN_COLOR, VAL_COLOR = PALETTE[0], PALETTE[1]
SERIES_STYLE = {  # name -> (colour, dash, marker)
    "training": (TRAIN_COLOR, "solid", "circle"),
    "validation": (VAL_COLOR, "dash", "square"),
}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "cross")
GRID = dict(showgrid=True, gridcolor="#e5e7eb")
# Chart text in gray-700, 10:1 on white: Streamlit's chart theme draws axis text in #808495 (3.8:1,
# below WCAG AA's 4.5:1), and a figure's own colours win over the theme's, axis by axis.
TEXT_COLOR = "#374151"
TEXT = dict(color=TEXT_COLOR)
MARK_TEXT_COLOR = "#047857"  # a darker green than the best-epoch line (#009E73, 3.4:1) for its label
# A loss above the divergence line (this many times its untrained value) is drawn at the top edge, marked:
# below it the curve is drawn as it is, so a loss rising toward a blow-up is seen rising.
CLIP_FACTOR = DIVERGENCE_FACTOR


def label(value: object) -> str:
    """Text for a Plotly label, drawn literally: ``&``, ``<`` and ``>`` as entities (Plotly decodes them)."""
    return html.escape(str(value), quote=False)


def number(value: float, digits: int = 4) -> str:
    """A table cell for a number: no "None" or "nan" — a dash where there is no value."""
    if value is None or not math.isfinite(value):
        return "—" if value is None or math.isnan(value) else ("∞" if value > 0 else "−∞")
    return f"{value:.{digits}g}" if abs(value) >= 1e4 else f"{value:.{digits}f}"


def signed(value: float, digits: int = 2) -> str:
    """A term added to a sum, written once with its own sign: "+ 0.12" or "− 0.06" (never "+ -0.06")."""
    return f"{'−' if value < 0 else '+'} {abs(value):.{digits}f}"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a "#rrggbb" colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _label_color(fill: str) -> str:
    """White or near-black text on a ``fill``, whichever reads better (4.5:1 or more on every palette colour)."""
    return "#ffffff" if contrast("#ffffff", fill) >= contrast("#111111", fill) else "#111111"


def _set(obj: Any, **props: Any) -> None:
    """Set ``props`` (magic-underscore paths such as ``title_text`` allowed) on a figure's part, one by one.

    The same result as ``obj.update(...)``, several times faster: Plotly's update machinery
    (``update_layout``, ``update_xaxes``) cost ~10 ms a figure, and a class of 30 shares one
    interpreter for every figure it is drawn.
    """
    for key, value in props.items():
        obj[key] = value


# The app's look, once for both ways a figure is built: text colours for an axis or a colour bar, and
# the layout's size, margins, legend below and title (`_layout` for a go.Figure, `_styled_spec` for a dict).
_PART_TEXT = {"tickfont": TEXT, "title": {"font": TEXT}}


def _look(height: int, title: str | None) -> dict:
    look = dict(height=height, margin=dict(l=10, r=10, t=60 if title else 40, b=10), plot_bgcolor="white", font=TEXT,
                legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="center", x=0.5, font=TEXT))
    if title:
        look["title"] = dict(text=label(title), x=0, font=dict(size=15))
    return look


def _paths(props: dict, prefix: str = "") -> dict:
    """Nested properties as Plotly's magic-underscore paths: {"margin": {"l": 10}} -> {"margin_l": 10}."""
    flat = {}
    for key, value in props.items():
        if isinstance(value, dict):
            flat.update(_paths(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _merge(into: dict, extra: dict) -> dict:
    """``extra`` merged into ``into`` key by key at every depth (its dicts copied, never shared)."""
    for key, value in extra.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        else:
            into[key] = value
    return into


def _layout(fig: go.Figure, height: int = 360, title: str | None = None) -> go.Figure:
    _set(fig.layout, **_paths(_look(height, title)))
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        _set(axis, **_paths(_PART_TEXT))
    for trace in fig.data:
        if trace.type == "heatmap":
            _set(trace, **_paths({"colorbar": _PART_TEXT}))
    return fig


def _finite(values: Sequence[float]) -> list[float | None]:
    """Plotly draws None as a gap; NaN and inf become gaps (the blow-up is marked separately)."""
    return [v if math.isfinite(v) else None for v in values]


def _clipped(values: Sequence[float], ceiling: float) -> tuple[list[float | None], list[tuple[int, float]]]:
    """Values at most ``ceiling`` (bigger ones drawn at it), and the (index, value) of each clipped one."""
    shown, over = [], []
    for i, v in enumerate(values):
        if not math.isfinite(v) or v > ceiling:
            over.append((i, v))
            shown.append(ceiling)
        else:
            shown.append(v)
    return shown, over


def training_curves(history: Sequence[EpochRecord], loss_name: str, metric_name: str, **options: Any) -> go.Figure:
    """Loss (left) and the lesson's accuracy measure (right), training vs validation, per epoch.

    Epoch 0 is the untrained model, so the fall starts where it really starts. The x axis is the
    full epoch budget so a learner watching live sees how far the run has come. A loss that blows
    up is drawn at the top of a clipped axis with a triangle and its value (or "NaN") instead of
    squashing the curve flat or leaving the chart blank. ``options`` are `training_curves_spec`'s.
    """
    return go.Figure(training_curves_spec(history, loss_name, metric_name, **options))


def training_curves_spec(
    history: Sequence[EpochRecord],
    loss_name: str,
    metric_name: str,
    total_epochs: int | None = None,
    best_epoch: int | None = None,
    metric_as_percent: bool = False,
    show_metric: bool = True,
    highlight_epoch: int | None = None,
) -> dict:
    """`training_curves` as the plain figure dict Plotly's validation leaves unchanged.

    A live run redraws this chart up to ten times a second for every learner of a class, and
    Plotly's validation of a figure (~5 ms: building, validating and copying it back out) cost
    thirty times the dict itself; `tests/unit/test_pipeline_and_plots.py` checks that validating the dict
    changes nothing, so the live frames may skip it.
    """
    epochs = [r.epoch for r in history]
    has_metric = show_metric and any(math.isfinite(r.val_metric) for r in history)
    x_max = max(total_epochs or 0, epochs[-1] if epochs else 1)
    domains = [(0.0, 0.44), (0.56, 1.0)] if has_metric else [(0.0, 1.0)]
    start = [v for v in (history[0].train_loss, history[0].val_loss) if math.isfinite(v)] if history else []
    ceiling = CLIP_FACTOR * max(start) if start else math.inf
    data, annotations, clipped_any = [], [], False
    panels = [("train_loss", "val_loss", 1.0)] + ([("train_metric", "val_metric", 100.0 if metric_as_percent else 1.0)]
                                                  if has_metric else [])
    for panel, (train_field, val_field, scale) in enumerate(panels, start=1):
        axis = "" if panel == 1 else str(panel)
        for field, name in ((train_field, "training"), (val_field, "validation")):
            colour, dash, marker = SERIES_STYLE[name]
            values = [getattr(r, field) * scale for r in history]
            if panel == 1:
                values, over = _clipped(values, ceiling)
                clipped_any |= bool(over)
                if over:
                    data.append(dict(type="scatter", x=[epochs[i] for i, _ in over], y=[ceiling] * len(over),
                                     mode="markers+text", marker=dict(symbol="triangle-up", size=13, color=colour),
                                     text=[("NaN" if math.isnan(v) else f"{v:.3g}") for _, v in over],
                                     textposition="bottom center", showlegend=False, xaxis="x", yaxis="y",
                                     hovertemplate=f"epoch %{{x}}<br>{name}: %{{text}} (off the chart)<extra></extra>"))
            data.append(dict(type="scatter", x=epochs, y=_finite(values), mode="lines+markers", name=name,
                             legendgroup=name, showlegend=panel == 1, xaxis=f"x{axis}", yaxis=f"y{axis}",
                             line=dict(color=colour, width=2.5, dash=dash), marker=dict(size=6, symbol=marker),
                             hovertemplate=f"epoch %{{x}}<br>{name}: %{{y:.4f}}<extra></extra>"))
    layout: dict = dict(height=380, plot_bgcolor="white", margin=dict(l=10, r=10, t=40, b=10), font=TEXT,
                        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5, font=TEXT))
    tick = max(1, math.ceil(x_max / 10))
    for panel, (lo, hi) in enumerate(domains, start=1):
        axis = "" if panel == 1 else str(panel)
        layout[f"xaxis{axis}"] = dict(domain=[lo, hi], range=[-0.5, x_max + 0.5], dtick=tick, anchor=f"y{axis}",
                                      title=dict(text="epoch (0 = untrained)", font=TEXT), tickfont=TEXT, **GRID)
        layout[f"yaxis{axis}"] = dict(anchor=f"x{axis}", tickfont=TEXT, **GRID)
        title = f"Loss per epoch — {loss_name}" if panel == 1 else f"{metric_name} per epoch"
        annotations.append(dict(text=title, x=(lo + hi) / 2, y=1.06, xref="paper", yref="paper",
                                showarrow=False, font=dict(size=13), xanchor="center", yanchor="bottom"))
    layout["yaxis"]["title"] = dict(text=loss_name, font=TEXT)
    if clipped_any:
        layout["yaxis"]["range"] = [0, ceiling * 1.08]
        annotations.append(dict(text=f"▲ off the chart: above {CLIP_FACTOR:g}x the untrained loss (diverged)", x=0.0, y=1.0,
                                xref="x domain", yref="y domain", showarrow=False, xanchor="left", yanchor="top",
                                font=dict(size=11, color="#9a3412")))
    if has_metric:
        layout["yaxis2"]["title"] = dict(text=f"{metric_name} (%)" if metric_as_percent else metric_name, font=TEXT)
    shapes = []
    for epoch, colour, text_colour, text in ((best_epoch, PALETTE[2], MARK_TEXT_COLOR, "lowest validation loss"),
                                             (highlight_epoch, TEXT_COLOR, TEXT_COLOR, "replay")):
        if epoch is None or (epoch == 0 and text != "replay"):
            continue
        for panel in range(1, len(domains) + 1):
            axis = "" if panel == 1 else str(panel)
            shapes.append(dict(type="line", x0=epoch, x1=epoch, y0=0, y1=1, xref=f"x{axis}", yref=f"y{axis} domain",
                               line=dict(color=colour, dash="dot" if text == "replay" else "dash", width=1.5)))
        right = epoch > 0.6 * x_max  # keep the label inside the chart
        annotations.append(dict(text=f"{text}: epoch {epoch}", x=epoch, y=0.02, xref="x", yref="y domain",
                                showarrow=False, xanchor="right" if right else "left", yanchor="bottom",
                                font=dict(size=11, color=text_colour)))
    layout["annotations"] = annotations
    if shapes:  # Plotly drops an empty list
        layout["shapes"] = shapes
    return dict(data=data, layout=layout)


@cache
def _default_template() -> dict:
    return go.Figure().to_dict()["layout"]["template"]


def as_validated(spec: dict) -> dict:
    """``spec`` with the template Plotly adds to every figure it builds (its default, "plotly"):
    what ``go.Figure(spec).to_dict()`` returns for a valid spec, without building the figure. The
    template is shared between figures, never modified."""
    return {**spec, "layout": {**spec["layout"], "template": _default_template()}}


def overlay_curves(runs: dict[str, Sequence[EpochRecord]], field: str, y_title: str, title: str, scale: float = 1.0) -> go.Figure:
    """Several runs' validation (or training) curves on one chart, for side-by-side comparisons.

    ``scale`` multiplies every value (100 shows an accuracy in %).
    """
    fig = go.Figure()
    for i, (label, history) in enumerate(runs.items()):
        fig.add_trace(
            go.Scatter(
                x=[r.epoch for r in history],
                y=_finite([getattr(r, field) * scale for r in history]),
                mode="lines+markers",
                name=label,
                # Runs differ in colour, dash and marker: "Before" and "your run" never look alike.
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5, dash=DASHES[i % len(DASHES)]),
                marker=dict(symbol=MARKERS[i % len(MARKERS)], size=6),
            )
        )
    fig.update_xaxes(title_text="epoch (0 = untrained)", **GRID)
    fig.update_yaxes(title_text=y_title, **GRID)
    return _layout(fig, title=title)


def matrix_heatmap(frame: pd.DataFrame, title: str, **options: Any) -> go.Figure:
    """A users x items window; missing cells stay blank so the sparsity is visible (`matrix_heatmap_spec`)."""
    return go.Figure(matrix_heatmap_spec(frame, title, **options))


def matrix_heatmap_spec(
    frame: pd.DataFrame,
    title: str,
    colorbar_title: str = "rating (stars)",
    zmin: float | None = 1,
    zmax: float | None = 5,
    colorscale: str = "Viridis",
    height: int = 420,
) -> dict:
    """`matrix_heatmap` as a plain figure dict that Plotly's validation leaves unchanged (a replay
    draws it on every rerun; see `training_curves_spec`)."""
    trace = dict(type="heatmap", z=frame.to_numpy(dtype=float), x=[label(c) for c in frame.columns],
                 y=[label(i) for i in frame.index], colorscale=_colorscale(colorscale), hoverongaps=False,
                 colorbar=dict(title=dict(text=colorbar_title)),
                 hovertemplate="%{y}<br>%{x}<br>value: %{z:.2f}<extra></extra>")
    trace.update({k: v for k, v in (("zmin", zmin), ("zmax", zmax)) if v is not None})
    # Ids are labels, not quantities: a numeric axis would space user 68 and user 9 by value.
    layout = dict(xaxis=dict(title=dict(text=frame.columns.name or "item"), type="category",
                             showticklabels=len(frame.columns) <= 30, tickangle=-45),
                  yaxis=dict(title=dict(text=frame.index.name or "user"), type="category", autorange="reversed"))
    return _styled_spec([trace], layout, height, title)


HEATMAP_ROWS = 30  # rows of a factor table drawn: enough to see a pattern, few enough to read


def factor_heatmap(matrix: np.ndarray, row_label: str, title: str, **options: Any) -> go.Figure:
    """The first rows of a factor matrix (rows x k latent features), diverging around zero
    (`factor_heatmap_spec`)."""
    return go.Figure(factor_heatmap_spec(matrix, row_label, title, **options))


def factor_heatmap_spec(matrix: np.ndarray, row_label: str, title: str, max_rows: int = HEATMAP_ROWS,
                        bound: float | None = None, columns: str = "latent feature",
                        column_labels: Sequence[str] | None = None) -> dict:
    """`factor_heatmap` as a plain figure dict Plotly's validation leaves unchanged.

    ``bound`` fixes the colour scale (a replay uses one bound for every epoch, so colours compare).
    The title says how many rows are drawn when the matrix has more. ``columns`` names what the
    columns are (a network layer's are its inputs), ``column_labels`` each one (default f1, f2, ...).
    """
    block = np.asarray(matrix)[:max_rows]
    if len(matrix) > len(block):
        title = f"{title} (first {len(block)} of {len(matrix):,} rows)"
    bound = bound or float(np.abs(block).max()) or 1.0
    x = [label(c) for c in column_labels] if column_labels is not None else [f"f{j + 1}" for j in range(block.shape[1])]
    trace = dict(type="heatmap", z=block, x=x,
                 y=[f"{row_label} {i + 1}" for i in range(block.shape[0])], colorscale=_colorscale("RdBu"),
                 zmid=0, zmin=-bound, zmax=bound, colorbar=dict(title=dict(text="weight")))
    layout = dict(xaxis=dict(title=dict(text=columns)),
                  yaxis=dict(title=dict(text=row_label), autorange="reversed", showticklabels=False))
    # Named columns are labelled at an angle below the chart: grow it by their length, not squash the cells.
    longest = max((len(str(c)) for c in column_labels), default=0) if column_labels is not None else 0
    return _styled_spec([trace], layout, 300 + 6 * longest, title)


@cache
def _colorscale(name: str) -> list:
    """A named colour scale as the list of [position, colour] pairs Plotly's validation makes of it."""
    return go.Heatmap(colorscale=name).to_plotly_json()["colorscale"]


def _styled_spec(data: list[dict], layout: dict, height: int, title: str | None) -> dict:
    """`_layout` for a figure dict: the same look, for the builders whose dicts may go out unvalidated."""
    for axis in ("xaxis", "yaxis"):
        _merge(layout.setdefault(axis, {}), _PART_TEXT)
    for trace in data:
        if trace["type"] == "heatmap":
            _merge(trace.setdefault("colorbar", {}), _PART_TEXT)
    _merge(layout, _look(height, title))
    return dict(data=data, layout=layout)


def vector_bars(values: np.ndarray, title: str, y_title: str, labels: Sequence[str] | None = None, color: str = TRAIN_COLOR, tickformat: str | None = None) -> go.Figure:
    """One vector as bars (a user's factors, a term-by-term product)."""
    values = np.asarray(values, dtype=float)
    x = [label(s) for s in labels] if labels is not None else [f"f{j + 1}" for j in range(values.shape[0])]
    colors = [color if v >= 0 else PALETTE[1] for v in values]
    fig = go.Figure(go.Bar(x=x, y=values, marker_color=colors, hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title_text="latent feature" if labels is None else "")
    fig.update_yaxes(title_text=y_title, zeroline=True, zerolinecolor="#9ca3af", tickformat=tickformat, **GRID)
    return _layout(fig, height=260, title=title)


def score_bars(scores: np.ndarray, seen: np.ndarray, top: np.ndarray, title: str, y_title: str) -> go.Figure:
    """Every item's score for one user, sorted; seen items greyed out, the top-k highlighted."""
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores)
    seen_set = set(np.asarray(seen).tolist())
    top_set = set(np.asarray(top).tolist())
    colors = [PALETTE[2] if i in top_set else "#d1d5db" if i in seen_set else PALETTE[5] for i in order]
    fig = go.Figure(
        go.Bar(
            x=np.arange(1, len(order) + 1),
            y=scores[order],
            marker_color=colors,
            customdata=order,
            hovertemplate="rank %{x}<br>item index %{customdata}<br>score %{y:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="items, sorted by score (green: top-k picked; grey: already seen, masked)")
    fig.update_yaxes(title_text=y_title, **GRID)
    return _layout(fig, height=300, title=title)


def grouped_bars(frame: pd.DataFrame, x: str, y: str, title: str, y_title: str, error_low: str | None = None, error_high: str | None = None, text_format: str = ".3f") -> go.Figure:
    """Bars per category with optional confidence intervals (CTR per policy, RMSE per choice)."""
    error = None
    if error_low and error_high:
        error = dict(
            type="data",
            symmetric=False,
            array=(frame[error_high] - frame[y]).to_numpy(),
            arrayminus=(frame[y] - frame[error_low]).to_numpy(),
        )
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(frame))]
    fig = go.Figure(
        go.Bar(
            x=frame[x].map(label),
            y=frame[y],
            error_y=error,
            marker_color=colours,
            text=[format(v, text_format) for v in frame[y]],
            # Inside the bar when there are error bars, so the label never sits on a cap.
            textposition="inside" if error else "outside",
            insidetextanchor="middle",
            textfont=dict(color=[_label_color(c) for c in colours] if error else TEXT_COLOR),
        )
    )
    fig.update_yaxes(title_text=y_title, **GRID)
    fig.update_xaxes(title_text=x)
    return _layout(fig, title=title)


def scatter_2d(frame: pd.DataFrame, x: str, y: str, color: str, hover: str, title: str, x_title: str, y_title: str) -> go.Figure:
    """A labelled 2-D map (item embeddings coloured by genre, learned vs true values)."""
    fig = go.Figure()
    for i, (group, part) in enumerate(frame.groupby(color, sort=True)):
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="markers",
                name=label(group),
                text=part[hover].map(label),
                marker=dict(size=7, color=PALETTE[i % len(PALETTE)], opacity=0.75, symbol=MARKERS[i % len(MARKERS)]),
                hovertemplate="%{text}<extra>" + label(group) + "</extra>",
            )
        )
    fig.update_xaxes(title_text=x_title, **GRID)
    fig.update_yaxes(title_text=y_title, **GRID)
    return _layout(fig, height=420, title=title)


def policy_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    x_title: str,
    y_title: str,
    error_low: str | None = None,
    error_high: str | None = None,
    group: str = "policy",
    marker_x: float | None = None,
    marker_text: str = "",
) -> go.Figure:
    """One line per group over ``x`` (CTR per policy vs epochs or vs list length), with intervals."""
    fig = go.Figure()
    for i, (name, part) in enumerate(frame.groupby(group, sort=False)):
        error = None
        if error_low and error_high:
            error = dict(type="data", symmetric=False, array=(part[error_high] - part[y]).to_numpy(),
                         arrayminus=(part[y] - part[error_low]).to_numpy(), thickness=1)
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                error_y=error,
                mode="lines+markers",
                name=str(name),
                # Colour, dash and marker: the policies stay apart without colour vision too.
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5, dash=DASHES[i % len(DASHES)]),
                marker=dict(symbol=MARKERS[i % len(MARKERS)], size=7),
                hovertemplate=f"{name}<br>{x_title}: %{{x}}<br>{y_title}: %{{y:.2f}}<extra></extra>",
            )
        )
    if marker_x is not None:
        fig.add_vline(x=marker_x, line_dash="dash", line_color=PALETTE[2])
        right = marker_x > 0.6 * float(frame[x].max())  # keep the label inside the chart
        fig.add_annotation(x=marker_x, y=0.98, xref="x", yref="paper", text=f" {marker_text} ", showarrow=False,
                           font=dict(color=MARK_TEXT_COLOR, size=11), xanchor="right" if right else "left", yanchor="top")
    fig.update_xaxes(title_text=x_title, **GRID)
    fig.update_yaxes(title_text=y_title, rangemode="tozero", **GRID)
    return _layout(fig, height=380, title=title)


def samples_curve(sweeps: Sequence[int], mean_rmse: Sequence[float], sample_rmse: Sequence[float], burn_in: int,
                  title: str, references: dict[str, float] | None = None) -> go.Figure:
    """Held-out RMSE against samples drawn (one per Gibbs sweep): the running average of the kept samples
    against each sample alone, the end of burn-in marked, other models' RMSEs as dashed lines."""
    fig = go.Figure()
    for i, (name, values) in enumerate((("average of the samples kept so far", mean_rmse),
                                        ("that sample alone", sample_rmse))):
        fig.add_trace(go.Scatter(x=list(sweeps), y=_finite(list(values)), mode="lines+markers" if i == 0 else "markers",
                                 name=name, line=dict(color=PALETTE[i], width=2.5), marker=dict(size=5, symbol=MARKERS[i]),
                                 hovertemplate=f"sample %{{x}}<br>{name}: %{{y:.4f}}<extra></extra>"))
    for i, (name, value) in enumerate((references or {}).items()):
        if math.isfinite(value):
            fig.add_hline(y=value, line_dash=DASHES[(i + 1) % len(DASHES)], line_color=PALETTE[(i + 2) % len(PALETTE)],
                          annotation_text=f"{name} {value:.3f}", annotation_position="top right")
    if burn_in > 0:
        fig.add_vline(x=burn_in + 0.5, line_dash="dot", line_color="#6b7280",
                      annotation_text=" burn-in ends: averaging starts", annotation_position="top right")
    fig.update_xaxes(title_text=f"samples drawn (one per Gibbs sweep; the first {burn_in} are burn-in, not averaged)",
                     **GRID)
    fig.update_yaxes(title_text="held-out RMSE (stars, lower is better)", **GRID)
    return _layout(fig, height=380, title=title)


def support_lines(frame: pd.DataFrame, title: str) -> go.Figure:
    """Mean posterior std against training ratings, one line per ``side`` (users, items), log x axis.

    ``frame`` has columns side, low, high, median, pairs, std (see
    `recsys_core.lessons.playground.uncertainty_by_support`); each point sits at its bucket's median count.
    """
    fig = go.Figure()
    for i, (side, part) in enumerate(frame.groupby("side", sort=False)):
        fig.add_trace(go.Scatter(
            x=part["median"], y=part["std"], mode="lines+markers", name=f"by the {side[:-1]}'s training ratings",
            line=dict(color=PALETTE[i], width=2.5, dash=DASHES[i]), marker=dict(size=7, symbol=MARKERS[i]),
            customdata=part[["low", "high", "pairs"]].to_numpy(),
            hovertemplate=(f"{side} with %{{customdata[0]}}–%{{customdata[1]}} training ratings<br>"
                           "mean ± %{y:.3f} stars over %{customdata[2]} held-out pairs<extra></extra>")))
    fig.update_xaxes(title_text="training ratings of the user / of the item (log scale)", type="log", **GRID)
    fig.update_yaxes(title_text="mean posterior std of a prediction (stars)", rangemode="tozero", **GRID)
    return _layout(fig, height=380, title=title)
