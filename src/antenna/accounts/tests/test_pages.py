"""Sign up, sign in and out, the profile page with API tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.accounts.models import ApiToken, User
from antenna.accounts.selectors import user_for_token
from antenna.accounts.services import token_create

pytestmark = pytest.mark.django_db


def test_sign_up_creates_user_and_signs_in():
    client = Client()
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post("/accounts/signup/", {
        "username": "newbie", "email": "newbie@example.org", "first_name": "New",
        "last_name": "Bie", "password1": "a-Long-pass-42x", "password2": "a-Long-pass-42x",
    })
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org"
    assert client.get("/accounts/profile/").status_code == 200


def test_sign_up_with_mismatched_passwords_is_400():
    response = Client().post("/accounts/signup/", {
        "username": "newbie", "email": "newbie@example.org",
        "password1": "a-Long-pass-42x", "password2": "other-Long-pass-42x",
    })
    assert response.status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_sign_in_and_out():
    testing.make_user("alice", password="pw-Antenna-42")
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-Antenna-42"})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 302


def test_profile_needs_login():
    response = Client().get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_create_token_shows_key_once_and_revoke(applicant):
    client = Client()
    client.force_login(applicant)
    response = client.post("/accounts/tokens/", {"name": "laptop"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=applicant)
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert user_for_token(key) == applicant
    assert key not in client.get("/accounts/profile/").content.decode()
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert user_for_token(key) is None


def test_cannot_revoke_someone_elses_token(applicant):
    other = testing.make_user()
    token, key = token_create(user=other)
    client = Client()
    client.force_login(applicant)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert user_for_token(key) == other
