"""API authentication: a personal API token or the browser session (wired in config/api.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from antenna.accounts.models import User
from antenna.accounts.selectors import user_for_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), django_auth]
