"""`antenna seed_demo --history 24`: two years of records behind the indicators and the
outlook, every figure computed from them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from antenna.allocations.models import Allocation
from antenna.jobs.models import Job
from antenna.proposals.models import Proposal
from antenna.reports.outlook import outlook
from antenna.reports.selectors import hours_by, time_to_access

pytestmark = pytest.mark.django_db


def test_seed_demo_history_gives_two_years_and_a_seasonal_forecast():
    call_command("seed_demo", "--history", "24", stdout=io.StringIO())
    history = Proposal.objects.filter(organization__legal_name__startswith="History ")
    modes = set(history.values_list("call__mode", flat=True))
    assert modes == {"playground", "fast_lane", "large_scale", "ai_for_science"}
    assert set(history.values_list("state", flat=True)) >= {"accepted", "rejected"}
    assert Allocation.objects.filter(state="expired").exists()
    assert Job.objects.filter(gpu_seconds_charged__gt=0).exists()

    o = outlook()
    complete = [m for m in o.history if not m.partial]
    assert len(complete) >= 24
    assert o.forecast.method == "ets-damped-trend-seasonal"
    assert len(o.forecast.points) == 24
    assert all(p.lower <= p.demand <= p.upper for p in o.forecast.points)
    # growth: the last year asks for more than the first
    assert sum(m.requested for m in complete[-12:]) > sum(m.requested for m in complete[:12])
    assert sum(m.unmet for m in complete) > 0
    by_month = hours_by("month")
    assert len(by_month) >= 24
    assert all(r.decisions > 0 for r in time_to_access() if r.mode == "playground")
    # idempotent: a second run adds no history
    before = history.count()
    call_command("seed_demo", "--history", "24", stdout=io.StringIO())
    assert history.count() == before
