"""Writes on users and tokens."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import ApiToken, FederatedIdentity, PlatformRole, User
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


def _claim(claims: dict[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _free_username(claims: dict[str, Any]) -> str:
    """A username from preferred_username, else the e-mail's local part, made unique."""
    wanted = (_claim(claims, "preferred_username", 100)
              or _claim(claims, "email", 254).partition("@")[0])
    base = re.sub(r"[^\w.@+-]", "", wanted)[:100] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def federated_sign_in(*, issuer: str, claims: dict[str, Any]) -> User:
    """The user behind a verified ID token: found by issuer + `sub`, or created from the claims
    (`email`, `name`, `given_name`/`family_name`, `preferred_username`) at the first sign-in.
    E-mail never identifies a person: another `sub` with a known e-mail is another account.
    A returning person's e-mail and name follow the provider's."""
    subject = _claim(claims, "sub", 255)
    if not issuer or not subject:
        raise ValidationFailed(_("The identity provider sent no subject (sub); sign-in refused."))
    email = _claim(claims, "email", 254)
    name = _claim(claims, "name", 300)
    first = _claim(claims, "given_name", 150) or name.partition(" ")[0][:150]
    last = _claim(claims, "family_name", 150) or name.partition(" ")[2][:150]
    now = timezone.now()
    with transaction.atomic():
        identity = (FederatedIdentity.objects.select_for_update().select_related("user")
                    .filter(issuer=issuer, subject=subject).first())
        if identity is None:
            user = User(username=_free_username(claims), email=email, first_name=first,
                        last_name=last)
            user.set_unusable_password()
            user.save()
            FederatedIdentity.objects.create(user=user, issuer=issuer, subject=subject,
                                             last_sign_in_at=now)
            audit_record(action="user.create", target=user, by=user,
                         after={"username": user.username, "issuer": issuer,
                                "subject": subject})
            return user
        user = identity.user
        before = {"email": user.email, "first_name": user.first_name,
                  "last_name": user.last_name}
        after = {"email": email or user.email, "first_name": first or user.first_name,
                 "last_name": last or user.last_name}
        if before != after:
            for field, value in after.items():
                setattr(user, field, value)
            user.save(update_fields=list(after))
            audit_record(action="user.update_from_provider", target=user, by=user,
                         before=before, after=after)
        identity.last_sign_in_at = now
        identity.save(update_fields=["last_sign_in_at"])
    return user
