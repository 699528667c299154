"""The weekly digest of new matching opportunities, found by the worker's periodic step.

In the week after opportunities were added, each organisation's members get one notice listing
those that match it (still open), with the reason: occasion "opportunities YYYY-Www" of the
week they were added, so it is sent once per (member, organisation, week)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy

from antenna.notifications.models import Notice, NoticeKind
from antenna.notifications.services import notice_send
from antenna.opportunities.matching import Criteria, Profile, match_reason
from antenna.opportunities.models import Opportunity
from antenna.organizations.models import Organization


def last_week(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
    """The previous ISO week (Monday 00:00 to Monday 00:00, local time) and its label."""
    today = timezone.localdate(now)
    monday = today - dt.timedelta(days=today.weekday())
    start_day = monday - dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(start_day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
    year, week, _day = start_day.isocalendar()
    return start, end, f"{year}-W{week:02d}"


def opportunities_weekly(now: dt.datetime) -> int:
    """Tell each organisation's members about last week's new opportunities that match it."""
    start, end, label = last_week(now)
    new = list(Opportunity.objects.filter(created_at__gte=start, created_at__lt=end,
                                          deadline__gte=timezone.localdate(now)))
    if not new:
        return 0
    told = Notice.objects.filter(kind=NoticeKind.OPPORTUNITIES,
                                 target_type="organizations.organization",
                                 target_id=OuterRef("pk"), occasion=label)
    organizations = (Organization.objects.filter(memberships__isnull=False).distinct()
                     .exclude(Exists(told)).prefetch_related("memberships__user"))
    sent = 0
    for org in organizations:
        profile = Profile(kind=org.kind, sector=org.sector, region=org.region,
                          country=org.country)
        lines = []
        for o in new:
            reason = match_reason(Criteria(o.eligible_kinds, o.sectors, o.regions, o.countries),
                                  profile)
            if reason is not None:
                lines.append(f"- {o.title} ({o.deadline.isoformat()}; {reason})\n  {o.url}")
        if not lines:
            continue
        sent += len(notice_send(
            users=[m.user for m in org.memberships.all()], kind=NoticeKind.OPPORTUNITIES,
            subject=gettext_lazy("New opportunities for %(org)s"),
            body=gettext_lazy("Opportunities added last week that %(org)s may apply to "
                              "(deadline; why it fits):\n\n%(list)s"),
            params={"org": org.legal_name, "list": "\n".join(lines)},
            link=f"/organisations/{org.pk}/", target=org, occasion=label))
    return sent
