"""GPU-hour budgets granted to organisations, and the ledger that moves them.

Amounts are stored as whole antenna GPU-seconds (integers), so that every sum is exact on
SQLite and PostgreSQL alike; the API and pages show GPU-hours.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from antenna.allocations.states import AllocationState
from antenna.factories.models import Factory
from antenna.organizations.models import Organization

if TYPE_CHECKING:
    from antenna.accounts.models import User

SECONDS_PER_HOUR = 3600


def hours(seconds: int) -> Decimal:
    """GPU-seconds as GPU-hours, to 4 decimals (for display and the API)."""
    return (Decimal(seconds) / SECONDS_PER_HOUR).quantize(Decimal("0.0001"))


class AllocationQuerySet(models.QuerySet["Allocation"]):
    def visible_to(self, user: User) -> AllocationQuerySet:
        """Allocations `user` may see: operators and observers all, members their org's."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        return self.filter(organization__memberships__user=user)


class Allocation(models.Model):
    """A budget of GPU-hours an organisation may spend on one factory (or pooled) until a date.

    `reserved` holds the cost of jobs queued or running; `used` what finished jobs really
    consumed. The database refuses any row where reserved + used exceeds granted.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="allocations")
    proposal = models.OneToOneField("proposals.Proposal", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="allocation")
    factory = models.ForeignKey(
        Factory, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations",
        help_text=_("Empty: a pooled budget usable on every factory the call offers."),
    )
    granted_gpu_seconds = models.BigIntegerField(default=0)
    reserved_gpu_seconds = models.BigIntegerField(default=0)
    used_gpu_seconds = models.BigIntegerField(default=0)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    state = models.CharField(max_length=16, choices=AllocationState.choices,
                             default=AllocationState.ACTIVE, db_index=True)
    final_report_due_on = models.DateField(_("final report due on"))
    final_report = models.TextField(_("final report"), blank=True)
    final_report_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AllocationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(granted_gpu_seconds__gte=0),
                                   name="allocation_granted_nonnegative"),
            models.CheckConstraint(condition=Q(reserved_gpu_seconds__gte=0),
                                   name="allocation_reserved_nonnegative"),
            models.CheckConstraint(condition=Q(used_gpu_seconds__gte=0),
                                   name="allocation_used_nonnegative"),
            models.CheckConstraint(
                condition=Q(reserved_gpu_seconds__lte=F("granted_gpu_seconds")
                            - F("used_gpu_seconds")),
                name="allocation_reserved_plus_used_le_granted",
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="allocation_ends_after_start"),
        ]

    def __str__(self) -> str:
        where = self.factory.name if self.factory_id and self.factory else "pooled"
        return f"Allocation {self.pk} ({self.organization}, {where})"

    @property
    def remaining_gpu_seconds(self) -> int:
        return self.granted_gpu_seconds - self.reserved_gpu_seconds - self.used_gpu_seconds

    @property
    def gpu_hours_granted(self) -> Decimal:
        return hours(self.granted_gpu_seconds)

    @property
    def gpu_hours_reserved(self) -> Decimal:
        return hours(self.reserved_gpu_seconds)

    @property
    def gpu_hours_used(self) -> Decimal:
        return hours(self.used_gpu_seconds)

    @property
    def gpu_hours_remaining(self) -> Decimal:
        return hours(self.remaining_gpu_seconds)

    @property
    def is_pooled(self) -> bool:
        return self.factory_id is None


class LedgerKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    RESERVE = "reserve", _("Reserve")
    RELEASE = "release", _("Release")
    SETTLE = "settle", _("Settle")
    ADJUST = "adjust", _("Adjustment")


class LedgerEntry(models.Model):
    """One movement of an allocation's budget. Per allocation, the sums of the three deltas
    equal the allocation's granted, reserved and used totals (checked by
    `allocations.selectors.ledger_balances`)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT,
                                   related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    granted_delta = models.BigIntegerField(default=0)
    reserved_delta = models.BigIntegerField(default=0)
    used_delta = models.BigIntegerField(default=0)
    reference = models.CharField(max_length=64, blank=True,
                                 help_text=_("What caused it, e.g. job:42 or proposal:7."))
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["allocation_id", "id"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["allocation", "kind"])]

    def __str__(self) -> str:
        return (f"{self.kind} {self.allocation_id}: g{self.granted_delta:+} "
                f"r{self.reserved_delta:+} u{self.used_delta:+}")
