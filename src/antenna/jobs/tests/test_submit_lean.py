"""The lean submit path (issue #13): `POST /jobs` answers what `GET /jobs/{id}` answers,
in a fixed number of queries, with its audit event, and a refusal stores nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.core.models import AuditEvent
from antenna.jobs.models import Job

pytestmark = pytest.mark.django_db

SCRIPT = "#!/bin/bash\ntrue\n"


def submit_queries(*, pooled: bool) -> int:
    """The queries of one submit by a member (its token already used this minute): token +
    user; allocation + membership; partitions [pooled: + the call's factories]; then on
    PostgreSQL ONE statement (reservation, job, ledger entry, audit event: atomic by itself),
    elsewhere a transaction (SAVEPOINT and RELEASE in tests, BEGIN and COMMIT outside) of four:
    INSERT job, UPDATE allocation (the reservation), INSERT ledger entry, INSERT audit event."""
    writes = 1 if connection.vendor == "postgresql" else 2 + 4
    return 3 + (1 if pooled else 0) + writes


def _allocation(owner, *, pooled: bool) -> Allocation:
    operator = testing.make_operator()
    factories = [testing.make_factory(gpus_per_node=4, max_nodes=1, max_walltime=600)]
    if pooled:
        factories.append(testing.make_factory(gpus_per_node=4, max_nodes=1, max_walltime=600))
    call = testing.make_call("playground", factories=factories, by=operator)
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=10)
    from antenna.proposals.services import proposal_submit

    proposal_submit(proposal=proposal, by=owner)
    if pooled:  # a pooled grant: any factory of the call
        Allocation.objects.filter(proposal=proposal).update(factory=None)
    return Allocation.objects.get(proposal=proposal)


def _body(allocation: Allocation, **extra):
    return {"allocation": allocation.pk, "name": " lean ", "script": SCRIPT, "gpus": 1,
            "walltime_minutes": 6, "container_image": " img ", **extra}


@pytest.mark.parametrize("pooled", [False, True])
def test_a_submit_takes_a_fixed_number_of_queries(tmp_path, settings, api, pooled):
    settings.DATA_DIR = tmp_path
    owner = testing.make_user()
    allocation = _allocation(owner, pooled=pooled)
    client = api(owner)
    assert client.post("/jobs", _body(allocation)).status_code == 201  # touches the token
    with CaptureQueriesContext(connection) as queries:
        resp = client.post("/jobs", _body(allocation))
    assert resp.status_code == 201, resp.content
    expected = submit_queries(pooled=pooled)
    assert len(queries) == expected, "\n".join(q["sql"][:150] for q in queries.captured_queries)
    job = Job.objects.get(pk=resp.json()["id"])
    assert AuditEvent.objects.filter(action="job.submit", target_id=str(job.pk)).count() == 1
    assert LedgerEntry.objects.filter(reference=f"job:{job.pk}",
                                      kind=LedgerKind.RESERVE).count() == 1


@pytest.mark.parametrize("pooled", [False, True])
def test_the_submit_answer_is_what_a_read_of_the_job_answers(tmp_path, settings, api, pooled):
    settings.DATA_DIR = tmp_path
    owner = testing.make_user()
    allocation = _allocation(owner, pooled=pooled)
    client = api(owner)
    resp = client.post("/jobs", _body(allocation))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body == client.get(f"/jobs/{body['id']}").json()
    assert body["name"] == "lean" and body["container_image"] == "img"
    assert body["state"] == "queued" and body["factory"] is None
    assert body["gpu_hours_reserved"] == "0.1000"


def test_an_operator_who_is_not_a_member_cannot_submit_and_nothing_is_stored(
        tmp_path, settings, api):
    settings.DATA_DIR = tmp_path
    owner = testing.make_user()
    allocation = _allocation(owner, pooled=False)
    resp = api(testing.make_operator()).post("/jobs", _body(allocation))
    testing.assert_error(resp, 403, "Only members of")
    assert not Job.objects.exists()
    assert not AuditEvent.objects.filter(action="job.submit").exists()


def test_a_refused_submit_stores_nothing(tmp_path, settings, api):
    settings.DATA_DIR = tmp_path
    owner = testing.make_user()
    allocation = _allocation(owner, pooled=False)
    client = api(owner)
    # 10 GPU-hours granted: 4 GPUs x 600 min = 40 GPU-hours do not fit.
    resp = client.post("/jobs", _body(allocation, gpus=4, walltime_minutes=600))
    testing.assert_error(resp, 400)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 0
    assert not Job.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.RESERVE).exists()
    assert not AuditEvent.objects.filter(action="job.submit").exists()
    other = testing.make_user()
    testing.assert_error(api(other).post("/jobs", _body(allocation)), 404)


@pytest.mark.parametrize("change, fragment", [
    ({"state": "suspended"}, "jobs can only run on an active allocation"),
    ({"ends_on": "2020-01-31", "starts_on": "2020-01-01"}, "no jobs outside those dates"),
])
def test_a_submit_on_an_allocation_that_cannot_take_it_says_why_and_stores_nothing(
        tmp_path, settings, api, change, fragment):
    settings.DATA_DIR = tmp_path
    owner = testing.make_user()
    allocation = _allocation(owner, pooled=False)
    Allocation.objects.filter(pk=allocation.pk).update(**change)
    resp = api(owner).post("/jobs", _body(allocation))
    testing.assert_error(resp, 409, fragment)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 0
    assert not Job.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.RESERVE).exists()
    assert not AuditEvent.objects.filter(action="job.submit").exists()
