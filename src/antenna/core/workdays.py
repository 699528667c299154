"""Working-day arithmetic for decision targets (Monday to Friday; no holiday calendar)."""

from __future__ import annotations

import datetime as dt


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` working days after `start` (weekends skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")
