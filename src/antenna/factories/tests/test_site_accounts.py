"""Site accounts: a person's username at a factory, linked by them, verified by an operator or
by a claim of the identity provider (a real OIDC provider process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from antenna import testing
from antenna.accounts.models import FederatedIdentity
from antenna.accounts.tests.oidc_provider import OidcProvider, running_provider
from antenna.core.models import AuditEvent
from antenna.factories.models import SiteAccount
from antenna.factories.selectors import verified_site_username
from antenna.testing import ApiClient, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def jupiter():
    return testing.make_factory("jupiter")


def test_link_then_operator_verifies(jupiter):
    alice, operator = testing.make_user(), testing.make_operator()
    client = ApiClient(alice)
    response = client.post("/site-accounts", {"factory": jupiter.pk, "username": "amartin"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["username"], body["factory_name"]) == ("unverified", "amartin",
                                                                       "jupiter")
    assert verified_site_username(alice, jupiter) == ""
    assert [a["username"] for a in client.get("/site-accounts").json()["items"]] == ["amartin"]

    assert_error(client.post(f"/site-accounts/{body['id']}/verify"), 403, "operators")
    verified = ApiClient(operator).post(f"/site-accounts/{body['id']}/verify")
    assert verified.status_code == 200
    assert (verified.json()["state"], verified.json()["verified_from"]) == ("verified",
                                                                            "operator")
    assert verified_site_username(alice, jupiter) == "amartin"
    assert AuditEvent.objects.filter(action="site_account.verify", actor=operator).exists()
    assert_error(ApiClient(operator).post(f"/site-accounts/{body['id']}/verify"), 409,
                 "verified")


def test_one_username_per_person_and_factory(jupiter):
    alice = testing.make_user()
    client = ApiClient(alice)
    assert client.post("/site-accounts", {"factory": jupiter.pk,
                                          "username": "amartin"}).status_code == 201
    assert_error(client.post("/site-accounts", {"factory": jupiter.pk, "username": "alice2"}),
                 409, "already have the username 'amartin'")
    lumi = testing.make_factory("lumi")
    assert client.post("/site-accounts", {"factory": lumi.pk,
                                          "username": "amartin"}).status_code == 201


def test_a_username_held_by_someone_else_is_refused(jupiter):
    ApiClient(testing.make_user()).post("/site-accounts", {"factory": jupiter.pk,
                                                           "username": "amartin"})
    mallory = ApiClient(testing.make_user())
    assert_error(mallory.post("/site-accounts", {"factory": jupiter.pk, "username": "amartin"}),
                 409, "already linked to another person")
    assert SiteAccount.objects.filter(username="amartin").count() == 1


def test_people_see_only_their_own_site_accounts(jupiter):
    alice, bob = testing.make_user(), testing.make_user()
    ApiClient(alice).post("/site-accounts", {"factory": jupiter.pk, "username": "amartin"})
    ApiClient(bob).post("/site-accounts", {"factory": jupiter.pk, "username": "bjansen"})
    assert [a["username"] for a in ApiClient(bob).get("/site-accounts").json()["items"]] == [
        "bjansen"]
    bob_account = SiteAccount.objects.get(username="bjansen")
    operator = ApiClient(testing.make_operator())
    assert operator.get("/site-accounts").json()["count"] == 2
    assert_error(ApiClient(alice).post(f"/site-accounts/{bob_account.pk}/verify"), 403)


def test_a_bad_username_or_factory_says_what_to_fix(jupiter):
    client = ApiClient(testing.make_user())
    assert_error(client.post("/site-accounts", {"factory": jupiter.pk, "username": "a b;rm"}),
                 422, "username: give your username at the factory", "letters, digits")
    response = client.post("/site-accounts", {"factory": 987654, "username": "amartin"})
    assert response.status_code in (400, 404)
    assert "factory" in response.json()["detail"]


def test_the_page_links_an_account(jupiter):
    alice = testing.make_user()
    client = Client()
    client.force_login(alice)
    assert "/accounts/site-accounts/" in client.get("/accounts/profile/").content.decode()
    response = client.post("/accounts/site-accounts/", {"factory": jupiter.pk,
                                                        "username": "amartin"}, follow=True)
    assert response.status_code == 200
    assert "amartin" in response.content.decode()
    assert SiteAccount.objects.get(user=alice).state == "unverified"
    again = client.post("/accounts/site-accounts/", {"factory": jupiter.pk, "username": "x"})
    assert again.status_code == 409
    assert "already have the username" in again.content.decode()


def _oidc(provider: OidcProvider, *, claim: str) -> override_settings:
    return override_settings(ANTENNA_OIDC_ISSUER=provider.issuer, ANTENNA_OIDC_CLIENT_ID="antenna",
                             ANTENNA_OIDC_CLIENT_SECRET="s3cret",
                             ANTENNA_OIDC_SITE_ACCOUNTS_CLAIM=claim)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


def test_a_claim_of_the_identity_provider_verifies_site_accounts(provider, jupiter):
    taken = testing.make_factory("lumi")
    other = testing.make_user()
    ApiClient(other).post("/site-accounts", {"factory": taken.pk, "username": "amartin"})
    provider.set_claims("alice-sub", {"email": "alice@uni.example",
                                      "site_accounts": {"jupiter": "amartin", "lumi": "amartin",
                                                        "nowhere": "amartin"}})
    with _oidc(provider, claim="site_accounts"):
        assert provider.sign_in(Client(), "alice-sub") == (302, "/")
    alice = FederatedIdentity.objects.get(subject="alice-sub").user
    account = SiteAccount.objects.get(user=alice)
    assert (account.factory, account.username, account.state, account.verified_from) == (
        jupiter, "amartin", "verified", "claim")
    # the claim never takes a username that someone else holds at that factory
    assert SiteAccount.objects.get(factory=taken).user == other


def test_without_the_claim_setting_nothing_is_verified(provider, jupiter):
    provider.set_claims("bob-sub", {"site_accounts": {"jupiter": "bjansen"}})
    with _oidc(provider, claim=""):
        assert provider.sign_in(Client(), "bob-sub") == (302, "/")
    assert not SiteAccount.objects.exists()
