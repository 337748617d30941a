"""Score a model the way published recommender benchmarks do, from the command line.

    python -m recsys_core.evaluate PATH [--model mf|bayes] [--folds 5 | --test TEST] [--seed 0] [--json]
                                   [--k K] [--epochs E --lr LR --l2 L2] [--samples S --burn-in B]

PATH is any ratings file `recsys_core.data.load_ratings` reads, ``synthetic`` /
``synthetic:943x1682x100000:SEED`` for the lessons' generated data, or ``movielens-like[:SEED]``
/ ``movielens-like-1m[:SEED]`` for synthetic data calibrated to MovieLens-100K / 1M
(`recsys_core.data.movielens_like`). The k-fold protocol is Surprise's (the library whose SVD
numbers are the usual reference): the ratings are shuffled once and cut into ``--folds``
folds; each fold is predicted by a model trained on the others, predictions are clipped to the
rating scale, and RMSE/MAE are averaged over folds. Same seed, same folds as
``surprise.model_selection.KFold(folds, random_state=seed)``, so the numbers are directly
comparable with Surprise's. With ``--test TEST`` the model trains on PATH and is scored on
TEST instead (MovieLens' canonical ``u1.base`` / ``u1.test`` protocol; ids are matched by
their original values, and users or items only in TEST get the model's prior guess).

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
import pandas as pd

from recsys_core import data as data_module
from recsys_core.data import ML_1M, ML_100K, Ratings, movielens_like, synthetic
from recsys_core.training.bayes import BayesConfig, fit_bayes_folds
from recsys_core.training.cross_validation import fit_mf_folds
from recsys_core.training.mf import MFConfig, MFProgram, mf_trainer

# Biased-MF settings tuned on the movielens-like preset (calibrated so Surprise scores there
# what it scores on real MovieLens-100K) under Surprise's 5-fold protocol; the search is in
# bench/README.md. Rank 10 with strong L2 (0.1) on factors and biases, 12 epochs of per-rating
# SGD from a high rate decaying by 0.8 per epoch: 0.894 RMSE against SVD's 0.931 there. Ranks
# 5-50 and 12-20 epochs scored within 0.003; L2 0.05 or 0.15 cost 0.015-0.03.
EVAL_DEFAULTS = MFConfig(k=10, learning_rate=0.06, l2=0.1, epochs=12, batch_size=256, lr_decay=0.8)

# Bayesian MF scores with the library's defaults (tuned on movielens-like; see `BayesConfig`).
BAYES_DEFAULTS = BayesConfig()

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


def cross_validate(ratings: Ratings, config: MFConfig | BayesConfig = EVAL_DEFAULTS, n_folds: int = 5, seed: int = 0) -> CrossValidation:
    """Biased MF (an `MFConfig`) or Bayesian MF (a `BayesConfig`) on Surprise's shuffled folds."""
    return score_folds(data_module.kfold(ratings, n_folds, seed), config)


def train_test(train: Ratings, test: Ratings, config: MFConfig | BayesConfig = EVAL_DEFAULTS) -> CrossValidation:
    """Train on ``train``, score on ``test`` (one fold); their ids are matched first (see `align`)."""
    return score_folds([align(train, test)], config)


def score_folds(folds: Sequence[tuple[Ratings, Ratings]], config: MFConfig | BayesConfig = EVAL_DEFAULTS) -> CrossValidation:
    """Train one model per (train, test) fold and score its test set; times include compiles."""
    compile_before = compile_seconds_so_far()
    started = time.perf_counter()
    if isinstance(config, BayesConfig):
        # Every fold's chain in one compiled program (see `fit_bayes_folds`).
        scores = fit_bayes_folds(folds, config)
        model, rmses, maes = "bayes", scores.rmse, scores.mae
    elif config.optimizer == "sgd":
        # Every fold in one compiled program (see `fit_mf_folds`).
        scores = fit_mf_folds(folds, config)
        model, rmses, maes = "mf", scores.rmse, scores.mae
    else:
        model, rmses, maes = "mf", [], []
        for train, test in folds:
            trainer = mf_trainer(train, None, config)
            run = trainer.fit()
            program: MFProgram = trainer.program
            _, fold_rmse, fold_mae = program.score(run.params, test)
            rmses.append(fold_rmse)
            maes.append(fold_mae)
    return CrossValidation(
        model=model,
        rmse_per_fold=tuple(float(x) for x in rmses),
        mae_per_fold=tuple(float(x) for x in maes),
        fit_seconds=time.perf_counter() - started,
        compile_seconds=compile_seconds_so_far() - compile_before,
    )


def align(train: Ratings, test: Ratings) -> tuple[Ratings, Ratings]:
    """Re-index two separately loaded files onto one catalogue, matching ids by original value.

    Each file numbers its users and items 0..n-1 on its own, so the same index can mean
    different users; both are mapped onto the union of their ids (sorted, train's first when
    the types differ). Both share the union of their rating scales.
    """
    user_ids = pd.Index(train.user_ids).union(pd.Index(test.user_ids), sort=False)
    item_ids = pd.Index(train.item_ids).union(pd.Index(test.item_ids), sort=False)
    scale = (min(train.rating_scale[0], test.rating_scale[0]), max(train.rating_scale[1], test.rating_scale[1]))

    def onto(part: Ratings) -> Ratings:
        return Ratings(
            users=user_ids.get_indexer(part.user_ids[part.users]).astype(np.int32),
            items=item_ids.get_indexer(part.item_ids[part.items]).astype(np.int32),
            ratings=part.ratings, n_users=len(user_ids), n_items=len(item_ids),
            user_ids=user_ids.to_numpy(), item_ids=item_ids.to_numpy(), timestamps=part.timestamps,
            source=part.source, rating_scale=scale, notes=part.notes,
        )

    return onto(train), onto(test)


def load(spec: str) -> Ratings:
    """A ratings file, ``synthetic[:USERSxITEMSxRATINGS[:SEED]]`` (default 943x1682x100000:0),
    or ``movielens-like[:SEED]`` / ``movielens-like-1m[:SEED]``."""
    name, _, rest = spec.partition(":")
    if name in (ML_100K.name, ML_1M.name):
        try:
            seed = int(rest) if rest else 0
        except ValueError as error:
            raise data_module.RatingsFormatError(spec, f"write the preset as {name}:SEED, e.g. {name}:0") from error
        return movielens_like(seed, ML_100K if name == ML_100K.name else ML_1M)
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
    parser.add_argument("path", help="ratings file, synthetic[:943x1682x100000:SEED] or movielens-like[-1m][:SEED]")
    parser.add_argument("--model", default="mf", choices=["mf", "bayes"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--test", help="score on this ratings file instead of k-fold (e.g. u1.base + --test u1.test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--k", type=int, help=f"rank (default mf {EVAL_DEFAULTS.k}, bayes {BAYES_DEFAULTS.rank})")
    parser.add_argument("--epochs", type=int, help=f"mf: epochs (default {EVAL_DEFAULTS.epochs})")
    parser.add_argument("--lr", type=float, help=f"mf: learning rate (default {EVAL_DEFAULTS.learning_rate})")
    parser.add_argument("--l2", type=float, help=f"mf: L2 regularisation (default {EVAL_DEFAULTS.l2})")
    parser.add_argument("--samples", type=int, help=f"bayes: kept samples (default {BAYES_DEFAULTS.n_samples})")
    parser.add_argument("--burn-in", type=int, help=f"bayes: sweeps thrown away first (default {BAYES_DEFAULTS.burn_in})")
    args = parser.parse_args(argv)

    try:
        if args.model == "mf":
            overrides = {name: value for name, value in (
                ("k", args.k), ("epochs", args.epochs), ("learning_rate", args.lr), ("l2", args.l2)) if value is not None}
            wrong = [flag for flag, value in (("--samples", args.samples), ("--burn-in", args.burn_in)) if value is not None]
            config: MFConfig | BayesConfig = replace(EVAL_DEFAULTS, **overrides)
        else:
            overrides = {name: value for name, value in (
                ("rank", args.k), ("n_samples", args.samples), ("burn_in", args.burn_in)) if value is not None}
            wrong = [flag for flag, value in (("--epochs", args.epochs), ("--lr", args.lr), ("--l2", args.l2)) if value is not None]
            config = replace(BAYES_DEFAULTS, **overrides)
        if wrong:
            raise ValueError(f"{', '.join(wrong)} do(es) not apply to --model {args.model}")
        ratings = load(args.path)
        test = load(args.test) if args.test is not None else None
        if test is None and not 2 <= args.folds <= len(ratings):
            raise ValueError(f"--folds must be between 2 and the number of ratings ({len(ratings)})")
    except (data_module.RatingsFormatError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    if test is None:
        result = cross_validate(ratings, config, args.folds, args.seed)
        protocol = f"{args.folds} shuffled folds, seed {args.seed}"
    else:
        result = train_test(ratings, test, config)
        protocol = f"trained on {ratings.source}, tested on {test.source} ({len(test):,} ratings)"
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    print(f"{ratings.source}: {len(ratings):,} ratings, {ratings.n_users:,} users x {ratings.n_items:,} items")
    print(f"model {args.model} ({config}), {protocol}")
    for fold, (r, m) in enumerate(zip(result.rmse_per_fold, result.mae_per_fold, strict=True), start=1):
        print(f"  fold {fold}: RMSE {r:.4f}  MAE {m:.4f}")
    print(f"  mean:   RMSE {result.rmse:.4f}  MAE {result.mae:.4f}")
    print(f"fit {result.fit_seconds:.2f} s (of which compiling {result.compile_seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
