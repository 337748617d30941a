"""Lesson 1's pipeline trace and the figure builders, on small live objects."""

import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from recsys_core import chart_text, data, plots
from recsys_core.lessons import mf_basics as pipeline
from recsys_core.lessons.mf_basics import gradient_step_trace
from recsys_core.lessons.stages import example_user, vector_text
from recsys_core.models.mf import score_matrix
from recsys_core.training.loop import EpochRecord
from recsys_core.training.mf import MFConfig, fit_mf, mf_trainer


@pytest.fixture(scope="module")
def trained():
    ratings = data.synthetic(n_users=120, n_items=60, n_ratings=2400, seed=3)
    train, val = data.holdout_split(ratings, seed=3)
    config = MFConfig(k=4, epochs=15, learning_rate=0.02)
    run = fit_mf(train, val, config)
    init = mf_trainer(train, val, config).start().params
    return ratings, train, config, run, init


def test_the_five_stages_carry_live_shapes_and_numbers(trained):
    ratings, train, config, run, init = trained
    user = example_user(train)
    step = gradient_step_trace(run.params, train, user, config.learning_rate, config.l2)
    stages = pipeline.mf_basics_stages(train, init, run.params, config.l2, step, user, run.epochs_done)
    assert [s["stage"] for s in stages] == ["Input data", "Initialize factor matrices", "Matrix multiplication",
                                           "Loss calculation", "Update features"]
    assert stages[0]["input"] == "120 rows x 60 columns"
    assert stages[1]["output"] == "User features: 120 x 4, Item features: 60 x 4"
    assert f"{run.last.train_loss:.3f}" in stages[3]["example"]
    assert f"{train.n_ratings:,} known training cells" in stages[3]["operation"]
    assert "missing" in stages[0]["example"]


def test_the_example_prediction_is_the_model_s_own_number(trained):
    _, train, config, run, init = trained
    user = example_user(train)
    item = int(train.items[train.users == user][0])
    expected = score_matrix(run.params)[user, item]
    step = gradient_step_trace(run.params, train, user, config.learning_rate, config.l2)
    stages = pipeline.mf_basics_stages(train, init, run.params, config.l2, step, user, run.epochs_done)
    assert f"{expected:.2f} after {run.epochs_done} epochs (known:" in stages[2]["example"]


def test_planted_recovery_beats_the_untrained_model_and_is_none_without_truth(trained):
    ratings, train, config, run, init = trained
    learned = pipeline.planted_recovery(run.params, ratings, min_item_ratings=10)
    untrained = pipeline.planted_recovery(init, ratings, min_item_ratings=10)
    assert learned["correlation"] > untrained["correlation"] + 0.2
    assert learned["rmse_to_truth"] < untrained["rmse_to_truth"]
    stripped = data.Ratings(train.users, train.items, train.ratings, train.n_users, train.n_items,
                            train.user_ids, train.item_ids)
    assert pipeline.planted_recovery(run.params, stripped) is None


def test_vector_text_prints_long_vectors_like_the_lesson_documents():
    assert vector_text(np.array([0.1, 0.3, 0.2, 0.5, 0.05])) == "[0.10, 0.30, 0.20, ..., 0.05]"
    assert vector_text(np.array([1.0, 2.0])) == "[1.00, 2.00]"


def test_training_curves_label_axes_with_units_and_leave_diverged_epochs_blank():
    history = [EpochRecord(1, 1.2, 1.3, 1.1, 1.14, 0.1), EpochRecord(2, 0.9, 1.1, 0.95, 1.05, 0.1),
               EpochRecord(3, math.nan, math.nan, math.nan, math.nan, 0.1)]
    fig = plots.training_curves(history, "MSE (stars²)", "RMSE (stars)", total_epochs=10, best_epoch=2)
    assert fig.layout.yaxis.title.text == "MSE (stars²)" and fig.layout.yaxis2.title.text == "RMSE (stars)"
    assert fig.layout.xaxis.title.text == "epoch (0 = untrained)" and tuple(fig.layout.xaxis.range) == (-0.5, 10.5)
    training = next(d for d in fig.data if d.name == "training")
    top = fig.layout.yaxis.range[1] / 1.08  # the clipped axis: the untrained loss times CLIP_FACTOR
    assert list(training.y) == pytest.approx([1.2, 0.9, top])  # the line rises to the top where the run blew up...
    blown = [d for d in fig.data if d.mode == "markers+text"]
    assert blown and list(blown[0].text) == ["NaN"] and list(blown[0].x) == [3]  # ...and a marker says how
    assert any("epoch 2" in a.text for a in fig.layout.annotations)


def test_training_curves_show_accuracy_in_percent_when_asked():
    history = [EpochRecord(1, 0.6, 0.7, 0.7, 0.65), EpochRecord(2, 0.5, 0.6, 0.8, 0.72)]
    fig = plots.training_curves(history, "binary cross-entropy", "accuracy", metric_as_percent=True)
    assert fig.layout.yaxis2.title.text == "accuracy (%)"
    assert list(fig.data[3].y) == pytest.approx([65.0, 72.0])


def test_text_from_a_file_reaches_plotly_labels_as_entities_never_as_tags():
    title = '<b>big</b> <a href="http://example.org/r">link</a> & more'
    frame = data.matrix_window(data.synthetic(n_users=20, n_items=10, n_ratings=80, seed=0), 5, 5)
    frame.columns = [title, *frame.columns[1:]]
    fig = plots.matrix_heatmap(frame, f"Window of {title}")
    assert fig.data[0].x[0] == "&lt;b&gt;big&lt;/b&gt; &lt;a href=\"http://example.org/r\"&gt;link&lt;/a&gt; &amp; more"
    assert "<" not in fig.layout.title.text
    bars = plots.vector_bars(np.ones(2), title, "weight", labels=[title, "<br>"])
    assert list(bars.data[0].x) == [plots.label(title), "&lt;br&gt;"]
    points = pd.DataFrame({"x": [0.0, 1.0], "y": [1.0, 0.0], "genre": ["<i>g</i>", "ok"], "label": [title, "plain"]})
    scatter = plots.scatter_2d(points, "x", "y", "genre", "label", "map", "x", "y")
    assert scatter.data[0].name == "&lt;i&gt;g&lt;/i&gt;" and "<i>" not in scatter.data[0].hovertemplate
    assert list(scatter.data[0].text) == [plots.label(title)]


def test_ui_text_escapes_markdown_and_keeps_urls_from_becoming_links():
    from app_pages._ui.traces import WORD_JOINER, text

    escaped = text("![x](http://example.org/p.png) **b** www.a.org me@a.org :red[x]")
    for special in "![]()*:":
        assert f"\\{special}" in escaped
    assert f"http\\:{WORD_JOINER}//" in escaped and f"www{WORD_JOINER}\\." in escaped and f"@{WORD_JOINER}a" in escaped
    assert text("Toy Story (1995)") == "Toy Story \\(1995\\)"


def _spec_cases():
    history = [EpochRecord(e, 1 / (e + 1), 1.2 / (e + 1), 0.5 + e / 200, 0.4 + e / 300, 0.01) for e in range(5)]
    history.append(EpochRecord(5, float("nan"), 55.0, float("inf"), 0.4, 0.01))  # blown up: clipped and marked
    window = pd.DataFrame(np.arange(12.0).reshape(3, 4) / 3 + 1, index=pd.Index([5, 9, 12], name="user"),
                          columns=pd.Index([1, 2, 3, 4], name="movie"))
    window.iloc[0, 0] = np.nan
    factors = np.random.default_rng(0).standard_normal((40, 3))
    yield plots.training_curves_spec(history, "MSE", "RMSE", total_epochs=10)
    yield plots.training_curves_spec(history, "BCE", "accuracy", best_epoch=2, highlight_epoch=3, metric_as_percent=True)
    yield plots.training_curves_spec(history[:3], "MSE", "RMSE", show_metric=False)
    yield plots.training_curves_spec(history[:1], "MSE", "RMSE", total_epochs=60, best_epoch=0)
    yield plots.matrix_heatmap_spec(window, "Epoch 3: <known> ratings", height=400)
    yield plots.matrix_heatmap_spec(window, "no bounds", zmin=None, zmax=None, colorscale="RdBu")
    yield plots.factor_heatmap_spec(factors, "user", "Epoch 3: user factors", bound=2.0)
    yield plots.factor_heatmap_spec(factors[:5], "item", "Item factors")
    yield plots.factor_heatmap_spec(factors, "hidden unit", "First-layer weights", columns="input feature",
                                    column_labels=["taste <match>", "popularity", "activity"])


@pytest.mark.parametrize("spec", list(_spec_cases()), ids=lambda spec: spec["data"][0]["type"])
def test_a_spec_builder_makes_what_plotly_validation_makes_of_it_and_is_described_the_same(spec):
    """Live frames and replay heatmaps are sent without validation (`ui.charts.plot` given a dict): that
    is only right while validating them would change nothing, blown-up and missing values included;
    and their text alternative, read from the dict, must be the one the figure would get."""
    validated = go.Figure(spec)
    assert json.loads(pio.to_json(validated.to_dict())) == json.loads(pio.to_json(plots.as_validated(spec)))
    assert chart_text.describe(spec) == chart_text.describe(validated)
