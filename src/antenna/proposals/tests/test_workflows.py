"""Playground, Fast Lane and Large Scale through their services and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.core.errors import Conflict, InvalidTransition, NotEligible, ValidationFailed
from antenna.core.models import AuditEvent
from antenna.core.workdays import add_months
from antenna.proposals.models import Decision, Proposal, Review, TechnicalAssessment
from antenna.proposals.services import (
    proposal_assign_reviewer,
    proposal_auto_assign_reviewers,
    proposal_decide,
    proposal_review,
    proposal_submit,
)
from antenna.testing import (
    PDF_BYTES,
    ApiClient,
    add_member,
    assert_error,
    make_call,
    make_factory,
    make_org,
    make_proposal,
    make_reviewer,
    make_user,
)

pytestmark = pytest.mark.django_db


def _submitted(mode, operator, *, factories=None, **fields):
    owner = make_user()
    call = make_call(mode, by=operator, factories=factories)
    proposal = make_proposal(owner, call, make_org(owner), **fields)
    return owner, proposal_submit(proposal=proposal, by=owner)


# Playground -----------------------------------------------------------------------------

def test_playground_is_accepted_at_once_with_the_requested_hours(operator):
    factory = make_factory()
    _owner, proposal = _submitted("playground", operator, factories=[factory],
                                 requested_gpu_hours=1234, duration_months=2)
    assert proposal.state == "accepted"
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.state == "active"
    assert allocation.gpu_hours_granted == 1234
    assert allocation.factory == factory
    assert ledger_balances(allocation)
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.outcome, decision.decided_by) == ("accept", None)
    assessment = TechnicalAssessment.objects.get(proposal=proposal)
    assert assessment.automatic and assessment.feasible
    assert allocation.ends_on == add_months(allocation.starts_on, 2)


@pytest.mark.parametrize(("factory_kw", "fields"), [
    ({"gpus_per_node": 4, "max_nodes": 2}, {"gpus_per_job": 9}),
    ({"status": "offline"}, {}),
    ({"status": "maintenance"}, {}),
])
def test_infeasible_playground_request_is_rejected_with_the_reason(operator, factory_kw,
                                                                    fields):
    _owner, proposal = _submitted("playground", operator,
                                 factories=[make_factory(**factory_kw)], **fields)
    assert proposal.state == "rejected"
    assert not Allocation.objects.filter(proposal=proposal).exists()
    decision = Decision.objects.get(proposal=proposal)
    assert decision.outcome == "reject"
    assert "Automatic technical check failed" in decision.comment
    assert f"{proposal.gpus_per_job} GPUs" in decision.comment
    event = AuditEvent.objects.get(action="proposal.reject", target_id=str(proposal.pk))
    assert "technical check failed" in event.message


def test_playground_uses_the_first_factory_that_can_run_it(operator):
    small, big = make_factory(gpus_per_node=1, max_nodes=1), make_factory(gpus_per_node=8)
    _owner, proposal = _submitted("playground", operator, factories=[small, big],
                                 gpus_per_job=8)
    assert Allocation.objects.get(proposal=proposal).factory == big


# Fast Lane ------------------------------------------------------------------------------

def test_fast_lane_decided_by_an_operator_after_an_explicit_assessment(operator, api):
    factory = make_factory()
    _owner, proposal = _submitted("fast_lane", operator, factories=[factory],
                                 requested_gpu_hours=20_000, duration_months=3)
    assert proposal.state == "technical_review"
    client = api(operator)
    assessed = client.post(f"/proposals/{proposal.pk}/technical-assessment",
                           {"feasible": True, "comment": "Fits.", "factory": factory.pk})
    assert assessed.status_code == 201
    assert assessed.json()["recommended_factory"] == factory.pk
    decided = client.post(f"/proposals/{proposal.pk}/decision",
                          {"decision": "accept", "gpu_hours": 15_000, "comment": "Welcome."})
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["state"] == "accepted"
    allocation = Allocation.objects.get(pk=body["allocation"])
    assert allocation.granted_gpu_seconds == 15_000 * 3600
    assert allocation.factory == factory
    assert TechnicalAssessment.objects.get(proposal=proposal).assessed_by == operator


def test_fast_lane_decided_without_a_separate_assessment_records_one(operator):
    _owner, proposal = _submitted("fast_lane", operator)
    proposal_decide(proposal=proposal, by=operator, decision="accept")
    assessment = TechnicalAssessment.objects.get(proposal=proposal)
    assert (assessment.feasible, assessment.assessed_by) == (True, operator)
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.gpu_hours_granted == proposal.requested_gpu_hours


def test_fast_lane_rejection_creates_no_allocation(operator, api):
    _owner, proposal = _submitted("fast_lane", operator)
    body = api(operator).post(f"/proposals/{proposal.pk}/decision",
                              {"decision": "reject", "comment": "Not ready."}).json()
    assert (body["state"], body["allocation"]) == ("rejected", None)
    assert Decision.objects.get(proposal=proposal).comment == "Not ready."


@pytest.mark.parametrize(("body", "status", "fragment"), [
    # More than requested: the body is valid, it clashes with the stored proposal (409).
    ({"decision": "accept", "gpu_hours": 101}, 409, "at most the requested 100"),
    ({"decision": "accept", "gpu_hours": 0}, 422, "gpu_hours: give a number of at least 1."),
    ({"decision": "accept", "gpu_hours": -5}, 422, "gpu_hours: give a number of at least 1."),
    ({"decision": "maybe"}, 422, "decision: use one of accept, reject."),
    ({"decision": "accept", "factory": 987654}, 404, "no factory with id 987654"),
])
def test_bad_decisions_are_refused(operator, api, body, status, fragment):
    _owner, proposal = _submitted("fast_lane", operator, requested_gpu_hours=100)
    assert_error(api(operator).post(f"/proposals/{proposal.pk}/decision", body), status,
                 fragment)
    assert Proposal.objects.get(pk=proposal.pk).state == "technical_review"
    assert not Allocation.objects.exists()


def test_decision_on_a_factory_the_call_does_not_offer_is_refused(operator):
    _owner, proposal = _submitted("fast_lane", operator)
    with pytest.raises(ValidationFailed, match="not offered by this call"):
        proposal_decide(proposal=proposal, by=operator, decision="accept",
                        factory=make_factory())


def test_pooled_decision_creates_a_pooled_allocation(operator, api):
    owner, proposal = _submitted("fast_lane", operator)
    body = api(operator).post(f"/proposals/{proposal.pk}/decision",
                              {"decision": "accept", "pooled": True}).json()
    allocation = api(owner).get(f"/allocations/{body['allocation']}").json()
    assert (allocation["pooled"], allocation["factory"]) == (True, None)


def test_decision_dates_and_ledger(operator, api):
    owner, proposal = _submitted("fast_lane", operator, duration_months=3,
                                 requested_gpu_hours=400)
    body = api(operator).post(f"/proposals/{proposal.pk}/decision",
                              {"decision": "accept", "gpu_hours": 300}).json()
    allocation = api(owner).get(f"/allocations/{body['allocation']}").json()
    today = timezone.localdate()
    assert allocation["starts_on"] == today.isoformat()
    assert allocation["ends_on"] == add_months(today, 3).isoformat()
    assert allocation["final_report_due_on"] == add_months(add_months(today, 3), 3).isoformat()
    assert float(allocation["gpu_hours_granted"]) == 300
    assert float(allocation["gpu_hours_remaining"]) == 300
    assert float(allocation["gpu_hours_reserved"]) == float(allocation["gpu_hours_used"]) == 0
    assert allocation["state"] == "active"
    assert ledger_balances(Allocation.objects.get(pk=body["allocation"]))


@pytest.mark.parametrize(("start", "months", "end", "due"), [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28), dt.date(2026, 5, 28)),
    (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15), dt.date(2027, 5, 15)),
    (dt.date(2027, 12, 31), 12, dt.date(2028, 12, 31), dt.date(2029, 3, 31)),
])
def test_allocation_dates(start, months, end, due, operator):
    from antenna.allocations.services import allocation_grant

    owner = make_user()
    call = make_call("fast_lane", by=operator, allowed_durations=[1, 3, 12])
    proposal = make_proposal(owner, call, make_org(owner), duration_months=months)
    allocation = allocation_grant(proposal=proposal, gpu_hours=5, factory=None, by=operator,
                                  starts_on=start)
    assert (allocation.ends_on, allocation.final_report_due_on) == (end, due)


# Large Scale ----------------------------------------------------------------------------

def test_conflicted_reviewer_is_refused_naming_the_conflict(operator, api):
    owner, proposal = _submitted("large_scale", operator)
    insider = make_reviewer("insider")
    add_member(proposal.organization, insider, by=owner)
    body = assert_error(api(operator).post(f"/proposals/{proposal.pk}/reviewers",
                                           {"username": "insider"}), 409,
                        "Conflict of interest", "insider")
    assert body["code"] == "conflict"
    assert not proposal.review_assignments.filter(reviewer=insider).exists()
    assert Proposal.objects.get(pk=proposal.pk).state == "technical_review"


def test_only_reviewers_can_be_assigned(operator, api):
    _owner, proposal = _submitted("large_scale", operator)
    make_user("plain")
    assert_error(api(operator).post(f"/proposals/{proposal.pk}/reviewers",
                                    {"username": "plain"}), 409, "not a reviewer")
    assert_error(api(operator).post(f"/proposals/{proposal.pk}/reviewers",
                                    {"username": "ghost"}), 404, "ghost")


def test_accepting_needs_two_reviews(operator):
    _owner, proposal = _submitted("large_scale", operator)
    first, second = make_reviewer(), make_reviewer()
    proposal_assign_reviewer(proposal=proposal, reviewer=first, by=operator)
    proposal_assign_reviewer(proposal=proposal, reviewer=second, by=operator)
    with pytest.raises(InvalidTransition, match="0 so far"):
        proposal_decide(proposal=proposal, by=operator, decision="accept")
    proposal_review(proposal=proposal, by=first, recommendation="accept", score=4)
    with pytest.raises(InvalidTransition, match="1 so far"):
        proposal_decide(proposal=proposal, by=operator, decision="accept")
    proposal_review(proposal=proposal, by=second, recommendation="reject",
                    scores={"excellence": 3, "impact": 2, "implementation": 2})
    proposal_decide(proposal=proposal, by=operator, decision="accept", gpu_hours=50_000)
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.gpu_hours_granted == 50_000
    assert Review.objects.get(assignment__reviewer=second).score == 2


def test_auto_assignment_meets_the_quota_that_deciding_needs(operator):
    """A call asking for one review still needs two (the floor): auto-assignment assigns
    two, so the proposal can be accepted once both are in."""
    reviewers = [make_reviewer(), make_reviewer(), make_reviewer()]
    owner = make_user()
    call = make_call("large_scale", by=operator, min_reviews=1)
    assert call.reviews_required == 2
    proposal = proposal_submit(proposal=make_proposal(owner, call, make_org(owner)), by=owner)
    assigned = proposal_auto_assign_reviewers(proposal=proposal, by=operator)
    assert len(assigned) == 2
    for assignment in assigned:
        proposal_review(proposal=proposal, by=assignment.reviewer, recommendation="accept",
                        score=4)
    proposal_decide(proposal=proposal, by=operator, decision="accept")
    assert Proposal.objects.get(pk=proposal.pk).state == "accepted"
    assert {a.reviewer for a in assigned} <= set(reviewers)


def test_accepting_in_technical_review_is_refused_for_peer_calls(operator):
    _owner, proposal = _submitted("large_scale", operator)
    with pytest.raises(InvalidTransition, match="peer reviews"):
        proposal_decide(proposal=proposal, by=operator, decision="accept")
    proposal_decide(proposal=proposal, by=operator, decision="reject")
    assert Proposal.objects.get(pk=proposal.pk).state == "rejected"


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"score": 0, "recommendation": "accept"}, 422, "score: give a number of at least 1."),
    ({"score": 6, "recommendation": "accept"}, 422, "score: give a number of at most 5."),
    ({"scores": {"impact": 7}, "recommendation": "accept"}, 422,
     "scores.impact: give a number of at most 5."),
    ({"scores": {"impact": 0}, "recommendation": "accept"}, 422,
     "scores.impact: give a number of at least 1."),
    ({"scores": {"beauty": 3}, "recommendation": "accept"}, 400, "Unknown criterion 'beauty'"),
    ({"recommendation": "accept"}, 400, "overall score"),
    ({"score": 3, "recommendation": "love it"}, 422, "recommendation: use one of accept, reject."),
    ({"score": "five", "recommendation": "accept"}, 422, "score"),
    ({"score": 3}, 422, "recommendation"),
    ({"score": 3, "recommendation": "accept", "no_conflict_of_interest": False}, 409,
     "conflict of interest"),
])
def test_review_scores_are_validated(world, api, body, status, fragment):
    url = f"/proposals/{world.in_peer_review.pk}/reviews"
    assert_error(api(world.reviewer).post(url, body), status, fragment)
    assert not Review.objects.exists()


def test_review_with_criteria_scores_rounds_the_overall_score(world, api):
    response = api(world.reviewer).post(
        f"/proposals/{world.in_peer_review.pk}/reviews",
        {"scores": {"excellence": 5, "impact": 4, "implementation": 5},
         "recommendation": "accept", "comment": "  Strong.  "})
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["comment"], body["reviewer"]) == (5, "Strong.",
                                                                  world.reviewer.username)


def test_reviewers_and_reviews_are_hidden_from_applicants(world, api):
    proposal_review(proposal=world.in_peer_review, by=world.reviewer, recommendation="accept",
                    score=4)
    url = f"/proposals/{world.in_peer_review.pk}"
    assert api(world.owner).get(f"{url}/reviewers").json()["count"] == 0
    assert api(world.owner).get(f"{url}/reviews").json()["count"] == 0
    assert api(world.operator).get(f"{url}/reviews").json()["count"] == 1
    assert api(world.reviewer).get(f"{url}/reviewers").json()["count"] == 1


def test_auto_assignment_balances_load_and_skips_conflicts(operator):
    busy, idle, insider, other = (make_reviewer("a-busy"), make_reviewer("b-idle"),
                                  make_reviewer("c-insider"), make_reviewer("d-other"))
    _owner, earlier = _submitted("large_scale", operator)
    proposal_assign_reviewer(proposal=earlier, reviewer=busy, by=operator)
    owner2, proposal = _submitted("large_scale", operator)
    add_member(proposal.organization, insider, by=owner2)
    chosen = proposal_auto_assign_reviewers(proposal=proposal, by=operator)
    assert {a.reviewer for a in chosen} == {idle, other}
    assert Proposal.objects.get(pk=proposal.pk).state == "peer_review"
    assert proposal_auto_assign_reviewers(proposal=proposal, by=operator) == []
    third = proposal_auto_assign_reviewers(proposal=proposal, by=operator, count=3)
    assert [a.reviewer for a in third] == [busy]
    assert insider not in {a.reviewer for a in proposal.review_assignments.all()}


def test_auto_assignment_without_enough_reviewers_is_409(operator, api):
    make_reviewer()
    _owner, proposal = _submitted("large_scale", operator)
    assert_error(api(operator).post(f"/proposals/{proposal.pk}/reviewers/auto"), 409,
                 "2 needed, 1 available")
    assert not proposal.review_assignments.exists()


# Attachments -----------------------------------------------------------------------------

def test_attachment_must_be_a_pdf(world, api):
    client = api(world.owner)
    url = f"/proposals/{world.draft.pk}/attachment"
    assert_error(client.upload(url, b"GIF89a...", name="cat.gif"), 400, "PDF")
    uploaded = client.upload(url, PDF_BYTES)
    assert uploaded.status_code == 200
    assert uploaded.json()["has_attachment"] is True


def test_attachment_size_is_limited(world, api, settings):
    settings.ANTENNA_MAX_ATTACHMENT_BYTES = 100
    assert_error(api(world.owner).upload(f"/proposals/{world.draft.pk}/attachment",
                                         PDF_BYTES + b"x" * 200), 400, "limit")


# Audit ----------------------------------------------------------------------------------

def test_every_write_of_the_workflow_is_audited_with_its_actor(operator, api):
    owner = make_user()
    first, second = make_reviewer(), make_reviewer()
    call = make_call("large_scale", by=operator)
    org = make_org(owner)
    client = ApiClient(owner)
    pid = client.post("/proposals", {
        "call": call.pk, "organization": org.pk, "title": "Big model",
        "abstract": "Pretraining.", "requested_gpu_hours": 80_000, "duration_months": 6,
        "civilian_use": True}).json()["id"]
    client.patch(f"/proposals/{pid}", {"title": "Bigger model"})
    client.post(f"/proposals/{pid}/submit")
    ops = ApiClient(operator)
    ops.post(f"/proposals/{pid}/technical-assessment", {"feasible": True})
    ops.post(f"/proposals/{pid}/reviewers", {"username": first.username})
    ops.post(f"/proposals/{pid}/reviewers", {"username": second.username})
    for reviewer in (first, second):
        ApiClient(reviewer).post(f"/proposals/{pid}/reviews",
                                 {"score": 4, "recommendation": "accept"})
    decided = ops.post(f"/proposals/{pid}/decision", {"decision": "accept"}).json()
    aid = decided["allocation"]
    ops.post(f"/allocations/{aid}/suspend", {"reason": "Check."})
    ops.post(f"/allocations/{aid}/resume")
    client.post(f"/allocations/{aid}/final-report",
                {"report": "We pretrained the model and published the weights."})
    ops.post(f"/allocations/{aid}/close")
    events = [(e.action, e.actor) for e in AuditEvent.objects.filter(
        target_id__in=[str(pid), str(aid)],
        target_type__in=["proposals.proposal", "allocations.allocation"]).order_by("id")]
    assert events == [
        ("proposal.create", owner), ("proposal.update", owner), ("proposal.submit", owner),
        ("proposal.start_technical_review", None), ("proposal.assess", operator),
        ("proposal.assign_reviewer", operator), ("proposal.start_peer_review", operator),
        ("proposal.assign_reviewer", operator), ("proposal.review", first),
        ("proposal.review", second), ("proposal.accept", operator),
        ("allocation.grant", operator), ("allocation.suspend", operator),
        ("allocation.resume", operator), ("allocation.final_report", owner),
        ("allocation.close", operator),
    ]
    organizations = set(AuditEvent.objects.filter(
        target_id__in=[str(pid), str(aid)],
        target_type__in=["proposals.proposal", "allocations.allocation"],
    ).values_list("organization_id", flat=True))
    assert organizations == {org.pk}


def test_refused_writes_leave_no_audit_event(operator):
    owner, proposal = _submitted("fast_lane", operator)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        proposal_decide(proposal=proposal, by=operator, decision="accept", gpu_hours=10**6)
    with pytest.raises(NotEligible, match="one_proposal_per_call"):
        proposal_submit(proposal=make_proposal(owner, proposal.call, proposal.organization),
                        by=owner)
    assert AuditEvent.objects.count() == count + 1  # only the second draft's creation
