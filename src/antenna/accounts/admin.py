from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from antenna.accounts.models import ApiToken, FederatedIdentity, PlatformRole, User
from antenna.accounts.services import user_set_role
from antenna.core.admin import ReadOnlyAdmin, service_action


def _set_role_action(role: PlatformRole) -> Callable[..., None]:
    def apply(user: User, by: User) -> User:
        return user_set_role(user=user, role=role, by=by)

    return service_action(f"set_role_{role.value or 'applicant'}", f"Set role: {role.label}",
                          apply)


@admin.register(User)
class AntennaUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()),
                 ("Antenna", {"fields": ("role", "preferred_language")}))
    list_display = ("username", "email", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    # The platform role changes only through user_set_role (the actions below, audited).
    readonly_fields = ("role",)
    actions = [_set_role_action(role) for role in PlatformRole]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(ReadOnlyAdmin):
    list_display = ("user", "issuer", "subject", "created_at", "last_sign_in_at")
    search_fields = ("user__username", "subject")
