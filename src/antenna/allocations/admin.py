from django.contrib import admin

from antenna.allocations.models import (
    Allocation,
    ExternalUsage,
    FactoryAccount,
    LedgerEntry,
    UsageDay,
    UsageMonth,
)
from antenna.core.admin import ReadOnlyAdmin


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


@admin.register(FactoryAccount)
class FactoryAccountAdmin(ReadOnlyAdmin):
    """An allocation's account at a factory: kept by the worker, shown read-only."""

    list_display = ("slurm_name", "allocation", "factory", "state", "gpu_minutes",
                    "last_sync_at", "last_error")
    list_filter = ("state", "factory")


@admin.register(ExternalUsage)
class ExternalUsageAdmin(ReadOnlyAdmin):
    """Jobs run under an allocation's account outside the gateway, charged once."""

    list_display = ("scheduler_job_id", "allocation", "factory", "site_user", "gpus",
                    "elapsed_seconds", "gpu_seconds", "charged_gpu_seconds", "finished_at")
    list_filter = ("factory",)


@admin.register(UsageMonth)
class UsageMonthAdmin(ReadOnlyAdmin):
    """The usage roll-up the KPIs read: kept by the settle path, shown read-only."""

    list_display = ("allocation", "factory", "month", "jobs_gpu_seconds", "external_gpu_seconds")
    list_filter = ("factory", "month")


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    """The usage roll-up by day and week of the month (periods inside a month): kept by the
    settle path with `UsageMonth`, shown read-only."""

    list_display = ("allocation", "factory", "span", "day", "jobs_gpu_seconds",
                    "external_gpu_seconds")
    list_filter = ("span", "factory")

