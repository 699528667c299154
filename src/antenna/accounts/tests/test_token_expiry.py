"""API tokens expire: a stolen token stops working after its lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from antenna.accounts.models import ApiToken
from antenna.accounts.services import token_create
from antenna.core.errors import ValidationFailed
from antenna.testing import ApiClient, assert_error, make_user

pytestmark = pytest.mark.django_db


def test_a_new_token_lasts_the_configured_days(settings):
    settings.ANTENNA_TOKEN_DAYS = 30
    user = make_user()
    token, _ = token_create(user=user)
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    token90, _ = token_create(user=user, days=90)
    assert token90.expires_at - token.expires_at > timedelta(days=59)


def test_an_expired_token_gets_401_token_expired():
    user = make_user()
    token, key = token_create(user=user)
    assert ApiClient(user, token=key).get("/calls").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(user, token=key).get("/calls")
    body = assert_error(response, 401, "token expired")
    assert body["code"] == "token_expired"


def test_a_wrong_token_is_still_a_plain_401():
    user = make_user()
    response = ApiClient(user, token="ant_not-a-real-token").get("/calls")
    body = assert_error(response, 401)
    assert body["code"] == "unauthenticated"


@pytest.mark.parametrize("days", [0, -1, 100000])
def test_token_lifetime_is_bounded(days):
    with pytest.raises(ValidationFailed, match="1 and 3660"):
        token_create(user=make_user(), days=days)


def test_create_token_command_prints_the_expiry(capsys):
    user = make_user("cli")
    call_command("create_token", "cli", "--days", "7")
    out = capsys.readouterr().out
    token = ApiToken.objects.get(user=user)
    assert token.expires_at.strftime("%Y-%m-%d") in out
    assert out.strip().splitlines()[-1].startswith("ant_")


def test_profile_shows_when_each_token_expires():
    user = make_user()
    token_create(user=user, name="live")
    dead, _ = token_create(user=user, name="dead")
    ApiToken.objects.filter(pk=dead.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = Client()
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    assert "Expires" in html
    assert "expired" in html
