"""Gateway overhead on real Slurm (issue #5, docs/benchmarks-gateway.md).

    python bench/gateway/run.py [--smoke] [--jobs N] [--clients C] [--worker-interval S]

Needs the two loopback Slurm clusters (`bash testbeds/slurm/ci.sh`; it only checks they answer).
Starts a throw-away PostgreSQL (scripts/postgres.sh), gunicorn and `antenna worker` on
127.0.0.1, registers `jupiter` and `lumi` as slurmrest factories with one Playground
allocation each, then, in the same run:

  direct   the batch POSTed to slurmrestd (`/slurm/v0.0.38/job/submit`, the token), C clients,
           job i to cluster i % 2; polled with `GET /slurm/v0.0.38/jobs` per cluster
  antenna  the same batch POSTed to `/api/v1/jobs` (job i to the allocation on cluster i % 2)
           by C clients; polled with `GET /api/v1/jobs?allocation=` per allocation

Both are polled every --poll seconds. Writes bench/results/gateway.json (gateway-smoke.json)
and stops what it started, by PID.
"""

# ruff: noqa: S603  (runs this repository's own scripts and tools, on loopback)
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from antenna_bench.gateway import (
    CLUSTERS,
    FINAL_ANTENNA,
    FINAL_SLURM,
    RUNNING_SLURM,
    Cluster,
    Poller,
    Track,
    cpu_by_process,
    cpu_used,
    http,
    read_env,
    stats,
    submit_concurrently,
    summarise,
)
from antenna_bench.harness import server_env, sh, start_database, wait_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SCRIPT = "#!/bin/bash\nsleep 2\n"
WALLTIME_MINUTES = 5


def wait_final(tracks: list[Track], deadline: float, cpu: dict[str, Any]) -> bool:
    """Until every job ended (False at the deadline); samples each process's CPU once
    every job was seen accepted by Slurm (`cpu["accepted"]`)."""
    while time.monotonic() < deadline:
        if "accepted" not in cpu and all(t.error or t.accepted_seen for t in tracks):
            cpu["accepted"] = cpu_by_process()
        if all(t.error or t.final_seen for t in tracks):
            return True
        time.sleep(0.05)
    return False


def run_direct(clusters: dict[str, Cluster], tracks: list[Track], args: argparse.Namespace,
               instance: str, workdir: Path) -> dict[str, Any]:
    def submit(t: Track) -> None:
        c = clusters[t.cluster]
        body = {"job": {"name": f"{instance}-d{t.index}", "partition": c.partition,
                        "current_working_directory": str(workdir),
                        "standard_output": f"{workdir}/d{t.index}-%j.out",
                        "environment": {"PATH": "/usr/local/bin:/usr/bin:/bin"},
                        "gres": "gpu:1", "time_limit": WALLTIME_MINUTES,
                        "comment": f"gateway bench {instance}"},
                "script": SCRIPT}
        status, answer = http("POST", c.url + "/slurm/v0.0.38/job/submit", c.headers, body)
        if status != 200 or answer.get("errors") or not answer.get("job_id"):
            raise RuntimeError(f"HTTP {status}: {answer.get('errors')}")
        t.slurm_id = t.ref = str(answer["job_id"])
        t.accepted = time.time()

    by_cluster = {name: [t for t in tracks if t.cluster == name] for name in clusters}

    def poll_once() -> None:
        for name, c in clusters.items():
            status, body = http("GET", c.url + "/slurm/v0.0.38/jobs", c.headers)
            now = time.time()
            if status != 200:
                raise RuntimeError(f"{name} jobs: HTTP {status}")
            states = {str(j["job_id"]): j["job_state"] for j in body.get("jobs", [])}
            for t in by_cluster[name]:
                state = states.get(t.slurm_id) if t.slurm_id else None
                if state is None:
                    continue
                if t.accepted_seen is None:
                    t.accepted_seen = now
                if t.running_seen is None and (state in RUNNING_SLURM or state in FINAL_SLURM):
                    t.running_seen = now
                if t.final_seen is None and state in FINAL_SLURM:
                    t.final_seen, t.final_state = now, state.lower()

    return _phase("direct", tracks, args, submit, poll_once, {})


def run_antenna(host: str, setup: dict[str, Any], tracks: list[Track],
                args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {setup['token']}"}
    allocations = {name: a["id"] for name, a in setup["allocations"].items()}

    def submit(t: Track) -> None:
        status, answer = http("POST", f"{host}/api/v1/jobs", headers, {
            "allocation": allocations[t.cluster], "name": f"a{t.index}", "script": SCRIPT,
            "gpus": 1, "walltime_minutes": WALLTIME_MINUTES})
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {str(answer)[:200]}")
        t.ref = str(answer["id"])

    by_cluster = {name: [t for t in tracks if t.cluster == name] for name in allocations}
    submitted_at: dict[str, float] = {}

    def poll_once() -> None:
        for name, alloc in allocations.items():
            status, body = http("GET", f"{host}/api/v1/jobs?allocation={alloc}&limit=500",
                                headers)
            now = time.time()
            if status != 200:
                raise RuntimeError(f"jobs?allocation={alloc}: HTTP {status}")
            items = {str(j["id"]): j for j in body["items"]}
            for t in by_cluster[name]:
                j = items.get(t.ref) if t.ref else None
                if j is None:
                    continue
                if j["scheduler_job_id"] and t.accepted_seen is None:
                    t.accepted_seen, t.slurm_id = now, j["scheduler_job_id"]
                    if j["submitted_at"]:  # when the worker recorded Slurm's answer
                        t.accepted = dt.datetime.fromisoformat(j["submitted_at"]).timestamp()
                        submitted_at[t.ref] = t.accepted
                state = j["state"]
                if t.running_seen is None and (state == "running" or state in FINAL_ANTENNA):
                    t.running_seen = now
                if t.final_seen is None and state in FINAL_ANTENNA:
                    t.final_seen, t.final_state = now, state

    def submit_batches(all_tracks: list[Track]) -> None:
        """`--antenna-batch`: each cluster's jobs in one POST /api/v1/jobs/batch (at most
        1000 each, one client per cluster), as a sweep would be sent."""
        def run(name: str) -> None:
            mine = by_cluster[name]
            for start in range(0, len(mine), 1000):
                part = mine[start:start + 1000]
                sent = time.time()
                for t in part:
                    t.sent = sent
                try:
                    status, answer = http("POST", f"{host}/api/v1/jobs/batch", headers, {
                        "allocation": allocations[name],
                        "jobs": [{"name": f"a{t.index}", "script": SCRIPT, "gpus": 1,
                                  "walltime_minutes": WALLTIME_MINUTES} for t in part]})
                    if status != 201:
                        raise RuntimeError(f"HTTP {status}: {str(answer)[:200]}")
                    for t, ref in zip(part, answer["ids"], strict=True):
                        t.ref = str(ref)
                except Exception as exc:
                    for t in part:
                        t.error = f"{type(exc).__name__}: {exc}"[:300]
                answered = time.time()
                for t in part:
                    t.answered = answered

        threads = [threading.Thread(target=run, args=(name,)) for name in allocations]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    result = _phase("antenna", tracks, args, submit, poll_once, {},
                    submit_all=submit_batches if args.antenna_batch else None)
    result["submitted_as"] = ("one POST /api/v1/jobs/batch per cluster" if args.antenna_batch
                              else "one POST /api/v1/jobs per job")
    if submitted_at:
        first_sent = min(t.sent for t in tracks)
        acc = sorted(submitted_at.values())
        result["first_submit_to_first_accepted_s"] = round(acc[0] - first_sent, 3)
        result["worker_dispatch_span_s"] = round(acc[-1] - acc[0], 3)
        result["worker_dispatch_jobs_per_s"] = (round((len(acc) - 1) / (acc[-1] - acc[0]), 2)
                                                if acc[-1] > acc[0] else None)
    return result


def slurm_start_times(clusters: dict[str, Cluster], tracks: list[Track]) -> dict[str, Any]:
    """When each job really started, by slurmctld's own record (`start_time`, whole
    seconds; completed jobs stay listed for MinJobAge, 300 s): submit -> started in Slurm,
    beside submit -> running as each path's poll saw it."""
    started: list[float] = []
    for name, c in clusters.items():
        status, body = http("GET", c.url + "/slurm/v0.0.38/jobs", c.headers)
        if status != 200:
            return {"error": f"{name} jobs: HTTP {status}"}
        starts = {str(j["job_id"]): j.get("start_time") for j in body.get("jobs", [])}
        for t in tracks:
            start = starts.get(t.slurm_id) if t.cluster == name and t.slurm_id else None
            if start:
                started.append(float(start) - t.sent)
    return {"submit_to_started_in_slurm_s": stats(started),
            "started_in_slurm_note": "Slurm's start_time is in whole seconds (truncated)"}


def _phase(path: str, tracks: list[Track], args: argparse.Namespace, submit: Any,
           poll_once: Any, extra: dict[str, Any], submit_all: Any = None) -> dict[str, Any]:
    print(f"[{path}] {len(tracks)} jobs by {args.clients} clients", flush=True)
    load_before = os.getloadavg()[0]
    cpu_before = cpu_by_process()
    poller = Poller(args.poll, poll_once)
    poller.start()
    if submit_all is not None:
        submit_all(tracks)
    else:
        submit_concurrently(tracks, args.clients, submit)
    cpu: dict[str, Any] = {}
    done = wait_final(tracks, time.monotonic() + args.phase_timeout, cpu)
    poller.stop()
    extra = {**extra, "all_final": done, "loadavg_1m_before": round(load_before, 2),
             "loadavg_1m_after": round(os.getloadavg()[0], 2),
             # CPU seconds per process, from the first submit until every job was seen
             # accepted by Slurm, then over the whole phase (following the jobs to the end).
             "cpu_s_by_process_to_accepted": cpu_used(cpu_before, cpu.get("accepted", {})),
             "cpu_s_by_process": cpu_used(cpu_before, cpu_by_process())}
    result = summarise(path, tracks, poller, extra)
    print(f"[{path}] {result['jobs_per_s_accepted']} jobs/s to accepted "
          f"({result['first_submit_to_last_accepted_s']} s); running p50/p95 "
          f"{result['submit_to_running_s']['p50']}/{result['submit_to_running_s']['p95']} s; "
          f"completed p50/p95 {result['submit_to_completed_s']['p50']}/"
          f"{result['submit_to_completed_s']['p95']} s; states {result['final_states']}",
          flush=True)
    return result


def worker_log_figures(path: Path) -> dict[str, Any]:
    text = path.read_text(errors="replace") if path.exists() else ""
    ops: dict[str, list[float]] = {}
    for m in re.finditer(r"slurmrest \w+\.(\w+) ([\d.]+) ms", text):
        ops.setdefault(m.group(1), []).append(float(m.group(2)) / 1000)
    cycles = [int(m.group(1)) for m in re.finditer(r"cycle: dispatched=(\d+)", text)]
    return {"connector_call_s": {op: stats(v) for op, v in sorted(ops.items())},
            "cycles_logged_with_dispatches": sum(1 for c in cycles if c),
            "dispatched_per_cycle": [c for c in cycles if c],
            "errors_in_log": len(re.findall(r" (ERROR|WARNING) ", text))}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="6 jobs, 2 clients")
    ap.add_argument("--jobs", type=int, default=60)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--poll", type=float, default=0.25, help="poll cadence, both paths (s)")
    ap.add_argument("--worker-interval", type=float, default=0.25)
    ap.add_argument("--gunicorn-workers", type=int, default=2)
    ap.add_argument("--phase-timeout", type=float, default=100)
    ap.add_argument("--order", default="direct,antenna")
    ap.add_argument("--port", type=int, default=int(os.environ.get("BENCH_HTTP_PORT", "18451")))
    ap.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "25452")))
    ap.add_argument("--antenna-batch", action="store_true",
                    help="Antenna path: each cluster's jobs in one POST /api/v1/jobs/batch")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # timeout(1): clean up below
    if args.smoke:
        args.jobs, args.clients, args.phase_timeout = 6, 2, 20
    out = Path(args.out or ROOT / "bench/results" / ("gateway-smoke.json" if args.smoke
                                                     else "gateway.json"))

    env_file = Path(os.environ.get("ANTENNA_SLURM_ENV", "/tmp/antenna-slurm/env"))  # noqa: S108
    how = "start them with `bash testbeds/slurm/ci.sh` (stop: `bash testbeds/slurm/stop.sh`)"
    if not env_file.exists():
        print(f"Slurm test clusters not started ({env_file} missing): {how}", file=sys.stderr)
        return 2
    senv = read_env(env_file)
    clusters = {name: Cluster.from_env(senv, name) for name in CLUSTERS}
    for c in clusters.values():
        ok, why = c.ping()
        if not ok:
            print(f"Slurm cluster {c.name} not answering ({why}): {how}", file=sys.stderr)
            return 2

    instance = f"gw{uuid.uuid4().hex[:8]}"
    workdir = Path(senv["ANTENNA_SLURM_WORK_DIR"]) / instance
    (workdir / "direct").mkdir(parents=True, mode=0o1777)
    for d in (workdir, workdir / "direct"):
        d.chmod(0o1777)  # jobs run as `antenna`
    tmp = Path(tempfile.mkdtemp(prefix="antenna-gateway-"))
    tmp.chmod(0o711)  # the postgres user must reach pg/ inside it
    pg_dir = tmp / "pg"
    procs: dict[str, subprocess.Popen[bytes]] = {}
    started_pg = False
    t_start = time.monotonic()
    result: dict[str, Any] = {
        "smoke": args.smoke, "instance": instance,
        "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "loadavg_start": os.getloadavg()},
        "batch": {"jobs": args.jobs, "clients": args.clients, "script": SCRIPT,
                  "gpus_per_job": 1, "time_limit_minutes": WALLTIME_MINUTES,
                  "split": "job i -> cluster i % 2 (jupiter, lumi)",
                  "antenna_allocations": "two Playground allocations, one per factory",
                  "poll_interval_s": args.poll, "worker_interval_s": args.worker_interval,
                  "gunicorn_workers": args.gunicorn_workers, "order": args.order,
                  "antenna_batch": args.antenna_batch},
    }
    try:
        started_pg = True  # stop it in any case: a half-started server leaves a pid file
        url, result["machine"]["postgresql"] = start_database(pg_dir, args.pg_port,
                                                              dict(os.environ))
        env = server_env(dict(os.environ), database_url=url, data_dir=tmp,
                         secret="gateway-bench-not-secret")
        antenna = str(BIN / "antenna")
        sh([antenna, "migrate", "-v0"], env)
        setup_file = tmp / "setup.json"
        sh([sys.executable, "-m", "antenna_bench.gateway", "setup", str(env_file), instance,
            str(workdir), str(setup_file)], env)
        setup = json.loads(setup_file.read_text())
        result["allocations"] = setup["allocations"]
        cmd = [str(BIN / "gunicorn"), "antenna.config.wsgi", "-b", f"127.0.0.1:{args.port}",
               "-w", str(args.gunicorn_workers), "-k", "sync", "--timeout", "60",
               "--log-level", "warning"]
        result["server"] = " ".join(cmd[1:])
        procs["gunicorn"] = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                             stderr=open(tmp / "gunicorn.log", "wb"))  # noqa: SIM115
        worker_log = tmp / "worker.log"
        wcmd = [antenna, "worker", "--interval", str(args.worker_interval)]
        result["worker"] = " ".join(["antenna", *wcmd[1:]])
        procs["worker"] = subprocess.Popen(wcmd, env={**env, "ANTENNA_LOG_LEVEL": "DEBUG"},
                                           stdout=subprocess.DEVNULL,
                                           stderr=open(worker_log, "wb"))  # noqa: SIM115
        host = f"http://127.0.0.1:{args.port}"
        wait_http(f"{host}/api/v1/jobs")
        result["setup_s"] = round(time.monotonic() - t_start, 1)
        names = list(CLUSTERS)
        phases: dict[str, Any] = {}
        for path in args.order.split(","):
            tracks = [Track(i, names[i % 2]) for i in range(args.jobs)]
            if path == "direct":
                phases[path] = run_direct(clusters, tracks, args, instance, workdir / "direct")
            else:
                phases[path] = run_antenna(host, setup, tracks, args)
            phases[path].update(slurm_start_times(clusters, tracks))
        phases["antenna"]["worker_log"] = worker_log_figures(worker_log)
        result["phases"] = phases
        d, a = phases["direct"], phases["antenna"]

        def ratio(x: float | None, y: float | None) -> float | None:
            return round(x / y, 3) if x and y else None

        def diff(key: str, q: str) -> float | None:
            x, y = a.get(key, {}).get(q), d.get(key, {}).get(q)
            return round(x - y, 3) if x is not None and y is not None else None

        result["comparison"] = {
            "throughput_ratio_antenna_over_direct": ratio(a["jobs_per_s_accepted"],
                                                          d["jobs_per_s_accepted"]),
            "throughput_ratio_seen_by_poll": ratio(a["jobs_per_s_accepted_seen_by_poll"],
                                                   d["jobs_per_s_accepted_seen_by_poll"]),
            "target": 0.9,
            "running_p50_diff_s": diff("submit_to_running_s", "p50"),
            "running_p95_diff_s": diff("submit_to_running_s", "p95"),
            "started_in_slurm_p50_diff_s": diff("submit_to_started_in_slurm_s", "p50"),
            "started_in_slurm_p95_diff_s": diff("submit_to_started_in_slurm_s", "p95"),
            "completed_p50_diff_s": diff("submit_to_completed_s", "p50"),
            "completed_p95_diff_s": diff("submit_to_completed_s", "p95"),
        }
        r = result["comparison"]["throughput_ratio_antenna_over_direct"]
        result["comparison"]["target_met"] = bool(r is not None and r >= 0.9)
        result["machine"]["loadavg_end"] = os.getloadavg()
        result["total_s"] = round(time.monotonic() - t_start, 1)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        print(json.dumps(result["comparison"], indent=2))
        print(f"wrote {out} ({result['total_s']} s)")
        return 0
    finally:
        for name in ("worker", "gunicorn"):
            proc = procs.get(name)
            if proc is None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if started_pg:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", str(pg_dir)], check=False)
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
