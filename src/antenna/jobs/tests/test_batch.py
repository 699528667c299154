"""POST /jobs/batch: up to 1000 jobs, all or nothing, one reservation for their sum; arrays."""

from __future__ import annotations

import pytest
from django.db import connection

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.allocations.selectors import ledger_balances
from antenna.core.models import AuditEvent
from antenna.jobs.models import Job

pytestmark = pytest.mark.django_db

SCRIPT = "#!/bin/bash\ntrue\n"


@pytest.fixture
def world(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    factory = testing.make_factory("batch-f", gpus_per_node=4, max_nodes=1, max_walltime=600)
    owner, allocation = testing.make_allocation(factory, gpu_hours=100)
    return owner, allocation, factory


def _spec(i: int, **extra):
    return {"name": f"sweep-{i}", "script": SCRIPT, "gpus": 1, "walltime_minutes": 6, **extra}


def _nothing_stored(allocation: Allocation) -> None:
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 0
    assert not Job.objects.filter(allocation=allocation).exists()
    assert not LedgerEntry.objects.filter(allocation=allocation,
                                          kind=LedgerKind.RESERVE).exists()
    assert not AuditEvent.objects.filter(action="job.submit").exists()


def test_a_batch_stores_every_job_and_reserves_their_sum_once(world, api):
    owner, allocation, _factory = world
    resp = api(owner).post("/jobs/batch", {"allocation": allocation.pk,
                                           "jobs": [_spec(i) for i in range(3)]})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["count"] == 3 and len(body["ids"]) == 3
    assert body["gpu_hours_reserved"] == "0.3000"  # 3 x 1 GPU x 6 min
    jobs = Job.objects.filter(pk__in=body["ids"]).order_by("pk")
    assert [j.name for j in jobs] == ["sweep-0", "sweep-1", "sweep-2"]
    assert {j.state for j in jobs} == {"queued"}
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 3 * 360
    reserves = LedgerEntry.objects.filter(allocation=allocation, kind=LedgerKind.RESERVE)
    assert [e.reserved_delta for e in reserves] == [3 * 360]
    assert [(e.reference, e.note) for e in reserves] == [
        (f"jobs:{body['ids'][0]}-{body['ids'][-1]}", "batch of 3 jobs")]
    assert ledger_balances(allocation)
    # every job's timeline starts with its submission, by the user
    events = AuditEvent.objects.filter(action="job.submit")
    assert sorted(int(e.target_id) for e in events) == body["ids"]
    assert {e.actor_id for e in events} == {owner.pk}
    assert {e.organization_id for e in events} == {allocation.organization_id}
    assert all(e.after == {"gpus": 1, "walltime_minutes": 6, "reserved_gpu_seconds": 360,
                           "array": "", "batch": 3} for e in events)
    # each job is a normal job afterwards
    assert api(owner).get(f"/jobs/{body['ids'][1]}").json()["name"] == "sweep-1"


def test_a_thousand_jobs_are_accepted_in_a_few_queries(world, api, django_assert_max_num_queries):
    owner, allocation, _factory = world
    client = api(owner)
    # no query per job: SQLite splits each bulk INSERT by its limit of bound parameters
    # (about 30 jobs or 100 audit events a statement); on PostgreSQL the jobs, the
    # reservation, its ledger entry and the audit events are one statement
    with django_assert_max_num_queries(60 if connection.vendor == "sqlite" else 6):
        resp = client.post("/jobs/batch", {"allocation": allocation.pk,
                                           "jobs": [_spec(i) for i in range(1000)]})
    assert resp.status_code == 201, resp.content
    assert resp.json()["count"] == 1000
    assert Job.objects.filter(allocation=allocation).count() == 1000
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 1000 * 360
    assert ledger_balances(allocation)


def test_more_than_a_thousand_jobs_are_refused(world, api):
    owner, allocation, _factory = world
    resp = api(owner).post("/jobs/batch", {"allocation": allocation.pk,
                                           "jobs": [_spec(i) for i in range(1001)]})
    assert resp.status_code == 422
    assert "jobs" in resp.json()["detail"]
    _nothing_stored(allocation)


def test_over_budget_the_whole_batch_is_refused_and_nothing_stored(world, api):
    owner, allocation, _factory = world
    # 100 GPU-hours granted; 11 jobs x 4 GPUs x 150 min = 110 GPU-hours
    resp = api(owner).post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
        _spec(i, gpus=4, walltime_minutes=150) for i in range(11)]})
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == "budget_exceeded"
    assert "batch of 11 jobs" in resp.json()["detail"]
    _nothing_stored(allocation)
    # ten fit exactly
    resp = api(owner).post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
        _spec(i, gpus=4, walltime_minutes=150) for i in range(10)]})
    assert resp.status_code == 201


def test_a_bad_spec_is_named_by_its_index_and_nothing_is_stored(world, api):
    owner, allocation, _factory = world
    client = api(owner)
    specs = [_spec(i) for i in range(5)]
    specs[3]["script"] = "echo no interpreter line"
    resp = client.post("/jobs/batch", {"allocation": allocation.pk, "jobs": specs})
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith("jobs.3.script:")
    # a rule the service checks (no partition runs 8 GPUs here): 409 naming the index
    specs = [_spec(i) for i in range(5)]
    specs[2]["gpus"] = 8
    resp = client.post("/jobs/batch", {"allocation": allocation.pk, "jobs": specs})
    assert resp.status_code == 409, resp.content
    assert resp.json()["detail"].startswith("jobs[2]: ")
    specs = [_spec(i) for i in range(2)]
    specs[1]["factory"] = 987654
    assert client.post("/jobs/batch", {"allocation": allocation.pk,
                                       "jobs": specs}).status_code == 404
    assert client.post("/jobs/batch", {"allocation": allocation.pk,
                                       "jobs": []}).status_code == 422
    _nothing_stored(allocation)


@pytest.fixture
def slurm_world(world):
    """The same allocation, on a factory that runs arrays (a Slurm connector, never called:
    nothing is dispatched here)."""
    owner, allocation, factory = world
    factory.connector = "slurmrest"
    factory.connector_settings = {"url": "http://127.0.0.1:9", "user": "antenna",
                                  "token_env": "NO_SUCH_TOKEN"}
    factory.save()
    return owner, allocation, factory


def test_an_array_reserves_tasks_times_gpus_times_walltime(slurm_world, api):
    owner, allocation, _factory = slurm_world
    client = api(owner)
    resp = client.post("/jobs", {"allocation": allocation.pk, **_spec(0, gpus=2),
                                 "array": "0-9%2"})
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert job["array"] == "0-9%2" and job["array_tasks"] == 10
    assert job["gpu_hours_reserved"] == "2.0000"  # 10 tasks x 2 GPUs x 6 min
    assert client.get(f"/jobs/{job['id']}/tasks").json() == []  # none reported yet
    resp = client.post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
        _spec(0), _spec(1, array="1,3,8-15:2")]})
    assert resp.status_code == 201
    assert resp.json()["gpu_hours_reserved"] == "0.7000"  # 1 + 6 tasks, 1 GPU x 6 min
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 2 * 3600 + 7 * 360
    assert ledger_balances(allocation)


def test_the_sandbox_does_not_run_arrays_and_says_so(world, api):
    owner, allocation, _factory = world  # a local (sandbox) factory
    client = api(owner)
    resp = client.post("/jobs", {"allocation": allocation.pk, **_spec(0), "array": "0-3"})
    assert resp.status_code == 400
    assert "do not run job arrays" in resp.json()["detail"]
    resp = client.post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
        _spec(0), _spec(1, array="0-3")]})
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("jobs[1]: array:")
    _nothing_stored(allocation)


@pytest.mark.parametrize("array", ["0-", "5-1", "0-99%0", "a-b", "0-2000", "0-10:0"])
def test_a_bad_array_is_a_422_that_says_how_to_write_it(slurm_world, api, array):
    owner, allocation, _factory = slurm_world
    resp = api(owner).post("/jobs/batch", {"allocation": allocation.pk,
                                           "jobs": [_spec(0), _spec(1, array=array)]})
    assert resp.status_code == 422, resp.content
    assert resp.json()["detail"].startswith("jobs.1.array:"), resp.json()["detail"]
    _nothing_stored(allocation)


def test_an_array_keeps_its_whole_reservation_when_placed_and_is_charged_its_tasks(
        slurm_world, api):
    """The worker's writes for an array (the real run is in test_slurm_integration.py):
    placed, it keeps tasks x GPUs x walltime; its tasks are shown; it is charged the sum of
    the tasks' elapsed times; the ledger balances."""
    import datetime as dt

    from antenna.connectors.base import SchedulerState, TaskStatus
    from antenna.jobs.services import (
        job_record_dispatched,
        job_record_status,
        job_record_tasks,
        job_settle,
    )

    owner, allocation, factory = slurm_world
    client = api(owner)
    job_id = client.post("/jobs", {"allocation": allocation.pk, **_spec(0, gpus=2),
                                   "array": "0-2"}).json()["id"]
    job = Job.objects.get(pk=job_id)
    assert job.gpu_seconds_reserved == 3 * 2 * 360
    job = job_record_dispatched(job=job, factory=factory, partition=factory.partitions.get(),
                                scheduler_job_id="700")
    assert job.gpu_seconds_reserved == 3 * 2 * 360  # not one task's
    t0 = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
    tasks = tuple(TaskStatus(index=i, scheduler_job_id=f"70{i}",
                             state=SchedulerState.COMPLETED, exit_code=0, started_at=t0,
                             finished_at=t0 + dt.timedelta(seconds=10 * (i + 1)),
                             elapsed_seconds=10 * (i + 1)) for i in range(3))
    assert job_record_tasks(job=job, tasks=tasks) == 3
    assert job_record_tasks(job=job, tasks=tasks) == 0  # unchanged: nothing written
    shown = client.get(f"/jobs/{job_id}/tasks").json()
    assert [(t["index"], t["state"], t["elapsed_seconds"]) for t in shown] == [
        (0, "completed", 10), (1, "completed", 20), (2, "completed", 30)]
    job_record_status(job=job, state="completed", exit_code=0, started_at=t0,
                      finished_at=t0 + dt.timedelta(seconds=30))
    job = job_settle(job=job, elapsed_seconds=60, gpus=2)
    assert job.gpu_seconds_charged == 2 * 60  # 2 GPUs x (10 + 20 + 30) s
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 0 and allocation.used_gpu_seconds == 120
    assert ledger_balances(allocation)
