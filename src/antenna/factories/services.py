"""Writes on factories (status changes, registration)."""

from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.errors import Conflict, PermissionDenied, ValidationFailed
from antenna.factories.models import (
    SITE_USERNAME_PATTERN,
    Factory,
    FactoryStatus,
    IdentityMode,
    SiteAccount,
)
from antenna.factories.states import SITE_ACCOUNT_MACHINE, SiteAccountState

logger = logging.getLogger(__name__)


def factory_set_status(*, factory: Factory, status: str, by: User | None) -> Factory:
    """Mark a factory online, degraded, in maintenance or offline."""
    if by is not None and not by.is_operator:
        raise PermissionDenied(_("Only operators change a factory's status."))
    if status not in FactoryStatus.values:
        raise ValidationFailed(_("Unknown factory status '%(s)s'.") % {"s": status})
    with transaction.atomic():
        before = factory.status
        factory.status = status
        factory.save(update_fields=["status"])
        audit_record(action="factory.set_status", target=factory, by=by,
                     before={"status": before}, after={"status": status})
    return factory


FAILURES_BEFORE_OFFLINE = 5
MAX_BACKOFF_SECONDS = 300


def factory_record_failure(*, factory: Factory, error: str) -> Factory:
    """A call to the factory failed: back off exponentially, go offline after repeated failures."""
    import datetime as dt

    from django.utils import timezone

    with transaction.atomic():
        f = Factory.objects.select_for_update().get(pk=factory.pk)
        f.consecutive_failures += 1
        f.last_error = error[:2000]
        delay = min(MAX_BACKOFF_SECONDS, 2 ** min(f.consecutive_failures, 9))
        f.retry_after = timezone.now() + dt.timedelta(seconds=delay)
        fields = ["consecutive_failures", "last_error", "retry_after"]
        if f.consecutive_failures >= FAILURES_BEFORE_OFFLINE and f.status != FactoryStatus.OFFLINE:
            before = f.status
            f.status = FactoryStatus.OFFLINE
            fields.append("status")
            audit_record(action="factory.offline", target=f, by=None, before={"status": before},
                         after={"status": f.status}, message=error[:500])
        f.save(update_fields=fields)
    return f


def factory_record_success(*, factory: Factory) -> Factory:
    """A call succeeded: forget the failures; a factory Antenna took offline comes back."""
    from django.utils import timezone

    if factory.consecutive_failures == 0 and factory.status != FactoryStatus.OFFLINE:
        Factory.objects.filter(pk=factory.pk).update(last_contact_at=timezone.now())
        return factory
    with transaction.atomic():
        f = Factory.objects.select_for_update().get(pk=factory.pk)
        auto_offline = (f.status == FactoryStatus.OFFLINE
                        and f.consecutive_failures >= FAILURES_BEFORE_OFFLINE)
        f.consecutive_failures = 0
        f.last_error = ""
        f.retry_after = None
        f.last_contact_at = timezone.now()
        if auto_offline:
            f.status = FactoryStatus.ONLINE
            audit_record(action="factory.online", target=f, by=None,
                         before={"status": FactoryStatus.OFFLINE}, after={"status": f.status})
        f.save()
    return f


def factory_record_probe(*, factory: Factory, release: str, api_version: str) -> Factory:
    """A health probe answered: record what the factory runs (its scheduler release and the
    API version Antenna speaks to it). A change of either is audited (an upgrade at the site)."""
    from django.utils import timezone

    release, api_version = release[:80], api_version[:20]
    with transaction.atomic():
        f = Factory.objects.select_for_update().get(pk=factory.pk)
        before = {"release": f.scheduler_release, "api_version": f.scheduler_api_version}
        after = {"release": release, "api_version": api_version}
        f.scheduler_release, f.scheduler_api_version = release, api_version
        f.scheduler_checked_at = timezone.now()
        fields = ["scheduler_release", "scheduler_api_version", "scheduler_checked_at"]
        settings = dict(f.connector_settings or {})
        if (api_version and settings.get("api_version", "auto") == "auto"
                and settings.get("detected_api_version") != api_version):
            # What `auto` chose: the connector speaks it without asking the server each time
            # (its health probe, every PROBE_INTERVAL, asks again and updates this).
            settings["detected_api_version"] = api_version
            f.connector_settings = settings
            fields.append("connector_settings")
        f.save(update_fields=fields)
        if before != after:
            audit_record(action="factory.scheduler", target=f, by=None, before=before,
                         after=after)
    factory.scheduler_release, factory.scheduler_api_version = release, api_version
    factory.scheduler_checked_at = f.scheduler_checked_at
    factory.connector_settings = f.connector_settings
    return f


def factory_register(
    *,
    name: str,
    connector: str,
    display_name: str = "",
    country: str = "BE",
    kind: str = "ai_factory",
    connector_settings: dict[str, object] | None = None,
    partition: dict[str, object] | None = None,
    gpu_hour_factor: str | None = None,
    units_per_gpu_hour: str | None = None,
    accounting_unit: str | None = None,
    identity_mode: str | None = None,
    by: User | None = None,
) -> Factory:
    """Create or update a factory, its connector settings and (optionally) one partition.
    `identity_mode` (community or per_user) is left as it is when not given."""
    from decimal import Decimal, InvalidOperation

    from django.core.exceptions import ValidationError

    from antenna.connectors.registry import connector_kinds
    from antenna.factories.models import FactoryKind, Partition

    if connector not in connector_kinds():
        raise ValidationFailed(_("Unknown connector '%(c)s'; use one of: %(all)s.")
                               % {"c": connector, "all": ", ".join(connector_kinds())})
    if kind not in FactoryKind.values:
        raise ValidationFailed(_("kind must be ai_factory or sandbox."))
    values: dict[str, object] = {"connector": connector,
                                 "connector_settings": dict(connector_settings or {})}
    for field_name, raw in (("gpu_hour_factor", gpu_hour_factor),
                            ("units_per_gpu_hour", units_per_gpu_hour)):
        if raw is not None:
            try:
                number = Decimal(raw)
            except InvalidOperation as exc:
                raise ValidationFailed(_("%(f)s must be a number.") % {"f": field_name}) from exc
            if number <= 0:
                raise ValidationFailed(_("%(f)s must be positive.") % {"f": field_name})
            values[field_name] = number
    if accounting_unit:
        values["accounting_unit"] = accounting_unit
    if identity_mode is not None:
        if identity_mode not in IdentityMode.values:
            raise ValidationFailed(_("identity must be community or per_user; got '%(m)s'.")
                                   % {"m": identity_mode})
        values["identity_mode"] = identity_mode
    with transaction.atomic():
        factory, created = Factory.objects.get_or_create(
            name=name, defaults={"display_name": display_name or name, "country": country,
                                 "kind": kind},
        )
        before = {"connector": factory.connector} if not created else {}
        for key, value in values.items():
            setattr(factory, key, value)
        if display_name:
            factory.display_name = display_name
        try:
            factory.full_clean()
        except ValidationError as exc:
            raise ValidationFailed("; ".join(exc.messages)) from exc
        factory.save()
        if partition:
            Partition.objects.update_or_create(
                factory=factory, name=str(partition.pop("name")), defaults=partition
            )
        audit_record(action="factory.register", target=factory, by=by, before=before,
                     after={"connector": connector, "settings": factory.connector_settings,
                            "identity_mode": factory.identity_mode})
    return factory


def site_account_link(*, user: User, factory: Factory, username: str, by: User) -> SiteAccount:
    """Record `user`'s username at `factory`, unverified. One per person and factory; a
    username that someone else already holds at that factory is refused (409)."""
    username = username.strip()
    if not re.fullmatch(SITE_USERNAME_PATTERN, username):
        raise ValidationFailed(
            _("username: '%(u)s' is not a username at a factory (letters, digits, '_', '.', "
              "'-', starting with a letter or '_', at most 64).") % {"u": username[:80]})
    with transaction.atomic():
        mine = SiteAccount.objects.filter(user=user, factory=factory).first()
        if mine is not None:
            raise Conflict(_("You already have the username '%(u)s' at %(f)s; ask the operators "
                             "to change it.") % {"u": mine.username, "f": factory.display_name})
        if SiteAccount.objects.filter(factory=factory, username=username).exists():
            raise Conflict(_("The username '%(u)s' at %(f)s is already linked to another "
                             "person; check the spelling or ask the operators.")
                           % {"u": username, "f": factory.display_name})
        try:
            account = SiteAccount.objects.create(user=user, factory=factory, username=username)
        except IntegrityError as exc:  # a concurrent link won the race
            raise Conflict(_("The username '%(u)s' at %(f)s is already linked; reload and "
                             "check.") % {"u": username, "f": factory.display_name}) from exc
        audit_record(action="site_account.link", target=account, by=by,
                     after={"user": user.username, "factory": factory.name,
                            "username": username})
    return account


def site_account_verify(*, site_account: SiteAccount, by: User) -> SiteAccount:
    """An operator confirms that the username at the factory is this person's."""
    if not by.is_operator:
        raise PermissionDenied(_("Only operators verify site accounts."))
    return _verify(site_account, by=by, source="operator")


def _verify(site_account: SiteAccount, *, by: User | None, source: str) -> SiteAccount:
    with transaction.atomic():
        account = SiteAccount.objects.select_for_update().get(pk=site_account.pk)
        SITE_ACCOUNT_MACHINE.check(account.state, SiteAccountState.VERIFIED)
        account.state = SiteAccountState.VERIFIED
        account.verified_at = timezone.now()
        account.verified_by = by
        account.verified_from = source
        account.save(update_fields=["state", "verified_at", "verified_by", "verified_from"])
        audit_record(action="site_account.verify", target=account, by=by,
                     before={"state": SiteAccountState.UNVERIFIED},
                     after={"state": account.state, "from": source})
    return account


def site_accounts_from_claim(*, user: User, claim: object) -> list[SiteAccount]:
    """Verify (or create verified) the site accounts that the identity provider asserts in a
    claim mapping factory short names to usernames, e.g. {"jupiter": "amartin"}. A username
    that another person holds, or that differs from the one the person linked, is left alone
    (logged): the claim never takes an account from anyone."""
    if not isinstance(claim, dict):
        return []
    done = []
    for factory in Factory.objects.filter(name__in=[str(k) for k in claim]):
        username = claim[factory.name]
        if not isinstance(username, str) or not re.fullmatch(SITE_USERNAME_PATTERN, username):
            continue
        account = SiteAccount.objects.filter(user=user, factory=factory).first()
        if account is None:
            try:
                account = site_account_link(user=user, factory=factory, username=username,
                                            by=user)
            except Conflict:
                logger.warning("claim names %s at %s for %s: held by another person",
                               username, factory.name, user.username)
                continue
        if account.username != username:
            logger.warning("claim names %s at %s for %s, who linked %s", username,
                           factory.name, user.username, account.username)
            continue
        if account.state != SiteAccountState.VERIFIED:
            account = _verify(account, by=None, source="claim")
        done.append(account)
    return done
