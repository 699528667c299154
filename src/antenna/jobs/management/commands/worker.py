"""antenna worker: the reconciliation loop that runs the jobs."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from antenna.allocations.services import allocations_expire_due
from antenna.connectors.registry import connector_scope
from antenna.jobs.dispatch import run_accounting_cycle, run_cycle, run_dispatch_cycle
from antenna.jobs.wakeup import WakeListener
from antenna.notifications.periodic import notifications_step

log = logging.getLogger("antenna.worker")


class Command(BaseCommand):
    help = ("Run the worker: dispatch queued jobs to factories, poll each factory in bulk, "
            "cancel, retry with back-off (the fast lane); settle GPU-hours from accounting, "
            "find the time-based notices (every 5 minutes) and send the e-mail outbox (the "
            "slow lane, a thread of its own). On PostgreSQL a new job wakes it "
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
        """Until stopped: the fast lane here, the slow lane in a thread of its own; with
        `cycles` (--once, --cycles), that many whole cycles, one after the other."""
        if cycles:
            self._cycles(interval, cycles, listener)
            return
        lane = threading.Thread(target=self._accounting_lane, args=(interval, stopping),
                                name="accounting-lane", daemon=True)
        lane.start()
        try:
            while not stopping():
                close_old_connections()
                try:
                    report = run_dispatch_cycle()
                    if report.dispatched or report.updated or report.rejected \
                            or report.cancelled:
                        log.info("cycle: dispatched=%s updated=%s rejected=%s cancelled=%s",
                                 report.dispatched, report.updated, report.rejected,
                                 report.cancelled)
                except Exception:
                    log.exception("worker cycle failed; retrying next cycle")
                if not lane.is_alive() and not stopping():
                    raise CommandError("the worker's accounting lane stopped")
                listener.wait(interval)  # a queued job (PostgreSQL NOTIFY) ends it at once
        finally:
            lane.join(timeout=120)

    def _accounting_lane(self, interval: float, stopping: Callable[[], bool]) -> None:
        """The slow lane: settling from accounting, usage outside the gateway, probes,
        allocation expiry, notices and mail; its own database connection and connectors."""
        last_expiry = 0.0
        last_scan = -1e9
        try:
            with connector_scope():
                while not stopping():
                    close_old_connections()
                    try:
                        if time.monotonic() - last_expiry > 300:
                            allocations_expire_due()
                            last_expiry = time.monotonic()
                        report = run_accounting_cycle()
                        if report.settled:
                            log.info("accounting: settled=%s", report.settled)
                    except Exception:
                        log.exception("accounting cycle failed; retrying next cycle")
                    last_scan = self._notifications(last_scan)
                    deadline = time.monotonic() + interval
                    while not stopping() and time.monotonic() < deadline:
                        time.sleep(min(0.1, interval))
        finally:
            connections.close_all()

    def _notifications(self, last_scan: float) -> float:
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
        return last_scan

    def _cycles(self, interval: float, cycles: int, listener: WakeListener) -> None:
        last_scan = -1e9
        for done in range(cycles):
            close_old_connections()
            try:
                if done == 0:
                    allocations_expire_due()
                report = run_cycle()
                if report.dispatched or report.updated or report.settled or report.rejected:
                    log.info("cycle: dispatched=%s updated=%s settled=%s rejected=%s "
                             "cancelled=%s", report.dispatched, report.updated, report.settled,
                             report.rejected, report.cancelled)
            except Exception:
                log.exception("worker cycle failed; retrying next cycle")
            last_scan = self._notifications(last_scan)
            if done + 1 < cycles:
                listener.wait(interval)
