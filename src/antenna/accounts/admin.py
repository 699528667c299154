from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from antenna.accounts.models import ApiToken, User


@admin.register(User)
class AntennaUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()),
                 ("Antenna", {"fields": ("role", "preferred_language")}))
    list_display = ("username", "email", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")
