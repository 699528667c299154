"""Belgian working days (holidays from the `holidays` package) for the time-to-access KPIs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from antenna.core.workdays import belgian_holidays, is_working_day, working_days_between

D = dt.date


def test_friday_to_monday_is_one_working_day():
    assert working_days_between(D(2026, 7, 17), D(2026, 7, 20)) == 1


def test_belgian_national_day_is_not_a_working_day():
    assert D(2026, 7, 21) in belgian_holidays(2026)
    assert not is_working_day(D(2026, 7, 21))  # a Tuesday
    assert is_working_day(D(2026, 7, 22))
    assert working_days_between(D(2026, 7, 20), D(2026, 7, 22)) == 1


def test_weekends_and_the_new_year_are_skipped_across_years():
    # Thu 24 Dec 2026 -> Mon 4 Jan 2027: Christmas (Fri) and New Year (Fri) are holidays,
    # 28-31 Dec and 4 Jan count.
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 4)) == 5
    assert not is_working_day(D(2026, 12, 26))  # a Saturday


def test_same_day_and_backwards_are_zero():
    assert working_days_between(D(2026, 3, 3), D(2026, 3, 3)) == 0
    assert working_days_between(D(2026, 3, 10), D(2026, 3, 3)) == 0


def test_datetimes_count_by_their_day():
    brussels = ZoneInfo("Europe/Brussels")
    start = dt.datetime(2026, 7, 17, 23, 30, tzinfo=brussels)
    end = dt.datetime(2026, 7, 20, 0, 5, tzinfo=brussels)
    assert working_days_between(start, end) == 1
    # Easter Monday 2026 is 6 April
    assert working_days_between(D(2026, 4, 3), D(2026, 4, 7)) == 1


def test_add_working_days_skips_weekends_and_belgian_holidays():
    from antenna.core.workdays import add_working_days

    brussels = ZoneInfo("Europe/Brussels")
    friday = dt.datetime(2026, 7, 17, 10, tzinfo=brussels)
    assert add_working_days(friday, 1) == dt.datetime(2026, 7, 20, 10, tzinfo=brussels)
    # Mon 20 July + 2: Tuesday 21 July (national day) does not count -> Thursday 23
    monday = dt.datetime(2026, 7, 20, 10, tzinfo=brussels)
    assert add_working_days(monday, 2) == dt.datetime(2026, 7, 23, 10, tzinfo=brussels)
    # an aware UTC moment counts by its Brussels day: Fri 17 July 23:30 in Brussels
    late = dt.datetime(2026, 7, 17, 21, 30, tzinfo=dt.UTC)
    assert timezone_day(add_working_days(late, 1)) == dt.date(2026, 7, 20)
    assert add_working_days(friday, 0) == friday


def timezone_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo("Europe/Brussels")).date()


def test_many_pairs_at_once_count_like_one_by_one():
    from antenna.core.workdays import working_days_between_many

    days = [D(2026, 7, 17) + dt.timedelta(days=k) for k in range(0, 200, 7)]
    pairs = [(a, b) for a in days[:10] for b in days[::3]] + [
        (D(2026, 12, 24), D(2027, 1, 4)), (D(2026, 3, 10), D(2026, 3, 3))]
    assert working_days_between_many(pairs) == [working_days_between(a, b) for a, b in pairs]
    assert working_days_between_many([(D(2026, 7, 17), D(2026, 7, 20))]) == [1]
    assert working_days_between_many([]) == []
