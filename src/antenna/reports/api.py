"""/api/v1/kpis, /api/v1/kpis/time-to-access and /api/v1/outlook (read-only; docs/kpis.md):
operators and observers read every organisation's figures, everyone else (applicants,
reviewers) only those of the organisations they are a member of. `?format=csv` or
`?format=xlsx` downloads the same items as a table whose headers are the JSON keys."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from antenna.accounts.access import current_user
from antenna.reports.filters import ReportFilter, scope_of
from antenna.reports.schemas import (
    KpiPageOut,
    KpiQuery,
    OutlookOut,
    OutlookQuery,
    ReportQuery,
    TimeToAccessPageOut,
)
from antenna.reports.tables import (
    KPI_KEYS,
    TIME_TO_ACCESS_KEYS,
    XLSX,
    file_response,
    items_table,
    kpi_items,
    outlook_answer,
    outlook_table,
    time_to_access_items,
)

router = Router(tags=["reports"])  # mounted at /kpis
outlook_router = Router(tags=["reports"])  # mounted at /outlook


# `?format=csv|xlsx` answers the same table as a file: the document says so beside the JSON.
def _json_or_file(schema: str) -> dict[str, Any]:
    return {"200": {"description": "OK: the answer as JSON, or as a CSV or XLSX file "
                                   "(`format`) whose headers are the JSON keys", "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }}}


def _filter(request: HttpRequest, q: ReportQuery) -> ReportFilter:
    return ReportFilter(date_from=q.date_from, date_to=q.to, kind=q.kind or "",
                        region=q.region or "", sector=q.sector or "", factory=q.factory,
                        mode=q.mode or "", organizations=scope_of(current_user(request)))


@router.get("", response=KpiPageOut, openapi_extra={"responses": _json_or_file("KpiPageOut")})
def kpis(request: HttpRequest, q: Query[KpiQuery]) -> Any:
    """GPU-hours requested, awarded and used, proposals and accepted, per group."""
    items = kpi_items(q.group_by, _filter(request, q))
    if q.format != "json":
        return file_response(items_table(f"kpis-by-{q.group_by}", "KPIs", KPI_KEYS, items),
                             q.format)
    return {"items": items, "count": len(items)}


@router.get("/time-to-access", response=TimeToAccessPageOut,
            openapi_extra={"responses": _json_or_file("TimeToAccessPageOut")})
def kpis_time_to_access(request: HttpRequest, q: Query[ReportQuery]) -> Any:
    """Per mode: median and p90 Belgian working days to a decision, the target, share on
    time, n, and decision to first job."""
    items = time_to_access_items(_filter(request, q))
    if q.format != "json":
        return file_response(items_table("time-to-access", "Time to access",
                                         TIME_TO_ACCESS_KEYS, items), q.format)
    return {"items": items, "count": len(items)}


@outlook_router.get("", response=OutlookOut,
                    openapi_extra={"responses": _json_or_file("OutlookOut")})
def outlook(request: HttpRequest, q: Query[OutlookQuery]) -> Any:
    """Monthly history since the first call, unmet demand in parts, a 24-month forecast."""
    organizations = scope_of(current_user(request))
    if q.format != "json":
        return file_response(outlook_table(organizations=organizations), q.format)
    return outlook_answer(organizations)
