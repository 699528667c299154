"""Belgian working-day arithmetic (Monday to Friday minus Belgian public holidays, from the
`holidays` package): decision deadlines, review due dates, expertise targets and the
time-to-access KPIs all count the same days."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` Belgian working days after `start`, at the same time of day: weekends
    and Belgian public holidays (`is_working_day`) are skipped. An aware `start` counts by its
    Brussels day (the portal's time zone), so 23:30 on a Friday stays a Friday."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(_local_date(current)):
            remaining -= 1
    return current


def _local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        return moment.date()
    from django.utils import timezone

    return timezone.localtime(moment).date()


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


@lru_cache(maxsize=64)
def belgian_holidays(year: int) -> tuple[dt.date, ...]:
    """Belgium's national public holidays of `year` (holidays.BE), sorted."""
    import holidays  # imported on first use: every process loads this module at start-up

    return tuple(sorted(holidays.country_holidays("BE", years=year)))


def _holidays_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [d for year in range(first.year, last.year + 1) for d in belgian_holidays(year)]


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Belgian public holiday."""
    return day.weekday() < 5 and day not in belgian_holidays(day.year)


def working_days_between(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """Belgian working days after `start`'s day up to and including `end`'s day: submitted on a
    Friday and decided the next Monday is 1; the same day is 0; `end` before `start` is 0.
    Datetimes count by their calendar day (convert aware ones to local time first)."""
    first = start.date() if isinstance(start, dt.datetime) else start
    last = end.date() if isinstance(end, dt.datetime) else end
    if last <= first:
        return 0
    import numpy as np  # on first use, like holidays: not on every process's start-up path

    begin = first + dt.timedelta(days=1)
    stop = last + dt.timedelta(days=1)
    return int(np.busday_count(begin, stop, holidays=_holidays_between(begin, last)))


def working_days_between_many(pairs: list[tuple[dt.date, dt.date]]) -> list[int]:
    """`working_days_between` of many (start day, end day) pairs in one vectorised call (the
    KPIs count thousands of proposals): the same answers, pair by pair."""
    if not pairs:
        return []
    import numpy as np

    # day numbers from ordinals (numpy converts ints far faster than date objects)
    epoch = dt.date(1970, 1, 1).toordinal() - 1  # the day after each day, as datetime64[D]
    begins = np.fromiter((a.toordinal() for a, _ in pairs), dtype=np.int64,
                         count=len(pairs)) - epoch
    stops = np.fromiter((b.toordinal() for _, b in pairs), dtype=np.int64,
                        count=len(pairs)) - epoch
    begins, stops = begins.astype("datetime64[D]"), stops.astype("datetime64[D]")
    first = min(a for a, _ in pairs)
    last = max(b for _, b in pairs)
    counts = np.busday_count(begins, np.maximum(stops, begins),
                             holidays=_holidays_between(first, max(first, last)))
    return [int(c) for c in counts]
