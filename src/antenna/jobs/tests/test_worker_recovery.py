"""The worker never submits a job twice, whatever point it dies at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.core.models import AuditEvent
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def allocation(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    operator = testing.make_operator()
    factory = testing.make_factory("crashy", gpus_per_node=4, max_nodes=1)
    factory.connector_settings = {"root": str(tmp_path / "crashy"), "gpu_slots": 4}
    factory.save()
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=10)
    proposal_submit(proposal=proposal, by=owner)
    return owner, Allocation.objects.get(proposal=proposal), tmp_path / "crashy" / "jobs"


def _expire_leases():
    Job.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1),
                       next_attempt_at=None)


def test_crash_after_submit_before_recording_finds_the_job(allocation, monkeypatch):
    owner, alloc, jobs_dir = allocation
    from antenna.jobs.services import job_submit

    job = job_submit(by=owner, allocation=alloc, name="x", script="#!/bin/bash\necho once\n",
                     gpus=1, walltime_minutes=5)
    real = dispatch.jobs_record_dispatched

    def crash(**kwargs):
        raise KeyboardInterrupt("worker killed after the factory accepted the job")

    monkeypatch.setattr(dispatch, "jobs_record_dispatched", crash)
    with pytest.raises(KeyboardInterrupt):
        dispatch.dispatch_queued()
    assert len(list(jobs_dir.iterdir())) == 1
    monkeypatch.setattr(dispatch, "jobs_record_dispatched", real)
    dispatch.dispatch_queued()
    assert Job.objects.get(pk=job.pk).state == "queued"  # the lease still holds it
    _expire_leases()
    dispatch.dispatch_queued()
    job.refresh_from_db()
    assert job.state == "submitted"
    assert len(list(jobs_dir.iterdir())) == 1  # found, not submitted again
    for _ in range(100):
        dispatch.run_cycle()
        job.refresh_from_db()
        if job.settled_at:
            break
        import time

        time.sleep(0.2)
    assert job.state == "completed"
    alloc.refresh_from_db()
    assert ledger_balances(alloc)
    assert alloc.reserved_gpu_seconds == 0


def test_crash_before_submit_submits_once(allocation, monkeypatch):
    owner, alloc, jobs_dir = allocation
    from antenna.connectors.local import LocalConnector
    from antenna.jobs.services import job_submit

    job = job_submit(by=owner, allocation=alloc, name="y", script="#!/bin/bash\ntrue\n",
                     gpus=1, walltime_minutes=5)
    real_submit = LocalConnector._submit

    def die(self, spec):
        raise KeyboardInterrupt("killed before the factory saw the job")

    monkeypatch.setattr(LocalConnector, "_submit", die)
    with pytest.raises(KeyboardInterrupt):
        dispatch.dispatch_queued()
    monkeypatch.setattr(LocalConnector, "_submit", real_submit)
    _expire_leases()
    dispatch.dispatch_queued()
    job.refresh_from_db()
    assert job.state == "submitted"
    assert len(list(jobs_dir.iterdir())) == 1


def test_factory_down_backs_off_and_goes_offline(allocation, monkeypatch):
    owner, alloc, _ = allocation
    from antenna.connectors.local import LocalConnector
    from antenna.factories.models import Factory
    from antenna.jobs.services import job_submit

    job = job_submit(by=owner, allocation=alloc, name="z", script="#!/bin/bash\ntrue\n",
                     gpus=1, walltime_minutes=5)

    def down(self, spec):
        raise OSError("connection refused")

    monkeypatch.setattr(LocalConnector, "_submit", down)
    for _ in range(5):
        _expire_leases()
        Factory.objects.update(retry_after=None)
        dispatch.dispatch_queued()
    factory = Factory.objects.get(name="crashy")
    assert factory.status == "offline"
    assert factory.consecutive_failures >= 5
    job.refresh_from_db()
    assert job.state == "queued"  # waits; nothing lost, budget still reserved
    retries = AuditEvent.objects.filter(action="job.retry", target_id=str(job.pk))
    assert [e.after["attempt"] for e in retries.order_by("id")] == [1, 2, 3, 4, 5]
    assert {e.actor for e in retries} == {None}  # the worker acts as Antenna
    monkeypatch.undo()
    Factory.objects.update(retry_after=None)
    dispatch.check_offline_factories()
    assert Factory.objects.get(name="crashy").status == "online"
    _expire_leases()
    dispatch.dispatch_queued()
    job.refresh_from_db()
    assert job.state == "submitted"
    assert list(AuditEvent.objects.filter(target_id=str(job.pk)).order_by("id")
                .values_list("action", flat=True))[-2:] == ["job.place", "job.submitted"]
