"""Gateway overhead on real Slurm (issue #5): the helpers of `bench/gateway/run.py`.

The same batch of short jobs goes (a) straight to slurmrestd, as a researcher's script would,
and (b) through Antenna (gunicorn + `antenna worker`); both are observed by polling one list
call per cluster (direct: `GET /slurm/v0.0.38/jobs`) or per allocation (Antenna:
`GET /api/v1/jobs?allocation=`) at the same cadence. Stdlib HTTP only, so that the client side
costs the same for both paths.

    python -m antenna_bench.gateway setup ENV_FILE INSTANCE WORKDIR OUT.json
        (sets Django up; DJANGO_SETTINGS_MODULE defaults to antenna.config.settings)
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLUSTERS = {  # name: (partition, GPU model, GPUs per node, Antenna GPU-hour factor)
    "jupiter": ("booster", "gh200", 4, None),
    "lumi": ("standard-g", "mi250x", 8, "0.5"),
}
FINAL_SLURM = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
               "BOOT_FAIL", "PREEMPTED", "DEADLINE"}
RUNNING_SLURM = {"RUNNING", "COMPLETING"}
FINAL_ANTENNA = {"completed", "failed", "cancelled", "timeout", "rejected"}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def http(method: str, url: str, headers: dict[str, str], body: Any = None,
         timeout: float = 30) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    for k, v in headers.items():
        request.add_header(k, v)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"raw": raw[:300].decode(errors="replace")}


@dataclass
class Cluster:
    name: str
    url: str
    user: str
    token: str
    partition: str

    @classmethod
    def from_env(cls, env: dict[str, str], name: str) -> Cluster:
        p = f"ANTENNA_SLURM_{name.upper()}_"
        return cls(name, env[p + "URL"], env[p + "USER"],
                   Path(env[p + "TOKEN_FILE"]).read_text().strip(), env[p + "PARTITION"])

    @property
    def headers(self) -> dict[str, str]:
        return {"X-SLURM-USER-NAME": self.user, "X-SLURM-USER-TOKEN": self.token}

    def ping(self) -> tuple[bool, str]:
        try:
            status, body = http("GET", self.url + "/slurm/v0.0.38/ping", self.headers, timeout=5)
        except OSError as exc:
            return False, str(exc)
        return status == 200, "" if status == 200 else str(body.get("errors"))[:200]


def setup(env_file: str, instance: str, workdir: str) -> dict[str, Any]:
    """Two slurmrest factories, a Playground allocation on each (Playground binds one
    allocation to one factory), one owner and an API token. Needs Django set up."""
    from antenna import testing
    from antenna.accounts.services import token_create
    from antenna.allocations.models import Allocation
    from antenna.factories.services import factory_register
    from antenna.proposals.services import proposal_submit

    env = read_env(Path(env_file))
    operator = testing.make_operator()
    factories = {}
    for name, (partition, model, gpus, factor) in CLUSTERS.items():
        p = f"ANTENNA_SLURM_{name.upper()}_"
        factories[name] = factory_register(
            name=name, connector="slurmrest", display_name=name.title(),
            connector_settings={"url": env[p + "URL"], "user": env[p + "USER"],
                                "token_file": env[p + "TOKEN_FILE"], "workdir": workdir,
                                "partition": partition, "api_version": "v0.0.38",
                                "timeout": 30, "instance": instance},
            partition={"name": partition, "gpu_model": model, "gpus_per_node": gpus,
                       "total_nodes": 1, "max_nodes_per_job": 1, "max_walltime_minutes": 120,
                       "is_default": True},
            gpu_hour_factor=factor, by=operator)
    call = testing.make_call("playground", factories=list(factories.values()), by=operator)
    owner = testing.make_user()
    allocations = {}
    for name, factory in factories.items():
        org = testing.make_org(owner)
        proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org,
                                                                  factory=factory), by=owner)
        allocation = Allocation.objects.get(proposal=proposal)
        allocations[name] = {"id": allocation.pk, "factory": factory.pk,
                             "granted_gpu_hours": allocation.granted_gpu_seconds / 3600}
    _, key = token_create(user=owner, name="gateway bench")
    return {"token": key, "allocations": allocations}


# -- measurement -------------------------------------------------------------------------


@dataclass
class Track:
    """One job of the batch, as both paths see it (times: time.time(), epoch seconds)."""
    index: int
    cluster: str
    sent: float = 0.0
    answered: float = 0.0
    ref: str = ""                 # direct: Slurm job id; Antenna: Antenna job id
    slurm_id: str = ""
    accepted: float | None = None  # when Slurm's id existed (direct: submit answer)
    accepted_seen: float | None = None  # first poll that showed a Slurm id
    running_seen: float | None = None
    final_seen: float | None = None
    final_state: str = ""
    error: str = ""


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 3)


def stats(values: list[float]) -> dict[str, float | None]:
    return {"p50": pct(values, 0.5), "p95": pct(values, 0.95),
            "mean": round(statistics.fmean(values), 3) if values else None,
            "max": round(max(values), 3) if values else None, "n": len(values)}


def submit_concurrently(tracks: list[Track], clients: int,
                        submit: Callable[[Track], None]) -> None:
    """`clients` threads, client c submits jobs c, c+clients, ... in order, closed loop."""
    def run(mine: list[Track]) -> None:
        for t in mine:
            t.sent = time.time()
            try:
                submit(t)
            except Exception as exc:
                t.error = f"{type(exc).__name__}: {exc}"[:300]
            t.answered = time.time()

    threads = [threading.Thread(target=run, args=(tracks[c::clients],)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


@dataclass
class Poller:
    """Calls `poll_once()` every `interval` s (on a fixed grid) until stopped."""
    interval: float
    poll_once: Callable[[], None]
    polls: int = 0
    poll_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            self.polls += 1
            self.poll_seconds.append(time.monotonic() - started)
            next_at += self.interval
            now = time.monotonic()
            if next_at < now:  # a poll took longer than the interval: keep the grid
                next_at += ((now - next_at) // self.interval + 1) * self.interval
            self._stop.wait(next_at - now)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)


def _process_group(pid: int) -> str:
    """The process's name for the CPU table: Slurm's daemons, PostgreSQL and MariaDB by
    their command; Python by what it runs (gunicorn, the worker, this benchmark)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        if not comm.startswith("python") and comm not in ("antenna", "gunicorn"):
            return "postgres" if comm.startswith("postgres") else comm
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
    if pid == os.getpid():
        return "bench client"
    if "gunicorn" in cmd:
        return "gunicorn"
    if " worker" in cmd:
        return "antenna worker"
    return "python (other)"


def cpu_by_process() -> dict[str, float]:
    """CPU seconds (user + system, with the children each has reaped) used so far by each
    group of processes on the machine, from /proc: sampled before and after a phase, the
    difference says where its CPU went (a process that ended in between is not counted,
    unless its parent reaped it)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = _process_group(int(entry.name))
        if group:
            # utime, stime, and the reaped children's (slurmd's slurmstepd, for one)
            out[group] = out.get(group, 0.0) + sum(int(f) for f in fields[11:15]) / tick
    return out


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each group's CPU seconds between two samples, largest first (above 0.05 s)."""
    used = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in after}
    return dict(sorted(((k, v) for k, v in used.items() if v >= 0.05),
                       key=lambda kv: -kv[1]))


def summarise(path: str, tracks: list[Track], poller: Poller, extra: dict[str, Any]
              ) -> dict[str, Any]:
    ok = [t for t in tracks if not t.error]
    first_sent = min(t.sent for t in tracks)
    accepted = [t.accepted for t in ok if t.accepted is not None]
    seen = [t.accepted_seen for t in ok if t.accepted_seen is not None]
    all_accepted = len(accepted) == len(tracks)
    span = (max(accepted) - first_sent) if all_accepted else None
    span_seen = (max(seen) - first_sent) if len(seen) == len(tracks) else None
    last_answer = max(t.answered for t in tracks)
    return {
        "path": path, "jobs": len(tracks),
        "submit_errors": [t.error for t in tracks if t.error][:5],
        "first_submit_to_last_accepted_s": round(span, 3) if span else None,
        "jobs_per_s_accepted": round(len(tracks) / span, 2) if span else None,
        "first_submit_to_last_accepted_seen_by_poll_s": round(span_seen, 3) if span_seen else None,
        "jobs_per_s_accepted_seen_by_poll": round(len(tracks) / span_seen, 2) if span_seen
        else None,
        "submit_calls_s": round(last_answer - first_sent, 3),
        "submit_calls_per_s": round(len(tracks) / (last_answer - first_sent), 2),
        "submit_call_latency_s": stats([t.answered - t.sent for t in ok]),
        "submit_to_accepted_s": stats([t.accepted - t.sent for t in ok if t.accepted]),
        "submit_to_running_s": stats([t.running_seen - t.sent for t in ok if t.running_seen]),
        "submit_to_completed_s": stats([t.final_seen - t.sent for t in ok if t.final_seen]),
        "final_states": {s: sum(1 for t in tracks if t.final_state == s)
                         for s in sorted({t.final_state for t in tracks})},
        "per_cluster": {c: sum(1 for t in tracks if t.cluster == c)
                        for c in sorted({t.cluster for t in tracks})},
        "polls": poller.polls, "poll_errors": poller.errors[:5],
        "poll_call_s": stats(poller.poll_seconds),
        **extra,
    }


def main(argv: list[str]) -> int:
    if len(argv) == 6 and argv[1] == "setup":
        from antenna_bench.django_env import setup_django

        setup_django()
        out = setup(argv[2], argv[3], argv[4])
        Path(argv[5]).write_text(json.dumps(out))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
