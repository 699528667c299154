from django.contrib import admin

from antenna.organizations.models import Membership, Organization


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
