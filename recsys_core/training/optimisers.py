"""Dense optimisers from optax, applied with a traced learning rate.

The neural recommender and the click model update every parameter every step, so they use
optax's Adam as it is (the click model with Keras's epsilon, 1e-7, because its lesson mirrors
the seed's Keras code). The learning rate is a traced argument of the jitted epoch: building the
optax transformation inside the traced function closes over it, so moving the slider never
recompiles. Matrix factorization touches only a minibatch's rows and keeps its hand-written
row-wise optimisers (`recsys_core.training.mf_rowwise`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

KERAS_EPSILON = 1e-7
OPTAX_EPSILON = 1e-8


def adam_init(params: Any, eps: float = OPTAX_EPSILON) -> optax.OptState:
    """Adam's zero moments for ``params`` (the state does not depend on the learning rate)."""
    return optax.adam(0.0, eps=eps).init(params)


def adam_step(grads: Any, state: optax.OptState, params: Any, learning_rate: jax.Array,
              eps: float = OPTAX_EPSILON) -> tuple[Any, optax.OptState]:
    """One `optax.adam` update with a (traced) learning rate: new parameters and state."""
    updates, state = optax.adam(learning_rate, eps=eps).update(grads, state, params)
    return optax.apply_updates(params, updates), state


def unless_padding(real: jax.Array, new: Any, old: Any) -> Any:
    """``new`` where the minibatch held real examples, else ``old``: a padding step changes nothing,
    not even Adam's moments or step count, so bucketed shapes never change a result."""
    return jax.tree.map(lambda a, b: jnp.where(real, a, b), new, old)
