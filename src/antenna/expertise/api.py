"""/api/v1/expertise-requests and /api/v1/experts: ask the experts, answer, assign, resolve."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from antenna.accounts.access import current_user
from antenna.accounts.models import User
from antenna.allocations.selectors import allocation_for_user
from antenna.core.api import ErrorOut, ListParams, Page, paginate
from antenna.core.errors import NotFound, PermissionDenied
from antenna.expertise.access import expertise_request_for_user
from antenna.expertise.schemas import (
    AssignIn,
    AttachmentMessageIn,
    ExpertiseFilters,
    ExpertiseRequestDetail,
    ExpertiseRequestIn,
    ExpertiseRequestOut,
    ExpertOut,
    MessageIn,
    MessageOut,
    RatingIn,
)
from antenna.expertise.selectors import expert_profiles, expertise_request_list
from antenna.expertise.services import (
    expertise_message_post,
    expertise_request_assign,
    expertise_request_create,
    expertise_request_rate,
    expertise_request_resolve,
    expertise_request_wait,
)
from antenna.organizations.access import organization_for_user
from antenna.proposals.access import proposal_for_user

router = Router(tags=["expertise"])
experts_router = Router(tags=["expertise"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}


def _fresh(request: HttpRequest, pk: int) -> Any:
    return expertise_request_for_user(current_user(request), pk)


@router.get("", response=Page[ExpertiseRequestOut])
def list_requests(request: HttpRequest, filters: Query[ExpertiseFilters]) -> Any:
    qs = expertise_request_list(user=current_user(request), state=filters.state)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@router.post("", response={201: ExpertiseRequestDetail, **ERRORS})
def create_request(request: HttpRequest, payload: ExpertiseRequestIn) -> Any:
    user = current_user(request)
    organization = organization_for_user(user, payload.organization)
    proposal = proposal_for_user(user, payload.proposal) if payload.proposal else None
    allocation = allocation_for_user(user, payload.allocation) if payload.allocation else None
    created = expertise_request_create(
        organization=organization, topic=payload.topic, title=payload.title,
        description=payload.description, language=payload.language, proposal=proposal,
        allocation=allocation, by=user)
    return Status(201, _fresh(request, created.pk))


@router.get("/{request_id}", response={200: ExpertiseRequestDetail, **ERRORS})
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _fresh(request, request_id)


@router.post("/{request_id}/messages", response={201: MessageOut, **ERRORS})
def post_message(request: HttpRequest, request_id: int, payload: MessageIn) -> Any:
    target = _fresh(request, request_id)
    message = expertise_message_post(request=target, body=payload.body, by=current_user(request))
    return Status(201, message)


@router.post("/{request_id}/attachments", response={201: MessageOut, **ERRORS, 413: ErrorOut})
def post_attachment(request: HttpRequest, request_id: int, file: File[UploadedFile],
                    form: Form[AttachmentMessageIn]) -> Any:
    """A message with one file (multipart: `file`, and optional `body`)."""
    target = _fresh(request, request_id)
    message = expertise_message_post(request=target, body=form.body, attachment=file,
                                     by=current_user(request))
    return Status(201, message)


@router.post("/{request_id}/wait", response={200: ExpertiseRequestDetail, **ERRORS})
def wait_request(request: HttpRequest, request_id: int) -> Any:
    """The assigned expert (or an operator) waits for the requester's answer."""
    target = _fresh(request, request_id)
    expertise_request_wait(request=target, by=current_user(request))
    return _fresh(request, request_id)


@router.post("/{request_id}/assign", response={200: ExpertiseRequestDetail, **ERRORS})
def assign_request(request: HttpRequest, request_id: int, payload: AssignIn) -> Any:
    user = current_user(request)
    target = _fresh(request, request_id)
    if not user.is_operator:
        raise PermissionDenied(_("Only operators can assign expertise requests."))
    expert = User.objects.filter(username=payload.username, is_active=True).first()
    if expert is None:
        raise NotFound(_("username: no active user %(u)s.") % {"u": payload.username})
    expertise_request_assign(request=target, expert=expert, by=user)
    return _fresh(request, request_id)


@router.post("/{request_id}/resolve", response={200: ExpertiseRequestDetail, **ERRORS})
def resolve_request(request: HttpRequest, request_id: int) -> Any:
    target = _fresh(request, request_id)
    expertise_request_resolve(request=target, by=current_user(request))
    return _fresh(request, request_id)


@router.post("/{request_id}/rating", response={200: ExpertiseRequestDetail, **ERRORS})
def rate_request(request: HttpRequest, request_id: int, payload: RatingIn) -> Any:
    target = _fresh(request, request_id)
    expertise_request_rate(request=target, satisfaction=payload.satisfaction,
                           by=current_user(request))
    return _fresh(request, request_id)


@experts_router.get("", response={200: list[ExpertOut], **ERRORS})
def list_experts(request: HttpRequest) -> Any:
    if not current_user(request).is_operator:
        raise PermissionDenied(_("Only operators can list the experts."))
    return list(expert_profiles())
