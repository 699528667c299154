"""/api/v1/calls: access calls (operators open them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.calls.schemas import CallFilters, CallIn, CallOut
from antenna.calls.selectors import call_get, call_list
from antenna.calls.services import call_create
from antenna.core.api import ErrorOut, ListParams, Page, paginate

router = Router(tags=["calls"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("", response=Page[CallOut])
def list_calls(request: HttpRequest, filters: Query[CallFilters]) -> Any:
    qs = call_list(mode=filters.mode, open_only=bool(filters.open),
                   include_unpublished=current_user(request).is_operator)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@router.get("/{call_id}", response={200: CallOut, **ERRORS})
def get_call(request: HttpRequest, call_id: int) -> Any:
    return call_get(call_id, include_unpublished=current_user(request).is_operator)


@router.post("", response={201: CallOut, **ERRORS})
def create_call(request: HttpRequest, payload: CallIn) -> Any:
    data = payload.dict(exclude_none=True)
    if "cutoff_dates" in data:
        data["cutoff_dates"] = [d.isoformat() for d in data["cutoff_dates"]]
    call = call_create(by=current_user(request), **data)
    return Status(201, call_get(call.pk, include_unpublished=True))
