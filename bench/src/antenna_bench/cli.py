"""`antenna-bench`: the benchmarks' command line.

    antenna-bench placement [--trace PATH] [--format F] [--factories SPEC] [--jobs N]
                            [--load-scale X] [--seed S] [--cores-per-gpu C]
                            [--policies P,...] [--json FILE] [--plot FILE]
    antenna-bench seed-scale [--organizations N] [--jobs M] [--json FILE] [--check]

`placement` is plain Python; `seed-scale` sets Django up (DJANGO_SETTINGS_MODULE, default
antenna.config.settings) and writes into the database Antenna's settings point at.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from antenna_bench.placement_benchmark import (
    DEFAULT_TRACE,
    format_table,
    parse_factories,
    run_benchmark,
    write_json,
)
from antenna_bench.policies import ALL_POLICY_NAMES, POLICY_NAMES
from antenna_bench.simulator import BACKFILL_ON
from antenna_bench.traces import FORMATS


class BenchError(Exception):
    """A benchmark that cannot run as asked: the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antenna-bench", description="Antenna's benchmarks.")
    sub = parser.add_subparsers(dest="benchmark", required=True)
    placement = sub.add_parser(
        "placement", help="placement quality on a real trace",
        description="Replay a real job trace on simulated factories (EASY backfilling) under "
                    "each placement policy and compare waits, bounded slowdown, utilisation "
                    "and fairness.")
    placement.add_argument(
        "--trace", type=Path, default=DEFAULT_TRACE,
        help="trace file (default: bench/traces/philly-2017.csv.gz in the repository)")
    placement.add_argument("--format", choices=FORMATS, default=None,
                           help="trace format (default: from the name or header)")
    placement.add_argument("--factories", default=None,
                           help="NAME:GPUS[:GPUS_PER_NODE],... (default: sized to the "
                                "trace, jupiter:lumi:sandbox as 512:384:32)")
    placement.add_argument("--jobs", type=int, default=None,
                           help="replay only the first N jobs (by submit time)")
    placement.add_argument("--load-scale", type=float, default=1.0,
                           help="compress inter-arrival times by X (X > 1: more load)")
    placement.add_argument("--seed", type=int, default=0,
                           help="seed of derived walltimes and the random policy")
    placement.add_argument("--cores-per-gpu", type=int, default=1,
                           help="SWF (CPU) logs: processors per GPU (default 1)")
    placement.add_argument("--policies", default=",".join(POLICY_NAMES),
                           help="comma-separated subset of " + ",".join(ALL_POLICY_NAMES))
    placement.add_argument("--backfill-on", choices=BACKFILL_ON, default="requested",
                           help="what the simulated factories' backfilling reserves on: "
                                "requested walltimes (Slurm, default) or run-time "
                                "predictions (EASY++)")
    placement.add_argument("--json", type=Path, default=None, help="write results here")
    placement.add_argument("--plot", type=Path, default=None, help="write a PNG here")

    seed = sub.add_parser(
        "seed-scale", help="a production-sized database for benchmarks",
        description="Seed N organisations (members, proposals, allocations) and M jobs with "
                    "their ledger entries, fast (COPY on PostgreSQL). Use an empty database: "
                    "for benchmarks only, never on a production database.")
    seed.add_argument("--organizations", type=int, default=10_000)
    seed.add_argument("--jobs", type=int, default=1_000_000)
    seed.add_argument("--json", default="", help="Write the seeding report to this file.")
    seed.add_argument("--check", action="store_true",
                      help="Then check the ledger of a sample of allocations.")
    return parser


def placement(args: argparse.Namespace, out: TextIO) -> None:
    trace: Path = args.trace
    if not trace.is_file():
        raise BenchError(f"no trace at {trace}")
    policies = [name.strip() for name in args.policies.split(",") if name.strip()]
    unknown = sorted(set(policies) - set(ALL_POLICY_NAMES))
    if unknown:
        raise BenchError(f"unknown policies {unknown}; use {', '.join(ALL_POLICY_NAMES)}")
    try:
        factories = parse_factories(args.factories) if args.factories else None
        result = run_benchmark(
            trace, fmt=args.format, factories=factories, jobs=args.jobs,
            load_scale=args.load_scale, seed=args.seed, cores_per_gpu=args.cores_per_gpu,
            policies=policies, backfill_on=args.backfill_on)
    except ValueError as error:
        raise BenchError(str(error)) from error
    print(format_table(result), file=out)
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}", file=out)
    if args.plot:
        from antenna_bench.plots import write_plot

        write_plot(result, args.plot)
        print(f"wrote {args.plot}", file=out)


def seed_scale(args: argparse.Namespace, out: TextIO) -> None:
    from antenna_bench.django_env import setup_django

    setup_django()
    from antenna_bench.seeding import check_invariants
    from antenna_bench.seeding import seed_scale as seed

    try:
        report = seed(organizations=args.organizations, jobs=args.jobs,
                      log=lambda line: print(line, file=out))
    except ValueError as exc:
        raise BenchError(str(exc)) from exc
    result = report.as_dict()
    if args.check:
        result["invariants"] = check_invariants()
        print(f"invariants: {result['invariants']}", file=out)
        if result["invariants"]["unbalanced"] or result["invariants"]["over_committed"]:
            raise BenchError("The seeded ledger does not balance.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2, default=str)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = placement if args.benchmark == "placement" else seed_scale
    try:
        run(args, out or sys.stdout)
    except BenchError as error:
        print(f"antenna-bench {args.benchmark}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
