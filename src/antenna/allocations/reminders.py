"""Time-based notices about allocations, found by the worker's periodic step: 80 % and 100 %
used, 30, 7 and 0 days before the end, the final report due and overdue. One query per
occasion; allocations already told about an occasion are left out in the query, and
`notice_send` with an occasion keeps one notice per (member, kind, allocation, occasion)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from antenna.accounts.models import User
from antenna.allocations.models import Allocation
from antenna.allocations.states import AllocationState
from antenna.notifications.models import Notice, NoticeKind
from antenna.notifications.services import notice_send

# The final report is "due" this many days before its due date.
REPORT_DUE_NOTICE_DAYS = 30


def _untold(kind: str, occasion: str) -> QuerySet[Allocation]:
    told = Notice.objects.filter(kind=kind, target_type="allocations.allocation",
                                 target_id=OuterRef("pk"), occasion=occasion)
    return (Allocation.objects.exclude(Exists(told))
            .select_related("organization")
            .prefetch_related("organization__memberships__user"))


def _members(a: Allocation) -> list[User]:
    return [m.user for m in a.organization.memberships.all()]


def _tell(allocations: QuerySet[Allocation], kind: str, occasion: str,
          subject: str | Promise, body: str | Promise) -> int:
    sent = 0
    for a in allocations:
        sent += len(notice_send(
            users=_members(a), kind=kind, subject=subject, body=body,
            params={"pk": a.pk, "org": a.organization.legal_name,
                    "ends": a.ends_on.isoformat(), "due": a.final_report_due_on.isoformat(),
                    "used": a.gpu_hours_used, "granted": a.gpu_hours_granted},
            link=f"/allocations/{a.pk}/", target=a, occasion=occasion))
    return sent


def allocations_usage(now: dt.datetime) -> int:
    """Active allocations at 80 % (but under 100 %) and at 100 % of their GPU-hours used."""
    kind = NoticeKind.ALLOCATION_USAGE
    live = Q(state__in=[AllocationState.ACTIVE, AllocationState.SUSPENDED],
             granted_gpu_seconds__gt=0)
    full = Q(used_gpu_seconds__gte=F("granted_gpu_seconds"))
    eighty = Q(used_gpu_seconds__gte=F("granted_gpu_seconds") * 4 / 5)
    sent = _tell(_untold(kind, "used_80").filter(live & eighty & ~full), kind, "used_80",
                 gettext_lazy("Allocation %(pk)s is 80 %% used"),
                 gettext_lazy("%(org)s has used %(used)s of its %(granted)s GPU-hours in "
                              "allocation %(pk)s (ends %(ends)s)."))
    sent += _tell(_untold(kind, "used_100").filter(live & full), kind, "used_100",
                  gettext_lazy("Allocation %(pk)s is used up"),
                  gettext_lazy("%(org)s has used all %(granted)s GPU-hours of allocation "
                               "%(pk)s; new jobs on it are refused."))
    return sent


def allocations_ending(now: dt.datetime) -> int:
    """Active allocations 30, 7 and 0 days before their end (each said once, the nearest
    occasion only: an allocation found 5 days before its end is told "7 days")."""
    kind = NoticeKind.ALLOCATION_ENDING
    today = timezone.localdate(now)
    live = Q(state__in=[AllocationState.ACTIVE, AllocationState.SUSPENDED])
    days = dt.timedelta
    windows = (
        ("days_30", Q(ends_on__gt=today + days(7), ends_on__lte=today + days(30))),
        ("days_7", Q(ends_on__gt=today, ends_on__lte=today + days(7))),
        ("days_0", Q(ends_on=today)),
    )
    sent = 0
    for occasion, window in windows:
        if occasion == "days_0":
            subject = gettext_lazy("Allocation %(pk)s ends today")
        else:
            subject = gettext_lazy("Allocation %(pk)s ends on %(ends)s")
        sent += _tell(_untold(kind, occasion).filter(live & window), kind, occasion, subject,
                      gettext_lazy("Allocation %(pk)s of %(org)s ends on %(ends)s: jobs must "
                                   "finish by then. Its final report is due by %(due)s."))
    return sent


def final_reports_due(now: dt.datetime) -> int:
    """Final reports not filed, due within 30 days."""
    kind = NoticeKind.FINAL_REPORT_DUE
    today = timezone.localdate(now)
    return _tell(_untold(kind, "due").filter(
        final_report_submitted_at__isnull=True, final_report_due_on__gte=today,
        final_report_due_on__lte=today + dt.timedelta(days=REPORT_DUE_NOTICE_DAYS),
    ).exclude(state=AllocationState.CLOSED), kind, "due",
        gettext_lazy("Final report due for allocation %(pk)s"),
        gettext_lazy("The final report of allocation %(pk)s (%(org)s) is due by %(due)s. "
                     "File it on the allocation's page."))


def final_reports_overdue(now: dt.datetime) -> int:
    """Final reports not filed and past their due date."""
    kind = NoticeKind.FINAL_REPORT_OVERDUE
    today = timezone.localdate(now)
    return _tell(_untold(kind, "overdue").filter(
        final_report_submitted_at__isnull=True, final_report_due_on__lt=today,
    ).exclude(state=AllocationState.CLOSED), kind, "overdue",
        gettext_lazy("Final report overdue for allocation %(pk)s"),
        gettext_lazy("The final report of allocation %(pk)s (%(org)s) was due by %(due)s. "
                     "File it on the allocation's page."))
