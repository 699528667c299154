"""Each person chooses, per kind of notice: off, immediately, or in their digest."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna.notifications.models import Delivery, EmailState, NoticeKind
from antenna.notifications.services import notice_send
from antenna.testing import ApiClient, assert_error, make_user

pytestmark = pytest.mark.django_db


def test_preferences_through_the_api():
    user = make_user()
    api = ApiClient(user)
    got = api.get("/notification-preferences").json()
    assert got["digest"] == "daily"
    assert set(got["kinds"]) == set(NoticeKind.values)
    assert set(got["kinds"].values()) == {"immediate"}

    response = api.request("put", "/notification-preferences",
                           {"kinds": {"proposal_decided": "digest", "event_reminder": "off"},
                            "digest": "weekly"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["digest"] == "weekly"
    assert body["kinds"]["proposal_decided"] == "digest"
    assert body["kinds"]["event_reminder"] == "off"
    assert body["kinds"]["review_due"] == "immediate"  # not named: kept
    # someone else's preferences are untouched
    assert ApiClient(make_user()).get("/notification-preferences").json()["digest"] == "daily"


@pytest.mark.parametrize("body", [
    {"kinds": {"no_such_kind": "off"}},
    {"kinds": {"proposal_decided": "sometimes"}},
    {"digest": "hourly"},
])
def test_bad_preferences_are_refused(body):
    response = ApiClient(make_user()).request("put", "/notification-preferences", body)
    assert_error(response, 422)


def test_off_keeps_the_notice_in_the_list_without_e_mail_and_digest_waits():
    user = make_user()
    ApiClient(user).request("put", "/notification-preferences",
                            {"kinds": {"event_promoted": "off", "event_reminder": "digest"}})
    [off] = notice_send(users=[user], kind=NoticeKind.EVENT_PROMOTED, subject="s", body="b")
    [digest] = notice_send(users=[user], kind=NoticeKind.EVENT_REMINDER, subject="s", body="b")
    [now] = notice_send(users=[user], kind=NoticeKind.EVENT_REGISTERED, subject="s", body="b")
    assert (off.delivery, off.email_state, off.next_attempt_at) == (Delivery.OFF,
                                                                     EmailState.NONE, None)
    assert digest.email_state == EmailState.PENDING
    assert digest.next_attempt_at is not None and digest.next_attempt_at > now.created_at
    assert now.email_state == EmailState.PENDING and now.next_attempt_at == now.created_at


def test_the_preferences_page():
    user = make_user()
    client = Client()
    client.force_login(user)
    page = client.get("/notices/preferences/")
    assert page.status_code == 200
    assert "Review overdue" in page.content.decode()
    form = {f"kind_{kind}": "immediate" for kind in NoticeKind.values}
    form.update({"kind_opportunities": "digest", "digest": "weekly"})
    response = client.post("/notices/preferences/", form)
    assert response.status_code == 302
    got = ApiClient(user).get("/notification-preferences").json()
    assert got["kinds"]["opportunities"] == "digest" and got["digest"] == "weekly"
    bad = client.post("/notices/preferences/", {**form, "kind_opportunities": "loud"})
    assert bad.status_code == 400
    assert "/notices/preferences/" in client.get("/accounts/profile/").content.decode()
