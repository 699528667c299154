"""Broker policies compared by the benchmark. `antenna` and `oracle` call the production
placement function (`antenna.jobs.placement.rank_factories`) as is; `static`,
`round_robin`, `random` and `least_loaded` are the naive baselines it must beat; `pooled`
is the reference above every broker: all factories' GPUs as one factory with one queue
(the benchmark runs it on a pooled factory, see `pooled_specs`)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from antenna.jobs import placement
from antenna.jobs.placement import (
    QUEUE_DEPTH,
    FactoryView,
    JobRequest,
    PartitionView,
    predicted_left,
    rank_factories,
)
from antenna_bench.simulator import (
    FactorySpec,
    FactoryState,
    Policy,
    RuntimePredictor,
    Simulation,
    Workload,
)

POLICY_NAMES = ("antenna", "static", "round_robin", "random", "least_loaded", "oracle",
                "pooled")
# Accepted by --policies but not run by default: antenna fed run-time predictions, and
# antenna on requested walltimes, whatever production's placement.RUNTIME_PREDICTIONS.
ALL_POLICY_NAMES = (*POLICY_NAMES, "antenna_predicted", "antenna_requests")
BASELINES = ("static", "round_robin", "random", "least_loaded")


def partition_of(spec: FactorySpec) -> PartitionView:
    """The factory's one partition as placement sees it: a pool of GPUs, as the simulator
    models it (no nodes), so any job up to the factory's GPUs fits (with its real nodes,
    the whole-nodes rule of `partition_fits` would refuse trace jobs such as 25 GPUs on
    nodes of 4, which the simulated factory runs)."""
    return PartitionView("gpu", "any", 1, spec.gpus, spec.max_walltime_minutes)


def pooled_specs(specs: Sequence[FactorySpec]) -> list[FactorySpec]:
    """All factories' GPUs as one factory (one queue), for the `pooled` reference: the
    largest GPUs-per-node of them, and the longest walltime limit."""
    return [FactorySpec("pooled", sum(spec.gpus for spec in specs),
                        max(spec.gpus_per_node for spec in specs),
                        max(spec.max_walltime_minutes for spec in specs))]


class PooledPolicy:
    """Every job to the one pooled factory (run on `pooled_specs`)."""

    name = "pooled"

    def choose(self, job: int, now: float, sim: Simulation) -> int:
        return 0


class AntennaPolicy:
    """The production policy. Its FactoryViews carry what Antenna knows of a factory: busy
    GPUs, queued GPU-seconds and running GPU-seconds left, plus the queue and running jobs in
    order, every duration by its run-time prediction (`RuntimePredictor`; a running job that
    outlived it by its requested end); the factories still schedule on the requested
    walltimes. With `oracle`, every duration is the job's TRUE run time instead. With
    `predict=False`, the requested walltimes. `predict=None`: as production
    (placement.RUNTIME_PREDICTIONS), named `antenna`."""

    def __init__(self, specs: Sequence[FactorySpec], w: Workload, *, oracle: bool = False,
                 predict: bool | None = None) -> None:
        self.name = ("oracle" if oracle else "antenna" if predict is None
                     else "antenna_predicted" if predict else "antenna_requests")
        if predict is None:
            predict = placement.RUNTIME_PREDICTIONS
        self.oracle = oracle
        self.partitions = tuple((partition_of(spec),) for spec in specs)
        self.index = {spec.name: i for i, spec in enumerate(specs)}
        self.predictor = RuntimePredictor(w) if predict and not oracle else None

    def finished(self, job: int, now: float, sim: Simulation) -> None:
        if self.predictor is not None:
            self.predictor.finished(job)

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
        elif self.predictor is not None:
            predicted, start = self.predictor.predicted, sim.start
            queued = sum(gpus[j] * predicted[j] for j in factory.queue)
            lefts = [(gpus[j], predicted_left(predicted[j], now - start[j], end - now))
                     for end, j in factory.running]
            left = sum(g * s for g, s in lefts)
            if detailed:
                running = tuple(lefts)
            waiting = tuple((gpus[j], predicted[j]) for j in queue)
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
        runtime: float | None = w.run[job] if self.oracle else None
        if self.predictor is not None:
            runtime = self.predictor.arrive(job)
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
        return AntennaPolicy(specs, w)
    if name == "antenna_predicted":
        return AntennaPolicy(specs, w, predict=True)
    if name == "antenna_requests":
        return AntennaPolicy(specs, w, predict=False)
    if name == "oracle":
        return AntennaPolicy(specs, w, oracle=True)
    if name == "pooled":
        return PooledPolicy()
    if name == "static":
        return StaticPolicy(specs, w)
    if name == "round_robin":
        return RoundRobinPolicy()
    if name == "random":
        return RandomPolicy(seed)
    if name == "least_loaded":
        return LeastLoadedPolicy()
    raise ValueError(f"unknown policy {name!r}; use one of {', '.join(ALL_POLICY_NAMES)}")
