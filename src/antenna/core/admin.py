from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from antenna.core.errors import AntennaError
from antenna.core.models import AuditEvent


def service_action(name: str, description: str,
                   apply: Callable[[Any, Any], object]) -> Callable[..., None]:
    """An admin action that calls a service, `apply(row, by)`, on each selected row, so the
    admin writes through the same validation and audit as the pages; refusals are shown."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest,
               queryset: QuerySet[Model]) -> None:
        done = 0
        for row in queryset:
            try:
                apply(row, request.user)
            except AntennaError as exc:
                modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
                continue
            done += 1
        if done:
            modeladmin.message_user(request, f"{description}: {done} done.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown in the admin, never written there: these rows change only through services."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail is read-only, even for superusers."""

    list_display = ("created_at", "action", "target_type", "target_id", "actor")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "message")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
