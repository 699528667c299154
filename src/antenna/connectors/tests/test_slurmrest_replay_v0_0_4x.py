"""The slurmrest connector against responses recorded from a real Slurm 24.11 (v0.0.40-42).

The recordings are `testbeds/slurm/recorded/current_<version>_<what>.json`, written by
`testbeds/slurm24/record.py` against the loopback cluster `current` (testbeds/slurm24/); the
replay server and fixtures are those of test_slurmrest_replay.py. Every test runs for each of
the three versions; `api_version: auto` is tested against the server's recorded /openapi/v3.
"""

# ruff: noqa: F811 - the fixtures imported from test_slurmrest_replay are test arguments here
from __future__ import annotations

import datetime as dt
import re

import pytest

from antenna.connectors.base import JobRejected, SchedulerState
from antenna.connectors.slurmrest.versions import newest_offered, offered_versions
from antenna.connectors.tests.test_slurmrest_replay import (  # noqa: F401 - fixtures
    _no_backoff,
    connector,
    recording,
    replay,
    spec,
    token_file,
)
from antenna.core.errors import FactoryUnavailable

VERSIONS = ["v0.0.40", "v0.0.41", "v0.0.42"]


def paths(version: str) -> tuple[str, str]:
    escaped = re.escape(version)
    return rf"/slurm/{escaped}", rf"/slurmdb/{escaped}"


def job_id(version: str, what: str) -> str:
    return str(recording("current", f"{version}_{what}")["body"]["jobs"][0]["job_id"])


# -- auto: the newest version the server offers ------------------------------------------


def test_the_server_offers_v0_0_40_to_42_and_auto_takes_the_newest():
    openapi = recording("current", "openapi")["body"]
    assert offered_versions(openapi) == VERSIONS
    assert newest_offered(openapi) == "v0.0.42"


def test_auto_reads_openapi_once_and_speaks_the_newest(replay, connector):
    replay.route("GET", "/openapi/v3", "current:openapi")
    replay.route("GET", r"/slurm/v0\.0\.42/ping", "current:v0.0.42_ping")
    replay.route("GET", r"/slurm/v0\.0\.42/jobs", "current:v0.0.42_jobs")
    c = connector(api_version="auto")
    health = c.health()
    assert health.ok and "24.11.5" in health.detail and "API v0.0.42" in health.detail
    assert (health.release, health.api_version) == ("Slurm 24.11.5", "v0.0.42")
    assert c.api is not None and c.api.version == "v0.0.42" and c.release == "24.11.5"
    c.poll([job_id("v0.0.42", "job_running")])  # the work speaks what was found
    assert replay.count("GET", "/openapi/v3") == 1
    c.health()  # a health probe asks afresh: an upgrade at the site is seen there
    assert replay.count("GET", "/openapi/v3") == 2


def test_auto_uses_the_recorded_version_without_asking(replay, connector):
    replay.route("GET", r"/slurm/v0\.0\.40/jobs", "current:v0.0.40_jobs")
    running = job_id("v0.0.40", "job_running")
    c = connector(api_version="auto", detected_api_version="v0.0.40")
    assert running in c.poll([running])
    assert replay.count("GET", "/openapi/v3") == 0


def test_auto_says_so_when_the_server_offers_no_known_version(replay, connector):
    openapi = recording("current", "openapi")
    openapi["body"]["paths"] = {"/slurm/v0.0.39/ping": {}, "/slurmdb/v0.0.42/jobs": {}}
    replay.edited["openapi"] = openapi
    replay.route("GET", "/openapi/v3", "edited:openapi")
    health = connector(api_version="auto").health()
    assert not health.ok and "offers none" in health.detail and "v0.0.39" in health.detail


# -- each version ------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_submit_sends_the_v0_0_4x_body(replay, connector, version):
    s, _ = paths(version)
    replay.route("POST", f"{s}/job/submit", f"current:{version}_submit_ok")
    submitted = connector(api_version=version).submit(spec(42, environment={"HF_HOME": "/h"}))
    assert submitted == str(recording("current", f"{version}_submit_ok")["body"]["job_id"])
    body = replay.requests[0]["body"]
    assert set(body) == {"job"}
    job = body["job"]
    assert job["script"] == "#!/bin/bash\necho hi\n"
    assert job["name"] == "antenna-42" and job["partition"] == "booster"
    assert job["tres_per_node"] == "gres/gpu:1"
    assert job["time_limit"] == {"set": True, "infinite": False, "number": 5}
    assert "HF_HOME=/h" in job["environment"] and "ANTENNA_JOB_ID=42" in job["environment"]
    # the recorded request was built by the same mapping
    recorded = recording("current", f"{version}_submit_ok")["request"]["body"]["job"]
    assert set(recorded) == set(job)


@pytest.mark.parametrize("version", VERSIONS)
def test_poll_reads_running_and_pending_from_one_listing(replay, connector, version):
    s, _ = paths(version)
    replay.route("GET", f"{s}/jobs", f"current:{version}_jobs")
    running, pending = job_id(version, "job_running"), job_id(version, "job_pending")
    statuses = connector(api_version=version).poll([running, pending])
    assert statuses[running].state == SchedulerState.RUNNING
    assert statuses[running].started_at is not None and statuses[running].gpus == 4
    assert statuses[pending].state == SchedulerState.PENDING
    assert statuses[pending].started_at is None
    assert replay.count("GET", f"{s}/jobs") == 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("what", "state", "exit_code"), [
    ("job_completed", SchedulerState.COMPLETED, 0),
    ("job_failed", SchedulerState.FAILED, 3),
    # while COMPLETING, a cancelled job's exit code is SIGNALED 15 or still SUCCESS 0: the
    # v0.0.42 recording caught the second
    ("job_cancelled", SchedulerState.CANCELLED, None),
])
def test_poll_maps_final_states_and_structured_exit_codes(replay, connector, version, what,
                                                          state, exit_code: int | None):
    s, _ = paths(version)
    replay.route("GET", f"{s}/jobs", f"current:{version}_{what}")
    scheduler_id = job_id(version, what)
    status = connector(api_version=version).poll([scheduler_id])[scheduler_id]
    assert status.state == state
    assert exit_code is None or status.exit_code == exit_code
    assert status.finished_at is not None


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("what", "state"), [
    ("db_job_completed", SchedulerState.COMPLETED),
    ("db_job_failed", SchedulerState.FAILED),
    ("db_job_cancelled", SchedulerState.CANCELLED),
])
def test_accounting_reads_the_slurmdb_record(replay, connector, version, what, state):
    _, db = paths(version)
    replay.route("GET", rf"{db}/job/\d+", f"current:{version}_{what}")
    record = recording("current", f"{version}_{what}")["body"]["jobs"][-1]
    status = connector(api_version=version).accounting(str(record["job_id"]))
    assert status is not None and status.state == state
    assert status.elapsed_seconds == record["time"]["elapsed"]
    assert status.started_at == dt.datetime.fromtimestamp(record["time"]["start"], tz=dt.UTC)


@pytest.mark.parametrize("version", VERSIONS)
def test_accounting_since_finds_the_antenna_jobs(replay, connector, version):
    _, db = paths(version)
    replay.route("GET", f"{db}/jobs", f"current:{version}_db_jobs")
    statuses = connector(api_version=version).accounting_since(
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    ids = {s.scheduler_job_id for s in statuses}
    for what in ("db_job_completed", "db_job_failed", "db_job_cancelled"):
        assert str(recording("current", f"{version}_{what}")["body"]["jobs"][-1]["job_id"]) \
            in ids
    assert re.search(r"\?start_time=now-\d+$", replay.requests[0]["path"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_job_gone_from_both_is_unknown(replay, connector, version):
    s, db = paths(version)
    replay.route("GET", f"{s}/jobs", f"current:{version}_jobs")
    replay.route("GET", rf"{db}/job/\d+", f"current:{version}_error_db_unknown_job")
    status = connector(api_version=version).poll(["999999"])["999999"]
    assert status.state == SchedulerState.UNKNOWN and status.reason == "no such job"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("what", ["cancel_ok", "error_cancel_unknown_job"])
def test_cancel_is_quiet_when_done_or_gone(replay, connector, version, what):
    s, _ = paths(version)
    replay.route("DELETE", rf"{s}/job/\d+", f"current:{version}_{what}")
    connector(api_version=version).cancel("2000000")
    assert replay.count("DELETE", rf"{s}/job/\d+") == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_partition_is_rejected_with_slurms_text(replay, connector, version):
    s, _ = paths(version)
    replay.route("POST", f"{s}/job/submit", f"current:{version}_error_bad_partition")
    with pytest.raises(JobRejected, match="Invalid partition name specified"):
        connector(api_version=version).submit(spec(partition="no-such-partition"))


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_token_on_submit_says_rotate_the_token(replay, connector, version):
    s, _ = paths(version)
    replay.route("POST", f"{s}/job/submit", f"current:{version}_error_bad_token_submit")
    with pytest.raises(FactoryUnavailable, match="token rejected") as caught:
        connector(api_version=version).submit(spec())
    assert caught.value.retryable is True


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_token_health_is_told_from_a_down_controller(replay, connector, version):
    # 24.11 answers a bad token's ping with 200 and "pinged: DOWN"; slurmdbd names it.
    s, db = paths(version)
    replay.route("GET", f"{s}/ping", f"current:{version}_error_bad_token")
    replay.route("GET", rf"{db}/job/\d+", f"current:{version}_error_bad_token_db_job")
    health = connector(api_version=version).health()
    assert not health.ok and "token rejected" in health.detail


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_token_on_poll_says_rotate_the_token(replay, connector, version):
    s, _ = paths(version)
    replay.route("GET", f"{s}/jobs", f"current:{version}_error_bad_token_jobs")
    with pytest.raises(FactoryUnavailable, match="token rejected"):
        connector(api_version=version).poll(["2000000"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_job_over_two_nodes_asks_for_whole_nodes(replay, connector, version):
    s, _ = paths(version)
    replay.route("POST", f"{s}/job/submit", f"current:{version}_submit_ok")
    connector(api_version=version).submit(spec(43, gpus=8, nodes=2))
    job = replay.requests[0]["body"]["job"]
    assert job["tres_per_node"] == "gres/gpu:4"
    assert job["minimum_nodes"] == job["maximum_nodes"] == 2
    assert job["tasks_per_node"] == 1 and job["tasks"] == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_health_tells_the_release_and_the_api_version(replay, connector, version):
    s, _ = paths(version)
    replay.route("GET", f"{s}/ping", f"current:{version}_ping")
    health = connector(api_version=version).health()
    assert health.ok and health.api_version == version
    assert health.release.startswith("Slurm 24.11"), health.release
