"""Several workers at once: every job is dispatched exactly once (row locks, leases)."""

from __future__ import annotations

import pytest

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_dispatch_each_job_once(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    operator = testing.make_operator()
    factory = testing.make_factory("shared", gpus_per_node=4, max_nodes=1)
    factory.connector_settings = {"root": str(tmp_path / "shared"), "gpu_slots": 64}
    factory.save()
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=100)
    proposal_submit(proposal=proposal, by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    jobs = [job_submit(by=owner, allocation=allocation, name=f"w{i}",
                       script="#!/bin/bash\nsleep 2\n", gpus=1, walltime_minutes=5)
            for i in range(20)]

    def worker() -> None:
        for _ in range(10):
            dispatch.dispatch_queued(limit=3)

    errors = testing.in_threads(worker, 2)
    assert not errors, errors
    assert set(Job.objects.values_list("state", flat=True)) == {"submitted"}
    assert len(list((tmp_path / "shared" / "jobs").iterdir())) == len(jobs)
    ids = list(Job.objects.values_list("scheduler_job_id", flat=True))
    assert len(set(ids)) == len(jobs)
