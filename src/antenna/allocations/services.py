"""Writes on allocations: grant, state changes, final reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import SECONDS_PER_HOUR, Allocation, LedgerEntry, LedgerKind
from antenna.allocations.states import ALLOCATION_MACHINE, AllocationState
from antenna.core.audit import audit_record
from antenna.core.errors import PermissionDenied, ValidationFailed
from antenna.core.workdays import add_months
from antenna.factories.models import Factory
from antenna.organizations.access import require_member

if TYPE_CHECKING:
    from antenna.proposals.models import Proposal

FINAL_REPORT_MONTHS = 3


def allocation_grant(
    *,
    proposal: Proposal,
    gpu_hours: int,
    factory: Factory | None,
    starts_on: dt.date | None = None,
    by: User | None,
) -> Allocation:
    """Create the active allocation a positive decision awards (called inside its transaction)."""
    if gpu_hours < 1:
        raise ValidationFailed(_("Grant at least 1 GPU-hour."))
    starts_on = starts_on or timezone.localdate()
    ends_on = add_months(starts_on, proposal.duration_months)
    allocation = Allocation.objects.create(
        organization=proposal.organization,
        proposal=proposal,
        factory=factory,
        granted_gpu_seconds=gpu_hours * SECONDS_PER_HOUR,
        starts_on=starts_on,
        ends_on=ends_on,
        final_report_due_on=add_months(ends_on, FINAL_REPORT_MONTHS),
        state=AllocationState.ACTIVE,
    )
    LedgerEntry.objects.create(
        allocation=allocation, kind=LedgerKind.GRANT,
        granted_delta=allocation.granted_gpu_seconds, reference=f"proposal:{proposal.pk}",
        created_by=by if by is not None and by.is_authenticated else None,
    )
    audit_record(
        action="allocation.grant", target=allocation, by=by,
        organization_id=allocation.organization_id,
        after={"gpu_hours": gpu_hours, "factory": factory.name if factory else "pooled",
               "starts_on": starts_on, "ends_on": ends_on},
    )
    return allocation


def _move(allocation: Allocation, target: str, *, by: User | None, action: str,
          message: str = "") -> Allocation:
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        ALLOCATION_MACHINE.check(locked.state, target)
        before = locked.state
        locked.state = target
        locked.save(update_fields=["state", "updated_at"])
        audit_record(action=action, target=locked, by=by,
                     organization_id=locked.organization_id,
                     before={"state": before}, after={"state": target}, message=message)
    return locked


def _require_operator(by: User) -> None:
    if not by.is_operator:
        raise PermissionDenied(_("Only operators change an allocation's state."))


def allocation_suspend(*, allocation: Allocation, by: User, reason: str = "") -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.SUSPENDED, by=by, action="allocation.suspend",
                 message=reason)


def allocation_resume(*, allocation: Allocation, by: User) -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.ACTIVE, by=by, action="allocation.resume")


def allocation_close(*, allocation: Allocation, by: User, reason: str = "") -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.CLOSED, by=by, action="allocation.close",
                 message=reason)


def allocations_expire_due(*, today: dt.date | None = None) -> int:
    """Move every active or suspended allocation past its end date to `expired`."""
    today = today or timezone.localdate()
    count = 0
    due = Allocation.objects.filter(
        state__in=[AllocationState.ACTIVE, AllocationState.SUSPENDED], ends_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        _move(Allocation(pk=pk), AllocationState.EXPIRED, by=None, action="allocation.expire")
        count += 1
    return count


def allocation_submit_final_report(*, allocation: Allocation, report: str,
                                   by: User) -> Allocation:
    """A member files the allocation's final report (due 3 months after its end)."""
    require_member(by, allocation.organization)
    report = report.strip()
    if len(report) < 20:
        raise ValidationFailed(
            _("Write a final report of a few sentences (what ran, what came out of it).")
        )
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        locked.final_report = report
        locked.final_report_submitted_at = timezone.now()
        locked.save(update_fields=["final_report", "final_report_submitted_at", "updated_at"])
        audit_record(action="allocation.final_report", target=locked, by=by,
                     organization_id=locked.organization_id)
    return locked
