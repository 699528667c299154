"""/api/v1/allocations: GPU-hour budgets (read), final reports, operator state changes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from antenna.accounts.access import current_user
from antenna.allocations.schemas import (
    AllocationFilters,
    AllocationOut,
    FinalReportIn,
    StateChangeIn,
)
from antenna.allocations.selectors import allocation_for_user, allocation_list
from antenna.allocations.services import (
    allocation_close,
    allocation_resume,
    allocation_submit_final_report,
    allocation_suspend,
)
from antenna.core.api import ErrorOut, ListParams, Page, paginate

router = Router(tags=["allocations"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}


@router.get("", response=Page[AllocationOut])
def list_allocations(request: HttpRequest, filters: Query[AllocationFilters]) -> Any:
    qs = allocation_list(user=current_user(request), organization=filters.organization,
                         state=filters.state, factory=filters.factory)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@router.get("/{allocation_id}", response={200: AllocationOut, **ERRORS})
def get_allocation(request: HttpRequest, allocation_id: int) -> Any:
    return allocation_for_user(current_user(request), allocation_id)


@router.post("/{allocation_id}/final-report", response={200: AllocationOut, **ERRORS})
def final_report(request: HttpRequest, allocation_id: int, payload: FinalReportIn) -> Any:
    user = current_user(request)
    return allocation_submit_final_report(
        allocation=allocation_for_user(user, allocation_id), report=payload.report, by=user
    )


@router.post("/{allocation_id}/suspend", response={200: AllocationOut, **ERRORS})
def suspend(request: HttpRequest, allocation_id: int, payload: StateChangeIn | None = None) -> Any:
    user = current_user(request)
    return allocation_suspend(allocation=allocation_for_user(user, allocation_id), by=user,
                              reason=payload.reason if payload else "")


@router.post("/{allocation_id}/resume", response={200: AllocationOut, **ERRORS})
def resume(request: HttpRequest, allocation_id: int) -> Any:
    user = current_user(request)
    return allocation_resume(allocation=allocation_for_user(user, allocation_id), by=user)


@router.post("/{allocation_id}/close", response={200: AllocationOut, **ERRORS})
def close(request: HttpRequest, allocation_id: int, payload: StateChangeIn | None = None) -> Any:
    user = current_user(request)
    return allocation_close(allocation=allocation_for_user(user, allocation_id), by=user,
                            reason=payload.reason if payload else "")
