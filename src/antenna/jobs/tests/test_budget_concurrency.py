"""Budgets are exact under concurrent submissions (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from antenna import testing
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import ledger_balances
from antenna.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

JOB = {"script": "#!/bin/bash\ntrue\n", "gpus": 1, "walltime_minutes": 60}  # 1 GPU-hour


def _allocation_of_ten_gpu_hours(factory_name: str) -> tuple[Any, Allocation]:
    """(owner, allocation) of a granted Playground proposal of 10 GPU-hours."""
    factory = testing.make_factory(factory_name, gpus_per_node=4, max_nodes=1)
    return testing.make_allocation(factory, gpu_hours=10)


def _all_at_once(clients: list[Any], post: Callable[[Any], Any]) -> list[int]:
    """`post(client)` from one thread per client, released together; the status codes."""
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def run(client: Any) -> None:
        try:
            barrier.wait()
            resp = post(client)
            with lock:
                statuses.append(resp.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_fifty_concurrent_submissions_with_room_for_ten(tmp_path, settings, api):
    settings.DATA_DIR = tmp_path
    owner, allocation = _allocation_of_ten_gpu_hours("conc")
    clients = [api(owner) for _ in range(50)]  # tokens made before the threads start
    statuses = _all_at_once(clients, lambda client: client.post(
        "/jobs", {"allocation": allocation.pk, "name": "c", **JOB}))
    assert len(statuses) == 50
    assert statuses.count(201) == 10, sorted(statuses)  # ten 1-GPU-hour jobs fit in 10
    assert statuses.count(400) == 40, sorted(statuses)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 10 * 3600
    assert Job.objects.filter(allocation=allocation).count() == 10
    assert ledger_balances(allocation)


def test_concurrent_batches_never_over_commit(tmp_path, settings, api):
    """Twenty batches of 3 jobs at once on room for ten jobs: exactly three batches pass,
    each whole; the others store nothing."""
    settings.DATA_DIR = tmp_path
    owner, allocation = _allocation_of_ten_gpu_hours("conc-b")
    clients = [api(owner) for _ in range(20)]
    statuses = _all_at_once(clients, lambda client: client.post(
        "/jobs/batch", {"allocation": allocation.pk,
                        "jobs": [{"name": f"b{i}", **JOB} for i in range(3)]}))
    assert len(statuses) == 20
    assert statuses.count(201) == 3, sorted(statuses)  # 3 x 3 GPU-hours of 10
    assert statuses.count(400) == 17, sorted(statuses)
    allocation.refresh_from_db()
    assert allocation.reserved_gpu_seconds == 9 * 3600
    assert Job.objects.filter(allocation=allocation).count() == 9
    assert ledger_balances(allocation)
