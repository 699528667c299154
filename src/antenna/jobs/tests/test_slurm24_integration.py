"""The job gateway on the REAL Slurm 24.11 cluster `current` (testbeds/slurm24/), API `auto`.

Start it with `bash testbeds/slurm24/ci.sh`; the tests read `/tmp/antenna-slurm24/env` (or the
file named by ANTENNA_SLURM24_ENV) and skip, saying why, when the cluster is not answering (CI
makes a skip fail). The factory is registered without naming an API version: the connector
reads the server's /openapi/v3 and speaks v0.0.42. Slurm's own view is read back over REST.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.connectors.base import JobRejected, JobSpec
from antenna.connectors.registry import connector_for
from antenna.factories.services import factory_register
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.proposals.services import proposal_submit
from antenna.testing import read_cluster_env

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]

ENV_FILE = Path(os.environ.get("ANTENNA_SLURM24_ENV", "/tmp/antenna-slurm24/env"))


def _call(env: dict[str, str], path: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(env["ANTENNA_SLURM_CURRENT_URL"] + path)
    request.add_header("X-SLURM-USER-NAME", env["ANTENNA_SLURM_CURRENT_USER"])
    request.add_header("X-SLURM-USER-TOKEN", token or Path(
        env["ANTENNA_SLURM_CURRENT_TOKEN_FILE"]).read_text().strip())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture(scope="session")
def slurm24_env() -> dict[str, str]:
    if not ENV_FILE.exists():
        pytest.skip(f"Slurm 24.11 test cluster not started ({ENV_FILE} missing): run "
                    "`bash testbeds/slurm24/ci.sh`")
    env = read_cluster_env(ENV_FILE)
    try:
        status, body = _call(env, "/slurm/v0.0.42/ping")
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {exc}")
    if status != 200 or body["pings"][0].get("pinged") != "UP":
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {body.get('errors')}")
    return env


@pytest.fixture
def current(slurm24_env, settings, tmp_path):
    """A slurmrest factory on `current` (no api_version), an allocation, its owner's client."""
    settings.DATA_DIR = tmp_path
    instance = f"t{uuid.uuid4().hex[:10]}"
    workdir = Path(slurm24_env["ANTENNA_SLURM_WORK_DIR"]) / instance
    workdir.mkdir(mode=0o1777)
    workdir.chmod(0o1777)
    operator = testing.make_operator()
    factory = factory_register(
        name="current", connector="slurmrest", display_name="Current",
        connector_settings={
            "url": slurm24_env["ANTENNA_SLURM_CURRENT_URL"],
            "user": slurm24_env["ANTENNA_SLURM_CURRENT_USER"],
            "token_file": slurm24_env["ANTENNA_SLURM_CURRENT_TOKEN_FILE"],
            "workdir": str(workdir), "partition": "gpu", "timeout": 30, "instance": instance,
        },
        partition={"name": "gpu", "gpu_model": "h100", "gpus_per_node": 4, "total_nodes": 1,
                   "max_nodes_per_job": 1, "max_walltime_minutes": 120, "is_default": True},
        by=operator,
    )
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    return {"factory": factory, "allocation": Allocation.objects.get(proposal=proposal),
            "client": testing.ApiClient(owner), "env": slurm24_env}


def submit(current, name: str, script: str) -> int:
    response = current["client"].post("/jobs", {
        "allocation": current["allocation"].pk, "name": name, "script": script, "gpus": 1,
        "walltime_minutes": 5, "factory": current["factory"].pk})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_auto_speaks_v0_0_42_to_slurm_24_11(current):
    health = connector_for(current["factory"]).health()
    assert health.ok, health.detail
    assert "Slurm 24.11" in health.detail and "API v0.0.42" in health.detail


def test_jobs_complete_fail_and_cancel_and_settle_from_accounting(current):
    ids = {
        "hello": submit(current, "hello", "#!/bin/bash\necho hello from $ANTENNA_FACTORY\n"),
        "fail": submit(current, "fails", "#!/bin/bash\necho about to fail\nexit 3\n"),
        "cancel": submit(current, "long", "#!/bin/bash\nsleep 600\n"),
    }
    client = current["client"]
    deadline = time.monotonic() + 60
    while client.get(f"/jobs/{ids['cancel']}").json()["state"] != "running":
        assert time.monotonic() < deadline, "the long job never ran"
        dispatch.run_cycle()
        time.sleep(0.5)
    assert client.post(f"/jobs/{ids['cancel']}/cancel").status_code == 200
    deadline = time.monotonic() + 120
    while Job.objects.filter(pk__in=ids.values(), settled_at__isnull=False).count() < 3:
        assert time.monotonic() < deadline, "jobs not settled"
        dispatch.run_cycle()
        time.sleep(0.5)

    out = {key: client.get(f"/jobs/{pk}").json() for key, pk in ids.items()}
    assert out["hello"]["state"] == "completed" and out["hello"]["exit_code"] == 0
    assert out["fail"]["state"] == "failed" and out["fail"]["exit_code"] == 3
    assert out["cancel"]["state"] == "cancelled"
    log = client.get(f"/jobs/{ids['hello']}/log").content.decode()
    assert "hello from current" in log
    for pk in ids.values():
        job = Job.objects.get(pk=pk)
        status, body = _call(current["env"], f"/slurmdb/v0.0.42/job/{job.scheduler_job_id}")
        record = body["jobs"][-1]
        assert status == 200 and job.elapsed_seconds == record["time"]["elapsed"]
        settles = LedgerEntry.objects.filter(reference=f"job:{pk}", kind=LedgerKind.SETTLE)
        assert settles.count() == 1
    allocation = Allocation.objects.get(pk=current["allocation"].pk)
    assert allocation.reserved_gpu_seconds == 0


def test_refusal_and_bad_token_on_slurm_24_11(current, tmp_path):
    spec = JobSpec(antenna_job_id=999001, name="refused", script="#!/bin/bash\ntrue\n", gpus=1,
                   cpus=1, memory_mb=1000, walltime_minutes=5, partition="no-such-partition")
    with pytest.raises(JobRejected, match="Invalid partition name specified"):
        connector_for(current["factory"]).submit(spec)
    forged = tmp_path / "token"
    token = Path(current["env"]["ANTENNA_SLURM_CURRENT_TOKEN_FILE"]).read_text().strip()
    forged.write_text("x" + token[1:])
    forged.chmod(0o644)
    health = connector_for(current["factory"], token_file=str(forged)).health()
    assert not health.ok and "token rejected" in health.detail


def test_add_factory_without_a_version_records_the_release_and_the_api(slurm24_env):
    from io import StringIO

    from django.core.management import call_command

    from antenna.factories.models import Factory

    out = StringIO()
    call_command("add_factory", "current-cmd", "--connector", "slurmrest",
                 "--url", slurm24_env["ANTENNA_SLURM_CURRENT_URL"],
                 "--user", slurm24_env["ANTENNA_SLURM_CURRENT_USER"],
                 "--token-file", slurm24_env["ANTENNA_SLURM_CURRENT_TOKEN_FILE"],
                 "--partition", "gpu", stdout=out)
    factory = Factory.objects.get(name="current-cmd")
    assert factory.connector_settings["api_version"] == "auto"
    assert factory.scheduler_api_version == "v0.0.42"
    assert factory.connector_settings["detected_api_version"] == "v0.0.42"  # not asked again
    assert factory.scheduler_release.startswith("Slurm 24.11")
    assert f"It answers: {factory.scheduler_release}, REST API v0.0.42" in out.getvalue()


def test_an_8_gpu_job_on_nodes_of_4_runs_on_2_nodes_and_completes(current):
    """Issue #9 part 5: ceil(8/4) = 2 whole nodes, 4 GPUs each, one launcher task per node."""
    from antenna.factories.models import Partition

    Partition.objects.filter(factory=current["factory"]).update(total_nodes=2,
                                                                max_nodes_per_job=2)
    script = ("#!/bin/bash\n"
              "echo nodes=$SLURM_JOB_NUM_NODES list=$SLURM_JOB_NODELIST\n"
              "srun bash -c 'echo task on $SLURMD_NODENAME'\n")
    response = current["client"].post("/jobs", {
        "allocation": current["allocation"].pk, "name": "wide", "script": script, "gpus": 8,
        "walltime_minutes": 5, "factory": current["factory"].pk})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    deadline = time.monotonic() + 120
    while not Job.objects.filter(pk=pk, settled_at__isnull=False).exists():
        assert time.monotonic() < deadline, Job.objects.get(pk=pk).state
        dispatch.run_cycle()
        time.sleep(0.5)
    job = Job.objects.get(pk=pk)
    assert job.state == "completed", (job.state, job.state_reason)
    log = current["client"].get(f"/jobs/{pk}/log").content.decode()
    assert "nodes=2 list=cur-n[1-2]" in log, log
    assert "task on cur-n1" in log and "task on cur-n2" in log, log
    status, body = _call(current["env"], f"/slurmdb/v0.0.42/job/{job.scheduler_job_id}")
    record = body["jobs"][-1]
    assert status == 200 and record["nodes"] == "cur-n[1-2]"
    gpus = next(t["count"] for t in record["tres"]["allocated"]
                if t["type"] == "gres" and t["name"] == "gpu")
    assert gpus == 8
    assert job.gpu_seconds_charged == 8 * record["time"]["elapsed"]
