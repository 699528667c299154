"""People and their credentials: users with a platform role, personal API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformRole(models.TextChoices):
    """What a person does for the antenna as a whole (organisation roles are separate)."""

    NONE = "", _("Applicant")
    OPERATOR = "operator", _("Operator")
    REVIEWER = "reviewer", _("Reviewer")
    EXPERT = "expert", _("Expert")
    OBSERVER = "observer", _("Observer (read-only)")


class User(AbstractUser):
    """A person who signs in: an applicant, or someone with a platform role."""

    role = models.CharField(
        _("platform role"), max_length=16, choices=PlatformRole.choices, blank=True, default=""
    )
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    @property
    def is_operator(self) -> bool:
        return self.role == PlatformRole.OPERATOR

    @property
    def is_reviewer(self) -> bool:
        return self.role == PlatformRole.REVIEWER

    @property
    def is_observer(self) -> bool:
        return self.role == PlatformRole.OBSERVER

    @property
    def sees_everything(self) -> bool:
        """Operators and observers read every organisation's records."""
        return self.role in (PlatformRole.OPERATOR, PlatformRole.OBSERVER)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text=_("First characters, to recognise it."))
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        help_text=_("After this moment the token is refused (401 \"token expired\")."))

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.prefix}…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class FederatedIdentity(models.Model):
    """A person's identity at an OpenID Connect provider: the provider's issuer and the
    person's `sub` there. A returning person is found by these two, never by e-mail."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="federated_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"],
                                    name="federated_identity_unique_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.subject} at {self.issuer}"
