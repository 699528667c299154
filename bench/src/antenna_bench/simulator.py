"""A discrete-event simulator of several factories, each a pool of GPUs with its own queue
scheduled like Slurm's EASY backfilling.

Jobs arrive at their submit time; a broker policy chooses a factory there and then; the job
waits in that factory's queue. Each factory starts jobs first-come first-served; when the head
job does not fit, it gets a reservation at the earliest time enough GPUs free up given the
running jobs' *requested* walltimes (the "shadow" time), and later jobs may start now if they
fit and end before the shadow time, or use only GPUs the head will not need then (testing
at most BACKFILL_DEPTH queued jobs per pass, as Slurm's bf_max_job_test). Jobs run for
their *real* run time. Events sit in a heapq; one pass of the scheduler runs on the factory
that changed, after each arrival and each completion.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from antenna.jobs.placement import PREDICTION_HISTORY, predicted_runtime
from antenna_bench.traces import TraceJob

# How many queued jobs one backfill pass tests, like Slurm's bf_max_job_test (default 500).
BACKFILL_DEPTH = 500
# What the factories' backfilling reserves on: the requested walltimes (Slurm), or run-time
# predictions (`RuntimePredictor`, EASY++ of Tsafrir, Etsion & Feitelson 2007: shadows and
# backfill tests on predictions, jobs still killed only at their request).
BACKFILL_ON = ("requested", "predicted")
# Generous: no trace job is refused for its walltime (about 19 years).
MAX_WALLTIME_MINUTES = 10_000_000


@dataclass(frozen=True)
class FactorySpec:
    """A simulated factory: one partition of `gpus` GPUs, `gpus_per_node` per node."""

    name: str
    gpus: int
    gpus_per_node: int = 4
    max_walltime_minutes: int = MAX_WALLTIME_MINUTES


class Workload:
    """The jobs to replay, as parallel lists (fast to index in the event loop)."""

    __slots__ = ("gpus", "organization", "requested", "run", "site", "submit")

    def __init__(self, jobs: Sequence[TraceJob], requested: Sequence[float]) -> None:
        self.submit = [job.submit for job in jobs]
        self.run = [job.run for job in jobs]
        self.gpus = [job.gpus for job in jobs]
        self.requested = list(requested)
        self.organization = [job.organization for job in jobs]
        self.site = [job.site for job in jobs]

    def __len__(self) -> int:
        return len(self.submit)


class RuntimePredictor:
    """Run-time predictions as production makes them (`predicted_runtime`), learnt online:
    each job's prediction is fixed when it arrives, from the run times of the jobs of its
    user (the trace's user, virtual cluster or qos: `organization`) that had finished by
    then."""

    def __init__(self, w: Workload) -> None:
        self.w = w
        self.history: dict[str, list[float]] = {}
        self.predicted = list(w.requested)

    def arrive(self, job: int) -> float:
        w = self.w
        value = predicted_runtime(self.history.get(w.organization[job], ()), w.requested[job])
        self.predicted[job] = value
        return value

    def finished(self, job: int) -> None:
        runs = self.history.setdefault(self.w.organization[job], [])
        runs.append(self.w.run[job])
        del runs[:-PREDICTION_HISTORY]


class FactoryState:
    """What a factory holds at a moment of the simulation.

    `running` is sorted by requested end; the sums let a policy read the backlog in O(1):
    queued GPU-seconds (requested and true) and sum(gpus x end) of running jobs (requested and
    true), from which GPU-seconds left = sum(gpus x end) - now x busy GPUs."""

    __slots__ = ("busy_gpu_seconds", "capacity", "free", "index", "queue", "queued_gs",
                 "queued_true_gs", "run_end_gs", "run_true_end_gs", "running", "spec")

    def __init__(self, index: int, spec: FactorySpec) -> None:
        self.index = index
        self.spec = spec
        self.capacity = spec.gpus
        self.free = spec.gpus
        self.queue: list[int] = []
        self.running: list[tuple[float, int]] = []
        self.queued_gs = 0.0
        self.queued_true_gs = 0.0
        self.run_end_gs = 0.0
        self.run_true_end_gs = 0.0
        self.busy_gpu_seconds = 0.0

    @property
    def busy(self) -> int:
        return self.capacity - self.free


class Policy(Protocol):
    """A broker: chooses the factory of a job when it arrives."""

    name: str

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        """Index into `sim.factories` of a factory with at least `gpus[job]` GPUs."""
        ...


class Learner(Protocol):
    """A policy that also learns from finished jobs (run-time predictions)."""

    def finished(self, job: int, now: float, sim: Simulation) -> None:
        """`job` ended at `now`."""
        ...


@dataclass
class Outcome:
    """Start time and factory of every job (-1 factory: dropped, too large for all)."""

    policy: str
    start: list[float]
    factory: list[int]
    dropped: int
    makespan: float
    busy_gpu_seconds: list[float]


class Simulation:
    """One replay of a workload on a set of factories under one policy."""

    def __init__(self, workload: Workload, specs: Sequence[FactorySpec], *,
                 backfill_on: str = "requested") -> None:
        if backfill_on not in BACKFILL_ON:
            raise ValueError(f"backfill_on must be one of {', '.join(BACKFILL_ON)}")
        self.backfill_on = backfill_on
        self.workload = workload
        self.specs = list(specs)
        self.factories = [FactoryState(i, spec) for i, spec in enumerate(self.specs)]
        self.largest = max(spec.gpus for spec in self.specs)
        self.start = [-1.0] * len(workload)

    def fitting(self, job: int) -> list[FactoryState]:
        """The factories big enough for the job."""
        gpus = self.workload.gpus[job]
        return [factory for factory in self.factories if factory.capacity >= gpus]

    def run(self, policy: Policy) -> Outcome:
        w = self.workload
        n = len(w)
        submit, run, requested, gpus = w.submit, w.run, w.requested, w.gpus
        start = self.start
        placed = [-1] * n
        completions: list[tuple[float, int]] = []
        factories = self.factories
        push, pop = heapq.heappush, heapq.heappop
        learner: Learner | None = policy if hasattr(policy, "finished") else None  # type: ignore[assignment]
        predictor = RuntimePredictor(w) if self.backfill_on == "predicted" else None
        estimate = predictor.predicted if predictor is not None else requested

        def begin(factory: FactoryState, job: int, now: float) -> None:
            g = gpus[job]
            factory.free -= g
            factory.queued_gs -= g * requested[job]
            factory.queued_true_gs -= g * run[job]
            end = now + requested[job]
            true_end = now + run[job]
            factory.run_end_gs += g * end
            factory.run_true_end_gs += g * true_end
            insort(factory.running, (end, job))
            factory.busy_gpu_seconds += g * run[job]
            start[job] = now
            push(completions, (true_end, job))

        def schedule(factory: FactoryState, now: float) -> None:
            queue = factory.queue
            while queue and gpus[queue[0]] <= factory.free:
                begin(factory, queue.pop(0), now)
            if len(queue) < 2 or factory.free <= 0:
                return
            # The head waits: its reservation is at the shadow time.
            need = gpus[queue[0]]
            available = factory.free
            shadow = now
            if predictor is None:
                ends = factory.running
            else:  # predicted ends; past its prediction, a job's requested end
                ends = sorted((start[j] + estimate[j] if start[j] + estimate[j] > now
                               else end, j) for end, j in factory.running)
            for end, job in ends:
                available += gpus[job]
                if available >= need:
                    shadow = end
                    break
            extra = available - need
            i = 1
            while i < len(queue) and i <= BACKFILL_DEPTH and factory.free > 0:
                job = queue[i]
                g = gpus[job]
                if g <= factory.free:
                    if now + estimate[job] <= shadow:
                        del queue[i]
                        begin(factory, job, now)
                        continue
                    if g <= extra:
                        extra -= g
                        del queue[i]
                        begin(factory, job, now)
                        continue
                i += 1

        dropped = 0
        first = submit[0] if n else 0.0
        last_end = first
        next_arrival = 0
        while next_arrival < n or completions:
            if completions and (next_arrival >= n or completions[0][0] <= submit[next_arrival]):
                now, job = pop(completions)
                factory = factories[placed[job]]
                g = gpus[job]
                end = start[job] + requested[job]
                factory.free += g
                factory.run_end_gs -= g * end
                factory.run_true_end_gs -= g * (start[job] + run[job])
                running = factory.running
                del running[bisect_left(running, (end, job))]
                last_end = now
                if learner is not None:
                    learner.finished(job, now, self)
                if predictor is not None:
                    predictor.finished(job)
                schedule(factory, now)
                continue
            job = next_arrival
            next_arrival += 1
            now = submit[job]
            if gpus[job] > self.largest:
                dropped += 1
                continue
            if predictor is not None:
                predictor.arrive(job)
            index = policy.choose(job, now, self)
            factory = factories[index]
            placed[job] = index
            g = gpus[job]
            factory.queued_gs += g * requested[job]
            factory.queued_true_gs += g * run[job]
            factory.queue.append(job)
            if len(factory.queue) == 1 or factory.free >= g:
                schedule(factory, now)
        return Outcome(policy.name, start, placed, dropped, max(0.0, last_end - first),
                       [factory.busy_gpu_seconds for factory in factories])
