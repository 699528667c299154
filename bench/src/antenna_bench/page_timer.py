"""Time, in-process with Django's test client, the pages and endpoints that a big
organisation's member and an operator use on a seeded database (`seeding.seed_scale`), and the
KPI queries: the median of warm runs, the query count and the slowest query of each."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count

from antenna.accounts.models import User
from antenna.allocations.models import Allocation
from antenna.jobs.models import Job
from antenna.organizations.models import Membership
from antenna_bench.kpi_queries import (
    kpi_gpu_hours_by_factory,
    kpi_organizations_by_kind_and_region,
    kpi_proposals_by_mode_and_state,
)
from antenna_bench.seeding import PREFIX, SeedReport


@dataclass
class Timing:
    name: str
    median_ms: float
    runs_ms: list[float]
    queries: int
    slowest_sql_ms: float
    slowest_sql: str
    status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _time(name: str, fn: Callable[[], Any], runs: int) -> Timing:
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    fn()  # warm: templates, connection, caches
    times = []
    status = None
    ctx = CaptureQueriesContext(connection)
    for k in range(runs):
        reset_queries()
        if k == runs - 1:
            with ctx:
                t = time.perf_counter()
                result = fn()
                times.append((time.perf_counter() - t) * 1000)
        else:
            t = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - t) * 1000)
        status = getattr(result, "status_code", None)
    slow = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
    return Timing(name=name, median_ms=round(statistics.median(times), 1),
                  runs_ms=[round(x, 1) for x in times], queries=len(ctx.captured_queries),
                  slowest_sql_ms=round(float(slow["time"]) * 1000, 1) if slow else 0.0,
                  slowest_sql=(slow["sql"][:400] if slow else ""), status=status)


def time_pages(*, runs: int = 5, report: SeedReport | None = None,
               log: Callable[[str], None] | None = None) -> list[Timing]:
    """Time (median of `runs`, after a warm-up) the pages and endpoints of a big organisation's
    member and of an operator, and the KPI selectors, in-process with Django's test client."""
    from django.test import Client

    from antenna.accounts.services import token_create

    big_member = User.objects.get(username=report.big_member_username if report
                                  else f"{PREFIX}-0-m1")
    operator = User.objects.get(username=report.operator_username if report
                                else f"{PREFIX}-operator")
    org_id = Membership.objects.filter(user=big_member).values_list("organization_id",
                                                                    flat=True).first()
    assert org_id is not None
    allocation = (Allocation.objects.filter(organization_id=org_id)
                  .annotate(n=Count("jobs")).order_by("-n").first())
    assert allocation is not None
    a = allocation.pk
    member = Client()
    member.force_login(big_member)
    op = Client()
    op.force_login(operator)
    _, key = token_create(user=big_member, name="scale bench")
    _, op_key = token_create(user=operator, name="scale bench")
    auth = {"Authorization": f"Bearer {key}"}
    op_auth = {"Authorization": f"Bearer {op_key}"}
    # the 15th of the month before last to the 14th of last month (by the newest job's end)
    from django.db.models import Max
    from django.utils import timezone

    newest = Job.objects.aggregate(m=Max("finished_at"))["m"] or timezone.now()
    last = timezone.localtime(newest).date().replace(day=1)
    previous = (last - dt.timedelta(days=1)).replace(day=1)
    before_previous = (previous - dt.timedelta(days=1)).replace(day=1)
    mid_from, mid_to = before_previous.replace(day=15), previous.replace(day=14)
    some_job = Job.objects.filter(allocation_id=a).order_by("-id").values_list("pk",
                                                                              flat=True).first()
    cases: list[tuple[str, Callable[[], Any]]] = [
        (f"page /allocations/{a}/ (member)", lambda: member.get(f"/allocations/{a}/")),
        ("page /jobs/ (member)", lambda: member.get("/jobs/")),
        (f"page /jobs/?allocation={a} (member)", lambda: member.get(f"/jobs/?allocation={a}")),
        ("page /console/ (operator)", lambda: op.get("/console/")),
        ("page /overview/ (operator)", lambda: op.get("/overview/")),
        (f"api GET /jobs?allocation={a} (member)",
         lambda: member.get(f"/api/v1/jobs?allocation={a}", headers=auth)),
        ("api GET /jobs (member)", lambda: member.get("/api/v1/jobs", headers=auth)),
        ("api GET /jobs (operator)", lambda: op.get("/api/v1/jobs", headers=op_auth)),
        ("api GET /jobs?offset=5000 (member)",
         lambda: member.get("/api/v1/jobs?offset=5000", headers=auth)),
        (f"api GET /jobs/{some_job} (member)",
         lambda: member.get(f"/api/v1/jobs/{some_job}", headers=auth)),
        (f"api GET /allocations/{a} (member)",
         lambda: member.get(f"/api/v1/allocations/{a}", headers=auth)),
        # the KPI pages and API (issue #12): every page, every API call and grouping, the
        # exports, as an operator (everyone's figures) and as the big organisation's member
        ("page /overview/?group_by=month (operator)",
         lambda: op.get("/overview/?group_by=month")),
        ("page /overview/?group_by=kind (member)",
         lambda: member.get("/overview/?group_by=kind")),
        ("page /reports/outlook/ (operator)", lambda: op.get("/reports/outlook/")),
        ("page /reports/outlook/ (member)", lambda: member.get("/reports/outlook/")),
        ("page /reports/export/hours-by-region.csv (operator)",
         lambda: op.get("/reports/export/hours-by-region.csv")),
        ("page /reports/export/time-to-access.xlsx (operator)",
         lambda: op.get("/reports/export/time-to-access.xlsx")),
        ("page /reports/export/outlook.xlsx (operator)",
         lambda: op.get("/reports/export/outlook.xlsx")),
        ("page /transparency/ (anonymous)", lambda: Client().get("/transparency/")),
        ("page /transparency/indicators.csv (anonymous)",
         lambda: Client().get("/transparency/indicators.csv")),
        *[(f"api GET /kpis?group_by={g} (operator)",
           (lambda g=g: op.get(f"/api/v1/kpis?group_by={g}", headers=op_auth)))
          for g in ("kind", "region", "sector", "factory", "mode", "month")],
        ("api GET /kpis?group_by=month (member)",
         lambda: member.get("/api/v1/kpis?group_by=month", headers=auth)),
        ("api GET /kpis?group_by=mode&from=...&to=... (operator)",
         lambda: op.get("/api/v1/kpis?group_by=mode&from=2020-01-01&to=2099-12-31",
                        headers=op_auth)),
        # a period that starts and ends inside a month: its ends are read from the jobs
        # (the seeded jobs span the last two months, so this reads about half of them)
        ("api GET /kpis?group_by=mode&from=<mid-month>&to=<mid-month> (operator)",
         lambda: op.get(f"/api/v1/kpis?group_by=mode&from={mid_from}&to={mid_to}",
                        headers=op_auth)),
        ("api GET /kpis?group_by=factory&format=csv (operator)",
         lambda: op.get("/api/v1/kpis?group_by=factory&format=csv", headers=op_auth)),
        ("api GET /kpis?group_by=sector&format=xlsx (operator)",
         lambda: op.get("/api/v1/kpis?group_by=sector&format=xlsx", headers=op_auth)),
        ("api GET /kpis/time-to-access (operator)",
         lambda: op.get("/api/v1/kpis/time-to-access", headers=op_auth)),
        ("api GET /kpis/time-to-access (member)",
         lambda: member.get("/api/v1/kpis/time-to-access", headers=auth)),
        ("api GET /kpis/time-to-access?format=csv (operator)",
         lambda: op.get("/api/v1/kpis/time-to-access?format=csv", headers=op_auth)),
        ("api GET /outlook (operator)", lambda: op.get("/api/v1/outlook", headers=op_auth)),
        ("api GET /outlook (member)", lambda: member.get("/api/v1/outlook", headers=auth)),
        ("api GET /outlook?format=csv (operator)",
         lambda: op.get("/api/v1/outlook?format=csv", headers=op_auth)),
        ("api GET /outlook?format=xlsx (operator)",
         lambda: op.get("/api/v1/outlook?format=xlsx", headers=op_auth)),
        ("kpi gpu_hours_by_factory", kpi_gpu_hours_by_factory),
        ("kpi proposals_by_mode_and_state", kpi_proposals_by_mode_and_state),
        ("kpi organizations_by_kind_and_region", kpi_organizations_by_kind_and_region),
    ]
    timings = []
    for name, fn in cases:
        timings.append(_time(name, fn, runs))
        if log is not None:  # as it goes: a run cut short still says what it measured
            t = timings[-1]
            log(f"{t.median_ms:8.1f} ms  {t.queries:3d} q  slowest {t.slowest_sql_ms:7.1f} ms"
                f"  {t.name}")
    return timings
