"""The worker's dispatch rate (issue #13): queued jobs placed, submitted and recorded per
second by `dispatch_queued`, against factories that answer at once.

    python bench/dispatch/run.py [--database-url URL] [--jobs N] [--profile FILE] [--out FILE]

Without --database-url it uses a fresh SQLite file in a temporary directory. It migrates
the database, makes two factories (8 partitions' worth of GPUs each) whose connector takes
every job at once (no HTTP: what is measured is Antenna's own work per job: leasing,
placement, the placement and submitted writes with their audit events and ledger entries),
one pooled allocation over both, stores `--jobs` queued jobs with the batch service, then
times one `dispatch_queued()` over all of them in-process. It checks that every job was
submitted exactly once and that the ledger balances, and reports jobs/s and queries per job.
`--profile FILE` writes a cProfile of the dispatch. Writes JSON to
bench/results/dispatch-<vendor>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

from antenna_bench.django_env import migrated_database

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--profile", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    migrated_database(args.database_url, prefix="antenna-dispatch-bench-")
    from django.conf import settings
    from django.db import connection

    from antenna import testing
    from antenna.allocations.models import Allocation
    from antenna.allocations.selectors import ledger_balances
    from antenna.connectors.base import JobSpec
    from antenna.connectors.registry import connector_kinds, register_connector
    from antenna.factories.models import Factory
    from antenna.jobs import dispatch
    from antenna.jobs.models import Job
    from antenna.jobs.services import JobDraft, jobs_submit_batch
    from antenna.jobs.states import JobState
    from antenna.proposals.services import proposal_submit

    class Instant(testing.NullConnector):
        """A factory that takes every job at once and counts each submit."""

        submits: ClassVar[Counter[int]] = Counter()

        def _submit(self, spec: JobSpec) -> str:
            type(self).submits[spec.antenna_job_id] += 1
            return f"i{spec.antenna_job_id}"

    connector_kinds()
    register_connector("instant", Instant)
    operator = testing.make_operator()
    factories = [testing.make_factory(name, gpus_per_node=8, max_nodes=4)
                 for name in ("bench-a", "bench-b")]
    Factory.objects.update(connector="instant")
    call = testing.make_call("playground", factories=factories, by=operator)
    owner = testing.make_user()
    proposal = testing.make_proposal(owner, call, testing.make_org(owner),
                                     requested_gpu_hours=min(5000, args.jobs))
    with contextlib.redirect_stdout(io.StringIO()):  # the console e-mail backend's output
        proposal_submit(proposal=proposal, by=owner)
    # Playground binds an allocation to one factory; pooled, placement chooses for each job.
    Allocation.objects.filter(proposal=proposal).update(factory=None)
    allocation = Allocation.objects.get(proposal=proposal)
    left = args.jobs
    while left:
        size = min(1000, left)
        jobs_submit_batch(by=owner, allocation=allocation, drafts=[
            JobDraft(name=f"sweep-{i}", script="#!/bin/bash\npython train.py\n", gpus=1 + i % 4,
                     walltime_minutes=10) for i in range(size)])
        left -= size

    profiler = cProfile.Profile() if args.profile else None
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = dispatch.dispatch_queued()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(args.profile)
    allocation.refresh_from_db()
    submitted = Job.objects.filter(state=JobState.SUBMITTED).count()
    result = {
        "database": connection.vendor,
        "jobs": args.jobs,
        "seconds": round(seconds, 3),
        "jobs_per_second": round(args.jobs / seconds, 1),
        "queries_per_job": round(queries / args.jobs, 2),
        "dispatched": report.dispatched,
        "errors": report.errors[:5],
        "each_job_submitted_once": set(Instant.submits.values()) == {1}
        and len(Instant.submits) == args.jobs,
        "jobs_submitted": submitted,
        "ledger_balanced": ledger_balances(allocation),
        "dispatch_batch": settings.ANTENNA_DISPATCH_BATCH,
        "dispatch_parallel": settings.ANTENNA_DISPATCH_PARALLEL,
        "load_average_1min": os.getloadavg()[0],
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if submitted != args.jobs or not result["ledger_balanced"] \
            or not result["each_job_submitted_once"]:
        sys.exit(f"wrong result: {result}")
    out = (Path(args.out) if args.out
           else ROOT / "bench/results" / f"dispatch-{connection.vendor}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
