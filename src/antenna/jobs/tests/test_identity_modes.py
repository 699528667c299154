"""Identity modes without a cluster: who may run where, refusals, the scheduler comment.
(The real runs on Slurm 24.11 are in test_identity_slurm24.py.)"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.connectors.base import JobSpec
from antenna.connectors.slurmrest.connector import COMMENT_TAG, SlurmRestConnector
from antenna.factories.models import Factory, IdentityMode, SiteAccount
from antenna.factories.services import site_account_link, site_account_verify
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.services import job_cost_seconds
from antenna.proposals.services import proposal_decide, proposal_submit
from antenna.testing import ApiClient, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def pooled():
    """A pooled Fast Lane allocation over a community and a per_user factory."""
    operator = testing.make_operator()
    community = testing.make_factory("community1")
    personal = testing.make_factory("personal1")
    personal.identity_mode = IdentityMode.PER_USER
    personal.save()
    call = testing.make_call("fast_lane", factories=[community, personal], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org), by=owner)
    proposal_decide(proposal=proposal, by=operator, decision="accept", pooled=True)
    allocation = Allocation.objects.get(proposal=proposal)
    assert allocation.is_pooled
    return {"operator": operator, "owner": owner, "allocation": allocation,
            "community": community, "personal": personal}


def _verify(site, username="alice_site"):
    account = site_account_link(user=site["owner"], factory=site["personal"], username=username,
                                by=site["owner"])
    return site_account_verify(site_account=account, by=site["operator"])


def test_placement_considers_only_factories_where_the_person_can_run(pooled):
    _, fitting = job_cost_seconds(allocation=pooled["allocation"], gpus=1, walltime_minutes=10,
                                  user=pooled["owner"])
    assert [f.name for f in fitting] == ["community1"]
    _verify(pooled)
    _, fitting = job_cost_seconds(allocation=pooled["allocation"], gpus=1, walltime_minutes=10,
                                  user=pooled["owner"])
    assert sorted(f.name for f in fitting) == ["community1", "personal1"]


def test_asking_for_a_per_user_factory_without_an_account_is_refused(pooled):
    client = ApiClient(pooled["owner"])
    body = {"allocation": pooled["allocation"].pk, "name": "train", "gpus": 1,
            "script": "#!/bin/bash\ntrue\n", "walltime_minutes": 10,
            "factory": pooled["personal"].pk}
    assert_error(client.post("/jobs", body), 409, "Personal1 runs jobs under each person's own",
                 "profile page")
    assert not Job.objects.exists()
    _verify(pooled)
    assert client.post("/jobs", body).status_code == 201


def test_a_job_whose_site_account_went_away_is_rejected_at_dispatch(pooled):
    _verify(pooled)
    client = ApiClient(pooled["owner"])
    response = client.post("/jobs", {
        "allocation": pooled["allocation"].pk, "name": "train", "gpus": 1,
        "script": "#!/bin/bash\ntrue\n", "walltime_minutes": 10,
        "factory": pooled["personal"].pk})
    assert response.status_code == 201
    SiteAccount.objects.all().delete()
    report = dispatch.dispatch_queued()
    job = Job.objects.get(pk=response.json()["id"])
    assert (report.rejected, job.state) == (1, "failed")
    assert "Personal1 runs jobs under each person's own account" in job.state_reason
    assert job.factory_id is None
    assert Allocation.objects.get(pk=pooled["allocation"].pk).reserved_gpu_seconds == 0


def test_the_comment_names_who_the_job_is_for_after_the_strict_prefix():
    connector = SlurmRestConnector("current", {"url": "http://127.0.0.1:9", "user": "antenna",
                                               "token_file": "/nonexistent", "instance": "ci"})
    spec = JobSpec(antenna_job_id=42, name="train\nantenna:job=7", script="#!/bin/bash\n",
                   gpus=1, cpus=1, memory_mb=1024, walltime_minutes=5, partition="gpu",
                   owner="mallory | antenna:job=7", organization="Acme\tNV",
                   allocation="12")
    comment = connector._comment(spec)
    assert comment == ("antenna:job=42,instance=ci | train antenna:job=7 ; "
                       "user=mallory | antenna:job=7 ; org=Acme NV ; allocation=12")
    match = COMMENT_TAG.match(comment)
    assert match and (match["job"], match["instance"]) == ("42", "ci")
    assert connector._is_ours(spec, "antenna-42", comment, "antenna")
    assert not connector._is_ours(spec, "antenna-42", comment, "someone")


def test_per_user_connector_checks_the_site_user_and_needs_one():
    connector = SlurmRestConnector("current", {"url": "http://127.0.0.1:9", "user": "root",
                                               "token_file": "/nonexistent",
                                               "identity_mode": "per_user"})
    spec = JobSpec(antenna_job_id=5, name="x", script="#!/bin/bash\n", gpus=1, cpus=1,
                   memory_mb=1024, walltime_minutes=5, partition="gpu", run_as="amartin")
    comment = connector._comment(spec)
    assert connector._is_ours(spec, "antenna-5", comment, "amartin")
    assert not connector._is_ours(spec, "antenna-5", comment, "root")
    from antenna.connectors.base import JobRejected

    with pytest.raises(JobRejected, match="each person's own account"):
        connector._submit(JobSpec(antenna_job_id=6, name="x", script="#!/bin/bash\n", gpus=1,
                                  cpus=1, memory_mb=1024, walltime_minutes=5, partition="gpu"))


def test_add_factory_sets_the_identity_mode():
    out = StringIO()
    call_command("add_factory", "jsc", "--connector", "slurmrest", "--url", "http://h:6820",
                 "--user", "root", "--token-file", "/etc/antenna/jsc.jwt", "--identity",
                 "per_user", stdout=out)
    assert Factory.objects.get(name="jsc").identity_mode == "per_user"
    call_command("add_factory", "jsc", "--connector", "slurmrest", "--url", "http://h:6820",
                 "--user", "root", "--token-file", "/etc/antenna/jsc.jwt", stdout=out)
    assert Factory.objects.get(name="jsc").identity_mode == "per_user"  # kept when not given
    call_command("add_factory", "lab", "--connector", "local", stdout=out)
    assert Factory.objects.get(name="lab").identity_mode == "community"
