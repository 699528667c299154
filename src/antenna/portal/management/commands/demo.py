"""antenna demo: migrate, seed the demo data and serve the portal on 127.0.0.1:8000."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from antenna.portal.management.commands.seed_demo import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = "Migrate, load the demo data, print the demo logins and serve the portal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000",
                            help="Where to serve (default 127.0.0.1:8000).")
        parser.add_argument("--no-serve", action="store_true",
                            help="Prepare the database and stop (for scripts and tests).")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, _first, _last in USERS:
            self.stdout.write(f"  {username:<18} {role or 'applicant'}")
        url = f"http://{options['addrport']}/"
        self.stdout.write(f"\nPortal: {url}   API docs: {url}api/v1/docs\n")
        if options["no_serve"]:
            return
        # The worker runs the jobs submitted in the demo on the simulated local factories.
        worker = subprocess.Popen([sys.executable, "-m", "antenna.manage", "worker"])
        self.stdout.write(f"Worker started (pid {worker.pid}).")
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
