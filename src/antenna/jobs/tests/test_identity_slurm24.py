"""Identity modes on the REAL Slurm 24.11 cluster `current` (testbeds/slurm24/).

community: jobs run as the service account, and Slurm's comment names the Antenna user, the
organisation and the allocation after the strictly parsed `antenna:job=<id>` prefix.
per_user: jobs are submitted with root's token and X-SLURM-USER-NAME set to the person's
verified site username (`antsite`, made by start.sh), and run as that Unix user; a person
without a verified site account there is refused at submission.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.connectors.slurmrest.connector import COMMENT_TAG
from antenna.factories.services import factory_register
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.tests import test_slurm24_integration as s24
from antenna.proposals.services import proposal_submit
from antenna.testing import read_cluster_env

pytestmark = [pytest.mark.slurm, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def cluster() -> dict[str, str]:
    if not s24.ENV_FILE.exists():
        pytest.skip(f"Slurm 24.11 test cluster not started ({s24.ENV_FILE} missing): run "
                    "`bash testbeds/slurm24/ci.sh`")
    env = read_cluster_env(s24.ENV_FILE)
    try:
        status, body = s24._call(env, "/slurm/v0.0.42/ping")
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {exc}")
    if status != 200 or body["pings"][0].get("pinged") != "UP":
        pytest.skip(f"Slurm 24.11 cluster `current` not answering: {body.get('errors')}")
    return env


def _factory(cluster: dict[str, str], *, identity: str) -> dict[str, Any]:
    instance = f"t{uuid.uuid4().hex[:10]}"
    workdir = Path(cluster["ANTENNA_SLURM_WORK_DIR"]) / instance
    workdir.mkdir(mode=0o1777)
    workdir.chmod(0o1777)
    operator = testing.make_operator()
    per_user = identity == "per_user"
    factory = factory_register(
        name="current", connector="slurmrest", display_name="Current", identity_mode=identity,
        connector_settings={
            "url": cluster["ANTENNA_SLURM_CURRENT_URL"],
            "user": "root" if per_user else cluster["ANTENNA_SLURM_CURRENT_USER"],
            "token_file": cluster["ANTENNA_SLURM_CURRENT_ROOT_TOKEN_FILE" if per_user
                                  else "ANTENNA_SLURM_CURRENT_TOKEN_FILE"],
            "workdir": str(workdir), "partition": "gpu", "timeout": 30, "instance": instance,
        },
        partition={"name": "gpu", "gpu_model": "h100", "gpus_per_node": 4, "total_nodes": 1,
                   "max_nodes_per_job": 1, "max_walltime_minutes": 120, "is_default": True},
        by=operator,
    )
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner, legal_name="Flemish Vision Lab")
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    return {"factory": factory, "allocation": Allocation.objects.get(proposal=proposal),
            "owner": owner, "operator": operator, "client": testing.ApiClient(owner),
            "instance": instance}


def _submit(site: dict[str, Any], script: str) -> Any:
    return site["client"].post("/jobs", {
        "allocation": site["allocation"].pk, "name": "whoami", "script": script, "gpus": 1,
        "walltime_minutes": 5, "factory": site["factory"].pk})


def _run_to_completion(pk: int) -> Job:
    deadline = time.monotonic() + 90
    while not Job.objects.filter(pk=pk, settled_at__isnull=False).exists():
        assert time.monotonic() < deadline, Job.objects.get(pk=pk).state
        dispatch.run_cycle()
        time.sleep(0.5)
    return Job.objects.get(pk=pk)


def _slurm_record(cluster: dict[str, str], scheduler_job_id: str) -> dict[str, Any]:
    status, body = s24._call(cluster, f"/slurmdb/v0.0.42/job/{scheduler_job_id}")
    assert status == 200, body
    record: dict[str, Any] = body["jobs"][-1]
    return record


def _comment(record: dict[str, Any]) -> str:
    comment = record.get("comment")
    return str(comment.get("job") or "") if isinstance(comment, dict) else str(comment)


def test_community_comment_names_user_organisation_and_allocation(cluster):
    site = _factory(cluster, identity="community")
    response = _submit(site, "#!/bin/bash\nid -un\n")
    assert response.status_code == 201, response.content
    job = _run_to_completion(response.json()["id"])
    assert job.state == "completed"
    record = _slurm_record(cluster, job.scheduler_job_id)
    assert record["user"] == cluster["ANTENNA_SLURM_CURRENT_USER"]
    comment = _comment(record)
    match = COMMENT_TAG.match(comment)
    assert match and match["job"] == str(job.pk) and match["instance"] == site["instance"]
    assert comment.endswith(f" | whoami ; user={site['owner'].username} ; "
                            f"org=Flemish Vision Lab ; allocation={site['allocation'].pk}")


def test_per_user_runs_as_the_verified_site_username(cluster):
    site = _factory(cluster, identity="per_user")
    script = "#!/bin/bash\necho \"ran as $(id -un)\"\n"
    refused = _submit(site, script)
    assert refused.status_code == 409
    assert "Current runs jobs under each person's own account" in refused.json()["detail"]
    assert "profile page" in refused.json()["detail"]

    linked = site["client"].post("/site-accounts", {
        "factory": site["factory"].pk, "username": cluster["ANTENNA_SLURM_CURRENT_SITE_USER"]})
    assert linked.status_code == 201
    assert _submit(site, script).status_code == 409  # not verified yet
    operator = testing.ApiClient(site["operator"])
    assert operator.post(f"/site-accounts/{linked.json()['id']}/verify").status_code == 200

    response = _submit(site, script)
    assert response.status_code == 201, response.content
    job = _run_to_completion(response.json()["id"])
    assert job.state == "completed"
    record = _slurm_record(cluster, job.scheduler_job_id)
    assert record["user"] == cluster["ANTENNA_SLURM_CURRENT_SITE_USER"]
    log = site["client"].get(f"/jobs/{job.pk}/log").content.decode()
    assert f"ran as {cluster['ANTENNA_SLURM_CURRENT_SITE_USER']}" in log
    assert f"user={site['owner'].username}" in _comment(record)
