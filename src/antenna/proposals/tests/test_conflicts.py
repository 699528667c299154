"""Conflicts of interest (#8) are checked where judgement is passed, not only at assignment.

A member of the applicant organisation, or anyone with a pending invitation to it, cannot be
assigned, cannot submit a review, and cannot decide. Each test is the attack it stops.
"""

from __future__ import annotations

import pytest

from antenna.organizations.services import (
    invitation_accept,
    invitation_decline,
    membership_remove,
)
from antenna.proposals.conflicts import conflict_of_interest
from antenna.proposals.models import Decision, Review
from antenna.testing import add_member, assert_error, invite, make_operator, make_reviewer

pytestmark = pytest.mark.django_db

REVIEW = {"score": 5, "recommendation": "accept"}


def test_a_reviewer_who_joins_the_applicant_after_assignment_cannot_review(api, world):
    proposal = world.in_peer_review
    invitation = invite(world.org, world.reviewer, by=world.owner)
    invitation_accept(invitation=invitation, by=world.reviewer)
    body = assert_error(api(world.reviewer).post(f"/proposals/{proposal.pk}/reviews", REVIEW),
                        409, "Conflict of interest", "a member of", world.org.legal_name)
    assert body["code"] == "conflict"
    assert not Review.objects.filter(assignment__proposal=proposal).exists()


def test_a_reviewer_invited_after_assignment_cannot_review_before_answering(api, world):
    proposal = world.in_peer_review
    invite(world.org, world.reviewer, by=world.owner)
    assert_error(api(world.reviewer).post(f"/proposals/{proposal.pk}/reviews", REVIEW), 409,
                 "Conflict of interest", "invited to join")
    assert not Review.objects.filter(assignment__proposal=proposal).exists()


def test_an_invited_reviewer_cannot_be_assigned(api, world):
    invite(world.org, world.reviewer2, by=world.owner)
    assert_error(api(world.operator).post(f"/proposals/{world.in_peer_review.pk}/reviewers",
                                          {"username": world.reviewer2.username}),
                 409, "Conflict of interest", "invited to join")
    assert not world.in_peer_review.review_assignments.filter(reviewer=world.reviewer2).exists()


def test_automatic_assignment_skips_invited_reviewers(api, world):
    invite(world.org, world.reviewer2, by=world.owner)
    others = [make_reviewer() for _ in range(2)]
    chosen = api(world.operator).post(f"/proposals/{world.in_peer_review.pk}/reviewers/auto")
    assert chosen.status_code == 201
    assert world.reviewer2.username not in {a["reviewer"] for a in chosen.json()}
    assert {a["reviewer"] for a in chosen.json()} <= {u.username for u in others}


def test_an_operator_added_to_the_applicant_cannot_decide(api, world):
    add_member(world.org, world.operator, by=world.owner)
    for proposal in (world.under_review, world.in_peer_review):
        assert_error(api(world.operator).post(f"/proposals/{proposal.pk}/decision",
                                              {"decision": "reject"}),
                     409, "Conflict of interest", world.operator.username)
        proposal.refresh_from_db()
        assert proposal.state in ("technical_review", "peer_review")
    assert not Decision.objects.filter(proposal__organization=world.org,
                                       decided_by=world.operator).exists()


def test_an_operator_invited_to_the_applicant_cannot_decide(api, world):
    invite(world.org, world.operator, by=world.owner)
    assert_error(api(world.operator).post(f"/proposals/{world.under_review.pk}/decision",
                                          {"decision": "reject"}), 409, "invited to join")


def test_another_operator_still_decides(api, world):
    add_member(world.org, world.operator, by=world.owner)
    decided = api(make_operator()).post(f"/proposals/{world.under_review.pk}/decision",
                                        {"decision": "reject"})
    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == "rejected"


def test_declined_or_removed_ties_are_no_conflict(world):
    invitation_decline(invitation=invite(world.org, world.reviewer2, by=world.owner),
                       by=world.reviewer2)
    assert conflict_of_interest(world.reviewer2, world.in_peer_review) is None
    add_member(world.org, world.reviewer, by=world.owner)
    assert conflict_of_interest(world.reviewer, world.in_peer_review) is not None
    membership_remove(organization=world.org, username=world.reviewer.username, by=world.owner)
    assert conflict_of_interest(world.reviewer, world.in_peer_review) is None
