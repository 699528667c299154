from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from antenna.opportunities.models import Opportunity


@admin.register(Opportunity)
class OpportunityAdmin(TranslationAdmin):  # a tab per language
    """Operators keep the catalogue here or through POST /api/v1/opportunities."""

    list_display = ("title", "kind", "deadline", "eligible_kinds", "regions")
    list_filter = ("kind",)
    search_fields = ("title",)
