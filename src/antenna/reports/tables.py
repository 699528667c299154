"""Every KPI table as plain rows (headers + values), and their CSV and XLSX files.

Pages, exports and the API read the same tables, so a download always matches the screen.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from antenna.reports.filters import ReportFilter
from antenna.reports.outlook import INTERVAL, outlook_cached
from antenna.reports.selectors import allocation_health, hours_by, served, time_to_access

Cell = str | int | float | None

LICENCE = ("Licence: Creative Commons Attribution 4.0 (CC BY 4.0), "
           "https://creativecommons.org/licenses/by/4.0/ - source: Belgian AI Factory Antenna")


@dataclass
class Table:
    """A titled table: `headers` and `rows` of plain cells (numbers stay numbers)."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _num(value: Decimal | float | None, places: int = 1) -> float | None:
    return None if value is None else round(float(value), places)


def hours_table(group: str, f: ReportFilter) -> Table:
    table = Table(name=f"hours-by-{group}",
                  title=_("GPU-hours and outcomes by %(group)s") % {"group": group},
                  headers=[group, _("Requested GPU-hours"), _("Awarded GPU-hours"),
                           _("Used GPU-hours"), _("Proposals"), _("Decided"), _("Accepted"),
                           _("Success rate")])
    for r in hours_by(group, f):
        table.rows.append([r.label, _num(r.requested), _num(r.awarded), _num(r.used),
                           r.proposals, r.decided, r.accepted, _num(r.success_rate, 3)])
    return table


def time_to_access_table(f: ReportFilter) -> Table:
    table = Table(name="time-to-access", title=_("Time to access (Belgian working days)"),
                  headers=[_("Mode"), _("Target"), _("Decisions"), _("Median to decision"),
                           _("P90 to decision"), _("Share on time"), _("First jobs"),
                           _("Median decision to first job"), _("P90 decision to first job")])
    for r in time_to_access(f):
        table.rows.append([r.label, r.target, r.decisions, r.median, r.p90,
                           _num(r.on_time_share, 3), r.first_jobs, r.median_to_first_job,
                           r.p90_to_first_job])
    return table


def served_table(f: ReportFilter) -> Table:
    s = served(f)
    table = Table(name="served", title=_("Who is served"), headers=[_("Indicator"), _("Value")])
    table.rows = [
        [_("Organisations registered"), s.registered],
        [_("Of which first-time HPC users"), s.registered_first_time],
        [_("Organisations served (with an allocation)"), s.served],
        [_("Of which first-time HPC users"), s.first_time_hpc],
        [_("SMEs and startups served"), s.sme_startup],
        [_("SME and startup share"), _num(s.sme_startup_share, 3)],
        [_("Public administrations served"), s.public_sector],
        [_("Public sector share of awarded GPU-hours"), _num(s.public_sector_share, 3)],
    ]
    return table


def allocations_table(f: ReportFilter) -> Table:
    a = allocation_health(f)
    table = Table(name="allocations", title=_("Allocations"),
                  headers=[_("Indicator"), _("Value")])
    table.rows = [
        [_("Active allocations under-used after half their time"), a.under_used],
        [_("Their awarded GPU-hours"), _num(a.under_used_granted)],
        [_("Their used GPU-hours"), _num(a.under_used_used)],
        [_("Allocations ended"), a.ended],
        [_("GPU-hours expired unused"), _num(a.expired_unused)],
        [_("Share of ended allocations' hours unused"), _num(a.expired_unused_share, 3)],
    ]
    return table


def outlook_tables(today: dt.date | None = None,
                   organizations: frozenset[int] | None = None) -> tuple[Table, Table]:
    o = outlook_cached(today, organizations)
    history = Table(name="outlook-history", title=_("Monthly demand (GPU-hours)"),
                    headers=[_("Month"), _("Requested"), _("Awarded"), _("Used"),
                             _("Unmet: awarded less than requested"),
                             _("Unmet: refused for lack of capacity"),
                             _("Unmet: withdrawn for lack of capacity"), _("Unmet demand"),
                             _("Month not over")])
    for m in o.history:
        history.rows.append([m.month, m.requested, m.awarded, m.used, m.shortfall, m.refused,
                             m.withdrawn, m.unmet, m.partial])
    forecast = Table(name="outlook-forecast", title=_("Forecast of monthly demand (GPU-hours)"),
                     headers=[_("Month"), _("Demand"), _("Lower (80 %)"), _("Upper (80 %)")],
                     notes=[o.forecast.note])
    for p in o.forecast.points:
        forecast.rows.append([p.month, p.demand, p.lower, p.upper])
    return history, forecast


# ---------------------------------------------------------------------------------------------
# The API's answers (/api/v1/kpis, /kpis/time-to-access, /outlook): the JSON items, and the same
# items as a table whose headers are the JSON keys, so `?format=csv|xlsx` matches the JSON.

KPI_KEYS = ["group", "requested_gpu_hours", "awarded_gpu_hours", "used_gpu_hours",
            "proposals", "accepted"]


def kpi_items(group: str, f: ReportFilter) -> list[dict[str, Any]]:
    """`GET /api/v1/kpis`: one item per group, exactly the keys of KPI_KEYS."""
    return [{"group": r.group, "requested_gpu_hours": float(r.requested),
             "awarded_gpu_hours": float(r.awarded), "used_gpu_hours": float(r.used),
             "proposals": r.proposals, "accepted": r.accepted} for r in hours_by(group, f)]


TIME_TO_ACCESS_KEYS = ["mode", "label", "target_working_days", "n", "median_working_days",
                       "p90_working_days", "share_on_time", "first_jobs",
                       "median_to_first_job", "p90_to_first_job"]


def time_to_access_items(f: ReportFilter) -> list[dict[str, Any]]:
    """`GET /api/v1/kpis/time-to-access`: one item per access mode."""
    return [{"mode": r.mode, "label": r.label, "target_working_days": r.target,
             "n": r.decisions, "median_working_days": r.median, "p90_working_days": r.p90,
             "share_on_time": r.on_time_share, "first_jobs": r.first_jobs,
             "median_to_first_job": r.median_to_first_job,
             "p90_to_first_job": r.p90_to_first_job} for r in time_to_access(f)]


HISTORY_KEYS = ["month", "requested", "awarded", "used", "unmet", "unmet_shortfall",
                "unmet_refused", "unmet_withdrawn", "partial"]
FORECAST_KEYS = ["month", "demand", "lower", "upper"]


def outlook_answer(organizations: frozenset[int] | None = None,
                   today: dt.date | None = None) -> dict[str, Any]:
    """`GET /api/v1/outlook`: history, forecast, method, and what the capacity rests on."""
    o = outlook_cached(today, organizations)
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


def items_table(name: str, title: str, keys: list[str], items: list[dict[str, Any]],
                notes: list[str] | None = None) -> Table:
    """JSON items as a table: the keys are the headers, the values the cells."""
    return Table(name=name, title=title, headers=list(keys),
                 rows=[[item.get(k) for k in keys] for item in items], notes=notes or [])


def outlook_table(today: dt.date | None = None,
                  organizations: frozenset[int] | None = None) -> Table:
    """History and forecast in one table (the JSON's keys as headers): a month is either
    recorded (history columns) or forecast (demand, lower, upper)."""
    answer = outlook_answer(organizations, today)
    keys = HISTORY_KEYS + FORECAST_KEYS[1:]
    items = answer["history"] + answer["forecast"]
    return items_table("outlook", _("AI Gigafactory outlook (GPU-hours a month)"), keys, items,
                       notes=[answer["method_note"]])


def _hours_for(group: str, f: ReportFilter) -> Table:
    return hours_table(group, f)


TABLES: dict[str, Callable[[ReportFilter], Table]] = {
    "time-to-access": time_to_access_table,
    "served": served_table,
    "allocations": allocations_table,
    **{f"hours-by-{g}": partial(_hours_for, g)
       for g in ("kind", "region", "sector", "factory", "mode", "month")},
    "outlook-history": lambda f: outlook_tables(organizations=f.organizations)[0],
    "outlook-forecast": lambda f: outlook_tables(organizations=f.organizations)[1],
    "outlook": lambda f: outlook_table(organizations=f.organizations),
}


def _plain(cell: Any) -> Cell:
    if isinstance(cell, bool):
        return "yes" if cell else ""
    return cell


def csv_response(table: Table, *, licence: bool = False) -> HttpResponse:
    """The table as CSV (UTF-8, comma-separated, a header row; an optional licence line)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
    writer = csv.writer(response)
    if licence:
        response.write(f"# {LICENCE}\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if c is None else _plain(c) for c in row])
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(table: Table) -> HttpResponse:
    """The table as an Excel workbook: one sheet, a bold header row, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_plain(c) for c in row])
    for note in table.notes:
        sheet.append([])
        sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{table.name}.xlsx"'
    return response


def file_response(table: Table, fmt: str) -> HttpResponse:
    return xlsx_response(table) if fmt == "xlsx" else csv_response(table)
