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
