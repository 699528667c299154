"""What the recording scripts share (testbeds/slurm/record_accounts.py, record_queue.py,
testbeds/slurm24/record.py): a testbed's env file, and one REST exchange with slurmrestd.
Plain urllib on purpose: a recording is the server's answer, not the connector's reading of it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from antenna.connectors.slurmrest.protocol import HttpCall


def read_env(path: Path) -> dict[str, str]:
    """The `export NAME='value'` lines a testbed's start script writes."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = value.strip("'")
    return env


def send(url: str, token: str, user: str, call: HttpCall) -> tuple[int, Any]:
    """Send `call` to slurmrestd at `url` as `user`; (status, JSON body, or the text when the
    answer is not JSON)."""
    data = json.dumps(call.body).encode() if call.body is not None else None
    request = urllib.request.Request(url + call.path, data=data,  # noqa: S310
                                     method=call.method)
    request.add_header("X-SLURM-USER-NAME", user)
    request.add_header("X-SLURM-USER-TOKEN", token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")
