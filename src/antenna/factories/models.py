"""AI factories (and the antenna's own sandbox) that run the jobs, with their partitions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from antenna.factories.partition_fit import partition_fits
from antenna.factories.states import SiteAccountState


class FactoryKind(models.TextChoices):
    AI_FACTORY = "ai_factory", _("EuroHPC AI Factory")
    SANDBOX = "sandbox", _("Antenna sandbox")


class FactoryStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    DEGRADED = "degraded", _("Degraded")
    MAINTENANCE = "maintenance", _("Maintenance")
    OFFLINE = "offline", _("Offline")


class IdentityMode(models.TextChoices):
    """Whose account a factory's jobs run under."""

    COMMUNITY = "community", _("Community account (Antenna's service account)")
    PER_USER = "per_user", _("Each person's own account at the factory")


class Factory(models.Model):
    """A compute site: a linked EuroHPC AI Factory or the antenna's local sandbox.

    Budgets inside Antenna are kept in antenna GPU-hours. `gpu_hour_factor` converts one
    hour of one GPU as the factory's scheduler counts it into antenna GPU-hours (LUMI's
    Slurm sees 8 GCDs per node and bills 1 GPU-hour per MI250X, i.e. per 2 GCDs: 0.5).
    `units_per_gpu_hour` converts antenna GPU-hours into the factory's own accounting unit
    (JSC core-hours, LUMI GPU-hours) for reports to the factory.
    """

    name = models.SlugField(_("short name"), max_length=40, unique=True)
    display_name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country"), max_length=2)
    location = models.CharField(_("location"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=FactoryKind.choices,
                            default=FactoryKind.AI_FACTORY)
    description = models.TextField(_("description"), blank=True)
    accounting_unit = models.CharField(_("accounting unit"), max_length=40,
                                       default="GPU-hours")
    units_per_gpu_hour = models.DecimalField(
        _("factory units per antenna GPU-hour"), max_digits=10, decimal_places=4,
        default=Decimal("1"), validators=[MinValueValidator(Decimal("0.0001"))],
    )
    gpu_hour_factor = models.DecimalField(
        _("antenna GPU-hours per scheduler GPU-hour"), max_digits=8, decimal_places=4,
        default=Decimal("1"), validators=[MinValueValidator(Decimal("0.0001"))],
    )
    status = models.CharField(_("status"), max_length=16, choices=FactoryStatus.choices,
                              default=FactoryStatus.ONLINE)
    connector = models.CharField(
        _("connector"), max_length=32, default="local",
        help_text=_("How Antenna talks to the scheduler: local (simulated) or slurmrest."),
    )
    connector_settings = models.JSONField(
        _("connector settings"), default=dict, blank=True,
        help_text=_("URL, service account, partition... Secrets are never stored here: give "
                    "token_file or token_env instead."),
    )
    identity_mode = models.CharField(
        _("identity mode"), max_length=16, choices=IdentityMode.choices,
        default=IdentityMode.COMMUNITY,
        help_text=_("community: jobs run as the service account, their comment names the "
                    "person; per_user: as each person's verified username there."),
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)
    # What the factory runs, as its last successful probe told (factory_record_probe).
    scheduler_release = models.CharField(_("scheduler release"), max_length=80, blank=True)
    scheduler_api_version = models.CharField(_("scheduler API version"), max_length=20,
                                             blank=True)
    scheduler_checked_at = models.DateTimeField(_("scheduler last probed"), null=True,
                                                blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Stored text in four languages (translation.py): the manager reads the language columns.
    objects: MultilingualManager[Factory] = MultilingualManager()

    class Meta:
        ordering = ["kind", "display_name"]
        verbose_name_plural = _("factories")
        constraints = [
            models.CheckConstraint(condition=models.Q(gpu_hour_factor__gt=0),
                                   name="factory_gpu_hour_factor_positive"),
            models.CheckConstraint(condition=models.Q(units_per_gpu_hour__gt=0),
                                   name="factory_units_per_gpu_hour_positive"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_available(self) -> bool:
        return self.status in (FactoryStatus.ONLINE, FactoryStatus.DEGRADED)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        secret_keys = {"token", "password", "secret", "jwt", "key"}
        for key in (self.connector_settings or {}):
            if key.lower() in secret_keys:
                raise ValidationError(
                    {"connector_settings": _("Do not store secrets here; use token_file or "
                                             "token_env.")}
                )


class Partition(models.Model):
    """A Slurm partition (or the sandbox's queue): GPU model, GPUs per node, walltime limit."""

    factory = models.ForeignKey(Factory, on_delete=models.CASCADE, related_name="partitions")
    name = models.CharField(_("name"), max_length=40)
    gpu_model = models.CharField(_("GPU model"), max_length=40)
    gpus_per_node = models.PositiveSmallIntegerField(_("GPUs per node"),
                                                     validators=[MinValueValidator(1)])
    max_nodes_per_job = models.PositiveIntegerField(_("maximum nodes per job"), default=1,
                                                    validators=[MinValueValidator(1)])
    max_walltime_minutes = models.PositiveIntegerField(_("maximum walltime (minutes)"),
                                                       validators=[MinValueValidator(1)])
    total_nodes = models.PositiveIntegerField(_("nodes"), default=1)
    is_default = models.BooleanField(_("default partition"), default=False)

    class Meta:
        ordering = ["factory_id", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "name"], name="partition_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.factory.name}/{self.name}"

    @property
    def max_gpus_per_job(self) -> int:
        return self.gpus_per_node * self.max_nodes_per_job

    def can_run(self, *, gpus: int, walltime_minutes: int | None) -> bool:
        """Whether a job of `gpus` GPUs for `walltime_minutes` (None: any) fits here."""
        return partition_fits(gpus=gpus, walltime_minutes=walltime_minutes,
                              gpus_per_node=self.gpus_per_node,
                              max_nodes_per_job=self.max_nodes_per_job,
                              max_walltime_minutes=self.max_walltime_minutes)


SITE_USERNAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"


class SiteAccount(models.Model):
    """A person's username at a factory (their Unix/Slurm account there). The person links it;
    an operator verifies it, or a claim of the identity provider does. One per person and
    factory; a username belongs to one person at a factory."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="site_accounts")
    factory = models.ForeignKey(Factory, on_delete=models.CASCADE, related_name="site_accounts")
    username = models.CharField(_("username at the factory"), max_length=64,
                                validators=[RegexValidator(SITE_USERNAME_PATTERN)])
    state = models.CharField(max_length=16, choices=SiteAccountState.choices,
                             default=SiteAccountState.UNVERIFIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    verified_from = models.CharField(max_length=16, blank=True,
                                     help_text=_("'operator' or 'claim'."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["factory_id", "username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "factory"],
                                    name="site_account_one_per_factory"),
            models.UniqueConstraint(fields=["factory", "username"],
                                    name="site_account_unique_username"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.factory.name}"
