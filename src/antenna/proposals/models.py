"""Proposals for compute, their technical assessment, peer reviews and decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from antenna.calls.models import Call
from antenna.factories.models import Factory
from antenna.organizations.models import Organization
from antenna.proposals.states import COUNTS_FOR_CALL, ProposalState

if TYPE_CHECKING:
    from antenna.accounts.models import User


class Openness(models.TextChoices):
    OPEN = "open", _("Results published openly")
    PARTIAL = "partial", _("Partly published")
    CLOSED = "closed", _("Confidential")


class OutcomeReason(models.TextChoices):
    """Why a proposal was refused (or granted less) or withdrawn: a fixed set, so the outlook
    can count what was turned away for lack of capacity (docs/kpis.md, "Unmet demand")."""

    CAPACITY = "capacity", _("Lack of capacity")
    SCIENTIFIC = "scientific", _("Scientific or technical merit")
    ELIGIBILITY = "eligibility", _("Eligibility")
    OTHER = "other", _("Other")


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def visible_to(self, user: User) -> ProposalQuerySet:
        """Operators and observers see all; reviewers their assignments; members their org's."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        mine = Q(organization__memberships__user=user)
        assigned = Q(review_assignments__reviewer=user)
        return self.filter(mine | assigned).distinct()


class Proposal(models.Model):
    """A request for GPU-hours under a call, by an organisation, led by a principal investigator."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="proposals")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="proposals")
    principal_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_proposals",
        verbose_name=_("principal investigator"),
    )
    pi_contract_ends_on = models.DateField(
        _("PI's contract ends on"), null=True, blank=True,
        help_text=_("Leave empty for a permanent position."),
    )
    title = models.CharField(_("title"), max_length=200)
    abstract = models.TextField(_("abstract"))
    objectives = models.TextField(_("objectives"), blank=True)
    requested_gpu_hours = models.PositiveIntegerField(_("requested GPU-hours"))
    gpu_hours_justification = models.TextField(_("how the GPU-hours were estimated"), blank=True)
    factory = models.ForeignKey(Factory, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="proposals", verbose_name=_("preferred factory"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"))
    gpus_per_job = models.PositiveSmallIntegerField(_("GPUs per job"), default=1)
    storage_tb = models.DecimalField(_("storage (TB)"), max_digits=8, decimal_places=2,
                                     default=0)
    software_stack = models.TextField(_("software stack and containers"), blank=True)
    data_description = models.TextField(_("data and its provenance"), blank=True)
    personal_data = models.BooleanField(_("uses personal data"), default=False)
    licences = models.TextField(_("licences"), blank=True)
    openness = models.CharField(_("openness of results"), max_length=16,
                                choices=Openness.choices, default=Openness.OPEN)
    civilian_use = models.BooleanField(_("civilian use only"), default=False)
    attachment = models.FileField(_("attachment (PDF)"), upload_to="proposals/%Y/%m/",
                                  blank=True)
    state = models.CharField(max_length=32, choices=ProposalState.choices,
                             default=ProposalState.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(
        _("reason for withdrawing"), max_length=16, choices=OutcomeReason.choices, blank=True,
        help_text=_("Optional; 'Lack of capacity' counts as unmet demand in the outlook."))
    decision_due_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organization"],
                condition=Q(state__in=[s.value for s in COUNTS_FOR_CALL]),
                name="proposal_one_per_organization_per_call",
            ),
            models.CheckConstraint(condition=Q(requested_gpu_hours__gte=1),
                                   name="proposal_requests_gpu_hours"),
        ]

    def __str__(self) -> str:
        return self.title


class TechnicalAssessment(models.Model):
    """The hosting side's technical check: can the factory run this, as asked?"""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE,
                                    related_name="technical_assessment")
    feasible = models.BooleanField(_("technically feasible"))
    comment = models.TextField(_("comment"), blank=True)
    recommended_factory = models.ForeignKey(Factory, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    automatic = models.BooleanField(default=False)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Technical assessment of {self.proposal_id}: {self.feasible}"


class ReviewAssignment(models.Model):
    """A reviewer asked to peer-review a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE,
                                 related_name="review_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="review_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer"],
                                    name="review_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.proposal_id}"


class Recommendation(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")


class Review(models.Model):
    """A peer review: scores per criterion (1-5), an overall score, comments, a recommendation.

    The reviewer declares having no conflict of interest when submitting it.
    """

    assignment = models.OneToOneField(ReviewAssignment, on_delete=models.CASCADE,
                                      related_name="review")
    scores = models.JSONField(_("scores per criterion"), default=dict, blank=True)
    score = models.PositiveSmallIntegerField(
        _("overall score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices)
    comment = models.TextField(_("comment"), blank=True)
    no_conflict_declared = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5),
                                   name="review_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.assignment.proposal_id}: {self.score}"


class Decision(models.Model):
    """The operator's (or, for Playground, Antenna's) decision on a proposal."""

    class Outcome(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE,
                                    related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    gpu_hours = models.PositiveIntegerField(default=0)
    factory = models.ForeignKey(Factory, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    comment = models.TextField(blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=OutcomeReason.choices,
                              blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.outcome} {self.proposal_id}"
