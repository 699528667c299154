"""Federated sign-in through an OpenID Connect provider (MyAccessID, Keycloak, ...).

The provider is configured by the ANTENNA_OIDC_* settings; its endpoints come from its
discovery document. Authlib does the protocol (state, nonce, code exchange, ID token
signature against the provider's keys); `federated_sign_in` (services) decides who the person
is, by issuer + `sub` only. `FederatedBackend` lets `django.contrib.auth.authenticate` (and so
django-axes, first in AUTHENTICATION_BACKENDS) see these sign-ins.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from antenna.accounts.models import User
from antenna.accounts.services import federated_sign_in

if TYPE_CHECKING:
    from authlib.integrations.django_client import DjangoOAuth2App

CLIENT_TIMEOUT_SECONDS = 10


def oidc_enabled() -> bool:
    """Federated sign-in is offered when an issuer and a client id are configured."""
    return bool(settings.ANTENNA_OIDC_ISSUER and settings.ANTENNA_OIDC_CLIENT_ID)


@lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, client_secret: str, scopes: str) -> DjangoOAuth2App:
    # Authlib (and requests under it) load on first use: sites without federated sign-in,
    # and every other process, never pay for them at start-up.
    from authlib.integrations.django_client import DjangoOAuth2App, OAuth

    registry = OAuth()
    client = registry.register(
        name="antenna",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scopes, "timeout": CLIENT_TIMEOUT_SECONDS},
    )
    assert isinstance(client, DjangoOAuth2App)
    return client


def oidc_client() -> DjangoOAuth2App:
    """The Authlib client for the configured provider (its discovery document is read once)."""
    return _client(settings.ANTENNA_OIDC_ISSUER, settings.ANTENNA_OIDC_CLIENT_ID,
                   settings.ANTENNA_OIDC_CLIENT_SECRET, settings.ANTENNA_OIDC_SCOPES)


def end_session_endpoint() -> str:
    """The provider's RP-initiated logout endpoint, or "" when it offers none."""
    metadata: dict[str, Any] = oidc_client().load_server_metadata()
    return str(metadata.get("end_session_endpoint") or "")


class FederatedBackend(BaseBackend):
    """Authenticates the claims of a verified ID token (never a password)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, *, oidc_issuer: str | None = None,
                     oidc_claims: dict[str, Any] | None = None, **kwargs: Any) -> User | None:
        if oidc_issuer is None or oidc_claims is None:
            return None
        user = federated_sign_in(issuer=oidc_issuer, claims=oidc_claims)
        return user if user.is_active else None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
