"""Placement on the factory as it is, on two REAL clusters: `jupiter` (Slurm 22.05,
testbeds/slurm/) and `current` (Slurm 24.11, testbeds/slurm24/).

Another Unix user (root, with its own token, straight through slurmrestd: no Antenna) fills
one cluster; the next job of an allocation that may use both goes to the other. With both
full, it goes where Slurm expects GPUs to free first (the running jobs' time limits). Each
step is chosen so that Antenna's own picture alone (two empty factories: the first by name,
`current`) would place the job elsewhere. Skips, saying why, when a cluster is not
answering (CI makes a skip fail).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from antenna import testing
from antenna.allocations.services import allocation_grant
from antenna.connectors.slurmrest.protocol import SubmitRequest
from antenna.connectors.slurmrest.versions import api_for
from antenna.factories.services import factory_register
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.states import JobState
from antenna.testing import read_cluster_env

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]

ENV_FILES = {
    "jupiter": Path(os.environ.get("ANTENNA_SLURM_ENV", "/tmp/antenna-slurm/env")),
    "current": Path(os.environ.get("ANTENNA_SLURM24_ENV", "/tmp/antenna-slurm24/env")),
}
VERSIONS = {"jupiter": "v0.0.38", "current": "v0.0.42"}
MODELS = {"jupiter": "gh200", "current": "h100"}


class Other:
    """Another Unix user (root) on one cluster, with its own token: not Antenna."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        prefix = f"ANTENNA_SLURM_{name.upper()}_"
        self.name = name
        self.env = env
        self.url = env[prefix + "URL"]
        self.token = Path(env[prefix + "ROOT_TOKEN_FILE"]).read_text().strip()
        self.partition = env[prefix + "PARTITION"]
        self.gpus = int(env[prefix + "GPUS_PER_NODE"])
        self.nodes = len((env.get(prefix + "NODES") or env[prefix + "NODE"]).split(","))
        self.api = api_for(VERSIONS[name])
        self.jobs: list[str] = []

    def send(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("X-SLURM-USER-NAME", "root")
        request.add_header("X-SLURM-USER-TOKEN", self.token)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def fill(self, minutes: int) -> list[str]:
        """A job of all of a node's GPUs on every node, running `minutes` at most; returns
        once they all run."""
        ids = []
        for _ in range(self.nodes):
            call = self.api.submit_request(SubmitRequest(
                name="another-users-work", partition=self.partition,
                script="#!/bin/bash\nsleep 3600\n", working_directory="/tmp",
                standard_output="/dev/null", environment={"PATH": "/usr/bin:/bin"},
                gpus=self.gpus, time_limit_minutes=minutes, comment="not antenna"))
            assert call.body is not None
            status, body = self.send(call.method, call.path, call.body)
            job_id = self.api.parse_submit(body).job_id
            assert job_id, (status, body)
            self.jobs.append(job_id)
            ids.append(job_id)
        deadline = time.monotonic() + 60
        for job_id in ids:
            while True:
                job = self.api.parse_jobs(self.send("GET", self.api.job(job_id).path)[1])[0]
                if job.state == "RUNNING":
                    break
                assert time.monotonic() < deadline, f"{self.name}: {job_id} never ran ({job})"
                time.sleep(0.5)
        return ids

    def cancel_all(self) -> None:
        for job_id in self.jobs:
            self.send("DELETE", self.api.cancel(job_id).path)


@pytest.fixture
def two_clusters(settings, tmp_path):
    envs = {}
    for name, path in ENV_FILES.items():
        if not path.exists():
            pytest.skip(f"test cluster {name} not started ({path} missing)")
        env = read_cluster_env(path)
        try:
            status, body = Other(env, name).send("GET", f"/slurm/{VERSIONS[name]}/ping")
        except (OSError, KeyError, ValueError) as exc:
            pytest.skip(f"Slurm cluster {name} not answering: {exc}")
        if status != 200:
            pytest.skip(f"Slurm cluster {name} not answering: {body.get('errors')}")
        envs[name] = env
    settings.DATA_DIR = tmp_path
    instance = f"t{uuid.uuid4().hex[:10]}"
    operator = testing.make_operator()
    factories = {}
    for name, env in envs.items():
        prefix = f"ANTENNA_SLURM_{name.upper()}_"
        workdir = Path(env["ANTENNA_SLURM_WORK_DIR"]) / instance
        workdir.mkdir(mode=0o1777)
        workdir.chmod(0o1777)
        factories[name] = factory_register(
            name=name, connector="slurmrest", display_name=name.title(),
            connector_settings={
                "url": env[prefix + "URL"], "user": env[prefix + "USER"],
                "token_file": env[prefix + "TOKEN_FILE"], "workdir": str(workdir),
                "partition": env[prefix + "PARTITION"], "api_version": VERSIONS[name],
                "timeout": 30, "instance": instance},
            partition={"name": env[prefix + "PARTITION"], "gpu_model": MODELS[name],
                       "gpus_per_node": 4,
                       "total_nodes": len((env.get(prefix + "NODES") or "x").split(",")),
                       "max_nodes_per_job": 1,
                       "max_walltime_minutes": 120, "is_default": True},
            by=operator)
    # An allocation that may use both factories (granted without a factory: the call's).
    call = testing.make_call("fast_lane", factories=list(factories.values()), by=operator)
    owner = testing.make_user()
    proposal = testing.make_proposal(owner, call, testing.make_org(owner))
    allocation = allocation_grant(proposal=proposal, gpu_hours=50, factory=None, by=operator)
    others = {name: Other(env, name) for name, env in envs.items()}
    yield {"factories": factories, "allocation": allocation, "others": others,
           "client": testing.ApiClient(owner)}
    for other in others.values():
        other.cancel_all()
    for job in Job.objects.filter(state__in=[JobState.SUBMITTED, JobState.RUNNING]):
        testing.ApiClient(owner).post(f"/jobs/{job.pk}/cancel")
    dispatch.cancel_requested()


def submit_and_place(clusters, name: str, script: str) -> Job:
    response = clusters["client"].post("/jobs", {
        "allocation": clusters["allocation"].pk, "name": name, "script": script,
        "gpus": 1, "walltime_minutes": 5})
    assert response.status_code == 201, response.content
    report = dispatch.dispatch_queued()
    job = Job.objects.select_related("factory").get(pk=response.json()["id"])
    assert report.dispatched >= 1 and job.factory is not None, report
    return job


def test_the_next_job_goes_to_the_cluster_others_left_free_then_where_gpus_free_first(
        two_clusters):
    others = two_clusters["others"]
    # 1. Another user fills `current` for up to an hour: the job goes to jupiter.
    others["current"].fill(minutes=60)
    first = submit_and_place(two_clusters, "first", "#!/bin/bash\ntrue\n")
    assert first.factory is not None and first.factory.name == "jupiter"
    deadline = time.monotonic() + 90
    while Job.objects.get(pk=first.pk).state not in (JobState.COMPLETED, JobState.FAILED):
        assert time.monotonic() < deadline, "the first job never ended on jupiter"
        dispatch.poll_factories()
        time.sleep(0.5)
    assert Job.objects.get(pk=first.pk).state == JobState.COMPLETED
    # 2. The other user fills jupiter too, for up to 10 minutes: both are full, and Slurm
    # expects jupiter's GPUs back first.
    others["jupiter"].fill(minutes=10)
    second = submit_and_place(two_clusters, "second", "#!/bin/bash\ntrue\n")
    assert second.factory is not None and second.factory.name == "jupiter"
    assert second.state == JobState.SUBMITTED  # it waits there, behind the other user
