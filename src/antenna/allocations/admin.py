from django.contrib import admin

from antenna.allocations.models import Allocation, LedgerEntry


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "granted_delta", "reserved_delta", "used_delta", "reference",
                       "note", "created_by", "created_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    """Budgets move only through the ledger services; the admin shows them read-only."""

    list_display = ("id", "organization", "factory", "state", "granted_gpu_seconds",
                    "reserved_gpu_seconds", "used_gpu_seconds", "ends_on")
    list_filter = ("state", "factory")
    readonly_fields = ("granted_gpu_seconds", "reserved_gpu_seconds", "used_gpu_seconds",
                       "state", "organization", "proposal")
    inlines = [LedgerInline]
