from django.contrib import admin

from antenna.core.admin import ReadOnlyAdmin
from antenna.proposals.models import (
    Decision,
    Proposal,
    Review,
    ReviewAssignment,
    TechnicalAssessment,
)


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-mostly: state changes go through the services (pages and API), not the admin."""

    list_display = ("title", "organization", "call", "state", "requested_gpu_hours",
                    "submitted_at", "decision_due_at")
    list_filter = ("state", "call__mode")
    search_fields = ("title", "organization__legal_name")
    readonly_fields = ("state", "submitted_at", "decided_at", "decision_due_at", "created_by")


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ("proposal", "reviewer", "assigned_at", "due_at")
    readonly_fields = ("proposal", "reviewer", "assigned_by", "assigned_at")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Reviews are written by reviewers through `proposal_review`, never here."""

    list_display = ("assignment", "score", "recommendation", "created_at")


@admin.register(TechnicalAssessment)
class TechnicalAssessmentAdmin(ReadOnlyAdmin):
    """Assessments are recorded through `proposal_assess`, never here."""

    list_display = ("proposal", "feasible", "recommended_factory", "assessed_by")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """Decisions are taken through `proposal_decide` (which grants the allocation), never
    here."""

    list_display = ("proposal", "outcome", "gpu_hours", "decided_by", "created_at")
