"""/api/v1/opportunities: the catalogue matched to an organisation; operators publish."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut
from antenna.opportunities.schemas import OpportunityFilters, OpportunityIn, OpportunityOut
from antenna.opportunities.selectors import opportunities_for
from antenna.opportunities.services import opportunity_create
from antenna.organizations.access import organization_for_user

router = Router(tags=["opportunities"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("", response={200: list[OpportunityOut], **ERRORS})
def list_opportunities(request: HttpRequest, filters: Query[OpportunityFilters]) -> Any:
    organization = organization_for_user(current_user(request), filters.organization)
    return [{"id": m.opportunity.pk, "title": m.opportunity.title,
             "description": m.opportunity.description, "kind": m.opportunity.kind,
             "deadline": m.opportunity.deadline, "url": m.opportunity.url, "reason": m.reason}
            for m in opportunities_for(organization)]


@router.post("", response={201: OpportunityOut, **ERRORS})
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Any:
    created = opportunity_create(by=current_user(request), **payload.dict(exclude_none=True))
    return Status(201, created)
