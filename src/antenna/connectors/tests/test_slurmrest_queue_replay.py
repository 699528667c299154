"""The factory's queue (capability QUEUE) against responses recorded from the real clusters.

The recordings are `testbeds/slurm/recorded/jupiter_queue_{jobs,nodes}.json` (Slurm 22.05,
v0.0.38) and `current_<version>_queue_{jobs,nodes}.json` (Slurm 24.11, v0.0.40-42), written
by `testbeds/slurm/record_queue.py`: another Unix user (root) fills the 4-GPU node with a job
of time limit 10 min, and a 2-GPU job of time limit 5 min pends behind it with Slurm's
expected start; Antenna's user reads them. The replay server is test_slurmrest_replay.py's.
"""

# ruff: noqa: F811 - the fixtures imported from test_slurmrest_replay are test arguments here
from __future__ import annotations

import copy
import re

import pytest

from antenna.connectors.slurmrest.connector import queue_from
from antenna.connectors.slurmrest.versions import api_for
from antenna.connectors.tests.test_slurmrest_replay import (  # noqa: F401 - fixtures
    _no_backoff,
    connector,
    recording,
    replay,
    token_file,
)
from antenna.core.errors import FactoryUnavailable

CASES = [("jupiter", "v0.0.38", ""), ("current", "v0.0.40", "v0.0.40_"),
         ("current", "v0.0.41", "v0.0.41_"), ("current", "v0.0.42", "v0.0.42_")]


def others(cluster: str, prefix: str) -> tuple[dict, dict]:
    """The recorded (running, pending) jobs of the other user (root)."""
    jobs = recording(cluster, f"{prefix}queue_jobs")["body"]["jobs"]
    mine = [j for j in jobs if j["user_name"] == "root"]
    running = next(j for j in mine if state(j) == "RUNNING" and j["name"] == "others-wide")
    pending = next(j for j in mine if state(j) == "PENDING" and j["name"] == "others-narrow")
    return running, pending


def state(job: dict) -> str:
    value = job["job_state"]
    return str(value[0] if isinstance(value, list) else value).upper()


def number(value) -> int:
    return int(value["number"]) if isinstance(value, dict) else int(value)


@pytest.mark.parametrize(("cluster", "version", "prefix"), CASES)
def test_queue_reads_every_users_jobs_and_the_nodes_in_two_requests(
        replay, connector, cluster, version, prefix):
    s = rf"/slurm/{re.escape(version)}"
    replay.route("GET", f"{s}/jobs", f"{cluster}:{prefix}queue_jobs")
    replay.route("GET", f"{s}/nodes", f"{cluster}:{prefix}queue_nodes")
    queue = connector(api_version=version).queue()
    assert len(replay.requests) == 2
    assert replay.count("GET", f"{s}/jobs") == 1 and replay.count("GET", f"{s}/nodes") == 1
    wide, narrow = others(cluster, prefix)
    by_id = {j.scheduler_job_id: j for j in queue.jobs}
    running, pending = by_id[str(wide["job_id"])], by_id[str(narrow["job_id"])]
    assert running.user == "root" and running.running and running.gpus == 4
    assert running.time_limit_seconds == 600 and running.seconds_left is not None
    assert not pending.running and pending.gpus == 2 and pending.time_limit_seconds == 300
    assert pending.expected_start_seconds is not None  # Slurm gave one (now in the past: 0)
    assert all(j.running or j.expected_start_seconds is not None or j.user != "root"
               for j in queue.jobs)
    # only running and pending jobs: the ended ones still listed are left out
    listed = recording(cluster, f"{prefix}queue_jobs")["body"]["jobs"]
    assert len(queue.jobs) == sum(state(j) in ("RUNNING", "PENDING") for j in listed)
    [node] = queue.nodes
    assert node.gpus == 4 and node.gpus_used == 4 and node.available
    assert node.state.startswith("mixed") or node.state.startswith("allocated")


@pytest.mark.parametrize(("cluster", "version", "prefix"), CASES)
def test_times_are_seconds_from_when_the_queue_was_read(cluster, version, prefix):
    api = api_for(version)
    jobs = api.parse_jobs(recording(cluster, f"{prefix}queue_jobs")["body"])
    nodes = api.parse_nodes(recording(cluster, f"{prefix}queue_nodes")["body"])
    wide, narrow = others(cluster, prefix)
    now = number(wide["start_time"]) + 60
    queue = queue_from(jobs, nodes, now=now)
    by_id = {j.scheduler_job_id: j for j in queue.jobs}
    assert by_id[str(wide["job_id"])].seconds_left == 540  # 10 min limit, 1 min gone
    # Slurm expects the pending job to start when the running one reaches its limit
    assert number(narrow["start_time"]) == number(wide["start_time"]) + 600
    assert by_id[str(narrow["job_id"])].expected_start_seconds == 540


@pytest.mark.parametrize(("cluster", "version", "prefix", "drained"), [
    ("jupiter", "v0.0.38", "", {"state": "idle", "state_flags": ["DRAIN"]}),
    ("jupiter", "v0.0.38", "", {"state": "down", "state_flags": []}),
    ("current", "v0.0.42", "v0.0.42_", {"state": ["IDLE", "DRAIN"]}),
    ("current", "v0.0.42", "v0.0.42_", {"state": ["DOWN", "NOT_RESPONDING"]}),
])
def test_drained_and_down_nodes_are_not_capacity(replay, connector, cluster, version, prefix,
                                                 drained):
    # the recorded node, its state set as Slurm writes a drained or down one
    nodes = copy.deepcopy(recording(cluster, f"{prefix}queue_nodes"))
    nodes["body"]["nodes"][0].update(drained)
    replay.edited["nodes"] = nodes
    s = rf"/slurm/{re.escape(version)}"
    replay.route("GET", f"{s}/jobs", f"{cluster}:{prefix}queue_jobs")
    replay.route("GET", f"{s}/nodes", "edited:nodes")
    [node] = connector(api_version=version).queue().nodes
    assert not node.available and node.gpus == 4


def test_a_refused_listing_is_factory_unavailable(replay, connector):
    replay.route("GET", r"/slurm/v0\.0\.42/jobs", "current:v0.0.42_error_bad_token_jobs")
    replay.route("GET", r"/slurm/v0\.0\.42/ping", "current:v0.0.42_error_bad_token")
    replay.route("GET", r"/slurmdb/v0\.0\.42/.*", "current:v0.0.42_error_bad_token_db_job")
    with pytest.raises(FactoryUnavailable):
        connector(api_version="v0.0.42").queue()
