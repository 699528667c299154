"""/api/v1/reports: KPIs per group (totals match the allocations and proposals endpoints),
time to access, the outlook, and the CSV/XLSX variants that match the JSON."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from antenna.testing import ApiClient, assert_error

pytestmark = pytest.mark.django_db

GROUPS = ("kind", "region", "sector", "factory", "mode", "month")


@pytest.mark.parametrize("group", GROUPS)
def test_kpi_totals_match_allocations_and_proposals(kpi_world, group,
                                                    django_assert_max_num_queries):
    client = ApiClient(kpi_world.observer)
    with django_assert_max_num_queries(6):  # token, user, three aggregates
        body = client.get(f"/reports/kpis?group_by={group}").json()
    assert body["count"] == len(body["items"]) > 0
    allocations = client.get("/allocations?limit=500").json()["items"]
    proposals = client.get("/proposals?limit=500").json()["items"]
    awarded = sum(float(a["gpu_hours_granted"]) for a in allocations)
    requested = sum(p["requested_gpu_hours"] for p in proposals if p["state"] != "draft")
    assert sum(i["awarded_gpu_hours"] for i in body["items"]) == awarded == 900
    assert sum(i["requested_gpu_hours"] for i in body["items"]) == requested == 2100
    assert sum(i["used_gpu_hours"] for i in body["items"]) == 10
    assert sum(i["proposals"] for i in body["items"]) == 5
    assert sum(i["accepted"] for i in body["items"]) == 3


def test_kpis_filter_and_refuse_bad_values(kpi_world):
    client = ApiClient(kpi_world.observer)
    body = client.get("/reports/kpis?group_by=mode&from=2026-07-15&to=2026-07-31").json()
    # requested by submission (p1, p2), awarded by allocation start (p3 on 20 July)
    assert {i["group"]: (i["requested_gpu_hours"], i["awarded_gpu_hours"])
            for i in body["items"]} == {"playground": (300.0, 0.0), "fast_lane": (0.0, 600.0)}
    assert_error(client.get("/reports/kpis?group_by=colour"), 422, "group_by")
    assert_error(client.get("/reports/kpis?from=31-12-2026"), 422, "from")


def test_time_to_access_per_mode(kpi_world):
    body = ApiClient(kpi_world.operator).get("/reports/time-to-access").json()
    rows = {i["mode"]: i for i in body["items"]}
    assert body["count"] == 4
    assert rows["playground"] | {} == {
        "mode": "playground", "label": "Playground", "target_working_days": 2, "n": 2,
        "median_working_days": 1.5, "p90_working_days": 1.9, "share_on_time": 1.0,
        "first_jobs": 1, "median_to_first_job": 1.0, "p90_to_first_job": 1.0}
    assert rows["fast_lane"]["share_on_time"] == 0.5


def test_outlook_shape(kpi_world):
    body = ApiClient(kpi_world.observer).get("/reports/outlook").json()
    assert len(body["forecast"]) == 24
    assert body["history"][0]["month"] == "2026-06"
    july = next(m for m in body["history"] if m["month"] == "2026-07")
    assert (july["requested"], july["unmet"], july["unmet_refused"]) == (2100, 1200, 500)
    assert all(p["lower"] <= p["demand"] <= p["upper"] for p in body["forecast"])
    assert body["method"] in ("ets-damped-trend-seasonal", "ets-damped-trend", "flat-average")
    assert body["method_note"] and body["interval"] == 0.8 and body["utilisation"] == 0.7


def test_csv_and_xlsx_match_the_json(kpi_world):
    client = ApiClient(kpi_world.observer)
    items = client.get("/reports/kpis?group_by=region").json()["items"]
    response = client.get("/reports/kpis?group_by=region&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert [(r[0], float(r[1]), float(r[2])) for r in rows] == [
        (i["label"], i["requested_gpu_hours"], i["awarded_gpu_hours"]) for i in items]
    response = client.get("/reports/kpis?group_by=region&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    xrows = list(sheet.iter_rows(values_only=True))[1:]
    assert [(r[0], r[1], r[2], r[4]) for r in xrows] == [
        (i["label"], i["requested_gpu_hours"], i["awarded_gpu_hours"], i["proposals"])
        for i in items]
    access = client.get("/reports/time-to-access?format=xlsx")
    assert load_workbook(io.BytesIO(access.content)).active["A2"].value == "Playground"
    outlook = client.get("/reports/outlook?format=csv")
    lines = list(csv.reader(io.StringIO(outlook.content.decode())))
    assert lines[0][0] == "month"
    assert sum(1 for row in lines[1:] if row[9]) == 24  # forecast rows
    assert [row[1] for row in lines[1:3]] == ["0.0", "2100.0"]  # June, July requested


def test_applicants_and_reviewers_are_refused(kpi_world):
    for path in ("/reports/kpis", "/reports/time-to-access", "/reports/outlook",
                 "/reports/kpis?format=csv"):
        assert_error(ApiClient(kpi_world.applicant).get(path), 403, "operators and observers")
        assert ApiClient(None).get(path).status_code == 401
