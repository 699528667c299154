"""Decision deadlines and review due dates count Belgian working days (holidays.BE), like the
time-to-access KPIs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from antenna.proposals.services import proposal_assign_reviewer, proposal_submit
from antenna.testing import (
    make_call,
    make_operator,
    make_org,
    make_proposal,
    make_reviewer,
    make_user,
)

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


def _submit_at(monkeypatch, moment: dt.datetime, mode: str, **call_fields):
    monkeypatch.setattr(timezone, "now", lambda: moment)
    applicant, operator = make_user(), make_operator()
    org = make_org(applicant, kind="university")
    call = make_call(mode, by=operator, eligible_kinds=["university"], **call_fields)
    return proposal_submit(proposal=make_proposal(applicant, call, org), by=applicant), operator


def test_fast_lane_deadline_skips_the_belgian_national_day(monkeypatch):
    """Submitted Mon 20 July 2026; Fast Lane's target is 4 working days; Tue 21 July is a
    holiday: Wed 22, Thu 23, Fri 24, Mon 27 -> due Monday 27 July (Friday 24 without it)."""
    submitted = dt.datetime(2026, 7, 20, 10, tzinfo=BRUSSELS)
    p, _ = _submit_at(monkeypatch, submitted, "fast_lane")
    assert p.call.decision_target_days == 4
    assert timezone.localtime(p.decision_due_at) == dt.datetime(2026, 7, 27, 10,
                                                                tzinfo=BRUSSELS)


def test_friday_submission_counts_monday_as_the_first_working_day(monkeypatch):
    """Friday 17 July 2026 + 4 working days: 20, 22, 23, 24 (21 off) -> Friday 24 July."""
    submitted = dt.datetime(2026, 7, 17, 16, tzinfo=BRUSSELS)
    p, _ = _submit_at(monkeypatch, submitted, "fast_lane")
    assert timezone.localtime(p.decision_due_at).date() == dt.date(2026, 7, 24)


def test_review_due_date_skips_holidays(monkeypatch):
    """Large Scale (target 10): a reviewer assigned on Thu 31 Dec 2026 is due 8 working days
    later, without New Year's Day (Fri 1 Jan): 4, 5, 6, 7, 8, 11, 12, 13 January -> 13 Jan."""
    moment = dt.datetime(2026, 12, 31, 9, tzinfo=BRUSSELS)
    p, operator = _submit_at(monkeypatch, moment, "large_scale")
    assert p.call.decision_target_days == 10
    assignment = proposal_assign_reviewer(proposal=p, by=operator, reviewer=make_reviewer())
    assert timezone.localtime(assignment.due_at).date() == dt.date(2027, 1, 13)
