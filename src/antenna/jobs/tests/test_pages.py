"""Job pages: submit with the reserved budget shown, follow the job, cancel it."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocation(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    operator = testing.make_operator()
    factory = testing.make_factory("pages-f", gpus_per_node=4, max_nodes=1)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=10)
    proposal_submit(proposal=proposal, by=owner)
    return owner, Allocation.objects.get(proposal=proposal)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_submit_page_shows_estimate_and_submits(allocation):
    owner, alloc = allocation
    client = _client(owner)
    assert client.get(f"/allocations/{alloc.pk}/jobs/new/").status_code == 200
    estimate = client.get(f"/allocations/{alloc.pk}/jobs/estimate/?gpus=2&walltime_minutes=30")
    assert estimate.status_code == 200
    assert "1.0000" in estimate.content.decode()  # 2 GPUs x 30 minutes = 1 GPU-hour
    resp = client.post(f"/allocations/{alloc.pk}/jobs/new/", {
        "name": "hello", "script": "#!/bin/bash\necho hello\n", "gpus": 1,
        "walltime_minutes": 10})
    assert resp.status_code == 302
    job = Job.objects.get(allocation=alloc)
    assert resp["Location"] == f"/jobs/{job.pk}/"
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert "hx-get" in page.content.decode()  # polls while the job is not finished


def test_over_budget_shows_error_and_stores_nothing(allocation):
    owner, alloc = allocation
    resp = _client(owner).post(f"/allocations/{alloc.pk}/jobs/new/", {
        "name": "big", "script": "#!/bin/bash\ntrue\n", "gpus": 4, "walltime_minutes": 1000})
    assert resp.status_code == 400
    assert "GPU-hours" in resp.content.decode()
    assert not Job.objects.exists()
    alloc.refresh_from_db()
    assert alloc.reserved_gpu_seconds == 0


def test_other_organisation_gets_404_and_anonymous_redirected(allocation):
    owner, alloc = allocation
    job = job_submit(by=owner, allocation=alloc, name="j", script="#!/bin/bash\ntrue\n",
                     gpus=1, walltime_minutes=5)
    stranger = testing.make_user()
    testing.make_org(stranger)
    client = _client(stranger)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/log/").status_code == 404
    assert client.get(f"/allocations/{alloc.pk}/jobs/new/").status_code == 404
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    assert Client().get(f"/jobs/{job.pk}/").status_code == 302


def test_cancel_queued_job_from_page(allocation):
    owner, alloc = allocation
    job = job_submit(by=owner, allocation=alloc, name="j", script="#!/bin/bash\ntrue\n",
                     gpus=1, walltime_minutes=5)
    resp = _client(owner).post(f"/jobs/{job.pk}/cancel/")
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.state == "cancelled"
    alloc.refresh_from_db()
    assert alloc.reserved_gpu_seconds == 0


def test_job_list_query_count_does_not_grow(allocation, django_assert_max_num_queries):
    owner, alloc = allocation
    client = _client(owner)
    for i in range(8):
        job_submit(by=owner, allocation=alloc, name=f"j{i}", script="#!/bin/bash\ntrue\n",
                   gpus=1, walltime_minutes=5)
    with django_assert_max_num_queries(8):
        assert client.get("/jobs/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/allocations/{alloc.pk}/").status_code == 200
