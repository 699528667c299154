"""The Gigafactory outlook: the monthly series on hand-built records, and the forecast's
shape for long, short and very short histories."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest

from antenna.reports.outlook import demand_history, forecast_demand, outlook
from antenna.reports.tests.conftest import TODAY


def _seasonal(n: int) -> list[float]:
    return [1000 + 40 * i + 300 * math.sin(2 * math.pi * i / 12) + 25 * ((i * 7) % 5)
            for i in range(n)]


def _well_formed(points, first_month: str, horizon: int = 24) -> None:
    assert len(points) == horizon
    assert points[0].month == first_month
    months = [dt.date.fromisoformat(p.month + "-01") for p in points]
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1
               for a, b in itertools.pairwise(months))
    assert all(0 <= p.lower <= p.demand <= p.upper for p in points)


def test_forecast_with_two_years_is_seasonal_ets_with_intervals():
    f = forecast_demand(_seasonal(30), dt.date(2024, 1, 1))
    assert f.method == "ets-damped-trend-seasonal"
    _well_formed(f.points, "2026-07")
    assert any(p.upper > p.lower for p in f.points)
    # the trend carries on: the second year ahead averages above the history's last year
    assert sum(p.demand for p in f.points[12:]) / 12 > sum(_seasonal(30)[-12:]) / 12 * 0.9


def test_forecast_with_a_year_has_no_season_and_says_so():
    f = forecast_demand(_seasonal(10), dt.date(2025, 3, 1))
    assert f.method == "ets-damped-trend"
    assert "Only 10 complete months" in f.note and "without a yearly season" in f.note
    _well_formed(f.points, "2026-01")


def test_forecast_with_few_months_falls_back_to_a_flat_average_and_says_so():
    f = forecast_demand([100.0, 200.0, 300.0], dt.date(2026, 1, 1))
    assert f.method == "flat-average"
    assert "too few for a model" in f.note
    _well_formed(f.points, "2026-04")
    assert {p.demand for p in f.points} == {200.0}
    # sd 100, z 1.2816, sqrt(1 + 1/3): the first interval is 200 +- 148.0
    assert (f.points[0].lower, f.points[0].upper) == (52.0, 348.0)
    assert f.points[-1].upper > f.points[0].upper  # wider further ahead


def test_no_forecast_before_two_months():
    f = forecast_demand([500.0], dt.date(2026, 1, 1))
    assert f.method == "none" and f.points == []
    assert "no forecast" in f.note


def test_forecast_never_goes_below_zero():
    f = forecast_demand([0.0, 0.0, 900.0, 0.0, 0.0, 0.0, 0.0, 0.0], dt.date(2026, 1, 1))
    assert all(p.lower >= 0 and p.demand >= 0 for p in f.points)


@pytest.mark.django_db
def test_monthly_history_and_unmet_demand_in_parts(kpi_world, django_assert_num_queries):
    """From the calls' opening (15 June) to today (August, not over). July: requested 2100;
    awarded 100 + 200 + 600; unmet = 400 short on p3 + 500 refused for lack of capacity (p4) +
    300 withdrawn for lack of capacity (p5)."""
    with django_assert_num_queries(3):
        history = demand_history(TODAY)
    assert [m.month for m in history] == ["2026-06", "2026-07", "2026-08"]
    assert [m.partial for m in history] == [False, False, True]
    july = history[1]
    assert (july.requested, july.awarded, july.used) == (2100, 900, 10)
    assert (july.shortfall, july.refused, july.withdrawn, july.unmet) == (400, 500, 300, 1200)
    assert history[0].requested == 0 and history[2].requested == 0


@pytest.mark.django_db
def test_only_refusals_and_withdrawals_for_lack_of_capacity_are_unmet(kpi_world):
    """p4 refused on scientific merit, p5 withdrawn for another reason: only p3's shortfall
    (400) is unmet; the requests still count as requested."""
    from antenna.proposals.models import Decision, Proposal

    Decision.objects.filter(proposal=kpi_world.p4).update(reason="scientific")
    Proposal.objects.filter(pk=kpi_world.p5.pk).update(withdrawal_reason="other")
    july = demand_history(TODAY)[1]
    assert (july.requested, july.shortfall, july.refused, july.withdrawn, july.unmet) == (
        2100, 400, 0, 0, 400)
    Proposal.objects.filter(pk=kpi_world.p5.pk).update(withdrawal_reason="")  # not recorded
    assert demand_history(TODAY)[1].unmet == 400


@pytest.mark.django_db
def test_outlook_forecasts_from_complete_months_and_states_capacity(kpi_world, settings):
    settings.ANTENNA_OUTLOOK_UTILISATION = 0.5
    o = outlook(TODAY)
    assert o.forecast.method == "flat-average"  # June and July only
    assert o.forecast.points[0].month == "2026-08"
    assert o.forecast.points[0].demand == 1050.0  # (0 + 2100) / 2
    assert o.utilisation == 0.5
    label, gpu_hours, gpus, _upper = o.capacity[0]
    assert label == "2026-06 to 2026-07" and gpu_hours == 1050.0
    assert gpus == round(1050 / (365.25 / 12 * 24 * 0.5), 1)
    month, demand, gpus_12, _ = o.capacity[1]
    assert month == "2027-07" and gpus_12 == round(demand / (31 * 24 * 0.5), 1)
    chart = o.chart()
    assert len(chart["labels"]) == 3 + 24 and chart["forecast"][:3] == [None] * 3


def test_the_same_months_reuse_the_fit_and_callers_cannot_spoil_it():
    first = forecast_demand(_seasonal(26), dt.date(2024, 1, 1))
    first.points.clear()
    again = forecast_demand(_seasonal(26), dt.date(2024, 1, 1))
    assert len(again.points) == 24 and again.method == "ets-damped-trend-seasonal"
