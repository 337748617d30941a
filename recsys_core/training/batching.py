"""Minibatches of fixed, bucketed shapes, shuffled on the host.

XLA compiles one program per input shape, so a split that differs from another by a few ratings
must not compile again: batch counts are rounded up to one of few sizes (`bucket`) and the rest
is padding that changes nothing (weight 0, or an out-of-range index that scatters drop).
Shuffling happens with numpy on the host: `jax.random.permutation` of 1M indices took 0.73 s on
this machine, numpy 0.04 s. The order depends only on (seed, epoch), so a run resumed chunk by
chunk sees the same batches as one run straight through.
"""

from __future__ import annotations

import numpy as np


def bucket(n_batches: int) -> int:
    """Round a batch count up to one of few sizes (≤ 1/8 wasted) so similar data share a compile.

    Powers of two up to 16, then multiples of 2^(bits-4): 313 -> 320, 312 -> 320, 1000 -> 1024.
    """
    if n_batches <= 16:
        return 1 << max(0, (n_batches - 1).bit_length())
    step = 1 << (n_batches.bit_length() - 4)
    return -(-n_batches // step) * step


def pad(values: np.ndarray, length: int, fill) -> np.ndarray:
    """``values`` followed by ``fill`` up to ``length``."""
    out = np.full(length, fill, dtype=values.dtype)
    out[: len(values)] = values
    return out


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The shuffled order of ``n`` examples in (1-based) ``epoch`` of a run seeded ``seed``."""
    return np.random.default_rng((seed, epoch)).permutation(n)


def weighted_batches(columns: dict[str, np.ndarray], batch_size: int, order: np.ndarray | None = None,
                     min_batches: int = 1) -> dict[str, np.ndarray]:
    """``columns`` (same length n) in ``order``, cut into a (steps, batch_size, ...) grid.

    Steps are bucketed; padded rows repeat row 0 and get ``weight`` 0, and a step of padding
    only is skipped by the epoch programs, so bucketing changes the compile, never the result.
    """
    n = len(next(iter(columns.values())))
    order = np.arange(n) if order is None else order
    steps = bucket(max(min_batches, -(-n // batch_size)))
    index = pad(np.asarray(order, np.int64), steps * batch_size, 0)
    out = {name: values[index].reshape(steps, batch_size, *values.shape[1:]) for name, values in columns.items()}
    out["weight"] = pad(np.ones(n, np.float32), steps * batch_size, 0.0).reshape(steps, batch_size)
    return out
