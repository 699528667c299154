"""Calls: mode defaults, operator only, validation messages, the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from antenna.calls.models import Call
from antenna.calls.modes import MODE_DEFAULTS, AccessMode
from antenna.calls.services import call_create, call_update
from antenna.core.countries import DEFAULT_ELIGIBLE_COUNTRIES
from antenna.core.errors import NotFound, PermissionDenied, ValidationFailed
from antenna.core.models import AuditEvent
from antenna.testing import assert_error, make_call, make_factory, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode", AccessMode.values)
def test_every_rule_not_given_takes_the_mode_default(mode, operator, factory):
    call = call_create(by=operator, title="A call", mode=mode, factories=[factory])
    defaults = MODE_DEFAULTS[mode]
    assert call.review_process == defaults.review_process
    assert (call.min_gpu_hours, call.max_gpu_hours) == (defaults.min_gpu_hours,
                                                        defaults.max_gpu_hours)
    assert call.allowed_durations == list(defaults.allowed_durations)
    assert call.decision_target_days == defaults.decision_target_days
    assert call.eligible_kinds == list(defaults.eligible_kinds)
    assert call.min_reviews == defaults.min_reviews
    assert call.eligible_countries == list(DEFAULT_ELIGIBLE_COUNTRIES)
    assert call.require_pi_contract_margin is (mode == AccessMode.AI_FOR_SCIENCE)
    assert call.is_published and call.is_open()
    assert list(call.factories.all()) == [factory]


def test_mode_defaults_match_the_product():
    assert MODE_DEFAULTS["playground"].max_gpu_hours == 5_000
    assert MODE_DEFAULTS["fast_lane"].max_gpu_hours == 50_000
    assert MODE_DEFAULTS["fast_lane"].eligible_kinds == ("startup", "sme")
    assert MODE_DEFAULTS["large_scale"].min_gpu_hours == 50_001
    assert MODE_DEFAULTS["large_scale"].min_reviews == 2
    assert MODE_DEFAULTS["ai_for_science"].allowed_durations == (6,)


def test_overrides_replace_defaults(operator, factory):
    call = call_create(by=operator, title="Small", mode="fast_lane", factories=[factory.pk],
                       max_gpu_hours=1000, allowed_durations=[2, 1, 2],
                       eligible_countries=["be", "nl"])
    assert call.max_gpu_hours == 1000
    assert call.allowed_durations == [1, 2]
    assert call.eligible_countries == ["BE", "NL"]


def test_a_max_below_the_mode_minimum_lowers_the_minimum(operator, factory):
    call = call_create(by=operator, title="Small LS", mode="large_scale", factories=[factory],
                       max_gpu_hours=1000)
    assert (call.min_gpu_hours, call.max_gpu_hours) == (1, 1000)


@pytest.mark.parametrize("role", ["", "reviewer", "observer", "expert"])
def test_only_operators_open_calls(role, factory):
    with pytest.raises(PermissionDenied, match="Only operators"):
        call_create(by=make_user(role=role), title="X", mode="playground", factories=[factory])
    assert not Call.objects.exists()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"title": "  "}, "title"),
    ({"mode": "sprint"}, "Unknown access mode 'sprint'"),
    ({"eligible_kinds": ["pirates"]}, "eligible_kinds: unknown kind 'pirates'"),
    ({"eligible_countries": ["BEL"]}, "eligible_countries: 'BEL'"),
    ({"min_gpu_hours": 0}, "min_gpu_hours must be at least 1"),
    ({"min_gpu_hours": -5}, "min_gpu_hours must be at least 1"),
    ({"min_gpu_hours": 10, "max_gpu_hours": 5}, "max_gpu_hours (5) must be at least"),
    ({"max_gpu_hours": -1}, "max_gpu_hours (-1)"),
    ({"allowed_durations": [0]}, "allowed_durations"),
    ({"allowed_durations": [48]}, "allowed_durations"),
    ({"review_process": "vibes"}, "Unknown review process"),
    ({"cutoff_dates": ["tomorrow"]}, "cutoff_dates: 'tomorrow'"),
    ({"opens_on": dt.date(2026, 5, 1), "closes_on": dt.date(2026, 4, 1)}, "closes_on"),
    ({"decision_target_days": 0}, "decision_target_days"),
    ({"colour": "blue"}, "Unknown call fields: colour"),
    ({"factories": []}, "factories: offer at least one factory"),
    ({"factories": [987654]}, "factories: no factory with id 987654"),
])
def test_invalid_calls_are_refused_naming_the_field(overrides, message, operator, factory):
    values: dict[str, Any] = {"title": "Call", "mode": "fast_lane", "factories": [factory]}
    values.update(overrides)
    # An unknown factory is a 404 (NotFound), like an unknown call for a proposal.
    with pytest.raises((ValidationFailed, NotFound)) as excinfo:
        call_create(by=operator, **values)
    assert message in excinfo.value.message
    assert not Call.objects.exists()


def test_call_create_and_update_are_audited(operator, factory):
    call = make_call("fast_lane", factories=[factory], by=operator)
    call_update(call=call, by=operator, max_gpu_hours=20_000)
    events = list(AuditEvent.objects.filter(target_type="calls.call").order_by("id"))
    assert [(e.action, e.actor) for e in events] == [("call.create", operator),
                                                      ("call.update", operator)]
    assert events[1].before == {"max_gpu_hours": 50_000}
    assert events[1].after == {"max_gpu_hours": 20_000}


def test_api_creates_a_call_with_defaults(api, operator, factory):
    response = api(operator).post("/calls", {"title": "Fast", "mode": "fast_lane",
                                             "factories": [factory.pk],
                                             "max_gpu_hours": 20_000})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["max_gpu_hours"] == 20_000
    assert body["min_gpu_hours"] == 1
    assert body["allowed_durations"] == [1, 2, 3]
    assert body["review_process"] == "technical"
    assert body["factories"] == [factory.pk]
    assert body["is_open"] is True


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"title": "X", "mode": "sprint", "factories": []}, 422, "mode"),
    ({"title": "X", "mode": "fast_lane", "factories": [987654]}, 404, "987654"),
    ({"title": "X", "mode": "fast_lane", "factories": "all"}, 422, "factories"),
    ({"title": "X", "mode": "fast_lane"}, 422, "factories"),
    ({"title": "X", "mode": "fast_lane", "factories": [1], "max_gpu_hours": "lots"}, 422,
     "max_gpu_hours"),
    ({"title": "X", "mode": "fast_lane", "factories": [1], "closes_on": "soon"}, 422,
     "closes_on"),
])
def test_api_refuses_bad_calls_with_a_helpful_detail(body, status, fragment, api, operator):
    assert_error(api(operator).post("/calls", body), status, fragment)


def test_calls_filter_by_mode_and_hide_unpublished_from_applicants(api, operator, factory):
    playground = make_call("playground", factories=[factory], by=operator)
    fast = make_call("fast_lane", factories=[factory], by=operator)
    hidden = make_call("fast_lane", factories=[factory], by=operator, is_published=False)
    closed = make_call("fast_lane", factories=[factory], by=operator,
                       opens_on=dt.date(2020, 1, 1), closes_on=dt.date(2020, 2, 1))
    applicant = api(make_user())
    ids = [c["id"] for c in applicant.get("/calls?mode=fast_lane").json()["items"]]
    assert sorted(ids) == sorted([fast.pk, closed.pk])
    open_ids = [c["id"] for c in applicant.get("/calls?mode=fast_lane&open=true")
                .json()["items"]]
    assert open_ids == [fast.pk]
    assert [c["id"] for c in applicant.get("/calls?mode=playground").json()["items"]] == [
        playground.pk]
    assert_error(applicant.get(f"/calls/{hidden.pk}"), 404)
    assert api(operator).get(f"/calls/{hidden.pk}").status_code == 200
    assert api(operator).get("/calls?mode=fast_lane").json()["count"] == 3


def test_factories_are_listed_with_partitions(api, factory):
    make_factory("lumi-test", status="maintenance")
    body = api(make_user()).get("/factories").json()
    assert body["count"] == 2
    jupiter = next(f for f in body["items"] if f["name"] == "jupiter-test")
    assert jupiter["partitions"][0]["gpus_per_node"] == 4
    only = api(make_user()).get("/factories?status=maintenance").json()
    assert [f["name"] for f in only["items"]] == ["lumi-test"]
