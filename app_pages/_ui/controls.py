"""Controls bound to the page address, declared once per model config.

Every setting that defines a run lives in the URL so a teacher can share a lesson set up exactly.
Streamlit's own ``bind="query-params"`` drops a value it does not accept without a word, writes
a formatted label ("10,000") instead of the number, and removes a parameter from the address
while its widget is not on screen. So the binding is done here: a parameter is checked before
its widget exists (a bad one gets a notice naming it and the value used instead), the plain
value is written back every run, and labels can be formatted for reading. The parameter names
are the widget keys and never change: teachers' links depend on them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from recsys_core.lessons.defaults import OFFERED_LEARNING_RATES
from recsys_core.training.clicks import ClickConfig
from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import SCORERS, NeuralConfig

# Fine enough near the edges of stability that some rate shows the loss growing before it blows up
# (Adam at 0.25 on lesson 1 rises for four epochs, then diverges: recsys_core.lessons.defaults).
LEARNING_RATES = OFFERED_LEARNING_RATES
L2_VALUES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)

_notices = threading.local()  # one script run = one thread: the notices of this run only


@dataclass(frozen=True)
class Control:
    """One URL-bound control: its key (= URL parameter), label, widget kind and allowed values.

    ``kind`` is "slider" (whole numbers from ``low`` to ``high``), "number" (the same, typed),
    "select" (a select slider over ``options``), "segmented" (buttons over ``options``) or
    "toggle" (a switch).
    """

    key: str
    label: str
    kind: str
    options: tuple = ()
    low: int = 0
    high: int = 0
    help: str = ""
    fmt: Callable[[Any], str] | None = None

    def allowed(self) -> str:
        if self.kind in ("slider", "number"):
            return f"a whole number from {self.low:,} to {self.high:,}"
        if self.kind == "toggle":
            return "true or false"
        shown = [self.fmt(o) if self.fmt else _text(o) for o in self.options]
        return "one of " + ", ".join(shown)

    def parse(self, raw: str) -> Any:
        """The value ``raw`` (from the URL) stands for, or None when it is not allowed."""
        try:
            if self.kind in ("slider", "number"):
                value = int(raw)
                return value if self.low <= value <= self.high else None
            if self.kind == "toggle":
                return {"true": True, "false": False}.get(raw.lower())
            for option in self.options:
                if isinstance(option, float | int) and not isinstance(option, bool):
                    if math.isclose(float(raw), float(option), rel_tol=1e-9, abs_tol=1e-12):
                        return option
                elif str(option) == raw:
                    return option
        except ValueError:
            return None
        return None


def _text(value: Any) -> str:
    """How a value is written in the URL (and in a notice)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def begin_notices() -> st.delta_generator.DeltaGenerator:
    """A place above the page's content for this run's deep-link notices (call once per page)."""
    _notices.slot = st.container()
    _notices.shown = set()
    return _notices.slot


def notice(text: str) -> None:
    slot = getattr(_notices, "slot", None)
    if slot is not None and text not in _notices.shown:
        _notices.shown.add(text)
        slot.warning(text, icon=":material/link_off:")


def link_value(control: Control, default: Any) -> Any:
    """The control's value: this session's, else the URL's (checked), else ``default``.

    Also puts it in session state (the widget reads it from there) and writes it back to the URL
    (left out when it is the default, so links stay short).
    """
    key = control.key
    if key not in st.session_state:
        raw = st.query_params.get(key)
        value = default if raw is None else control.parse(raw)
        if value is None:
            notice(f"The link's `{key}={raw}` is not allowed here ({control.allowed()}); "
                   f"using {control.fmt(default) if control.fmt else _text(default)} instead.")
            value = default
        st.session_state[key] = value
    value = st.session_state[key]
    if value == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = _text(value)
    return value


def widget(control: Control, default: Any, where: Any = st, disabled: bool = False) -> Any:
    """Draw ``control`` in ``where`` (a column or container) and return its value."""
    link_value(control, default)
    common = dict(key=control.key, help=control.help or None, disabled=disabled)
    if control.kind == "slider":
        where.slider(control.label, control.low, control.high, **common)
    elif control.kind == "number":
        where.number_input(control.label, control.low, control.high, step=1, **common)
    elif control.kind == "select":
        where.select_slider(control.label, control.options, format_func=control.fmt or _text, **common)
    elif control.kind == "segmented":
        where.segmented_control(control.label, control.options, required=True, format_func=control.fmt or str, **common)
    elif control.kind == "toggle":
        where.toggle(control.label, **common)
    else:
        raise ValueError(f"unknown control kind {control.kind!r}")
    return link_value(control, default)


def choices(values: Sequence[float], default: float) -> tuple[float, ...]:
    """Options that are sure to contain the model's default value."""
    return tuple(sorted(set(values) | {default}))


def row(specs: Sequence[tuple[Control, Any]], columns: int = 4, disabled: dict[str, bool] | None = None) -> dict[str, Any]:
    """Controls laid out in rows of ``columns``; returns {key: value}."""
    values: dict[str, Any] = {}
    disabled = disabled or {}
    for start in range(0, len(specs), columns):
        cols = st.columns(columns)
        for col, (control, default) in zip(cols, specs[start:start + columns], strict=False):
            values[control.key] = widget(control, default, col, disabled.get(control.key, False))
    return values


# --- one control block per model config ------------------------------------------------------------


@dataclass(frozen=True)
class MFControls:
    """Which MF hyperparameters a lesson offers, under which URL prefix ("mf" in lesson 1, "cf" in 2)."""

    prefix: str
    full: bool = True  # batch size, optimizer and model seed too
    ranks: tuple[int, int] = (1, 64)
    notes: dict[str, str] = field(default_factory=dict)  # help text per control, from the lesson


def mf_control_specs(spec: MFControls, defaults: MFConfig) -> list[tuple[Control, Any]]:
    """An MF lesson's levers (rank, learning rate, L2, epochs; batch, optimizer, seed when ``full``)."""
    p, notes = spec.prefix, spec.notes
    items: list[tuple[Control, Any]] = [
        (Control(f"{p}_k", "Rank k (features per user/item)", "slider", low=spec.ranks[0], high=spec.ranks[1],
                 help=notes.get("k", "How many taste features each user and item gets.")), defaults.k),
        (Control(f"{p}_lr", "Learning rate", "select", choices(LEARNING_RATES, defaults.learning_rate),
                 help=notes.get("lr", "Step size of each update. Too large and training diverges.")), defaults.learning_rate),
        (Control(f"{p}_l2", "L2 regularisation", "select", choices(L2_VALUES, defaults.l2),
                 help=notes.get("l2", "Penalty on large factors; holds back users and items with few ratings.")), defaults.l2),
        (Control(f"{p}_epochs", "Epochs", "slider", low=1, high=100,
                 help=notes.get("epochs", "Passes over the training ratings.")), defaults.epochs),
    ]
    if spec.full:
        items += [
            (Control(f"{p}_batch", "Batch size", "select", (32, 64, 128, 256, 512, 1024),
                     help=notes.get("batch", "Ratings per update step.")), defaults.batch_size),
            (Control(f"{p}_opt", "Optimizer", "segmented", ("sgd", "adam"),
                     help=notes.get("opt", "sgd: plain steps; adam: steps scaled per weight.")), defaults.optimizer),
            (Control(f"{p}_seed", "Model seed", "number", low=0, high=9999,
                     help="Seeds the random initial factors and the batch order."), defaults.seed),
        ]
    return items


def mf_controls(spec: MFControls, defaults: MFConfig) -> MFConfig:
    """The rank, learning rate, L2 and epochs (and batch, optimizer, seed) of an MF lesson."""
    p = spec.prefix
    v = row(mf_control_specs(spec, defaults))
    config = replace(defaults, k=v[f"{p}_k"], learning_rate=v[f"{p}_lr"], l2=v[f"{p}_l2"], epochs=v[f"{p}_epochs"])
    if spec.full:
        config = replace(config, batch_size=v[f"{p}_batch"], optimizer=v[f"{p}_opt"], seed=int(v[f"{p}_seed"]))
    return config


ENGAGEMENT_L2 = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


def neural_control_specs(defaults: NeuralConfig, notes: dict[str, str] | None = None) -> list[tuple[Control, Any]]:
    """The engagement lesson's levers with the values that reproduce ``defaults``."""
    notes = notes or {}
    return [
        (Control("eng_dim", "Embedding size", "select", (4, 8, 16, 32, 64),
                 help=notes.get("dim", "Numbers per user and per item.")), defaults.embedding_dim),
        (Control("eng_scorer", "Scorer", "segmented", SCORERS,
                 help="mlp: a hidden layer over [user ; item]. dot: their dot product."), defaults.scorer),
        (Control("eng_hidden", "Hidden width (mlp)", "select", (8, 16, 32, 64, 128, 256),
                 help=notes.get("hidden", "Neurons in the mlp's hidden layer.")), defaults.hidden),
        (Control("eng_epochs", "Epochs", "slider", low=1, high=50, help=notes.get("epochs", "")), defaults.epochs),
        (Control("eng_lr", "Learning rate", "select", choices(LEARNING_RATES, defaults.learning_rate),
                 help=notes.get("lr", "Adam's step size. Too large and training diverges.")), defaults.learning_rate),
        (Control("eng_l2", "L2 regularisation", "select", choices(ENGAGEMENT_L2, defaults.l2),
                 help=notes.get("l2", "Penalty on large weights, counted like this many pseudo-ratings.")), defaults.l2),
        (Control("eng_seed", "Model seed", "number", low=0, high=9999), defaults.seed),
    ]


def neural_controls(defaults: NeuralConfig, notes: dict[str, str] | None = None) -> NeuralConfig:
    """The engagement lesson's embedding size, scorer, hidden width, epochs, learning rate, L2, seed."""
    scorer = link_value(Control("eng_scorer", "", "segmented", SCORERS), defaults.scorer)
    v = row(neural_control_specs(defaults, notes), disabled={"eng_hidden": scorer == "dot"})
    return replace(defaults, embedding_dim=v["eng_dim"], scorer=v["eng_scorer"], hidden=v["eng_hidden"],
                   epochs=v["eng_epochs"], learning_rate=v["eng_lr"], l2=v["eng_l2"], seed=int(v["eng_seed"]))


WIDTHS = (8, 16, 32, 64, 128, 256)
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CLICK_L2 = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
CLICK_BATCHES = (8, 16, 32, 64, 128, 256, 512)


def click_control_specs(defaults: ClickConfig) -> list[tuple[Control, Any]]:
    """The overfitting lesson's levers with the values that reproduce ``defaults``."""
    return [
        (Control("of_width_1", "Layer 1 width (units)", "select", WIDTHS), defaults.widths[0]),
        (Control("of_width_2", "Layer 2 width (0 = no second layer)", "select", (0, *WIDTHS),
                 help="A smaller layer has fewer weights to memorise with."), defaults.widths[1] if len(defaults.widths) > 1 else 0),
        (Control("of_dropout_rate", "Dropout rate", "select", DROPOUT_RATES,
                 help="Share of hidden units silenced at random in each training step. Off when predicting."), defaults.dropout_rate),
        (Control("of_norm", "Batch normalisation", "segmented", ("none", "batchnorm"),
                 help="Normalise each hidden layer over the batch (the seed's bonus experiment)."), defaults.norm),
        (Control("of_l2", "L2 regularisation", "select", CLICK_L2, help="Penalty on the sum of squared weights."), defaults.l2),
        (Control("of_learning_rate", "Learning rate", "select", choices(LEARNING_RATES, defaults.learning_rate),
                 help="Adam's step size."), defaults.learning_rate),
        (Control("of_batch_size", "Batch size", "select", CLICK_BATCHES), defaults.batch_size),
        (Control("of_epochs", "Epochs (at most)", "slider", low=1, high=150), defaults.epochs),
        (Control("of_early_stopping", "Early stopping", "toggle",
                 help="Stop when validation loss has not improved for 'patience' epochs; keep the best epoch."),
         defaults.patience is not None),
        (Control("of_patience", "Patience (epochs)", "slider", low=1, high=20), defaults.patience or 5),
        (Control("of_seed", "Model seed", "number", low=0, high=9999,
                 help="Seeds the initial weights, batch order and dropout masks."), defaults.seed),
    ]


def click_controls(defaults: ClickConfig) -> ClickConfig:
    specs = click_control_specs(defaults)
    early = link_value(specs[8][0], specs[8][1])
    v = row(specs, disabled={"of_patience": not early})
    widths = (v["of_width_1"],) if v["of_width_2"] == 0 else (v["of_width_1"], v["of_width_2"])
    return replace(defaults, widths=widths, dropout_rate=v["of_dropout_rate"], norm=v["of_norm"], l2=v["of_l2"],
                   learning_rate=v["of_learning_rate"], batch_size=v["of_batch_size"], epochs=v["of_epochs"],
                   patience=v["of_patience"] if v["of_early_stopping"] else None, seed=int(v["of_seed"]))


def load_click_preset(config: ClickConfig) -> None:
    """Move every lever to ``config`` (a button callback: widgets may be moved only there)."""
    for control, value in click_control_specs(config):
        st.session_state[control.key] = value
