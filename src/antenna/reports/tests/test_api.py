"""/api/v1/kpis, /api/v1/kpis/time-to-access and /api/v1/outlook: the issue's answer shapes,
totals that match the allocations and proposals endpoints, the CSV/XLSX variants that match
the JSON, and who sees which organisations' figures."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from antenna.proposals.services import proposal_submit
from antenna.testing import (
    ApiClient,
    add_member,
    assert_error,
    make_org,
    make_proposal,
    make_reviewer,
    make_user,
)

pytestmark = pytest.mark.django_db

GROUPS = ("kind", "region", "sector", "factory", "mode", "month")
KPI_KEYS = {"group", "requested_gpu_hours", "awarded_gpu_hours", "used_gpu_hours",
            "proposals", "accepted"}


def _totals(body: dict) -> tuple[float, float, float, int, int]:
    items = body["items"]
    return (sum(i["requested_gpu_hours"] for i in items),
            sum(i["awarded_gpu_hours"] for i in items), sum(i["used_gpu_hours"] for i in items),
            sum(i["proposals"] for i in items), sum(i["accepted"] for i in items))


@pytest.mark.parametrize("group", GROUPS)
def test_kpi_totals_match_allocations_and_proposals(kpi_world, group,
                                                    django_assert_max_num_queries):
    client = ApiClient(kpi_world.observer)
    with django_assert_max_num_queries(6):  # token, user, three aggregates
        body = client.get(f"/kpis?group_by={group}").json()
    assert set(body) == {"items", "count"}
    assert body["count"] == len(body["items"]) > 0
    assert all(set(i) == KPI_KEYS for i in body["items"])  # exactly the shape
    allocations = client.get("/allocations?limit=500").json()["items"]
    proposals = client.get("/proposals?limit=500").json()["items"]
    awarded = sum(float(a["gpu_hours_granted"]) for a in allocations)
    requested = sum(p["requested_gpu_hours"] for p in proposals if p["state"] != "draft")
    accepted = sum(1 for p in proposals if p["state"] == "accepted")
    assert _totals(body) == (requested, awarded, 10, 5, accepted)
    assert (requested, awarded, accepted) == (2100, 900, 3)


def test_kpis_filter_and_refuse_bad_values(kpi_world):
    client = ApiClient(kpi_world.observer)
    body = client.get("/kpis?group_by=mode&from=2026-07-15&to=2026-07-31").json()
    # requested by submission (p1, p2), awarded by allocation start (p3 on 20 July)
    assert {i["group"]: (i["requested_gpu_hours"], i["awarded_gpu_hours"])
            for i in body["items"]} == {"playground": (300.0, 0.0), "fast_lane": (0.0, 600.0)}
    assert_error(client.get("/kpis?group_by=colour"), 422, "group_by")
    assert_error(client.get("/kpis?from=31-12-2026"), 422, "from")
    assert_error(client.get("/kpis?format=pdf"), 422, "format")


def test_time_to_access_per_mode(kpi_world):
    body = ApiClient(kpi_world.operator).get("/kpis/time-to-access").json()
    rows = {i["mode"]: i for i in body["items"]}
    assert body["count"] == 4
    assert rows["playground"] == {
        "mode": "playground", "label": "Playground", "target_working_days": 2, "n": 2,
        "median_working_days": 1.5, "p90_working_days": 1.9, "share_on_time": 1.0,
        "first_jobs": 1, "median_to_first_job": 1.0, "p90_to_first_job": 1.0}
    assert rows["fast_lane"]["share_on_time"] == 0.5


def test_outlook_shape(kpi_world):
    body = ApiClient(kpi_world.observer).get("/outlook").json()
    assert {"history", "forecast", "method"} <= set(body)
    assert len(body["forecast"]) == 24
    assert all(set(p) == {"month", "demand", "lower", "upper"} for p in body["forecast"])
    assert all({"month", "requested", "awarded", "used", "unmet"} <= set(m)
               for m in body["history"])
    assert body["history"][0]["month"] == "2026-06"
    july = next(m for m in body["history"] if m["month"] == "2026-07")
    assert (july["requested"], july["unmet"], july["unmet_shortfall"], july["unmet_refused"],
            july["unmet_withdrawn"]) == (2100, 1200, 400, 500, 300)
    assert all(p["lower"] <= p["demand"] <= p["upper"] for p in body["forecast"])
    assert body["method"] in ("ets-damped-trend-seasonal", "ets-damped-trend", "flat-average")
    assert body["method_note"] and body["interval"] == 0.8 and body["utilisation"] == 0.7


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _xlsx(response) -> list[dict]:
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    table = []
    for r in rows[1:]:
        if all(c is None for c in r):  # the notes (the forecast method) follow a blank row
            break
        table.append(dict(zip(rows[0], r, strict=True)))
    return table


def _cell(value) -> str:
    """A JSON value as the CSV writes it."""
    if value is None or value is False:
        return ""
    return "yes" if value is True else str(value)


def _xcell(value):
    """A JSON value as the workbook holds it (numbers stay numbers)."""
    if value is None or value is False:
        return None
    return "yes" if value is True else value


@pytest.mark.parametrize("path", [f"/kpis?group_by={g}" for g in GROUPS]
                         + ["/kpis/time-to-access", "/kpis/time-to-access?mode=fast_lane"])
def test_csv_and_xlsx_match_the_json(kpi_world, path):
    client = ApiClient(kpi_world.observer)
    items = client.get(path).json()["items"]
    sep = "&" if "?" in path else "?"
    assert _csv(client.get(f"{path}{sep}format=csv")) == [
        {k: _cell(v) for k, v in i.items()} for i in items]
    assert _xlsx(client.get(f"{path}{sep}format=xlsx")) == [
        {k: _xcell(v) for k, v in i.items()} for i in items]


def test_outlook_csv_and_xlsx_match_the_json(kpi_world):
    client = ApiClient(kpi_world.observer)
    body = client.get("/outlook").json()
    json_rows = body["history"] + body["forecast"]
    rows = _csv(client.get("/outlook?format=csv"))
    assert len(rows) == len(json_rows) and sum(1 for r in rows if r["demand"]) == 24
    for row, item in zip(rows, json_rows, strict=True):
        assert {k: row[k] for k in item} == {k: _cell(v) for k, v in item.items()}
    sheet = _xlsx(client.get("/outlook?format=xlsx"))
    for row, item in zip(sheet, json_rows, strict=True):
        assert {k: row[k] for k in item} == {k: _xcell(v) for k, v in item.items()}
    assert sheet[-1]["month"] == body["forecast"][-1]["month"]


# ---------------------------------------------------------------------------------------------
# Who sees what: operators and observers everything, anyone else their own organisations.


@pytest.fixture
def outsider_world(kpi_world):
    """kpi_world plus an outsider's organisation (Delta) with a submitted Fast Lane proposal of
    777 GPU-hours, and `single`, a member of the startup (A) only: p1 (100 requested, 100
    awarded, 10 used, accepted) and p4 (500 requested, refused for lack of capacity)."""
    outsider = make_user()
    delta = make_org(outsider, kind="sme", region="flanders", legal_name="Delta Robotics")
    proposal_submit(proposal=make_proposal(outsider, kpi_world.fast_lane, delta,
                                           requested_gpu_hours=777,
                                           factory=kpi_world.factory), by=outsider)
    single = make_user()
    add_member(kpi_world.startup, single)
    return kpi_world, outsider, single


@pytest.mark.parametrize("group", GROUPS)
def test_each_role_sees_its_own_figures(outsider_world, group):
    world, outsider, single = outsider_world
    by_role = {
        "operator": (2877, 900, 10, 6, 3), "observer": (2877, 900, 10, 6, 3),
        "applicant of A, B and C": (2100, 900, 10, 5, 3),  # never Delta's 777
        "member of A only": (600, 100, 10, 2, 1),
        "outsider": (777, 0, 0, 1, 0),
        "reviewer without organisation": (0, 0, 0, 0, 0),
    }
    users = {"operator": world.operator, "observer": world.observer,
             "applicant of A, B and C": world.applicant, "member of A only": single,
             "outsider": outsider, "reviewer without organisation": make_reviewer()}
    for role, user in users.items():
        body = ApiClient(user).get(f"/kpis?group_by={group}").json()
        assert _totals(body) == by_role[role], role
        rows = _csv(ApiClient(user).get(f"/kpis?group_by={group}&format=csv"))
        assert sum(float(r["requested_gpu_hours"]) for r in rows) == by_role[role][0], role


def test_applicants_time_to_access_and_outlook_are_their_own(outsider_world):
    world, outsider, single = outsider_world
    client = ApiClient(single)
    rows = {i["mode"]: i["n"] for i in client.get("/kpis/time-to-access").json()["items"]}
    assert rows == {"playground": 1, "fast_lane": 1, "large_scale": 0, "ai_for_science": 0}
    history = client.get("/outlook").json()["history"]
    july = next(m for m in history if m["month"] == "2026-07")
    assert (july["requested"], july["awarded"], july["unmet_refused"], july["unmet"]) == (
        600, 100, 500, 500)
    assert sum(m["requested"] for m in history) == 600  # not Delta's 777 this month
    mine = ApiClient(outsider).get("/outlook").json()["history"]
    assert sum(m["requested"] for m in mine) == 777
    everyone = ApiClient(world.observer).get("/outlook").json()["history"]
    assert sum(m["requested"] for m in everyone) == 2877
    csv_rows = _csv(client.get("/outlook?format=csv"))
    assert sum(float(r["requested"] or 0) for r in csv_rows) == 600


def test_signed_out_is_401(kpi_world):
    for path in ("/kpis", "/kpis/time-to-access", "/outlook", "/kpis?format=csv"):
        assert ApiClient(None).get(path).status_code == 401
