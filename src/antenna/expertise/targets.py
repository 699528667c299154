"""Response targets of the expertise desk, in Belgian working days (Monday to Friday, without
Belgium's public holidays from the `holidays` package)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

FIRST_RESPONSE_WORKING_DAYS = 2


@lru_cache(maxsize=64)
def _belgian_public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_belgian_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Belgian public holiday."""
    return day.weekday() < 5 and day not in _belgian_public_holidays(day.year)


def add_belgian_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` Belgian working days after `start`, at the same time of day."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_belgian_working_day(current.date()):
            remaining -= 1
    return current


def first_response_due(created_at: dt.datetime) -> dt.datetime:
    """When the first answer of an expert is due: 2 Belgian working days after the request."""
    return add_belgian_working_days(created_at, FIRST_RESPONSE_WORKING_DAYS)
