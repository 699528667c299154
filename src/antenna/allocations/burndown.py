"""Burn-down of an allocation: granted, reserved, used and remaining GPU-hours day by day.

Computed from the allocation's ledger (`allocations.LedgerEntry`: grant, reserve, release,
settle, adjust; deltas in GPU-seconds), so the chart always agrees with the budget. Read-only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from antenna.allocations.models import SECONDS_PER_HOUR, Allocation, LedgerEntry

MAX_CHART_POINTS = 120


@dataclass(frozen=True)
class Movement:
    """One ledger row reduced to what the burn-down needs."""

    day: dt.date
    granted: int = 0
    reserved: int = 0
    used: int = 0


@dataclass(frozen=True)
class BurnPoint:
    """The budget at the end of `day`, in GPU-seconds."""

    day: dt.date
    granted: int
    reserved: int
    used: int

    @property
    def remaining(self) -> int:
        return self.granted - self.reserved - self.used


@dataclass(frozen=True)
class BurnDown:
    starts_on: dt.date
    ends_on: dt.date
    today: dt.date
    changes: tuple[BurnPoint, ...]  # one point per day on which the ledger moved

    def at(self, day: dt.date) -> BurnPoint:
        """The budget at the end of `day` (zero before the first movement)."""
        last = BurnPoint(day, 0, 0, 0)
        for point in self.changes:
            if point.day > day:
                break
            last = point
        return BurnPoint(day, last.granted, last.reserved, last.used)

    def chart(self) -> dict[str, Any]:
        """Labels and series in GPU-hours for the chart (JSON-ready).

        Days from the start to the end date (sampled to at most MAX_CHART_POINTS); the
        measured series stop today, the "even pace" line runs from the grant to zero.
        """
        total_days = max(1, (self.ends_on - self.starts_on).days)
        step = max(1, math.ceil(total_days / MAX_CHART_POINTS))
        days = [self.starts_on + dt.timedelta(days=n) for n in range(0, total_days + 1, step)]
        if days[-1] != self.ends_on:
            days.append(self.ends_on)
        if self.starts_on <= self.today <= self.ends_on and self.today not in days:
            days = sorted([*days, self.today])
        granted = self.at(self.ends_on).granted
        series: dict[str, list[float | None]] = {"remaining": [], "reserved": [], "used": [],
                                                 "pace": []}
        for day in days:
            elapsed = (day - self.starts_on).days / total_days
            series["pace"].append(_h(round(granted * (1 - elapsed))))
            if day > self.today:
                for key in ("remaining", "reserved", "used"):
                    series[key].append(None)
                continue
            point = self.at(day)
            series["remaining"].append(_h(point.remaining))
            series["reserved"].append(_h(point.reserved))
            series["used"].append(_h(point.used))
        return {"labels": [d.isoformat() for d in days], **series}


def _h(seconds: int) -> float:
    return round(seconds / SECONDS_PER_HOUR, 2)


def burndown(*, starts_on: dt.date, ends_on: dt.date, movements: Iterable[Movement],
             today: dt.date) -> BurnDown:
    """Fold the ledger's movements into end-of-day totals.

    Movements before the start count on the start day (the grant is often booked at the
    decision, before the allocation starts); those after the end on the end day (jobs
    settled late).
    """
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in movements:
        day = min(max(m.day, starts_on), ends_on)
        per_day[day][0] += m.granted
        per_day[day][1] += m.reserved
        per_day[day][2] += m.used
    changes = []
    granted = reserved = used = 0
    for day in sorted(per_day):
        g, r, u = per_day[day]
        granted, reserved, used = granted + g, reserved + r, used + u
        changes.append(BurnPoint(day, granted, reserved, used))
    return BurnDown(starts_on=starts_on, ends_on=ends_on, today=today, changes=tuple(changes))


def allocation_burndowns(allocations: Sequence[Allocation]) -> dict[int, BurnDown]:
    """The burn-down of each allocation, from one query on the ledger."""
    moves: dict[int, list[Movement]] = defaultdict(list)
    # Summed per allocation and local day in the database: a busy allocation has a ledger
    # row per job reserve and settle (tens of thousands), the chart needs one per day.
    rows = (LedgerEntry.objects.filter(allocation__in=[a.pk for a in allocations])
            .annotate(day=TruncDate("created_at")).values_list("allocation_id", "day")
            .annotate(g=Sum("granted_delta"), r=Sum("reserved_delta"), u=Sum("used_delta"))
            .order_by("allocation_id", "day"))
    for allocation_id, day, g, r, u in rows:
        moves[allocation_id].append(Movement(day, g, r, u))
    today = timezone.localdate()
    return {a.pk: burndown(starts_on=a.starts_on, ends_on=a.ends_on, movements=moves[a.pk],
                           today=today)
            for a in allocations}
