"""Record a factory's queue as Antenna reads it (`GET jobs` + `GET nodes`) on the real clusters
`jupiter` (Slurm 22.05, v0.0.38) and `current` (Slurm 24.11, v0.0.40-42), for the replay tests.

    .venv/bin/python testbeds/slurm/record_queue.py [--env /tmp/antenna-slurm/env]
                                                    [--env24 /tmp/antenna-slurm24/env]

On each cluster, ANOTHER Unix user (root, with its own token) fills the node: a job of all its
GPUs (time limit 10 min) runs, and a 2-GPU job (time limit 5 min) pends behind it until Slurm's
backfill scheduler has given it an expected start. Then Antenna's user (the connector's token)
reads the jobs and the nodes, as `queue()` does, and the script writes
testbeds/slurm/recorded/jupiter_queue_{jobs,nodes}.json and
current_<version>_queue_{jobs,nodes}.json (`{"cluster", "request", "status", "body"}`, token
masked), then cancels both jobs. Requests are built by Antenna's own version modules.
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
sys.path.insert(0, str(HERE))

from rest_client import read_env, send  # noqa: E402

from antenna.connectors.slurmrest.protocol import HttpCall, SubmitRequest  # noqa: E402
from antenna.connectors.slurmrest.versions import api_for  # noqa: E402

OUT = HERE / "recorded"


class Cluster:
    def __init__(self, env: dict[str, str], name: str) -> None:
        key = name.upper()
        self.name = name
        self.url = env[f"ANTENNA_SLURM_{key}_URL"]
        self.user = env[f"ANTENNA_SLURM_{key}_USER"]
        self.token = Path(env[f"ANTENNA_SLURM_{key}_TOKEN_FILE"]).read_text().strip()
        self.root_token = Path(env[f"ANTENNA_SLURM_{key}_ROOT_TOKEN_FILE"]).read_text().strip()
        self.partition = env[f"ANTENNA_SLURM_{key}_PARTITION"]
        self.gpus = int(env[f"ANTENNA_SLURM_{key}_GPUS_PER_NODE"])

    def send(self, call: HttpCall, *, as_root: bool = False) -> tuple[int, Any]:
        if as_root:
            return send(self.url, self.root_token, "root", call)
        return send(self.url, self.token, self.user, call)

    def record(self, name: str, call: HttpCall) -> Any:
        status, body = self.send(call)
        (OUT / f"{name}.json").write_text(json.dumps({
            "cluster": self.name,
            "request": {"method": call.method, "path": call.path, "body": call.body,
                        "headers": {"X-SLURM-USER-NAME": self.user,
                                    "X-SLURM-USER-TOKEN": "<token>"}},
            "status": status, "body": body}, indent=2) + "\n")
        return body


def _number(value: Any) -> int:
    return int(value.get("number") or 0) if isinstance(value, dict) else int(value or 0)


def record(cluster: Cluster, version: str, prefix: str) -> None:
    api = api_for(version)

    def submit(name: str, gpus: int, minutes: int) -> str:
        call = api.submit_request(SubmitRequest(
            name=name, partition=cluster.partition, script="#!/bin/bash\nsleep 300\n",
            working_directory="/tmp", standard_output="/dev/null",  # noqa: S108
            environment={"PATH": "/usr/bin:/bin"}, gpus=gpus, time_limit_minutes=minutes,
            comment="another user's work"))
        status, body = cluster.send(call, as_root=True)
        job_id = api.parse_submit(body).job_id
        assert job_id, (status, body)
        return job_id

    wide = submit("others-wide", cluster.gpus, 10)
    narrow = submit("others-narrow", 2, 5)
    try:
        deadline = time.monotonic() + 90
        while True:
            _, body = cluster.send(api.jobs())
            jobs = {str(j["job_id"]): j for j in body.get("jobs") or []}
            state = jobs[narrow]["job_state"]
            pending = (state[0] if isinstance(state, list) else state) == "PENDING"
            if pending and _number(jobs[narrow].get("start_time")) > 0:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{cluster.name}: no expected start for {narrow}: "
                                 f"{jobs[narrow]}")
            time.sleep(1)
        cluster.record(f"{prefix}queue_jobs", api.jobs())
        cluster.record(f"{prefix}queue_nodes", api.nodes())
    finally:
        for job_id in (narrow, wide):
            cluster.send(api.cancel(job_id), as_root=True)
    print(f"recorded {prefix}queue_jobs/nodes ({cluster.name}, {version}): jobs {wide}, {narrow}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="/tmp/antenna-slurm/env")  # noqa: S108
    parser.add_argument("--env24", default="/tmp/antenna-slurm24/env")  # noqa: S108
    args = parser.parse_args()
    record(Cluster(read_env(Path(args.env)), "jupiter"), "v0.0.38", "jupiter_")
    current = Cluster(read_env(Path(args.env24)), "current")
    for version in ("v0.0.40", "v0.0.41", "v0.0.42"):
        record(current, version, f"current_{version}_")


if __name__ == "__main__":
    main()
