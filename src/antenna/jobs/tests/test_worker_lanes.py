"""The worker's two lanes (#13): `antenna worker` dispatches and polls in its fast lane while
its slow lane waits for an accounting read, so a job submitted then is sent at once and
settled once the accounting answers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.connectors.base import Capability, JobSpec, JobStatus, SchedulerState
from antenna.connectors.registry import connector_kinds, register_connector
from antenna.factories.models import Factory
from antenna.jobs.management.commands.worker import Command
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.jobs.states import JobState
from antenna.jobs.wakeup import WakeListener

ELAPSED = 60  # what the accounting reports for every job, in seconds


class SlowAccounting(testing.NullConnector):
    """A factory whose jobs end at once, and whose accounting read waits for the test to
    release it (at most 20 s)."""

    capabilities = frozenset({Capability.ACCOUNTING})
    submitted: ClassVar[dict[str, int]] = {}
    reading: ClassVar[threading.Event] = threading.Event()
    release: ClassVar[threading.Event] = threading.Event()

    def _submit(self, spec: JobSpec) -> str:
        scheduler_id = f"s{spec.antenna_job_id}"
        type(self).submitted[scheduler_id] = spec.antenna_job_id
        return scheduler_id

    def _poll(self, ids: list[str]) -> dict[str, JobStatus]:
        now = timezone.now()
        return {i: JobStatus(i, SchedulerState.COMPLETED, exit_code=0,
                             started_at=now - dt.timedelta(seconds=ELAPSED), finished_at=now)
                for i in ids}

    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        cls = type(self)
        cls.reading.set()
        cls.release.wait(20)
        now = timezone.now()
        return [JobStatus(i, SchedulerState.COMPLETED, exit_code=0,
                          started_at=now - dt.timedelta(seconds=ELAPSED), finished_at=now,
                          elapsed_seconds=ELAPSED, gpus=1) for i in list(cls.submitted)]


def _site() -> tuple[Any, Allocation]:
    connector_kinds()  # the built-in connectors first
    register_connector("slow-accounting", SlowAccounting)
    SlowAccounting.submitted = {}
    SlowAccounting.reading, SlowAccounting.release = threading.Event(), threading.Event()
    factory = testing.make_factory("slowacct", gpus_per_node=8)
    Factory.objects.filter(pk=factory.pk).update(connector="slow-accounting")
    return testing.make_allocation(factory, gpu_hours=100)


def _until(condition: Any, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_job_is_dispatched_and_seen_ending_while_the_accounting_read_waits():
    owner, allocation = _site()
    first = job_submit(by=owner, allocation=allocation, name="first", script="#!/bin/bash\n",
                       gpus=1, walltime_minutes=10)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        listener = WakeListener()
        listener.listen()
        try:
            Command()._loop(0.05, 0, listener, stop.is_set)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            listener.close()
            connection.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        # The first job ended; the slow lane now waits in its accounting read.
        assert SlowAccounting.reading.wait(15), "the accounting was never read"
        assert _until(lambda: Job.objects.get(pk=first.pk).state == JobState.COMPLETED)
        # A job submitted while the accounting read waits is sent and seen ending at once.
        second = job_submit(by=owner, allocation=allocation, name="second",
                            script="#!/bin/bash\n", gpus=1, walltime_minutes=10)
        assert _until(lambda: Job.objects.get(pk=second.pk).state == JobState.COMPLETED), \
            "the fast lane waited for the accounting read"
        assert not SlowAccounting.release.is_set()
        assert Job.objects.filter(settled_at__isnull=False).count() == 0

        SlowAccounting.release.set()  # the accounting answers: both are charged, once each
        assert _until(lambda: Job.objects.filter(settled_at__isnull=False).count() == 2)
    finally:
        SlowAccounting.release.set()
        stop.set()
        worker.join(30)
    assert not worker.is_alive() and not errors, errors
    assert sorted(SlowAccounting.submitted.values()) == sorted([first.pk, second.pk])
    charged = {j.pk: j.gpu_seconds_charged for j in Job.objects.all()}
    assert charged == {first.pk: ELAPSED, second.pk: ELAPSED}
    allocation.refresh_from_db()
    assert allocation.used_gpu_seconds == 2 * ELAPSED
    assert allocation.reserved_gpu_seconds == 0


class Together(testing.NullConnector):
    """A factory whose bulk poll and accounting read answer only once another factory's are
    in flight too (at most 5 s), then report every job completed."""

    capabilities = frozenset({Capability.ACCOUNTING})
    meet: ClassVar[threading.Barrier] = threading.Barrier(2, timeout=5)
    met: ClassVar[list[str]] = []

    def _submit(self, spec: JobSpec) -> str:
        return f"t{spec.antenna_job_id}"

    def _both(self, what: str) -> None:
        try:
            type(self).meet.wait()
            type(self).met.append(what)
        except threading.BrokenBarrierError:
            pass

    def _poll(self, ids: list[str]) -> dict[str, JobStatus]:
        self._both("poll")
        now = timezone.now()
        return {i: JobStatus(i, SchedulerState.COMPLETED, exit_code=0,
                             started_at=now - dt.timedelta(seconds=ELAPSED), finished_at=now)
                for i in ids}

    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        self._both("accounting")
        now = timezone.now()
        return [JobStatus(f"t{j.pk}", SchedulerState.COMPLETED, exit_code=0,
                          started_at=now - dt.timedelta(seconds=ELAPSED), finished_at=now,
                          elapsed_seconds=ELAPSED, gpus=1) for j in Job.objects.all()]


@pytest.mark.django_db(transaction=True)
def test_the_factories_polls_and_accounting_reads_are_awaited_together():
    """Two factories' bulk polls, then their accounting reads, are in flight at the same
    time (each waits for the other): a cycle waits for the slowest factory, not the sum."""
    from antenna.jobs import dispatch

    connector_kinds()
    register_connector("together", Together)
    Together.meet, Together.met = threading.Barrier(2, timeout=5), []
    jobs = []
    for name in ("togethera", "togetherb"):
        factory = testing.make_factory(name, gpus_per_node=8)
        Factory.objects.filter(pk=factory.pk).update(connector="together")
        owner, allocation = testing.make_allocation(factory, gpu_hours=100)
        jobs.append(job_submit(by=owner, allocation=allocation, name=name,
                               script="#!/bin/bash\n", gpus=1, walltime_minutes=10))
    # Each to its own factory (one allocation each), then both polled and settled.
    report = dispatch.run_cycle()
    assert report.dispatched == 2 and report.updated == 2 and report.settled == 2, report
    assert Together.met == ["poll", "poll", "accounting", "accounting"]
    assert {j.settled_at is not None for j in Job.objects.all()} == {True}
