"""The standard metrics of a replay: wait (mean, p95), bounded slowdown with a 10 s floor
and its excess over 1,
utilisation of each factory, and Jain's fairness index over organisations' mean slowdowns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

from antenna_bench.simulator import FactorySpec, Outcome, Workload

SLOWDOWN_FLOOR_SECONDS = 10.0


class PolicyMetrics(TypedDict):
    mean_wait_s: float
    p95_wait_s: float
    mean_bounded_slowdown: float
    mean_excess_bounded_slowdown: float
    utilisation: dict[str, float]
    jain_fairness: float
    jobs_run: int
    dropped: int
    makespan_s: float
    seconds: float


def bounded_slowdown(wait: float, run: float) -> float:
    """max(1, (wait + run) / max(run, 10 s))."""
    return max(1.0, (wait + run) / max(run, SLOWDOWN_FLOOR_SECONDS))


def excess_slowdown(mean_bsld: float) -> float:
    """The mean bounded slowdown's excess over its floor of 1 (0: no job waited at all)."""
    return max(0.0, mean_bsld - 1.0)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def jain_index(values: Sequence[float]) -> float:
    """(sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one takes all."""
    squares = sum(value * value for value in values)
    if not values or squares == 0:
        return 1.0
    return sum(values) ** 2 / (len(values) * squares)


def measure(outcome: Outcome, w: Workload, specs: Sequence[FactorySpec],
            seconds: float) -> PolicyMetrics:
    waits: list[float] = []
    slowdown_sum = 0.0
    per_org: dict[str, list[float]] = {}
    for job, factory in enumerate(outcome.factory):
        if factory < 0:
            continue
        wait = outcome.start[job] - w.submit[job]
        waits.append(wait)
        slowdown = bounded_slowdown(wait, w.run[job])
        slowdown_sum += slowdown
        entry = per_org.setdefault(w.organization[job], [0.0, 0.0])
        entry[0] += slowdown
        entry[1] += 1
    count = len(waits)
    makespan = outcome.makespan
    mean_bsld = slowdown_sum / count if count else 0.0
    utilisation = {
        spec.name: (busy / (spec.gpus * makespan) if makespan > 0 else 0.0)
        for spec, busy in zip(specs, outcome.busy_gpu_seconds, strict=True)
    }
    return PolicyMetrics(
        mean_wait_s=sum(waits) / count if count else 0.0,
        p95_wait_s=percentile(waits, 0.95),
        mean_bounded_slowdown=mean_bsld,
        mean_excess_bounded_slowdown=excess_slowdown(mean_bsld) if count else 0.0,
        utilisation=utilisation,
        jain_fairness=jain_index([total / n for total, n in per_org.values()]),
        jobs_run=count,
        dropped=outcome.dropped,
        makespan_s=makespan,
        seconds=seconds,
    )
