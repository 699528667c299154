"""What the factories app does when other apps announce something."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from antenna.accounts.models import User
from antenna.factories.services import site_accounts_from_claim


def verify_site_accounts_from_claim(*, user: User, claims: dict[str, Any],
                                    **kwargs: Any) -> None:
    """After a federated sign-in: the claim named by ANTENNA_OIDC_SITE_ACCOUNTS_CLAIM (if
    any) verifies the person's site accounts."""
    name = settings.ANTENNA_OIDC_SITE_ACCOUNTS_CLAIM
    if name and name in claims:
        site_accounts_from_claim(user=user, claim=claims[name])
