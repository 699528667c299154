"""The usage roll-up by day and week of the month (`allocations.UsageDay`) always equals what
the records say, whatever the path: settlement, a provisional charge corrected up and down (a
refund of part of the charge), a cancelled job (its reservation released), an external usage,
day, week and month boundaries in Brussels time, the migration's backfill and the rebuild.
And the signed terms the reports read (`reports.selectors.usage_terms`) cover exactly the
days asked for."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db.models import Sum

from antenna import testing
from antenna.allocations.models import (
    Allocation,
    ExternalUsage,
    LedgerEntry,
    UsageDay,
    UsageMonth,
    UsageSpan,
)
from antenna.allocations.selectors import ledger_balances
from antenna.allocations.services import external_usage_charge
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.services import (
    job_cancel,
    job_record_dispatched,
    job_record_status,
    job_settle,
    job_settle_correct,
    job_submit,
    usage_months_rebuild,
)
from antenna.jobs.states import JobState
from antenna.reports.selectors import MONTH, usage_terms

BRUSSELS = ZoneInfo("Europe/Brussels")
D = dt.date
Key = tuple[int, int | None, int, dt.date]


def _allocation(hours: int = 100) -> tuple[Allocation, Factory]:
    factory = testing.make_factory()
    return testing.make_allocation(factory, gpu_hours=hours)[1], factory


def _finished(allocation: Allocation, factory: Factory, finished: dt.datetime) -> Job:
    owner = allocation.organization.memberships.get().user
    job = job_submit(by=owner, allocation=allocation, name="j", script="#!/bin/bash\n",
                     gpus=1, walltime_minutes=30)
    job = job_record_dispatched(job=job, factory=factory, partition=factory.partitions.get(),
                                scheduler_job_id=f"s{job.pk}")
    return job_record_status(job=job, state=JobState.COMPLETED, exit_code=0,
                             started_at=finished - dt.timedelta(minutes=10),
                             finished_at=finished)


def _week_start(day: dt.date) -> dt.date:
    """Written again here, not imported: 1-7 -> 1, 8-14 -> 8, ..., 29-31 -> 29."""
    return day.replace(day=[1, 8, 15, 22, 29][min((day.day - 1) // 7, 4)])


def _from_records() -> dict[Key, tuple[int, int]]:
    """Day and week rows computed by hand from the jobs and external usages."""
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    records = [(j.allocation_id, j.factory_id, j.finished_at or j.created_at,
                j.gpu_seconds_charged or 0, 0) for j in Job.objects.all()]
    records += [(e.allocation_id, e.factory_id, e.finished_at or e.created_at, 0,
                 e.charged_gpu_seconds) for e in ExternalUsage.objects.all()]
    for allocation_id, factory_id, at, jobs, external in records:
        if not (jobs or external):
            continue
        day = at.astimezone(BRUSSELS).date()
        for span, start in ((1, day), (7, _week_start(day))):
            sums[(allocation_id, factory_id, span, start)][0] += jobs
            sums[(allocation_id, factory_id, span, start)][1] += external
    return {k: (v[0], v[1]) for k, v in sums.items()}


def _roll_up() -> dict[Key, tuple[int, int]]:
    return {(u.allocation_id, u.factory_id, u.span, u.day): (u.jobs_gpu_seconds,
                                                             u.external_gpu_seconds)
            for u in UsageDay.objects.all()}


def _months_from_days() -> dict[tuple[int, int | None, dt.date], tuple[int, int]]:
    sums: dict[tuple[int, int | None, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for (allocation_id, factory_id, span, day), (jobs, external) in _roll_up().items():
        if span == UsageSpan.DAY:
            sums[(allocation_id, factory_id, day.replace(day=1))][0] += jobs
            sums[(allocation_id, factory_id, day.replace(day=1))][1] += external
    return {k: (v[0], v[1]) for k, v in sums.items()}


def _months() -> dict[tuple[int, int | None, dt.date], tuple[int, int]]:
    return {(u.allocation_id, u.factory_id, u.month): (u.jobs_gpu_seconds,
                                                        u.external_gpu_seconds)
            for u in UsageMonth.objects.all()}


def _check(allocation: Allocation) -> None:
    rows = _roll_up()
    assert rows == _from_records()
    assert _months_from_days() == _months()  # the days add up to the month roll-up
    for span in (UsageSpan.DAY, UsageSpan.WEEK):  # each span holds every charge once
        total = sum(j + e for (a, _, s, _), (j, e) in rows.items()
                    if a == allocation.pk and s == span)
        allocation.refresh_from_db()
        ledger = LedgerEntry.objects.filter(allocation=allocation).aggregate(
            u=Sum("used_delta"))["u"]
        assert total == allocation.used_gpu_seconds == ledger
    assert ledger_balances(allocation)


@pytest.mark.django_db
def test_day_roll_up_follows_charges_corrections_refunds_and_external_usage():
    allocation, factory = _allocation()
    # local times in Brussels: 7 January 23:30 (week 1) and 8 January 00:30 (week 2) are
    # 22:30 and 23:30 UTC on the 7th; 31 January 23:30 is 22:30 UTC; 29 February of a leap year
    ends = [dt.datetime(2028, 1, 7, 23, 30, tzinfo=BRUSSELS),
            dt.datetime(2028, 1, 8, 0, 30, tzinfo=BRUSSELS),
            dt.datetime(2028, 1, 31, 22, 30, tzinfo=dt.UTC),
            dt.datetime(2028, 2, 29, 12, 0, tzinfo=BRUSSELS)]
    jobs = [_finished(allocation, factory, end) for end in ends]
    job_settle(job=jobs[0], elapsed_seconds=600)
    job_settle(job=jobs[0], elapsed_seconds=900)  # settled already: nothing more
    job_settle(job=jobs[1], elapsed_seconds=300)
    job_settle(job=jobs[2], elapsed_seconds=100, provisional=True)
    job_settle(job=jobs[3], elapsed_seconds=1000, provisional=True)
    _check(allocation)
    assert _roll_up()[(allocation.pk, factory.pk, 1, D(2028, 1, 7))] == (600, 0)
    assert _roll_up()[(allocation.pk, factory.pk, 7, D(2028, 1, 8))] == (300, 0)
    assert _roll_up()[(allocation.pk, factory.pk, 7, D(2028, 1, 29))] == (100, 0)
    job_settle_correct(job=jobs[2], elapsed_seconds=400)  # the accounting's record: +300
    job_settle_correct(job=jobs[3], elapsed_seconds=200)  # -800: a refund of most of it
    job_settle_correct(job=jobs[3], elapsed_seconds=999)  # corrected already: nothing more
    # a job cancelled before it ran: its reservation released, nothing charged, no row
    owner = allocation.organization.memberships.get().user
    queued = job_submit(by=owner, allocation=allocation, name="q", script="#!/bin/bash\n",
                        gpus=1, walltime_minutes=30)
    job_cancel(job=queued, by=owner)
    usage = external_usage_charge(allocation_id=allocation.pk, factory=factory,
                                  scheduler_job_id="ext-1", site_user="someone", gpus=1,
                                  elapsed_seconds=50, gpu_seconds=50, finished_at=ends[3])
    assert usage is not None
    _check(allocation)
    assert _roll_up()[(allocation.pk, factory.pk, 1, D(2028, 2, 29))] == (200, 50)
    assert _roll_up()[(allocation.pk, factory.pk, 7, D(2028, 2, 29))] == (200, 50)
    # the rebuild and the migration's backfill give the very same rows
    before = _roll_up()
    usage_months_rebuild()
    assert _roll_up() == before
    UsageDay.objects.all().delete()
    importlib.import_module("antenna.jobs.migrations.0006_usage_days_backfill").backfill(
        django_apps, None)
    assert _roll_up() == before


def _expand(terms: dict[tuple[int, dt.date], int]) -> dict[dt.date, int]:
    """Each term's days with its sign, summed per day."""
    days: dict[dt.date, int] = defaultdict(int)
    for (span, start), sign in terms.items():
        if span == MONTH:
            end = (start + dt.timedelta(days=32)).replace(day=1)
        elif span == UsageSpan.WEEK:
            end = min(start + dt.timedelta(days=7) if start.day < 29 else
                      (start + dt.timedelta(days=4)).replace(day=1),
                      (start + dt.timedelta(days=32)).replace(day=1))
        else:
            end = start + dt.timedelta(days=1)
        day = start
        while day < end:
            days[day] += sign
            day += dt.timedelta(days=1)
    return {d: n for d, n in days.items() if n}


def test_usage_terms_cover_exactly_the_days_asked_for():
    """Every period of up to 70 days starting in 2027-2028 (a leap February among them)."""
    base = D(2027, 12, 1)
    for offset in range(0, 120, 1):
        start = base + dt.timedelta(days=offset)
        for length in (1, 2, 3, 5, 6, 7, 8, 13, 14, 15, 16, 20, 27, 28, 29, 30, 31, 45, 70):
            end = start + dt.timedelta(days=length)
            terms = usage_terms(start, end)
            assert _expand(terms) == {start + dt.timedelta(days=i): 1 for i in range(length)}
            assert all(sign == 1 for (span, _), sign in terms.items() if span == MONTH)
            # never more than a month, two weeks and three days' worth per month touched
            assert len(terms) <= 7 * ((length // 28) + 2)


def test_usage_terms_read_few_rows_for_a_mid_month_period():
    """The scale benchmark's period (the 15th to the 14th): five weeks, no single day."""
    terms = usage_terms(D(2026, 10, 15), D(2026, 11, 15))
    assert terms == {(UsageSpan.WEEK, D(2026, 10, d)): 1 for d in (15, 22, 29)} | {
        (UsageSpan.WEEK, D(2026, 11, d)): 1 for d in (1, 8)}
    # from the 2nd: the month less its first day
    assert usage_terms(D(2026, 10, 2), D(2026, 11, 1)) == {
        (MONTH, D(2026, 10, 1)): 1, (UsageSpan.DAY, D(2026, 10, 1)): -1}
    # the 10th to the 12th: three days
    assert usage_terms(D(2026, 10, 10), D(2026, 10, 13)) == {
        (UsageSpan.DAY, D(2026, 10, d)): 1 for d in (10, 11, 12)}
