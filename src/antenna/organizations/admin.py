from django.contrib import admin
from django.http import HttpRequest

from antenna.organizations.models import Invitation, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "kind", "country", "region", "sector", "enterprise_number")
    list_filter = ("kind", "region", "sector", "country")
    search_fields = ("legal_name", "enterprise_number", "vat_number")
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations change only through their services (invite, answer, revoke)."""

    list_display = ("organization", "username", "invitee", "role", "state", "created_at")
    list_filter = ("state", "role")
    search_fields = ("username", "organization__legal_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
