"""antenna seed_scale --organizations N --jobs M: a production-sized database for benchmarks."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.bench.scale import check_invariants, seed_scale


class Command(BaseCommand):
    help = ("Seed N organisations (members, proposals, allocations) and M jobs with their "
            "ledger entries, fast (COPY on PostgreSQL). Use an empty database: for benchmarks "
            "only, never on a production database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organizations", type=int, default=10_000)
        parser.add_argument("--jobs", type=int, default=1_000_000)
        parser.add_argument("--json", default="", help="Write the seeding report to this file.")
        parser.add_argument("--check", action="store_true",
                            help="Then check the ledger of a sample of allocations.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = seed_scale(organizations=options["organizations"], jobs=options["jobs"],
                                log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = report.as_dict()
        if options["check"]:
            result["invariants"] = check_invariants()
            self.stdout.write(f"invariants: {result['invariants']}")
            if result["invariants"]["unbalanced"] or result["invariants"]["over_committed"]:
                raise CommandError("The seeded ledger does not balance.")
        if options["json"]:
            with open(options["json"], "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=2, default=str)
