"""The slurmrest connector against responses recorded from a real Slurm 22.05 (no Slurm needed).

A tiny HTTP server on 127.0.0.1 replays `testbeds/slurm/recorded/<cluster>_<what>.json` (written
by `testbeds/slurm/verify.py --record` against the loopback clusters; only the token is masked).
Each test routes requests to recordings, so the error cases that are hard to provoke on a live
cluster (a bad token, a refused job, a connection reset, a half-written accounting record) are
covered everywhere. The same behaviour on the real clusters: jobs/tests/test_slurm_integration.py.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from antenna.connectors.base import Capability, JobRejected, JobSpec, SchedulerState
from antenna.connectors.registry import connector_class
from antenna.connectors.slurmrest import SlurmRestConnector
from antenna.connectors.slurmrest import connector as slurmrest
from antenna.connectors.slurmrest.connector import exit_code_from_wait_status
from antenna.core.errors import FactoryUnavailable

RECORDED = Path(__file__).resolve().parents[4] / "testbeds" / "slurm" / "recorded"
RESET = "reset"  # a route that closes the socket (RST) instead of answering


def recording(cluster: str, what: str) -> dict:
    return json.loads((RECORDED / f"{cluster}_{what}.json").read_text())


class Replay:
    """Routes (method, path regex) to recordings; counts down RESETs; logs every request."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], list[str]]] = []
        self.requests: list[dict] = []
        self.edited: dict[str, dict] = {}  # "edited:<key>" answers: a recording, one field changed
        self.lock = threading.Lock()
        self.url = ""

    def route(self, method: str, pattern: str, *answers: str) -> None:
        """Answer with each of `answers` in turn (the last one repeats)."""
        self.routes.insert(0, (method, re.compile(pattern + r"(\?.*)?$"), list(answers)))

    def answer(self, method: str, path: str) -> str | None:
        with self.lock:
            for m, pattern, answers in self.routes:
                if m == method and pattern.match(path):
                    return answers.pop(0) if len(answers) > 1 else answers[0]
        return None

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for r in self.requests
                   if r["method"] == method and re.match(pattern + r"(\?.*)?$", r["path"]))


@pytest.fixture
def replay():
    state = Replay()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append({
                "method": self.command, "path": self.path,
                "user": self.headers.get("X-SLURM-USER-NAME"),
                "token": self.headers.get("X-SLURM-USER-TOKEN"),
                "body": json.loads(raw) if raw else None,
            })
            name = state.answer(self.command, self.path)
            if name == RESET:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if name is None:
                status, body = 404, b"no recording for this request"
            else:
                cluster, _, what = name.partition(":")
                rec = state.edited[what] if cluster == "edited" else recording(cluster, what)
                assert rec["request"]["method"] == self.command, (name, self.command)
                status, body = rec["status"], json.dumps(rec["body"]).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                              daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(slurmrest, "BACKOFF_SECONDS", (0.0,))


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("jwt-one\n")
    return path


@pytest.fixture
def connector(replay, token_file, tmp_path):
    def make(**overrides) -> SlurmRestConnector:
        settings = {"url": replay.url, "user": "antenna", "token_file": str(token_file),
                    "workdir": str(tmp_path / "work"), "partition": "booster",
                    "timeout": 5, "api_version": "v0.0.38", **overrides}
        (tmp_path / "work").mkdir(exist_ok=True)
        return SlurmRestConnector("jupiter", settings)
    return make


def spec(job_id: int = 42, **overrides) -> JobSpec:
    values: dict[str, Any] = {
        "antenna_job_id": job_id, "name": "hello world", "script": "#!/bin/bash\necho hi\n",
        "gpus": 1, "cpus": 8, "memory_mb": 32768, "walltime_minutes": 5,
        "partition": "booster"}
    values.update(overrides)
    return JobSpec(**values)


S = r"/slurm/v0\.0\.38"
DB = r"/slurmdb/v0\.0\.38"

# -- registry and configuration -------------------------------------------------------


def test_registered_as_slurmrest():
    assert connector_class("slurmrest") is SlurmRestConnector


def test_capabilities_offer_logs_only_with_a_local_workdir(connector, tmp_path):
    local = connector()
    assert local.capabilities == {Capability.CANCEL, Capability.LOGS, Capability.ACCOUNTING,
                                  Capability.FIND_BY_NAME, Capability.QUEUE, Capability.ARRAYS}
    remote = connector(workdir=str(tmp_path / "not-here"))
    assert Capability.LOGS not in remote.capabilities
    assert remote.read_log("1000") == ""


def test_unknown_api_version_is_reported_by_health(connector):
    health = connector(api_version="v9.9.9").health()
    assert not health.ok and "v9.9.9" in health.detail


@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_health_pings_with_user_and_token(replay, connector, cluster):
    replay.route("GET", f"{S}/ping", f"{cluster}:ping")
    health = connector().health()
    assert health.ok and "22.05.8" in health.detail and "UP" in health.detail
    assert replay.requests[0]["user"] == "antenna"
    assert replay.requests[0]["token"] == "jwt-one"


def test_token_is_reread_on_every_call(replay, connector, token_file):
    replay.route("GET", f"{S}/ping", "jupiter:ping")
    c = connector()
    c.health()
    token_file.write_text("SLURM_JWT=jwt-two\n")  # as printed by `scontrol token`
    c.health()
    assert [r["token"] for r in replay.requests] == ["jwt-one", "jwt-two"]


def test_token_from_environment(replay, connector, monkeypatch):
    replay.route("GET", f"{S}/ping", "jupiter:ping")
    monkeypatch.setenv("ANTENNA_TEST_JWT", "jwt-env")
    assert connector(token_file="", token_env="ANTENNA_TEST_JWT").health().ok
    assert replay.requests[0]["token"] == "jwt-env"


def test_missing_token_file_is_unavailable_not_a_crash(connector, tmp_path):
    c = connector(token_file=str(tmp_path / "missing"))
    with pytest.raises(FactoryUnavailable, match="cannot read the token file"):
        c.poll(["1000"])


# -- submit -----------------------------------------------------------------------------


@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_submit_sends_the_job_and_returns_its_id(replay, connector, tmp_path, cluster):
    replay.route("POST", f"{S}/job/submit", f"{cluster}:submit_ok")
    job_id = connector(instance="ci").submit(spec(42, environment={"HF_HOME": "/data/hf"}))
    expected = str(recording(cluster, "submit_ok")["body"]["job_id"])
    assert job_id == expected
    body = replay.requests[0]["body"]
    job = body["job"]
    assert body["script"] == "#!/bin/bash\necho hi\n"
    assert job["name"] == "antenna-42"
    assert job["partition"] == "booster"
    assert job["gres"] == "gpu:1"
    assert job["time_limit"] == 5
    assert job["comment"] == "antenna:job=42,instance=ci | hello world"
    assert job["environment"]["PATH"] and job["environment"]["HF_HOME"] == "/data/hf"
    assert job["environment"]["ANTENNA_JOB_ID"] == "42"
    workdir = tmp_path / "work" / "antenna-42"
    assert job["current_working_directory"] == str(workdir) and workdir.is_dir()
    assert job["standard_output"] == f"{workdir}/slurm-%j.out"
    assert "cpus_per_task" not in job and "memory_per_node" not in job


def test_submit_can_request_cpus_and_memory(replay, connector):
    replay.route("POST", f"{S}/job/submit", "jupiter:submit_ok")
    connector(request_cpus_memory=True).submit(spec())
    job = replay.requests[0]["body"]["job"]
    assert job["cpus_per_task"] == 8 and job["memory_per_node"] == 32768


@pytest.mark.parametrize(("what", "text"), [
    ("error_bad_partition", "Invalid partition name specified"),
    ("error_too_many_gpus", "Requested node configuration is not available"),
    ("error_no_script", "Job script not specified"),
    ("error_no_environment", "environment must be set"),
])
@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_refused_submission_is_rejected_with_slurms_text(replay, connector, what, text,
                                                         cluster):
    replay.route("POST", f"{S}/job/submit", f"{cluster}:{what}")
    with pytest.raises(JobRejected, match=text) as caught:
        connector().submit(spec())
    assert caught.value.retryable is False
    assert replay.count("GET", f"{S}/ping") == 0  # a refusal is not a token question


@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_over_max_time_is_rejected_and_the_accepted_job_cancelled(replay, connector, cluster):
    # Slurm answers 200 with a job id AND an error: the job would pend forever.
    replay.route("POST", f"{S}/job/submit", f"{cluster}:error_time_limit")
    replay.route("DELETE", rf"{S}/job/\d+", f"{cluster}:cancel_ok")
    with pytest.raises(JobRejected, match="Requested partition configuration not available"):
        connector().submit(spec(walltime_minutes=100000))
    job_id = recording(cluster, "error_time_limit")["body"]["job_id"]
    assert replay.count("DELETE", f"{S}/job/{job_id}") == 1


def test_bad_token_on_submit_says_rotate_the_token(replay, connector):
    replay.route("POST", f"{S}/job/submit", "jupiter:error_bad_token_submit")
    replay.route("GET", f"{S}/ping", "jupiter:error_bad_token")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_bad_token_db_job")
    with pytest.raises(FactoryUnavailable, match="token rejected: rotate the token file") as e:
        connector().submit(spec())
    assert e.value.retryable is True
    assert "jwt-one" not in e.value.message


def test_unanswering_controller_is_not_blamed_on_the_token(replay, connector):
    # slurmctld that does not answer gives the same -1 on ping as a bad token (checked on the
    # live cluster by stopping slurmctld); slurmdbd still accepts the token, so it is not it.
    replay.route("GET", f"{S}/jobs", "jupiter:error_bad_token_jobs")
    replay.route("GET", f"{S}/ping", "jupiter:error_bad_token")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_db_unknown_job")
    with pytest.raises(FactoryUnavailable) as caught:
        connector().poll(["1000"])
    assert "token rejected" not in caught.value.message
    assert "Failed while looking for jobs" in caught.value.message


def test_connection_reset_during_submit_looks_for_the_job_before_resubmitting(replay,
                                                                              connector):
    replay.route("POST", f"{S}/job/submit", RESET, "jupiter:submit_ok")
    replay.route("GET", f"{S}/jobs", "jupiter:jobs")  # antenna-42 is not among them
    replay.route("GET", f"{DB}/jobs", "jupiter:db_jobs")  # nor in accounting
    assert connector().submit(spec()) == "1000"
    methods = [(r["method"], r["path"].split("?")[0]) for r in replay.requests]
    assert methods[:2] == [("POST", "/slurm/v0.0.38/job/submit"), ("GET", "/slurm/v0.0.38/jobs")]
    assert replay.count("POST", f"{S}/job/submit") == 2


def test_submit_gives_up_as_unavailable_when_the_connection_keeps_breaking(replay, connector):
    replay.route("POST", f"{S}/job/submit", RESET)
    replay.route("GET", f"{S}/jobs", "jupiter:jobs")
    replay.route("GET", f"{DB}/jobs", "jupiter:db_jobs")
    with pytest.raises(FactoryUnavailable, match="submit failed"):
        connector().submit(spec())
    assert replay.count("POST", f"{S}/job/submit") == slurmrest.SUBMIT_ATTEMPTS


# -- find ---------------------------------------------------------------------------------


def test_find_ignores_jobs_of_other_names(replay, connector):
    replay.route("GET", f"{S}/jobs", "jupiter:jobs")
    replay.route("GET", f"{DB}/jobs", "jupiter:db_jobs")
    assert connector().find(spec()) is None
    assert replay.count("GET", f"{S}/jobs") == 1
    assert replay.count("GET", f"{DB}/jobs") == 1  # gone from slurmctld? accounting knows


def _listing_with(replay, key: str, *, job_id: int, comment: str) -> None:
    """The recorded `GET /jobs`, its running job renamed `antenna-<job_id>` with `comment`
    (the comment as Antenna sent it, so as slurmctld stores and returns it)."""
    rec = json.loads(json.dumps(recording("jupiter", "jobs")))
    job = next(j for j in rec["body"]["jobs"] if j["job_state"] == "RUNNING")
    job["name"], job["comment"] = f"antenna-{job_id}", comment
    replay.edited[key] = rec
    replay.route("GET", f"{S}/jobs", f"edited:{key}")
    replay.route("GET", f"{DB}/jobs", "jupiter:db_jobs")


FORGED_NAMES = [
    "antenna-instance=ci",
    "x antenna-job=42 antenna-instance=ci",
    "antenna:job=42,instance=ci",
    "hi\nantenna:job=42,instance=ci",
    "| antenna:job=42,instance=ci",
]


@pytest.mark.parametrize("forged", FORGED_NAMES)
def test_a_job_name_cannot_claim_another_installations_job(replay, connector, forged):
    # Installation "ci" looks for its job 42; another installation (no instance tag) on the
    # same account submitted its own job 42 with a name forging the "ci" tag.
    comment = connector()._comment(spec(42, name=forged))
    assert comment.startswith("antenna:job=42 | ")
    _listing_with(replay, "forged", job_id=42, comment=comment)
    assert connector(instance="ci").find(spec(42)) is None
    assert connector().find(spec(42, name="another name")) == "1002"  # its owner still finds it


@pytest.mark.parametrize("forged", [*FORGED_NAMES, "antenna-instance=other"])
def test_a_job_name_cannot_disown_a_job(replay, connector, forged):
    comment = connector(instance="ci")._comment(spec(42, name=forged))
    _listing_with(replay, "own", job_id=42, comment=comment)
    assert connector(instance="ci").find(spec(42)) == "1002"
    assert connector().find(spec(42)) is None  # an installation without a tag: not its job


def test_the_former_comment_format_is_not_trusted(replay, connector):
    # `antenna-job=42 antenna-instance=ci` is what the former format wrote for a job named
    # "antenna-instance=ci" by an installation without a tag: it proves nothing.
    _listing_with(replay, "old", job_id=42, comment="antenna-job=42 antenna-instance=ci")
    assert connector(instance="ci").find(spec(42)) is None


def test_the_instance_setting_is_reduced_to_a_parsable_tag(replay, connector):
    own = connector(instance="a b,instance=c | d")
    assert own.instance == "a_b_instance_c___d"
    _listing_with(replay, "tag", job_id=42, comment=own._comment(spec(42)))
    assert own.find(spec(42)) == "1002"
    assert connector(instance="a_b").find(spec(42)) is None


# -- poll -------------------------------------------------------------------------------


@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_poll_is_one_request_for_all_jobs(replay, connector, cluster):
    replay.route("GET", f"{S}/jobs", f"{cluster}:jobs")
    jobs = recording(cluster, "jobs")["body"]["jobs"]
    by_name = {j["name"]: str(j["job_id"]) for j in jobs}
    statuses = connector().poll(list(by_name.values()))
    assert len(replay.requests) == 1
    hello, fail3, sleeper = (statuses[by_name[n]] for n in ("hello", "fail3", "sleeper"))
    assert hello.state == SchedulerState.COMPLETED and hello.exit_code == 0
    assert hello.gpus == 1 and hello.started_at and hello.finished_at
    assert fail3.state == SchedulerState.FAILED and fail3.exit_code == 3  # 768 >> 8
    assert sleeper.state == SchedulerState.RUNNING and sleeper.exit_code is None
    assert sleeper.finished_at is None


@pytest.mark.parametrize(("what", "state", "exit_code"), [
    ("job_running", SchedulerState.RUNNING, None),
    ("job_completed", SchedulerState.COMPLETED, 0),
    ("job_failed", SchedulerState.FAILED, 3),
    ("job_cancelled", SchedulerState.CANCELLED, 128 + 15),
    ("job_timeout", SchedulerState.TIMEOUT, 128 + 15),
])
@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_states_and_exit_codes(replay, connector, cluster, what, state, exit_code):
    replay.route("GET", f"{S}/jobs", f"{cluster}:{what}")  # the same job objects as /jobs
    job_id = str(recording(cluster, what)["body"]["jobs"][0]["job_id"])
    status = connector().poll([job_id])[job_id]
    assert (status.state, status.exit_code) == (state, exit_code)
    if state == SchedulerState.TIMEOUT:
        assert "TimeLimit" in status.reason


@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_a_job_pending_on_partitionconfig_is_taken_back_and_failed(replay, connector, cluster):
    """The recorded pending job asked for a walltime over MaxTime: Slurm keeps it pending
    with `PartitionConfig` forever. The poll cancels it and reports it failed."""
    replay.route("GET", f"{S}/jobs", f"{cluster}:job_pending")
    replay.route("DELETE", rf"{S}/job/\d+", f"{cluster}:cancel_ok")
    job_id = str(recording(cluster, "job_pending")["body"]["jobs"][0]["job_id"])
    status = connector().poll([job_id])[job_id]
    assert status.state == SchedulerState.FAILED and status.started_at is None
    assert "will never start it" in status.reason and "PartitionConfig" in status.reason
    assert replay.count("DELETE", f"/slurm/v0.0.38/job/{job_id}") == 1


def test_exit_code_768_is_3():
    assert exit_code_from_wait_status(768) == (3, 0)
    assert exit_code_from_wait_status(15) == (0, 15)
    assert exit_code_from_wait_status(0) == (0, 0)


def test_job_gone_from_slurmctld_is_polled_from_accounting(replay, connector):
    replay.route("GET", f"{S}/jobs", "jupiter:jobs")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:db_job_timeout")
    job_id = str(recording("jupiter", "db_job_timeout")["body"]["jobs"][0]["job_id"])
    status = connector().poll([job_id])[job_id]
    assert status.state == SchedulerState.TIMEOUT and status.elapsed_seconds == 74


def test_unknown_job_is_unknown(replay, connector):
    replay.route("GET", f"{S}/jobs", "jupiter:jobs")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_db_unknown_job")
    status = connector().poll(["987654321"])["987654321"]
    assert status.state == SchedulerState.UNKNOWN


def test_unknown_job_log_is_empty(replay, connector):
    replay.route("GET", rf"{S}/job/\d+", "jupiter:error_unknown_job")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_db_unknown_job")
    assert connector().read_log("987654321") == ""


def test_log_outside_the_workdir_is_never_read(replay, connector):
    replay.route("GET", rf"{S}/job/\d+", "jupiter:job_completed")  # output in another dir
    assert connector().read_log("1000") == ""
    assert replay.count("GET", rf"{S}/job/\d+") == 1


def test_connection_reset_on_poll_is_retried(replay, connector):
    replay.route("GET", f"{S}/jobs", RESET, RESET, "jupiter:jobs")
    statuses = connector().poll(["1000"])
    assert statuses["1000"].state == SchedulerState.COMPLETED
    assert replay.count("GET", f"{S}/jobs") == 3


def test_poll_unavailable_after_the_retries(replay, connector):
    replay.route("GET", f"{S}/jobs", RESET)
    with pytest.raises(FactoryUnavailable, match="unreachable") as caught:
        connector().poll(["1000"])
    assert caught.value.retryable is True
    assert replay.count("GET", f"{S}/jobs") == slurmrest.GET_ATTEMPTS


def test_nothing_listening_is_unavailable(connector):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FactoryUnavailable):
        connector(url=f"http://127.0.0.1:{port}").poll(["1"])
    health = connector(url=f"http://127.0.0.1:{port}").health()
    assert not health.ok


@pytest.mark.parametrize("what", ["error_bad_token_jobs", "error_no_token",
                                  "error_token_user_mismatch"])
def test_bad_token_on_poll_says_rotate_the_token(replay, connector, what):
    replay.route("GET", f"{S}/jobs", f"jupiter:{what}")
    replay.route("GET", f"{S}/ping", "jupiter:error_bad_token")
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_bad_token_db_job")
    with pytest.raises(FactoryUnavailable, match="token rejected: rotate the token file"):
        connector().poll(["1000"])


def test_bad_token_health(replay, connector):
    replay.route("GET", f"{S}/ping", "lumi:error_bad_token")
    replay.route("GET", rf"{DB}/job/\d+", "lumi:error_bad_token_db_job")
    health = connector().health()
    assert not health.ok and health.detail == "token rejected: rotate the token file"


# -- cancel -----------------------------------------------------------------------------


def test_cancel(replay, connector):
    replay.route("DELETE", rf"{S}/job/\d+", "jupiter:cancel_ok")
    connector().cancel("1002")
    assert replay.requests[0]["method"] == "DELETE"
    assert replay.requests[0]["path"] == "/slurm/v0.0.38/job/1002"


def test_cancel_of_a_job_slurm_no_longer_knows_is_done(replay, connector):
    replay.route("DELETE", rf"{S}/job/\d+", "jupiter:error_cancel_unknown_job")
    connector().cancel("987654321")


# -- accounting -------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["completed", "failed", "cancelled"])
@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_incomplete_accounting_record_is_not_yet(replay, connector, cluster, what):
    replay.route("GET", rf"{DB}/job/\d+", f"{cluster}:db_job_{what}_incomplete")
    job_id = str(recording(cluster, f"db_job_{what}_incomplete")["body"]["jobs"][0]["job_id"])
    assert connector().accounting(job_id) is None


@pytest.mark.parametrize(("what", "state"), [
    ("completed", SchedulerState.COMPLETED), ("failed", SchedulerState.FAILED),
    ("cancelled", SchedulerState.CANCELLED), ("timeout", SchedulerState.TIMEOUT),
])
@pytest.mark.parametrize("cluster", ["jupiter", "lumi"])
def test_accounting_record(replay, connector, cluster, what, state):
    replay.route("GET", rf"{DB}/job/\d+", f"{cluster}:db_job_{what}")
    raw = recording(cluster, f"db_job_{what}")["body"]["jobs"][0]
    record = connector().accounting(str(raw["job_id"]))
    assert record is not None
    assert record.state == state
    assert record.elapsed_seconds == raw["time"]["elapsed"]
    assert record.gpus == 1
    # slurmdbd 22.05 says exit code 0 for failed jobs: never passed on as the job's code
    assert record.exit_code == (0 if state == SchedulerState.COMPLETED else None)
    if what == "timeout":
        assert record.elapsed_seconds >= 60


def test_accounting_of_an_unknown_job_is_none(replay, connector):
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_db_unknown_job")
    assert connector().accounting("987654321") is None


def test_accounting_with_a_bad_token_is_unavailable(replay, connector):
    replay.route("GET", rf"{DB}/job/\d+", "jupiter:error_bad_token_db_job")  # HTTP 200!
    replay.route("GET", f"{S}/ping", "jupiter:error_bad_token")
    with pytest.raises(FactoryUnavailable, match="token rejected"):
        connector().accounting("1000")


def test_a_job_over_two_nodes_asks_for_whole_nodes_and_one_launcher_per_node(replay,
                                                                               connector):
    replay.route("POST", f"{S}/job/submit", "jupiter:submit_ok")
    connector().submit(spec(43, gpus=8, nodes=2))
    job = replay.requests[0]["body"]["job"]
    assert job["gres"] == "gpu:4"  # per node
    assert job["nodes"] == [2, 2] and job["tasks_per_node"] == 1 and job["tasks"] == 2
