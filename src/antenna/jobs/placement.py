"""Placement: which factory (and partition) should run a job. A pure function.

It sees only plain data (no ORM), so the benchmark simulator (bench/) imports and calls it
as is. Steps: keep the factories that can run the job (online, offered, a partition with
the GPU model, enough GPUs per job and a long enough walltime limit); estimate when the job
would start on each from what is queued and running there. Where it can start at once, the
job takes the factory that keeps the largest idle block of GPUs (anywhere) intact, so a
later large job still finds room. Where it must queue everywhere, each factory costs the
expected start plus the delay the job imposes on the jobs queued there after it: its
GPU-seconds spread over the factory's GPUs, times how crowded the queue is, weighted by
how small the factory is. Long, wide jobs so queue on the large factories and keep the
small ones free for short jobs (size-interval assignment, which lowers bounded slowdown
far more than least-work-left). Ties go to fair share (the factory where this
organisation has used least lately), then to the most free GPUs, then to the name. The
caller fails over to the next choice when a factory errors.

Durations: the requested walltimes, or, with RUNTIME_PREDICTIONS, run-time *predictions*
(`predicted_runtime`: the mean of the user's last two run times, never above the request;
Tsafrir, Etsion & Feitelson, 2007) in the expected starts and the backfill shadows, the
requested walltime staying the job's limit (and what the partition must allow). Off: on
every trace of the benchmark they made placement worse (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from antenna.factories.partition_fit import partition_fits


@dataclass(frozen=True)
class PartitionView:
    name: str
    gpu_model: str
    gpus_per_node: int
    max_nodes_per_job: int
    max_walltime_minutes: int

    def fits(self, *, gpus: int, walltime_minutes: int, gpu_model: str | None) -> bool:
        return (
            partition_fits(gpus=gpus, walltime_minutes=walltime_minutes,
                           gpus_per_node=self.gpus_per_node,
                           max_nodes_per_job=self.max_nodes_per_job,
                           max_walltime_minutes=self.max_walltime_minutes)
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
    # Optional detail, when the caller knows it: (gpus, seconds left by the requested
    # walltime) of each running job, and (gpus, requested walltime in seconds) of the jobs
    # waiting in the factory's queue, in queue order (the first QUEUE_DEPTH are enough).
    # Only used when the job cannot start at once.
    running_jobs: tuple[tuple[int, float], ...] = ()
    queued_jobs: tuple[tuple[int, float], ...] = ()
    # How many jobs wait in the factory's queue in all (None: len(queued_jobs)).
    queued_count: int | None = None
    # The scheduler's own expected start (seconds from now) of each of `queued_jobs`, where
    # it gave one (None where not): such a job is not placed before it.
    queued_starts: tuple[float | None, ...] = ()

    @property
    def free_gpus(self) -> int:
        return max(0, self.total_gpus - self.busy_gpus)

    @property
    def waiting_jobs(self) -> int:
        """Jobs waiting in the factory's queue (at least 1 when queued work is known)."""
        count = len(self.queued_jobs) if self.queued_count is None else self.queued_count
        return max(count, 1 if self.queued_gpu_seconds > 0 else 0)

    @property
    def idle_gpus(self) -> int:
        """GPUs a new job could take at once: the free ones when nobody waits, else 0."""
        return 0 if self.waiting_jobs else self.free_gpus

    def with_queued(self, gpus: int, seconds: float) -> FactoryView:
        """This view once one more job of `gpus` GPUs for `seconds` waits at the end of the
        factory's queue (a job just placed there, as a later read would show it)."""
        count = len(self.queued_jobs) if self.queued_count is None else self.queued_count
        shown = len(self.queued_jobs) < QUEUE_DEPTH
        return replace(
            self, queued_gpu_seconds=self.queued_gpu_seconds + gpus * seconds,
            queued_count=count + 1,
            queued_jobs=(*self.queued_jobs, (gpus, seconds)) if shown else self.queued_jobs,
            queued_starts=((*self.queued_starts, None)
                           if shown and len(self.queued_starts) == len(self.queued_jobs)
                           else self.queued_starts))


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


# How many queued jobs the detailed estimate places one by one (like Slurm's backfill depth,
# bf_max_job_test); the work of the rest is spread over the factory's GPUs.
QUEUE_DEPTH = 32
# Whether production feeds placement run-time predictions (`factory_views` and dispatch,
# in jobs/selectors.py and jobs/dispatch.py) instead of the requested walltimes. Off: with
# them, the benchmark's excess bounded slowdown was worse on 11 of 12 runs of issue #13
# (docs/benchmarks.md, `antenna_predicted`): Slurm reserves and backfills on the requests,
# so estimates on shorter predictions mislead placement.
RUNTIME_PREDICTIONS = False
# How many of a user's latest run times a prediction averages (Tsafrir et al. 2007: two).
PREDICTION_HISTORY = 2


def predicted_runtime(recent_runs: Sequence[float], requested_seconds: float) -> float:
    """A job's expected run time: the mean of its user's last PREDICTION_HISTORY run times
    (`recent_runs`, oldest first; fewer if that is all there is), never above the request
    nor below 1 s; the request itself when the user has no finished job yet."""
    last = [max(0.0, run) for run in recent_runs[-PREDICTION_HISTORY:]]
    if not last or requested_seconds <= 0:
        return float(requested_seconds)
    return min(float(requested_seconds), max(1.0, sum(last) / len(last)))


def predicted_left(predicted_seconds: float, elapsed_seconds: float,
                   limit_left_seconds: float) -> float:
    """Seconds a running job still has by its prediction; once it has outlived the
    prediction, its limit (seconds left by the requested walltime) is all that is known."""
    left = predicted_seconds - elapsed_seconds
    return min(left, limit_left_seconds) if left > 0 else max(0.0, limit_left_seconds)


# Weight of the delay a queued job imposes on the jobs after it (see `queue_cost`): chosen
# once on all the benchmark traces together (docs/benchmarks.md), not per trace.
QUEUE_DELAY_WEIGHT = 4.0


def expected_start_seconds(factory: FactoryView, job: JobRequest) -> float:
    """Seconds until the job could start: 0 if the GPUs are free and nobody waits. With the
    running and queued jobs known, an estimate like Slurm's own (`_backfill_start`); without
    them, the factory's backlog (GPU-seconds queued plus those still to run) spread over its
    GPUs."""
    if factory.total_gpus <= 0 or job.gpus > factory.total_gpus:
        return float("inf")
    waiting = factory.queued_gpu_seconds > 0 or bool(factory.queued_jobs)
    if factory.free_gpus >= job.gpus and not waiting:
        return 0.0
    if factory.running_jobs or factory.queued_jobs:
        return _backfill_start(factory, job)
    return (factory.queued_gpu_seconds + factory.running_gpu_seconds_left) / factory.total_gpus


def _backfill_start(factory: FactoryView, job: JobRequest) -> float:
    """When the job would start if appended to the factory's queue, scheduled by EASY
    backfilling on the requested walltimes: a profile of free GPUs over time is built from
    the running jobs' ends; the head of the queue gets its reservation; if the job fits now
    without delaying it, it starts now (backfill); else every queued job, in order, takes the
    earliest slot that fits it (what Slurm reports as expected start times) and so does the
    job. Queued work not placed one by one (past QUEUE_DEPTH, or not listed by the caller)
    only adds its GPU-seconds spread over all GPUs."""
    times = [0.0]
    free = [factory.free_gpus]
    for gpus, left in sorted(factory.running_jobs, key=lambda item: item[1]):
        if left <= times[-1]:
            free[-1] += gpus
        else:
            times.append(left)
            free.append(free[-1] + gpus)
    if free[-1] < factory.total_gpus:  # GPUs busy with jobs the caller did not list
        times.append(max(times[-1], factory.running_gpu_seconds_left / factory.total_gpus))
        free.append(factory.total_gpus)
    duration = float(job.expected_runtime_seconds or job.walltime_minutes * 60)
    queue = factory.queued_jobs
    for position, (gpus, seconds) in enumerate(queue[:QUEUE_DEPTH]):
        gpus = min(gpus, factory.total_gpus)
        known = (factory.queued_starts[position]
                 if position < len(factory.queued_starts) else None)
        first = _breakpoint(times, free, known) if known else 0
        _reserve(times, free, _earliest(times, free, gpus, seconds, first), gpus, seconds)
        if position == 0 and _earliest(times, free, job.gpus, duration) == 0:
            return 0.0  # backfills now without delaying the head's reservation
    listed = sum(gpus * seconds for gpus, seconds in queue[:QUEUE_DEPTH])
    rest = max(0.0, factory.queued_gpu_seconds - listed)  # jobs past the depth, or unlisted
    return times[_earliest(times, free, job.gpus, duration)] + rest / factory.total_gpus


def _breakpoint(times: list[float], free: list[int], at: float) -> int:
    """The index of a breakpoint at time `at`, inserted into the profile if missing."""
    k = 0
    while k < len(times) and times[k] < at:
        k += 1
    if k < len(times) and times[k] == at:
        return k
    times.insert(k, at)
    free.insert(k, free[k - 1])
    return k


def _earliest(times: list[float], free: list[int], gpus: int, seconds: float,
              first: int = 0) -> int:
    """Index of the first breakpoint, from `first` on, from which `gpus` stay free for
    `seconds`."""
    count = len(times)
    i = first
    while i < count:
        if free[i] < gpus:
            i += 1
            continue
        end = times[i] + seconds
        k = i + 1
        while k < count and times[k] < end and free[k] >= gpus:
            k += 1
        if k == count or times[k] >= end:
            return i
        i = k + 1
    return count - 1  # unreachable when gpus <= the factory's GPUs: the last step frees all


def _reserve(times: list[float], free: list[int], start: int, gpus: int,
             seconds: float) -> None:
    """Take `gpus` from the profile from breakpoint `start` for `seconds`."""
    end = times[start] + seconds
    k = start
    count = len(times)
    while k < count and times[k] < end:
        free[k] -= gpus
        k += 1
    if k == count or times[k] > end:
        times.insert(k, end)
        free.insert(k, free[k - 1] + gpus)


def weighted_delay(factory: FactoryView, job: JobRequest, largest: int) -> float:
    """The delay the job imposes on each job queued after it at a factory: its GPU-seconds
    spread over the factory's GPUs, times how much smaller the factory is than the largest
    one (`largest` / its GPUs: small factories are where short jobs should still find
    room)."""
    duration = float(job.expected_runtime_seconds or job.walltime_minutes * 60)
    return job.gpus * duration / factory.total_gpus * largest / factory.total_gpus


def queue_cost(factory: FactoryView, job: JobRequest, start: float, largest: int) -> float:
    """The cost of queueing the job at a factory where it cannot start at once: its expected
    start plus QUEUE_DELAY_WEIGHT x its `weighted_delay` x (1 + the jobs already waiting
    there: a long queue means more jobs will pile up behind it)."""
    crowding = 1 + factory.waiting_jobs
    return start + QUEUE_DELAY_WEIGHT * weighted_delay(factory, job, largest) * crowding


def rank_factories(
    job: JobRequest,
    factories: Sequence[FactoryView],
    usage: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Placement]:
    """Every factory that can run `job`, best first: first those where it starts at once
    (the one that keeps the largest idle block of GPUs first), then the others by
    `queue_cost`. `usage[factory][organization]` is recent GPU-seconds, for the fair-share
    tie-break."""
    usage = usage or {}
    online = [f for f in factories if f.available and f.total_gpus > 0]
    largest = max((f.total_gpus for f in online), default=1)
    idle = {f.name: f.idle_gpus for f in online}
    ranked: list[tuple[tuple[float, ...], str, Placement]] = []
    for factory in online:
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
        if start == 0:
            # Starts at once: keep the largest idle block of GPUs anywhere for a later wide
            # job; then the smaller queueing cost (long, wide jobs to the large factories).
            kept = max((gpus - job.gpus if name == factory.name else gpus)
                       for name, gpus in idle.items())
            key: tuple[float, ...] = (0, -kept, weighted_delay(factory, job, largest),
                                      share, -factory.free_gpus)
        else:
            key = (1, queue_cost(factory, job, start, largest), 0.0, share,
                   -factory.free_gpus)
        ranked.append((key, factory.name, Placement(factory.name, partition.name, start)))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in ranked]


def place(job: JobRequest, factories: Sequence[FactoryView],
          usage: Mapping[str, Mapping[str, float]] | None = None) -> Placement | None:
    """The best placement, or None when no factory can run the job."""
    ranked = rank_factories(job, factories, usage)
    return ranked[0] if ranked else None
