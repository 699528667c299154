"""Federated sign-in against a real OpenID Connect provider process (oidc-provider-mock)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client, override_settings

from antenna import testing
from antenna.accounts.models import FederatedIdentity, User
from antenna.accounts.tests.oidc_provider import OidcProvider, running_provider
from antenna.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ALICE = {"sub": "alice-sub-1", "email": "alice@uni.example", "name": "Alice Martin",
         "preferred_username": "amartin"}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider(ALICE) as running:
        yield running


@pytest.fixture
def oidc(provider: OidcProvider) -> Iterator[OidcProvider]:
    with override_settings(ANTENNA_OIDC_ISSUER=provider.issuer, ANTENNA_OIDC_CLIENT_ID="antenna",
                           ANTENNA_OIDC_CLIENT_SECRET="s3cret", ANTENNA_OIDC_NAME="MyAccessID"):
        yield provider


def test_sign_in_page_offers_the_provider_only_when_configured(oidc):
    page = Client().get("/accounts/login/")
    assert "Sign in with MyAccessID" in page.content.decode()
    assert 'href="/oidc/login/"' in page.content.decode()
    with override_settings(ANTENNA_OIDC_ISSUER=""):
        page = Client().get("/accounts/login/")
        assert "Sign in with" not in page.content.decode()
        assert Client().get("/oidc/login/").status_code == 404


def test_first_sign_in_creates_the_account_from_the_claims(oidc):
    client = Client()
    status, location = oidc.sign_in(client, ALICE["sub"], next_url="/accounts/profile/")
    assert (status, location) == (302, "/accounts/profile/")
    user = User.objects.get(username="amartin")
    assert (user.email, user.first_name, user.last_name) == ("alice@uni.example", "Alice",
                                                             "Martin")
    assert not user.has_usable_password()
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (oidc.issuer, "alice-sub-1")
    assert client.get("/accounts/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="user.create", target_id=str(user.pk)).exists()


def test_returning_person_is_matched_by_subject_even_with_a_new_email(oidc):
    oidc.sign_in(Client(), "bob-sub")
    bob = FederatedIdentity.objects.get(subject="bob-sub").user
    oidc.set_claims("bob-sub", {"email": "bob@new.example", "name": "Bob Jansen"})
    client = Client()
    assert oidc.sign_in(client, "bob-sub") == (302, "/")
    assert FederatedIdentity.objects.filter(subject="bob-sub").count() == 1
    bob.refresh_from_db()
    assert bob.email == "bob@new.example"
    assert bob.get_full_name() == "Bob Jansen"
    assert int(client.session["_auth_user_id"]) == bob.pk
    assert User.objects.count() == 1


def test_another_subject_with_a_known_email_is_another_account(oidc):
    local = testing.make_user("carol", password="pw-Antenna-42")
    local.email = "carol@uni.example"
    local.save()
    oidc.set_claims("carol-sub", {"email": "carol@uni.example", "preferred_username": "carol"})
    oidc.set_claims("mallory-sub", {"email": "carol@uni.example",
                                    "preferred_username": "carol"})
    first, second = Client(), Client()
    oidc.sign_in(first, "carol-sub")
    oidc.sign_in(second, "mallory-sub")
    by_sub = {i.subject: i.user for i in FederatedIdentity.objects.select_related("user")}
    assert len({local.pk, by_sub["carol-sub"].pk, by_sub["mallory-sub"].pk}) == 3
    assert by_sub["carol-sub"].username == "carol2"
    assert int(second.session["_auth_user_id"]) == by_sub["mallory-sub"].pk


def test_sign_out_ends_the_local_and_the_provider_session(oidc):
    client = Client()
    oidc.sign_in(client, ALICE["sub"])
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == oidc.issuer
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["client_id"] == ["antenna"]
    assert client.get("/accounts/profile/").status_code == 302
    # The provider accepts the request (its confirmation page), then sends the person home.
    page = requests.get(response["Location"], timeout=10)
    assert page.status_code == 200
    confirm = requests.post(f"{oidc.issuer}/oauth2/end_session/confirm",
                            data={"redirect_uri": "http://testserver/"}, allow_redirects=False,
                            timeout=10)
    assert confirm.headers["Location"] == "http://testserver/"


def test_local_sign_out_stays_local(oidc):
    testing.make_user("dave", password="pw-Antenna-42")
    client = Client()
    client.post("/accounts/login/", {"username": "dave", "password": "pw-Antenna-42"})
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/"


def test_a_refused_authorisation_says_so(oidc):
    client = Client()
    start = client.get("/oidc/login/")
    back = requests.post(start["Location"], data={"action": "deny"}, allow_redirects=False,
                         timeout=10)
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}", follow=True)
    assert "Sign-in with MyAccessID did not complete" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forged_callback_is_refused(oidc):
    client = Client()
    client.get("/oidc/login/")
    response = client.get("/oidc/callback/?code=made-up&state=made-up", follow=True)
    assert "did not complete" in response.content.decode()
    assert not User.objects.exists()


def test_unreachable_provider_is_a_clear_message(provider):
    with override_settings(ANTENNA_OIDC_ISSUER="http://127.0.0.1:9", ANTENNA_OIDC_CLIENT_ID="x",
                           ANTENNA_OIDC_NAME="MyAccessID"):
        response = Client().get("/oidc/login/", follow=True)
    assert "MyAccessID cannot be reached" in response.content.decode()


def test_form_action_allows_the_issuer_origin_when_configured():
    env = {**os.environ, "ANTENNA_OIDC_ISSUER": "https://proxy.myaccessid.example/auth/",
           "DJANGO_SETTINGS_MODULE": "antenna.config.test_settings"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[\"'self'\", 'https://proxy.myaccessid.example']"
