"""Score a model the way published recommender benchmarks do, from the command line.

    python -m recsys_core.evaluate PATH --model mf --folds 5 --seed 0 [--json]
                                   [--k K --epochs E --lr LR --l2 L2]

PATH is any ratings file `recsys_core.data.load_ratings` reads, or ``synthetic`` /
``synthetic:943x1682x100000:SEED`` for generated data shaped like MovieLens-100K. The protocol
is Surprise's (the library whose SVD numbers are the usual reference): the ratings are shuffled
once and cut into ``--folds`` folds; each fold is predicted by a model trained on the others,
predictions are clipped to the rating scale, and RMSE/MAE are averaged over folds. Same seed,
same folds as ``surprise.model_selection.KFold(folds, random_state=seed)``, so the numbers are
directly comparable with Surprise's.

Why a CLI: a learner (or CI) can check the app's model against known figures on real data
without opening the app, and `bench/mf_vs_surprise.py` reuses `cross_validate`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import jax
import numpy as np

from recsys_core import data as data_module
from recsys_core.data import Ratings, synthetic
from recsys_core.training.cross_validation import fit_mf_folds
from recsys_core.training.mf import MFConfig, MFProgram, mf_trainer

# The best biased-MF settings found on ML-100K-shaped synthetic data under Surprise's 5-fold
# protocol (bench/README.md has the search): rank 20 with strong L2 on factors and biases, 8
# epochs of per-rating SGD starting at a high rate that decays by 0.8 per epoch. That scores
# as well as 30 epochs at a constant 0.01 (0.882 vs 0.880 RMSE) in a quarter of the epochs.
# Larger ranks (50-100) scored the same or worse at several times the cost.
EVAL_DEFAULTS = MFConfig(k=20, learning_rate=0.06, l2=0.1, epochs=8, batch_size=256, lr_decay=0.8)

_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_compile_seconds = [0.0]


def _on_duration(event: str, duration: float, **_: object) -> None:
    if event in _COMPILE_EVENTS:
        _compile_seconds[0] += duration


jax.monitoring.register_event_duration_secs_listener(_on_duration)


def compile_seconds_so_far() -> float:
    """Seconds this process has spent tracing and compiling JAX programs (from jax.monitoring)."""
    return _compile_seconds[0]


@dataclass(frozen=True)
class CrossValidation:
    """Per-fold and mean scores of one model under the k-fold protocol."""

    model: str
    rmse_per_fold: tuple[float, ...]
    mae_per_fold: tuple[float, ...]
    fit_seconds: float  # wall time of all folds' training, compiles included
    compile_seconds: float  # the part of fit_seconds spent tracing/compiling

    @property
    def rmse(self) -> float:
        return float(np.mean(self.rmse_per_fold))

    @property
    def mae(self) -> float:
        return float(np.mean(self.mae_per_fold))

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "folds": len(self.rmse_per_fold),
            "rmse": self.rmse,
            "mae": self.mae,
            "rmse_per_fold": list(self.rmse_per_fold),
            "mae_per_fold": list(self.mae_per_fold),
            "fit_seconds": self.fit_seconds,
            "compile_seconds": self.compile_seconds,
        }


def cross_validate(ratings: Ratings, config: MFConfig = EVAL_DEFAULTS, n_folds: int = 5, seed: int = 0) -> CrossValidation:
    """Biased MF scored on Surprise's shuffled rating-level folds."""
    compile_before = compile_seconds_so_far()
    started = time.perf_counter()
    folds = data_module.kfold(ratings, n_folds, seed)
    if config.optimizer == "sgd":
        # Every fold in one compiled program (see `fit_mf_folds`).
        scores = fit_mf_folds(folds, config)
        rmses, maes = scores.rmse, scores.mae
    else:
        rmses, maes = [], []
        for train, test in folds:
            trainer = mf_trainer(train, None, config)
            run = trainer.fit()
            program: MFProgram = trainer.program
            _, fold_rmse, fold_mae = program.score(run.params, test)
            rmses.append(fold_rmse)
            maes.append(fold_mae)
    return CrossValidation(
        model="mf",
        rmse_per_fold=tuple(float(x) for x in rmses),
        mae_per_fold=tuple(float(x) for x in maes),
        fit_seconds=time.perf_counter() - started,
        compile_seconds=compile_seconds_so_far() - compile_before,
    )


def load(spec: str) -> Ratings:
    """A ratings file, or ``synthetic[:USERSxITEMSxRATINGS[:SEED]]`` (default 943x1682x100000:0)."""
    if spec == "synthetic" or spec.startswith("synthetic:"):
        parts = spec.split(":")
        try:
            shape = parts[1] if len(parts) > 1 and parts[1] else "943x1682x100000"
            n_users, n_items, n_ratings = (int(x) for x in shape.lower().split("x"))
            seed = int(parts[2]) if len(parts) > 2 else 0
        except ValueError as error:
            raise data_module.RatingsFormatError(
                spec, "write synthetic data as synthetic:USERSxITEMSxRATINGS:SEED, e.g. synthetic:943x1682x100000:0"
            ) from error
        return synthetic(n_users=n_users, n_items=n_items, n_ratings=n_ratings, seed=seed)
    return data_module.load_ratings(spec)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 unreadable data or bad arguments)."""
    parser = argparse.ArgumentParser(prog="python -m recsys_core.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="ratings file, or synthetic / synthetic:943x1682x100000:SEED")
    parser.add_argument("--model", default="mf", choices=["mf"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--k", type=int, help=f"rank (default {EVAL_DEFAULTS.k})")
    parser.add_argument("--epochs", type=int, help=f"epochs (default {EVAL_DEFAULTS.epochs})")
    parser.add_argument("--lr", type=float, help=f"learning rate (default {EVAL_DEFAULTS.learning_rate})")
    parser.add_argument("--l2", type=float, help=f"L2 regularisation (default {EVAL_DEFAULTS.l2})")
    args = parser.parse_args(argv)

    overrides = {name: value for name, value in (
        ("k", args.k), ("epochs", args.epochs), ("learning_rate", args.lr), ("l2", args.l2)) if value is not None}
    try:
        config = replace(EVAL_DEFAULTS, **overrides)
        ratings = load(args.path)
        if not 2 <= args.folds <= len(ratings):
            raise ValueError(f"--folds must be between 2 and the number of ratings ({len(ratings)})")
    except (data_module.RatingsFormatError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    result = cross_validate(ratings, config, args.folds, args.seed)
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    print(f"{ratings.source}: {len(ratings):,} ratings, {ratings.n_users:,} users x {ratings.n_items:,} items")
    print(f"model mf ({config}), {args.folds} shuffled folds, seed {args.seed}")
    for fold, (r, m) in enumerate(zip(result.rmse_per_fold, result.mae_per_fold, strict=True), start=1):
        print(f"  fold {fold}: RMSE {r:.4f}  MAE {m:.4f}")
    print(f"  mean:   RMSE {result.rmse:.4f}  MAE {result.mae:.4f}")
    print(f"fit {result.fit_seconds:.2f} s (of which compiling {result.compile_seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
