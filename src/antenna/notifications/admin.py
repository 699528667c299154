from django.contrib import admin
from django.http import HttpRequest

from antenna.notifications.models import DigestSetting, Notice, NotificationPreference


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(_ReadOnly):
    """Read-only: notices are written by `notice_send` and the worker's outbox only."""

    list_display = ("user", "kind", "subject", "created_at", "read_at", "delivery",
                    "email_state", "email_attempts", "emailed_at")
    list_filter = ("kind", "email_state", "delivery")
    search_fields = ("user__username", "subject")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(_ReadOnly):
    """Read-only: each person sets their own on the preferences page or through the API."""

    list_display = ("user", "kind", "delivery")
    list_filter = ("kind", "delivery")
    search_fields = ("user__username",)


@admin.register(DigestSetting)
class DigestSettingAdmin(_ReadOnly):
    """Read-only: each person sets their own."""

    list_display = ("user", "frequency")
