"""The job gateway on REAL Slurm clusters through slurmrestd, each test on both generations:

- Slurm 22.05 (Debian 12): two clusters, `jupiter` and `lumi` (testbeds/slurm/, REST v0.0.38);
- Slurm 24.11 (Debian 13): the cluster `current` (testbeds/slurm24/, REST v0.0.42, `auto`),
  which plays both factories (two Antenna factories on one cluster, as two partitions of one
  site would be).

Start them with `bash testbeds/slurm/ci.sh` and `bash testbeds/slurm24/ci.sh`; the tests read
`/tmp/antenna-slurm/env` and `/tmp/antenna-slurm24/env` (or the files named by
ANTENNA_SLURM_ENV and ANTENNA_SLURM24_ENV) and skip when a cluster is not answering. CI sets
ANTENNA_FAIL_ON_SKIP=1, so a skip fails the build there.

Everything goes through the public API (`/api/v1/jobs...`) and the worker (`run_cycle`, or the
real `antenna worker` command in the crash test); Slurm's own view is read back over REST to
check that Antenna and Slurm agree. Every test run tags its jobs with a fresh `instance`, so
`antenna-<id>` names from earlier runs (ids restart with every test database) never match.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import pytest
from django.db import connection

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.allocations.selectors import ledger_balances
from antenna.connectors.base import JobRejected, JobSpec, SchedulerState
from antenna.connectors.registry import connector_for
from antenna.factories.models import Factory
from antenna.factories.services import factory_register
from antenna.jobs import dispatch
from antenna.jobs.billing import charge_seconds
from antenna.jobs.models import Job
from antenna.proposals.services import proposal_submit
from antenna.testing import read_cluster_env

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]

FINAL = {"completed", "failed", "cancelled", "timeout"}


class Site(NamedTuple):
    """One Antenna factory of a generation: the cluster it is, its partition and GPUs."""

    cluster: str  # the testbed cluster (its env prefix and Slurm's ClusterName)
    partition: str
    gpu_model: str
    gpus_per_node: int
    factor: str | None  # antenna GPU-hours per scheduler GPU-hour
    visible: str  # the variable Slurm sets to the job's GPUs


class Generation(NamedTuple):
    env_file: Path
    api: str  # the REST version the checks read Slurm with
    api_version: str  # what the factory is registered with
    sites: dict[str, Site]


GENERATIONS = {
    "22.05": Generation(
        Path(os.environ.get("ANTENNA_SLURM_ENV", "/tmp/antenna-slurm/env")), "v0.0.38",
        "v0.0.38", {"jupiter": Site("jupiter", "booster", "gh200", 4, None, "CUDA"),
                    "lumi": Site("lumi", "standard-g", "mi250x", 8, "0.5", "ROCR")}),
    "24.11": Generation(
        Path(os.environ.get("ANTENNA_SLURM24_ENV", "/tmp/antenna-slurm24/env")), "v0.0.42",
        "auto", {"jupiter": Site("current", "gpu", "h100", 4, None, "CUDA"),
                 "lumi": Site("current", "gpu", "h100", 4, "0.5", "CUDA")}),
}


# -- the clusters ------------------------------------------------------------------------


class Slurm:
    """Direct REST access to one cluster, to check what Slurm itself says."""

    def __init__(self, env: dict[str, str], name: str, api: str) -> None:
        prefix = f"ANTENNA_SLURM_{name.upper()}_"
        self.name = name
        self.api = api
        self.url = env[prefix + "URL"]
        self.user = env[prefix + "USER"]
        self.token_file = env[prefix + "TOKEN_FILE"]

    def call(self, method: str, path: str) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, method=method)
        request.add_header("X-SLURM-USER-NAME", self.user)
        request.add_header("X-SLURM-USER-TOKEN", Path(self.token_file).read_text().strip())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def job(self, job_id: str) -> dict:
        status, body = self.call("GET", f"/slurm/{self.api}/job/{job_id}")
        assert status == 200, body
        return body["jobs"][0]

    @staticmethod
    def state_of(job: dict) -> str:
        """`job_state`: a string up to v0.0.38, a list of flags (the state first) after."""
        state = job["job_state"]
        return state[0] if isinstance(state, list) else state

    def state(self, job_id: str) -> str:
        return self.state_of(self.job(job_id))

    def return_code(self, job_id: str) -> int:
        """The batch script's exit status: a wait status up to v0.0.38, an object after."""
        raw = self.job(job_id)["exit_code"]
        if isinstance(raw, dict):
            return int(raw["return_code"]["number"])
        return int(raw) >> 8

    def db_job(self, job_id: str) -> dict:
        status, body = self.call("GET", f"/slurmdb/{self.api}/job/{job_id}")
        assert status == 200 and body.get("jobs"), body
        return body["jobs"][-1]

    def jobs_named(self, name: str, instance: str) -> list[dict]:
        status, body = self.call("GET", f"/slurm/{self.api}/jobs")
        assert status == 200, body
        return [j for j in body["jobs"] if j["name"] == name
                and j["comment"].split(" | ")[0].endswith(f",instance={instance}")]


_ENVS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="session", params=list(GENERATIONS), ids=lambda g: f"slurm-{g}")
def generation(request) -> Generation:
    return GENERATIONS[request.param]


@pytest.fixture
def slurm_env(generation) -> dict[str, str]:
    """The generation's testbed env file, read once; skips when its clusters do not answer."""
    env_file = generation.env_file
    if str(env_file) in _ENVS:
        return _ENVS[str(env_file)]
    if not env_file.exists():
        pytest.skip(f"Slurm test clusters not started ({env_file} missing): run "
                    "`bash testbeds/slurm/ci.sh` and `bash testbeds/slurm24/ci.sh`")
    env = read_cluster_env(env_file)
    for cluster in {site.cluster for site in generation.sites.values()}:
        try:
            status, body = Slurm(env, cluster, generation.api).call(
                "GET", f"/slurm/{generation.api}/ping")
        except (OSError, KeyError, ValueError) as exc:
            pytest.skip(f"Slurm cluster {cluster} not answering: {exc}")
        if status != 200:
            pytest.skip(f"Slurm cluster {cluster} not answering: {body.get('errors')}")
    _ENVS[str(env_file)] = env
    return env


@pytest.fixture
def slurm(slurm_env, generation) -> dict[str, Slurm]:
    """Slurm itself, by Antenna factory name (on 24.11 both names are the cluster `current`)."""
    return {name: Slurm(slurm_env, site.cluster, generation.api)
            for name, site in generation.sites.items()}


@pytest.fixture
def gateway(slurm_env, generation, settings, tmp_path):
    """Two slurmrest factories, a Playground allocation on both, and its owner's API client."""
    settings.DATA_DIR = tmp_path
    instance = f"t{uuid.uuid4().hex[:10]}"
    workdir = Path(slurm_env["ANTENNA_SLURM_WORK_DIR"]) / instance
    workdir.mkdir(mode=0o1777)
    workdir.chmod(0o1777)  # jobs run as `antenna`; Antenna (here root) creates the job dirs
    operator = testing.make_operator()
    factories = {}
    for name, site in generation.sites.items():
        prefix = f"ANTENNA_SLURM_{site.cluster.upper()}_"
        factories[name] = factory_register(
            name=name, connector="slurmrest", display_name=name.title(),
            connector_settings={
                "url": slurm_env[prefix + "URL"], "user": slurm_env[prefix + "USER"],
                "token_file": slurm_env[prefix + "TOKEN_FILE"], "workdir": str(workdir),
                "partition": site.partition, "api_version": generation.api_version,
                "timeout": 30, "instance": instance,
            },
            partition={"name": site.partition, "gpu_model": site.gpu_model,
                       "gpus_per_node": site.gpus_per_node, "total_nodes": 1,
                       "max_nodes_per_job": 1, "max_walltime_minutes": 120,
                       "is_default": True},
            gpu_hour_factor=site.factor, by=operator,
        )
    call = testing.make_call("playground", factories=list(factories.values()), by=operator)
    owner = testing.make_user()
    allocations = {}
    for name, factory in factories.items():  # Playground: one factory per accepted proposal
        org = testing.make_org(owner)
        proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org,
                                                                  factory=factory), by=owner)
        allocations[name] = Allocation.objects.get(proposal=proposal)
        assert allocations[name].factory_id == factory.pk
    return {"factories": factories, "allocations": allocations, "owner": owner,
            "client": testing.ApiClient(owner), "instance": instance, "workdir": workdir,
            "sites": generation.sites, "generation": generation}


def submit(gateway, factory: str, name: str, script: str, *, gpus: int = 1,
           walltime_minutes: int = 5) -> int:
    response = gateway["client"].post("/jobs", {
        "allocation": gateway["allocations"][factory].pk, "name": name, "script": script,
        "gpus": gpus, "walltime_minutes": walltime_minutes,
        "factory": gateway["factories"][factory].pk,
    })
    assert response.status_code == 201, response.content
    return response.json()["id"]


def job_json(gateway, job_id: int) -> dict:
    response = gateway["client"].get(f"/jobs/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def drive(until: Callable[[], bool], timeout: float, step: Callable[[], object] | None = None
          ) -> None:
    """Run the worker's cycle (or just wait, with step=None given) until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        if step is not None:
            step()
        time.sleep(0.5)


def settled(*ids: int) -> Callable[[], bool]:
    return lambda: Job.objects.filter(pk__in=ids, settled_at__isnull=False).count() == len(ids)


def check_settled_from_accounting(job: Job, slurm: Slurm) -> None:
    """The charge is GPUs x Slurm's elapsed x factor (capped by the reservation), once."""
    record = slurm.db_job(job.scheduler_job_id)
    elapsed = record["time"]["elapsed"]
    gpus = next(t["count"] for t in record["tres"]["allocated"]
                if t["type"] == "gres" and t["name"] == "gpu")
    assert gpus == job.gpus
    assert job.factory is not None
    factor = job.factory.gpu_hour_factor
    assert job.elapsed_seconds == elapsed
    assert job.gpu_seconds_charged == charge_seconds(
        gpus=gpus, elapsed_seconds=elapsed, factor=factor,
        reserved_seconds=job.gpu_seconds_reserved)
    settles = LedgerEntry.objects.filter(reference=f"job:{job.pk}", kind=LedgerKind.SETTLE)
    assert settles.count() == 1
    assert settles.get().note == f"from {job.factory.name} accounting"


# -- the tests ---------------------------------------------------------------------------


def test_jobs_run_fail_time_out_and_cancel_on_both_clusters(gateway, slurm):
    """All outcomes at once (the timeout takes ~75-90 s, so the others run meanwhile)."""
    allocs = list(gateway["allocations"].values())
    reserved_before = [Allocation.objects.get(pk=a.pk).reserved_gpu_seconds for a in allocs]
    hello = "#!/bin/bash\necho hello from $ANTENNA_FACTORY\nenv | grep -E '^(CUDA|ROCR)_VIS'\n"
    ids = {
        "timeout": submit(gateway, "lumi", "too long", "#!/bin/bash\nsleep 300\n",
                          walltime_minutes=1),
        "hello_jupiter": submit(gateway, "jupiter", "hello", hello),
        "hello_lumi": submit(gateway, "lumi", "hello", hello, gpus=2),
        "fail": submit(gateway, "jupiter", "fails", "#!/bin/bash\necho about to fail\nexit 3\n"),
        "cancel": submit(gateway, "jupiter", "long", "#!/bin/bash\nsleep 600\n"),
    }
    assert all(job_json(gateway, i)["state"] == "queued" for i in ids.values())

    # Cancel through Antenna once the job really runs in Slurm.
    drive(lambda: job_json(gateway, ids["cancel"])["state"] == "running", 60, dispatch.run_cycle)
    cancel_sid = job_json(gateway, ids["cancel"])["scheduler_job_id"]
    assert slurm["jupiter"].state(cancel_sid) == "RUNNING"
    response = gateway["client"].post(f"/jobs/{ids['cancel']}/cancel")
    assert response.status_code == 200 and response.json()["cancel_requested"]

    drive(settled(*ids.values()), 200, dispatch.run_cycle)

    jobs = {key: Job.objects.select_related("factory").get(pk=pk) for key, pk in ids.items()}
    out = {key: job_json(gateway, pk) for key, pk in ids.items()}
    assert out["hello_jupiter"]["state"] == "completed" and out["hello_jupiter"]["exit_code"] == 0
    assert out["hello_lumi"]["state"] == "completed" and out["hello_lumi"]["exit_code"] == 0
    assert out["hello_jupiter"]["factory_name"] == "jupiter"
    assert out["hello_jupiter"]["partition"] == gateway["sites"]["jupiter"].partition
    assert out["hello_lumi"]["factory_name"] == "lumi"
    assert out["hello_lumi"]["partition"] == gateway["sites"]["lumi"].partition
    log_j = gateway["client"].get(f"/jobs/{ids['hello_jupiter']}/log")
    assert log_j.status_code == 200 and "hello from jupiter" in log_j.content.decode()
    assert re.search(r"^CUDA_VISIBLE_DEVICES=\d$", log_j.content.decode(), re.M)  # 1 GPU
    log_l = gateway["client"].get(f"/jobs/{ids['hello_lumi']}/log").content.decode()
    assert "hello from lumi" in log_l
    visible = gateway["sites"]["lumi"].visible  # LUMI's 2 GCDs (ROCm), or 2 GPUs
    assert re.search(rf"^{visible}_VISIBLE_DEVICES=\d,\d$", log_l, re.M)

    assert out["fail"]["state"] == "failed" and out["fail"]["exit_code"] == 3
    assert "about to fail" in gateway["client"].get(f"/jobs/{ids['fail']}/log").content.decode()
    assert out["timeout"]["state"] == "timeout"
    assert out["cancel"]["state"] == "cancelled"
    assert slurm["jupiter"].state(cancel_sid) == "CANCELLED"
    assert slurm["lumi"].state(jobs["timeout"].scheduler_job_id) == "TIMEOUT"
    assert slurm["jupiter"].return_code(jobs["fail"].scheduler_job_id) == 3

    # GPU-hours come from Slurm's accounting: GPUs x elapsed x factor, settled once.
    for job in jobs.values():
        assert job.factory is not None
        check_settled_from_accounting(job, slurm[job.factory.name])
    lumi_hello = jobs["hello_lumi"]
    elapsed = slurm["lumi"].db_job(lumi_hello.scheduler_job_id)["time"]["elapsed"]
    assert lumi_hello.gpu_seconds_charged == int(2 * elapsed * Decimal("0.5"))
    assert (jobs["timeout"].elapsed_seconds or 0) >= 60  # walltime 1 min, enforced by Slurm
    for alloc, before in zip(allocs, reserved_before, strict=True):
        alloc.refresh_from_db()
        assert alloc.reserved_gpu_seconds == before == 0
        assert alloc.used_gpu_seconds == sum(j.gpu_seconds_charged or 0 for j in jobs.values()
                                             if j.allocation_id == alloc.pk)
        assert ledger_balances(alloc)


def test_slurm_refusals_and_a_bad_token(gateway, slurm, tmp_path):
    """What only the scheduler can refuse: the connector against the live clusters."""
    jupiter = connector_for(gateway["factories"]["jupiter"])
    base: dict[str, Any] = {"name": "x", "script": "#!/bin/bash\necho x\n", "gpus": 1, "cpus": 1,
            "memory_mb": 1024, "walltime_minutes": 5,
            "partition": gateway["sites"]["jupiter"].partition}
    with pytest.raises(JobRejected, match="Invalid partition name"):
        jupiter.submit(JobSpec(antenna_job_id=900001, **{**base, "partition": "nope"}))
    with pytest.raises(JobRejected, match="Requested node configuration is not available"):
        jupiter.submit(JobSpec(antenna_job_id=900002, **{**base, "gpus": 5}))
    over = JobSpec(antenna_job_id=900003, **{**base, "walltime_minutes": 121})  # MaxTime 120
    if gateway["generation"].api == "v0.0.38":  # 22.05 refuses it at submission
        with pytest.raises(JobRejected, match="partition configuration"):
            jupiter.submit(over)
    else:  # 24.11 accepts it, pending on PartitionTimeLimit forever: the poll takes it back
        pending = jupiter.submit(over)
        deadline = time.monotonic() + 20  # the reason is set at the next scheduling pass
        while (status := jupiter.poll([pending])[pending]).state == SchedulerState.PENDING:
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
        assert status.state == SchedulerState.FAILED, status
        assert "will never start it" in status.reason and "PartitionTimeLimit" in status.reason
    [taken_back] = slurm["jupiter"].jobs_named(over.scheduler_name, gateway["instance"])
    deadline = time.monotonic() + 10
    while slurm["jupiter"].state(str(taken_back["job_id"])) != "CANCELLED":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert jupiter.find(over) is None  # refused jobs never count as "already submitted"

    fine = JobSpec(antenna_job_id=900004, **base)
    job_id = jupiter.submit(fine)
    assert jupiter.find(fine) == job_id
    jupiter.cancel(job_id)
    jupiter.cancel(job_id)  # twice is harmless

    if slurm["lumi"].name != slurm["jupiter"].name:  # another cluster's (valid) token
        wrong_token = slurm["lumi"].token_file
    else:  # one cluster: a token signed with another key
        forged = tmp_path / "forged-token"
        token = Path(slurm["jupiter"].token_file).read_text().strip()
        forged.write_text(("y" if token[0] == "x" else "x") + token[1:])
        wrong_token = str(forged)
    wrong = Factory(name="jupiter", connector="slurmrest", connector_settings={
        **gateway["factories"]["jupiter"].connector_settings, "token_file": wrong_token})
    health = connector_for(wrong).health()
    assert not health.ok and health.detail == "token rejected: rotate the token file"
    assert connector_for(gateway["factories"]["lumi"]).health().ok


def test_a_job_name_cannot_forge_another_installations_tag(gateway, slurm):
    """Another installation (no instance tag) on the same account names its job after ours."""
    instance = gateway["instance"]
    settings = {**gateway["factories"]["jupiter"].connector_settings, "instance": ""}
    other = connector_for(Factory(name="jupiter", connector="slurmrest",
                                  connector_settings=settings))
    forged = JobSpec(antenna_job_id=900005, name=f"x antenna-instance={instance}\n"
                     f"antenna:job=900005,instance={instance}", script="#!/bin/bash\nsleep 60\n",
                     gpus=1, cpus=1, memory_mb=1024, walltime_minutes=5,
                     partition=gateway["sites"]["jupiter"].partition)
    job_id = other.submit(forged)
    try:
        comment = slurm["jupiter"].job(job_id)["comment"]
        assert comment.startswith("antenna:job=900005 | x antenna-instance=")  # as Slurm keeps it
        assert connector_for(gateway["factories"]["jupiter"]).find(forged) is None
    finally:
        other.cancel(job_id)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """The real `antenna worker` command in a subprocess, on the test database."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.env = env  # None: the test database
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = self.env or {**os.environ, "ANTENNA_DATABASE_URL": _database_url(),
                           "DJANGO_SETTINGS_MODULE": "antenna.config.test_settings",
                           "ANTENNA_DATA_DIR": str(self.tmp_path), "PYTHONUNBUFFERED": "1"}
        antenna = Path(sys.executable).with_name("antenna")
        log = open(self.tmp_path / f"worker-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen([str(antenna), "worker", "--interval", "0.5"],
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return "\n".join((self.tmp_path / f"worker-{n}.log").read_text(errors="replace")[-3000:]
                         for n in range(1, self.starts + 1))


def _restart_after_crash(worker: Worker) -> None:
    """kill -9, then restart. A restarted worker waits out the dead one's leases
    (LEASE_SECONDS=120); the test fast-forwards that wait instead of sleeping through it."""
    worker.kill()
    from django.utils import timezone

    Job.objects.filter(state="queued").update(lease_until=timezone.now(), next_attempt_at=None)
    worker.start()


def test_worker_killed_mid_dispatch_leaves_each_job_once(gateway, slurm, tmp_path):
    ids = [submit(gateway, "jupiter" if n % 2 else "lumi", f"crash {n}",
                  f"#!/bin/bash\nsleep 2\necho done {n}\n") for n in range(6)]
    worker = Worker(tmp_path)
    try:
        worker.start()
        # 1. Right after it starts dispatching: the first placement is recorded.
        drive(lambda: Job.objects.filter(pk__in=ids, factory__isnull=False).exists(), 60)
        _restart_after_crash(worker)
        # 2. Midway: some jobs are at the factories, others not yet.
        drive(lambda: Job.objects.filter(pk__in=ids, state__in=["submitted", "running",
                                                                "completed"]).count() >= 3, 60)
        _restart_after_crash(worker)
        # 3. While jobs end and are settled.
        drive(lambda: Job.objects.filter(pk__in=ids, state="completed").exists(), 60)
        _restart_after_crash(worker)
        drive(settled(*ids), 120)
    except AssertionError:
        worker.stop()
        raise AssertionError(f"worker logs:\n{worker.logs()}") from None
    finally:
        worker.stop()

    for pk in ids:
        job = Job.objects.select_related("factory").get(pk=pk)
        assert job.state == "completed", (pk, job.state, job.state_reason)
        assert job.factory is not None
        clusters = {s.name: s for s in slurm.values()}  # each cluster once
        in_slurm = [j for s in clusters.values()
                    for j in s.jobs_named(f"antenna-{pk}", gateway["instance"])]
        assert len(in_slurm) == 1, (pk, [(j["cluster"], j["job_id"]) for j in in_slurm])
        assert str(in_slurm[0]["job_id"]) == job.scheduler_job_id
        assert in_slurm[0]["cluster"] == gateway["sites"][job.factory.name].cluster
        assert Slurm.state_of(in_slurm[0]) == "COMPLETED"
        check_settled_from_accounting(job, slurm[job.factory.name])
        log = (gateway["workdir"] / f"antenna-{pk}" / f"slurm-{job.scheduler_job_id}.out")
        assert log.read_text() == f"done {ids.index(pk)}\n"
    for alloc in Allocation.objects.filter(pk__in=[a.pk for a in gateway["allocations"].values()]):
        assert alloc.reserved_gpu_seconds == 0
        assert ledger_balances(alloc)


def test_crash_after_slurm_accepted_before_recording_finds_the_job(gateway, slurm,
                                                                    monkeypatch):
    """The narrowest window, made deterministic: Slurm has the job, Antenna did not record it."""
    pk = submit(gateway, "lumi", "once", "#!/bin/bash\necho once\n")

    def crash(**kwargs):
        raise KeyboardInterrupt("worker killed after Slurm accepted the job")

    monkeypatch.setattr(dispatch, "jobs_record_dispatched", crash)
    with pytest.raises(KeyboardInterrupt):
        dispatch.dispatch_queued()
    monkeypatch.undo()
    assert len(slurm["lumi"].jobs_named(f"antenna-{pk}", gateway["instance"])) == 1
    job = Job.objects.get(pk=pk)
    assert job.state == "queued" and job.factory is not None and job.scheduler_job_id == ""
    from django.utils import timezone

    Job.objects.filter(pk=pk).update(lease_until=timezone.now(), next_attempt_at=None)
    drive(settled(pk), 60, dispatch.run_cycle)
    [only] = slurm["lumi"].jobs_named(f"antenna-{pk}", gateway["instance"])
    job = Job.objects.get(pk=pk)
    assert job.state == "completed" and job.scheduler_job_id == str(only["job_id"])
    check_settled_from_accounting(Job.objects.select_related("factory").get(pk=pk),
                                  slurm["lumi"])


def test_a_batch_with_an_array_of_four_tasks_runs_and_each_task_is_billed(gateway, slurm):
    """POST /jobs/batch with a plain job and an array of 4 tasks (1-3 s each): one Slurm
    submit for the array, its tasks visible with their states, each task charged its own
    elapsed time from Slurm's accounting, the ledger balanced."""
    allocation = gateway["allocations"]["jupiter"]
    factory = gateway["factories"]["jupiter"]
    response = gateway["client"].post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
        {"name": "plain", "script": "#!/bin/bash\necho plain\n", "gpus": 1,
         "walltime_minutes": 5, "factory": factory.pk},
        {"name": "sweep", "script": "#!/bin/bash\necho task $SLURM_ARRAY_TASK_ID\n"
                                    "sleep $((1 + SLURM_ARRAY_TASK_ID % 3))\n",
         "gpus": 1, "walltime_minutes": 5, "factory": factory.pk, "array": "0-3%2"},
    ]})
    assert response.status_code == 201, response.content
    plain_id, array_id = response.json()["ids"]
    assert job_json(gateway, array_id)["array_tasks"] == 4
    assert Job.objects.get(pk=array_id).gpu_seconds_reserved == 4 * 1 * 5 * 60
    drive(lambda: Job.objects.get(pk=array_id).scheduler_job_id != "", 60, dispatch.run_cycle)
    # placed: the reservation stays tasks x GPUs x walltime (not one task's)
    assert Job.objects.get(pk=array_id).gpu_seconds_reserved == 4 * 1 * 5 * 60
    drive(settled(plain_id, array_id), 120, dispatch.run_cycle)

    out = job_json(gateway, array_id)
    assert out["state"] == "completed" and out["exit_code"] == 0, out
    tasks = gateway["client"].get(f"/jobs/{array_id}/tasks").json()
    assert [t["index"] for t in tasks] == [0, 1, 2, 3]
    assert {t["state"] for t in tasks} == {"completed"}
    job = Job.objects.select_related("factory").get(pk=array_id)
    site = slurm["jupiter"]
    status, body = site.call("GET", f"/slurmdb/{site.api}/job/{job.scheduler_job_id}")
    assert status == 200, body
    records = {}
    for record in body["jobs"]:
        task = record["array"]["task_id"]
        index = task["number"] if isinstance(task, dict) else task
        records[int(index)] = record["time"]["elapsed"]
    assert sorted(records) == [0, 1, 2, 3]
    assert {t["index"]: t["elapsed_seconds"] for t in tasks} == records  # each task's own
    assert job.elapsed_seconds == sum(records.values())
    assert job.gpu_seconds_charged == charge_seconds(
        gpus=1, elapsed_seconds=sum(records.values()), factor=factory.gpu_hour_factor,
        reserved_seconds=job.gpu_seconds_reserved)
    assert job_json(gateway, plain_id)["state"] == "completed"
    settles = LedgerEntry.objects.filter(reference=f"job:{array_id}", kind=LedgerKind.SETTLE)
    assert settles.count() == 1 and "4 tasks" in settles.get().note
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 0
    assert ledger_balances(allocation)
