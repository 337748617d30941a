"""How many times each module-level jitted function was traced (= compiled) in this process.

Moving a slider that changes a traced hyperparameter (learning rate, L2, dropout rate) must never
recompile; tests prove it with these counts. Each jitted body calls `count_trace` first: Python
runs that line only while JAX traces the function, never when a compiled version is reused.
"""

from __future__ import annotations

import collections

_TRACES: collections.Counter[str] = collections.Counter()


def count_trace(name: str) -> None:
    """Record one trace of the jitted function ``name`` (call it inside the traced body)."""
    _TRACES[name] += 1


def compile_count(name: str) -> int:
    """Times the jitted function ``name`` was traced so far (e.g. "mf_epoch", "neural_epoch")."""
    return _TRACES[name]
