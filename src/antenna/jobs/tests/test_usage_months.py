"""The usage roll-up (`allocations.UsageMonth`) and the first job start on the allocation
always equal what the records say: settlement, a provisional charge and its correction, an
external usage, a month boundary, reports out of order, and concurrent settlements."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import Allocation, ExternalUsage, UsageMonth
from antenna.allocations.selectors import ledger_balances
from antenna.allocations.services import external_usage_charge
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.services import (
    job_record_dispatched,
    job_record_status,
    job_settle,
    job_settle_correct,
    job_submit,
    usage_months_rebuild,
)
from antenna.jobs.states import JobState

BRUSSELS = ZoneInfo("Europe/Brussels")


def _allocation(hours: int = 100) -> tuple[Allocation, Factory]:
    factory = testing.make_factory()
    return testing.make_allocation(factory, gpu_hours=hours)[1], factory


def _finished(allocation: Allocation, factory: Factory, *, started: dt.datetime,
              finished: dt.datetime, name: str = "x") -> Job:
    owner = allocation.organization.memberships.get().user
    job = job_submit(by=owner, allocation=allocation, name=name, script="#!/bin/bash\n",
                     gpus=1, walltime_minutes=30)
    job = job_record_dispatched(job=job, factory=factory, partition=factory.partitions.get(),
                                scheduler_job_id=f"s{job.pk}")
    return job_record_status(job=job, state=JobState.COMPLETED, exit_code=0,
                             started_at=started, finished_at=finished)


def _from_records() -> dict[tuple[int, int | None, dt.date], tuple[int, int]]:
    """The roll-up computed by hand from the jobs and external usages (no shared code)."""
    jobs: dict[tuple[int, int | None, dt.date], int] = defaultdict(int)
    external: dict[tuple[int, int | None, dt.date], int] = defaultdict(int)
    for j in Job.objects.filter(gpu_seconds_charged__gt=0):
        day = (j.finished_at or j.created_at).astimezone(BRUSSELS).date().replace(day=1)
        jobs[(j.allocation_id, j.factory_id, day)] += j.gpu_seconds_charged or 0
    for e in ExternalUsage.objects.filter(charged_gpu_seconds__gt=0):
        day = (e.finished_at or e.created_at).astimezone(BRUSSELS).date().replace(day=1)
        external[(e.allocation_id, e.factory_id, day)] += e.charged_gpu_seconds
    return {k: (jobs.get(k, 0), external.get(k, 0)) for k in {*jobs, *external}}


def _roll_up() -> dict[tuple[int, int | None, dt.date], tuple[int, int]]:
    return {(u.allocation_id, u.factory_id, u.month): (u.jobs_gpu_seconds,
                                                        u.external_gpu_seconds)
            for u in UsageMonth.objects.all()}


@pytest.mark.django_db
def test_roll_up_follows_settlement_correction_and_external_usage():
    allocation, factory = _allocation()
    # 31 January 23:30 in Brussels is 22:30 UTC: the job counts in January, the next one in
    # February (local months, as the KPIs' TruncMonth)
    jan = dt.datetime(2026, 1, 31, 22, 30, tzinfo=dt.UTC)
    feb = dt.datetime(2026, 2, 1, 0, 30, tzinfo=BRUSSELS)
    a = _finished(allocation, factory, started=jan - dt.timedelta(hours=1), finished=jan)
    b = _finished(allocation, factory, started=feb - dt.timedelta(hours=1), finished=feb)
    job_settle(job=a, elapsed_seconds=600)
    job_settle(job=a, elapsed_seconds=900)  # settled already: nothing more
    job_settle(job=b, elapsed_seconds=100, provisional=True)
    assert _roll_up() == _from_records() == {
        (allocation.pk, factory.pk, dt.date(2026, 1, 1)): (600, 0),
        (allocation.pk, factory.pk, dt.date(2026, 2, 1)): (100, 0)}
    job_settle_correct(job=b, elapsed_seconds=400)  # the accounting record: +300
    job_settle_correct(job=b, elapsed_seconds=999)  # corrected already: nothing more
    usage = external_usage_charge(allocation_id=allocation.pk, factory=factory,
                                  scheduler_job_id="ext-1", site_user="someone", gpus=1,
                                  elapsed_seconds=50, gpu_seconds=50, finished_at=feb)
    assert usage is not None
    assert external_usage_charge(allocation_id=allocation.pk, factory=factory,
                                 scheduler_job_id="ext-1", site_user="someone", gpus=1,
                                 elapsed_seconds=50, gpu_seconds=50, finished_at=feb) is None
    assert _roll_up() == _from_records() == {
        (allocation.pk, factory.pk, dt.date(2026, 1, 1)): (600, 0),
        (allocation.pk, factory.pk, dt.date(2026, 2, 1)): (400, 50)}
    allocation.refresh_from_db()
    assert allocation.used_gpu_seconds == 600 + 400 + 50  # the ledger's used, all of it
    assert ledger_balances(allocation)
    # a correction downwards takes the difference back out of the same month
    c = _finished(allocation, factory, started=feb, finished=feb + dt.timedelta(hours=2))
    job_settle(job=c, elapsed_seconds=1000, provisional=True)
    job_settle_correct(job=c, elapsed_seconds=200)
    assert _roll_up() == _from_records()
    assert _roll_up()[(allocation.pk, factory.pk, dt.date(2026, 2, 1))] == (600, 50)
    # and the rebuild from the records gives the very same rows
    before = _roll_up()
    assert usage_months_rebuild() == len(before)
    assert _roll_up() == before


@pytest.mark.django_db
def test_first_job_start_is_the_earliest_whatever_the_order_of_reports():
    allocation, factory = _allocation()
    assert allocation.first_job_started_at is None
    t0 = timezone.now() - dt.timedelta(days=3)
    owner = allocation.organization.memberships.get().user
    late = job_submit(by=owner, allocation=allocation, name="late", script="#!/bin/bash\n",
                      gpus=1, walltime_minutes=30)
    late = job_record_dispatched(job=late, factory=factory,
                                 partition=factory.partitions.get(), scheduler_job_id="l")
    job_record_status(job=late, state=JobState.RUNNING, started_at=t0 + dt.timedelta(days=1))
    allocation.refresh_from_db()
    assert allocation.first_job_started_at == t0 + dt.timedelta(days=1)
    # an earlier start reported afterwards (a job that ran first, polled later) wins
    _finished(allocation, factory, started=t0, finished=t0 + dt.timedelta(hours=1))
    # a later one changes nothing
    _finished(allocation, factory, started=t0 + dt.timedelta(days=2),
              finished=t0 + dt.timedelta(days=2, hours=1))
    allocation.refresh_from_db()
    starts = Job.objects.filter(allocation=allocation).values_list("started_at", flat=True)
    assert allocation.first_job_started_at == t0 == min(s for s in starts if s)
    Allocation.objects.filter(pk=allocation.pk).update(first_job_started_at=None)
    usage_months_rebuild([allocation.pk])
    allocation.refresh_from_db()
    assert allocation.first_job_started_at == t0


@pytest.mark.django_db(transaction=True)
def test_roll_up_cannot_drift_under_concurrent_settlements(settings, tmp_path):
    """Twelve threads settle (or settle again, or correct) jobs of one allocation at once,
    with an external usage among them: the roll-up equals the records' sums."""
    settings.DATA_DIR = tmp_path
    allocation, factory = _allocation(hours=100)
    end = timezone.now() - dt.timedelta(hours=1)
    jobs = [_finished(allocation, factory, started=end - dt.timedelta(minutes=20),
                      finished=end, name=f"c{i}") for i in range(8)]
    job_settle(job=jobs[0], elapsed_seconds=100, provisional=True)
    job_settle(job=jobs[1], elapsed_seconds=100, provisional=True)
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    works = [
        *(lambda j=j: job_settle(job=j, elapsed_seconds=300) for j in jobs[2:]),  # 6
        lambda: job_settle(job=jobs[2], elapsed_seconds=300),  # the same job twice
        lambda: job_settle(job=jobs[3], elapsed_seconds=300),
        lambda: job_settle_correct(job=jobs[0], elapsed_seconds=700),
        lambda: job_settle_correct(job=jobs[0], elapsed_seconds=700),  # twice: once
        lambda: job_settle_correct(job=jobs[1], elapsed_seconds=50),
        lambda: external_usage_charge(allocation_id=allocation.pk, factory=factory,
                                      scheduler_job_id="ext-c", site_user="u", gpus=1,
                                      elapsed_seconds=70, gpu_seconds=70, finished_at=end),
    ]
    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    month = timezone.localtime(end).date().replace(day=1)
    assert _roll_up() == _from_records() == {
        (allocation.pk, factory.pk, month): (6 * 300 + 700 + 50, 70)}
    allocation.refresh_from_db()
    assert allocation.used_gpu_seconds == 6 * 300 + 700 + 50 + 70
    assert ledger_balances(allocation)
