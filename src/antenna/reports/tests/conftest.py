"""Hand-built records with known KPIs (the numbers the tests expect are worked out in each
test's docstring). Timestamps are set after the services ran, as the calendar would have."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from antenna.accounts.models import User
from antenna.allocations.models import Allocation
from antenna.allocations.states import AllocationState
from antenna.calls.models import Call
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit, usage_months_rebuild
from antenna.jobs.states import JobState
from antenna.organizations.models import Organization, OrganizationKind
from antenna.proposals.models import Proposal
from antenna.proposals.services import (
    proposal_assess,
    proposal_decide,
    proposal_submit,
    proposal_withdraw,
)
from antenna.testing import (
    make_call,
    make_factory,
    make_observer,
    make_operator,
    make_org,
    make_user,
)
from antenna.testing import make_proposal as _make_proposal

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = dt.date(2026, 8, 1)


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=BRUSSELS)


@dataclass
class KpiWorld:
    operator: User
    observer: User
    applicant: User
    factory: Factory
    playground: Call
    fast_lane: Call
    startup: Organization  # A: Flanders, health, first-time HPC user
    public: Organization  # B: public administration, Wallonia
    university: Organization  # C: Brussels
    p1: Proposal
    p2: Proposal
    p3: Proposal
    p4: Proposal
    p5: Proposal
    job: Job


def _times(p: Proposal, submitted: str, decided: str | None = None) -> None:
    Proposal.objects.filter(pk=p.pk).update(
        submitted_at=at(submitted), decided_at=at(decided, 15) if decided else None)


def build_kpi_world() -> KpiWorld:
    """Five proposals in July 2026 (21 July, Belgian national day, is a holiday):

    | | org | mode | requested | outcome | submitted -> decided | working days |
    |p1| A startup | playground | 100 | accepted 100 | Fri 17 -> Mon 20 | 1 |
    |p2| B public | playground | 200 | accepted 200 | Mon 20 -> Thu 23 | 2 (21st off) |
    |p3| C university | fast lane | 1000 | accepted 600 | Wed 1 -> Fri 10 | 7 |
    |p4| A startup | fast lane | 500 | rejected, lack of capacity | Mon 6 -> Wed 8 | 2 |
    |p5| B public | fast lane | 300 | withdrawn after submission, capacity | Thu 9 | - |
    Plus a draft (not counted). p1's job started Wed 22 (1 working day after the decision),
    charged 10 GPU-hours; p1's allocation is under-used; p2's expired with 150 h unused.
    """
    operator, observer, applicant = make_operator(), make_observer(), make_user()
    factory = make_factory("jupiter")
    playground = make_call("playground", factories=[factory], by=operator)
    fast_lane = make_call("fast_lane", factories=[factory], by=operator,
                          eligible_kinds=list(OrganizationKind.values))
    a = make_org(applicant, kind="startup", region="flanders", legal_name="Alpha Vision")
    b = make_org(applicant, kind="public_administration", region="wallonia",
                 legal_name="Service public de Wallonie")
    c = make_org(applicant, kind="university", region="brussels", legal_name="ULB")
    Organization.objects.filter(pk=a.pk).update(sector="health_biotech", first_time_hpc=True)
    Organization.objects.filter(pk=b.pk).update(sector="public_services", first_time_hpc=False)
    Organization.objects.filter(pk=c.pk).update(sector="research", first_time_hpc=False)

    def proposal(call: Call, org: Organization, hours: int, **fields: object) -> Proposal:
        return _make_proposal(applicant, call, org, requested_gpu_hours=hours,
                              factory=factory, **fields)

    p1 = proposal_submit(proposal=proposal(playground, a, 100, title="Open vision model",
                                           openness="open"), by=applicant)
    p2 = proposal_submit(proposal=proposal(playground, b, 200, title="Partly open triage",
                                           openness="partial"), by=applicant)
    p3 = proposal_submit(proposal=proposal(fast_lane, c, 1000, title="Secret weather model",
                                           openness="closed"), by=applicant)
    proposal_assess(proposal=p3, by=operator, feasible=True)
    proposal_decide(proposal=p3, by=operator, decision="accept", gpu_hours=600)
    p4 = proposal_submit(proposal=proposal(fast_lane, a, 500), by=applicant)
    proposal_decide(proposal=p4, by=operator, decision="reject", reason="capacity")
    p5 = proposal_submit(proposal=proposal(fast_lane, b, 300), by=applicant)
    proposal_withdraw(proposal=p5, by=applicant, cause="capacity")
    _make_proposal(applicant, fast_lane, c, requested_gpu_hours=50)  # draft, not counted
    _times(p1, "2026-07-17", "2026-07-20")
    _times(p2, "2026-07-20", "2026-07-23")
    _times(p3, "2026-07-01", "2026-07-10")
    _times(p4, "2026-07-06", "2026-07-08")
    _times(p5, "2026-07-09")
    Call.objects.filter(pk__in=[playground.pk, fast_lane.pk]).update(
        opens_on=dt.date(2026, 6, 15))

    alloc1 = Allocation.objects.get(proposal=p1)
    job = job_submit(by=applicant, allocation=alloc1, name="train",
                     script="#!/bin/bash\necho hi\n", gpus=1, walltime_minutes=10)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.COMPLETED, factory=factory, started_at=at("2026-07-22", 9),
        finished_at=at("2026-07-22", 19), gpu_seconds_charged=36_000, gpu_seconds_reserved=0)
    usage_months_rebuild([alloc1.pk])  # the job was written directly: its roll-up from it
    Allocation.objects.filter(pk=alloc1.pk).update(
        starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 8, 31), used_gpu_seconds=36_000,
        reserved_gpu_seconds=0)
    Allocation.objects.filter(proposal=p2).update(
        starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31),
        state=AllocationState.EXPIRED, used_gpu_seconds=50 * 3600)
    Allocation.objects.filter(proposal=p3).update(
        starts_on=dt.date(2026, 7, 20), ends_on=dt.date(2027, 1, 19))
    return KpiWorld(operator=operator, observer=observer, applicant=applicant, factory=factory,
                    playground=playground, fast_lane=fast_lane, startup=a, public=b,
                    university=c, p1=p1, p2=p2, p3=p3, p4=p4, p5=p5,
                    job=Job.objects.get(pk=job.pk))


@pytest.fixture
def kpi_world(db) -> KpiWorld:
    return build_kpi_world()
