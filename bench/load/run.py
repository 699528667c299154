"""API under load (issue #5): gunicorn on PostgreSQL, job submits and reads at 50 and 200
concurrent clients, with locust (and wrk for plain GETs when it is installed).

    python bench/load/run.py [--smoke] [--seconds S] [--users 50,200] [--no-wrk]

Starts a throw-away PostgreSQL (scripts/postgres.sh, temp dir) and gunicorn on 127.0.0.1,
seeds organisations with allocations and jobs (`antenna-bench seed-scale`), makes one API
token per client, runs the scenarios, checks the budget invariants after the submits, writes
bench/results/load.json (load-smoke.json) and stops everything by PID.

Scenarios (closed loop, no think time; see locustfile.py):
  read        GET /jobs/{id} + GET /jobs?allocation=&limit=20, each client its own organisation
  submit      POST /jobs, each client on its own organisation's allocation
  submit_hot  POST /jobs, every client on ONE allocation (the budget row's lock contention)
  floor       POST /bench/floor, the same clients and bodies as `submit`, run just before it:
              the stack's floor (issue #13), a bare Django view on the same gunicorn and
              PostgreSQL that looks the token up by its hash and inserts one row
              (bench/src/antenna_bench/floor). `floor_ratio` = submits/s / floor req/s.

gunicorn serves `antenna_bench.floor.wsgi`: Antenna's settings and URLs plus the floor route
(benchmark code, never in the product). Last, `bench/load/cpu.py` measures the CPU time and
the queries of one submit and of one floor request in-process.
"""

# ruff: noqa: S603, S607  (runs this repository's own scripts and tools, on loopback)
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from antenna_bench.harness import server_env, sh, start_database, wait_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def locust_run(scenario: str, users: int, seconds: int, host: str, fixture: Path,
               workdir: Path, env: dict[str, str], wait: float = 0.0) -> dict[str, Any]:
    prefix = workdir / f"{scenario}-{users}-{wait}"
    load_before = os.getloadavg()[0]
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",
           "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
           "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
           "--stop-timeout", "5"]
    proc = subprocess.run(cmd, env={**env, "BENCH_FIXTURE": str(fixture),
                                    "BENCH_SCENARIO": scenario, "BENCH_WAIT": str(wait)},
                          text=True, capture_output=True, timeout=seconds + 60)
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"] or 0), "p99_ms": float(row["99%"] or 0),
                "avg_ms": round(float(row["Average Response Time"]), 1),
                "max_ms": float(row["Max Response Time"]),
            }
    failures = []
    fpath = Path(f"{prefix}_failures.csv")
    if fpath.exists():
        with fpath.open(encoding="utf-8") as fh:
            failures = [{"name": r["Name"], "error": r["Error"][:200],
                         "occurrences": int(r["Occurrences"])} for r in csv.DictReader(fh)][:5]
    name = f"{scenario} (each client waits {wait:g} s)" if wait else scenario
    return {"tool": "locust", "scenario": name, "users": users, "seconds": seconds,
            "loadavg_1m_before": round(load_before, 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
            "endpoints": rows, "failures": failures, "exit_code": proc.returncode}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    return round(float(m.group(1)) * _UNITS[m.group(2)], 2) if m else -1.0


def wrk_run(name: str, url: str, token: str, connections: int, seconds: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "--timeout", "10s", "-H", f"Authorization: Bearer {token}",
                          url], text=True, capture_output=True, timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"tool": "wrk", "scenario": f"read_wrk {name}", "users": connections,
            "seconds": seconds, "loadavg_1m_before": round(load_before, 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
            "endpoints": {name: {"requests": int(total.group(1)) if total else 0,
                                 "failures": int(non2xx.group(1)) if non2xx else 0,
                                 "rps": float(rps.group(1)) if rps else 0.0,
                                 "p50_ms": _ms(lat.get("50", "")),
                                 "p99_ms": _ms(lat.get("99", ""))}}}


def floor_ratios(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per number of clients: submits/s, the floor's req/s measured just before, their ratio."""
    rps = {(r["scenario"], r["users"]): r["endpoints"]["Aggregated"]["rps"]
           for r in runs if r["scenario"] in ("floor", "submit")}
    return {str(users): {"submit_rps": rps[("submit", users)], "floor_rps": floor,
                         "ratio": round(rps[("submit", users)] / floor, 3) if floor else 0.0}
            for (scenario, users), floor in rps.items()
            if scenario == "floor" and ("submit", users) in rps}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny: 5 s at 5 clients")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--users", default="50,200")
    ap.add_argument("--organizations", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=30_000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--worker-class", default="sync", help="sync or gthread")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-wrk", action="store_true")
    ap.add_argument("--scenarios", default="",
                    help="only these, comma-separated (e.g. floor,submit); default: all")
    ap.add_argument("--port", type=int, default=int(os.environ.get("BENCH_HTTP_PORT", "18431")))
    ap.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "25442")))
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    # `timeout` (run.sh) sends SIGTERM: leave through the finally below, which stops the
    # servers this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.smoke:
        args.seconds, args.users, args.organizations, args.jobs = 5, "5", 20, 500
    users = [int(u) for u in args.users.split(",")]
    out = Path(args.out or ROOT / "bench/results" / ("load-smoke.json" if args.smoke
                                                     else "load.json"))
    tmp = Path(tempfile.mkdtemp(prefix="antenna-load-"))
    tmp.chmod(0o711)  # the postgres user must reach pg/ inside it (it cannot list the rest)
    pg_dir = tmp / "pg"
    gunicorn: subprocess.Popen[bytes] | None = None
    started_pg = False
    result: dict[str, Any] = {"smoke": args.smoke, "machine": {
        "nproc": os.cpu_count(), "loadavg_start": os.getloadavg()}}
    try:
        started_pg = True  # stop it in any case: a half-started server leaves a pid file
        url, result["machine"]["postgresql"] = start_database(pg_dir, args.pg_port,
                                                              dict(os.environ))
        env = server_env(dict(os.environ), database_url=url, data_dir=tmp,
                         secret="load-bench-not-secret")
        antenna = str(BIN / "antenna")
        # --run-syncdb: the floor's table (an app without migrations, benchmark only).
        sh([antenna, "migrate", "-v0", "--run-syncdb"],
           {**env, "DJANGO_SETTINGS_MODULE": "antenna_bench.floor.settings"})
        seeded = sh([str(BIN / "antenna-bench"), "seed-scale",
                     "--organizations", str(args.organizations), "--jobs", str(args.jobs)], env)
        result["seed"] = seeded.stdout.strip().splitlines()[-1]
        fixture = tmp / "fixture.json"
        result["fixture"] = sh([sys.executable, str(ROOT / "bench/load/prepare.py"),
                                str(fixture), str(max(users))], env).stdout.strip()
        cmd = [str(BIN / "gunicorn"), "antenna_bench.floor.wsgi", "-b", f"127.0.0.1:{args.port}",
               "-w", str(args.workers), "-k", args.worker_class, "--threads", str(args.threads),
               "--backlog", "2048", "--timeout", "60", "--pid", str(tmp / "gunicorn.pid"),
               "--log-level", "warning"]
        result["server"] = " ".join(cmd[1:])
        gunicorn = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                    stderr=open(tmp / "gunicorn.log", "wb"))  # noqa: SIM115
        host = f"http://127.0.0.1:{args.port}"
        wait_http(f"{host}/api/v1/jobs")
        runs = []
        plan = [("read", u, 0.0) for u in users] + \
            [(s, u, 0.0) for u in users for s in ("floor", "submit")] + \
            [("submit_hot", max(users), 0.0)]
        if not args.smoke:  # paced: 200 clients each reading once a second or so
            plan.append(("read", max(users), 2.0))
        if args.scenarios:
            plan = [p for p in plan if p[0] in args.scenarios.split(",")]
        for scenario, n, wait in plan:
            print(f"locust {scenario} at {n} clients (wait {wait} s) for {args.seconds} s",
                  flush=True)
            runs.append(locust_run(scenario, n, args.seconds, host, fixture, tmp, env, wait))
        if not args.no_wrk and not args.scenarios and shutil.which("wrk"):
            fx = json.loads(fixture.read_text())["clients"][0]
            wrk_seconds = max(5, args.seconds // 2)
            for n in users:
                for name, path in (("GET /jobs/{id}", f"/api/v1/jobs/{fx['jobs'][0]}"),
                                   ("GET /jobs?allocation=",
                                    f"/api/v1/jobs?allocation={fx['allocation']}&limit=20")):
                    print(f"wrk {name} at {n} connections for {wrk_seconds} s", flush=True)
                    runs.append(wrk_run(name, host + path, fx["token"], n, wrk_seconds))
        result["runs"] = runs
        result["floor_ratio"] = floor_ratios(runs)
        cpu = sh([sys.executable, str(ROOT / "bench/load/cpu.py"), str(fixture),
                  "--n", "50" if args.smoke else "300"], env)
        result["in_process"] = json.loads(cpu.stdout.strip().splitlines()[-1])
        check = ("import django; django.setup(); import json; "
                 "from antenna_bench.seeding import check_invariants; "
                 "from antenna.jobs.models import Job; "
                 "r = check_invariants(sample=500); r['jobs'] = Job.objects.count(); "
                 "print(json.dumps(r))")
        result["invariants_after"] = json.loads(
            sh([sys.executable, "-c", check], env).stdout.strip().splitlines()[-1])
        result["machine"]["loadavg_end"] = os.getloadavg()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        for run in runs:
            for ep, s in run["endpoints"].items():
                print(f"{run['tool']:6} {run['scenario']:36} {run['users']:4} clients  "
                      f"{ep:24} {s['rps']:8.1f} req/s  p50 {s['p50_ms']:7.1f} ms  "
                      f"p99 {s['p99_ms']:7.1f} ms  failures {s['failures']}")
        for users_, r in result["floor_ratio"].items():
            print(f"{users_} clients: submits {r['submit_rps']}/s, floor {r['floor_rps']}/s, "
                  f"ratio {r['ratio']}")
        ip = result["in_process"]
        print(f"in-process CPU per request: submit {ip['submit']['cpu_ms']} ms "
              f"({ip['submit']['queries']} queries), floor {ip['floor']['cpu_ms']} ms "
              f"({ip['floor']['queries']} queries), a list of 100 jobs "
              f"{ip['list_100']['cpu_ms']} ms ({ip['list_100']['queries']} queries)")
        print(f"invariants after: {result['invariants_after']}")
        print(f"wrote {out}")
        return 0
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if started_pg:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", str(pg_dir)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
