"""Jobs submitted through the gateway, from the budget check to the settled GPU-hours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from antenna.allocations.models import Allocation, hours
from antenna.factories.models import Factory, Partition
from antenna.jobs.states import JobState

if TYPE_CHECKING:
    from decimal import Decimal

    from antenna.accounts.models import User


class JobQuerySet(models.QuerySet["Job"]):
    def visible_to(self, user: User) -> JobQuerySet:
        """Operators and observers see every job; members see their organisations' jobs."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        return self.filter(allocation__organization__memberships__user=user)


class Job(models.Model):
    """An AI job a user submits against an allocation; Antenna places, runs and accounts it.

    `gpu_seconds_reserved` is what the allocation holds for it while it is queued or running;
    `gpu_seconds_charged` what it really cost once finished (GPUs x elapsed x factor).
    `charge_provisional`: settled from the scheduler's live job record (start and end) while
    its accounting did not answer; corrected once to the accounting record when it does.
    """

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="jobs")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="jobs")
    name = models.CharField(_("name"), max_length=100)
    script = models.TextField(_("script"))
    container_image = models.CharField(_("container image"), max_length=300, blank=True)
    gpus = models.PositiveSmallIntegerField(_("GPUs"))
    cpus = models.PositiveSmallIntegerField(_("CPUs"), default=8)
    memory_gb = models.PositiveIntegerField(_("memory (GB)"), default=32)
    walltime_minutes = models.PositiveIntegerField(_("walltime (minutes)"))
    requested_factory = models.ForeignKey(Factory, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    factory = models.ForeignKey(Factory, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="jobs")
    partition = models.ForeignKey(Partition, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="jobs")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED,
                             db_index=True)
    state_reason = models.TextField(blank=True)
    scheduler_job_id = models.CharField(max_length=64, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    gpu_seconds_reserved = models.BigIntegerField(default=0)
    gpu_seconds_charged = models.BigIntegerField(null=True, blank=True)
    elapsed_seconds = models.IntegerField(null=True, blank=True)
    dispatch_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text=_("A worker is dispatching it until then."))
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    array = models.CharField(
        _("array"), max_length=200, blank=True,
        help_text=_("Slurm job array indexes, like 0-99: one task per index."))
    array_tasks = models.PositiveIntegerField(
        default=1, help_text=_("How many tasks the job runs (1 unless it is an array)."))
    charge_provisional = models.BooleanField(
        _("provisional charge"), default=False,
        help_text=_("Charged from the scheduler's job record while its accounting was "
                    "unreachable; corrected once accounting answers."))

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["allocation", "state"]),
            models.Index(fields=["factory", "state"]),
            models.Index(fields=["state", "next_attempt_at"]),
            # the KPIs' "used" on the partial months of a period (reports.selectors)
            models.Index(Coalesce("finished_at", "created_at"), name="job_charged_used_at",
                         condition=Q(gpu_seconds_charged__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(gpus__gte=1), name="job_gpus_positive"),
            models.CheckConstraint(condition=Q(walltime_minutes__gte=1),
                                   name="job_walltime_positive"),
            models.CheckConstraint(condition=Q(gpu_seconds_reserved__gte=0),
                                   name="job_reserved_nonnegative"),
            models.CheckConstraint(
                condition=Q(gpu_seconds_charged__isnull=True)
                | Q(gpu_seconds_charged__gte=0),
                name="job_charged_nonnegative",
            ),
            models.CheckConstraint(condition=Q(array_tasks__gte=1),
                                   name="job_array_tasks_positive"),
            models.CheckConstraint(  # only a settled job has a (provisional) charge
                condition=Q(charge_provisional=False) | Q(settled_at__isnull=False),
                name="job_provisional_only_when_settled",
            ),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} {self.name} ({self.state})"

    @property
    def gpu_hours_reserved(self) -> Decimal:
        return hours(self.gpu_seconds_reserved)

    @property
    def gpu_hours_charged(self) -> Decimal | None:
        return None if self.gpu_seconds_charged is None else hours(self.gpu_seconds_charged)

    @property
    def scheduler_name(self) -> str:
        return f"antenna-{self.pk}"


class JobTask(models.Model):
    """One task of a job array as the factory's scheduler reports it (`123_4` in Slurm):
    its state, exit code and elapsed time; the job is charged the sum of its tasks'."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="tasks")
    index = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    scheduler_job_id = models.CharField(max_length=64, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    elapsed_seconds = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job_id", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"],
                                               name="job_task_unique_index")]

    def __str__(self) -> str:
        return f"Job {self.job_id} task {self.index} ({self.state})"
