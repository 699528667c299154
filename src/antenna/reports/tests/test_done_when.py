"""Issue #12's "Done when", checked on a demo with history (`seed_demo --history 24`): the KPI
API per `group_by` with totals equal to the sums of /api/v1/allocations and /api/v1/proposals,
CSV and XLSX equal to the JSON, an outlook of at least 24 months of history and 24 of forecast
with lower <= demand <= upper, and a public page without sign-in or e-mail address. (Friday to
Monday = 1 working day: reports/tests/test_kpis.py, core/tests/test_workdays.py and
proposals/tests/test_deadlines.py.)"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from openpyxl import load_workbook

from antenna.accounts.models import User
from antenna.allocations.models import hours
from antenna.jobs.models import Job
from antenna.testing import ApiClient, make_observer

pytestmark = pytest.mark.django_db

GROUPS = ("kind", "region", "sector", "factory", "mode", "month")


def _all(client: ApiClient, path: str) -> list[dict]:
    items: list[dict] = []
    while True:
        page = client.get(f"{path}?limit=500&offset={len(items)}").json()
        items += page["items"]
        if len(items) >= page["count"]:
            return items


def test_done_when_on_a_demo_with_history():
    call_command("seed_demo", "--history", "24", stdout=io.StringIO())
    observer = make_observer()
    client = ApiClient(observer)
    allocations = _all(client, "/allocations")
    proposals = _all(client, "/proposals")
    assert len(proposals) > 200 and len(allocations) > 100  # a real history, not a handful
    awarded = sum(Decimal(a["gpu_hours_granted"]) for a in allocations)
    requested = sum(p["requested_gpu_hours"] for p in proposals if p["state"] != "draft")
    submitted = sum(1 for p in proposals if p["state"] != "draft")
    accepted = sum(1 for p in proposals if p["state"] == "accepted")
    # used: what the jobs were charged (the allocations' `used` is the same ledger total)
    used = sum(Decimal(a["gpu_hours_used"]) for a in allocations)
    charged = hours(Job.objects.aggregate(t=Sum("gpu_seconds_charged"))["t"] or 0)
    assert charged > 0 and used == pytest.approx(charged, abs=Decimal("0.01"))  # 4 places

    for group in GROUPS:
        body = client.get(f"/kpis?group_by={group}").json()
        items = body["items"]
        assert body["count"] == len(items) > 1, group
        assert sum(i["requested_gpu_hours"] for i in items) == requested, group
        assert sum(Decimal(str(i["awarded_gpu_hours"])) for i in items) == pytest.approx(
            awarded, abs=Decimal("0.01")), group
        assert sum(Decimal(str(i["used_gpu_hours"])) for i in items) == pytest.approx(
            used, abs=Decimal("0.01")), group
        assert sum(i["proposals"] for i in items) == submitted, group
        assert sum(i["accepted"] for i in items) == accepted, group
        assert len({i["group"] for i in items}) == len(items), group

        # the files open and say the same as the JSON
        rows = list(csv.DictReader(io.StringIO(
            client.get(f"/kpis?group_by={group}&format=csv").content.decode())))
        assert rows == [{k: str(v) for k, v in i.items()} for i in items], group
        sheet = load_workbook(io.BytesIO(
            client.get(f"/kpis?group_by={group}&format=xlsx").content)).active
        cells = list(sheet.iter_rows(values_only=True))
        assert [dict(zip(cells[0], r, strict=True)) for r in cells[1:]] == items, group
    months = [i["group"] for i in client.get("/kpis?group_by=month").json()["items"]]
    assert len(months) >= 24 and months == sorted(months)

    outlook = client.get("/outlook").json()
    history = [m for m in outlook["history"] if not m["partial"]]
    assert len(history) >= 24
    assert len(outlook["forecast"]) == 24
    assert outlook["method"] == "ets-damped-trend-seasonal"
    assert all(p["lower"] <= p["demand"] <= p["upper"] for p in outlook["forecast"])
    assert all(m["unmet"] == pytest.approx(m["unmet_shortfall"] + m["unmet_refused"]
                                           + m["unmet_withdrawn"]) for m in history)
    assert sum(m["unmet_refused"] for m in history) > 0  # refusals for lack of capacity
    rows = list(csv.DictReader(io.StringIO(
        client.get("/outlook?format=csv").content.decode())))
    assert [r["month"] for r in rows] == [m["month"] for m in outlook["history"]] + [
        p["month"] for p in outlook["forecast"]]
    assert [float(r["demand"]) for r in rows if r["demand"]] == [
        p["demand"] for p in outlook["forecast"]]
    assert [float(r["unmet"]) for r in rows if r["unmet"]] == [
        m["unmet"] for m in outlook["history"]]
    sheet = load_workbook(io.BytesIO(client.get("/outlook?format=xlsx").content)).active
    cells = list(sheet.iter_rows(values_only=True))
    header = cells[0]
    xrows = [dict(zip(header, r, strict=True)) for r in cells[1:len(rows) + 1]]
    assert [r["upper"] for r in xrows if r["upper"] is not None] == [
        p["upper"] for p in outlook["forecast"]]
    assert [r["requested"] for r in xrows if r["requested"] is not None] == [
        m["requested"] for m in outlook["history"]]

    page = Client().get("/transparency/")  # no sign-in
    assert page.status_code == 200
    html = page.content.decode()
    emails = [e for e in User.objects.values_list("email", flat=True) if e]
    assert emails and not any(e in html for e in emails)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", html)
    assert "@" not in html
