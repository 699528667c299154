"""The observers' overview with filters, the outlook page, exports, and the public
transparency page (no sign-in, no personal data)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from antenna.proposals.services import proposal_submit
from antenna.reports.outlook import outlook
from antenna.testing import add_member, make_org, make_proposal, make_user

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _json_script(html: str, element_id: str):
    marker = f'id="{element_id}" type="application/json">'
    return json.loads(html.split(marker)[1].split("</script>")[0])


def test_overview_filters_tables_and_charts(kpi_world, django_assert_num_queries):
    client = client_for(kpi_world.observer)
    with django_assert_num_queries(18):
        response = client.get("/overview/?group_by=kind&region=wallonia&mode=fast_lane")
    assert response.status_code == 200
    html = response.content.decode()
    assert "GPU-hours and outcomes by Organisation kind" in html
    chart = _json_script(html, "kpi-hours-data")
    assert chart == {"labels": ["Public administration"], "requested": [300.0],
                     "awarded": [0.0], "used": [0.0]}
    access = _json_script(html, "kpi-access-data")
    assert access["labels"] == ["Fast Lane"] and access["target"] == [4]
    assert '<option value="wallonia" selected>' in html
    assert 'href="/reports/export/hours-by-kind.csv?region=wallonia&amp;mode=fast_lane"' in html
    assert "<script>" not in html.replace('<script src=', '')  # no inline script (CSP)


def test_overview_bad_filter_says_what_to_fix(kpi_world):
    response = client_for(kpi_world.observer).get("/overview/?from=yesterday", follow=True)
    assert response.status_code == 200
    assert "YYYY-MM-DD" in response.content.decode()


def test_signed_out_readers_are_sent_to_sign_in(kpi_world):
    for path in ("/overview/", "/reports/outlook/", "/reports/export/served.csv"):
        assert client_for().get(path).status_code == 302  # to sign-in


def test_applicants_pages_and_exports_show_their_organisations_only(kpi_world):
    """A member of the startup (A) only: p1 (100 requested, 100 awarded) and p4 (500,
    refused for lack of capacity). An outsider's organisation with 777 requested never
    appears; the observer sees it."""
    outsider = make_user()
    delta = make_org(outsider, kind="sme", region="flanders", legal_name="Delta Robotics")
    proposal_submit(proposal=make_proposal(outsider, kpi_world.fast_lane, delta,
                                           requested_gpu_hours=777), by=outsider)
    single = make_user()
    add_member(kpi_world.startup, single)
    client = client_for(single)

    html = client.get("/overview/?group_by=kind").content.decode()
    assert "Figures of your organisations only." in html
    assert _json_script(html, "kpi-hours-data") == {
        "labels": ["Startup"], "requested": [600.0], "awarded": [100.0], "used": [10.0]}
    assert "SME" not in str(_json_script(html, "kpi-hours-data"))

    rows = list(csv.reader(io.StringIO(
        client.get("/reports/export/hours-by-mode.csv").content.decode())))[1:]
    assert sum(float(r[1]) for r in rows) == 600

    page = client.get("/reports/outlook/").content.decode()
    assert "figures of the organisations you are a member of" in page
    chart = _json_script(page, "outlook-data")
    assert sum(chart["requested"]) == 600 and sum(chart["unmet"]) == 500

    everyone = _json_script(client_for(kpi_world.observer).get("/reports/outlook/")
                            .content.decode(), "outlook-data")
    assert sum(everyone["requested"]) == 2877
    mine = _json_script(client_for(outsider).get("/overview/?group_by=kind").content.decode(),
                        "kpi-hours-data")
    assert mine["labels"] == ["SME"] and mine["requested"] == [777.0]


def test_outlook_page_summary_chart_and_method(kpi_world, django_assert_max_num_queries):
    client = client_for(kpi_world.operator)
    with django_assert_max_num_queries(6):
        response = client.get("/reports/outlook/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "AI Gigafactory outlook" in html
    assert outlook().forecast.note in html  # the method, and any fallback, said on the page
    chart = _json_script(html, "outlook-data")
    assert len(chart["labels"]) == len(chart["requested"]) + 24
    assert 'data-chart="outlook"' in html


def test_csv_export_matches_the_selector(kpi_world):
    response = client_for(kpi_world.observer).get("/reports/export/hours-by-mode.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["mode", "Requested GPU-hours", "Awarded GPU-hours", "Used GPU-hours"]
    assert rows[1] == ["Playground", "300.0", "300.0", "10.0", "2", "2", "2", "1.0"]
    assert rows[2] == ["Fast Lane", "1800.0", "600.0", "0.0", "3", "2", "1", "0.5"]


def test_xlsx_export_opens_with_numbers(kpi_world):
    response = client_for(kpi_world.observer).get(
        "/reports/export/time-to-access.xlsx?mode=playground")
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Mode", "Target", "Decisions"]
    assert rows[1][:6] == ["Playground", 2, 2, 1.5, 1.9, 1.0]


def test_export_of_an_unknown_table_is_404_and_a_bad_filter_400(kpi_world):
    client = client_for(kpi_world.observer)
    assert client.get("/reports/export/salaries.csv").status_code == 404
    assert client.get("/reports/export/served.pdf").status_code == 404
    bad = client.get("/reports/export/served.csv?kind=robot")
    assert bad.status_code == 400 and "must be one of" in bad.content.decode()


def test_transparency_is_public_and_anonymous(kpi_world, django_assert_num_queries):
    users = [kpi_world.applicant, kpi_world.operator, kpi_world.observer, make_user()]
    with django_assert_num_queries(10):
        response = client_for().get("/transparency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Open vision model" in html and "We train a model." in html
    assert "Partly open triage" in html
    assert "Secret weather model" not in html  # closed results are never listed
    assert "Alpha Vision" in html
    for user in users:
        assert user.username not in html
        assert user.email not in html
    assert "@" not in html


def test_open_data_csv_has_its_licence_and_no_person(kpi_world):
    response = client_for().get("/transparency/indicators.csv")
    assert response.status_code == 200
    text = response.content.decode()
    lines = text.splitlines()
    assert lines[0].startswith("# Licence: Creative Commons Attribution 4.0")
    rows = list(csv.DictReader(lines[1:]))
    mode = {r["group"]: r for r in rows if r["dimension"] == "mode"}
    assert mode["fast_lane"]["requested_gpu_hours"] == "1800.0"
    assert kpi_world.applicant.username not in text and "@" not in text


def test_every_page_links_the_transparency_page(db):
    html = client_for().get("/").content.decode()
    assert 'href="/transparency/"' in html
