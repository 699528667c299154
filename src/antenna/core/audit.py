"""Writing audit events (services call `audit_record` inside their transaction) and reading
one object's events back as its timeline."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from antenna.core.models import AuditEvent


def audit_record(
    *,
    action: str,
    target: models.Model,
    by: Any | None,
    organization_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEvent:
    """Store one audit event for `target`; `by` is the acting user or None for Antenna."""
    event = audit_event(action=action, target=target, by=by, organization_id=organization_id,
                        before=before, after=after, message=message)
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    action: str,
    target: models.Model,
    by: Any | None,
    organization_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEvent:
    """The unsaved event `audit_record` stores (for a service that writes it in the same SQL
    statement as its target: `jobs.services.job_submit` on PostgreSQL)."""
    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    return AuditEvent(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        organization_id=organization_id,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        message=message,
    )


def audit_store(events: list[AuditEvent]) -> None:
    """Store events made by `audit_event` in one INSERT (the worker's writes on a batch of
    jobs), inside the caller's transaction."""
    AuditEvent.objects.bulk_create(events, batch_size=500)


def audit_timeline(target: models.Model) -> QuerySet[AuditEvent]:
    """The audit events of one object, oldest first, with their actors: its status timeline
    on the proposal and job pages."""
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor").order_by("created_at", "id")


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str | int | float | bool) or value is None:
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [v if isinstance(v, str | int | float | bool) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def audit_record_many(
    *,
    action: str,
    targets: list[models.Model],
    by: Any | None,
    organization_id: int | None = None,
    after: list[dict[str, Any]] | None = None,
) -> None:
    """Store one audit event per target in one INSERT (a batch of jobs): each object's
    timeline stays whole, at the cost of one round trip."""
    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    afters = after or [{} for _ in targets]
    audit_store([
        AuditEvent(actor=actor, action=action, target_type=target._meta.label_lower,
                   target_id=str(target.pk), organization_id=organization_id,
                   before={}, after=_jsonable(values), message="")
        for target, values in zip(targets, afters, strict=True)
    ])
