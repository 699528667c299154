"""The event reminder, found by the worker's periodic step: registrants of an event that starts
within a day are reminded once (one query; `notice_send` with an occasion)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy

from antenna.notifications.models import Notice, NoticeKind
from antenna.notifications.services import notice_send
from antenna.training.models import Registration
from antenna.training.states import RegistrationState

REMINDER_BEFORE = dt.timedelta(hours=24)


def events_remind(now: dt.datetime) -> int:
    """Registered people of the events starting in the next 24 hours, not yet reminded."""
    told = Notice.objects.filter(kind=NoticeKind.EVENT_REMINDER,
                                 target_type="training.registration", target_id=OuterRef("pk"))
    due = (Registration.objects
           .filter(state=RegistrationState.REGISTERED, event__starts_at__gt=now,
                   event__starts_at__lte=now + REMINDER_BEFORE, user__is_active=True)
           .exclude(Exists(told)).select_related("event", "user"))
    sent = 0
    for r in due:
        e = r.event
        where = e.place if not e.online and e.place else gettext_lazy("online")
        sent += len(notice_send(
            users=[r.user], kind=NoticeKind.EVENT_REMINDER,
            subject=gettext_lazy("Reminder: %(title)s starts on %(when)s"),
            body=gettext_lazy("%(title)s starts on %(when)s (%(where)s). If you cannot come, "
                              "cancel your registration so that someone waiting gets your "
                              "place."),
            params={"title": e.title, "where": where,
                    "when": timezone.localtime(e.starts_at).strftime("%Y-%m-%d %H:%M")},
            target=r, occasion="reminder"))
    return sent
