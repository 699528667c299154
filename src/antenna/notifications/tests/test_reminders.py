"""The worker's periodic step: every time-based notice is found, each (user, kind, object,
occasion) once, in one query per kind when there is nothing new to say."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from antenna.allocations.models import Allocation
from antenna.expertise.models import ExpertiseRequest
from antenna.notifications.models import EmailState, Notice, NoticeKind
from antenna.notifications.periodic import notices_scan, registered
from antenna.opportunities.models import Opportunity
from antenna.opportunities.reminders import last_week
from antenna.opportunities.services import opportunity_create
from antenna.proposals.models import ReviewAssignment
from antenna.testing import make_world
from antenna.training.models import TrainingEvent
from antenna.training.services import registration_create

pytestmark = pytest.mark.django_db


def _kinds(**filters) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for n in Notice.objects.filter(**filters).exclude(kind=NoticeKind.PROPOSAL_SUBMITTED):
        found.setdefault(n.kind, set()).add(n.occasion)
    return found


def _counts() -> int:
    return Notice.objects.count()


@pytest.fixture
def world():
    return make_world()


def test_every_time_based_notice_is_found_once(world, django_assert_max_num_queries):
    now = timezone.now()
    today = timezone.localdate(now)
    a = world.allocation
    Allocation.objects.filter(pk=a.pk).update(
        used_gpu_seconds=a.granted_gpu_seconds * 85 // 100, reserved_gpu_seconds=0,
        starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=5),
        final_report_due_on=today + dt.timedelta(days=10))
    ReviewAssignment.objects.filter(proposal=world.in_peer_review).update(
        due_at=now + dt.timedelta(days=1))
    ExpertiseRequest.objects.filter(pk=world.expertise_request.pk).update(
        first_response_due=now - dt.timedelta(hours=1))
    TrainingEvent.objects.filter(pk=world.event.pk).update(
        starts_at=now + dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=6))
    registration_create(event=world.event, by=world.member)
    start, _end, label = last_week(now)
    for kinds, title in ((["startup"], "For start-ups"), (["university"], "Universities only")):
        o = opportunity_create(title=title, kind="horizon_europe", url="https://example.org/",
                               deadline=today + dt.timedelta(days=60), eligible_kinds=kinds,
                               by=world.operator)
        Opportunity.objects.filter(pk=o.pk).update(created_at=start + dt.timedelta(days=1))

    found = notices_scan(now)
    assert set(found) == set(registered())
    assert {name for name, count in found.items() if count == 0} == {"final_reports_overdue",
                                                                     "reviews_overdue"}
    assert _kinds(user=world.member, target_id__isnull=False) == {
        NoticeKind.ALLOCATION_USAGE: {"used_80"}, NoticeKind.ALLOCATION_ENDING: {"days_7"},
        NoticeKind.FINAL_REPORT_DUE: {"due"}, NoticeKind.EVENT_REMINDER: {"reminder"},
        NoticeKind.OPPORTUNITIES: {label},
    }
    assert _kinds(user=world.reviewer, kind=NoticeKind.REVIEW_DUE) == {
        NoticeKind.REVIEW_DUE: {"due"}}
    overdue = Notice.objects.filter(kind=NoticeKind.EXPERTISE_OVERDUE)
    assert {n.user for n in overdue} == {world.operator, world.expert}
    digest = Notice.objects.get(user=world.owner, kind=NoticeKind.OPPORTUNITIES)
    assert "For start-ups" in digest.body and "Universities only" not in digest.body
    assert "kind: startup" in digest.body
    assert all(n.email_state == EmailState.PENDING for n in Notice.objects.all())

    # again: nothing new, and cheap: one query per occasion (usage 80/100, ending 30/7/0,
    # report due, overdue, reviews due, overdue, expertise, events) + 2 for opportunities
    total = _counts()
    with django_assert_max_num_queries(2 + 3 + 1 + 1 + 2 + 1 + 1 + 2):
        again = notices_scan(now)
    assert sum(again.values()) == 0 and _counts() == total

    # later occasions are new notices; the earlier ones are not repeated
    later = now + dt.timedelta(days=20)
    Allocation.objects.filter(pk=a.pk).update(used_gpu_seconds=a.granted_gpu_seconds,
                                              ends_on=timezone.localdate(later))
    notices_scan(later)
    assert _kinds(user=world.member, kind__in=[NoticeKind.ALLOCATION_USAGE,
                                               NoticeKind.ALLOCATION_ENDING,
                                               NoticeKind.FINAL_REPORT_OVERDUE]) == {
        NoticeKind.ALLOCATION_USAGE: {"used_80", "used_100"},
        NoticeKind.ALLOCATION_ENDING: {"days_7", "days_0"},
        NoticeKind.FINAL_REPORT_OVERDUE: {"overdue"},
    }
    assert Notice.objects.filter(user=world.reviewer, kind=NoticeKind.REVIEW_OVERDUE).count() == 1
    assert Notice.objects.filter(user=world.member, kind=NoticeKind.EVENT_REMINDER).count() == 1


def test_a_filed_final_report_and_a_written_review_stop_their_reminders(world):
    now = timezone.now()
    today = timezone.localdate(now)
    Allocation.objects.filter(pk=world.allocation.pk).update(
        final_report_due_on=today - dt.timedelta(days=1), final_report_submitted_at=now)
    ReviewAssignment.objects.filter(proposal=world.in_peer_review).update(
        due_at=now - dt.timedelta(days=1))
    from antenna.proposals.services import proposal_review

    proposal_review(proposal=world.in_peer_review, by=world.reviewer, score=4,
                    recommendation="accept", comment="Solid.")
    notices_scan(now)
    assert not Notice.objects.filter(kind__in=[NoticeKind.FINAL_REPORT_OVERDUE,
                                               NoticeKind.REVIEW_OVERDUE]).exists()


def test_the_database_keeps_one_notice_per_occasion(world):
    fields = {"user": world.member, "kind": NoticeKind.ALLOCATION_ENDING, "subject": "s",
              "body": "b", "target_type": "allocations.allocation",
              "target_id": world.allocation.pk, "occasion": "days_7"}
    Notice.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(**fields)
    # notices caused by an action (no occasion) may repeat
    Notice.objects.create(**{**fields, "occasion": ""})
    Notice.objects.create(**{**fields, "occasion": ""})


def test_notices_caused_by_actions(world):
    """Submitted (members and operators), review assigned, registered or waiting: told at once."""
    submitted = Notice.objects.filter(kind=NoticeKind.PROPOSAL_SUBMITTED,
                                      target_id=world.under_review.pk)
    assert {n.user for n in submitted} == {world.owner, world.member, world.operator}
    assigned = Notice.objects.get(kind=NoticeKind.REVIEW_ASSIGNED, user=world.reviewer)
    assert world.in_peer_review.title in assigned.subject
    assert assigned.link == f"/proposals/{world.in_peer_review.pk}/"
    assert Notice.objects.filter(kind=NoticeKind.EXPERT_ASSIGNED, user=world.expert).exists()

    TrainingEvent.objects.filter(pk=world.event.pk).update(capacity=1)
    registration_create(event=world.event, by=world.member)
    registration_create(event=world.event, by=world.owner)
    subjects = dict(Notice.objects.filter(kind=NoticeKind.EVENT_REGISTERED)
                    .values_list("user__username", "subject"))
    assert subjects == {world.member.username: f"Registered: {world.event.title}",
                        world.owner.username: f"On the waiting list: {world.event.title}"}
    assert all(n.email_state == EmailState.PENDING and n.emailed_at is None
               for n in Notice.objects.all())
