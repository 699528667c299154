"""Budgets are exact under concurrent submissions (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_submissions_with_room_for_ten(tmp_path, settings, api):
    settings.DATA_DIR = tmp_path
    operator = testing.make_operator()
    factory = testing.make_factory("conc", gpus_per_node=4, max_nodes=1)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=10)
    from antenna.proposals.services import proposal_submit

    proposal_submit(proposal=proposal, by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    clients = [api(owner) for _ in range(50)]  # tokens made before the threads start
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def submit(client) -> None:
        try:
            barrier.wait()
            # 1 GPU x 60 minutes = 1 GPU-hour: ten fit in 10 GPU-hours.
            resp = client.post("/jobs", {"allocation": allocation.pk, "name": "c",
                                         "script": "#!/bin/bash\ntrue\n", "gpus": 1,
                                         "walltime_minutes": 60})
            with lock:
                statuses.append(resp.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 50
    assert statuses.count(201) == 10, sorted(statuses)
    assert statuses.count(400) == 40, sorted(statuses)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 10 * 3600
    assert Job.objects.filter(allocation=allocation).count() == 10
    assert ledger_balances(allocation)


def test_concurrent_batches_never_over_commit(tmp_path, settings, api):
    """Twenty batches of 3 jobs at once on room for ten jobs: exactly three batches pass,
    each whole; the others store nothing."""
    settings.DATA_DIR = tmp_path
    operator = testing.make_operator()
    factory = testing.make_factory("conc-b", gpus_per_node=4, max_nodes=1)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=10)
    from antenna.proposals.services import proposal_submit

    proposal_submit(proposal=proposal, by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    clients = [api(owner) for _ in range(20)]
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def submit(client) -> None:
        try:
            barrier.wait()
            resp = client.post("/jobs/batch", {"allocation": allocation.pk, "jobs": [
                {"name": f"b{i}", "script": "#!/bin/bash\ntrue\n", "gpus": 1,
                 "walltime_minutes": 60} for i in range(3)]})
            with lock:
                statuses.append(resp.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 20
    assert statuses.count(201) == 3, sorted(statuses)  # 3 x 3 GPU-hours of 10
    assert statuses.count(400) == 17, sorted(statuses)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 9 * 3600
    assert Job.objects.filter(allocation=allocation).count() == 9
    assert ledger_balances(allocation)
