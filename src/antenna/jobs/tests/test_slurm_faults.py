"""Faults on REAL Slurm clusters, each on both generations: the 22.05 cluster `lumi` (the
other 22.05 cluster is left alone) and the 24.11 cluster `current` (which plays the factory
named `lumi` there, see test_slurm_integration.GENERATIONS).

One daemon of one cluster is stopped or restarted with `testbeds/slurm/daemon.sh` (22.05) or
`testbeds/slurm24/daemon.sh` (24.11) while the worker runs; the checks read Slurm's own view
(slurmctld's job list, slurmdbd's accounting) back over REST. Fixtures and helpers come from
`test_slurm_integration` (same clusters, same env files, same fresh `instance` tag per test).
Results: docs/reliability.md.
"""

# ruff: noqa: F811 - the fixtures imported from test_slurm_integration are parameters here
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.allocations.selectors import ledger_balances
from antenna.connectors.slurmrest.values import slurm_int
from antenna.factories.models import Factory
from antenna.jobs import dispatch
from antenna.jobs.billing import charge_seconds
from antenna.jobs.models import Job
from antenna.jobs.tests.test_slurm_integration import (  # noqa: F401 - fixtures
    Slurm,
    drive,
    gateway,
    generation,
    settled,
    slurm,
    slurm_env,
    submit,
)

# The 22.05 cluster `lumi`: testbeds/slurm/daemon.sh stops and starts its daemons one by one.
pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]

TESTBEDS = Path(__file__).resolve().parents[4] / "testbeds"
CLUSTER = "lumi"  # the Antenna factory the faults hit


def daemon(env: dict[str, str], action: str, name: str) -> None:
    """Stop or start one daemon of the cluster behind the factory `lumi` (the testbed's
    daemon.sh: `lumi` on 22.05, `current` on 24.11)."""
    clusters = env["ANTENNA_SLURM_CLUSTERS"].split()
    cluster, script = ((CLUSTER, "slurm") if CLUSTER in clusters else ("current", "slurm24"))
    subprocess.run(["bash", str(TESTBEDS / script / "daemon.sh"), action, name, cluster,
                    env["ANTENNA_SLURM_STATE_DIR"]], check=True, timeout=90)


TAKEN_BACK: list[str] = []  # records of submissions Antenna took back, for the figures


def sacct_ids(slurm: Slurm, instance: str) -> list[str]:
    """The ids of this test's jobs that RAN, from slurmdbd's accounting (one per Antenna job
    when none ran twice). A submission slurmctld answered with a job id and an error (seen
    right after its restart) is taken back by the connector before it gets nodes and sent
    again: its record must be cancelled without nodes, and its job must have run once under
    another id; such records are counted in TAKEN_BACK, not returned."""
    status, body = slurm.call("GET", f"/slurmdb/{slurm.api}/jobs?start_time=now-3600")
    assert status == 200, body
    ours = [j for j in body.get("jobs", [])
            if (j["comment"]["job"] or "").split(" | ")[0].endswith(f",instance={instance}")]
    ran = [j for j in ours if j["nodes"] not in ("", "None assigned")]
    for record in ours:
        if record in ran:
            continue
        state = record["state"]["current"]
        state = state[0] if isinstance(state, list) else state
        assert state == "CANCELLED", record
        assert any(j["name"] == record["name"] for j in ran), record  # it ran, once, later
        TAKEN_BACK.append(str(record["job_id"]))
    return [str(j["job_id"]) for j in ran]


def test_slurmdbd_down_settles_provisionally_then_corrects_once(gateway, slurm, slurm_env):
    """With slurmdbd stopped, a finished job's reservation is released within a minute (its
    charge marked provisional on the allocation page); once slurmdbd is back, the charge is
    corrected to the accounting record by exactly one ledger entry."""
    allocation = gateway["allocations"][CLUSTER]
    daemon(slurm_env, "stop", "slurmdbd")
    try:
        job_id = submit(gateway, CLUSTER, "no accounting", "#!/bin/bash\nsleep 3\n", gpus=2)
        drive(lambda: Job.objects.get(pk=job_id).finished_at is not None, 90,
              dispatch.run_cycle)
        drive(settled(job_id), 60, dispatch.run_cycle)
        job = Job.objects.get(pk=job_id)
        assert job.state == "completed"
        assert job.settled_at is not None and job.finished_at is not None
        assert (job.settled_at - job.finished_at).total_seconds() < 60
        assert job.charge_provisional
        live = slurm[CLUSTER].job(job.scheduler_job_id)  # slurmctld's record
        assert job.elapsed_seconds == slurm_int(live["end_time"]) - slurm_int(live["start_time"])
        alloc = Allocation.objects.get(pk=allocation.pk)
        assert alloc.reserved_gpu_seconds == 0
        assert alloc.used_gpu_seconds == job.gpu_seconds_charged
        assert ledger_balances(alloc)
        settle = LedgerEntry.objects.get(reference=f"job:{job_id}", kind=LedgerKind.SETTLE)
        assert settle.note.startswith("provisional")
        client = Client()
        client.force_login(gateway["owner"])
        page = client.get(reverse("allocations:detail", args=[allocation.pk])).content.decode()
        assert "badge-provisional" in page
        # accounting still down: nothing is corrected, nothing settled twice
        dispatch.run_cycle()
        assert LedgerEntry.objects.filter(reference=f"job:{job_id}",
                                          kind=LedgerKind.ADJUST).count() == 0
    finally:
        daemon(slurm_env, "start", "slurmdbd")

    drive(lambda: not Job.objects.get(pk=job_id).charge_provisional, 120, dispatch.run_cycle)
    for _ in range(3):  # later cycles change nothing
        dispatch.run_cycle()
    job = Job.objects.select_related("factory").get(pk=job_id)
    record = slurm[CLUSTER].db_job(job.scheduler_job_id)
    assert job.factory is not None
    assert job.elapsed_seconds == record["time"]["elapsed"]
    assert job.gpu_seconds_charged == charge_seconds(
        gpus=2, elapsed_seconds=record["time"]["elapsed"], factor=job.factory.gpu_hour_factor,
        reserved_seconds=job.gpu_seconds_reserved)
    corrections = LedgerEntry.objects.filter(reference=f"job:{job_id}", kind=LedgerKind.ADJUST)
    assert corrections.count() == 1
    assert corrections.get().note.startswith(f"from {CLUSTER} accounting")
    alloc = Allocation.objects.get(pk=allocation.pk)
    assert alloc.used_gpu_seconds == job.gpu_seconds_charged
    assert alloc.reserved_gpu_seconds == 0
    assert ledger_balances(alloc)
    assert sacct_ids(slurm[CLUSTER], gateway["instance"]) == [job.scheduler_job_id]


# -- restarts during a burst ---------------------------------------------------------------

BURST = 20
INTERVAL = 2.0  # the worker's default --interval


def _restart_in_background(env: dict[str, str], name: str, down_seconds: float,
                           done: threading.Event) -> threading.Thread:
    def restart() -> None:
        try:
            daemon(env, "stop", name)
            time.sleep(down_seconds)
            daemon(env, "start", name)
        finally:
            done.set()

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    return thread


def _stuck_report(cluster: Slurm) -> str:
    """What slurmctld says when a burst does not finish: each node's state and GPUs in use,
    and each unfinished job's state and reason (read over REST)."""
    lines = []
    _status, body = cluster.call("GET", f"/slurm/{cluster.api}/nodes")
    for node in body.get("nodes", []):
        lines.append(f"node {node.get('name')}: state {node.get('state')}, "
                     f"gres {node.get('gres')}, gres_used {node.get('gres_used')}, "
                     f"alloc_cpus {node.get('alloc_cpus')}, reason {node.get('reason')!r}")
    _status, body = cluster.call("GET", f"/slurm/{cluster.api}/jobs")
    for job in body.get("jobs", []):
        state = Slurm.state_of(job)
        if state not in {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}:
            lines.append(f"job {job.get('job_id')} {job.get('name')}: {state}, "
                         f"reason {job.get('state_reason')}")
    return "\n".join(lines)


def _burst_with_restart(gateway, slurm, env: dict[str, str], name: str) -> dict[str, object]:
    """20 jobs on lumi; `name` is restarted while the worker's cycles dispatch and poll them.
    Returns what was measured (for docs/reliability.md)."""
    allocation = gateway["allocations"][CLUSTER]
    factory = gateway["factories"][CLUSTER]
    ids = [submit(gateway, CLUSTER, f"burst {n}", f"#!/bin/bash\nsleep 1\necho done {n}\n")
           for n in range(BURST)]
    started = time.monotonic()
    dispatch.run_cycle(limit=5)  # the first jobs reach Slurm, the rest are still queued
    done = threading.Event()
    thread = _restart_in_background(env, name, 2.0, done)
    cycles_after = -1
    recovered_after: int | None = None
    deadline = time.monotonic() + 240
    while not settled(*ids)():
        if time.monotonic() >= deadline:
            pytest.fail("timed out waiting for the worker; Slurm says:\n"
                        + _stuck_report(slurm[CLUSTER]))
        back = done.is_set()
        dispatch.run_cycle(limit=5)  # cycles keep running through the restart
        if back:
            cycles_after += 1
            f = Factory.objects.get(pk=factory.pk)
            if recovered_after is None and f.consecutive_failures == 0 and cycles_after >= 0:
                recovered_after = cycles_after + 1
        time.sleep(INTERVAL)
    thread.join(timeout=120)
    elapsed = time.monotonic() - started

    jobs = list(Job.objects.select_related("factory").filter(pk__in=ids))
    assert all(j.state == "completed" for j in jobs), [(j.pk, j.state, j.state_reason)
                                                       for j in jobs]
    # 0 lost, 0 submitted twice: Slurm's accounting has exactly one job per Antenna job.
    TAKEN_BACK.clear()
    in_sacct = sacct_ids(slurm[CLUSTER], gateway["instance"])
    assert sorted(in_sacct) == sorted(j.scheduler_job_id for j in jobs)
    assert len(set(in_sacct)) == BURST
    for job in jobs:
        assert len(slurm[CLUSTER].jobs_named(f"antenna-{job.pk}", gateway["instance"])) == 1
    # The ledger is exact: every charge is the accounting record's, settled once.
    drive(lambda: not Job.objects.filter(pk__in=ids, charge_provisional=True).exists(), 120,
          dispatch.run_cycle)
    for job in Job.objects.select_related("factory").filter(pk__in=ids):
        record = slurm[CLUSTER].db_job(job.scheduler_job_id)
        assert job.factory is not None
        assert job.elapsed_seconds == record["time"]["elapsed"]
        assert job.gpu_seconds_charged == charge_seconds(
            gpus=1, elapsed_seconds=record["time"]["elapsed"],
            factor=job.factory.gpu_hour_factor, reserved_seconds=job.gpu_seconds_reserved)
        assert LedgerEntry.objects.filter(reference=f"job:{job.pk}",
                                          kind=LedgerKind.SETTLE).count() == 1
    alloc = Allocation.objects.get(pk=allocation.pk)
    assert alloc.reserved_gpu_seconds == 0
    assert alloc.used_gpu_seconds == sum(j.gpu_seconds_charged or 0 for j in
                                         Job.objects.filter(pk__in=ids))
    assert ledger_balances(alloc)
    # The worker recovers by itself within two cycles of the daemon answering again.
    assert recovered_after is not None and recovered_after <= 2, recovered_after
    return {"seconds": round(elapsed), "recovered_after_cycles": recovered_after,
            "taken_back_before_running": len(TAKEN_BACK)}


def test_slurmrestd_restarted_during_a_burst_of_20(gateway, slurm, slurm_env):
    measured = _burst_with_restart(gateway, slurm, slurm_env, "slurmrestd")
    print("slurmrestd restart:", measured)


def test_slurmctld_restarted_during_a_burst_of_20(gateway, slurm, slurm_env):
    """slurmctld saves its state on TERM and reloads it: jobs pending or running at the
    restart run on, and those dispatched meanwhile wait in the worker (retried)."""
    measured = _burst_with_restart(gateway, slurm, slurm_env, "slurmctld")
    print("slurmctld restart:", measured)


def test_token_file_rotated_mid_run(gateway, slurm, slurm_env, tmp_path):
    """The factory's token file is replaced by a new token (rotation) while a burst runs:
    the connector reads the file on every call, so no job is lost or sent twice."""
    factory = gateway["factories"][CLUSTER]
    token_file = tmp_path / "lumi.token"
    token_file.write_text(Path(slurm[CLUSTER].token_file).read_text())
    factory.connector_settings = {**factory.connector_settings, "token_file": str(token_file)}
    factory.save()
    ids = [submit(gateway, CLUSTER, f"rotate {n}", "#!/bin/bash\nsleep 1\n") for n in range(10)]
    dispatch.run_cycle(limit=5)
    cluster = slurm[CLUSTER].name
    command = ["scontrol", "token", "username=antenna", "lifespan=3600"]
    if "ANTENNA_SLURM_CHROOT" in slurm_env:  # 24.11: its scontrol, inside the chroot
        command = ["chroot", slurm_env["ANTENNA_SLURM_CHROOT"], *command]
    answer = subprocess.run(command, env={
        "SLURM_CONF": slurm_env[f"ANTENNA_SLURM_{cluster.upper()}_CONF"],
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}, capture_output=True, text=True, check=True,
        timeout=30)
    new_token = answer.stdout.strip().removeprefix("SLURM_JWT=")
    assert new_token and new_token not in token_file.read_text()
    # The old token expires (here: is replaced by one slurmrestd refuses): cycles fail.
    token_file.write_text("expired-token\n")
    report = dispatch.run_cycle(limit=5)
    assert any("token rejected" in e for e in report.errors), report.errors
    Factory.objects.filter(pk=factory.pk).update(retry_after=None)  # skip the back-off wait
    staged = tmp_path / "lumi.token.new"
    staged.write_text(new_token + "\n")
    staged.replace(token_file)  # atomic, as a rotation script would
    for cycle in range(2):  # recovered within two cycles
        dispatch.run_cycle(limit=5)
        if Factory.objects.get(pk=factory.pk).consecutive_failures == 0:
            break
    assert Factory.objects.get(pk=factory.pk).consecutive_failures == 0, cycle
    drive(settled(*ids), 180, dispatch.run_cycle)
    jobs = list(Job.objects.filter(pk__in=ids))
    assert all(j.state == "completed" and not j.charge_provisional for j in jobs)
    assert sorted(sacct_ids(slurm[CLUSTER], gateway["instance"])) == sorted(
        j.scheduler_job_id for j in jobs)
    alloc = Allocation.objects.get(pk=gateway["allocations"][CLUSTER].pk)
    assert alloc.reserved_gpu_seconds == 0
    assert alloc.used_gpu_seconds == sum(j.gpu_seconds_charged or 0 for j in jobs)
    assert ledger_balances(alloc)
    assert Factory.objects.get(pk=factory.pk).consecutive_failures == 0


# -- PostgreSQL restarted ------------------------------------------------------------------

POSTGRES = Path(__file__).resolve().parents[4] / "scripts" / "postgres.sh"
PG_JOBS = 12


def _driver(env: dict[str, str], command: str, argument: object) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "antenna.jobs.tests.pg_restart_driver", command,
         json.dumps(argument)], env=env, capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("generation", ["22.05"], indirect=True)  # the database's fault
def test_postgresql_restarted_while_the_worker_runs(slurm, slurm_env, tmp_path):
    """The real `antenna worker` on a PostgreSQL of its own (scripts/postgres.sh), which is
    stopped and started again while the worker dispatches and polls 12 jobs on lumi: the
    worker keeps running, reconnects by itself, and every job ran once and is settled once
    from accounting, with the ledger exact. Runs the same on the SQLite and the PostgreSQL
    test runs: the database restarted is this test's own."""
    from antenna.jobs.tests.test_slurm_integration import Worker

    # Not under tmp_path: the server runs as `postgres`, which cannot enter pytest's 0700 dirs.
    pgdir = Path(tempfile.mkdtemp(prefix="antenna-pgfault-", dir="/tmp"))
    started = subprocess.run(["bash", str(POSTGRES), "start", str(pgdir), "25490"],
                             capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr[-2000:]
    url = started.stdout.strip().splitlines()[-1]
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE antenna")
    instance = f"pg{uuid.uuid4().hex[:10]}"
    workdir = Path(slurm_env["ANTENNA_SLURM_WORK_DIR"]) / instance
    workdir.mkdir(mode=0o1777)
    workdir.chmod(0o1777)
    env = {**os.environ, "ANTENNA_DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
           "DJANGO_SETTINGS_MODULE": "antenna.config.test_settings",
           "ANTENNA_DATA_DIR": str(tmp_path / "data")}
    worker = Worker(tmp_path, env=env)
    try:
        antenna = Path(sys.executable).with_name("antenna")
        subprocess.run([str(antenna), "migrate", "-v0"], env=env, check=True, timeout=300)
        made = _driver(env, "setup", {
            "jobs": PG_JOBS, "partition": "standard-g",
            "connector_settings": {
                "url": slurm_env["ANTENNA_SLURM_LUMI_URL"],
                "user": slurm_env["ANTENNA_SLURM_LUMI_USER"],
                "token_file": slurm_env["ANTENNA_SLURM_LUMI_TOKEN_FILE"],
                "workdir": str(workdir), "partition": "standard-g",
                "api_version": "v0.0.38", "timeout": 30, "instance": instance}})
        ids = made["jobs"]
        worker.start()

        def states() -> list[str]:
            return [j["state"] for j in _driver(env, "status", ids)["jobs"]]

        # Restart while some jobs are at the factory and others still queued.
        deadline = time.monotonic() + 120
        while sum(s != "queued" for s in states()) < 3:
            assert time.monotonic() < deadline, worker.logs()
            time.sleep(0.3)
        subprocess.run(["bash", str(POSTGRES), "stop", str(pgdir)], check=True, timeout=60)
        time.sleep(5)  # the worker's cycles fail meanwhile
        restarted = subprocess.run(["bash", str(POSTGRES), "start", str(pgdir), "25490"],
                                   capture_output=True, text=True, timeout=120)
        assert restarted.returncode == 0, restarted.stderr[-2000:]
        back = time.monotonic()

        # A job Slurm accepted while the database was down is found by name after its lease.
        deadline = time.monotonic() + 300
        while True:
            seen = _driver(env, "status", ids)
            if all(j["settled"] and not j["provisional"] for j in seen["jobs"]):
                break
            assert time.monotonic() < deadline, (seen, worker.logs())
            assert worker.process is not None and worker.process.poll() is None, worker.logs()
            time.sleep(1)
        print(f"postgresql restart: all {PG_JOBS} settled {time.monotonic() - back:.0f} s "
              "after it answered again")
    finally:
        worker.stop()
        subprocess.run(["bash", str(POSTGRES), "stop", str(pgdir)], timeout=60)
        shutil.rmtree(pgdir, ignore_errors=True)

    full_log = (tmp_path / "worker-1.log").read_text(errors="replace")
    assert "worker cycle failed" in full_log  # the restart was really seen
    assert worker.starts == 1  # one worker process throughout: it recovered by itself
    lumi = slurm["lumi"]
    in_sacct = sacct_ids(lumi, instance)
    assert sorted(in_sacct) == sorted(j["scheduler_job_id"] for j in seen["jobs"])
    assert len(set(in_sacct)) == PG_JOBS  # 0 lost, 0 twice
    for job in seen["jobs"]:
        assert job["state"] == "completed", job
        assert job["settles"] == 1
        record = lumi.db_job(job["scheduler_job_id"])
        assert job["elapsed"] == record["time"]["elapsed"]
        assert job["charged"] == charge_seconds(
            gpus=1, elapsed_seconds=record["time"]["elapsed"], factor=Decimal("0.5"),
            reserved_seconds=job["reserved"])
    [allocation] = seen["allocations"]
    assert allocation["reserved"] == 0 and allocation["balanced"]
    assert allocation["used"] == sum(j["charged"] for j in seen["jobs"])
