from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from antenna.calls.models import Call


@admin.register(Call)
class CallAdmin(TranslationAdmin):  # a tab per language
    """Operators change a call's rules here (every rule is per call)."""

    list_display = ("title", "mode", "opens_on", "closes_on", "min_gpu_hours", "max_gpu_hours",
                    "decision_target_days", "is_published")
    list_filter = ("mode", "is_published")
    search_fields = ("title",)
    filter_horizontal = ("factories",)
