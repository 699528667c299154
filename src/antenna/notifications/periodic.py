"""The worker's notification step: the periodic scans, then the e-mail outbox.

Apps register their scans in `AppConfig.ready()` with `register`: each scan finds one kind of
time-based notice (a review due, an allocation ending, ...) in one query and sends it with an
`occasion`, so running it again is harmless. This app knows none of them: the apps above it
register themselves (docs/architecture.md, layers).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from antenna.notifications.outbox import OutboxReport, outbox_send

log = logging.getLogger("antenna.notifications")

Scan = Callable[[dt.datetime], int]
_SCANS: dict[str, Scan] = {}


def register(name: str, scan: Scan) -> None:
    """Add a scan: `scan(now)` sends the notices due at `now` and returns how many."""
    _SCANS[name] = scan


def registered() -> dict[str, Scan]:
    return dict(_SCANS)


@dataclass
class StepReport:
    found: dict[str, int] = field(default_factory=dict)
    outbox: OutboxReport | None = None


def notices_scan(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every registered scan; a failing scan is logged and does not stop the others."""
    now = now or timezone.now()
    found: dict[str, int] = {}
    for name, scan in sorted(_SCANS.items()):
        try:
            found[name] = scan(now)
        except Exception:
            log.exception("notification scan %s failed", name)
    return found


def notifications_step(*, now: dt.datetime | None = None, scan: bool = True) -> StepReport:
    """What the worker runs: the scans (when `scan`), then the outbox."""
    now = now or timezone.now()
    report = StepReport()
    if scan:
        report.found = notices_scan(now)
    report.outbox = outbox_send(now=now)
    return report
