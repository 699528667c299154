"""The expertise desk: experts, the requests organisations send them, and their threads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antenna.expertise.states import OPEN_STATES, RequestState
from antenna.organizations.models import Organization

if TYPE_CHECKING:
    import datetime as dt

    from antenna.accounts.models import User


class Topic(models.TextChoices):
    GETTING_STARTED = "getting_started", _("Getting started")
    PORTING = "porting", _("Porting (e.g. CUDA to ROCm for LUMI)")
    SCALING = "scaling", _("Scaling and distributed training")
    FINE_TUNING = "fine_tuning", _("Fine-tuning")
    INFERENCE = "inference_mlops", _("Inference and MLOps")
    DATA_PROTECTION = "data_protection", _("Data protection (GDPR)")
    AI_ACT = "ai_act", _("AI Act compliance")
    PROPOSAL_WRITING = "proposal_writing", _("Writing a proposal")


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    NL = "nl", "Nederlands"
    DE = "de", "Deutsch"


class ExpertProfile(models.Model):
    """What an expert (platform role `expert`) knows and can take on: topics, languages,
    regions, and how many open requests at once (`capacity`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="expert_profile")
    skills = models.JSONField(_("skills"), default=list, blank=True,
                              help_text=_("Topics, e.g. [\"porting\", \"scaling\"]."))
    languages = models.JSONField(_("languages"), default=list, blank=True,
                                 help_text=_("Language codes, e.g. [\"en\", \"fr\"]."))
    regions = models.JSONField(_("regions"), default=list, blank=True,
                               help_text=_("Regions served; empty means all."))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=5)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class ExpertiseRequestQuerySet(models.QuerySet["ExpertiseRequest"]):
    def visible_to(self, user: User) -> ExpertiseRequestQuerySet:
        """Operators and observers see all; an expert the requests assigned to them; a member
        their organisations' requests."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        return self.filter(
            Q(expert=user) | Q(organization__memberships__user=user)
        ).distinct()

    def open(self) -> ExpertiseRequestQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, now: dt.datetime | None = None) -> ExpertiseRequestQuerySet:
        """Open requests with no expert answer yet and their first-response target passed."""
        return self.open().filter(first_response_at__isnull=True,
                                  first_response_due__lt=now or timezone.now())


class ExpertiseRequest(models.Model):
    """A question an organisation's member asks the antenna's experts, on one topic, in one
    language, optionally about a proposal or an allocation. States:
    `states.REQUEST_MACHINE`; first response due 2 Belgian working days after filing."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="expertise_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="expertise_requests")
    topic = models.CharField(_("topic"), max_length=32, choices=Topic.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices,
                                default=Language.EN)
    proposal = models.ForeignKey("proposals.Proposal", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="expertise_requests")
    allocation = models.ForeignKey("allocations.Allocation", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="expertise_requests")
    state = models.CharField(max_length=24, choices=RequestState.choices,
                             default=RequestState.NEW)
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="assigned_requests")
    created_at = models.DateTimeField(default=timezone.now)
    first_response_due = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, help_text=_("1 (poor) to 5 (excellent)."))

    objects = ExpertiseRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="expertise_request_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_overdue(self) -> bool:
        return (self.state in OPEN_STATES and self.first_response_at is None
                and self.first_response_due < timezone.now())


class ExpertiseMessage(models.Model):
    """One message of a request's thread, by the requester's side, the expert or an operator,
    optionally with one attached file (`expertise.attachments`: size limit and the
    organisation's upload quota; downloaded only by those who see the request)."""

    request = models.ForeignKey(ExpertiseRequest, on_delete=models.CASCADE,
                                related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("message"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="expertise/%Y/%m/", blank=True,
                                  max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} on #{self.request_id}"

    @property
    def attachment_name(self) -> str:
        return self.attachment.name.rsplit("/", 1)[-1] if self.attachment else ""
