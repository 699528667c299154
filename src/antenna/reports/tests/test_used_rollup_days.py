""""Used" for periods whose ends are inside a month, read from the roll-up by day and week
of the month with signed terms (a month less its days outside the period, a week less some
days): still the plain sum of the charged jobs whose local end day is in the period, per
group, and no group appears from terms that cancel out."""

from __future__ import annotations

import datetime as dt

import pytest

from antenna.jobs.models import Job
from antenna.reports.filters import ReportFilter
from antenna.reports.selectors import MONTH, hours_by, usage_terms
from antenna.reports.tests.test_used_rollup import BRUSSELS, _expected, charged_jobs  # noqa: F401

D = dt.date

PERIODS = [(D(2026, 1, 2), D(2026, 1, 31)),   # January less its 1st
           (D(2026, 1, 16), D(2026, 2, 27)),  # February less its 28th
           (D(2026, 1, 14), D(2026, 1, 15)),  # two days across a week's edge
           (D(2026, 3, 9), D(2026, 3, 12)),
           (D(2026, 2, 2), D(2026, 3, 30)),
           (D(2026, 3, 10), D(2026, 4, 29))]


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_used_with_signed_terms_is_the_jobs_sum(charged_jobs, start, end,  # noqa: F811
                                                django_assert_max_num_queries):
    terms = usage_terms(start, end + dt.timedelta(days=1))
    f = ReportFilter(date_from=start, date_to=end)
    expected = _expected(charged_jobs, start, end)
    assert expected > 0
    for group in ("mode", "factory", "month", "kind", "region"):
        with django_assert_max_num_queries(4):
            rows = hours_by(group, f)
        assert sum(r.used for r in rows) == expected, (group, start, end, terms)
    per_factory = {r.group: r.used for r in hours_by("factory", f)}
    for name in per_factory:
        jobs = [j for j in charged_jobs if j.factory and j.factory.display_name == name]
        assert per_factory[name] == _expected(jobs, start, end)


def test_the_periods_above_use_negative_terms():
    """So the test above goes through the month-less-days and week-less-days sums."""
    assert (MONTH, D(2026, 1, 1)) in usage_terms(D(2026, 1, 2), D(2026, 2, 1))
    assert -1 in usage_terms(D(2026, 1, 16), D(2026, 2, 28)).values()


@pytest.mark.django_db
def test_no_group_appears_when_its_usage_is_outside_the_period(charged_jobs):  # noqa: F811
    """16-30 January: the January jobs ended on the 14th, 15th and 31st. The proposals were
    submitted and the allocations start today: nothing is in the period, no row at all."""
    assert Job.objects.filter(gpu_seconds_charged__gt=0).count() == len(charged_jobs)
    f = ReportFilter(date_from=D(2026, 1, 16), date_to=D(2026, 1, 30))
    for group in ("mode", "factory", "month", "kind"):
        assert hours_by(group, f) == [], group
