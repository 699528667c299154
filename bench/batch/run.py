"""Batched submits (issue #13): jobs accepted per second through POST /api/v1/jobs/batch.

    python bench/batch/run.py [--database-url URL] [--batches N] [--jobs M] [--out FILE]

Without --database-url it uses a fresh SQLite file in a temporary directory. It migrates the
database, makes one organisation with a large allocation and an API token, then posts
`--batches` batches of `--jobs` jobs (default 10 x 1000) in-process (Django's test client:
the whole request path -- token, JSON parsing and validation, the service, the response --
without an HTTP server), and reports jobs/s per batch (median, min, max), the queries of one
batch, and checks that the ledger balances. Writes JSON to bench/results/batch-<vendor>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from antenna_bench.django_env import migrated_database

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    migrated_database(args.database_url, prefix="antenna-batch-bench-")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from antenna import testing
    from antenna.accounts.services import token_create
    from antenna.allocations.models import Allocation
    from antenna.allocations.selectors import ledger_balances
    from antenna.jobs.models import Job
    from antenna.proposals.services import proposal_submit

    operator = testing.make_operator()
    factory = testing.make_factory("bench-batch", gpus_per_node=4, max_nodes=1)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    hours = args.batches * args.jobs  # 1 GPU x 6 min per job: a tenth of it
    proposal = testing.make_proposal(owner, call, org, requested_gpu_hours=max(
        1, min(hours // 10 + 1, 5000)))
    with contextlib.redirect_stdout(io.StringIO()):  # the console e-mail backend's output
        proposal_submit(proposal=proposal, by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    _, key = token_create(user=owner, name="batch bench")
    client = Client()
    headers = {"Authorization": f"Bearer {key}"}
    body = json.dumps({"allocation": allocation.pk, "jobs": [
        {"name": f"sweep-{i}", "script": "#!/bin/bash\npython train.py --seed $SEED\n",
         "gpus": 1, "walltime_minutes": 6} for i in range(args.jobs)]})
    rates: list[float] = []
    queries = 0
    for n in range(args.batches):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            resp = client.post("/api/v1/jobs/batch", data=body,
                               content_type="application/json", headers=headers, secure=True)
            seconds = time.perf_counter() - started
        if resp.status_code != 201:
            sys.exit(f"batch {n}: {resp.status_code} {resp.content[:300]!r}")
        queries = len(ctx)
        rates.append(args.jobs / seconds)
    allocation.refresh_from_db()
    stored = Job.objects.filter(allocation=allocation).count()
    result = {
        "database": connection.vendor,
        "jobs_per_batch": args.jobs,
        "batches": args.batches,
        "jobs_per_second": {"median": round(statistics.median(rates)),
                            "min": round(min(rates)), "max": round(max(rates))},
        "queries_per_batch": queries,
        "jobs_stored": stored,
        "ledger_balanced": ledger_balances(allocation),
        "load_average_1min": os.getloadavg()[0],
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if stored != args.batches * args.jobs or not result["ledger_balanced"]:
        sys.exit(f"wrong result: {result}")
    out = Path(args.out) if args.out else ROOT / "bench/results" / f"batch-{connection.vendor}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
