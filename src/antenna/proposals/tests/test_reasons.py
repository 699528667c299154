"""The optional reason of a decision and cause of a withdrawal, from a fixed set: the outlook
counts refusals and withdrawals 'for lack of capacity' as unmet demand."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna.core.errors import ValidationFailed
from antenna.core.models import AuditEvent
from antenna.proposals.models import Decision, Proposal
from antenna.proposals.services import proposal_decide, proposal_submit, proposal_withdraw
from antenna.testing import (
    ApiClient,
    assert_error,
    make_call,
    make_operator,
    make_org,
    make_proposal,
    make_user,
)

pytestmark = pytest.mark.django_db


def _submitted():
    applicant, operator = make_user(), make_operator()
    org = make_org(applicant, kind="university")
    call = make_call("fast_lane", by=operator, eligible_kinds=["university"])
    p = proposal_submit(proposal=make_proposal(applicant, call, org), by=applicant)
    return p, applicant, operator


def test_decision_records_its_reason_and_audits_it():
    p, _, operator = _submitted()
    proposal_decide(proposal=p, by=operator, decision="reject", reason="capacity")
    assert Decision.objects.get(proposal=p).reason == "capacity"
    event = AuditEvent.objects.filter(action="proposal.reject").latest("id")
    assert event.after["reason"] == "capacity"


def test_an_unknown_reason_is_refused_and_nothing_is_written():
    p, applicant, operator = _submitted()
    with pytest.raises(ValidationFailed, match="capacity, scientific, eligibility, other"):
        proposal_decide(proposal=p, by=operator, decision="reject", reason="budget")
    with pytest.raises(ValidationFailed, match="cause must be one of"):
        proposal_withdraw(proposal=p, by=applicant, cause="bored")
    p.refresh_from_db()
    assert p.state == "technical_review" and not Decision.objects.filter(proposal=p).exists()


def test_api_decision_and_withdrawal_take_a_reason():
    p, applicant, operator = _submitted()
    ops = ApiClient(operator)
    assert_error(ops.post(f"/proposals/{p.pk}/decision",
                          {"decision": "reject", "reason": "budget"}), 422, "reason")
    assert ops.post(f"/proposals/{p.pk}/decision",
                    {"decision": "reject", "reason": "capacity"}).status_code == 200
    assert Decision.objects.get(proposal=p).reason == "capacity"

    q, applicant, _ = _submitted()
    client = ApiClient(applicant)
    assert_error(client.post(f"/proposals/{q.pk}/withdraw", {"cause": "bored"}), 422, "cause")
    assert client.post(f"/proposals/{q.pk}/withdraw",
                       {"reason": "No slot before our deadline.",
                        "cause": "capacity"}).status_code == 200
    assert Proposal.objects.get(pk=q.pk).withdrawal_reason == "capacity"


def test_decide_and_withdraw_forms_take_a_reason():
    p, applicant, operator = _submitted()
    client = Client()
    client.force_login(operator)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert 'name="decide-reason"' in page and "Lack of capacity" in page
    response = client.post(f"/proposals/{p.pk}/decide/",
                           {"decide-decision": "reject", "decide-reason": "capacity"})
    assert response.status_code == 302
    assert Decision.objects.get(proposal=p).reason == "capacity"
    assert "Lack of capacity" in client.get(f"/proposals/{p.pk}/").content.decode()

    q, applicant, _ = _submitted()
    client.force_login(applicant)
    assert 'name="cause"' in client.get(f"/proposals/{q.pk}/").content.decode()
    assert client.post(f"/proposals/{q.pk}/withdraw/", {"cause": "bored"}).status_code == 400
    assert Proposal.objects.get(pk=q.pk).state == "technical_review"
    assert client.post(f"/proposals/{q.pk}/withdraw/", {"cause": "capacity"}).status_code == 302
    assert Proposal.objects.get(pk=q.pk).withdrawal_reason == "capacity"
