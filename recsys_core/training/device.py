"""Which device JAX computes on, for the sidebar (JAX_PLATFORMS is respected; CPU by default)."""

from __future__ import annotations

import jax


def device_summary() -> str:
    """e.g. "CPU (1 device: cpu)"."""
    devices = jax.devices()
    kind = devices[0].platform.upper()
    return f"{kind} ({len(devices)} device{'s' if len(devices) != 1 else ''}: {devices[0].device_kind})"
