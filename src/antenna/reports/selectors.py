"""The KPIs of docs/kpis.md, read-only. Every function aggregates in the database and runs a
fixed number of queries whatever the rows (the tests pin them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from antenna.allocations.models import Allocation, UsageDay, UsageMonth, UsageSpan, hours
from antenna.allocations.states import AllocationState
from antenna.calls.modes import MODE_DEFAULTS, AccessMode
from antenna.core.workdays import add_months, working_days_between_many
from antenna.organizations.models import Organization, OrganizationKind, Region, Sector
from antenna.proposals.models import Openness, Proposal
from antenna.proposals.states import ProposalState
from antenna.reports.filters import ReportFilter

NONE_LABEL = "—"
UNDER_USED_LISTED = 50


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _month_key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return NONE_LABEL
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


# ---------------------------------------------------------------------------------------------
# Time to access


@dataclass
class TimeToAccess:
    """Per access mode: working days from submission to decision and decision to first job."""

    mode: str
    label: str
    target: int
    decisions: int = 0
    median: float | None = None
    p90: float | None = None
    on_time: int = 0
    first_jobs: int = 0
    median_to_first_job: float | None = None
    p90_to_first_job: float | None = None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.decisions if self.decisions else None


def _percentiles(values: list[int]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    import numpy as np  # on first use: not on every process's start-up path

    median, p90 = np.percentile(np.array(values, dtype=float), [50, 90])
    return round(float(median), 1), round(float(p90), 1)


def time_to_access(f: ReportFilter | None = None) -> list[TimeToAccess]:
    """Decided proposals (accepted or rejected) per mode, the period on the decision day; the
    first job is the first that started on the proposal's allocation (kept on the allocation,
    `first_job_started_at`). One query."""
    f = f or ReportFilter()
    qs = (Proposal.objects.filter(submitted_at__isnull=False, decided_at__isnull=False,
                                  state__in=[ProposalState.ACCEPTED, ProposalState.REJECTED])
          .filter(f.organization_q("organization__"), f.period_q("decided_at__date")))
    if f.mode:
        qs = qs.filter(call__mode=f.mode)
    if f.factory:
        qs = qs.filter(Q(factory_id=f.factory) | Q(allocation__factory_id=f.factory))
    # local days computed by the database (TruncDate in the current time zone, as
    # `_local_day`): converting 40,000 datetimes in Python took most of a second
    rows = qs.values_list("call__mode", TruncDate("submitted_at"), TruncDate("decided_at"),
                          TruncDate("allocation__first_job_started_at")).order_by()
    to_decision: dict[str, list[int]] = defaultdict(list)
    to_job: dict[str, list[int]] = defaultdict(list)
    decisions: list[tuple[str, tuple[dt.date, dt.date]]] = []
    first_jobs: list[tuple[str, tuple[dt.date, dt.date]]] = []
    for mode, submitted, decided, first_job in rows:
        decisions.append((mode, (submitted, decided)))
        if first_job is not None:
            first_jobs.append((mode, (decided, first_job)))
    # one vectorised count per list (thousands of proposals: not one numpy call each)
    for target, pairs in ((to_decision, decisions), (to_job, first_jobs)):
        for (mode, _), count in zip(pairs, working_days_between_many([p for _, p in pairs]),
                                    strict=True):
            target[mode].append(count)
    result = []
    for mode in AccessMode:
        if f.mode and mode.value != f.mode:
            continue
        item = TimeToAccess(mode=mode.value, label=str(mode.label),
                            target=MODE_DEFAULTS[mode.value].decision_target_days)
        days = to_decision[mode.value]
        item.decisions = len(days)
        item.median, item.p90 = _percentiles(days)
        item.on_time = sum(1 for d in days if d <= item.target)
        item.first_jobs = len(to_job[mode.value])
        item.median_to_first_job, item.p90_to_first_job = _percentiles(to_job[mode.value])
        result.append(item)
    return result


# ---------------------------------------------------------------------------------------------
# Outcomes and hours


@dataclass
class HoursRow:
    """GPU-hours requested, awarded and used, and proposal outcomes, for one group."""

    group: str
    label: str
    requested: Decimal = Decimal(0)
    awarded: Decimal = Decimal(0)
    used: Decimal = Decimal(0)
    proposals: int = 0
    decided: int = 0
    accepted: int = 0

    @property
    def success_rate(self) -> float | None:
        """Accepted among decided (accepted + rejected)."""
        return self.accepted / self.decided if self.decided else None

    @property
    def used_share(self) -> float | None:
        return float(self.used / self.awarded) if self.awarded else None


# group -> the value path on proposals, allocations and jobs
_PATHS: dict[str, tuple[str, str, str]] = {
    "kind": ("organization__kind", "organization__kind", "allocation__organization__kind"),
    "region": ("organization__region", "organization__region",
               "allocation__organization__region"),
    "sector": ("organization__sector", "organization__sector",
               "allocation__organization__sector"),
    "factory": ("factory__display_name", "factory__display_name", "factory__display_name"),
    "mode": ("call__mode", "proposal__call__mode", "allocation__proposal__call__mode"),
}

_LABELS: dict[str, dict[str, str]] = {
    "kind": {k.value: str(k.label) for k in OrganizationKind},
    "region": {r.value: str(r.label) for r in Region},
    "sector": {s.value: str(s.label) for s in Sector},
    "mode": {m.value: str(m.label) for m in AccessMode},
}

SUBMITTED = Q(submitted_at__isnull=False)


def _submitted_proposals(f: ReportFilter) -> QuerySet[Proposal]:
    qs = Proposal.objects.filter(SUBMITTED).filter(
        f.organization_q("organization__"), f.period_q("submitted_at__date"))
    if f.factory:
        qs = qs.filter(factory_id=f.factory)
    if f.mode:
        qs = qs.filter(call__mode=f.mode)
    return qs


def _allocations(f: ReportFilter) -> QuerySet[Allocation]:
    qs = Allocation.objects.filter(f.organization_q("organization__"), f.period_q("starts_on"))
    if f.factory:
        qs = qs.filter(factory_id=f.factory)
    if f.mode:
        qs = qs.filter(proposal__call__mode=f.mode)
    return qs


def _usage_rows(f: ReportFilter, qs: QuerySet[Any]) -> QuerySet[Any]:
    """The roll-up rows (`UsageMonth` or `UsageDay`) of the filter's organisations, factory
    and mode."""
    qs = qs.filter(f.organization_q("allocation__organization__"), jobs_gpu_seconds__gt=0)
    if f.factory:
        qs = qs.filter(factory_id=f.factory)
    if f.mode:
        qs = qs.filter(allocation__proposal__call__mode=f.mode)
    return qs


def period_split(date_from: dt.date | None, date_to: dt.date | None,
                 ) -> tuple[dt.date | None, dt.date | None, list[tuple[dt.date, dt.date]]]:
    """Split a period of days into whole months (first month, month after the last, either
    None when open; first >= after: none) and the days left over at its ends, as [start,
    end) ranges. The whole months are read from the usage roll-up by month, the days from
    the roll-up by day and week (`used_by`)."""
    end = date_to + dt.timedelta(days=1) if date_to else None
    first = date_from if date_from is None or date_from.day == 1 \
        else add_months(date_from.replace(day=1), 1)
    after = end if end is None or end.day == 1 else end.replace(day=1)
    if first is not None and after is not None and first >= after:
        assert date_from is not None and end is not None
        return first, first, [(date_from, end)]
    days = []
    if date_from is not None and first is not None and date_from < first:
        days.append((date_from, first))
    if end is not None and after is not None and after < end:
        days.append((after, end))
    return first, after, days


# A signed term of the roll-ups: (span, first day) -> +1 or -1; span a `UsageSpan` (a day, a
# week of the month: `UsageDay`) or MONTH (`UsageMonth`).
MONTH = 0
Terms = dict[tuple[int, dt.date], int]
_TERM_COST = {UsageSpan.DAY: 1.0, UsageSpan.WEEK: 1.5, MONTH: 2.0}  # ~ rows read, relative


def _weeks_of(month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The weeks of the month (from its 1st, 8th, 15th, 22nd, 29th) as [start, end)."""
    after = add_months(month, 1)
    starts = [month + dt.timedelta(days=d) for d in (0, 7, 14, 21, 28)]
    return [(s, min(s + dt.timedelta(days=7), after) if s.day < 29 else after)
            for s in starts if s < after]


def _span_days(start: dt.date, end: dt.date) -> set[dt.date]:
    return {start + dt.timedelta(days=i) for i in range((end - start).days)}


def _week_terms(month: dt.date, days: set[dt.date]) -> Terms:
    """`days` (of one month) as weeks wholly in it, plus each other week's days, or the week
    minus its days not in `days` when that reads fewer rows."""
    terms: Terms = {}
    for start, end in _weeks_of(month):
        week = _span_days(start, end)
        inside, outside = week & days, week - days
        if not inside:
            continue
        if not outside:
            terms[(UsageSpan.WEEK, start)] = 1
        elif len(inside) <= len(outside) + 1:
            terms.update({(UsageSpan.DAY, d): 1 for d in inside})
        else:
            terms[(UsageSpan.WEEK, start)] = 1
            terms.update({(UsageSpan.DAY, d): -1 for d in outside})
    return terms


def _cost(terms: Terms) -> float:
    return sum(_TERM_COST[span] for span, _ in terms)


def usage_terms(start: dt.date, end: dt.date) -> Terms:
    """The days [start, end) as signed roll-up terms whose sum is their usage: per month, the
    cheaper of its days read directly (`_week_terms`) and the whole month minus the other
    days. A month term is always +1."""
    terms: Terms = {}
    while start < end:
        month = start.replace(day=1)
        stop = min(add_months(month, 1), end)
        days = _span_days(start, stop)
        direct = _week_terms(month, days)
        rest = _span_days(month, add_months(month, 1)) - days
        complement = {(MONTH, month): 1} | {k: -v for k, v in _week_terms(month, rest).items()}
        terms.update(complement if _cost(complement) < _cost(direct) else direct)
        start = stop
    return terms


def used_by(f: ReportFilter, path: str | None) -> list[tuple[Any, int]]:
    """GPU-seconds charged to jobs, per value of `path` (a relation path valid from a usage
    roll-up row: `allocation__...`, or `factory__...` for the factory that ran it; None: per
    local end month), in the filter's period by the job's end day (creation if none). Whole
    months come from the usage roll-up by month (`allocations.UsageMonth`, kept by the settle
    path), the days at the period's ends from the roll-up by day and week of the month
    (`allocations.UsageDay`, `usage_terms`): two queries at most, whatever the jobs. A group
    may come back in several pairs (to add up); none is zero."""
    first, after, days = period_split(f.date_from, f.date_to)
    terms: Terms = {}
    for start, end in days:
        terms.update(usage_terms(start, end))
    result: list[tuple[Any, int]] = []
    whole: Q | None = None
    if first is None or after is None or first < after:
        whole = Q()
        if first is not None:
            whole &= Q(month__gte=first)
        if after is not None:
            whole &= Q(month__lt=after)
    extra = [day for (span, day) in terms if span == MONTH]
    if extra:
        whole = Q(month__in=extra) if whole is None else whole | Q(month__in=extra)
    if whole is not None:
        group: Any = F(path) if path else F("month")
        result += [(r["g"], r["t"]) for r in _usage_rows(f, UsageMonth.objects.filter(whole))
                   .annotate(g=group).values("g").annotate(t=Sum("jobs_gpu_seconds"))
                   .order_by()]
    signs: dict[int, dict[int, list[dt.date]]] = {1: defaultdict(list), -1: defaultdict(list)}
    for (span, day), sign in terms.items():
        if span != MONTH:
            signs[sign][span].append(day)
    if signs[1] or signs[-1]:
        plus, minus = (Q(*[Q(span=span, day__in=sorted(d)) for span, d in signs[sign].items()],
                         _connector=Q.OR) for sign in (1, -1))
        value: Any = (Case(When(minus, then=-F("jobs_gpu_seconds")),
                           default=F("jobs_gpu_seconds"), output_field=BigIntegerField())
                      if signs[-1]
                      else F("jobs_gpu_seconds"))
        day_group: Any = F(path) if path else TruncMonth("day")
        result += [(r["g"], r["t"]) for r in _usage_rows(f, UsageDay.objects.filter(plus | minus))
                   .annotate(g=day_group).values("g").annotate(t=Sum(value)).order_by()]
    return result


def hours_by(group: str, f: ReportFilter | None = None) -> list[HoursRow]:
    """Requested (submitted proposals, by submission day and preferred factory), awarded
    (allocations, by start day) and used (charged jobs, by end day) per `group`, with
    proposals, decided and accepted counts. Three queries, four when the period starts or
    ends inside a month (see `used_by`)."""
    f = f or ReportFilter()
    rows: dict[str, HoursRow] = {}

    def row(key: Any) -> HoursRow:
        name = _month_key(key) if group == "month" else (key or NONE_LABEL)
        if name not in rows:
            label = _LABELS.get(group, {}).get(name, name)
            rows[name] = HoursRow(group=name, label=label)
        return rows[name]

    if group == "month":
        exprs: tuple[Any, Any, Any] = (TruncMonth("submitted_at"), TruncMonth("starts_on"),
                                       None)
    else:
        exprs = _PATHS[group]

    decided = Q(state__in=[ProposalState.ACCEPTED, ProposalState.REJECTED])
    for r in (_submitted_proposals(f).annotate(g=F(exprs[0]) if isinstance(exprs[0], str)
                                               else exprs[0])
              .values("g").annotate(t=Sum("requested_gpu_hours"), n=Count("id"),
                                    d=Count("id", filter=decided),
                                    a=Count("id", filter=Q(state=ProposalState.ACCEPTED)))
              .order_by()):
        item = row(r["g"])
        item.requested += Decimal(r["t"] or 0)
        item.proposals += r["n"]
        item.decided += r["d"]
        item.accepted += r["a"]
    for r in (_allocations(f).annotate(g=F(exprs[1]) if isinstance(exprs[1], str) else exprs[1])
              .values("g").annotate(t=Sum("granted_gpu_seconds")).order_by()):
        row(r["g"]).awarded += hours(r["t"] or 0)
    totals: dict[Any, int] = defaultdict(int)
    for key, total in used_by(f, None if group == "month" else exprs[2]):
        totals[_month_key(key) if group == "month" else key] += total or 0
    for key, total in totals.items():
        if total:  # a month less its days outside the period may leave nothing
            row(key).used += hours(total)
    if group == "month":
        return [rows[k] for k in sorted(rows)]
    order = list(_LABELS.get(group, {}))
    return sorted(rows.values(), key=lambda h: (
        h.group == NONE_LABEL, order.index(h.group) if h.group in order else len(order),
        h.label))


# ---------------------------------------------------------------------------------------------
# Who is served


@dataclass
class Served:
    """Organisations with an allocation starting in the period, and who they are."""

    registered: int = 0
    registered_first_time: int = 0
    served: int = 0
    first_time_hpc: int = 0
    sme_startup: int = 0
    public_sector: int = 0
    awarded: Decimal = Decimal(0)
    public_sector_awarded: Decimal = Decimal(0)

    @property
    def sme_startup_share(self) -> float | None:
        return self.sme_startup / self.served if self.served else None

    @property
    def public_sector_share(self) -> float | None:
        """Public administrations' share of the GPU-hours awarded."""
        return float(self.public_sector_awarded / self.awarded) if self.awarded else None


SME_KINDS = (OrganizationKind.SME, OrganizationKind.STARTUP)


def served(f: ReportFilter | None = None) -> Served:
    """Two queries: organisations registered (by creation day), and those served."""
    f = f or ReportFilter()
    result = Served()
    orgs = Organization.objects.filter(f.organization_q(""), f.period_q("created_at__date"))
    counts = orgs.aggregate(n=Count("id"), first=Count("id", filter=Q(first_time_hpc=True)))
    result.registered, result.registered_first_time = counts["n"], counts["first"]
    for r in (_allocations(f).values("organization__kind", "organization__first_time_hpc")
              .annotate(n=Count("organization", distinct=True), t=Sum("granted_gpu_seconds"))
              .order_by()):
        n, awarded = r["n"], hours(r["t"] or 0)
        result.served += n
        result.awarded += awarded
        if r["organization__first_time_hpc"]:
            result.first_time_hpc += n
        if r["organization__kind"] in SME_KINDS:
            result.sme_startup += n
        if r["organization__kind"] == OrganizationKind.PUBLIC_ADMINISTRATION:
            result.public_sector += n
            result.public_sector_awarded += awarded
    return result


# ---------------------------------------------------------------------------------------------
# Allocations


def under_use_share() -> Decimal:
    """The national cut policy: under this share used after half the time (configurable)."""
    return Decimal(str(getattr(settings, "ANTENNA_UNDER_USE_SHARE", "0.4")))


@dataclass
class AllocationHealth:
    """Active allocations under-used after half their time; hours that expired unused."""

    under_used: int = 0
    under_used_granted: Decimal = Decimal(0)
    under_used_used: Decimal = Decimal(0)
    under_used_ids: list[int] = field(default_factory=list)
    ended: int = 0
    expired_unused: Decimal = Decimal(0)
    ended_granted: Decimal = Decimal(0)

    @property
    def expired_unused_share(self) -> float | None:
        return float(self.expired_unused / self.ended_granted) if self.ended_granted else None


def allocation_health(f: ReportFilter | None = None,
                      today: dt.date | None = None) -> AllocationHealth:
    """Two queries. Under-used: active, at least half its time gone, under the policy share
    used. Expired unused: granted - used of allocations that ended (expired or closed) with
    their end day in the period."""
    f = f or ReportFilter()
    today = today or timezone.localdate()
    share = under_use_share()
    result = AllocationHealth()
    base = Allocation.objects.filter(f.organization_q("organization__"))
    if f.factory:
        base = base.filter(factory_id=f.factory)
    if f.mode:
        base = base.filter(proposal__call__mode=f.mode)
    under: list[tuple[dt.date, int]] = []
    for pk, starts_on, ends_on, granted, used in base.filter(
            state=AllocationState.ACTIVE).values_list(
            "pk", "starts_on", "ends_on", "granted_gpu_seconds", "used_gpu_seconds"):
        total = (ends_on - starts_on).days or 1
        elapsed = min(max((today - starts_on).days, 0), total)
        if 2 * elapsed >= total and granted > 0 and Decimal(used) < share * granted:
            result.under_used += 1
            result.under_used_granted += hours(granted)
            result.under_used_used += hours(used)
            under.append((ends_on, pk))
    result.under_used_ids = [pk for _, pk in sorted(under)[:UNDER_USED_LISTED]]
    ended = base.filter(state__in=[AllocationState.EXPIRED, AllocationState.CLOSED],
                        ends_on__lt=today).filter(f.period_q("ends_on")).aggregate(
        n=Count("id"), granted=Sum("granted_gpu_seconds"),
        unused=Sum(F("granted_gpu_seconds") - F("used_gpu_seconds")))
    result.ended = ended["n"]
    result.ended_granted = hours(ended["granted"] or 0)
    result.expired_unused = hours(max(ended["unused"] or 0, 0))
    return result


# ---------------------------------------------------------------------------------------------
# Transparency


@dataclass(frozen=True)
class SupportedProject:
    """A project shown on the public page: no person, only the organisation and the work."""

    title: str
    organization: str
    mode: str
    factory: str
    awarded: Decimal
    year: int
    abstract: str


def supported_projects(limit: int = 200) -> list[SupportedProject]:
    """Accepted proposals whose results are open (title and abstract) or partly open (title
    only), newest decision first. One query."""
    rows = (Proposal.objects.filter(state=ProposalState.ACCEPTED,
                                    openness__in=[Openness.OPEN, Openness.PARTIAL])
            .order_by("-decided_at", "-id")
            .values("title", "abstract", "openness", "organization__legal_name", "call__mode",
                    "allocation__factory__display_name", "allocation__granted_gpu_seconds",
                    "decided_at")[:limit])
    modes = _LABELS["mode"]
    return [SupportedProject(
        title=r["title"], organization=r["organization__legal_name"],
        mode=modes.get(r["call__mode"], r["call__mode"]),
        factory=r["allocation__factory__display_name"] or NONE_LABEL,
        awarded=hours(r["allocation__granted_gpu_seconds"] or 0).quantize(Decimal(1)),
        year=_local_day(r["decided_at"]).year if r["decided_at"] else 0,
        abstract=r["abstract"] if r["openness"] == Openness.OPEN else "",
    ) for r in rows]
