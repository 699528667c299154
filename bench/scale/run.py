"""Scale benchmark (issue #5): seed a big database, check it, time pages and KPI selectors.

    python bench/scale/run.py [--smoke] [--organizations N] [--jobs M] [--runs R]
                              [--database-url URL --no-seed] [--out FILE]

Without --database-url it starts a throw-away PostgreSQL (scripts/postgres.sh, temp dir,
loopback) and stops it at the end. Writes JSON to bench/results/ (scale.json, or
scale-smoke.json). Timings are medians of warm runs, in-process (Django test client), with
the query count and the slowest query of each.
"""

# ruff: noqa: S603  (runs this repository's own scripts and tools, on loopback)
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def machine() -> dict[str, object]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    except OSError:
        mem = "?"
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_kb": mem,
            "python": platform.python_version(), "loadavg_start": os.getloadavg()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="50 organisations, 2,000 jobs")
    ap.add_argument("--organizations", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--no-seed", action="store_true", help="time an already seeded database")
    ap.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "25441")))
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    # `timeout` (run.sh) sends SIGTERM: leave through the finally below, which stops the
    # servers this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.smoke:
        args.organizations, args.jobs, args.runs = 50, 2_000, 3
    out = Path(args.out or ROOT / "bench" / "results" /
               ("scale-smoke.json" if args.smoke else "scale.json"))
    pg_dir = ""
    url = args.database_url
    try:
        if not url:
            pg_dir = tempfile.mkdtemp(prefix="antenna-scale-")
            started = subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", pg_dir,
                                      str(args.port)], check=True, capture_output=True,
                                     text=True)
            url = started.stdout.strip().splitlines()[-1]
            import psycopg

            base, _, name = url.rpartition("/")
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ.update({"ANTENNA_DATABASE_URL": url, "ANTENNA_HTTPS": "0",
                           "ANTENNA_DEBUG": "0", "ANTENNA_SECRET_KEY": "scale-bench",
                           "DJANGO_SETTINGS_MODULE": "antenna.config.settings",
                           "ANTENNA_LOG_LEVEL": "WARNING"})
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from antenna_bench import page_timer, seeding

        result: dict[str, object] = {"machine": machine(), "smoke": args.smoke}
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            result["machine"]["postgresql"] = cur.fetchone()[0]  # type: ignore[index]
        report = None
        if not args.no_seed:
            t = time.perf_counter()
            call_command("migrate", verbosity=0)
            result["migrate_seconds"] = round(time.perf_counter() - t, 1)
            report = seeding.seed_scale(organizations=args.organizations, jobs=args.jobs,
                                      log=lambda s: print(s, flush=True))
            result["seed"] = report.as_dict()
            result["invariants"] = seeding.check_invariants()
        timings = page_timer.time_pages(runs=args.runs, report=report,
                                        log=lambda s: print(s, flush=True))
        result["timings"] = [t.as_dict() for t in timings]
        result["target_ms"] = 300
        result["missed"] = [t.name for t in timings if t.median_ms > 300]
        result["machine"]["loadavg_end"] = os.getloadavg()  # type: ignore[index]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str))
        print(f"wrote {out}")
        return 0
    finally:
        if pg_dir:
            if "DJANGO_SETTINGS_MODULE" in os.environ:
                from django.db import connections

                connections.close_all()
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", pg_dir], check=False)
            shutil.rmtree(pg_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
