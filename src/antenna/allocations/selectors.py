"""Reads on allocations and their ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, F, OuterRef, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import (
    Allocation,
    ExternalUsage,
    FactoryAccount,
    LedgerEntry,
    hours,
)
from antenna.core.errors import NotFound
from antenna.organizations.models import Membership


def allocation_list(*, user: User, organization: int | None = None, state: str | None = None,
                    factory: int | None = None) -> QuerySet[Allocation]:
    qs = Allocation.objects.visible_to(user).select_related("organization", "factory",
                                                            "proposal")
    if organization:
        qs = qs.filter(organization_id=organization)
    if state:
        qs = qs.filter(state=state)
    if factory:
        qs = qs.filter(factory_id=factory)
    return qs.order_by("-created_at", "-id")


def allocation_for_user(user: User, pk: int) -> Allocation:
    """The allocation if `user` may see it; NotFound otherwise (missing or not theirs)."""
    allocation = (
        Allocation.objects.visible_to(user)
        .select_related("organization", "factory", "proposal")
        .filter(pk=pk)
        .first()
    )
    if allocation is None:
        raise NotFound(_("Allocation %(pk)s not found.") % {"pk": pk})
    return allocation


def allocation_for_submit(user: User, pk: int) -> Allocation:
    """`allocation_for_user` for a job submit, in one query: the allocation with its factory
    (not its organisation or proposal, read only on a refusal), and whether `user` is a member
    of its organisation (`is_member_checked(allocation, user)`), so that the submit does not
    ask again. NotFound when missing or not theirs."""
    qs = Allocation.objects.visible_to(user).select_related("factory").filter(pk=pk)
    if user.sees_everything:  # operators and observers see it without being members
        qs = qs.annotate(submitter_is_member=Exists(Membership.objects.filter(
            organization_id=OuterRef("organization_id"), user_id=user.pk)))
    else:  # visible_to already joined their membership
        qs = qs.annotate(submitter_is_member=Value(True))
    allocation = qs.first()
    if allocation is None:
        raise NotFound(_("Allocation %(pk)s not found.") % {"pk": pk})
    allocation.membership_checked_for = user.pk  # type: ignore[attr-defined]
    return allocation


def is_member_checked(allocation: Allocation, user: User) -> bool | None:
    """Whether `user` is a member of the allocation's organisation, as `allocation_for_submit`
    read it with the allocation; None when it was not read for this user."""
    if getattr(allocation, "membership_checked_for", None) != user.pk:
        return None
    return bool(getattr(allocation, "submitter_is_member", False))


def ledger_balances(allocation: Allocation) -> bool:
    """Whether the ledger's sums equal the allocation's totals."""
    sums = LedgerEntry.objects.filter(allocation=allocation).aggregate(
        g=Sum("granted_delta"), r=Sum("reserved_delta"), u=Sum("used_delta")
    )
    return (
        (sums["g"] or 0) == allocation.granted_gpu_seconds
        and (sums["r"] or 0) == allocation.reserved_gpu_seconds
        and (sums["u"] or 0) == allocation.used_gpu_seconds
    )


def organizations_with_overdue_report(organization_ids: list[int]) -> set[int]:
    """Which of these organisations have a final report past its due date."""
    today = timezone.localdate()
    return set(
        Allocation.objects.filter(
            organization_id__in=organization_ids,
            final_report_due_on__lt=today,
            final_report_submitted_at__isnull=True,
        ).values_list("organization_id", flat=True)
    )


def allocation_of_proposal(user: User, proposal_id: int) -> Allocation | None:
    """The allocation a proposal's decision granted, if any and if `user` may see it."""
    return Allocation.objects.visible_to(user).filter(proposal_id=proposal_id).first()


def factory_accounts_of(allocation: Allocation) -> list[FactoryAccount]:
    """The allocation's accounts at its factories (Slurm), with their limit and last sync."""
    return list(FactoryAccount.objects.filter(allocation=allocation)
                .select_related("factory").order_by("factory__name"))


def external_usage_of(allocation: Allocation, limit: int = 50) -> list[ExternalUsage]:
    """The latest jobs run under the allocation's accounts outside the gateway."""
    return list(ExternalUsage.objects.filter(allocation=allocation)
                .select_related("factory")[:limit])


def allocations_over_grant(limit: int = 20) -> list[tuple[Allocation, Decimal]]:
    """Allocations whose use passed their grant: usage outside the gateway that the ledger
    could not take (the allocation had nothing left), with the GPU-hours over, most first."""
    over = (ExternalUsage.objects.filter(charged_gpu_seconds__lt=F("gpu_seconds"))
            .values("allocation_id")
            .annotate(over=Sum(F("gpu_seconds") - F("charged_gpu_seconds")))
            .order_by("-over")[:limit])
    amounts = {row["allocation_id"]: int(row["over"]) for row in over}
    shown = Allocation.objects.filter(pk__in=amounts).select_related("organization", "proposal")
    return sorted(((a, hours(amounts[a.pk])) for a in shown), key=lambda pair: -pair[1])
