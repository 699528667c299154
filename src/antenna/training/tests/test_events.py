"""Training events: capacity, the waiting list and its promotion, through the API."""

from __future__ import annotations

import pytest

from antenna.notifications.models import Notice
from antenna.testing import ApiClient, assert_error, make_operator, make_user

pytestmark = pytest.mark.django_db


def _event(operator, capacity=1):
    response = ApiClient(operator).post("/events", {
        "title": "Fine-tuning on LUMI", "starts_at": "2099-05-04T09:00:00+02:00",
        "ends_at": "2099-05-04T17:00:00+02:00", "capacity": capacity, "language": "fr",
        "online": False, "place": "Namur"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_second_registrant_waits_and_is_promoted_when_the_first_cancels():
    operator, first, second, third = make_operator(), make_user(), make_user(), make_user()
    pk = _event(operator)
    assert ApiClient(first).post(f"/events/{pk}/registrations").json()["state"] == "registered"
    assert ApiClient(second).post(f"/events/{pk}/registrations").json()["state"] == "waiting"
    assert ApiClient(third).post(f"/events/{pk}/registrations").json()["state"] == "waiting"
    assert_error(ApiClient(second).post(f"/events/{pk}/registrations"), 409)
    cancelled = ApiClient(first).request("delete", f"/events/{pk}/registrations/mine")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    mine = ApiClient(second).get(f"/events/{pk}/registrations").json()
    assert [(r["user"], r["state"]) for r in mine] == [(second.username, "registered")]
    states = {r["user"]: r["state"]
              for r in ApiClient(operator).get(f"/events/{pk}/registrations").json()}
    assert states == {first.username: "cancelled", second.username: "registered",
                      third.username: "waiting"}
    assert Notice.objects.filter(user=second, kind="event_promoted").count() == 1
    assert_error(ApiClient(first).request("delete", f"/events/{pk}/registrations/mine"), 404)


def test_an_on_site_event_needs_a_place_and_operators_publish():
    operator = make_operator()
    body = {"title": "x", "starts_at": "2099-05-04T09:00:00Z",
            "ends_at": "2099-05-04T10:00:00Z", "capacity": 5, "online": False}
    assert_error(ApiClient(operator).post("/events", body), 422, "place")
    assert_error(ApiClient(make_user()).post("/events", {**body, "place": "Gent"}), 403)
    assert_error(ApiClient(make_user()).post("/events/987654/registrations"), 404)
