"""Read-only views across apps for the portal's dashboards: the applicant's home, the operator
console, the observer's overview. Each function runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from antenna.accounts.models import User
from antenna.allocations.models import Allocation, UsageMonth, hours
from antenna.allocations.states import AllocationState
from antenna.calls.modes import AccessMode
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.states import JobState
from antenna.organizations.models import Organization, OrganizationKind, Region
from antenna.proposals.models import Proposal
from antenna.proposals.states import ProposalState
from antenna.reports.caching import cache_seconds, report_cached
from antenna.reports.filters import group_from, report_filter_from
from antenna.reports.pages import overview_kpis

NEARING_END_DAYS = 30


def under_use_share() -> Decimal:
    """The national cut policy: under this share used after half the time (configurable)."""
    return Decimal(str(getattr(settings, "ANTENNA_UNDER_USE_SHARE", "0.4")))


def used_share(allocation: Allocation) -> Decimal:
    if allocation.granted_gpu_seconds <= 0:
        return Decimal(0)
    return Decimal(allocation.used_gpu_seconds) / Decimal(allocation.granted_gpu_seconds)


def time_share(allocation: Allocation, today: dt.date) -> Decimal:
    total = (allocation.ends_on - allocation.starts_on).days or 1
    elapsed = min(max((today - allocation.starts_on).days, 0), total)
    return Decimal(elapsed) / Decimal(total)


def is_under_used(allocation: Allocation, today: dt.date) -> bool:
    """Past half its time with less than the policy's share used (cut candidate)."""
    return (allocation.state == AllocationState.ACTIVE
            and time_share(allocation, today) >= Decimal("0.5")
            and used_share(allocation) < under_use_share())


@dataclass
class FactoryQueue:
    factory: Factory
    queued: int = 0  # placed on this factory by request, waiting for the worker
    submitted: int = 0
    running: int = 0
    gpus_busy: int = 0
    total_gpus: int = 0


def factory_queues() -> tuple[list[FactoryQueue], int]:
    """Per factory: jobs submitted and running there, GPUs busy; and jobs not placed yet."""
    factories = list(Factory.objects.prefetch_related("partitions"))
    rows = (Job.objects.filter(state__in=[JobState.QUEUED, JobState.SUBMITTED,
                                          JobState.RUNNING])
            .values("factory_id", "requested_factory_id", "state")
            .annotate(n=Count("id"), gpus=Sum("gpus")))
    by_factory = {f.pk: FactoryQueue(factory=f) for f in factories}
    unplaced = 0
    for row in rows:
        where = row["factory_id"] or row["requested_factory_id"]
        queue = by_factory.get(where) if where else None
        if row["state"] == JobState.QUEUED:
            if queue is None:
                unplaced += row["n"]
            else:
                queue.queued += row["n"]
        elif queue is not None:
            if row["state"] == JobState.RUNNING:
                queue.running += row["n"]
                queue.gpus_busy += row["gpus"] or 0
            else:
                queue.submitted += row["n"]
    for queue in by_factory.values():
        slots = (queue.factory.connector_settings or {}).get("gpu_slots")
        queue.total_gpus = int(slots) if slots else sum(
            p.gpus_per_node * p.total_nodes for p in queue.factory.partitions.all())
    return list(by_factory.values()), unplaced


# The console lists at most this many rows per section (late or soonest first) and says how
# many more there are: with thousands of rows the page stays fast and readable.
CONSOLE_LIMIT = 50


def allocations_to_watch(today: dt.date | None = None,
                         limit: int = CONSOLE_LIMIT) -> dict[str, Any]:
    """Active allocations ending within 30 days, and those under-used after half their time:
    the first `limit` of each (soonest end first) and how many there are in all."""
    today = today or timezone.localdate()
    # Decide on the few columns the rules need, then load (with their organisation, factory
    # and proposal) only the allocations shown: loading every active allocation took seconds
    # with ten thousand of them (docs/benchmarks-api.md). Two queries whatever the rows.
    soon = today + dt.timedelta(days=NEARING_END_DAYS)
    ending: list[tuple[dt.date, int]] = []
    under: list[tuple[dt.date, int]] = []
    for pk, starts_on, ends_on, granted, used in Allocation.objects.filter(
            state=AllocationState.ACTIVE).values_list(
            "pk", "starts_on", "ends_on", "granted_gpu_seconds", "used_gpu_seconds"):
        if ends_on <= soon:
            ending.append((ends_on, pk))
        total = (ends_on - starts_on).days or 1
        if 2 * min(max((today - starts_on).days, 0), total) >= total and is_under_used(
                Allocation(pk=pk, state=AllocationState.ACTIVE, starts_on=starts_on,
                           ends_on=ends_on, granted_gpu_seconds=granted,
                           used_gpu_seconds=used), today):
            under.append((ends_on, pk))
    ending_ids = [pk for _, pk in sorted(ending)[:limit]]
    under_ids = [pk for _, pk in sorted(under)[:limit]]
    wanted = set(ending_ids) | set(under_ids)
    shown = {a.pk: a for a in Allocation.objects.filter(pk__in=wanted)
             .select_related("organization", "factory", "proposal")} if wanted else {}
    return {"ending": [shown[pk] for pk in ending_ids],
            "under_used": [shown[pk] for pk in under_ids],
            "ending_total": len(ending), "under_used_total": len(under)}


@dataclass
class FactoryHours:
    name: str
    requested: Decimal = Decimal(0)
    awarded: Decimal = Decimal(0)
    used: Decimal = Decimal(0)


@dataclass
class Overview:
    organizations: int
    by_kind_region: list[tuple[str, list[int], int]]
    regions: list[str]
    region_totals: list[int]
    proposal_modes: list[tuple[str, list[int], int]]
    states: list[str]
    proposals: int
    hours: list[FactoryHours] = field(default_factory=list)
    first_time_hpc: int = 0

    def chart(self) -> dict[str, Any]:
        return {
            "labels": [h.name for h in self.hours],
            "requested": [float(h.requested) for h in self.hours],
            "awarded": [float(h.awarded) for h in self.hours],
            "used": [float(h.used) for h in self.hours],
        }


def overview() -> Overview:
    """Counts for the ministry: organisations by kind and region, proposals by mode and
    state, GPU-hours requested, awarded and used per factory. Seven queries."""
    regions = list(Region)
    kr: dict[tuple[str, str], int] = defaultdict(int)
    for kind, region, n in (Organization.objects.values_list("kind", "region")
                            .annotate(n=Count("id")).values_list("kind", "region", "n")):
        kr[(kind, region or Region.OUTSIDE_BELGIUM)] += n
    by_kind = []
    for kind in OrganizationKind:
        row = [kr[(kind.value, r.value)] for r in regions]
        by_kind.append((str(kind.label), row, sum(row)))
    region_totals = [sum(kr[(k.value, r.value)] for k in OrganizationKind) for r in regions]

    states = list(ProposalState)
    ms = {(m, s): n for m, s, n in Proposal.objects.values_list("call__mode", "state")
          .annotate(n=Count("id")).values_list("call__mode", "state", "n")}
    modes = []
    for mode in AccessMode:
        row = [ms.get((mode.value, s.value), 0) for s in states]
        modes.append((str(mode.label), row, sum(row)))

    factories = {f.pk: FactoryHours(f.display_name) for f in Factory.objects.all()}
    pooled = FactoryHours("—")
    submitted = ~Q(state__in=[ProposalState.DRAFT, ProposalState.WITHDRAWN])
    for factory_id, total in (Proposal.objects.filter(submitted).values_list("factory_id")
                              .annotate(t=Sum("requested_gpu_hours"))
                              .values_list("factory_id", "t")):
        factories.get(factory_id, pooled).requested += Decimal(total or 0)
    for factory_id, total in (Allocation.objects.values_list("factory_id")
                              .annotate(t=Sum("granted_gpu_seconds"))
                              .values_list("factory_id", "t")):
        factories.get(factory_id, pooled).awarded += hours(total or 0)
    for factory_id, total in (UsageMonth.objects.filter(factory__isnull=False)
                              .values_list("factory_id")
                              .annotate(t=Sum("jobs_gpu_seconds"))
                              .values_list("factory_id", "t")):
        factories.get(factory_id, pooled).used += hours(total or 0)
    rows = list(factories.values())
    if pooled.requested or pooled.awarded or pooled.used:
        rows.append(pooled)
    for fh in rows:
        fh.requested = fh.requested.quantize(Decimal(1))
        fh.awarded = fh.awarded.quantize(Decimal(1))
        fh.used = fh.used.quantize(Decimal(1))
    return Overview(
        organizations=sum(region_totals), by_kind_region=by_kind,
        regions=[str(r.label) for r in regions], region_totals=region_totals,
        proposal_modes=modes, states=[str(s.label) for s in states],
        proposals=sum(ms.values()), hours=rows,
        first_time_hpc=Organization.objects.filter(first_time_hpc=True).count(),
    )


def overview_of_everyone(params: Mapping[str, Any]) -> dict[str, Any]:
    """The operators' and observers' overview (the counts, and the indicators of everyone for
    the filter in `params`): about twenty queries over every record, so kept in the report
    cache (`reports.caching`, `ANTENNA_REPORTS_CACHE_SECONDS`) per filter, day and language;
    `computed_at` and `cache_minutes` let the page say how old the figures may be. Raises
    ValidationFailed on a bad parameter (nothing is computed then)."""
    f = report_filter_from(params)
    group = group_from(params)

    def compute() -> dict[str, Any]:
        counts = overview()
        return {"o": counts, "chart": counts.chart(), "k": overview_kpis(params, None),
                "computed_at": timezone.now()}

    figures = report_cached("overview", (f.query_string(), group,
                                         timezone.localdate().isoformat()), compute)
    return {**figures, "cache_minutes": cache_seconds() // 60}


def recent_jobs_of(user: User, limit: int = 5) -> list[Job]:
    """The latest jobs on the user's organisations' allocations."""
    return list(Job.objects.filter(allocation__organization__memberships__user=user)
                .select_related("factory", "allocation").order_by("-created_at", "-id")[:limit])
