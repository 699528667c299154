"""/api/v1/reports: the KPIs, time to access and the Gigafactory outlook, for operators and
observers (read-only); `?format=csv` or `?format=xlsx` downloads the same table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from antenna.accounts.access import current_user
from antenna.core.errors import PermissionDenied
from antenna.reports.filters import ReportFilter
from antenna.reports.outlook import INTERVAL
from antenna.reports.outlook import outlook as build_outlook
from antenna.reports.schemas import (
    KpiPageOut,
    KpiQuery,
    OutlookOut,
    OutlookQuery,
    ReportQuery,
    TimeToAccessPageOut,
)
from antenna.reports.selectors import hours_by, time_to_access
from antenna.reports.tables import (
    XLSX,
    file_response,
    hours_table,
    outlook_table,
    time_to_access_table,
)

router = Router(tags=["reports"])

# `?format=csv|xlsx` answers the same table as a file: the document says so beside the JSON.
def _json_or_file(schema: str) -> dict[str, Any]:
    return {"200": {"description": "OK: the table as JSON, or as a CSV or XLSX file", "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }}}


def _require_reader(request: HttpRequest) -> None:
    if not current_user(request).sees_everything:
        raise PermissionDenied(_("Only operators and observers can read the reports."))


def _filter(q: ReportQuery) -> ReportFilter:
    return ReportFilter(date_from=q.date_from, date_to=q.to, kind=q.kind or "",
                        region=q.region or "", sector=q.sector or "", factory=q.factory,
                        mode=q.mode or "")


@router.get("/kpis", response=KpiPageOut,
            openapi_extra={"responses": _json_or_file("KpiPageOut")})
def kpis(request: HttpRequest, q: Query[KpiQuery]) -> Any:
    """GPU-hours requested, awarded and used, proposals, decided and accepted, per group."""
    _require_reader(request)
    f = _filter(q)
    if q.format != "json":
        return file_response(hours_table(q.group_by, f), q.format)
    items = [{"group": r.group, "label": r.label,
              "requested_gpu_hours": float(r.requested), "awarded_gpu_hours": float(r.awarded),
              "used_gpu_hours": float(r.used), "proposals": r.proposals, "decided": r.decided,
              "accepted": r.accepted, "success_rate": r.success_rate}
             for r in hours_by(q.group_by, f)]
    return {"items": items, "count": len(items)}


@router.get("/time-to-access", response=TimeToAccessPageOut,
            openapi_extra={"responses": _json_or_file("TimeToAccessPageOut")})
def kpis_time_to_access(request: HttpRequest, q: Query[ReportQuery]) -> Any:
    """Per mode: median and p90 Belgian working days to a decision, the target, share on
    time, and decision to first job."""
    _require_reader(request)
    f = _filter(q)
    if q.format != "json":
        return file_response(time_to_access_table(f), q.format)
    items = [{"mode": r.mode, "label": r.label, "target_working_days": r.target,
              "n": r.decisions, "median_working_days": r.median, "p90_working_days": r.p90,
              "share_on_time": r.on_time_share, "first_jobs": r.first_jobs,
              "median_to_first_job": r.median_to_first_job,
              "p90_to_first_job": r.p90_to_first_job} for r in time_to_access(f)]
    return {"items": items, "count": len(items)}


@router.get("/outlook", response=OutlookOut,
            openapi_extra={"responses": _json_or_file("OutlookOut")})
def outlook(request: HttpRequest, q: Query[OutlookQuery]) -> Any:
    """Monthly history since the first call, unmet demand in parts, a 24-month forecast."""
    _require_reader(request)
    if q.format != "json":
        return file_response(outlook_table(), q.format)
    o = build_outlook()
    return {
        "history": [{"month": m.month, "requested": m.requested, "awarded": m.awarded,
                     "used": m.used, "unmet": m.unmet, "unmet_shortfall": m.shortfall,
                     "unmet_refused": m.refused, "unmet_withdrawn": m.withdrawn,
                     "partial": m.partial} for m in o.history],
        "forecast": [{"month": p.month, "demand": p.demand, "lower": p.lower,
                      "upper": p.upper} for p in o.forecast.points],
        "method": o.forecast.method, "method_note": o.forecast.note, "interval": INTERVAL,
        "utilisation": o.utilisation,
        "capacity": [{"period": c[0], "gpu_hours_per_month": c[1], "gpus": c[2],
                      "gpus_upper": c[3]} for c in o.capacity],
    }
