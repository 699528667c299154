"""Broker policies compared by the benchmark. `antenna` and `oracle` call the production
placement function (`antenna.jobs.placement.rank_factories`) as is; the others are the naive
baselines it must beat."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from antenna.jobs.placement import (
    QUEUE_DEPTH,
    FactoryView,
    JobRequest,
    PartitionView,
    rank_factories,
)
from antenna_bench.simulator import FactorySpec, FactoryState, Policy, Simulation, Workload

POLICY_NAMES = ("antenna", "static", "round_robin", "random", "least_loaded", "oracle")
BASELINES = ("static", "round_robin", "random", "least_loaded")


def partition_of(spec: FactorySpec) -> PartitionView:
    return PartitionView("gpu", "any", spec.gpus_per_node,
                         math.ceil(spec.gpus / spec.gpus_per_node), spec.max_walltime_minutes)


class AntennaPolicy:
    """The production policy. Its FactoryViews carry what Antenna knows of a factory: busy
    GPUs, queued GPU-seconds (gpus x requested walltime of waiting jobs) and running
    GPU-seconds left (gpus x (requested end - now)), plus the queue and running jobs in
    order. With `oracle`, every walltime is replaced by the job's TRUE run time."""

    def __init__(self, specs: Sequence[FactorySpec], *, oracle: bool = False) -> None:
        self.name = "oracle" if oracle else "antenna"
        self.oracle = oracle
        self.partitions = tuple((partition_of(spec),) for spec in specs)
        self.index = {spec.name: i for i, spec in enumerate(specs)}

    def view(self, factory: FactoryState, now: float, sim: Simulation, gpus_wanted: int
             ) -> FactoryView:
        w = sim.workload
        busy = factory.capacity - factory.free
        gpus = w.gpus
        # Placement reads the job lists only when the job cannot start at once, and only the
        # first QUEUE_DEPTH queued jobs: skip building the rest (the replay's hot path).
        detailed = bool(factory.queue) or factory.free < gpus_wanted
        queue = factory.queue[:QUEUE_DEPTH] if detailed else []
        running: tuple[tuple[int, float], ...] = ()
        if self.oracle:
            run, start = w.run, sim.start
            queued = factory.queued_true_gs
            left = factory.run_true_end_gs - now * busy
            if detailed:
                running = tuple((gpus[j], max(0.0, start[j] + run[j] - now))
                                for _, j in factory.running)
            waiting = tuple((gpus[j], run[j]) for j in queue)
        else:
            requested = w.requested
            queued = factory.queued_gs
            left = factory.run_end_gs - now * busy
            if detailed:
                running = tuple((gpus[j], end - now) for end, j in factory.running)
            waiting = tuple((gpus[j], requested[j]) for j in queue)
        return FactoryView(factory.spec.name, True, factory.capacity, busy, max(0.0, queued),
                           max(0.0, left), self.partitions[factory.index],
                           running_jobs=running, queued_jobs=waiting,
                           queued_count=len(factory.queue))

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        w = sim.workload
        runtime = w.run[job] if self.oracle else None
        request = JobRequest(w.gpus[job], math.ceil(w.requested[job] / 60), w.organization[job],
                             expected_runtime_seconds=runtime)
        views = [self.view(factory, now, sim, w.gpus[job]) for factory in sim.factories]
        ranked = rank_factories(request, views)
        return self.index[ranked[0].factory]


class StaticPolicy:
    """A job stays on the factory of its original cluster/partition. Sites are mapped to
    factories once, deterministically: sites by decreasing GPU-seconds (ties by name), each to
    the factory whose GPU-seconds per GPU would be lowest with it (a balanced mapping,
    favourable to this baseline). A job too large for its site's factory goes to the largest
    factory."""

    name = "static"

    def __init__(self, specs: Sequence[FactorySpec], w: Workload) -> None:
        work: dict[str, float] = {}
        for site, gpus, run in zip(w.site, w.gpus, w.run, strict=True):
            work[site] = work.get(site, 0.0) + gpus * run
        load = [0.0] * len(specs)
        self.site_factory: dict[str, int] = {}
        for site in sorted(work, key=lambda s: (-work[s], s)):
            best = min(range(len(specs)),
                       key=lambda i: ((load[i] + work[site]) / specs[i].gpus, i))
            self.site_factory[site] = best
            load[best] += work[site]
        self.largest = max(range(len(specs)), key=lambda i: (specs[i].gpus, -i))

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        index = self.site_factory[sim.workload.site[job]]
        if sim.factories[index].capacity < sim.workload.gpus[job]:
            return self.largest
        return index


class RoundRobinPolicy:
    """Each job to the next factory in turn (skipping those too small for it)."""

    name = "round_robin"

    def __init__(self) -> None:
        self.turn = 0

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        count = len(sim.factories)
        gpus = sim.workload.gpus[job]
        for _ in range(count):
            index = self.turn % count
            self.turn += 1
            if sim.factories[index].capacity >= gpus:
                return index
        raise AssertionError("the simulator drops jobs too large for every factory")


class RandomPolicy:
    """A factory drawn uniformly among those big enough (seeded)."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (a seeded simulation, not security)

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        return self.rng.choice(sim.fitting(job)).index


class LeastLoadedPolicy:
    """The factory with the most free GPUs now; ties to the larger factory, then the first."""

    name = "least_loaded"

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        best = max(sim.fitting(job), key=lambda f: (f.free, f.capacity, -f.index))
        return best.index


def make_policy(name: str, specs: Sequence[FactorySpec], w: Workload, seed: int) -> Policy:
    if name == "antenna":
        return AntennaPolicy(specs)
    if name == "oracle":
        return AntennaPolicy(specs, oracle=True)
    if name == "static":
        return StaticPolicy(specs, w)
    if name == "round_robin":
        return RoundRobinPolicy()
    if name == "random":
        return RandomPolicy(seed)
    if name == "least_loaded":
        return LeastLoadedPolicy()
    raise ValueError(f"unknown policy {name!r}; use one of {', '.join(POLICY_NAMES)}")
