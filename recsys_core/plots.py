"""Plotly figure builders: pure functions from numbers to `go.Figure`.

Pages stay layout-only and the figures stay testable: a test can build a figure from a known
history and read its traces back. Every axis says what it measures and in which unit, because a
learner looking at a chart in class has no one to ask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from recsys_core.training.loop import EpochRecord

TRAIN_COLOR = "#4f46e5"
VAL_COLOR = "#f97316"
GRID = dict(showgrid=True, gridcolor="#e5e7eb")
PALETTE = ("#4f46e5", "#f97316", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#eab308", "#64748b")


def _layout(fig: go.Figure, height: int = 360, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=60 if title else 40, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="center", x=0.5),
        plot_bgcolor="white",
        title=dict(text=title, x=0, font=dict(size=15)) if title else None,
    )
    return fig


def _finite(values: Sequence[float]) -> list[float | None]:
    """Plotly draws NaN as a gap; keep it explicit so a diverged epoch shows as missing."""
    return [v if math.isfinite(v) else None for v in values]


def training_curves(
    history: Sequence[EpochRecord],
    loss_name: str,
    metric_name: str,
    total_epochs: int | None = None,
    best_epoch: int | None = None,
    metric_as_percent: bool = False,
) -> go.Figure:
    """Loss (left) and the lesson's accuracy measure (right), train vs validation, per epoch.

    The x axis is fixed to the full epoch budget so a learner watching it live sees how far the
    run has come; the best epoch (early stopping's choice) is marked when given.
    """
    epochs = [r.epoch for r in history]
    has_metric = any(math.isfinite(r.val_metric) for r in history)
    cols = 2 if has_metric else 1
    fig = make_subplots(
        rows=1,
        cols=cols,
        subplot_titles=(f"Loss per epoch — {loss_name}", f"{metric_name} per epoch")[:cols],
        horizontal_spacing=0.12,
    )
    scale = 100.0 if metric_as_percent else 1.0
    series = [("train_loss", "val_loss", 1)]
    if has_metric:
        series.append(("train_metric", "val_metric", 2))
    for train_field, val_field, col in series:
        factor = scale if col == 2 else 1.0
        for field, name, color in ((train_field, "training", TRAIN_COLOR), (val_field, "validation", VAL_COLOR)):
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=_finite([getattr(r, field) * factor for r in history]),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line=dict(color=color, width=2.5),
                    marker=dict(size=6),
                    hovertemplate=f"epoch %{{x}}<br>{name}: %{{y:.4f}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    x_max = max(total_epochs or 0, epochs[-1] if epochs else 1)
    for col in range(1, cols + 1):
        fig.update_xaxes(title_text="epoch", range=[0.5, x_max + 0.5], dtick=max(1, x_max // 10), row=1, col=col, **GRID)
    fig.update_yaxes(title_text=loss_name, row=1, col=1, **GRID)
    if has_metric:
        unit = f"{metric_name} (%)" if metric_as_percent else metric_name
        fig.update_yaxes(title_text=unit, row=1, col=2, **GRID)
    if best_epoch:
        for col in range(1, cols + 1):
            fig.add_vline(x=best_epoch, line_dash="dash", line_color="#10b981", row=1, col=col)
        fig.add_annotation(
            x=best_epoch, y=0.98, xref="x", yref="paper", text=f" lowest validation loss: epoch {best_epoch}",
            showarrow=False, font=dict(color="#047857", size=11), xanchor="left", yanchor="top",
        )
    return _layout(fig, height=380)


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
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5),
            )
        )
    fig.update_xaxes(title_text="epoch", **GRID)
    fig.update_yaxes(title_text=y_title, **GRID)
    return _layout(fig, title=title)


def matrix_heatmap(
    frame: pd.DataFrame,
    title: str,
    colorbar_title: str = "rating (stars)",
    zmin: float | None = 1,
    zmax: float | None = 5,
    colorscale: str = "Viridis",
    height: int = 420,
) -> go.Figure:
    """A users x items window; missing cells stay blank so the sparsity is visible."""
    fig = go.Figure(
        go.Heatmap(
            z=frame.to_numpy(dtype=float),
            x=[str(c) for c in frame.columns],
            y=[str(i) for i in frame.index],
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            hoverongaps=False,
            colorbar=dict(title=colorbar_title),
            hovertemplate="%{y}<br>%{x}<br>value: %{z:.2f}<extra></extra>",
        )
    )
    # Ids are labels, not quantities: a numeric axis would space user 68 and user 9 by value.
    fig.update_xaxes(title_text=frame.columns.name or "item", type="category",
                     showticklabels=len(frame.columns) <= 30, tickangle=-45)
    fig.update_yaxes(title_text=frame.index.name or "user", type="category", autorange="reversed")
    return _layout(fig, height=height, title=title)


def factor_heatmap(matrix: np.ndarray, row_label: str, title: str, max_rows: int = 30) -> go.Figure:
    """The first rows of a factor matrix (rows x k latent features), diverging around zero."""
    block = np.asarray(matrix)[:max_rows]
    bound = float(np.abs(block).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=block,
            x=[f"f{j + 1}" for j in range(block.shape[1])],
            y=[f"{row_label} {i + 1}" for i in range(block.shape[0])],
            colorscale="RdBu",
            zmid=0,
            zmin=-bound,
            zmax=bound,
            colorbar=dict(title="weight"),
        )
    )
    fig.update_xaxes(title_text="latent feature")
    fig.update_yaxes(title_text=row_label, autorange="reversed", showticklabels=False)
    return _layout(fig, height=300, title=title)


def vector_bars(values: np.ndarray, title: str, y_title: str, labels: Sequence[str] | None = None, color: str = TRAIN_COLOR, tickformat: str | None = None) -> go.Figure:
    """One vector as bars (a user's factors, a term-by-term product)."""
    values = np.asarray(values, dtype=float)
    x = list(labels) if labels is not None else [f"f{j + 1}" for j in range(values.shape[0])]
    colors = [color if v >= 0 else "#ef4444" for v in values]
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
    colors = ["#10b981" if i in top_set else "#d1d5db" if i in seen_set else "#a5b4fc" for i in order]
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
    fig = go.Figure(
        go.Bar(
            x=frame[x].astype(str),
            y=frame[y],
            error_y=error,
            marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(frame))],
            text=[format(v, text_format) for v in frame[y]],
            # Inside the bar when there are error bars, so the label never sits on a cap.
            textposition="inside" if error else "outside",
            insidetextanchor="middle",
            textfont=dict(color="white" if error else "#374151"),
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
                name=str(group),
                text=part[hover],
                marker=dict(size=7, color=PALETTE[i % len(PALETTE)], opacity=0.75),
                hovertemplate="%{text}<extra>" + str(group) + "</extra>",
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
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5),
                hovertemplate=f"{name}<br>{x_title}: %{{x}}<br>{y_title}: %{{y:.2f}}<extra></extra>",
            )
        )
    if marker_x is not None:
        fig.add_vline(x=marker_x, line_dash="dash", line_color="#10b981")
        fig.add_annotation(x=marker_x, y=0.98, xref="x", yref="paper", text=f" {marker_text}", showarrow=False,
                           font=dict(color="#047857", size=11), xanchor="left", yanchor="top")
    fig.update_xaxes(title_text=x_title, **GRID)
    fig.update_yaxes(title_text=y_title, rangemode="tozero", **GRID)
    return _layout(fig, height=380, title=title)
