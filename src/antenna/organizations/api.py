"""/api/v1/organizations: register organisations and manage their members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut, ListParams, Page, paginate
from antenna.organizations.access import invitation_for_invitee, organization_for_user
from antenna.organizations.schemas import (
    InvitationOut,
    InvitationSentOut,
    MemberIn,
    MemberOut,
    MemberRoleIn,
    OrganizationFilters,
    OrganizationIn,
    OrganizationOut,
)
from antenna.organizations.selectors import invitations_for, memberships_of, organization_list
from antenna.organizations.services import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    membership_remove,
    membership_set_role,
    organization_create,
)

router = Router(tags=["organizations"])
invitations_router = Router(tags=["organizations"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}


@router.get("", response=Page[OrganizationOut])
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilters]) -> Any:
    qs = organization_list(user=current_user(request), kind=filters.kind, region=filters.region,
                           country=filters.country)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@router.post("", response={201: OrganizationOut, **ERRORS})
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Any:
    return Status(201, organization_create(by=current_user(request), **payload.dict()))


@router.get("/{org_id}", response={200: OrganizationOut, **ERRORS})
def get_organization(request: HttpRequest, org_id: int) -> Any:
    return organization_for_user(current_user(request), org_id)


@router.get("/{org_id}/members", response={200: Page[MemberOut], **ERRORS})
def list_members(request: HttpRequest, org_id: int, params: Query[ListParams]) -> Any:
    organization = organization_for_user(current_user(request), org_id)
    return paginate(memberships_of(organization), params)


@router.post("/{org_id}/members", response={201: InvitationSentOut, **ERRORS})
def invite_member(request: HttpRequest, org_id: int, payload: MemberIn) -> Any:
    """Invite a person; they become a member when they accept. The same 201 either way."""
    user = current_user(request)
    organization = organization_for_user(user, org_id)
    invitation = invitation_create(organization=organization, username=payload.username,
                                   role=payload.role, by=user)
    return Status(201, invitation)


@router.patch("/{org_id}/members/{username}", response={200: MemberOut, **ERRORS})
def set_member_role(request: HttpRequest, org_id: int, username: str,
                    payload: MemberRoleIn) -> Any:
    user = current_user(request)
    organization = organization_for_user(user, org_id)
    return membership_set_role(organization=organization, username=username,
                               role=payload.role, by=user)


@router.post("/{org_id}/members/{username}/remove", response={204: None, **ERRORS})
def remove_member(request: HttpRequest, org_id: int, username: str) -> Any:
    user = current_user(request)
    organization = organization_for_user(user, org_id)
    membership_remove(organization=organization, username=username, by=user)
    return Status(204, None)


@invitations_router.get("", response=Page[InvitationOut])
def list_invitations(request: HttpRequest, params: Query[ListParams]) -> Any:
    return paginate(invitations_for(current_user(request)), params)


@invitations_router.post("/{invitation_id}/accept", response={200: InvitationOut, **ERRORS})
def accept_invitation(request: HttpRequest, invitation_id: int) -> Any:
    user = current_user(request)
    return invitation_accept(invitation=invitation_for_invitee(user, invitation_id), by=user)


@invitations_router.post("/{invitation_id}/decline", response={200: InvitationOut, **ERRORS})
def decline_invitation(request: HttpRequest, invitation_id: int) -> Any:
    user = current_user(request)
    return invitation_decline(invitation=invitation_for_invitee(user, invitation_id), by=user)
