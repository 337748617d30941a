"""Each control's effect at lessons 1-3's defaults, over data seeds 0, 1 and 2: the table behind
`recsys_core.lessons.defaults` and the claim tests.

    python -m bench.lesson_effects

The same runs as `tests/unit/test_lesson_defaults.py` (its cached helpers: the app's data and split,
model seed 0), printed instead of asserted: the default's own figure, then "control value minus
default" as min..max over the seeds (validation RMSE in stars for lessons 1-2; simulated CTR and
validation accuracy in percentage points for lesson 3); for lesson 4 the one-lever sweep as the page
runs it, per seed (seed 0 / 1 / 2). Not a test; a few minutes on 2 cores.
"""

from __future__ import annotations

from dataclasses import replace

from recsys_core.data import click_dataset
from recsys_core.evaluation import engagement as eg
from recsys_core.lessons import defaults
from recsys_core.lessons import overfitting as ol
from recsys_core.lessons.collaborative_filtering import run_preprocessing
from recsys_core.training.clicks import BEFORE
from tests.unit.test_lesson_defaults import SEEDS, ctr, data, mf_run, neural_at, rmse, rmse_after

MF1, MF2, NEURAL = defaults.MF_BASICS, defaults.COLLABORATIVE_FILTERING, defaults.ENGAGEMENT


def _span(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    low, high = min(values) * scale, max(values) * scale
    return f"{low:+.{digits}f}..{high:+.{digits}f}"


def _range(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    return f"{min(values) * scale:.{digits}f}..{max(values) * scale:.{digits}f}"


def _mf_rows(name: str, base, full: bool = True) -> list[tuple[str, str]]:
    """``full``: the lesson also offers batch size and optimizer (lesson 1; lesson 2 does not)."""
    default = [rmse(s, base) for s in SEEDS]
    rows = [(f"{name} default validation RMSE", _range(default))]
    changes = {"rank 1": replace(base, k=1), "rank 5": replace(base, k=5), "rank 64": replace(base, k=64),
               "L2 0": replace(base, l2=0.0), "L2 1.0": replace(base, l2=1.0),
               "learning rate / 4": replace(base, learning_rate=base.learning_rate / 4),
               "batch 32 vs 1024": None, "Adam, same rate": replace(base, optimizer="adam")}
    if not full:
        changes = {label: config for label, config in changes.items() if label.startswith(("rank", "L2", "learning"))}
    for label, config in changes.items():
        if config is None:
            gaps = [rmse(s, replace(base, batch_size=32)) - rmse(s, replace(base, batch_size=1024)) for s in SEEDS]
        else:
            gaps = [rmse(s, config) - rmse(s, base) for s in SEEDS]
        rows.append((f"{name} {label}", _span(gaps)))
    rows.append((f"{name} half the epochs", _span([rmse_after(s, base, base.epochs // 2) - rmse(s, base) for s in SEEDS])))
    diverged = [mf_run(s, replace(base, learning_rate=defaults.MF_BASICS_DIVERGING_LEARNING_RATE)).diverged for s in SEEDS]
    rows.append((f"{name} learning rate {defaults.MF_BASICS_DIVERGING_LEARNING_RATE:g}", f"diverged on {sum(diverged)} of 3"))
    return rows


def _neural_rows() -> list[tuple[str, str]]:
    tables = {s: neural_at(s) for s in SEEDS}
    rows = [("lesson 3 default CTR (model), %", _range([ctr(tables[s][1]) for s in SEEDS], 100, 1)),
            ("lesson 3 default validation accuracy, %", _range([tables[s][0] for s in SEEDS], 100, 1))]
    for policy in (eg.POPULAR, eg.RANDOM, eg.HIGHEST_RATED):
        rows.append((f"lesson 3 model minus {policy}", _span([ctr(tables[s][1]) - ctr(tables[s][1], policy)
                                                              for s in SEEDS], 100, 1)))
    changes = {"embedding 4": replace(NEURAL, embedding_dim=4), "L2 0": replace(NEURAL, l2=0.0),
               "L2 50": replace(NEURAL, l2=50.0), "learning rate / 5": replace(NEURAL, learning_rate=NEURAL.learning_rate / 5),
               "learning rate x 10": replace(NEURAL, learning_rate=NEURAL.learning_rate * 10),
               "mlp scorer": replace(NEURAL, scorer="mlp")}
    for label, config in changes.items():
        runs = {s: neural_at(s, config) for s in SEEDS}
        rows.append((f"lesson 3 {label}: CTR / accuracy",
                     _span([ctr(runs[s][1]) - ctr(tables[s][1]) for s in SEEDS], 100, 1) + " / "
                     + _span([runs[s][0] - tables[s][0] for s in SEEDS], 100, 1)))
    for epochs in (1, NEURAL.epochs // 2):
        runs = {s: neural_at(s, epochs=epochs) for s in SEEDS}
        rows.append((f"lesson 3 {epochs} epoch(s): CTR / accuracy",
                     _span([ctr(runs[s][1]) - ctr(tables[s][1]) for s in SEEDS], 100, 1) + " / "
                     + _span([runs[s][0] - tables[s][0] for s in SEEDS], 100, 1)))
    return rows


def _click_rows() -> list[tuple[str, str]]:
    """Lesson 4's one-lever sweep as the page runs it: Before, then each single change and all four."""
    runs: dict[str, list[dict]] = {}
    for seed in SEEDS:
        data = click_dataset(seed=seed)
        configs = {"Before": BEFORE, **{f"+ {name}": config for name, config in ol.LEVERS.items()}}
        for label, config in configs.items():
            runs.setdefault(label, []).append(ol.fit_summary(data, replace(config, seed=seed)))
    return [(f"lesson 4 {label}: train / validation accuracy, %, all targets met",
             " / ".join(f"{r['train_accuracy'] * 100:.1f}" for r in results) + " | "
             + " / ".join(f"{r['val_accuracy'] * 100:.1f}" for r in results) + " | "
             + " / ".join("yes" if r["all_targets_met"] else "no" for r in results))
            for label, results in runs.items()]


def main() -> None:
    rows = _mf_rows("lesson 1", MF1) + _mf_rows("lesson 2", MF2, full=False)
    mask = {s: run_preprocessing(*data(s)[1:], "mask", MF2).val_rmse for s in SEEDS}
    for fill, name in (("mean", "the mean"), ("zero", "zeros")):
        rows.append((f"lesson 2 filling with {name} minus the mask",
                     _span([run_preprocessing(*data(s)[1:], fill, MF2).val_rmse - mask[s] for s in SEEDS])))
    rows += _neural_rows() + _click_rows()
    width = max(len(label) for label, _ in rows)
    print(f"{'control at the defaults':<{width}} | effect over data seeds 0-2")
    for label, value in rows:
        print(f"{label:<{width}} | {value}")


if __name__ == "__main__":
    main()
