"""Writes on users and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import ApiToken, PlatformRole, User
from antenna.core.audit import audit_record
from antenna.core.errors import Conflict, ValidationFailed

TOKEN_PREFIX = "ant_"


def user_create(
    *,
    username: str,
    email: str,
    password: str,
    role: str = "",
    first_name: str = "",
    last_name: str = "",
    by: User | None = None,
    check_password: bool = True,
) -> User:
    """Create a user; `role` is one of PlatformRole (empty for an applicant)."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("Choose a username."))
    if role not in PlatformRole.values:
        raise ValidationFailed(
            _("Unknown role '%(role)s'; use one of: operator, reviewer, expert, observer.")
            % {"role": role}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("The username '%(u)s' is taken; choose another.") % {"u": username})
    user = User(username=username, email=email, role=role, first_name=first_name,
                last_name=last_name)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages)) from exc
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit_record(action="user.create", target=user, by=by, after={"username": username,
                                                                       "role": role})
    return user


def user_set_role(*, user: User, role: str, by: User | None) -> User:
    """Give a user a platform role (or none)."""
    if role not in PlatformRole.values:
        raise ValidationFailed(_("Unknown role '%(role)s'.") % {"role": role})
    with transaction.atomic():
        before = user.role
        user.role = role
        user.save(update_fields=["role"])
        audit_record(action="user.set_role", target=user, by=by, before={"role": before},
                     after={"role": role})
    return user


def token_create(*, user: User, name: str = "", by: User | None = None,
                 days: int | None = None) -> tuple[ApiToken, str]:
    """Make a new personal API token, valid `days` days (default ANTENNA_TOKEN_DAYS);
    returns the row and the clear token (shown once)."""
    days = settings.ANTENNA_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 3660:
        raise ValidationFailed(_("A token lasts between 1 and 3660 days; got %(d)s.") % {"d": days})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(action="token.create", target=token, by=by or user,
                     after={"user": user.username, "prefix": token.prefix,
                            "expires_at": token.expires_at.isoformat()})
    return token, key


def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="token.revoke", target=token, by=by)
    return token
