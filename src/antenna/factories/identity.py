"""Whose account a factory's jobs run under, and who can run where (identity modes)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.factories.models import Factory, IdentityMode, SiteAccount
from antenna.factories.states import SiteAccountState


def runnable_by(user: User, factories: Iterable[Factory]) -> list[Factory]:
    """The factories where `user` can run jobs: community ones, and per_user ones where they
    have a verified site account."""
    factories = list(factories)
    per_user = [f.pk for f in factories if f.identity_mode == IdentityMode.PER_USER]
    verified = set(SiteAccount.objects.filter(
        user=user, factory__in=per_user, state=SiteAccountState.VERIFIED,
    ).values_list("factory_id", flat=True)) if per_user else set()
    return [f for f in factories if f.identity_mode != IdentityMode.PER_USER or f.pk in verified]


def run_as(user: User, factory: Factory) -> str:
    """The username a job of `user` runs as at `factory`: their verified site username on a
    per_user factory; "" (the service account) on a community one or without one."""
    if factory.identity_mode != IdentityMode.PER_USER:
        return ""
    account = SiteAccount.objects.filter(user=user, factory=factory,
                                         state=SiteAccountState.VERIFIED).first()
    return account.username if account else ""


def missing_site_account_message(factories: Iterable[Factory]) -> str:
    """What to tell someone who has no verified account at these per_user factories."""
    names = ", ".join(f.display_name for f in factories
                      if f.identity_mode == IdentityMode.PER_USER)
    return _("%(f)s runs jobs under each person's own account there, and you have no verified "
             "account at it: link your username on your profile page (Accounts at the "
             "factories) and ask the operators to verify it.") % {"f": names or "-"}
