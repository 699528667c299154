"""Logs without a shared file system, on the REAL Slurm 24.11 cluster `current`.

The factory's `workdir` is a directory that exists only inside the cluster's chroot: Antenna
(on the host) cannot read the job's output, as with a factory whose file system is not
mounted on Antenna's machine. The job page says so and gives the output's path at the
factory, which is where the output really is (read here through the chroot)."""

# ruff: noqa: F811 - the fixture imported from test_slurm24_integration is a test argument here
from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.connectors.base import Capability
from antenna.connectors.registry import connector_for
from antenna.factories.services import factory_register
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.tests.test_slurm24_integration import slurm24_env  # noqa: F401 - fixture
from antenna.proposals.services import proposal_submit

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def remote(slurm24_env, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    instance = f"t{uuid.uuid4().hex[:10]}"
    workdir = f"/antenna-remote-{instance}"  # only inside the chroot
    inside = Path(slurm24_env["ANTENNA_SLURM_CHROOT"] + workdir)
    inside.mkdir(mode=0o1777)
    inside.chmod(0o1777)
    assert not Path(workdir).exists()
    operator = testing.make_operator()
    factory = factory_register(
        name="current", connector="slurmrest", display_name="Current",
        connector_settings={
            "url": slurm24_env["ANTENNA_SLURM_CURRENT_URL"],
            "user": slurm24_env["ANTENNA_SLURM_CURRENT_USER"],
            "token_file": slurm24_env["ANTENNA_SLURM_CURRENT_TOKEN_FILE"],
            "workdir": workdir, "partition": "gpu", "timeout": 30, "instance": instance},
        partition={"name": "gpu", "gpu_model": "h100", "gpus_per_node": 4, "total_nodes": 1,
                   "max_nodes_per_job": 1, "max_walltime_minutes": 120, "is_default": True},
        by=operator)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    yield {"factory": factory, "allocation": Allocation.objects.get(proposal=proposal),
           "owner": owner, "inside": inside}
    shutil.rmtree(inside, ignore_errors=True)


def test_the_job_page_gives_the_path_at_the_factory_when_antenna_cannot_read_it(remote):
    assert Capability.LOGS not in connector_for(remote["factory"]).capabilities
    api = testing.ApiClient(remote["owner"])
    response = api.post("/jobs", {
        "allocation": remote["allocation"].pk, "name": "hello",
        "script": "#!/bin/bash\necho hello from far away\n", "gpus": 1,
        "walltime_minutes": 5, "factory": remote["factory"].pk})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    deadline = time.monotonic() + 90
    while Job.objects.get(pk=pk).state != "completed":
        assert time.monotonic() < deadline, Job.objects.get(pk=pk).state
        dispatch.run_cycle()
        time.sleep(0.5)
    job = Job.objects.get(pk=pk)
    browser = Client()
    browser.force_login(remote["owner"])
    page = browser.get(reverse("jobs:log", args=[pk])).content.decode()
    assert "Antenna cannot read this job's output" in page
    path = f"/antenna-remote-{remote['factory'].connector_settings['instance']}/" \
           f"antenna-{pk}-{job.scheduler_job_id}.out"
    assert f"<code>{path}</code>" in page
    assert "(no output yet)" not in page
    # the path is right: the output is there, at the factory
    output = remote["inside"] / f"antenna-{pk}-{job.scheduler_job_id}.out"
    assert "hello from far away" in output.read_text()
