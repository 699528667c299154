from django.contrib import admin
from django.http import HttpRequest

from antenna.expertise.models import ExpertiseMessage, ExpertiseRequest, ExpertProfile


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    """Operators keep the experts' skills, languages, regions and capacity here."""

    list_display = ("user", "skills", "languages", "regions", "capacity", "active")
    list_filter = ("active",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)


class MessageInline(admin.TabularInline):
    model = ExpertiseMessage
    extra = 0
    can_delete = False
    readonly_fields = ("author", "body", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExpertiseRequest)
class ExpertiseRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change only through their services (assign, answer, resolve)."""

    list_display = ("pk", "title", "organization", "topic", "language", "state", "expert",
                    "first_response_due", "resolved_at")
    list_filter = ("state", "topic", "language")
    search_fields = ("title", "organization__legal_name")
    inlines = [MessageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
