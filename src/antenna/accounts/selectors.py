"""Reads on users and tokens."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import ApiToken, PlatformRole, User
from antenna.core.errors import TokenExpired


def user_for_token(key: str) -> User | None:
    """The active user owning API token `key`, or None; `Unauthenticated` ("token
    expired") when the token is right but past its expiry."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenExpired(
            _("Token expired on %(when)s: create a new token on your profile page "
              "(or with `antenna create_token`).")
            % {"when": token.expires_at.strftime("%Y-%m-%d %H:%M UTC")}
        )
    # Touch last_used_at at most once a minute: reads must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def active_reviewers() -> QuerySet[User]:
    """The people who may be assigned a peer review, by username."""
    return User.objects.filter(role=PlatformRole.REVIEWER, is_active=True).order_by("username")
