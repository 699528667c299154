"""The KPIs of docs/kpis.md on hand-built records (conftest.build_kpi_world), exact numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from antenna.core.errors import ValidationFailed
from antenna.reports.filters import ReportFilter, report_filter_from
from antenna.reports.selectors import (
    allocation_health,
    hours_by,
    served,
    supported_projects,
    time_to_access,
)
from antenna.reports.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def _by(rows):
    return {r.group: r for r in rows}


def test_time_to_access_per_mode_in_belgian_working_days(kpi_world, django_assert_num_queries):
    """Playground: 1 and 2 days -> median 1.5, p90 1.9 (linear), both within 2. Fast Lane:
    7 and 2 -> median 4.5, p90 6.5, one of two within 4. p1's job: 1 working day (21 July
    is a holiday)."""
    with django_assert_num_queries(1):
        rows = {r.mode: r for r in time_to_access()}
    pg, fl = rows["playground"], rows["fast_lane"]
    assert (pg.target, pg.decisions, pg.median, pg.p90, pg.on_time) == (2, 2, 1.5, 1.9, 2)
    assert pg.on_time_share == 1.0
    assert (pg.first_jobs, pg.median_to_first_job, pg.p90_to_first_job) == (1, 1.0, 1.0)
    assert (fl.target, fl.decisions, fl.median, fl.p90, fl.on_time) == (4, 2, 4.5, 6.5, 1)
    assert fl.on_time_share == 0.5
    assert fl.first_jobs == 0 and fl.median_to_first_job is None
    assert rows["large_scale"].decisions == 0 and rows["large_scale"].median is None
    assert rows["large_scale"].target == 10


def test_time_to_access_filters(kpi_world):
    only = time_to_access(ReportFilter(kind="startup"))
    assert {r.mode: r.decisions for r in only} == {
        "playground": 1, "fast_lane": 1, "large_scale": 0, "ai_for_science": 0}
    july_first_week = time_to_access(ReportFilter(date_from=dt.date(2026, 7, 1),
                                                  date_to=dt.date(2026, 7, 10), mode="fast_lane"))
    assert [(r.mode, r.decisions) for r in july_first_week] == [("fast_lane", 2)]


def test_hours_and_success_rate_by_mode(kpi_world, django_assert_num_queries):
    """Requested counts every submitted proposal (withdrawn too, not the draft)."""
    with django_assert_num_queries(3):
        rows = _by(hours_by("mode"))
    pg, fl = rows["playground"], rows["fast_lane"]
    assert (pg.requested, pg.awarded, pg.used) == (Decimal(300), Decimal(300), Decimal(10))
    assert (pg.proposals, pg.decided, pg.accepted, pg.success_rate) == (2, 2, 2, 1.0)
    assert (fl.requested, fl.awarded, fl.used) == (Decimal(1800), Decimal(600), Decimal(0))
    assert (fl.proposals, fl.decided, fl.accepted, fl.success_rate) == (3, 2, 1, 0.5)
    assert set(rows) == {"playground", "fast_lane"}
    assert pg.label == "Playground"


def test_hours_by_kind_region_sector_factory_month(kpi_world):
    kind = _by(hours_by("kind"))
    assert {k: (r.requested, r.awarded, r.used) for k, r in kind.items()} == {
        "startup": (Decimal(600), Decimal(100), Decimal(10)),
        "public_administration": (Decimal(500), Decimal(200), Decimal(0)),
        "university": (Decimal(1000), Decimal(600), Decimal(0)),
    }
    region = _by(hours_by("region"))
    assert region["wallonia"].requested == 500 and region["brussels"].awarded == 600
    sector = _by(hours_by("sector"))
    assert sector["health_biotech"].used == 10 and sector["research"].requested == 1000
    factory = _by(hours_by("factory"))
    assert list(factory) == ["Jupiter"]
    assert (factory["Jupiter"].requested, factory["Jupiter"].awarded) == (2100, 900)
    month = _by(hours_by("month"))
    # awarded by the allocation's start: p1 in June; p2 and p3 in July
    assert {k: (r.requested, r.awarded, r.used) for k, r in month.items()} == {
        "2026-06": (Decimal(0), Decimal(100), Decimal(0)),
        "2026-07": (Decimal(2100), Decimal(800), Decimal(10)),
    }


def test_hours_filters_combine(kpi_world):
    rows = _by(hours_by("mode", ReportFilter(region="wallonia")))
    assert rows["playground"].requested == 200 and rows["fast_lane"].requested == 300
    assert rows["fast_lane"].accepted == 0 and rows["fast_lane"].success_rate is None
    assert hours_by("mode", ReportFilter(factory=kpi_world.factory.pk + 999)) == []
    july = _by(hours_by("kind", ReportFilter(date_from=dt.date(2026, 7, 15))))
    assert july["startup"].requested == 100  # p1 only (p4 was submitted on 6 July)


def test_who_is_served(kpi_world, django_assert_num_queries):
    """A, B and C have allocations; A is a startup and a first-time HPC user; B is public:
    200 of 900 awarded GPU-hours."""
    with django_assert_num_queries(2):
        s = served()
    assert (s.registered, s.registered_first_time) == (3, 1)
    assert (s.served, s.first_time_hpc, s.sme_startup, s.public_sector) == (3, 1, 1, 1)
    assert s.sme_startup_share == pytest.approx(1 / 3)
    assert s.public_sector_share == pytest.approx(200 / 900)


def test_allocations_under_used_and_expired_unused(kpi_world, django_assert_num_queries):
    """p1: 10 of 100 h used after two of three months -> under-used. p3: just started. p2:
    expired with 50 of 200 h used -> 150 h unused."""
    with django_assert_num_queries(2):
        a = allocation_health(today=TODAY)
    assert (a.under_used, a.under_used_granted, a.under_used_used) == (1, 100, 10)
    assert a.under_used_ids == [kpi_world.p1.allocation.pk]
    assert (a.ended, a.ended_granted, a.expired_unused) == (1, 200, 150)
    assert a.expired_unused_share == 0.75


def test_supported_projects_only_open_or_partial(kpi_world, django_assert_num_queries):
    with django_assert_num_queries(1):
        projects = supported_projects()
    assert [p.title for p in projects] == ["Partly open triage", "Open vision model"]
    partial, open_ = projects
    assert partial.abstract == "" and open_.abstract == "We train a model."
    assert open_.organization == "Alpha Vision" and open_.awarded == 100


def test_filter_parsing_says_what_to_fix():
    f = report_filter_from({"from": "2026-01-01", "to": "2026-12-31", "kind": "sme",
                            "factory": "3", "mode": "playground"})
    assert (f.date_from, f.kind, f.factory, f.mode) == (dt.date(2026, 1, 1), "sme", 3,
                                                       "playground")
    with pytest.raises(ValidationFailed, match="YYYY-MM-DD"):
        report_filter_from({"from": "01/02/2026"})
    with pytest.raises(ValidationFailed, match="must be one of"):
        report_filter_from({"region": "mars"})
    with pytest.raises(ValidationFailed, match="before"):
        report_filter_from({"from": "2026-02-01", "to": "2026-01-01"})
    with pytest.raises(ValidationFailed, match="factory id"):
        report_filter_from({"factory": "x"})
