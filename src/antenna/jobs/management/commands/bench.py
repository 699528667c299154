"""antenna bench placement: the placement-quality benchmark (issue #5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.bench.placement_benchmark import (
    default_traces_dir,
    format_table,
    parse_factories,
    run_benchmark,
    write_json,
)
from antenna.bench.policies import POLICY_NAMES
from antenna.bench.traces import FORMATS

REPO_ROOT = Path(__file__).resolve().parents[5]


class Command(BaseCommand):
    help = ("Benchmarks. `antenna bench placement --trace PATH`: replay a real job trace on "
            "simulated factories (EASY backfilling) under each placement policy and compare "
            "waits, bounded slowdown, utilisation and fairness.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        placement = sub.add_parser("placement", help="placement quality on a real trace")
        placement.add_argument(
            "--trace", type=Path, default=default_traces_dir(REPO_ROOT) / "philly-2017.csv",
            help="trace file (default: ../shared/traces/philly-2017.csv beside the repo)")
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
                               help="comma-separated subset of " + ",".join(POLICY_NAMES))
        placement.add_argument("--json", type=Path, default=None, help="write results here")
        placement.add_argument("--plot", type=Path, default=None, help="write a PNG here")

    def handle(self, *args: Any, **options: Any) -> None:
        trace: Path = options["trace"]
        if not trace.is_file():
            raise CommandError(f"no trace at {trace}")
        policies = [name.strip() for name in options["policies"].split(",") if name.strip()]
        unknown = sorted(set(policies) - set(POLICY_NAMES))
        if unknown:
            raise CommandError(f"unknown policies {unknown}; use {', '.join(POLICY_NAMES)}")
        try:
            factories = parse_factories(options["factories"]) if options["factories"] else None
            result = run_benchmark(
                trace, fmt=options["format"], factories=factories, jobs=options["jobs"],
                load_scale=options["load_scale"], seed=options["seed"],
                cores_per_gpu=options["cores_per_gpu"], policies=policies)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(format_table(result))
        if options["json"]:
            write_json(result, options["json"])
            self.stdout.write(f"wrote {options['json']}")
        if options["plot"]:
            from antenna.bench.plots import write_plot

            write_plot(result, options["plot"])
            self.stdout.write(f"wrote {options['plot']}")
