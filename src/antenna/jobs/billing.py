"""What a job costs in antenna GPU-seconds (whole numbers, rounded up)."""

from __future__ import annotations

import math
from decimal import Decimal


def reservation_seconds(*, gpus: int, walltime_minutes: int, factor: Decimal) -> int:
    """GPUs x walltime x the factory's conversion factor: held while the job may run."""
    return math.ceil(Decimal(gpus) * Decimal(walltime_minutes) * 60 * factor)


def charge_seconds(*, gpus: int, elapsed_seconds: int, factor: Decimal,
                   reserved_seconds: int) -> int:
    """GPUs x real elapsed time x factor, never more than was reserved."""
    charged = math.ceil(Decimal(gpus) * Decimal(max(0, elapsed_seconds)) * factor)
    return min(charged, reserved_seconds)
