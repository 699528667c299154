"""Slurm's JSON number shapes, read the same way by every API version.

Up to v0.0.38 a number is a plain integer; from v0.0.39 most are `{"set", "infinite",
"number"}` objects. v0.0.38's reader tolerates the object shape too (some 22.05 builds mix
them).
"""

from __future__ import annotations

from typing import Any


def slurm_int(value: Any, default: int = 0) -> int:
    """A plain integer or a `{"set", "infinite", "number"}` object; unset, infinite or
    unreadable: `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        if value.get("set") is False or value.get("infinite") is True:
            return default
        return slurm_int(value.get("number"), default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
