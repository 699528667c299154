"""Site-account states and the moves allowed between them (docs/identity.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from antenna.core.states import StateMachine


class SiteAccountState(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VERIFIED = "verified", _("Verified")


SITE_ACCOUNT_MACHINE = StateMachine(
    "site account",
    {
        SiteAccountState.UNVERIFIED: {SiteAccountState.VERIFIED},
        SiteAccountState.VERIFIED: set(),
    },
)
