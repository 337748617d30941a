"""What the page "Experiment: fixing overfitting" shows, computed from live objects.

The lesson's seed is an experiment report: a click model that memorises its training data
("Before"), a fix made only of architecture and training hyperparameters ("After"), three
targets, and a bonus run with batch normalisation instead of dropout. This module turns the
click library's data, runs and configs into what the page lays out: the stage table, the
seed-format results lines, the pass/fail targets, which levers differ from Before, and the
sentences that compare runs. Sentences are generated from the numbers, never canned, so the
page says "dropout won" only when the run measured it.

numpy only; no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from recsys_core.data import ClickData
from recsys_core.lessons.stages import stage, vector_text
from recsys_core.models import click_mlp
from recsys_core.training.clicks import AFTER, BEFORE, BONUS_BATCHNORM, ClickConfig, fit_click
from recsys_core.training.loop import COMPLETED, EARLY_STOPPED, TrainingRun

PRESETS: dict[str, ClickConfig] = {"before": BEFORE, "after": AFTER, "bonus": BONUS_BATCHNORM}
PRESET_NAMES = {"before": "the Before model", "after": "the seed's solution", "bonus": "the bonus (batch norm)"}
# A validation accuracy gap below this is not called a win: 0.5 points is 20 of 4,000
# validation impressions, about the spread between model seeds of one config.
TIE_POINTS = 0.5
# The lesson document's targets: "validation accuracy improves to at least 80% while keeping training
# accuracy below 88%", training time "under 5 minutes".
VAL_TARGET, TRAIN_LIMIT, SECONDS_LIMIT = 0.80, 0.88, 300.0
TARGETS = (
    ("val_accuracy_at_least_80", f"Validation accuracy ≥ {VAL_TARGET:.0%}"),
    ("train_accuracy_below_88", f"Gap closed: training < {TRAIN_LIMIT:.0%} with validation ≥ {VAL_TARGET:.0%}"),
    ("under_5_minutes", f"Training time < {SECONDS_LIMIT / 60:g} minutes"),
)
CHANCE_MARGIN = 0.05
DECISION_THRESHOLD = 0.5  # predict "click" above this probability: what accuracy counts  # within this of always guessing the majority label: the model learned nothing


def config_from_controls(
    width_1: int,
    width_2: int,
    dropout_rate: float,
    l2: float,
    learning_rate: float,
    batch_size: int,
    epochs: int,
    early_stopping: bool,
    patience: int,
    norm: str,
    seed: int,
) -> ClickConfig:
    """The learner's levers as a config; a second width of 0 means a single hidden layer."""
    widths = (int(width_1),) if int(width_2) == 0 else (int(width_1), int(width_2))
    return ClickConfig(
        widths=widths,
        dropout_rate=float(dropout_rate),
        l2=float(l2),
        learning_rate=float(learning_rate),
        batch_size=int(batch_size),
        epochs=int(epochs),
        norm=norm,
        patience=int(patience) if early_stopping else None,
        seed=int(seed),
    )


def controls_of(config: ClickConfig, patience_when_off: int = 5) -> dict[str, Any]:
    """The control values that reproduce ``config`` (the inverse of `config_from_controls`)."""
    return {
        "width_1": config.widths[0],
        "width_2": config.widths[1] if len(config.widths) > 1 else 0,
        "dropout_rate": config.dropout_rate,
        "l2": config.l2,
        "learning_rate": config.learning_rate,
        "batch_size": config.batch_size,
        "epochs": config.epochs,
        "early_stopping": config.patience is not None,
        "patience": config.patience if config.patience is not None else patience_when_off,
        "norm": config.norm,
        "seed": config.seed,
    }


def preset_of(config: ClickConfig) -> str | None:
    """Which preset ``config`` is (model seed aside), or None for the learner's own mix."""
    for name, preset in PRESETS.items():
        if replace(config, seed=preset.seed) == preset:
            return name
    return None


def architecture(config: ClickConfig) -> str:
    """The network as the seed writes it: Dense(64) → Dropout(0.3) → Dense(32) → ... → Dense(1)."""
    parts = []
    for width in config.widths:
        parts.append(f"Dense({width}, relu)")
        if config.norm == "batchnorm":
            parts[-1] = f"Dense({width}) → BatchNorm → relu"
        if config.dropout_rate > 0:
            parts.append(f"Dropout({config.dropout_rate:g})")
    return " → ".join([*parts, "Dense(1, sigmoid)"])


def parameter_count(n_features: int, config: ClickConfig) -> int:
    """Trainable numbers in the network (batch norm adds a scale and a shift per unit)."""
    sizes = (n_features, *config.widths, 1)
    dense = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return dense + (2 * sum(config.widths) if config.norm == "batchnorm" else 0)


def lever_changes(config: ClickConfig, reference: ClickConfig = BEFORE) -> list[str]:
    """What differs from ``reference``, one short phrase per lever ("dropout 0 → 0.3")."""
    def early(c: ClickConfig) -> str:
        return "off" if c.patience is None else f"patience {c.patience}"

    levers = [
        ("layers", "-".join(map(str, reference.widths)), "-".join(map(str, config.widths))),
        ("dropout", f"{reference.dropout_rate:g}", f"{config.dropout_rate:g}"),
        ("L2", f"{reference.l2:g}", f"{config.l2:g}"),
        ("learning rate", f"{reference.learning_rate:g}", f"{config.learning_rate:g}"),
        ("batch size", str(reference.batch_size), str(config.batch_size)),
        ("epochs", str(reference.epochs), str(config.epochs)),
        ("early stopping", early(reference), early(config)),
        ("batch norm", "on" if reference.norm == "batchnorm" else "off", "on" if config.norm == "batchnorm" else "off"),
    ]
    return [f"{name} {old} → {new}" for name, old, new in levers if old != new]


def settings_warnings(config: ClickConfig) -> list[str]:
    """Settings that will train but are unlikely to do what the learner wants, and why."""
    notes = []
    if config.learning_rate >= 0.1:
        usual = AFTER.learning_rate  # Adam's usual step, and the seed's solution's
        notes.append(f"Learning rate {config.learning_rate:g} is {config.learning_rate / usual:,.0f}x Adam's usual "
                     f"{usual:g}: expect the loss to jump around or blow up.")
    if config.dropout_rate >= 0.7:
        notes.append(f"Dropout {config.dropout_rate:g} silences most units in every step: the network may be too "
                     "weak to learn even the training data (underfitting).")
    if config.patience is not None and config.patience >= config.epochs:
        notes.append(f"Patience {config.patience} is not smaller than the {config.epochs} epochs: early stopping "
                     "can never fire (the best epoch is still restored at the end).")
    return notes


# --- runs ------------------------------------------------------------------------------------


def _accuracy_and_loss(model: click_mlp.ClickModel, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = np.clip(click_mlp.predict_proba(model, x).astype(np.float64), 1e-7, 1 - 1e-7)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean((p > DECISION_THRESHOLD) == (y > 0.5))), float(loss)


def experiment_results(run: TrainingRun, data: ClickData) -> dict[str, Any]:
    """The seed's Results block for a finished run, plus whether each target is met.

    Accuracy and loss are of the model the run ends with (the restored best epoch when early
    stopping fired), evaluated without dropout; ``seconds`` is the time spent training.
    """
    model: click_mlp.ClickModel = run.params
    train_acc, train_loss = _accuracy_and_loss(model, data.X_train, data.y_train)
    val_acc, val_loss = _accuracy_and_loss(model, data.X_val, data.y_val)
    seconds = float(sum(rec.seconds for rec in run.history))
    targets = {
        "val_accuracy_at_least_80": val_acc >= VAL_TARGET,
        "train_accuracy_below_88": train_acc < TRAIN_LIMIT,
        "under_5_minutes": seconds < SECONDS_LIMIT,
    }
    return {
        "train_accuracy": train_acc,
        "val_accuracy": val_acc,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "seconds": seconds,
        "epochs_trained": run.epochs_done,
        "best_epoch": run.best_epoch,
        "bayes_val_accuracy": data.bayes_val_accuracy,
        **targets,
        "all_targets_met": all(targets.values()),
    }


def run_summary(run: TrainingRun, data: ClickData) -> dict[str, Any]:
    """A finished (or stopped) run as plain values: the seed's results plus its curves.

    ``diverged`` runs carry no results: their weights are meaningless.
    """
    summary: dict[str, Any] = {
        "history": list(run.history),
        "stop_reason": run.stop_reason,
        "message": run.message,
        "diverged": run.diverged,
    }
    if run.history and not summary["diverged"]:
        summary.update(experiment_results(run, data))
    return summary


def restored_epoch(run: TrainingRun, config: ClickConfig) -> int | None:
    """The earlier epoch whose weights the run ended with (early stopping's restore), if any."""
    if config.patience is None or run.stop_reason not in (EARLY_STOPPED, COMPLETED):
        return None
    return run.best_epoch if 0 < run.best_epoch < run.epochs_done else None


def fit_summary(data: ClickData, config: ClickConfig) -> dict[str, Any]:
    """Train ``config`` to the end and summarise it (the page caches this per data seed)."""
    return run_summary(fit_click(data, config), data)


def results_line(label: str, results: dict[str, Any]) -> str:
    """One line in the seed's format: "Before: Training accuracy 90%, Validation accuracy 70%, ..."."""
    if "val_accuracy" not in results:
        return f"**{label}:** no results — the run diverged."
    return (f"**{label}:** Training accuracy {results['train_accuracy']:.1%}, Validation accuracy "
            f"{results['val_accuracy']:.1%}, Training loss {results['train_loss']:.3f}, Validation loss "
            f"{results['val_loss']:.3f}")


def target_checks(results: dict[str, Any]) -> list[tuple[str, bool]]:
    """The seed's three targets with the run's own numbers, read as one goal: a model that generalises.

    A training accuracy under 88% only counts when validation reaches 80% too, so a model that
    learned nothing (chance level) can never turn a target green.
    """
    shown = {
        "val_accuracy_at_least_80": f"{results['val_accuracy']:.1%}",
        "train_accuracy_below_88": f"training {results['train_accuracy']:.1%}",
        "under_5_minutes": f"{results['seconds']:.1f} s",
    }
    met = {
        "val_accuracy_at_least_80": results["val_accuracy_at_least_80"],
        "train_accuracy_below_88": results["train_accuracy_below_88"] and results["val_accuracy_at_least_80"],
        "under_5_minutes": results["under_5_minutes"],
    }
    return [(f"{label}: {shown[key]}", bool(met[key])) for key, label in TARGETS]


def at_chance(results: dict[str, Any], data: ClickData) -> bool:
    """Validation accuracy no better than always answering the more common label (plus a margin)."""
    majority = max(float(data.y_val.mean()), 1.0 - float(data.y_val.mean()))
    return results["val_accuracy"] < majority + CHANCE_MARGIN


def chance_message(results: dict[str, Any], data: ClickData) -> str:
    majority = max(float(data.y_val.mean()), 1.0 - float(data.y_val.mean()))
    return (f"This model is at chance level: {results['val_accuracy']:.1%} on validation, where always answering the more "
            f"common label scores {majority:.1%}. It has not learned anything, so no target counts as met — a very high "
            "dropout rate or learning rate usually does this.")


# --- one lever at a time ------------------------------------------------------------------------

EARLY_LEVER = f"early stopping (patience {AFTER.patience})"
LEVERS: dict[str, ClickConfig] = {
    f"dropout {AFTER.dropout_rate:g}": replace(BEFORE, dropout_rate=AFTER.dropout_rate),
    EARLY_LEVER: replace(BEFORE, patience=AFTER.patience),
    f"smaller second layer ({AFTER.widths[-1]})": replace(BEFORE, widths=AFTER.widths),
    f"learning rate {AFTER.learning_rate:g}": replace(BEFORE, learning_rate=AFTER.learning_rate),
    "all four (the seed's solution)": AFTER,
}


def lever_rows(before: dict[str, Any], runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run of the sweep: accuracies, the gap and whether every target is met."""
    rows = []
    for name, result in {"Before (no change)": before, **runs}.items():
        if "val_accuracy" not in result:
            rows.append({"change from Before": name, "training accuracy (%)": None, "validation accuracy (%)": None,
                         "gap (points)": None, "epochs": None, "all targets met": "diverged"})
            continue
        met = all(passed for _, passed in target_checks(result))
        rows.append({"change from Before": name, "training accuracy (%)": 100 * result["train_accuracy"],
                     "validation accuracy (%)": 100 * result["val_accuracy"], "gap (points)": gap_points(result),
                     "epochs": result["epochs_trained"], "all targets met": "yes" if met else "no"})
    return rows


def lever_verdict(runs: dict[str, dict[str, Any]]) -> str:
    """Which single changes met every target in this sweep, in one sentence from the numbers."""
    single = {name: r for name, r in runs.items() if not name.startswith("all four") and "val_accuracy" in r}
    winners = [name for name, r in single.items() if all(passed for _, passed in target_checks(r))]
    best = max(single, key=lambda n: single[n]["val_accuracy"]) if single else None
    if winners:
        text = (f"On this data, {' and '.join(f'**{w}**' for w in winners)} alone "
                f"{'meets' if len(winners) == 1 else 'each meet'} all three targets")
    else:
        text = "No single change meets all three targets on this data"
    if best is not None:
        text += (f"; the biggest single gain in validation accuracy comes from **{best}** "
                 f"({100 * single[best]['val_accuracy']:.1f}%).")
    return text


def gap_points(results: dict[str, Any]) -> float:
    """Training minus validation accuracy, in percentage points: the overfitting gap."""
    return 100.0 * (results["train_accuracy"] - results["val_accuracy"])


def compare_validation(a: dict[str, Any], b: dict[str, Any]) -> str:
    """'higher', 'lower' or 'tie': is run ``a``'s validation accuracy above ``b``'s?"""
    diff = 100.0 * (a["val_accuracy"] - b["val_accuracy"])
    return "tie" if abs(diff) < TIE_POINTS else "higher" if diff > 0 else "lower"


def bonus_verdict(dropout: dict[str, Any], batchnorm: dict[str, Any]) -> str:
    """The bonus experiment's finding in one sentence, from the two runs' numbers."""
    verdict = compare_validation(batchnorm, dropout)
    numbers = (f"batch norm instead of dropout reached **{batchnorm['val_accuracy']:.1%}** validation accuracy "
               f"(training {batchnorm['train_accuracy']:.1%}, {batchnorm['epochs_trained']} epochs), dropout "
               f"**{dropout['val_accuracy']:.1%}** (training {dropout['train_accuracy']:.1%}, "
               f"{dropout['epochs_trained']} epochs)")
    if verdict == "lower":
        return (f"**Dropout won here:** {numbers}. Batch norm steadies and speeds up training, but it does not "
                "stop the network from memorising accidental clicks the way randomly silenced units do.")
    if verdict == "higher":
        return f"**Batch norm won here:** {numbers}."
    return f"**About a tie** (within {TIE_POINTS} points): {numbers}."


# --- traces ----------------------------------------------------------------------------------


def click_stages(data: ClickData, config: ClickConfig, model: click_mlp.ClickModel, results: dict[str, Any]) -> list[dict[str, str]]:
    """The experiment's stages, from the dataset and the model in memory."""
    n_all, d = data.n_train + data.n_val, data.n_features
    first_title = str(data.item_titles[data.items_train[0]])
    p0 = float(click_mlp.predict_proba(model, data.X_train[:1])[0])
    v0 = float(click_mlp.predict_proba(model, data.X_val[:1])[0])
    trained = "val_accuracy" in results
    return [
        stage("Click log (fixed dataset)", f"{n_all:,} impressions",
              "Users are shown items; each impression is clicked (1) or not (0). The click follows a hidden "
              "true probability, so accidental clicks and skipped favourites are part of the data",
              f"{n_all:,} rows x (user, item, click)",
              f"User {data.users_train[0]} shown “{first_title}” → click {int(data.y_train[0])} "
              f"(true click probability {data.p_train[0]:.2f})"),
        stage("Feature engineering", f"{n_all:,} rows x (user, item, click)",
              f"Describe each impression by {d} numbers: the user's taste profile and activity, the item's "
              "genres and popularity, and how well the two match",
              f"{n_all:,} rows x {d} features",
              ", ".join(data.feature_names[:2]) + f", ..., {data.feature_names[-1]}"),
        stage("Split and standardise", f"{n_all:,} rows x {d}",
              "Split into training and validation impressions; scale every feature with the training set's mean "
              "and spread only (validation stays unseen)",
              f"train {data.n_train:,} x {d}, validation {data.n_val:,} x {d}",
              f"First training row: {vector_text(data.X_train[0])}; click rate {data.y_train.mean():.1%} (train), "
              f"{data.y_val.mean():.1%} (validation)"),
        stage("Model", f"(batch, {d})", architecture(config),
              "(batch, 1) click probability",
              f"{parameter_count(d, config):,} trainable numbers for {data.n_train:,} training impressions"),
        stage("Training", f"{data.n_train:,} x {d}, batches of {config.batch_size}",
              f"Adam (learning rate {config.learning_rate:g}) on binary cross-entropy"
              + (f" + L2 {config.l2:g}" if config.l2 else "")
              + (f"; early stopping on validation loss, patience {config.patience}" if config.patience else "")
              + f"; up to {config.epochs} epochs",
              "trained weights",
              (f"Training loss {results['train_loss']:.3f} after {results['epochs_trained']} epochs; "
               f"first training row predicted {p0:.2f} (clicked: {int(data.y_train[0])})") if trained
              else "the run diverged: no trained weights"),
        stage("Evaluation", f"{data.n_val:,} x {d} validation rows",
              f"Predict without dropout; a click is predicted when the probability is above {DECISION_THRESHOLD:g}; "
              "accuracy = share predicted right",
              f"{data.n_val:,} predictions",
              (f"Validation accuracy {results['val_accuracy']:.1%} (ceiling {data.bayes_val_accuracy:.1%}); "
               f"first validation row predicted {v0:.2f} (clicked: {int(data.y_val[0])})") if trained
              else f"ceiling {data.bayes_val_accuracy:.1%}"),
    ]


def dropout_example(values: np.ndarray, rate: float, seed: int = 0) -> np.ndarray:
    """What one training step's inverted dropout would do to ``values`` (zeros and 1/(1-rate) scaling)."""
    values = np.asarray(values, dtype=float)
    keep = np.random.default_rng(seed).random(values.shape) >= rate
    return np.where(keep, values / (1.0 - rate), 0.0)


@dataclass(frozen=True)
class ExampleChoice:
    """A validation impression to trace, with what is known about it."""

    row: int
    user: int
    title: str
    clicked: int
    true_probability: float


def example_choices(data: ClickData, count: int = 40) -> list[ExampleChoice]:
    """The first ``count`` validation impressions, for the prediction trace's picker."""
    return [
        ExampleChoice(i, int(data.users_val[i]), str(data.item_titles[data.items_val[i]]), int(data.y_val[i]),
                      float(data.p_val[i]))
        for i in range(min(count, data.n_val))
    ]


# --- the quiz's bonus question and the key insight ----------------------------------------------


def bonus_outcome(dropout: dict[str, Any], batchnorm: dict[str, Any]) -> tuple[str, tuple[int, str]]:
    """(sentence, (right option, explanation)) for "does batch norm beat dropout here?"."""
    sentence = bonus_verdict(dropout, batchnorm)
    return sentence, ({"higher": 0, "tie": 1, "lower": 2}[compare_validation(batchnorm, dropout)], sentence)


def quiz_numbers(before: dict[str, Any], early: dict[str, Any], data: ClickData) -> dict[str, Any]:
    """The quiz bank's template fields: the Before run, the early-stopping lever run, the settings.

    ``early`` is the one-lever run "early stopping" of the sweep; its best and last epochs are
    the ones the early-stopping question asks about.
    """
    nan = float("nan")
    return {"before_train": before.get("train_accuracy", nan), "before_val": before.get("val_accuracy", nan),
            "dropout": AFTER.dropout_rate, "scale": 1.0 / (1.0 - AFTER.dropout_rate), "patience": AFTER.patience,
            "best_epoch": early.get("best_epoch", "?"), "stop_epoch": early.get("epochs_trained", "?"),
            "threshold": DECISION_THRESHOLD, "ceiling": data.bayes_val_accuracy, "tie": TIE_POINTS}


def insight(before: dict[str, Any], mine: dict[str, Any], changes: list[str], sweep: str | None,
            data: ClickData) -> str:
    """What this learner's own run showed, in sentences made from its numbers."""
    if "val_accuracy" not in mine:
        return ("Your last run diverged, so nothing was learned: lower the learning rate and train again."
                if mine.get("diverged") else "Train a model on the Training tab and this says what your own run showed.")
    text = (f"Before: training accuracy {before['train_accuracy']:.1%}, validation {before['val_accuracy']:.1%} — a gap of "
            f"**{gap_points(before):.1f} points**. Your run: training {mine['train_accuracy']:.1%}, validation "
            f"**{mine['val_accuracy']:.1%}** — a gap of **{gap_points(mine):.1f} points**, with the ceiling at "
            f"{data.bayes_val_accuracy:.1%}. ")
    text += (f"You changed: {'; '.join(changes)}. " if changes else
             "You have not changed any lever yet: load the seed's solution or move a slider. ")
    met = sum(passed for _, passed in target_checks(mine))
    text += "All three targets are met." if met == len(TARGETS) else f"{met} of the {len(TARGETS)} targets are met."
    if at_chance(mine, data):
        text += " " + chance_message(mine, data)
    if sweep:
        text += " " + sweep
    return text


def prediction_sentence(probability: float, example: ExampleChoice) -> str:
    return (f"Predicted click probability **{probability:.2f}** → predicts **{'click' if probability > 0.5 else 'no click'}**. "
            f"The truth: the user {'clicked' if example.clicked else 'did not click'}, and their true click probability "
            f"was {example.true_probability:.2f} — even a perfect model is wrong on an impression that went against its odds.")
