"""Record real exchanges with the Slurm 24.11 cluster `current` for the replay tests.

    .venv/bin/python testbeds/slurm24/record.py [--state-dir /tmp/antenna-slurm24]

For each of v0.0.40, v0.0.41 and v0.0.42 it builds the requests with Antenna's own mapping
(antenna.connectors.slurmrest.v0_0_4x), sends them, and writes
testbeds/slurm/recorded/current_<version>_<what>.json in the format of testbeds/slurm/verify.py
(`{"cluster", "request", "status", "body"}`, the token masked), plus current_openapi.json
(`GET /openapi/v3`, paths only). Jobs: a 4-GPU sleeper (running, then cancelled), a 1-GPU job
that pends behind it and then fails with exit 3, and one that completes; then the errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE.parent / "slurm"))

from rest_client import read_env, send  # noqa: E402

from antenna.connectors.slurmrest.protocol import HttpCall, SubmitRequest  # noqa: E402
from antenna.connectors.slurmrest.versions import api_for  # noqa: E402

OUT = HERE.parent / "slurm" / "recorded"


class Cluster:
    def __init__(self, env: dict[str, str]) -> None:
        self.url = env["ANTENNA_SLURM_CURRENT_URL"]
        self.user = env["ANTENNA_SLURM_CURRENT_USER"]
        self.token = Path(env["ANTENNA_SLURM_CURRENT_TOKEN_FILE"]).read_text().strip()
        self.work = env["ANTENNA_SLURM_WORK_DIR"]
        self.partition = env["ANTENNA_SLURM_CURRENT_PARTITION"]

    def send(self, call: HttpCall, token: str | None = None) -> tuple[int, Any]:
        return send(self.url, token or self.token, self.user, call)

    def record(self, name: str, call: HttpCall, token: str | None = None) -> Any:
        status, body = self.send(call, token)
        (OUT / f"current_{name}.json").write_text(json.dumps({
            "cluster": "current",
            "request": {"method": call.method, "path": call.path, "body": call.body,
                        "headers": {"X-SLURM-USER-NAME": self.user,
                                    "X-SLURM-USER-TOKEN": "<token>"}},
            "status": status, "body": body}, indent=2) + "\n")
        return body


def wait(cluster: Cluster, call: HttpCall, done, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = cluster.send(call)
        if status == 200 and done(body):
            return
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}: {body}")


def state(body: dict) -> str:
    jobs = body.get("jobs") or []
    return (jobs[0].get("job_state") or ["?"])[0] if jobs else "?"


def record_version(cluster: Cluster, version: str) -> None:
    api = api_for(version)
    p = f"{version}_"

    def submit(name: str, script: str, gpus: int, record_as: str | None = None) -> str:
        request = SubmitRequest(
            name=f"antenna-{name}", partition=cluster.partition, script=script,
            working_directory=cluster.work, standard_output=f"{cluster.work}/{name}-%j.out",
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "ANTENNA_JOB_ID": "1"},
            gpus=gpus, time_limit_minutes=5,
            comment=f"antenna-job={name} antenna-instance=record {name}")
        call = api.submit_request(request)
        body = cluster.record(p + record_as, call) if record_as else cluster.send(call)[1]
        job_id = api.parse_submit(body).job_id
        assert job_id, body
        return job_id

    sleeper = submit("sleeper", "#!/bin/bash\nsleep 120\n", 4, "submit_ok")
    wait(cluster, api.job(sleeper), lambda b: state(b) == "RUNNING", "sleeper running")
    failer = submit("failer", "#!/bin/bash\necho failing\nexit 3\n", 1)
    wait(cluster, api.job(failer), lambda b: state(b) == "PENDING", "failer pending")
    cluster.record(p + "job_running", api.job(sleeper))
    cluster.record(p + "job_pending", api.job(failer))
    cluster.record(p + "jobs", api.jobs())
    cluster.record(p + "cancel_ok", api.cancel(sleeper))
    wait(cluster, api.job(sleeper), lambda b: state(b) == "CANCELLED", "sleeper cancelled")
    cluster.record(p + "job_cancelled", api.job(sleeper))
    wait(cluster, api.job(failer), lambda b: state(b) == "FAILED", "failer failed")
    cluster.record(p + "job_failed", api.job(failer))
    done = submit("done", "#!/bin/bash\necho done\n", 1)
    wait(cluster, api.job(done), lambda b: state(b) == "COMPLETED", "done completed")
    cluster.record(p + "job_completed", api.job(done))

    def complete(body: dict) -> bool:
        jobs = body.get("jobs") or []
        return bool(jobs) and bool(jobs[-1].get("partition")) and jobs[-1]["name"] != "allocation"

    for job_id, what in ((done, "completed"), (failer, "failed"), (sleeper, "cancelled")):
        wait(cluster, api.db_job(job_id), complete, f"accounting of {what}")
        cluster.record(p + f"db_job_{what}", api.db_job(job_id))
    cluster.record(p + "db_jobs", api.db_jobs_since(600))
    cluster.record(p + "ping", api.ping())

    bad = SubmitRequest(name="antenna-bad", partition="no-such-partition",
                        script="#!/bin/bash\ntrue\n", working_directory=cluster.work,
                        standard_output=f"{cluster.work}/bad-%j.out", environment={"PATH": "/bin"},
                        gpus=1, time_limit_minutes=5, comment="antenna-job=bad")
    cluster.record(p + "error_bad_partition", api.submit_request(bad))
    cluster.record(p + "error_unknown_job", api.job("999999"))
    cluster.record(p + "error_db_unknown_job", api.db_job("999999"))
    cluster.record(p + "error_cancel_unknown_job", api.cancel("999999"))
    forged = "x" + cluster.token[1:]
    cluster.record(p + "error_bad_token", api.ping(), token=forged)
    cluster.record(p + "error_bad_token_db_job", api.db_job("1"), token=forged)
    cluster.record(p + "error_bad_token_jobs", api.jobs(), token=forged)
    good = SubmitRequest(name="antenna-x", partition=cluster.partition,
                         script="#!/bin/bash\ntrue\n", working_directory=cluster.work,
                         standard_output=f"{cluster.work}/x-%j.out", environment={"PATH": "/bin"},
                         gpus=1, time_limit_minutes=5, comment="antenna-job=x")
    cluster.record(p + "error_bad_token_submit", api.submit_request(good), token=forged)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", default="/tmp/antenna-slurm24")  # noqa: S108
    parser.add_argument("--versions", default="v0.0.40,v0.0.41,v0.0.42")
    args = parser.parse_args()
    cluster = Cluster(read_env(Path(args.state_dir) / "env"))
    status, openapi = cluster.send(HttpCall("GET", "/openapi/v3"))
    assert status == 200, openapi
    (OUT / "current_openapi.json").write_text(json.dumps({
        "cluster": "current",
        "request": {"method": "GET", "path": "/openapi/v3", "body": None,
                    "headers": {"X-SLURM-USER-NAME": cluster.user,
                                "X-SLURM-USER-TOKEN": "<token>"}},
        "status": status,
        "body": {"openapi": openapi.get("openapi"), "info": openapi.get("info"),
                 "paths": {path: {} for path in openapi["paths"]}},
        "note": "paths only: the operations and schemas are left out"}, indent=2) + "\n")
    for version in args.versions.split(","):
        started = time.monotonic()
        record_version(cluster, version)
        print(f"{version}: recorded in {time.monotonic() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
