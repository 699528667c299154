""""Used" read from the usage roll-up (whole months) and the jobs (the days at a period's
ends) equals the plain sum of the charged jobs whose local end day is in the period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from antenna import testing
from antenna.allocations.models import Allocation, hours
from antenna.jobs.models import Job
from antenna.jobs.services import job_record_dispatched, job_record_status, job_settle, job_submit
from antenna.jobs.states import JobState
from antenna.proposals.services import proposal_submit
from antenna.reports.filters import ReportFilter
from antenna.reports.outlook import demand_history
from antenna.reports.selectors import hours_by, period_split

BRUSSELS = ZoneInfo("Europe/Brussels")
D = dt.date


def test_period_split_whole_months_and_days_left():
    assert period_split(None, None) == (None, None, [])
    assert period_split(D(2026, 1, 1), D(2026, 3, 31)) == (D(2026, 1, 1), D(2026, 4, 1), [])
    assert period_split(D(2026, 1, 15), D(2026, 3, 10)) == (
        D(2026, 2, 1), D(2026, 3, 1), [(D(2026, 1, 15), D(2026, 2, 1)),
                                       (D(2026, 3, 1), D(2026, 3, 11))])
    assert period_split(D(2026, 1, 15), None) == (
        D(2026, 2, 1), None, [(D(2026, 1, 15), D(2026, 2, 1))])
    assert period_split(None, D(2026, 2, 27)) == (
        None, D(2026, 2, 1), [(D(2026, 2, 1), D(2026, 2, 28))])
    # within one month: no whole month, the days only
    first, after, days = period_split(D(2026, 2, 3), D(2026, 2, 20))
    assert first == after and days == [(D(2026, 2, 3), D(2026, 2, 21))]
    # a whole single month, and a period ending on a month's last day
    assert period_split(D(2026, 2, 1), D(2026, 2, 28)) == (D(2026, 2, 1), D(2026, 3, 1), [])
    assert period_split(D(2026, 1, 31), D(2026, 2, 1)) == (
        D(2026, 2, 1), D(2026, 2, 1), [(D(2026, 1, 31), D(2026, 2, 2))])


ENDS = [  # local end times: month edges, a day's last hour, a DST change
    dt.datetime(2026, 1, 14, 23, 30), dt.datetime(2026, 1, 15, 0, 30),
    dt.datetime(2026, 1, 31, 23, 59), dt.datetime(2026, 2, 1, 0, 1),
    dt.datetime(2026, 2, 20, 12), dt.datetime(2026, 3, 10, 23, 45),
    dt.datetime(2026, 3, 11, 0, 15), dt.datetime(2026, 3, 29, 2, 30),
    dt.datetime(2026, 4, 30, 22),
]


@pytest.fixture
def charged_jobs() -> list[Job]:
    operator = testing.make_operator()
    factories = [testing.make_factory(), testing.make_factory()]
    call = testing.make_call("playground", factories=factories, by=operator)
    jobs = []
    for index, end in enumerate(ENDS):
        owner = testing.make_user()
        proposal = testing.make_proposal(owner, call, testing.make_org(owner),
                                         requested_gpu_hours=10)
        proposal_submit(proposal=proposal, by=owner)
        allocation = Allocation.objects.get(proposal=proposal)
        factory = factories[index % 2]
        job = job_submit(by=owner, allocation=allocation, name="j", script="#!/bin/bash\n",
                         gpus=1, walltime_minutes=60)
        job = job_record_dispatched(job=job, factory=factory,
                                    partition=factory.partitions.get(), scheduler_job_id="1")
        finished = end.replace(tzinfo=BRUSSELS)
        job = job_record_status(job=job, state=JobState.COMPLETED, exit_code=0,
                                started_at=finished - dt.timedelta(minutes=5),
                                finished_at=finished)
        jobs.append(job_settle(job=job, elapsed_seconds=360 * (index + 1)))
    return jobs  # charges of 0.1 GPU-hour multiples: group sums are exact


def _expected(jobs: list[Job], start: dt.date | None, end: dt.date | None) -> Decimal:
    days = [(j.finished_at.astimezone(BRUSSELS).date(), j.gpu_seconds_charged or 0)
            for j in jobs if j.finished_at]
    return hours(sum(c for d, c in days if (start is None or d >= start)
                     and (end is None or d <= end)))


PERIODS = [(None, None), (D(2026, 1, 15), D(2026, 3, 10)), (D(2026, 1, 15), None),
           (None, D(2026, 3, 10)), (D(2026, 2, 1), D(2026, 2, 28)),
           (D(2026, 1, 31), D(2026, 2, 1)), (D(2026, 3, 11), D(2026, 3, 29)),
           (D(2026, 1, 1), D(2026, 4, 30))]


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_used_in_a_period_is_the_jobs_sum(charged_jobs, start, end,
                                          django_assert_max_num_queries):
    f = ReportFilter(date_from=start, date_to=end)
    expected = _expected(charged_jobs, start, end)
    assert expected > 0 or start == D(2026, 3, 11)
    for group in ("mode", "factory", "month", "kind"):
        with django_assert_max_num_queries(4):  # requested, awarded, used: roll-up and days
            rows = hours_by(group, f)
        assert sum(r.used for r in rows) == expected, (group, start, end)
    by_month = {r.group: r.used for r in hours_by("month", f)}
    for job in charged_jobs:
        assert job.finished_at
        day = job.finished_at.astimezone(BRUSSELS).date()
        if (start is None or day >= start) and (end is None or day <= end):
            assert by_month[f"{day:%Y-%m}"] > 0


@pytest.mark.django_db
def test_outlook_used_is_the_jobs_sum_per_month(charged_jobs):
    history = {m.month: m.used for m in demand_history(today=D(2026, 5, 15))}
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        total = sum(j.gpu_seconds_charged or 0 for j in charged_jobs
                    if j.finished_at and f"{j.finished_at.astimezone(BRUSSELS):%Y-%m}" == month)
        assert history[month] == float(hours(total).quantize(Decimal("0.1")))
