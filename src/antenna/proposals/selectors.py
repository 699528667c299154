"""Reads on proposals, reviews and queues."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from antenna.accounts.models import User
from antenna.proposals.models import (
    Decision,
    Proposal,
    Review,
    ReviewAssignment,
    TechnicalAssessment,
)
from antenna.proposals.states import OPEN_STATES, ProposalState


def proposal_list(
    *,
    user: User,
    call: int | None = None,
    organization: int | None = None,
    state: str | None = None,
    mode: str | None = None,
) -> QuerySet[Proposal]:
    qs = Proposal.objects.visible_to(user).select_related(
        "call", "organization", "factory", "allocation", "principal_investigator"
    )
    if call:
        qs = qs.filter(call_id=call)
    if organization:
        qs = qs.filter(organization_id=organization)
    if state:
        qs = qs.filter(state=state)
    if mode:
        qs = qs.filter(call__mode=mode)
    return qs.order_by("-created_at", "-id")


def proposal_reviews(proposal: Proposal) -> QuerySet[ReviewAssignment]:
    return proposal.review_assignments.select_related("reviewer", "review").order_by("id")


def review_queue(user: User) -> QuerySet[ReviewAssignment]:
    """A reviewer's pending reviews, soonest deadline first."""
    return (
        ReviewAssignment.objects.filter(
            reviewer=user, review__isnull=True, proposal__state=ProposalState.PEER_REVIEW
        )
        .select_related("proposal", "proposal__call", "proposal__organization")
        .order_by("due_at", "assigned_at")
    )


def decision_queue() -> QuerySet[Proposal]:
    """Proposals waiting for an operator, latest-due first (late ones at the top)."""
    return (
        Proposal.objects.filter(state__in=OPEN_STATES)
        .select_related("call", "organization", "factory")
        .annotate(
            reviews_done=Count("review_assignments__review", distinct=True),
            reviewers=Count("review_assignments", distinct=True),
        )
        .order_by("decision_due_at", "submitted_at")
    )


def reviews_of(proposal: Proposal) -> QuerySet[Review]:
    return Review.objects.filter(assignment__proposal=proposal).select_related(
        "assignment__reviewer"
    )


def proposal_decision(proposal: Proposal) -> Decision | None:
    return Decision.objects.filter(proposal=proposal).select_related("factory").first()


def proposal_assessment(proposal: Proposal) -> TechnicalAssessment | None:
    return (TechnicalAssessment.objects.filter(proposal=proposal)
            .select_related("recommended_factory").first())


def assignment_of(proposal: Proposal, reviewer: User) -> ReviewAssignment | None:
    """`reviewer`'s assignment to review `proposal` (with the review, if written), or None."""
    return (ReviewAssignment.objects.filter(proposal=proposal, reviewer=reviewer)
            .select_related("review").first())
