"""Bayesian biased matrix factorization by Gibbs sampling (BPMF with biases), in JAX.

SGD matrix factorization returns one factorization, tuned by hand (rank, L2, epochs), and says
nothing about how sure it is. Bayesian MF (Salakhutdinov & Mnih 2008) draws many plausible
factorizations from the posterior and averages their predictions instead: how strongly to
shrink each user and item is itself learned from the data (the hyperpriors), nothing overfits
as sampling goes on, and the spread of the samples' predictions says how sure each one is.

This module is the part the app and the CLI use: `BayesConfig`, a sampler shaped like the
app's training loop (`BayesSampler`: init, run a chunk of sweeps as one jitted call,
evaluate), its adapter to that loop (`BayesProgram`, so the app trains it through `Trainer`
like every other model), `fit_bayes` / `predict` (mean and std per prediction), k-fold
scores with all folds in one program (`fit_bayes_folds`) and RMSE against samples drawn
(`rmse_by_samples`).
The model and how a sweep is computed are described in `recsys_core.training.gibbs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from recsys_core.data import Ratings
from recsys_core.training.gibbs import (
    BayesHyper,
    ChainState,
    Layout,
    SweepNoise,
    build_layout,
    compile_count,
    draw_noise,
    gibbs_sweeps,
    init_chain,
)
from recsys_core.training.loop import Evaluation, Trainer, TrainingRun

__all__ = [
    "BayesConfig", "BayesFoldScores", "BayesProgram", "BayesResult", "BayesSampler", "BayesScores", "BayesState",
    "SampleCurve", "bayes_trainer", "compile_count", "fit_bayes", "fit_bayes_folds", "posterior_scorer", "predict",
    "rmse_by_samples",
]


@dataclass(frozen=True)
class BayesConfig:
    """Settings of one Gibbs-sampling run (frozen, so it can key a Streamlit cache).

    ``rank`` is k (the rows carry k + 1 numbers with the bias). ``burn_in`` sweeps are drawn
    and thrown away while the chain forgets its random start; the next ``n_samples`` sweeps are
    averaged. The Normal-Wishart hyperprior has mean 0, ``prior_strength`` (beta0) pseudo-rows
    behind that mean, scale matrix ``wishart_scale`` * I and ``wishart_dof`` degrees of freedom
    (None = k + 1, BPMF's choice). The noise precision has a Gamma(``noise_shape``,
    ``noise_rate``) prior. ``init_scale`` is the std of the random starting factors.
    ``sweeps_per_call`` sweeps run in one jitted call (the app redraws between calls).

    The defaults were tuned on `movielens_like` (5-fold; bench/README.md has the search):
    ranks 6-12 scored within 0.0005 of each other, so rank 8 (the sweep's cost is mostly
    per-row overhead, not k); starting factors at 0.3 rather than 0.1 leave the
    all-baseline mode sooner, after which 5, 10 or 20 burn-in sweeps score the same; 60
    sweeps in all score 0.0005 worse than 80 and 0.001 worse than 120, at 3/4 and 1/2 the
    time, which is what keeps the 5-fold run faster than Surprise's SVD.
    """

    rank: int = 8
    n_samples: int = 55
    burn_in: int = 5
    prior_strength: float = 2.0
    wishart_dof: float | None = None
    wishart_scale: float = 1.0
    noise_shape: float = 1.0
    noise_rate: float = 1.0
    init_scale: float = 0.3
    seed: int = 0
    sweeps_per_call: int = 10

    def __post_init__(self) -> None:
        if self.rank < 1 or self.n_samples < 1 or self.burn_in < 0 or self.sweeps_per_call < 1:
            raise ValueError("rank, n_samples and sweeps_per_call must be at least 1, burn_in at least 0")
        if self.wishart_dof is not None and self.wishart_dof <= self.rank:
            raise ValueError(f"wishart_dof must exceed the rank ({self.rank}), got {self.wishart_dof}")
        if self.seed < 0:
            raise ValueError(f"seed must be at least 0, got {self.seed}")

    @property
    def total_sweeps(self) -> int:
        return self.burn_in + self.n_samples

    def hyper(self, rating_scale: tuple[float, float]) -> BayesHyper:
        """The traced part of the settings: new values reuse the compiled program."""
        f32 = np.float32
        return BayesHyper(
            f32(self.prior_strength), f32(self.wishart_scale), f32(self.noise_rate),
            np.int32(self.burn_in), np.int32(self.total_sweeps), f32(rating_scale[0]), f32(rating_scale[1]),
        )

    def noise(self, layout: Layout, n_users: int, n_items: int, first_sweep: int, n_sweeps: int) -> SweepNoise:
        """The random numbers of ``n_sweeps`` sweeps from ``first_sweep`` (see `draw_noise`)."""
        dof = self.rank + 1.0 if self.wishart_dof is None else self.wishart_dof
        return draw_noise(self.seed, np.asarray(layout.fold_key), first_sweep, n_sweeps, n_users, n_items,
                          self.rank + 1, dof, self.noise_shape, np.asarray(layout.fold_ratings))


@dataclass(frozen=True, eq=False)
class BayesState:
    """A chain between calls: its arrays, and the score trace of every sweep drawn so far."""

    chain: ChainState
    trace: np.ndarray  # (sweeps done, groups, 2): summed squared error, posterior mean / sample

    @property
    def sweeps_done(self) -> int:
        return len(self.trace)

    @property
    def samples_kept(self) -> int:
        return int(self.chain.kept)


@dataclass(frozen=True)
class BayesScores:
    """RMSE (clipped predictions) of the posterior mean so far on training and validation data.

    During burn-in no sample is kept yet, so the current sample is scored instead.
    """

    sweeps: int
    samples: int
    train_rmse: float
    val_rmse: float  # NaN without validation data


@dataclass(frozen=True, eq=False)
class BayesResult:
    """A finished chain: the kept samples of every row, for predictions and their spread."""

    config: BayesConfig
    global_mean: float
    user_samples: np.ndarray  # (samples, n_users, rank + 1): [p_u, b_u]
    item_samples: np.ndarray  # (samples, n_items, rank + 1): [q_i, c_i]
    noise_std: float  # posterior mean of 1 / sqrt(tau): the spread of a rating around its mean
    rating_scale: tuple[float, float]
    scores: BayesScores


@dataclass(frozen=True)
class SampleCurve:
    """RMSE on held-out ratings against the number of sweeps drawn (for a chart)."""

    sweeps: np.ndarray  # 1..total
    samples: np.ndarray  # samples averaged after each sweep (0 during burn-in)
    mean_rmse: np.ndarray  # RMSE of the average of the samples kept so far (the current one in burn-in)
    sample_rmse: np.ndarray  # RMSE of that sweep's sample alone


class BayesSampler:
    """Gibbs-samples one training set a chunk of sweeps at a time, as the app's training loop does.

    ``init()`` gives a fresh chain; ``run(state)`` draws ``config.sweeps_per_call`` more sweeps
    in one jitted call (samples past ``config.total_sweeps`` are not kept; a finished chain is
    returned as is);
    ``evaluate(state)`` scores the posterior mean so far; ``result(state)`` hands back the
    kept samples for `predict`. Neither mutates its input.
    """

    def __init__(self, train: Ratings, val: Ratings | None, config: BayesConfig) -> None:
        if len(train) == 0:
            raise ValueError("cannot sample from an empty ratings set")
        self.train, self.val, self.config = train, val, config
        empty = train.subset(np.zeros(0, np.int64))
        self.layout = build_layout([train], [[train, val if val is not None else empty]])
        self.hyper = config.hyper(train.rating_scale)

    @property
    def total_sweeps(self) -> int:
        return self.config.total_sweeps

    def finished(self, state: BayesState) -> bool:
        return state.sweeps_done >= self.total_sweeps

    def init(self) -> BayesState:
        cfg = self.config
        chain = init_chain(self.layout, self.train.n_users, self.train.n_items, cfg.rank, cfg.init_scale, cfg.seed, cfg.n_samples)
        return BayesState(chain=chain, trace=np.zeros((0, 2, 2)))

    def run(self, state: BayesState) -> BayesState:
        if self.finished(state):
            return state
        noise = self.config.noise(self.layout, self.train.n_users, self.train.n_items, int(state.chain.sweep),
                                  self.config.sweeps_per_call)
        chain, trace = gibbs_sweeps(state.chain, self.layout, self.hyper, noise)
        todo = max(0, self.total_sweeps - state.sweeps_done)
        trace = np.asarray(trace, np.float64)[:todo]
        return BayesState(chain=chain, trace=np.concatenate([state.trace, trace]))

    def evaluate(self, state: BayesState) -> BayesScores:
        rmse, _ = _group_scores(self.layout, self.centred_mean(state.chain), self.train.rating_scale)
        return BayesScores(state.sweeps_done, state.samples_kept, rmse[0], rmse[1])

    def centred_mean(self, chain: ChainState) -> np.ndarray:
        """The posterior mean so far on the eval pairs, less mu (the current sample in burn-in)."""
        if int(chain.sweep) == 0:
            return np.zeros(len(self.layout.eval_users), np.float32)
        if float(chain.kept):
            return np.asarray(chain.pred_sum) / float(chain.kept)
        return np.asarray(chain.pred_last)

    def result(self, state: BayesState) -> BayesResult:
        kept = state.samples_kept
        if kept == 0:
            raise ValueError("no sample kept yet: run the chain past its burn-in first")
        return BayesResult(
            config=self.config,
            global_mean=float(self.layout.fold_mean[0]),
            user_samples=np.asarray(state.chain.user_samples)[:kept],
            item_samples=np.asarray(state.chain.item_samples)[:kept],
            noise_std=float(state.chain.noise_sum[0]) / kept,
            rating_scale=self.train.rating_scale,
            scores=self.evaluate(state),
        )

    def curve(self, state: BayesState, group: int = 1) -> SampleCurve:
        """RMSE against sweeps drawn, on validation data (``group=1``) or training data (0)."""
        sweeps = np.arange(1, state.sweeps_done + 1)
        size = max(float(self.layout.group_size[group]), 1.0)
        rmse = np.sqrt(state.trace[:, group, :] / size)
        samples = np.clip(sweeps - self.config.burn_in, 0, self.config.n_samples)
        return SampleCurve(sweeps, samples, rmse[:, 0], rmse[:, 1])


def _group_scores(layout: Layout, centred_pred: np.ndarray, rating_scale: tuple[float, float]) -> tuple[list[float], list[float]]:
    """Per eval group: RMSE and MAE of the clipped predictions (NaN for an empty group)."""
    groups = np.asarray(layout.eval_group)
    n_groups = len(layout.group_size)
    n_folds = len(layout.fold_mean)
    real = groups < n_groups
    fold = groups[real] // (n_groups // n_folds)
    pred = np.clip(np.asarray(layout.fold_mean)[fold] + centred_pred[real], *rating_scale)
    err = pred.astype(np.float64) - np.asarray(layout.eval_ratings)[real]
    size = np.bincount(groups[real], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        rmse = np.sqrt(np.bincount(groups[real], err * err, n_groups) / size)
        mae = np.bincount(groups[real], np.abs(err), n_groups) / size
    return [float(x) for x in rmse], [float(x) for x in mae]


def fit_bayes(train: Ratings, config: BayesConfig = BayesConfig(), val: Ratings | None = None) -> BayesResult:
    """Run the whole chain (burn-in, then ``n_samples`` kept samples) and return its samples."""
    sampler = BayesSampler(train, val, config)
    state = sampler.init()
    while not sampler.finished(state):
        state = sampler.run(state)
    return sampler.result(state)


def predict(result: BayesResult, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean rating (clipped to the scale) and its posterior std, per (user, item).

    The std is that of the *mean rating* mu + b_u + c_i + p_u . q_i over the kept samples:
    how unsure the model is about what this user thinks of this item. It shrinks as the user
    and item get more ratings. A new rating also scatters around its mean by the noise; its
    predictive std is sqrt(std**2 + result.noise_std**2).
    """
    users = np.asarray(users, np.int64)
    items = np.asarray(items, np.int64)
    k = result.config.rank
    mean = np.empty(len(users), np.float64)
    std = np.empty(len(users), np.float64)
    for start in range(0, len(users), 4096):  # bounded memory: samples x 4096 x k at a time
        u = result.user_samples[:, users[start:start + 4096]]
        i = result.item_samples[:, items[start:start + 4096]]
        draws = np.einsum("snk,snk->sn", u[..., :k], i[..., :k]) + u[..., k] + i[..., k]
        mean[start:start + len(draws[0])] = draws.mean(axis=0)
        std[start:start + len(draws[0])] = draws.std(axis=0)
    return np.clip(result.global_mean + mean, *result.rating_scale), std


def posterior_scorer(result: BayesResult) -> Callable[[np.ndarray], np.ndarray]:
    """A function from users to their posterior mean (unclipped) rating of every item, (len(users), n_items).

    The average over samples of p_u . q_i is one matrix product: the samples laid side by side
    make a user's row (S * k numbers) and an item's row, whose dot product sums over samples.
    The items' side is laid out once, here, for every block of users scored later.
    """
    k, n_samples = result.config.rank, len(result.user_samples)
    items = result.item_samples.astype(np.float64)
    item_taste = np.transpose(items[..., :k], (1, 0, 2)).reshape(items.shape[1], -1).T
    item_bias = items[..., k].mean(axis=0)

    def scores(users: np.ndarray) -> np.ndarray:
        rows = result.user_samples[:, np.asarray(users, np.int64)].astype(np.float64)
        taste = np.transpose(rows[..., :k], (1, 0, 2)).reshape(rows.shape[1], -1) @ item_taste / n_samples
        return result.global_mean + rows[..., k].mean(axis=0)[:, None] + item_bias[None, :] + taste

    return scores


class BayesProgram:
    """Bayesian MF for the one training loop (`EpochProgram`): an epoch is one chunk of sweeps.

    The loop's parameters are the chain (`ChainState`, a pytree the loop can check for NaN) and
    its "optimiser state" is the per-sweep score trace; one epoch draws
    ``config.sweeps_per_call`` Gibbs sweeps in one jitted call, so the app gets epoch 0, timing,
    live chunks and Stop as for every other model. ``evaluate`` scores the posterior mean so far
    (the current sample during burn-in) as `MFProgram` scores MF: ``train_loss``/``val_loss`` =
    MSE, the metric = RMSE of the predictions clipped to the rating scale. Without validation
    data the validation numbers are the training numbers.

    A sampler takes no gradient steps: there is no learning rate (NaN), ``with_learning_rate``
    returns the program itself, and since every draw comes from a proper conditional the loss
    cannot run away; the loop's divergence check stays on as a guard (a NaN from a failed
    Cholesky). Early stopping makes no sense either: later samples only add to the average.
    """

    loss_name = "MSE (stars²)"
    metric_name = "RMSE (stars)"
    metric_higher_is_better = False
    metric_as_percent = False
    learning_rate = math.nan

    def __init__(self, train: Ratings, val: Ratings | None, config: BayesConfig) -> None:
        self.sampler = BayesSampler(train, val if val is not None and len(val) else None, config)
        self.config = config

    @property
    def epochs(self) -> int:
        """Chunks of sweeps that draw the whole chain (burn-in and kept samples)."""
        return -(-self.config.total_sweeps // self.config.sweeps_per_call)

    def init(self) -> tuple[ChainState, np.ndarray]:
        state = self.sampler.init()
        return state.chain, state.trace

    def epoch(self, params: ChainState, opt_state: np.ndarray, epoch: int) -> tuple[ChainState, np.ndarray]:
        # The chain's own sweep count picks the random numbers, so ``epoch`` is not needed.
        state = self.sampler.run(BayesState(params, opt_state))
        return state.chain, state.trace

    def evaluate(self, params: ChainState) -> Evaluation:
        layout, scale = self.sampler.layout, self.sampler.train.rating_scale
        mean = self.sampler.centred_mean(params)
        rmse, _ = _group_scores(layout, mean, scale)
        raw, _ = _group_scores(layout, mean, (-math.inf, math.inf))
        if self.sampler.val is None:
            return Evaluation(raw[0] ** 2, raw[0] ** 2, rmse[0], rmse[0])
        return Evaluation(raw[0] ** 2, raw[1] ** 2, rmse[0], rmse[1])

    def with_learning_rate(self, learning_rate: float) -> BayesProgram:
        return self

    def state(self, run: TrainingRun) -> BayesState:
        """The sampler's view of a run: its chain and score trace."""
        return BayesState(run.params, run.opt_state)

    def result(self, run: TrainingRun) -> BayesResult:
        """The run's kept samples, for `predict` (raises during burn-in: nothing kept yet)."""
        return self.sampler.result(self.state(run))

    def curve(self, run: TrainingRun) -> SampleCurve:
        """RMSE against sweeps drawn on the validation data (training data without it)."""
        return self.sampler.curve(self.state(run), group=1 if self.sampler.val is not None else 0)


def bayes_trainer(train: Ratings, val: Ratings | None, config: BayesConfig) -> tuple[BayesProgram, Trainer]:
    """The one training loop drawing the whole chain of ``config`` (no early stopping)."""
    program = BayesProgram(train, val, config)
    return program, Trainer(program, program.epochs)


_MAX_SWEEPS_PER_FOLDS_CALL = 20


@dataclass(frozen=True)
class BayesFoldScores:
    """Per-fold test RMSE and MAE of the posterior mean (clipped), and each fold's noise std."""

    rmse: tuple[float, ...]
    mae: tuple[float, ...]
    noise_std: tuple[float, ...]


def fit_bayes_folds(folds: Sequence[tuple[Ratings, Ratings]], config: BayesConfig = BayesConfig()) -> BayesFoldScores:
    """One chain per (train, test) fold, all folds stacked in one compiled call; score each test.

    Fold f's chain is the one a layout of that fold alone with ``fold_keys=[f]`` runs (same
    start, same random numbers), up to float rounding. No samples are stored: only the test predictions'
    running sums, so memory does not grow with ``n_samples``.
    """
    if not folds or any(len(train) == 0 for train, _ in folds):
        raise ValueError("every fold needs training ratings")
    layout = build_layout([train for train, _ in folds], [[test] for _, test in folds])
    train = folds[0][0]
    chain = init_chain(layout, train.n_users, train.n_items, config.rank, config.init_scale, config.seed, 0)
    hyper = config.hyper(train.rating_scale)
    # Calls of equal length (one compile) bound the memory the random numbers take; JAX runs
    # a call while numpy draws the next one's numbers.
    n_calls = -(-config.total_sweeps // _MAX_SWEEPS_PER_FOLDS_CALL)
    per_call = -(-config.total_sweeps // n_calls)
    for first in range(0, n_calls * per_call, per_call):
        chain, _ = gibbs_sweeps(chain, layout, hyper, config.noise(layout, train.n_users, train.n_items, first, per_call))
    rmse, mae = _group_scores(layout, np.asarray(chain.pred_sum) / float(chain.kept), train.rating_scale)
    noise = np.asarray(chain.noise_sum) / float(chain.kept)
    return BayesFoldScores(tuple(rmse), tuple(mae), tuple(float(x) for x in noise))


def rmse_by_samples(train: Ratings, test: Ratings, config: BayesConfig = BayesConfig()) -> SampleCurve:
    """Held-out RMSE after every sweep: how averaging more samples improves on any single one."""
    sampler = BayesSampler(train, test, config)
    state = sampler.init()
    while not sampler.finished(state):
        state = sampler.run(state)
    return sampler.curve(state, group=1)
