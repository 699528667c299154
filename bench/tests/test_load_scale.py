"""The scale seeder keeps the ledger's invariants; the KPI selectors count right (issue #5).

Behaviour only: the timings live in bench/scale/run.py and bench/load/run.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from antenna.allocations.models import SECONDS_PER_HOUR, Allocation, LedgerEntry
from antenna.allocations.selectors import ledger_balances
from antenna.jobs.models import Job
from antenna.jobs.selectors import job_list
from antenna.jobs.states import JobState
from antenna.organizations.models import Membership, Organization
from antenna.proposals.models import Decision, Proposal
from antenna.proposals.services import proposal_decide, proposal_submit, proposal_withdraw
from antenna.testing import (
    make_call,
    make_factory,
    make_operator,
    make_org,
    make_proposal,
    make_user,
)
from antenna_bench.kpi_queries import (
    kpi_gpu_hours_by_factory,
    kpi_organizations_by_kind_and_region,
    kpi_proposals_by_mode_and_state,
)
from antenna_bench.seeding import check_invariants, seed_scale

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return seed_scale(organizations=30, jobs=1_500, log=lambda _s: None)


def test_seed_counts(seeded):
    assert Organization.objects.filter(legal_name__startswith="Scale org").count() == 30
    assert Job.objects.count() == seeded.jobs == 1_500
    assert Allocation.objects.count() == seeded.allocations
    assert Proposal.objects.count() == seeded.proposals
    # every organisation has an owner; the big one has 20 members
    assert Membership.objects.filter(role="owner").count() == 30
    assert Membership.objects.filter(organization_id=seeded.big_organization_id).count() == 20
    # one allocation per accepted proposal, one decision per decided proposal
    assert Allocation.objects.count() == Proposal.objects.filter(state="accepted").count()
    assert Decision.objects.count() == Proposal.objects.filter(
        state__in=["accepted", "rejected"]).count()
    # a grant per allocation, a reserve per job, a settle or release per ended job
    kinds = dict(LedgerEntry.objects.values_list("kind").annotate(n=Count("id"))
                 .values_list("kind", "n"))
    ended = Job.objects.filter(state__in=["completed", "failed"]).count()
    cancelled = Job.objects.filter(state="cancelled").count()
    assert kinds["grant"] == seeded.allocations
    assert kinds["reserve"] == 1_500
    assert kinds.get("settle", 0) == ended and kinds.get("release", 0) == cancelled
    assert seeded.ledger_entries == sum(kinds.values())
    # the big organisation holds about a tenth of the jobs
    big = Job.objects.filter(allocation__organization_id=seeded.big_organization_id).count()
    assert 50 < big < 300


def test_seed_ledger_balances_and_totals(seeded):
    report = check_invariants(sample=1_000)
    assert report["sampled"] == seeded.allocations
    assert report["unbalanced"] == [] and report["over_committed"] == 0
    assert report["usage_rollup_matches_jobs"] is True
    for allocation in Allocation.objects.all()[:10]:
        assert ledger_balances(allocation)
    # the allocations' totals are the jobs' own numbers
    totals = Allocation.objects.aggregate(r=Sum("reserved_gpu_seconds"),
                                          u=Sum("used_gpu_seconds"))
    active = Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).aggregate(
        r=Sum("gpu_seconds_reserved"))
    charged = Job.objects.aggregate(u=Sum("gpu_seconds_charged"))
    assert totals["r"] == active["r"] and totals["u"] == charged["u"]
    # the awarded hours are what the decisions and proposals say
    for a in Allocation.objects.select_related("proposal__decision")[:10]:
        assert a.proposal is not None
        assert a.granted_gpu_seconds == a.proposal.decision.gpu_hours * SECONDS_PER_HOUR
        assert a.proposal.requested_gpu_hours * SECONDS_PER_HOUR == a.granted_gpu_seconds
        assert a.state == "active" and a.starts_on <= a.ends_on


def test_seeded_jobs_are_listed_only_to_members(seeded):
    membership = Membership.objects.filter(organization_id=seeded.big_organization_id,
                                           role="member").select_related("user").first()
    assert membership is not None
    member = membership.user
    mine = set(job_list(user=member).values_list("allocation__organization_id", flat=True))
    assert mine == {seeded.big_organization_id}
    other = Allocation.objects.exclude(organization_id=seeded.big_organization_id).first()
    assert other is not None
    assert not job_list(user=member, allocation=other.pk).exists()
    own = seeded.big_allocation_ids[0]
    assert job_list(user=member, allocation=own).count() == Job.objects.filter(
        allocation_id=own).count()


def test_seeding_twice_is_refused(seeded):
    with pytest.raises(ValueError, match="already seeded"):
        seed_scale(organizations=2, jobs=1, log=lambda _s: None)


def test_kpis_on_a_hand_checked_dataset():
    operator = make_operator()
    jupiter = make_factory("kpi-jupiter")
    lumi = make_factory("kpi-lumi", factor=Decimal("0.5"))
    owner = make_user()
    startup = make_org(owner, kind="startup", region="flanders")
    uni = make_org(owner, kind="university", region="wallonia")
    make_org(owner, kind="university", region="wallonia")
    startup2 = make_org(owner, kind="startup", region="brussels")
    make_org(owner, kind="sme", country="NL")
    playground = make_call("playground", factories=[jupiter, lumi], by=operator)
    fast = make_call("fast_lane", factories=[jupiter, lumi], by=operator,
                     max_gpu_hours=50_000)
    # Playground: decided at once on submission (accepted, whole request granted)
    p1 = proposal_submit(proposal=make_proposal(owner, playground, startup,
                                                requested_gpu_hours=100, factory=jupiter),
                         by=owner)
    # Fast Lane: one accepted with fewer hours on LUMI, one withdrawn, one draft
    p2 = proposal_submit(proposal=make_proposal(owner, fast, startup, requested_gpu_hours=1_000,
                                                factory=lumi), by=owner)
    proposal_decide(proposal=p2, by=operator, decision="accept", gpu_hours=600, factory=lumi,
                    comment="ok")
    p3 = proposal_submit(proposal=make_proposal(owner, fast, startup2, requested_gpu_hours=300),
                         by=owner)
    proposal_withdraw(proposal=p3, by=owner, reason="")
    make_proposal(owner, playground, uni, requested_gpu_hours=50)  # draft
    # used: 10 GPU-hours charged on the LUMI allocation
    Allocation.objects.filter(proposal=p2).update(used_gpu_seconds=10 * SECONDS_PER_HOUR)

    by_factory = {row.factory: row for row in kpi_gpu_hours_by_factory()}
    p1.refresh_from_db()
    awarded_p1 = Allocation.objects.get(proposal=p1)
    where_p1 = awarded_p1.factory.name if awarded_p1.factory else "pooled/any"
    assert by_factory["kpi-lumi"].requested == 1_000  # withdrawn and drafts do not count
    assert by_factory["kpi-lumi"].awarded == 600
    assert by_factory["kpi-lumi"].used == 10
    assert by_factory["kpi-jupiter"].requested == 100
    assert by_factory[where_p1].awarded == 100
    assert sum(r.awarded for r in by_factory.values()) == 700

    states = kpi_proposals_by_mode_and_state()
    assert states == {("playground", "accepted"): 1, ("playground", "draft"): 1,
                      ("fast_lane", "accepted"): 1, ("fast_lane", "withdrawn"): 1}

    orgs = kpi_organizations_by_kind_and_region()
    assert orgs == {("startup", "flanders"): 1, ("startup", "brussels"): 1,
                    ("university", "wallonia"): 2,
                    ("sme", "outside_belgium"): 1}
