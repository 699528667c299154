"""Writes on factories (status changes, registration)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.errors import PermissionDenied, ValidationFailed
from antenna.factories.models import Factory, FactoryStatus


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
    by: User | None = None,
) -> Factory:
    """Create or update a factory, its connector settings and (optionally) one partition."""
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
                     after={"connector": connector, "settings": factory.connector_settings})
    return factory
