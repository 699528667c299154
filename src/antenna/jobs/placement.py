"""Placement: which factory (and partition) should run a job. A pure function.

It sees only plain data (no ORM), so the benchmark simulator (bench/) imports and calls it
as is. Steps: keep the factories that can run the job (online, offered, a partition with
the GPU model, enough GPUs per job and a long enough walltime limit); estimate when the job
would start on each from what is queued and running there; choose the soonest, breaking ties
by fair share (the factory where this organisation has used least lately), then by name.
The caller fails over to the next choice when a factory errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionView:
    name: str
    gpu_model: str
    gpus_per_node: int
    max_nodes_per_job: int
    max_walltime_minutes: int

    def fits(self, *, gpus: int, walltime_minutes: int, gpu_model: str | None) -> bool:
        return (
            gpus <= self.gpus_per_node * self.max_nodes_per_job
            and walltime_minutes <= self.max_walltime_minutes
            and (gpu_model is None or gpu_model.lower() == self.gpu_model.lower())
        )


@dataclass(frozen=True)
class FactoryView:
    """What placement knows of a factory right now."""

    name: str
    available: bool
    total_gpus: int
    busy_gpus: int
    queued_gpu_seconds: float
    running_gpu_seconds_left: float
    partitions: tuple[PartitionView, ...]

    @property
    def free_gpus(self) -> int:
        return max(0, self.total_gpus - self.busy_gpus)


@dataclass(frozen=True)
class JobRequest:
    gpus: int
    walltime_minutes: int
    organization: str
    gpu_model: str | None = None
    allowed_factories: tuple[str, ...] | None = None
    expected_runtime_seconds: float | None = None


@dataclass(frozen=True)
class Placement:
    factory: str
    partition: str
    expected_start_seconds: float


def expected_start_seconds(factory: FactoryView, job: JobRequest) -> float:
    """Seconds until the job could start: 0 if the GPUs are free and nobody waits, else the
    factory's backlog (GPU-seconds queued plus those still to run) spread over its GPUs."""
    if factory.total_gpus <= 0:
        return float("inf")
    if factory.free_gpus >= job.gpus and factory.queued_gpu_seconds <= 0:
        return 0.0
    return (factory.queued_gpu_seconds + factory.running_gpu_seconds_left) / factory.total_gpus


def rank_factories(
    job: JobRequest,
    factories: Sequence[FactoryView],
    usage: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Placement]:
    """Every factory that can run `job`, best first. `usage[factory][organization]` is recent
    GPU-seconds, for the fair-share tie-break."""
    usage = usage or {}
    ranked: list[tuple[float, float, str, Placement]] = []
    for factory in factories:
        if not factory.available:
            continue
        if job.allowed_factories is not None and factory.name not in job.allowed_factories:
            continue
        partition = next(
            (p for p in factory.partitions
             if p.fits(gpus=job.gpus, walltime_minutes=job.walltime_minutes,
                       gpu_model=job.gpu_model)),
            None,
        )
        if partition is None or job.gpus > factory.total_gpus:
            continue
        start = expected_start_seconds(factory, job)
        share = usage.get(factory.name, {}).get(job.organization, 0.0)
        ranked.append((start, share, factory.name,
                       Placement(factory.name, partition.name, start)))
    ranked.sort(key=lambda item: (item[0], item[1], item[2]))
    return [item[3] for item in ranked]


def place(job: JobRequest, factories: Sequence[FactoryView],
          usage: Mapping[str, Mapping[str, float]] | None = None) -> Placement | None:
    """The best placement, or None when no factory can run the job."""
    ranked = rank_factories(job, factories, usage)
    return ranked[0] if ranked else None
