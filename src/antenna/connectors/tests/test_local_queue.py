"""The local connector's queue (capability QUEUE): its own jobs, running and pending, and one
node of `gpu_slots` GPUs."""

from __future__ import annotations

import pytest

from antenna.connectors.base import Capability, JobSpec
from antenna.connectors.local import LocalConnector


@pytest.fixture
def local(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.ANTENNA_UNISOLATED_LOCAL_JOBS = True  # the queue, not the sandbox, is tested
    connector = LocalConnector("sandbox-q", {"root": str(tmp_path / "q"), "gpu_slots": 4})
    yield connector
    for job_dir in (tmp_path / "q" / "jobs").iterdir():
        connector.cancel(job_dir.name)


def spec(job_id: int, gpus: int, minutes: int) -> JobSpec:
    return JobSpec(antenna_job_id=job_id, name=f"j{job_id}", script="#!/bin/bash\nsleep 60\n",
                   gpus=gpus, cpus=1, memory_mb=1024, walltime_minutes=minutes, partition="gpu")


def test_running_and_pending_jobs_and_one_node(local):
    assert Capability.QUEUE in local.capabilities
    first = local.submit(spec(1, 3, 10))
    second = local.submit(spec(2, 2, 5))  # 3 + 2 > 4 slots: it waits
    queue = local.queue()
    assert [(j.scheduler_job_id, j.running, j.gpus) for j in queue.jobs] == [
        (first, True, 3), (second, False, 2)]
    running, waiting = queue.jobs
    assert running.seconds_left is not None and 590 <= running.seconds_left <= 600
    assert waiting.time_limit_seconds == 300 and waiting.seconds_left is None
    [node] = queue.nodes
    assert (node.gpus, node.gpus_used, node.available, node.partitions) == (4, 3, True, ())
