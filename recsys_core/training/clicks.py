"""The click model's epoch program, its configs, and the lesson's presets.

Everything the learner of "Experiment: fixing overfitting" may change is a `ClickConfig`:
architecture and training hyperparameters, never the data. One epoch is one jitted `lax.scan`
over host-shuffled minibatches padded to a bucketed shape; learning rate, L2 and dropout rate
are traced, so moving a slider never recompiles. Adam comes from optax with Keras's epsilon,
because the lesson mirrors the seed's Keras code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from recsys_core.data import ClickData
from recsys_core.models.click_mlp import ClickModel, batch_loss, evaluate, init_mlp
from recsys_core.models.tracing import count_trace
from recsys_core.training.batching import epoch_order, weighted_batches
from recsys_core.training.loop import Evaluation, Trainer, TrainingRun
from recsys_core.training.optimisers import KERAS_EPSILON, adam_init, adam_step, unless_padding


@dataclass(frozen=True)
class ClickConfig:
    """Everything the learner may change: architecture and training hyperparameters, not data.

    ``patience`` turns on early stopping on validation loss (restoring the best epoch's
    weights); None trains all ``epochs``. Frozen, so it can key a Streamlit cache.
    """

    widths: tuple[int, ...] = (64, 32)
    dropout_rate: float = 0.3
    l2: float = 0.0
    learning_rate: float = 0.001
    batch_size: int = 32
    epochs: int = 50
    optimizer: str = "adam"
    norm: str = "none"
    patience: int | None = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.optimizer != "adam":
            raise ValueError(f"only the 'adam' optimizer is available, got {self.optimizer!r}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {self.dropout_rate}")


# The overfitting model the seed's fix starts from: the same first layer, a second layer of 64,
# no dropout, a 10x larger step and 60 epochs without early stopping — it learns the training
# impressions, accidental clicks included, by heart.
BEFORE = ClickConfig(widths=(64, 64), dropout_rate=0.0, learning_rate=0.01, epochs=60, patience=None)
# The seed's solution, exactly: 64-Dropout(0.3)-32-Dropout(0.3)-1, Adam 1e-3, early stopping.
AFTER = ClickConfig()
# The bonus experiment: the seed's solution with batch normalisation instead of dropout.
BONUS_BATCHNORM = ClickConfig(dropout_rate=0.0, norm="batchnorm")


@jax.jit
def click_epoch(model: ClickModel, opt_state, batches: dict[str, jax.Array], key: jax.Array, epoch: jax.Array,
                hparams: dict[str, jax.Array]):
    """Train one epoch over ``batches`` (``x`` (steps, batch, features), ``y``, ``weight``).

    A step whose batch is all padding changes nothing (not even Adam's moments), so every epoch
    of a dataset has the same bucketed shape and compiles once. ``hparams`` (learning_rate, l2,
    dropout_rate) are traced scalars: new values reuse the compiled code. The epoch's dropout key
    is the run's ``key`` folded with ``epoch``, here rather than by the caller: every small
    computation outside the program waits its turn behind the other learners' training.
    """
    count_trace("click_epoch")
    grad_fn = jax.grad(batch_loss, has_aux=True)
    key = jax.random.fold_in(key, epoch)

    def step(carry, batch):
        params, bn_state, opt, k = carry
        k, sub = jax.random.split(k)
        grads, new_bn = grad_fn(params, bn_state, batch["x"], batch["y"], batch["weight"], sub,
                                hparams["dropout_rate"], hparams["l2"])
        new_params, new_opt = adam_step(grads, opt, params, hparams["learning_rate"], KERAS_EPSILON)
        real = batch["weight"].sum() > 0
        return (unless_padding(real, new_params, params), unless_padding(real, new_bn, bn_state),
                unless_padding(real, new_opt, opt), k), None

    (params, bn_state, opt_state, _), _ = jax.lax.scan(step, (model.params, model.bn_state, opt_state, key), batches)
    return ClickModel(params, bn_state), opt_state


@jax.jit
def click_errors(model: ClickModel, x_train, y_train, x_val, y_val) -> jax.Array:
    """[train cross-entropy, train accuracy, validation cross-entropy, validation accuracy]."""
    count_trace("click_errors")
    return jnp.stack([*evaluate(model, x_train, y_train), *evaluate(model, x_val, y_val)])


class ClickProgram:
    """The click MLP for the one training loop (`EpochProgram`).

    Shuffling is derived from (seed, epoch) and dropout keys from the seed folded with the
    epoch, so a run is reproducible and resuming it chunk by chunk changes nothing.
    """

    loss_name = "binary cross-entropy"
    metric_name = "accuracy"
    metric_higher_is_better = True
    metric_as_percent = True

    def __init__(self, data: ClickData, config: ClickConfig) -> None:
        self.data, self.config = data, config
        self._eval = tuple(jnp.asarray(a) for a in (data.X_train, data.y_train, data.X_val, data.y_val))
        self._key = jax.random.key(config.seed + 1)

    @property
    def learning_rate(self) -> float:
        return self.config.learning_rate

    def with_learning_rate(self, learning_rate: float) -> ClickProgram:
        program = object.__new__(ClickProgram)
        program.__dict__.update(self.__dict__, config=replace(self.config, learning_rate=learning_rate))
        return program

    def init(self):
        model = init_mlp(jax.random.key(self.config.seed), self.data.n_features, self.config.widths, self.config.norm)
        return model, adam_init(model.params, KERAS_EPSILON)

    def epoch(self, model: ClickModel, opt_state, epoch: int):
        cfg = self.config
        batches = weighted_batches({"x": self.data.X_train, "y": self.data.y_train}, cfg.batch_size,
                                   epoch_order(cfg.seed, epoch, self.data.n_train))
        hparams = {name: np.float32(getattr(cfg, name)) for name in ("learning_rate", "l2", "dropout_rate")}
        return click_epoch(model, opt_state, batches, self._key, np.int32(epoch), hparams)

    def evaluate(self, model: ClickModel) -> Evaluation:
        train_loss, train_acc, val_loss, val_acc = np.asarray(click_errors(model, *self._eval)).tolist()
        return Evaluation(train_loss, val_loss, train_acc, val_acc)


def click_trainer(data: ClickData, config: ClickConfig, learning_rates: Sequence[float] = (),
                  snapshot: Callable[[ClickModel], Any] | None = None) -> Trainer:
    """The one training loop running the click MLP with ``config``."""
    return Trainer(ClickProgram(data, config), config.epochs, config.patience, learning_rates, snapshot)


def fit_click(data: ClickData, config: ClickConfig) -> TrainingRun:
    """Train to the end (all epochs, or until early stopping or divergence)."""
    return click_trainer(data, config).fit()
