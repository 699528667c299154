"""Time-based notices about reviews, found by the worker's periodic step (one query per kind;
each (reviewer, kind, assignment) is told once: `notice_send` with an occasion)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from antenna.notifications.models import Notice, NoticeKind
from antenna.notifications.services import notice_send
from antenna.proposals.models import ReviewAssignment
from antenna.proposals.states import ProposalState

# "Due" is said this long before the review's due date.
DUE_NOTICE = dt.timedelta(days=2)


def _unreviewed(kind: str) -> QuerySet[ReviewAssignment]:
    told = Notice.objects.filter(kind=kind, target_type="proposals.reviewassignment",
                                 target_id=OuterRef("pk"), user_id=OuterRef("reviewer_id"))
    return (ReviewAssignment.objects
            .filter(review__isnull=True, due_at__isnull=False,
                    proposal__state=ProposalState.PEER_REVIEW, reviewer__is_active=True)
            .exclude(Exists(told)).select_related("proposal", "reviewer"))


def _send(assignments: QuerySet[ReviewAssignment], kind: str, occasion: str) -> int:
    sent = 0
    for a in assignments:
        if kind == NoticeKind.REVIEW_DUE:
            subject = gettext_lazy("Review due soon: %(title)s")
            body = gettext_lazy("Your review of \"%(title)s\" is due by %(due)s.")
        else:
            subject = gettext_lazy("Review overdue: %(title)s")
            body = gettext_lazy("Your review of \"%(title)s\" was due by %(due)s. Please "
                                "submit it, or tell the operators you cannot.")
        sent += len(notice_send(
            users=[a.reviewer], kind=kind, subject=subject, body=body,
            params={"title": a.proposal.title,
                    "due": timezone.localtime(a.due_at).strftime("%Y-%m-%d %H:%M")},
            link=f"/proposals/{a.proposal_id}/", target=a, occasion=occasion))
    return sent


def reviews_due(now: dt.datetime) -> int:
    """Reviews due within two days and not written."""
    return _send(_unreviewed(NoticeKind.REVIEW_DUE).filter(
        due_at__gt=now, due_at__lte=now + DUE_NOTICE), NoticeKind.REVIEW_DUE, "due")


def reviews_overdue(now: dt.datetime) -> int:
    """Reviews past their due date and not written."""
    return _send(_unreviewed(NoticeKind.REVIEW_OVERDUE).filter(due_at__lte=now),
                 NoticeKind.REVIEW_OVERDUE, "overdue")
