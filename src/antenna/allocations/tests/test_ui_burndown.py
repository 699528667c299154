"""The burn-down of an allocation, computed from its ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from antenna.allocations.burndown import Movement, allocation_burndowns, burndown
from antenna.allocations.models import LedgerEntry, LedgerKind

H = 3600
D = dt.date


def test_end_of_day_totals_from_a_constructed_ledger():
    moves = [
        Movement(D(2026, 1, 1), granted=100 * H),           # grant before the start
        Movement(D(2026, 1, 5), reserved=10 * H),            # a job reserves 10 h
        Movement(D(2026, 1, 5), reserved=4 * H),             # another 4 h
        Movement(D(2026, 1, 6), reserved=-10 * H, used=6 * H),  # settles at 6 h
        Movement(D(2026, 1, 9), reserved=-4 * H),            # cancelled: released
    ]
    b = burndown(starts_on=D(2026, 1, 3), ends_on=D(2026, 1, 13), movements=moves,
                 today=D(2026, 1, 8))
    assert [(p.day.day, p.granted // H, p.reserved // H, p.used // H, p.remaining // H)
            for p in b.changes] == [(3, 100, 0, 0, 100), (5, 100, 14, 0, 86),
                                    (6, 100, 4, 6, 90), (9, 100, 0, 6, 94)]
    assert b.at(D(2026, 1, 7)).remaining == 90 * H
    chart = b.chart()
    assert chart["labels"][0] == "2026-01-03" and chart["labels"][-1] == "2026-01-13"
    assert len(chart["labels"]) == 11
    assert chart["remaining"][:6] == [100, 100, 86, 90, 90, 90]
    assert chart["used"][3] == 6 and chart["reserved"][2] == 14
    assert chart["remaining"][6:] == [None] * 5  # the future is not drawn
    assert chart["pace"][0] == 100 and chart["pace"][-1] == 0 and chart["pace"][5] == 50


def test_long_allocations_are_sampled_but_keep_today_and_the_end():
    b = burndown(starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31),
                 movements=[Movement(D(2026, 1, 1), granted=H)], today=D(2026, 6, 17))
    chart = b.chart()
    assert len(chart["labels"]) <= 130
    assert "2026-06-17" in chart["labels"] and chart["labels"][-1] == "2026-12-31"


def test_settlements_after_the_end_count_on_the_last_day():
    b = burndown(starts_on=D(2026, 1, 1), ends_on=D(2026, 1, 31),
                 movements=[Movement(D(2026, 1, 1), granted=10 * H),
                            Movement(D(2026, 2, 3), used=2 * H)], today=D(2026, 3, 1))
    assert b.changes[-1].day == D(2026, 1, 31) and b.changes[-1].used == 2 * H


@pytest.mark.django_db
def test_from_the_database_ledger_agrees_with_the_allocation(world):
    allocation = world.allocation
    LedgerEntry.objects.create(allocation=allocation, kind=LedgerKind.ADJUST, note="test")
    b = allocation_burndowns([allocation])[allocation.pk]
    last = b.changes[-1]
    assert last.granted == allocation.granted_gpu_seconds
    assert last.reserved == allocation.reserved_gpu_seconds == world.job.gpu_seconds_reserved
    assert last.used == allocation.used_gpu_seconds
