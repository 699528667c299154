"""Reads on jobs, and the factory picture placement needs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import Allocation
from antenna.connectors.registry import connector_for
from antenna.core.errors import FactoryUnavailable
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.placement import QUEUE_DEPTH, FactoryView, PartitionView
from antenna.jobs.states import JobState


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


def factory_views(factories: list[Factory]) -> list[FactoryView]:
    """Capacity, GPUs busy and backlog of each factory, from the jobs Antenna sent there,
    with the running jobs (GPUs, seconds left by the walltime), the first QUEUE_DEPTH queued
    ones in submission order (GPUs, walltime in seconds) and how many are queued."""
    now = timezone.now()
    busy: dict[int, int] = defaultdict(int)
    queued: dict[int, float] = defaultdict(float)
    running_left: dict[int, float] = defaultdict(float)
    running: dict[int, list[tuple[int, float]]] = defaultdict(list)
    waiting: dict[int, list[tuple[int, float]]] = defaultdict(list)
    count: dict[int, int] = defaultdict(int)
    rows = Job.objects.filter(
        factory__in=factories, state__in=[JobState.SUBMITTED, JobState.RUNNING]
    ).order_by("submitted_at", "created_at", "pk").values_list(
        "factory_id", "state", "gpus", "walltime_minutes", "started_at")
    for factory_id, state, gpus, walltime, started in rows:
        if state == JobState.RUNNING:
            busy[factory_id] += gpus
            elapsed = (now - started).total_seconds() if started else 0.0
            left = max(0.0, walltime * 60 - elapsed)
            running_left[factory_id] += gpus * left
            running[factory_id].append((gpus, left))
        else:
            queued[factory_id] += gpus * walltime * 60
            count[factory_id] += 1
            if len(waiting[factory_id]) < QUEUE_DEPTH:
                waiting[factory_id].append((gpus, walltime * 60.0))
    views = []
    for f in factories:
        parts = list(f.partitions.all())
        total = sum(p.gpus_per_node * p.total_nodes for p in parts)
        slots = (f.connector_settings or {}).get("gpu_slots")
        if slots:
            total = int(slots)
        views.append(FactoryView(
            name=f.name, available=f.is_available, total_gpus=total, busy_gpus=busy[f.pk],
            queued_gpu_seconds=queued[f.pk], running_gpu_seconds_left=running_left[f.pk],
            partitions=tuple(PartitionView(p.name, p.gpu_model, p.gpus_per_node,
                                           p.max_nodes_per_job, p.max_walltime_minutes)
                             for p in parts),
            running_jobs=tuple(running[f.pk]), queued_jobs=tuple(waiting[f.pk]),
            queued_count=count[f.pk],
        ))
    return views


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
