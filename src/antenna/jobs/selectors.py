"""Reads on jobs, and the factory picture placement needs."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import Allocation, hours
from antenna.connectors.base import Capability, Connector, FactoryQueue
from antenna.connectors.registry import connector_for, each_at_once
from antenna.core.errors import FactoryUnavailable
from antenna.factories.models import Factory
from antenna.jobs import placement
from antenna.jobs.models import Job, JobTask
from antenna.jobs.placement import (
    PREDICTION_HISTORY,
    QUEUE_DEPTH,
    FactoryView,
    PartitionView,
    predicted_left,
    predicted_runtime,
)
from antenna.jobs.states import JobState

log = logging.getLogger("antenna.worker")


def job_list(*, user: User, allocation: int | None = None, state: str | None = None,
             factory: int | None = None) -> QuerySet[Job]:
    if user.is_authenticated and not user.sees_everything:
        # The user's allocations first (a handful of ids), then their jobs by allocation id:
        # on literal ids PostgreSQL uses its per-allocation statistics (walking the created_at
        # index for a big organisation), where the join through memberships made it sort
        # every job of a big organisation for each page (docs/benchmarks-api.md).
        mine = list(Allocation.objects.visible_to(user).values_list("pk", flat=True))
        if allocation:
            mine = [allocation] if allocation in mine else []
        qs = Job.objects.filter(allocation_id__in=mine)
    else:
        qs = Job.objects.visible_to(user)
        if allocation:
            qs = qs.filter(allocation_id=allocation)
    qs = qs.select_related("factory", "partition", "allocation")
    if state:
        qs = qs.filter(state=state)
    if factory:
        qs = qs.filter(factory_id=factory)
    return qs.order_by("-created_at", "-id")


# What a job list shows of each job (`schemas.JobListItem`), read as values: no model built.
_LIST_COLUMNS = (
    "id", "allocation_id", "name", "state", "state_reason", "gpus", "cpus", "memory_gb",
    "walltime_minutes", "container_image", "factory_id", "factory__name", "partition__name",
    "scheduler_job_id", "exit_code", "gpu_seconds_reserved", "gpu_seconds_charged",
    "elapsed_seconds", "cancel_requested_at", "array", "array_tasks", "created_at",
    "submitted_at", "started_at", "finished_at")


def job_list_page(qs: QuerySet[Job], *, limit: int, offset: int) -> dict[str, object]:
    """A page of `job_list(...)` as the API lists it (`{"items": [...], "count": N}`, items as
    `schemas.JobListItem` reads them): one query for the rows' values (the factory's and the
    partition's names joined in), one for the count."""
    rows = qs.values_list(*_LIST_COLUMNS)[offset: offset + limit]
    items = []
    for (pk, allocation, name, state, reason, gpus, cpus, memory, walltime, image, factory,
         factory_name, partition, scheduler_id, exit_code, reserved, charged, elapsed,
         cancel_at, array, tasks, created, submitted, started, finished) in rows:
        items.append({
            "id": pk, "allocation": allocation, "name": name, "state": state,
            "state_reason": reason, "gpus": gpus, "cpus": cpus, "memory_gb": memory,
            "walltime_minutes": walltime, "container_image": image, "factory": factory,
            "factory_name": factory_name, "partition": partition,
            "scheduler_job_id": scheduler_id, "exit_code": exit_code,
            "gpu_hours_reserved": hours(reserved),
            "gpu_hours_charged": None if charged is None else hours(charged),
            "elapsed_seconds": elapsed, "cancel_requested": cancel_at is not None,
            "array": array, "array_tasks": tasks, "created_at": created,
            "submitted_at": submitted, "started_at": started, "finished_at": finished})
    return {"items": items, "count": qs.count()}


def recent_runtimes(user_ids: Iterable[int]) -> dict[int, list[float]]:
    """Each user's last PREDICTION_HISTORY run times in seconds (oldest first), from their
    finished jobs whose run time is known (elapsed_seconds, whatever their final state),
    for run-time predictions. One query (a window per user)."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    latest = Window(RowNumber(), partition_by=[F("submitted_by_id")],
                    order_by=[F("finished_at").desc(), F("pk").desc()])
    rows = (Job.objects.filter(submitted_by_id__in=wanted, elapsed_seconds__isnull=False,
                               finished_at__isnull=False)
            .annotate(latest=latest).filter(latest__lte=PREDICTION_HISTORY)
            .order_by("submitted_by_id", "finished_at", "pk")
            .values_list("submitted_by_id", "elapsed_seconds"))
    runs: dict[int, list[float]] = defaultdict(list)
    for user_id, elapsed in rows:
        runs[user_id].append(float(elapsed or 0))
    return dict(runs)


def predicted_runtime_of(job: Job) -> float | None:
    """The job's expected run time in seconds: its user's recent run times, never above
    its requested walltime (`placement.predicted_runtime`); None (placement then uses the
    walltime) unless placement.RUNTIME_PREDICTIONS."""
    if not placement.RUNTIME_PREDICTIONS:
        return None
    history = recent_runtimes([job.submitted_by_id]).get(job.submitted_by_id, [])
    return predicted_runtime(history, job.walltime_minutes * 60.0)


def factory_views(factories: list[Factory],
                  queues: Mapping[int, FactoryQueue | None] | None = None) -> list[FactoryView]:
    """Capacity, GPUs busy and backlog of each factory, for placement.

    Where the factory's live queue was read (`queues[factory.pk]`, see `live_queues`), from
    it: every user's running and pending jobs in the factory's partitions and the GPUs of its
    nodes that take jobs (drained and down nodes are not capacity), plus Antenna's own jobs
    the queue does not show yet (placed but not submitted, or submitted after it was read).
    Elsewhere, from the jobs Antenna sent there only. Either way: the running jobs (GPUs,
    seconds left by the walltime), the first QUEUE_DEPTH queued ones in queue order (GPUs,
    walltime in seconds, the scheduler's expected start if known) and how many are queued.
    With placement.RUNTIME_PREDICTIONS (off by default), the durations of Antenna's own
    jobs are predictions from their users' recent run times (`recent_runtimes`), never
    above the walltime; other users' jobs keep their time limits (their history is not
    Antenna's to see)."""
    queues = queues or {}
    now = timezone.now()
    own: dict[int, list[tuple[str, str, int, int, dt.datetime | None, int]]] = (
        defaultdict(list))
    rows = list(Job.objects.filter(
        factory__in=factories,
        state__in=[JobState.QUEUED, JobState.SUBMITTED, JobState.RUNNING],
    ).order_by("submitted_at", "created_at", "pk").values_list(
        "factory_id", "state", "scheduler_job_id", "gpus", "walltime_minutes", "started_at",
        "submitted_by_id"))
    for factory_id, state, scheduler_id, gpus, walltime, started, user_id in rows:
        own[factory_id].append((state, scheduler_id, gpus, walltime, started, user_id))
    history = recent_runtimes(row[-1] for row in rows) if placement.RUNTIME_PREDICTIONS else {}
    views = []
    for f in factories:
        parts = list(f.partitions.all())
        queue = queues.get(f.pk)
        running: list[tuple[int, float]] = []
        waiting: list[tuple[int, float, float | None]] = []
        if queue is not None:
            names = {p.name for p in parts}
            nodes = [n for n in queue.nodes
                     if n.available and (not n.partitions or names & set(n.partitions))]
            total = sum(n.gpus for n in nodes)
            busy = sum(n.gpus_used for n in nodes)
            known: set[str] = set()
            for job in queue.jobs:
                known.add(job.scheduler_job_id)
                if names and not names & set(job.partition.split(",")):
                    continue  # another partition's work
                limit = job.time_limit_seconds or max(
                    (p.max_walltime_minutes for p in parts), default=60) * 60.0
                if job.running:
                    left = job.seconds_left if job.seconds_left is not None else limit
                    running.append((job.gpus, left))
                else:
                    waiting.append((job.gpus, limit, job.expected_start_seconds))
            # Running jobs on nodes that take no new work free nothing for placement.
            running = _within(sorted(running, key=lambda item: item[1]), busy)
        else:
            known = set()
            total = sum(p.gpus_per_node * p.total_nodes for p in parts)
            slots = (f.connector_settings or {}).get("gpu_slots")
            if slots:
                total = int(slots)
            busy = 0
        for state, scheduler_id, gpus, walltime, started, user_id in own[f.pk]:
            if queue is not None and scheduler_id and scheduler_id in known:
                continue  # the live queue shows it already
            if state == JobState.QUEUED and queue is None:
                continue  # placed, not submitted: counted from the live queue only
            expected = predicted_runtime(history.get(user_id, []), walltime * 60.0)
            if state == JobState.RUNNING:
                busy += gpus
                elapsed = (now - started).total_seconds() if started else 0.0
                running.append((gpus, predicted_left(expected, elapsed,
                                                     max(0.0, walltime * 60 - elapsed))))
            else:
                waiting.append((gpus, expected, None))
        views.append(FactoryView(
            name=f.name, available=f.is_available, total_gpus=total,
            busy_gpus=min(busy, total) if queue is not None else busy,
            queued_gpu_seconds=sum(g * s for g, s, _ in waiting),
            running_gpu_seconds_left=sum(g * s for g, s in running),
            partitions=tuple(PartitionView(p.name, p.gpu_model, p.gpus_per_node,
                                           p.max_nodes_per_job, p.max_walltime_minutes)
                             for p in parts),
            running_jobs=tuple(running),
            queued_jobs=tuple((g, s) for g, s, _ in waiting[:QUEUE_DEPTH]),
            queued_count=len(waiting),
            queued_starts=tuple(start for _, _, start in waiting[:QUEUE_DEPTH]),
        ))
    return views


def _within(running: list[tuple[int, float]], busy: int) -> list[tuple[int, float]]:
    """The running jobs, soonest to end first, as far as they fit in `busy` GPUs."""
    out: list[tuple[int, float]] = []
    for gpus, left in running:
        if gpus > busy:
            break
        out.append((gpus, left))
        busy -= gpus
    return out


def live_queues(factories: list[Factory],
                cache: dict[int, FactoryQueue | None] | None = None
                ) -> dict[int, FactoryQueue | None]:
    """Each factory's live queue (capability QUEUE: one or two requests per factory), read
    once per `cache` (the worker keeps one per cycle); None where the connector cannot read
    it or the factory does not answer (placement then sees only Antenna's own jobs there)."""
    cache = {} if cache is None else cache
    todo: list[tuple[Factory, Connector]] = []
    for factory in factories:
        if factory.pk in cache:
            continue
        connector = connector_for(factory)
        if Capability.QUEUE not in connector.capabilities:
            cache[factory.pk] = None
            continue
        todo.append((factory, connector))

    def read(item: tuple[Factory, Connector]) -> FactoryQueue | None:
        factory, connector = item
        try:
            return connector.queue()
        except FactoryUnavailable as exc:
            log.warning("placement: %s's queue not read (%s); using Antenna's own jobs",
                        factory.name, exc.message)
            return None

    queues = each_at_once(todo, read, "queue")  # the factories' answers awaited together
    for (factory, _connector), queue in zip(todo, queues, strict=True):
        cache[factory.pk] = queue
    return cache


def recent_usage(days: int = 14) -> dict[str, dict[str, float]]:
    """GPU-seconds charged per factory and organisation over the last days (fair share)."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        Job.objects.filter(finished_at__gte=since, factory__isnull=False)
        .values("factory__name", "allocation__organization_id")
        .annotate(total=Sum("gpu_seconds_charged"))
    )
    usage: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        usage[row["factory__name"]][str(row["allocation__organization_id"])] = float(
            row["total"] or 0)
    return usage


def job_log_location(job: Job) -> str | None:
    """None when Antenna can read the job's output (or the job is at no factory yet); else
    where the output is at the factory: its path there, or "" when the factory does not say.
    A factory whose file system is not shared with Antenna has no capability LOGS."""
    if job.factory is None or not job.scheduler_job_id:
        return None
    connector = connector_for(job.factory)
    if Capability.LOGS in connector.capabilities:
        return None
    try:
        return connector.output_location(job.scheduler_job_id)
    except FactoryUnavailable:
        return ""


def job_log_tail(job: Job, *, max_bytes: int = 65536) -> tuple[str, bool]:
    """The last `max_bytes` of the job's output ("" until a factory holds it), and whether
    the factory answered; when it did not, the text says so instead."""
    if job.factory is None or not job.scheduler_job_id:
        return "", True
    try:
        return connector_for(job.factory).read_log(job.scheduler_job_id,
                                                   max_bytes=max_bytes), True
    except FactoryUnavailable as exc:
        return _("(the log is not reachable right now: %(e)s)") % {"e": exc.message}, False


def job_tasks(job: Job) -> QuerySet[JobTask]:
    """The tasks of a job array the factory reported, by index."""
    return JobTask.objects.filter(job=job).order_by("index")
