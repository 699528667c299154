"""antenna worker: the reconciliation loop that runs the jobs."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from antenna.allocations.services import allocations_expire_due
from antenna.connectors.registry import connector_scope
from antenna.jobs.dispatch import run_cycle
from antenna.jobs.wakeup import WakeListener
from antenna.notifications.periodic import notifications_step

log = logging.getLogger("antenna.worker")


class Command(BaseCommand):
    help = ("Run the worker: dispatch queued jobs to factories, poll each factory in bulk, "
            "cancel, settle GPU-hours, retry with back-off; find the time-based notices "
            "(every 5 minutes) and send the e-mail outbox. On PostgreSQL a new job wakes it "
            "at once (LISTEN/NOTIFY); on SQLite it polls every interval. Safe to run several "
            "at once on PostgreSQL, and to kill and restart at any point.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0,
                            help="Seconds between cycles (default 2); on PostgreSQL a new "
                                 "job starts a cycle at once.")
        parser.add_argument("--once", action="store_true", help="Run one cycle and exit.")
        parser.add_argument("--cycles", type=int, default=0,
                            help="Stop after this many cycles (0: run until stopped).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def _stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        if threading.current_thread() is threading.main_thread():  # (tests run it in one)
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        cycles = 1 if options["once"] else options["cycles"]
        listener = WakeListener()
        listener.listen()
        try:
            # One connector per factory for the worker's life: keep-alive HTTP sessions.
            with connector_scope():
                self._loop(options["interval"], cycles, listener, lambda: stopping)
        finally:
            listener.close()

    def _loop(self, interval: float, cycles: int, listener: WakeListener,
              stopping: Callable[[], bool]) -> None:
        done = 0
        last_expiry = 0.0
        last_scan = -1e9
        while not stopping():
            close_old_connections()
            try:
                if time.monotonic() - last_expiry > 300:
                    allocations_expire_due()
                    last_expiry = time.monotonic()
                report = run_cycle()
                if report.dispatched or report.updated or report.settled or report.rejected:
                    log.info("cycle: dispatched=%s updated=%s settled=%s rejected=%s "
                             "cancelled=%s", report.dispatched, report.updated, report.settled,
                             report.rejected, report.cancelled)
            except Exception:
                log.exception("worker cycle failed; retrying next cycle")
            try:
                scan = time.monotonic() - last_scan > 300
                step = notifications_step(scan=scan)
                if scan:
                    last_scan = time.monotonic()
                mail = step.outbox
                if mail and (mail.sent or mail.retried or mail.failed):
                    log.info("mail: sent=%s retried=%s failed=%s", mail.sent, mail.retried,
                             mail.failed)
            except Exception:
                log.exception("notification step failed; retrying next cycle")
            done += 1
            if cycles and done >= cycles:
                break
            listener.wait(interval)  # a queued job (PostgreSQL NOTIFY) ends it at once
