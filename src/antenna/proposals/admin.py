from django.contrib import admin

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


admin.site.register(Review)
admin.site.register(TechnicalAssessment)
admin.site.register(Decision)
