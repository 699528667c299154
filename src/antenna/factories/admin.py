from collections.abc import Callable

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from antenna.accounts.models import User
from antenna.core.admin import ReadOnlyAdmin, service_action
from antenna.factories.models import Factory, FactoryStatus, Partition, SiteAccount
from antenna.factories.services import factory_set_status, site_account_verify


class PartitionInline(admin.TabularInline):
    model = Partition
    extra = 0


def _set_status_action(status: FactoryStatus) -> Callable[..., None]:
    def apply(factory: Factory, by: User) -> Factory:
        return factory_set_status(factory=factory, status=status, by=by)

    return service_action(f"set_status_{status.value}", f"Set status: {status.label}", apply)


@admin.register(Factory)
class FactoryAdmin(TranslationAdmin):  # a tab per language
    """Operators keep factories, partitions and accounting conversions here."""

    list_display = ("display_name", "name", "kind", "country", "status", "accounting_unit",
                    "gpu_hour_factor", "units_per_gpu_hour")
    list_filter = ("kind", "status")
    inlines = [PartitionInline]
    # The status changes only through factory_set_status (the actions below, audited); the
    # worker keeps the failure counters.
    readonly_fields = ("status", "consecutive_failures", "retry_after", "last_error")
    actions = [_set_status_action(status) for status in FactoryStatus]


def _verify(account: SiteAccount, by: User) -> SiteAccount:
    return site_account_verify(site_account=account, by=by)


@admin.register(SiteAccount)
class SiteAccountAdmin(ReadOnlyAdmin):
    """People's usernames at the factories; operators verify them (the action, audited)."""

    list_display = ("username", "factory", "user", "state", "verified_at", "verified_from")
    list_filter = ("state", "factory")
    search_fields = ("username", "user__username")
    actions = [service_action("verify", "Verify", _verify)]
