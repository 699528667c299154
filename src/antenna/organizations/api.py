"""/api/v1/organizations: register organisations and manage their members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut, ListParams, Page, paginate
from antenna.organizations.access import organization_for_user
from antenna.organizations.schemas import (
    MemberIn,
    MemberOut,
    OrganizationFilters,
    OrganizationIn,
    OrganizationOut,
)
from antenna.organizations.selectors import memberships_of, organization_list
from antenna.organizations.services import organization_add_member, organization_create

router = Router(tags=["organizations"])
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


@router.post("/{org_id}/members", response={201: MemberOut, **ERRORS})
def add_member(request: HttpRequest, org_id: int, payload: MemberIn) -> Any:
    user = current_user(request)
    organization = organization_for_user(user, org_id)
    membership = organization_add_member(organization=organization, username=payload.username,
                                         role=payload.role, by=user)
    return Status(201, membership)
