"""GPU-hour budgets granted to organisations, and the ledger that moves them.

Amounts are stored as whole antenna GPU-seconds (integers), so that every sum is exact on
SQLite and PostgreSQL alike; the API and pages show GPU-hours.
"""

from __future__ import annotations

import datetime as dt
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
    # the earliest start of its jobs (kept by jobs.services.job_record_status; time to access)
    first_job_started_at = models.DateTimeField(null=True, blank=True, editable=False)
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
    EXTERNAL = "external", _("Usage outside the gateway")


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


class FactoryAccountState(models.TextChoices):
    PENDING = "pending", _("Pending")  # not written to the factory yet
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")  # nothing new starts (GrpJobs=0)
    REMOVED = "removed", _("Removed")  # closed or expired: the associations are gone


class FactoryAccount(models.Model):
    """An allocation's account at one factory's Slurm (`ant<allocation id>`), kept by the
    worker through slurmdbd's REST API (`jobs/slurm_accounts.py`): its GPU-minute limit
    (GrpTRESMins gres/gpu, the grant after the factory's gpu_hour_factor), the users
    associated with it, and when the factory last matched what Antenna holds."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT,
                                   related_name="factory_accounts")
    factory = models.ForeignKey(Factory, on_delete=models.PROTECT,
                                related_name="allocation_accounts")
    slurm_name = models.CharField(_("Slurm account"), max_length=64)
    gpu_minutes = models.BigIntegerField(_("limit in GPU-minutes"), default=0)
    users = models.JSONField(default=list, blank=True,
                             help_text=_("The site usernames associated with the account."))
    state = models.CharField(max_length=16, choices=FactoryAccountState.choices,
                             default=FactoryAccountState.PENDING)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    # Until when the factory's accounting was read for usage outside the gateway.
    usage_read_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["allocation_id", "factory_id"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "factory"],
                                    name="factory_account_one_per_factory"),
            models.CheckConstraint(condition=Q(gpu_minutes__gte=0),
                                   name="factory_account_minutes_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.slurm_name} at {self.factory_id}"


class ExternalUsage(models.Model):
    """A job that ran at a factory under an allocation's account without going through
    Antenna (sbatch over SSH, Jupyter), read from Slurm's accounting and charged once to the
    allocation's ledger (`reference` ext:<factory>:<job id>). `charged_gpu_seconds` is what the
    ledger took: less than `gpu_seconds` when the allocation had no more left (overrun)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT,
                                   related_name="external_usage")
    factory = models.ForeignKey(Factory, on_delete=models.PROTECT, related_name="+")
    scheduler_job_id = models.CharField(max_length=64)
    site_user = models.CharField(max_length=64)
    gpus = models.PositiveIntegerField(default=0)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    gpu_seconds = models.BigIntegerField(default=0)
    charged_gpu_seconds = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        verbose_name_plural = _("external usage")
        constraints = [
            models.UniqueConstraint(fields=["factory", "scheduler_job_id"],
                                    name="external_usage_once_per_job"),
            models.CheckConstraint(condition=Q(charged_gpu_seconds__lte=F("gpu_seconds")),
                                   name="external_usage_charged_le_used"),
        ]

    def __str__(self) -> str:
        return f"ext:{self.factory_id}:{self.scheduler_job_id}"

    @property
    def overrun_gpu_seconds(self) -> int:
        return self.gpu_seconds - self.charged_gpu_seconds

    @property
    def charged_gpu_hours(self) -> Decimal:
        return hours(self.charged_gpu_seconds)


class UsageMonth(models.Model):
    """What an allocation's jobs were charged at one factory in one month (the local month of
    the job's end, its creation if none), and what runs outside the gateway were charged
    (`ExternalUsage`, by their end month): a roll-up the KPIs read instead of every job.

    Written only by `allocations.services.usage_month_add`, in the transaction that writes the
    charge (job settlement, its correction, an external usage); the migration that created it
    filled it from the records. `usage_months_rebuild` recomputes it from the records (for
    rows written without the services: the benchmark's and the demo's seeding)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE,
                                   related_name="usage_months")
    factory = models.ForeignKey(Factory, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    month = models.DateField()  # the first day of the month
    jobs_gpu_seconds = models.BigIntegerField(default=0)  # Σ Job.gpu_seconds_charged
    external_gpu_seconds = models.BigIntegerField(default=0)  # Σ ExternalUsage.charged

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation", "factory", "month"],
                                    name="usage_month_once"),
            models.UniqueConstraint(fields=["allocation", "month"],
                                    condition=Q(factory__isnull=True),
                                    name="usage_month_once_unplaced"),
            models.CheckConstraint(condition=Q(jobs_gpu_seconds__gte=0)
                                   & Q(external_gpu_seconds__gte=0),
                                   name="usage_month_not_negative"),
        ]
        indexes = [models.Index(fields=["month"], name="usage_month_month")]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.factory_id} {self.month:%Y-%m}"


class UsageSpan(models.IntegerChoices):
    """What a `UsageDay` row covers: one day, or one week of the month (from its 1st, 8th,
    15th, 22nd or 29th, seven days or to the month's end)."""

    DAY = 1, _("day")
    WEEK = 7, _("week of the month")


def usage_week_of(day: dt.date) -> dt.date:
    """The first day of `day`'s week of the month (the 1st, 8th, 15th, 22nd or 29th)."""
    return day.replace(day=min(day.day - (day.day - 1) % 7, 29))


class UsageDay(models.Model):
    """The usage roll-up by day and by week of the month: what `UsageMonth` holds, finer, for
    the periods that start or end inside a month (reports read the days at a period's ends
    from here instead of the jobs). The same charges, counted on the same local end day;
    each charge is in one row of each span (its day, its week).

    Written only by `allocations.services.usage_month_add`, with `UsageMonth`, in the
    transaction that writes the charge; the migration that created it filled it from the
    records; `usage_months_rebuild` recomputes it with `UsageMonth`."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE,
                                   related_name="usage_days")
    factory = models.ForeignKey(Factory, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    span = models.PositiveSmallIntegerField(choices=UsageSpan.choices)
    day = models.DateField()  # the day, or the first day of the week of the month
    jobs_gpu_seconds = models.BigIntegerField(default=0)  # Σ Job.gpu_seconds_charged
    external_gpu_seconds = models.BigIntegerField(default=0)  # Σ ExternalUsage.charged

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation", "factory", "span", "day"],
                                    name="usage_day_once"),
            models.UniqueConstraint(fields=["allocation", "span", "day"],
                                    condition=Q(factory__isnull=True),
                                    name="usage_day_once_unplaced"),
            models.CheckConstraint(condition=Q(jobs_gpu_seconds__gte=0)
                                   & Q(external_gpu_seconds__gte=0),
                                   name="usage_day_not_negative"),
            models.CheckConstraint(condition=Q(span__in=[1, 7]), name="usage_day_span"),
        ]
        indexes = [models.Index(fields=["span", "day"], name="usage_day_span_day")]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.factory_id} {self.get_span_display()} {self.day}"

