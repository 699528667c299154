"""Routing and response targets: pure functions, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from antenna.expertise.routing import ExpertCandidate, suggest_expert
from antenna.expertise.states import REQUEST_MACHINE
from antenna.expertise.targets import first_response_due, is_belgian_working_day


def pick(experts, **request):
    chosen = suggest_expert(experts, **request)
    assert chosen is not None
    return chosen.username


def cand(name, skills=("porting",), languages=("en",), regions=(), capacity=3, load=0):
    return ExpertCandidate(username=name, skills=frozenset(skills),
                           languages=frozenset(languages), regions=frozenset(regions),
                           capacity=capacity, load=load)


def test_the_suggested_expert_has_the_skill():
    experts = [cand("ann", skills=("scaling",)), cand("bob", skills=("porting",), load=2)]
    assert pick(experts, topic="porting", language="en", region="flanders") \
        == "bob"


def test_nobody_with_the_skill_and_room_gives_none():
    experts = [cand("ann", skills=("scaling",)), cand("bob", capacity=1, load=1)]
    assert suggest_expert(experts, topic="porting", language="en", region="flanders") is None


def test_language_then_region_then_relative_load():
    experts = [cand("ann", languages=("en",), load=0), cand("bob", languages=("fr",), load=2)]
    assert pick(experts, topic="porting", language="fr",
                          region="wallonia") == "bob"
    experts = [cand("ann", regions=("flanders",)), cand("bob", regions=("wallonia",), load=2)]
    assert pick(experts, topic="porting", language="en",
                          region="wallonia") == "bob"
    experts = [cand("ann", capacity=2, load=1), cand("bob", capacity=10, load=2)]
    assert pick(experts, topic="porting", language="en",
                          region="brussels") == "bob"


def test_ties_are_broken_by_username():
    experts = [cand("zoe"), cand("ann")]
    assert pick(experts, topic="porting", language="en",
                          region="brussels") == "ann"


BRUSSELS = ZoneInfo("Europe/Brussels")


def test_first_response_skips_weekends():
    friday = dt.datetime(2026, 3, 13, 10, 0, tzinfo=BRUSSELS)
    assert first_response_due(friday) == dt.datetime(2026, 3, 17, 10, 0, tzinfo=BRUSSELS)


def test_first_response_skips_belgian_public_holidays():
    # Thursday 2026-04-02; Easter Monday is 2026-04-06 (holidays.BE).
    thursday = dt.datetime(2026, 4, 2, 9, 30, tzinfo=BRUSSELS)
    assert not is_belgian_working_day(dt.date(2026, 4, 6))
    assert first_response_due(thursday) == dt.datetime(2026, 4, 7, 9, 30, tzinfo=BRUSSELS)
    # National Day, Tuesday 2026-07-21
    monday = dt.datetime(2026, 7, 20, 9, 0, tzinfo=BRUSSELS)
    assert first_response_due(monday) == dt.datetime(2026, 7, 23, 9, 0, tzinfo=BRUSSELS)


def test_request_state_machine():
    assert REQUEST_MACHINE.can("new", "assigned")
    assert REQUEST_MACHINE.can("assigned", "in_progress")
    assert REQUEST_MACHINE.can("in_progress", "waiting_for_requester")
    assert REQUEST_MACHINE.can("waiting_for_requester", "in_progress")
    assert REQUEST_MACHINE.can("in_progress", "resolved")
    assert REQUEST_MACHINE.can("resolved", "closed")
    assert not REQUEST_MACHINE.can("new", "resolved")
    assert not REQUEST_MACHINE.can("closed", "in_progress")
    assert REQUEST_MACHINE.is_terminal("closed")
