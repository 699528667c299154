"""Report pages: the Gigafactory outlook (operators and observers), table exports (CSV and
XLSX), and the public transparency page with its open-data CSV (no sign-in, no person)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from antenna.accounts.access import current_user
from antenna.core.errors import ValidationFailed
from antenna.reports.caching import report_cached
from antenna.reports.filters import GROUPS, ReportFilter, report_filter_from, scope_of
from antenna.reports.outlook import outlook_cached
from antenna.reports.selectors import hours_by, served, supported_projects, time_to_access
from antenna.reports.tables import LICENCE, TABLES, Table, csv_response, file_response


@login_required
@require_GET
def outlook(request: HttpRequest) -> HttpResponse:
    """The AI Gigafactory outlook: history, unmet demand, forecast, implied capacity; of the
    reader's own organisations unless an operator or observer."""
    scope = scope_of(current_user(request))
    o = outlook_cached(organizations=scope)
    complete = [m for m in o.history if not m.partial]
    last12 = complete[-12:]
    summary: dict[str, Any] = {
        "months": len(complete),
        "requested_12": sum(m.requested for m in last12),
        "awarded_12": sum(m.awarded for m in last12),
        "used_12": sum(m.used for m in last12),
        "unmet_12": sum(m.unmet for m in last12),
        "period_12": f"{last12[0].month} to {last12[-1].month}" if last12 else "",
    }
    if len(o.forecast.points) >= 24:
        summary["demand_24"] = sum(p.demand for p in o.forecast.points[12:24])
        summary["lower_24"] = sum(p.lower for p in o.forecast.points[12:24])
        summary["upper_24"] = sum(p.upper for p in o.forecast.points[12:24])
    return render(request, "reports/outlook.html", {
        "o": o, "chart": o.chart(), "summary": summary, "scoped": scope is not None,
        "utilisation_percent": round(o.utilisation * 100),
    })


@login_required
@require_GET
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """One KPI table, with the page's filters, as CSV or XLSX (an applicant's: their own
    organisations' figures only)."""
    scope = scope_of(current_user(request))
    if name not in TABLES or fmt not in ("csv", "xlsx"):
        raise Http404(name)
    try:
        f = report_filter_from(request.GET, scope)
    except ValidationFailed as exc:
        return HttpResponse(str(exc.message), status=400, content_type="text/plain")
    return file_response(TABLES[name](f), fmt)


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """Public: supported projects whose openness allows it, and aggregated indicators."""
    f = ReportFilter()
    figures = report_cached("transparency", "public", lambda: {
        "projects": supported_projects(),
        "by_mode": hours_by("mode", f),
        "by_region": hours_by("region", f),
        "served": served(f),
        "time_to_access": time_to_access(f),
    })
    return render(request, "reports/transparency.html", {**figures, "licence": LICENCE})


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    """Public: the aggregated indicators as one CSV in long form, with its licence line."""
    return csv_response(report_cached("open-data", "public", _open_data_table), licence=True)


def _open_data_table() -> Table:
    f = ReportFilter()
    table = Table(name="antenna-indicators", title="Antenna indicators",
                  headers=["dimension", "group", "requested_gpu_hours", "awarded_gpu_hours",
                           "used_gpu_hours", "proposals", "decided", "accepted"])
    for group in GROUPS:
        for r in hours_by(group, f):
            table.rows.append([group, r.group, float(r.requested), float(r.awarded),
                               float(r.used), r.proposals, r.decided, r.accepted])
    return table
