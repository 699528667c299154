"""Waking the worker when a job is queued: PostgreSQL's LISTEN/NOTIFY.

The services that queue jobs call `jobs_wake_worker()` inside their transaction; PostgreSQL
delivers the NOTIFY when (and only if) that transaction commits. The worker waits between
cycles on `WakeListener.wait(interval)`, which returns at once on a notification, so a new
job reaches its factory without waiting for the poll interval. On SQLite there is no
notification: the worker sleeps the interval and polls, as before.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from django.db import connection

log = logging.getLogger("antenna.worker")

CHANNEL = "antenna_jobs"


def jobs_wake_worker() -> None:
    """Tell the worker a job was queued, when the current transaction commits (PostgreSQL;
    elsewhere nothing: the worker polls). Several in one transaction are delivered once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class WakeListener:
    """The worker's own database connection, LISTENing on CHANNEL (PostgreSQL only). A lost
    connection (the database restarted) is opened again at the next wait; until then, and
    on other databases, waiting is sleeping."""

    def __init__(self) -> None:
        self.listens = connection.vendor == "postgresql"
        self._conn: Any = None

    def _connect(self) -> Any:
        if self._conn is None:
            conn = connection.get_new_connection(connection.get_connection_params())
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        return self._conn

    def listen(self) -> None:
        """Start listening now (before the first cycle), so no job queued from then on is
        missed; a failure here is retried at the next wait."""
        if self.listens:
            try:
                self._connect()
            except Exception as exc:
                log.warning("worker: cannot LISTEN (%s); polling until it can", exc)
                self.close()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when a job was queued meanwhile (or before,
        since the last wait: notifications wait in the connection)."""
        if not self.listens:
            time.sleep(timeout)
            return False
        deadline = time.monotonic() + timeout
        try:
            conn = self._connect()
            woke = any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
            if woke:  # the others queued meanwhile are served by the same cycle
                for _ in conn.notifies(timeout=0):
                    pass
            return woke
        except Exception as exc:  # a lost connection: sleep, reconnect next time
            log.warning("worker: LISTEN connection lost (%s); polling until it is back", exc)
            self.close()
            time.sleep(max(0.0, deadline - time.monotonic()))
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._conn.close()
            self._conn = None
