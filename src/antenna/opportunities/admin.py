from django.contrib import admin

from antenna.opportunities.models import Opportunity


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    """Operators keep the catalogue here or through POST /api/v1/opportunities."""

    list_display = ("title", "kind", "deadline", "eligible_kinds", "regions")
    list_filter = ("kind",)
    search_fields = ("title",)
