"""Dispatch that keeps up (#13 part 4): each factory's submits in parallel, leases in
batches with no cap per cycle, every job submitted once; on PostgreSQL a queued job wakes
the worker at once (LISTEN/NOTIFY)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.connectors.base import JobSpec
from antenna.connectors.registry import (
    connector_kinds,
    register_connector,
)
from antenna.core.errors import FactoryUnavailable
from antenna.factories.models import Factory
from antenna.jobs import dispatch
from antenna.jobs.management.commands import worker as worker_command
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.jobs.states import JobState


class Counting(testing.NullConnector):
    """A factory that takes every job after a short delay, counting each submit and how
    many were in flight at once (class-level, reset by the fixture)."""

    submits: ClassVar[Counter[int]] = Counter()
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()
    overlapped: ClassVar[threading.Event] = threading.Event()
    down: ClassVar[bool] = False

    def _submit(self, spec: JobSpec) -> str:
        cls = type(self)
        if cls.down:
            time.sleep(0.05)
            raise FactoryUnavailable(f"{self.factory_name}: connection refused", retryable=True)
        with cls.lock:
            cls.submits[spec.antenna_job_id] += 1
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
            first = sum(cls.submits.values()) == 1
            if cls.in_flight > 1:
                cls.overlapped.set()
        if first:  # the first answer waits for a second submit (at most 10 s if serial)
            cls.overlapped.wait(10)
        time.sleep(0.002)
        with cls.lock:
            cls.in_flight -= 1
        return f"c{spec.antenna_job_id}"


def _site() -> tuple[Any, Allocation]:
    connector_kinds()  # the built-in connectors first
    register_connector("counting", Counting)
    Counting.submits, Counting.in_flight, Counting.most_in_flight = Counter(), 0, 0
    Counting.overlapped, Counting.down = threading.Event(), False
    factory = testing.make_factory("counting", gpus_per_node=8)
    Factory.objects.filter(pk=factory.pk).update(connector="counting")
    factory.refresh_from_db()
    return testing.make_allocation(factory, gpu_hours=1000)


@pytest.mark.django_db
def test_a_burst_of_200_jobs_is_dispatched_in_one_cycle_each_job_once(settings):
    settings.ANTENNA_DISPATCH_BATCH = 30  # several batches in the cycle
    settings.ANTENNA_DISPATCH_PARALLEL = 8
    owner, allocation = _site()
    jobs = [job_submit(by=owner, allocation=allocation, name=f"b{i}", script="#!/bin/bash\n",
                       gpus=1, walltime_minutes=10) for i in range(200)]
    reserved_before = Allocation.objects.get(pk=allocation.pk).reserved_gpu_seconds

    report = dispatch.run_cycle()

    assert report.dispatched == 200 and not report.errors
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.SUBMITTED}
    assert Counting.submits == Counter({job.pk: 1 for job in jobs})  # each job once
    assert Counting.most_in_flight > 1  # the submits did overlap
    ids = list(Job.objects.values_list("scheduler_job_id", flat=True))
    assert sorted(ids) == sorted(f"c{job.pk}" for job in jobs)
    # The ledger: what the allocation holds reserved is what its jobs hold.
    allocation.refresh_from_db()
    held = Job.objects.filter(allocation=allocation).aggregate(s=Sum("gpu_seconds_reserved"))
    assert allocation.reserved_gpu_seconds == held["s"] <= reserved_before
    assert Job.objects.filter(lease_until__isnull=False).count() == 0
    # A second cycle finds nothing left to submit.
    assert dispatch.run_cycle().dispatched == 0
    assert sum(Counting.submits.values()) == 200


class FirstComeFirstServed(testing.NullConnector):
    """A scheduler that serves jobs in the order they arrive (as the local sandbox does): it
    allows one submit at a time, and records the order and the most in flight."""

    max_parallel_submits = 1
    order: ClassVar[list[int]] = []
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def _submit(self, spec: JobSpec) -> str:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        time.sleep(0.003 * (spec.antenna_job_id % 3))  # later jobs would overtake in parallel
        with cls.lock:
            cls.order.append(spec.antenna_job_id)
            cls.in_flight -= 1
        return f"f{spec.antenna_job_id}"


@pytest.mark.django_db
def test_a_connector_that_serves_on_arrival_gets_its_jobs_one_at_a_time_in_order(settings):
    settings.ANTENNA_DISPATCH_PARALLEL = 8
    connector_kinds()
    register_connector("fcfs", FirstComeFirstServed)
    FirstComeFirstServed.order, FirstComeFirstServed.most_in_flight = [], 0
    factory = testing.make_factory("fcfs", gpus_per_node=8)
    Factory.objects.filter(pk=factory.pk).update(connector="fcfs")
    owner, allocation = testing.make_allocation(factory, gpu_hours=1000)
    jobs = [job_submit(by=owner, allocation=allocation, name=f"o{i}", script="#!/bin/bash\n",
                       gpus=1, walltime_minutes=10) for i in range(30)]

    assert dispatch.run_cycle().dispatched == 30

    assert FirstComeFirstServed.most_in_flight == 1
    assert FirstComeFirstServed.order == [job.pk for job in jobs]


@pytest.mark.django_db
def test_submits_in_flight_that_fail_together_count_as_one_failure(settings):
    """The factory is down: the submits in flight all fail, but that is one outage, so one
    failure is counted (as when they were sent one at a time: the back-off then keeps the
    next jobs away), the factory is not taken offline, and every job waits to be retried."""
    settings.ANTENNA_DISPATCH_PARALLEL = 8
    owner, allocation = _site()
    for i in range(20):
        job_submit(by=owner, allocation=allocation, name=f"d{i}", script="#!/bin/bash\n",
                   gpus=1, walltime_minutes=10)
    Counting.down = True

    report = dispatch.dispatch_queued()

    factory = Factory.objects.get(name="counting")
    assert factory.consecutive_failures == 1 and factory.status == "online"
    assert factory.retry_after is not None
    assert report.dispatched == 0 and report.errors
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.QUEUED}
    assert Job.objects.filter(lease_until__isnull=False).count() == 0  # all released


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_parallel_pools_submit_each_job_once(settings):
    settings.ANTENNA_DISPATCH_BATCH = 7
    owner, allocation = _site()
    jobs = [job_submit(by=owner, allocation=allocation, name=f"w{i}", script="#!/bin/bash\n",
                       gpus=1, walltime_minutes=10) for i in range(60)]
    def worker() -> None:
        dispatch.run_cycle()

    errors = testing.in_threads(worker, 2)
    assert not errors, errors
    if connection.vendor == "postgresql":  # SQLite serialises: one worker may take them all
        assert set(Job.objects.values_list("state", flat=True)) == {JobState.SUBMITTED}
    dispatch.run_cycle()
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.SUBMITTED}
    assert Counting.submits == Counter({job.pk: 1 for job in jobs})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_queued_job_wakes_the_worker_before_its_poll_interval(monkeypatch):
    """The worker polls every 60 s here; the job submitted while it waits reaches the
    factory at once: the submit's NOTIFY woke it (on SQLite it would wait the 60 s)."""
    owner, allocation = _site()
    waiting = threading.Event()
    original = worker_command.WakeListener.wait

    def wait(self: Any, timeout: float) -> bool:
        assert timeout == 60
        waiting.set()
        return original(self, timeout)

    monkeypatch.setattr(worker_command.WakeListener, "wait", wait)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call_command("worker", interval=60, cycles=2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert waiting.wait(30), "the worker never finished its first cycle"
    job = job_submit(by=owner, allocation=allocation, name="woken", script="#!/bin/bash\n",
                     gpus=1, walltime_minutes=10)
    thread.join(30)  # its second cycle: at once if woken, after 60 s if not
    assert not thread.is_alive(), "the worker slept on: the NOTIFY did not wake it"
    assert not errors, errors
    job.refresh_from_db()
    assert job.state == JobState.SUBMITTED
    assert Counting.submits == Counter({job.pk: 1})
