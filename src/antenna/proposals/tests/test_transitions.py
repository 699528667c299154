"""The proposal and allocation state machines: every illegal move is a 409 through the API."""

from __future__ import annotations

import pytest

from antenna.allocations.models import Allocation
from antenna.allocations.services import allocation_close
from antenna.allocations.states import ALLOCATION_MACHINE, AllocationState
from antenna.proposals.models import Proposal
from antenna.proposals.services import proposal_decide, proposal_withdraw
from antenna.proposals.states import PROPOSAL_MACHINE, ProposalState
from antenna.testing import ApiClient, World, assert_error

pytestmark = pytest.mark.django_db


def test_terminal_states():
    terminal = {s for s in ProposalState.values if PROPOSAL_MACHINE.is_terminal(s)}
    assert terminal == {"accepted", "rejected", "withdrawn"}
    assert {s for s in AllocationState.values if ALLOCATION_MACHINE.is_terminal(s)} == {
        "closed"}


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "accepted"), ("draft", "technical_review"), ("submitted", "accepted"),
    ("accepted", "withdrawn"), ("rejected", "accepted"), ("withdrawn", "submitted"),
    ("peer_review", "technical_review"),
])
def test_illegal_proposal_moves(current, target):
    assert not PROPOSAL_MACHINE.can(current, target)


def _submit_twice(w: World):
    return (lambda: ApiClient(w.owner).post(f"/proposals/{w.under_review.pk}/submit")), "submitted"


def _resubmit_accepted(w: World):
    return (lambda: ApiClient(w.owner).post(f"/proposals/{w.accepted.pk}/submit")), "accepted"


def _withdraw_accepted(w: World):
    return (lambda: ApiClient(w.owner).post(f"/proposals/{w.accepted.pk}/withdraw")), "accepted"


def _withdraw_twice(w: World):
    proposal_withdraw(proposal=w.draft, by=w.owner)
    return (lambda: ApiClient(w.owner).post(f"/proposals/{w.draft.pk}/withdraw")), "withdrawn"


def _decide_a_draft(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.draft.pk}/decision",
                                      {"decision": "reject"})), "draft"


def _decide_twice(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.accepted.pk}/decision",
                                      {"decision": "accept"})), "accepted"


def _review_after_withdrawal(w: World):
    proposal_withdraw(proposal=w.in_peer_review, by=w.owner)
    return (lambda: ApiClient(w.reviewer).post(f"/proposals/{w.in_peer_review.pk}/reviews",
                                      {"score": 3, "recommendation": "accept"})), "withdrawn"


def _review_after_decision(w: World):
    proposal_decide(proposal=w.in_peer_review, by=w.operator, decision="reject")
    return (lambda: ApiClient(w.reviewer).post(f"/proposals/{w.in_peer_review.pk}/reviews",
                                      {"score": 3, "recommendation": "accept"})), "rejected"


def _review_twice(w: World):
    client = ApiClient(w.reviewer)
    body = {"score": 3, "recommendation": "accept"}
    url = f"/proposals/{w.in_peer_review.pk}/reviews"
    assert client.post(url, body).status_code == 201
    return (lambda: client.post(url, body)), "already reviewed"


def _edit_after_submission(w: World):
    return (lambda: ApiClient(w.owner).patch(f"/proposals/{w.under_review.pk}",
                                    {"title": "Too late"})), "Only a draft"


def _assess_a_draft(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.draft.pk}/technical-assessment",
                                      {"feasible": True})), "technical review"


def _assess_twice(w: World):
    client = ApiClient(w.operator)
    url = f"/proposals/{w.under_review.pk}/technical-assessment"
    assert client.post(url, {"feasible": True}).status_code == 201
    return (lambda: client.post(url, {"feasible": False})), "already has its technical"


def _peer_review_a_fast_lane(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.under_review.pk}/reviewers",
                                      {"username": w.reviewer2.username})), "not peer reviewed"


def _assign_reviewer_to_a_draft(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.draft.pk}/reviewers",
                                      {"username": w.reviewer2.username})), "Draft"


def _assign_reviewer_twice(w: World):
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.in_peer_review.pk}/reviewers",
                                      {"username": w.reviewer.username})), "already assigned"


def _accept_with_one_review(w: World):
    ApiClient(w.reviewer).post(f"/proposals/{w.in_peer_review.pk}/reviews",
                               {"score": 5, "recommendation": "accept"})
    return (lambda: ApiClient(w.operator).post(f"/proposals/{w.in_peer_review.pk}/decision",
                                      {"decision": "accept"})), "1 so far"


def _accept_an_infeasible(w: World):
    client = ApiClient(w.operator)
    client.post(f"/proposals/{w.under_review.pk}/technical-assessment", {"feasible": False})
    return (lambda: client.post(f"/proposals/{w.under_review.pk}/decision",
                       {"decision": "accept"})), "infeasible"


def _resume_an_active_allocation(w: World):
    return (lambda: ApiClient(w.operator).post(f"/allocations/{w.allocation.pk}/resume")), "active"


def _suspend_a_closed_allocation(w: World):
    allocation_close(allocation=w.allocation, by=w.operator)
    return (lambda: ApiClient(w.operator).post(f"/allocations/{w.allocation.pk}/suspend")), "closed"


def _close_twice(w: World):
    allocation_close(allocation=w.allocation, by=w.operator)
    return (lambda: ApiClient(w.operator).post(f"/allocations/{w.allocation.pk}/close")), "closed"


ILLEGAL = [_submit_twice, _resubmit_accepted, _withdraw_accepted, _withdraw_twice,
           _decide_a_draft, _decide_twice, _review_after_withdrawal, _review_after_decision,
           _review_twice, _edit_after_submission, _assess_a_draft, _assess_twice,
           _peer_review_a_fast_lane, _assign_reviewer_to_a_draft, _assign_reviewer_twice,
           _accept_with_one_review, _accept_an_infeasible, _resume_an_active_allocation,
           _suspend_a_closed_allocation, _close_twice]


@pytest.mark.parametrize("move", ILLEGAL, ids=[f.__name__.strip("_") for f in ILLEGAL])
def test_illegal_move_is_409_and_changes_nothing(move, world):
    send, fragment = move(world)
    states_before = dict(Proposal.objects.values_list("pk", "state"))
    allocations_before = dict(Allocation.objects.values_list("pk", "state"))
    response = send()
    assert_error(response, 409, fragment)
    assert dict(Proposal.objects.values_list("pk", "state")) == states_before
    assert dict(Allocation.objects.values_list("pk", "state")) == allocations_before


def test_allowed_allocation_moves(world, api):
    client = api(world.operator)
    url = f"/allocations/{world.allocation.pk}"
    assert client.post(f"{url}/suspend", {"reason": "Audit."}).json()["state"] == "suspended"
    assert client.post(f"{url}/resume").json()["state"] == "active"
    assert client.post(f"{url}/close").json()["state"] == "closed"
