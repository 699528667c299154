"""The PostgreSQL-restart fault test's other process: it sets up and reads the throw-away
database that the test restarts (test_slurm_faults.py), as a separate Django process.

    python -m antenna.jobs.tests.pg_restart_driver setup JSON   -> {"jobs": [ids], ...}
    python -m antenna.jobs.tests.pg_restart_driver status IDS   -> the jobs and the ledger

Settings come from the environment (DJANGO_SETTINGS_MODULE, ANTENNA_DATABASE_URL).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def setup(config: dict[str, Any]) -> dict[str, Any]:
    from antenna import testing
    from antenna.allocations.models import Allocation
    from antenna.factories.services import factory_register
    from antenna.jobs.services import job_submit
    from antenna.proposals.services import proposal_submit

    operator = testing.make_operator()
    factory = factory_register(
        name="lumi", connector="slurmrest", display_name="LUMI",
        connector_settings=config["connector_settings"],
        partition={"name": config["partition"], "gpu_model": "mi250x", "gpus_per_node": 8,
                   "total_nodes": 1, "max_nodes_per_job": 1, "max_walltime_minutes": 120,
                   "is_default": True},
        gpu_hour_factor="0.5", by=operator)
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    org = testing.make_org(owner)
    proposal = proposal_submit(proposal=testing.make_proposal(owner, call, org, factory=factory),
                               by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    jobs = [job_submit(by=owner, allocation=allocation, name=f"pg {n}",
                       script=f"#!/bin/bash\nsleep 2\necho done {n}\n", gpus=1,
                       walltime_minutes=5).pk for n in range(config["jobs"])]
    return {"allocation": allocation.pk, "jobs": jobs}


def status(ids: list[int]) -> dict[str, Any]:
    from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
    from antenna.allocations.selectors import ledger_balances
    from antenna.jobs.models import Job

    jobs = list(Job.objects.filter(pk__in=ids).order_by("pk"))
    allocations = Allocation.objects.filter(pk__in={j.allocation_id for j in jobs})
    return {
        "jobs": [{"id": j.pk, "state": j.state, "scheduler_job_id": j.scheduler_job_id,
                  "settled": j.settled_at is not None, "provisional": j.charge_provisional,
                  "charged": j.gpu_seconds_charged, "reserved": j.gpu_seconds_reserved,
                  "elapsed": j.elapsed_seconds,
                  "settles": LedgerEntry.objects.filter(reference=f"job:{j.pk}",
                                                        kind=LedgerKind.SETTLE).count()}
                 for j in jobs],
        "allocations": [{"id": a.pk, "reserved": a.reserved_gpu_seconds,
                         "used": a.used_gpu_seconds, "balanced": bool(ledger_balances(a))}
                        for a in allocations],
    }


def main() -> None:
    import django

    django.setup()
    command, argument = sys.argv[1], json.loads(sys.argv[2])
    result = setup(argument) if command == "setup" else status(argument)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
