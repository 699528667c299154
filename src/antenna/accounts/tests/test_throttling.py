"""Password guessing on the sign-in page is throttled (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from antenna.testing import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(client: Client, username: str, password: str, ip: str = "198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_then_the_right_one_does_not_sign_in():
    make_user("victim", password="correct horse battery")
    client = Client()
    for _ in range(20):
        assert not _signed_in(client)
        _sign_in(client, "victim", "guess")
    response = _sign_in(client, "victim", "correct horse battery")
    assert response.status_code == 429
    assert not _signed_in(client)
    assert "15 minutes" in response.content.decode()


def test_the_account_is_locked_from_every_address():
    make_user("victim", password="correct horse battery")
    for i in range(10):
        _sign_in(Client(), "victim", "guess", ip=f"203.0.113.{i}")
    client = Client()
    response = _sign_in(client, "victim", "correct horse battery", ip="192.0.2.99")
    assert response.status_code == 429
    assert not _signed_in(client)


def test_one_address_guessing_many_accounts_is_locked():
    make_user("alice", password="alice's good password")
    for i in range(10):
        _sign_in(Client(), f"nobody{i}", "guess", ip="198.51.100.66")
    client = Client()
    assert _sign_in(client, "alice", "alice's good password", ip="198.51.100.66").status_code \
        == 429
    assert not _signed_in(client)
    other = Client()
    _sign_in(other, "alice", "alice's good password", ip="198.51.100.67")
    assert _signed_in(other)


def test_a_few_failures_then_success_resets_the_count():
    make_user("forgetful", password="finally remembered")
    client = Client()
    for _ in range(9):
        _sign_in(client, "forgetful", "wrong")
    _sign_in(client, "forgetful", "finally remembered")
    assert _signed_in(client)
    client.logout()
    for _ in range(9):
        _sign_in(client, "forgetful", "wrong")
    _sign_in(client, "forgetful", "finally remembered")
    assert _signed_in(client), "the count was reset by the success in between"


def test_the_lock_lifts_after_fifteen_minutes():
    from axes.models import AccessAttempt

    make_user("patient", password="patient password")
    client = Client()
    for _ in range(10):
        _sign_in(client, "patient", "wrong")
    assert _sign_in(client, "patient", "patient password").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    _sign_in(client, "patient", "patient password")
    assert _signed_in(client)
