"""Reads on factories. Factories and partitions are public reference data."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from antenna.accounts.models import User
from antenna.factories.models import Factory, Partition, SiteAccount
from antenna.factories.states import SiteAccountState


def factory_list(*, kind: str | None = None, status: str | None = None) -> QuerySet[Factory]:
    qs = Factory.objects.prefetch_related(
        Prefetch("partitions", queryset=Partition.objects.order_by("-is_default", "name"))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("kind", "display_name")


def factory_can_run(factory: Factory, *, gpus_per_job: int) -> bool:
    """Whether one of the factory's partitions fits a job of that many GPUs (prefetched)."""
    return any(p.can_run(gpus=gpus_per_job, walltime_minutes=None)
               for p in factory.partitions.all())


def factory_by_id(pk: int | None) -> Factory | None:
    """The factory a request names by id (None when it names none); 404 if there is no such."""
    from django.utils.translation import gettext as _

    from antenna.core.errors import NotFound

    if pk is None:
        return None
    factory = Factory.objects.filter(pk=pk).first()
    if factory is None:
        raise NotFound(_("factory: no factory with id %(pk)s.") % {"pk": pk})
    return factory


def site_accounts_visible_to(user: User) -> QuerySet[SiteAccount]:
    """A person's own site accounts; operators and observers see everyone's."""
    qs = SiteAccount.objects.select_related("factory", "user", "verified_by")
    if user.sees_everything:
        return qs.order_by("factory__name", "username")
    return qs.filter(user=user).order_by("factory__name", "username")


def site_account_for_user(user: User, pk: int) -> SiteAccount:
    """The site account if `user` may see it; NotFound otherwise (missing or not theirs)."""
    from django.utils.translation import gettext as _

    from antenna.core.errors import NotFound

    account = site_accounts_visible_to(user).filter(pk=pk).first()
    if account is None:
        raise NotFound(_("Site account %(pk)s not found.") % {"pk": pk})
    return account


def verified_site_username(user: User, factory: Factory) -> str:
    """The user's verified username at the factory, or "" when there is none."""
    account = SiteAccount.objects.filter(user=user, factory=factory,
                                         state=SiteAccountState.VERIFIED).first()
    return account.username if account else ""


def factories_by_id(pks: set[int]) -> dict[int, Factory]:
    """The factories a request names by id, in one query; 404 naming the first missing id."""
    from django.utils.translation import gettext as _

    from antenna.core.errors import NotFound

    found = Factory.objects.in_bulk(list(pks))
    for pk in sorted(pks):
        if pk not in found:
            raise NotFound(_("factory: no factory with id %(pk)s.") % {"pk": pk})
    return found
