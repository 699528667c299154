"""/api/v1/proposals: apply, submit, withdraw, assess, assign reviewers, review, decide."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from antenna.accounts.access import current_user
from antenna.calls.selectors import call_get
from antenna.core.api import ErrorOut, ListParams, Page, paginate
from antenna.core.errors import NotFound
from antenna.factories.selectors import factory_by_id
from antenna.organizations.access import organization_for_user
from antenna.proposals.access import proposal_for_user
from antenna.proposals.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssignmentOut,
    AutoAssignIn,
    DecisionIn,
    ProposalFilters,
    ProposalIn,
    ProposalOut,
    ProposalPatch,
    ReviewerIn,
    ReviewIn,
    ReviewOut,
    WithdrawIn,
)
from antenna.proposals.selectors import proposal_list, proposal_reviews, reviews_of
from antenna.proposals.services import (
    proposal_assess,
    proposal_assign_reviewer,
    proposal_auto_assign_reviewers,
    proposal_create,
    proposal_decide,
    proposal_review,
    proposal_submit,
    proposal_update,
    proposal_withdraw,
)

router = Router(tags=["proposals"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}



def _fresh(request: HttpRequest, pk: int) -> Any:
    return proposal_for_user(current_user(request), pk)


@router.get("", response=Page[ProposalOut])
def list_proposals(request: HttpRequest, filters: Query[ProposalFilters]) -> Any:
    qs = proposal_list(user=current_user(request), call=filters.call,
                       organization=filters.organization, state=filters.state, mode=filters.mode)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@router.post("", response={201: ProposalOut, **ERRORS})
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Any:
    user = current_user(request)
    data = payload.dict()
    try:
        call = call_get(data.pop("call"))
    except NotFound as exc:
        raise NotFound(_("call: no open call with id %(pk)s.") % {"pk": payload.call}) from exc
    organization = organization_for_user(user, data.pop("organization"))
    data["factory"] = factory_by_id(data.pop("factory"))
    if data.get("principal_investigator") is None:
        data.pop("principal_investigator", None)
    proposal = proposal_create(by=user, call=call, organization=organization, **data)
    return Status(201, _fresh(request, proposal.pk))


@router.get("/{proposal_id}", response={200: ProposalOut, **ERRORS})
def get_proposal(request: HttpRequest, proposal_id: int) -> Any:
    return _fresh(request, proposal_id)


@router.patch("/{proposal_id}", response={200: ProposalOut, **ERRORS})
def update_proposal(request: HttpRequest, proposal_id: int, payload: ProposalPatch) -> Any:
    user = current_user(request)
    proposal = proposal_for_user(user, proposal_id)
    data = payload.dict(exclude_unset=True)
    if "factory" in data:
        data["factory"] = factory_by_id(data["factory"])
    proposal_update(proposal=proposal, by=user, **data)
    return _fresh(request, proposal_id)


@router.post("/{proposal_id}/attachment", response={200: ProposalOut, **ERRORS})
def upload_attachment(request: HttpRequest, proposal_id: int,
                      file: File[UploadedFile]) -> Any:
    user = current_user(request)
    proposal = proposal_for_user(user, proposal_id)
    proposal_update(proposal=proposal, by=user, attachment=file)
    return _fresh(request, proposal_id)


@router.post("/{proposal_id}/submit", response={200: ProposalOut, **ERRORS})
def submit_proposal(request: HttpRequest, proposal_id: int) -> Any:
    user = current_user(request)
    proposal_submit(proposal=proposal_for_user(user, proposal_id), by=user)
    return _fresh(request, proposal_id)


@router.post("/{proposal_id}/withdraw", response={200: ProposalOut, **ERRORS})
def withdraw_proposal(request: HttpRequest, proposal_id: int,
                      payload: WithdrawIn | None = None) -> Any:
    user = current_user(request)
    proposal_withdraw(proposal=proposal_for_user(user, proposal_id), by=user,
                      reason=payload.reason if payload else "",
                      cause=(payload.cause or "") if payload else "")
    return _fresh(request, proposal_id)


@router.post("/{proposal_id}/technical-assessment", response={201: AssessmentOut, **ERRORS})
def assess_proposal(request: HttpRequest, proposal_id: int, payload: AssessmentIn) -> Any:
    user = current_user(request)
    assessment = proposal_assess(proposal=proposal_for_user(user, proposal_id), by=user,
                                 feasible=payload.feasible, comment=payload.comment,
                                 factory=factory_by_id(payload.factory))
    return Status(201, assessment)


@router.get("/{proposal_id}/reviewers", response={200: Page[AssignmentOut], **ERRORS})
def list_reviewers(request: HttpRequest, proposal_id: int, params: Query[ListParams]) -> Any:
    user = current_user(request)
    proposal = proposal_for_user(user, proposal_id)
    qs = proposal_reviews(proposal)
    if not user.sees_everything:
        qs = qs.filter(reviewer=user)  # applicants and reviewers do not learn who reviews
    return paginate(qs, params)


@router.post("/{proposal_id}/reviewers", response={201: AssignmentOut, **ERRORS})
def assign_reviewer(request: HttpRequest, proposal_id: int, payload: ReviewerIn) -> Any:
    user = current_user(request)
    assignment = proposal_assign_reviewer(proposal=proposal_for_user(user, proposal_id),
                                          reviewer=payload.username, by=user)
    return Status(201, assignment)


@router.post("/{proposal_id}/reviewers/auto", response={201: list[AssignmentOut], **ERRORS})
def auto_assign_reviewers(request: HttpRequest, proposal_id: int,
                          payload: AutoAssignIn | None = None) -> Any:
    user = current_user(request)
    assignments = proposal_auto_assign_reviewers(
        proposal=proposal_for_user(user, proposal_id), by=user,
        count=payload.count if payload else None,
    )
    return Status(201, assignments)


@router.get("/{proposal_id}/reviews", response={200: Page[ReviewOut], **ERRORS})
def list_reviews(request: HttpRequest, proposal_id: int, params: Query[ListParams]) -> Any:
    user = current_user(request)
    proposal = proposal_for_user(user, proposal_id)
    qs = reviews_of(proposal)
    if not user.sees_everything:
        qs = qs.filter(assignment__reviewer=user)
    return paginate(qs, params)


@router.post("/{proposal_id}/reviews", response={201: ReviewOut, **ERRORS})
def review_proposal(request: HttpRequest, proposal_id: int, payload: ReviewIn) -> Any:
    user = current_user(request)
    review = proposal_review(
        proposal=proposal_for_user(user, proposal_id), by=user,
        recommendation=payload.recommendation, score=payload.score, scores=payload.scores,
        comment=payload.comment, no_conflict=payload.no_conflict_of_interest,
    )
    return Status(201, review)


@router.post("/{proposal_id}/decision", response={200: ProposalOut, **ERRORS})
def decide_proposal(request: HttpRequest, proposal_id: int, payload: DecisionIn) -> Any:
    user = current_user(request)
    proposal_decide(proposal=proposal_for_user(user, proposal_id), by=user,
                    decision=payload.decision, gpu_hours=payload.gpu_hours,
                    factory=factory_by_id(payload.factory), pooled=payload.pooled,
                    comment=payload.comment, reason=payload.reason or "")
    return _fresh(request, proposal_id)
