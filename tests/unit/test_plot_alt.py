"""Text alternatives for charts: `chart_text.describe` reads a figure's own numbers back as a sentence,
so a learner who cannot see a chart gets what it draws, and the words cannot disagree with it."""

import math

import numpy as np
import pandas as pd

from recsys_core import chart_text, plots
from recsys_core.training.loop import EpochRecord


def _history(epochs: int = 10) -> list[EpochRecord]:
    return [EpochRecord(e, 2.0 - 0.1 * e, 2.1 - 0.05 * e + (0.03 * (e - 6) ** 2 if e > 6 else 0.0), 1.4 - 0.04 * e,
                        1.45 - 0.02 * e) for e in range(epochs + 1)]


def test_training_curves_are_described_by_each_series_first_last_and_lowest_value_with_the_best_epoch():
    history = _history()
    low = min(history, key=lambda r: r.val_loss)
    assert 0 < low.epoch < 10  # the validation loss turns back up: its lowest lies between first and last
    text = chart_text.describe(plots.training_curves(history, "MSE", "RMSE", total_epochs=10, best_epoch=low.epoch))
    assert text.startswith("Loss per epoch — MSE; RMSE per epoch.")
    assert "MSE: training from 2 to 1 (epoch 0 to 10)" in text
    assert (f"validation from 2.1 to {history[-1].val_loss:.3g} (epoch 0 to 10), lowest {low.val_loss:.3g} at epoch "
            f"{low.epoch}") in text
    assert "RMSE: training from 1.4 to 1 (epoch 0 to 10)" in text
    assert f"Marked: lowest validation loss: epoch {low.epoch}." in text


def test_a_diverged_run_is_described_with_the_real_values_drawn_off_the_chart_not_the_clipped_edge():
    history = [EpochRecord(e, 1.0 * 3 ** e, 1.1) for e in range(5)] + [EpochRecord(5, math.nan, math.nan)]
    figure = plots.training_curves(history, "MSE", "RMSE", total_epochs=10, show_metric=False)
    text = chart_text.describe(figure)
    assert "training from 1 to 9 (epoch 0 to 2)" in text  # 27 and 81 are above 10x the start: off the chart
    assert "training off the chart (diverged): epoch 3 27, epoch 4 81, epoch 5 NaN" in text
    assert "validation from 1.1 to 1.1 (epoch 0 to 4); validation off the chart (diverged): epoch 5 NaN" in text


def test_bars_are_listed_with_their_drawn_labels_and_intervals():
    frame = pd.DataFrame({"policy": ["random", "trained model"], "CTR (%)": [2.14, 9.2], "low": [1.5, 8.1],
                          "high": [2.8, 10.3]})
    text = chart_text.describe(plots.grouped_bars(frame, "policy", "CTR (%)", "Click-through rate", "CTR (%)", "low", "high",
                                             ".1f"))
    assert text == ("Click-through rate. CTR (%): random 2.1 (interval 1.5 to 2.8), trained model 9.2 "
                    "(interval 8.1 to 10.3).")


def test_a_long_vector_is_summarised_by_its_extremes():
    values = np.linspace(-1.0, 2.0, 40)
    text = chart_text.describe(plots.vector_bars(values, "User 7", "weight"))
    assert text == "User 7. weight: 40 bars from −1 (f1) to 2 (f40)."
    short = chart_text.describe(plots.vector_bars(np.array([0.5, -0.25]), "User 7", "weight"))
    assert short == "User 7. weight: f1 0.5, f2 −0.25."


def test_a_heatmap_is_described_by_its_size_range_and_share_of_blank_cells():
    frame = pd.DataFrame([[1.0, np.nan, 5.0, np.nan], [np.nan, np.nan, 3.0, 4.0]],
                         index=pd.Index(["u1", "u2"], name="user"), columns=pd.Index(list("abcd"), name="item"))
    text = chart_text.describe(plots.matrix_heatmap(frame, "Ratings window"))
    assert text == "Ratings window. 2 x 4 cells (user x item), rating (stars) from 1 to 5, 50% of cells blank."


def test_a_map_of_points_counts_the_points_of_each_group():
    frame = pd.DataFrame({"x": np.arange(5.0), "y": np.arange(5.0), "genre": list("aabbb"), "title": list("vwxyz")})
    text = chart_text.describe(plots.scatter_2d(frame, "x", "y", "genre", "title", "Item map", "pc 1", "pc 2"))
    assert text == "Item map. 5 points: a 2, b 3."


def test_lines_of_a_comparison_differ_in_dash_and_marker_not_only_in_colour():
    frame = pd.DataFrame({"policy": np.repeat(["random", "most popular", "highest rated", "trained model"], 3),
                          "epoch": np.tile([0, 1, 2], 4), "ctr": np.arange(12.0)})
    figure = plots.policy_lines(frame, "epoch", "ctr", "CTR vs. epochs", "epoch", "CTR (%)")
    styles = {(t.line.dash, t.marker.symbol) for t in figure.data}
    assert len(styles) == 4
    groups = pd.DataFrame({"x": np.arange(6.0), "y": np.arange(6.0), "genre": list("abcdef"), "title": list("uvwxyz")})
    symbols = {t.marker.symbol for t in plots.scatter_2d(groups, "x", "y", "genre", "title", "Map", "x", "y").data}
    assert len(symbols) == 6


def test_chart_text_reads_at_wcag_aa_contrast_whatever_the_theme_would_draw():
    figures = [plots.training_curves(_history(), "MSE", "RMSE", total_epochs=10, best_epoch=4, highlight_epoch=2),
               plots.vector_bars(np.array([0.5, -0.25]), "User 7", "weight"),
               plots.matrix_heatmap(pd.DataFrame([[1.0, 2.0]]), "Ratings window")]
    for figure in figures:
        axes = [figure.layout[name] for name in figure.layout if name.startswith(("xaxis", "yaxis"))]
        assert axes and all(axis.tickfont.color == plots.TEXT_COLOR for axis in axes)
        assert all(axis.title.font.color == plots.TEXT_COLOR for axis in axes if axis.title.text)
        assert all(plots.contrast(a.font.color or figure.layout.font.color, "#ffffff") >= 4.5
                   for a in figure.layout.annotations)
    assert plots.contrast(plots.TEXT_COLOR, "#ffffff") >= 4.5
    heatmap = figures[2].data[0]
    assert heatmap.colorbar.tickfont.color == heatmap.colorbar.title.font.color == plots.TEXT_COLOR


def test_a_bar_label_drawn_inside_its_bar_reads_at_wcag_aa_contrast_on_every_palette_colour():
    frame = pd.DataFrame({"policy": [f"p{i}" for i in range(len(plots.PALETTE))], "ctr": np.arange(1.0, 9.0),
                          "low": np.zeros(8), "high": np.arange(2.0, 10.0)})
    bars = plots.grouped_bars(frame, "policy", "ctr", "CTR", "CTR (%)", "low", "high", ".1f").data[0]
    assert bars.textposition == "inside"
    for fill, text in zip(bars.marker.color, bars.textfont.color, strict=True):
        assert plots.contrast(fill, text) >= 4.5, (fill, text)


def test_a_label_from_a_learners_file_reads_as_the_same_characters_it_is_drawn_with():
    frame = pd.DataFrame({"title": ["Tom & Jerry <b>", "Up"], "ratings": [3.0, 4.0]})
    figure = plots.grouped_bars(frame, "title", "ratings", "Ratings of <i>two</i> titles", "ratings")
    assert figure.data[0].x[0] == "Tom &amp; Jerry &lt;b&gt;"  # escaped for Plotly, which shows the characters
    assert chart_text.describe(figure) == "Ratings of <i>two</i> titles. ratings: Tom & Jerry <b> 3.000, Up 4.000."
