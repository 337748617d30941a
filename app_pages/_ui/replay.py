"""Replay: step through a finished run epoch by epoch and watch the model change.

Each epoch's snapshot (kept by the training loop) holds a window of predictions and a few rows of
learned tables. Every epoch is drawn on one fixed colour scale — the rating scale for the window,
one bound for the tables over the whole run — so colours compare across epochs and the filling-in
is visible instead of being rescaled away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._ui.charts import plot
from recsys_core import plots
from recsys_core.training.loop import TrainingRun


@dataclass(frozen=True)
class Table:
    """A learned table the replay draws: its title, and what its rows and columns are (a factor table's
    columns are latent features, a network layer's are its inputs)."""

    title: str
    rows: str
    columns: str = "latent feature"
    column_labels: Sequence[str] | None = None


def key(lesson: str) -> str:
    return f"replay:{lesson}"


def epoch(lesson: str, run: TrainingRun | None) -> int | None:
    """The epoch the learner replays (for the chart's marker), or None when not replaying."""
    chosen = st.session_state.get(key(lesson))
    if run is None or chosen is None or chosen >= run.epochs_done:
        return None
    return int(chosen)


def reset(lesson: str) -> None:
    st.session_state.pop(key(lesson), None)


def replay(lesson: str, run: TrainingRun, window: pd.DataFrame | None = None,
           scale: tuple[float, float] = (1.0, 5.0), tables: dict[str, str | Table] | None = None) -> None:
    """An epoch slider over ``run`` and, for the chosen epoch, the ``window`` with its missing
    cells predicted and the snapshot's ``tables`` (snapshot key -> a `Table`, or a title such as
    "user features" for a factor table whose rows are named by its first word) as heatmaps."""
    if not run.snapshots or run.epochs_done == 0:
        return
    st.markdown("#### Replay: step through the run")
    if st.session_state.get(key(lesson)) is None or st.session_state[key(lesson)] > run.epochs_done:
        st.session_state[key(lesson)] = run.epochs_done
    chosen = st.select_slider("Epoch to show", list(range(run.epochs_done + 1)), key=key(lesson),
                              help="Move through the run: the chart above marks the epoch, the pictures below show "
                                   "the model as it was then (epoch 0 = untrained).")
    snapshot = run.snapshots[chosen]
    if snapshot is None:
        st.error(f"Epoch {chosen} diverged: its weights were not kept, so there is nothing to show.",
                 icon=":material/warning:")
        return
    panels = []
    if window is not None and "window" in snapshot:
        filled = pd.DataFrame(np.where(window.isna(), np.clip(snapshot["window"], *scale), window.to_numpy()),
                              index=window.index, columns=window.columns)
        panels.append(plots.matrix_heatmap_spec(filled, f"Epoch {chosen}: known ratings, and the model's guess in "
                                                        "every missing cell", zmin=scale[0], zmax=scale[1], height=400))
    for name, table in (tables or {}).items():
        table = table if isinstance(table, Table) else Table(table, table.split()[0].lower())
        bound = max(float(np.abs(s[name]).max()) for s in run.snapshots if s is not None) or 1.0
        panels.append(plots.factor_heatmap_spec(snapshot[name], table.rows, f"Epoch {chosen}: {table.title} (first "
                                                f"{len(snapshot[name])} rows)", bound=bound, columns=table.columns,
                                                column_labels=table.column_labels))
    for start in range(0, len(panels), 2):
        for col, figure in zip(st.columns(2), panels[start:start + 2], strict=False):
            plot(figure, col)
    st.caption(f"Epoch {chosen} of {run.epochs_done}. Colours use one scale for the whole run, so a cell that "
               "changes colour changed value.")

