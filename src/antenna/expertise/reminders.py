"""Overdue expertise requests, found by the worker's periodic step: the assigned expert and
the operators are told once per request (one query; `notice_send` with an occasion)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy

from antenna.accounts.models import PlatformRole, User
from antenna.expertise.models import ExpertiseRequest
from antenna.notifications.models import Notice, NoticeKind
from antenna.notifications.services import notice_send


def expertise_overdue(now: dt.datetime) -> int:
    """Open requests past their first-response target without an expert's answer."""
    told = Notice.objects.filter(kind=NoticeKind.EXPERTISE_OVERDUE,
                                 target_type="expertise.expertiserequest",
                                 target_id=OuterRef("pk"), occasion="overdue")
    late = (ExpertiseRequest.objects.overdue(now).exclude(Exists(told))
            .select_related("organization", "expert"))
    sent = 0
    operators: list[User] | None = None
    for r in late:
        if operators is None:
            operators = list(User.objects.filter(role=PlatformRole.OPERATOR, is_active=True))
        people = operators + ([r.expert] if r.expert is not None else [])
        sent += len(notice_send(
            users=people, kind=NoticeKind.EXPERTISE_OVERDUE,
            subject=gettext_lazy("Expertise request #%(pk)s is overdue"),
            body=gettext_lazy("%(org)s's request \"%(title)s\" had no answer by %(due)s "
                              "(expert: %(expert)s)."),
            params={"pk": r.pk, "org": r.organization.legal_name, "title": r.title,
                    "due": timezone.localtime(r.first_response_due).strftime("%Y-%m-%d %H:%M"),
                    "expert": r.expert.username if r.expert else "—"},
            link=f"/expertise/{r.pk}/", target=r, occasion="overdue"))
    return sent
