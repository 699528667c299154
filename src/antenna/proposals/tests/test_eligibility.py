"""Every eligibility rule refuses through the API with a 4xx naming the rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from antenna.allocations.models import Allocation
from antenna.allocations.services import allocation_grant, allocation_submit_final_report
from antenna.calls.services import call_update
from antenna.core.workdays import add_months
from antenna.proposals.eligibility import RULES, eligibility_problems
from antenna.proposals.models import Proposal
from antenna.proposals.services import proposal_submit
from antenna.testing import (
    ApiClient,
    assert_error,
    make_call,
    make_factory,
    make_org,
    make_proposal,
    make_user,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _setup(operator, mode="fast_lane", *, org_kw=None, call_kw=None, **fields):
    owner = make_user()
    call = make_call(mode, by=operator, **(call_kw or {}))
    org = make_org(owner, **(org_kw or {}))
    return owner, make_proposal(owner, call, org, **fields)


def _incomplete(op):
    return _setup(op, abstract="  ")


def _closed(op):
    return _setup(op, call_kw={"opens_on": dt.date(2020, 1, 1), "closes_on": dt.date(2020, 6, 1)})


def _outside_eu(op):
    return _setup(op, "playground", org_kw={"country": "US"})


def _kind(op):
    return _setup(op, org_kw={"kind": "university"})


def _military(op):
    return _setup(op, civilian_use=False)


def _too_many_hours(op):
    return _setup(op, requested_gpu_hours=50_001)


def _too_few_hours(op):
    return _setup(op, "large_scale", requested_gpu_hours=50_000)


def _duration(op):
    return _setup(op, duration_months=4)


def _factory_withdrawn(op):
    owner, proposal = _setup(op, factory=None)
    factory = proposal.call.factories.get()
    proposal.factory = factory
    proposal.save(update_fields=["factory"])
    call_update(call=proposal.call, by=op, factories=[make_factory().pk])
    return owner, proposal


def _second_proposal(op):
    owner, first = _setup(op)
    proposal_submit(proposal=first, by=owner)
    return owner, make_proposal(owner, first.call, first.organization, title="Second try")


def _report_overdue(op):
    owner, proposal = _setup(op)
    earlier = make_proposal(owner, make_call("playground", by=op), proposal.organization)
    allocation_grant(proposal=earlier, gpu_hours=10, factory=None, by=op,
                     starts_on=TODAY - dt.timedelta(days=400))
    return owner, proposal


def _pi_contract(op):
    return _setup(op, "ai_for_science", duration_months=6,
                  pi_contract_ends_on=add_months(TODAY, 8))


REFUSALS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "complete": (_incomplete, "abstract"),
    "call_open": (_closed, "not open"),
    "organization_country": (_outside_eu, "US"),
    "organization_kind": (_kind, "University"),
    "civilian_use": (_military, "civilian"),
    "gpu_hours": (_too_many_hours, "between 1 and 50000"),
    "duration": (_duration, "you asked for 4"),
    "factory_offered": (_factory_withdrawn, "factory"),
    "one_proposal_per_call": (_second_proposal, "one proposal per organisation"),
    "final_report_overdue": (_report_overdue, "final report overdue"),
    "pi_contract": (_pi_contract, "contract must run until"),
}


def test_every_rule_has_a_refusal_test():
    assert set(REFUSALS) == {name for name, _ in RULES}


@pytest.mark.parametrize("rule", list(REFUSALS))
def test_each_rule_refuses_with_its_name(rule, operator):
    build, fragment = REFUSALS[rule]
    owner, proposal = build(operator)
    response = ApiClient(owner).post(f"/proposals/{proposal.pk}/submit")
    body = assert_error(response, 409, f"({rule})", fragment)
    assert body["rule"] == rule
    assert body["code"] == "not_eligible"
    proposal.refresh_from_db()
    assert proposal.state == "draft"
    assert rule in {name for name, _ in eligibility_problems(proposal)}


def test_too_few_hours_for_large_scale_names_the_gpu_hours_rule(operator):
    owner, proposal = _too_few_hours(operator)
    assert_error(ApiClient(owner).post(f"/proposals/{proposal.pk}/submit"), 409,
                 "(gpu_hours)", "between 50001 and 5000000")


def test_an_eligible_proposal_breaks_no_rule(operator):
    owner, proposal = _setup(operator)
    assert eligibility_problems(proposal) == []
    response = ApiClient(owner).post(f"/proposals/{proposal.pk}/submit")
    assert response.status_code == 200
    assert response.json()["state"] == "technical_review"


def test_a_withdrawn_proposal_does_not_block_a_new_one(operator):
    owner, first = _setup(operator)
    client = ApiClient(owner)
    assert client.post(f"/proposals/{first.pk}/submit").status_code == 200
    assert client.post(f"/proposals/{first.pk}/withdraw").json()["state"] == "withdrawn"
    second = make_proposal(owner, first.call, first.organization, title="Again")
    assert client.post(f"/proposals/{second.pk}/submit").status_code == 200


def test_a_filed_final_report_lifts_the_overdue_rule(operator):
    owner, proposal = _report_overdue(operator)
    allocation = Allocation.objects.get(organization=proposal.organization)
    allocation_submit_final_report(allocation=allocation, by=owner,
                                   report="We trained a model and wrote it up.")
    assert ApiClient(owner).post(f"/proposals/{proposal.pk}/submit").status_code == 200


def test_a_long_enough_pi_contract_passes(operator):
    owner, proposal = _setup(operator, "ai_for_science", duration_months=6,
                             pi_contract_ends_on=add_months(TODAY, 9))
    assert ApiClient(owner).post(f"/proposals/{proposal.pk}/submit").status_code == 200


def test_eu_and_eurohpc_countries_are_eligible(operator):
    for country in ("DE", "NO"):
        owner, proposal = _setup(operator, org_kw={"country": country})
        proposal_submit(proposal=proposal, by=owner)
        assert Proposal.objects.get(pk=proposal.pk).state == "technical_review"
