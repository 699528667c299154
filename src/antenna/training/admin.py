from django.contrib import admin
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin

from antenna.training.models import Registration, TrainingEvent


@admin.register(TrainingEvent)
class TrainingEventAdmin(TranslationAdmin):  # a tab per language
    """Operators edit an event's texts here; publishing is through the API's service."""

    list_display = ("title", "starts_at", "capacity", "language", "online", "place")
    search_fields = ("title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Read-only: registrations change through their services (register, cancel, promote)."""

    list_display = ("event", "user", "state", "created_at", "attended")
    list_filter = ("state",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
