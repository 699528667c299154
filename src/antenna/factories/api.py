"""/api/v1/factories: the linked AI factories and the sandbox; /api/v1/site-accounts: people's
usernames at them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.core.api import ErrorOut, ListParams, Page, paginate
from antenna.core.errors import PermissionDenied
from antenna.factories.schemas import (
    FactoryFilters,
    FactoryOut,
    SiteAccountFilters,
    SiteAccountIn,
    SiteAccountOut,
)
from antenna.factories.selectors import (
    factory_by_id,
    factory_list,
    site_account_for_user,
    site_accounts_visible_to,
)
from antenna.factories.services import site_account_link, site_account_verify

router = Router(tags=["factories"])


@router.get("", response=Page[FactoryOut])
def list_factories(request: HttpRequest, filters: Query[FactoryFilters]) -> Any:
    qs = factory_list(kind=filters.kind, status=filters.status)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


site_accounts_router = Router(tags=["site accounts"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}


@site_accounts_router.get("", response=Page[SiteAccountOut])
def list_site_accounts(request: HttpRequest, filters: Query[SiteAccountFilters]) -> Any:
    """Your usernames at the factories (operators and observers: everyone's)."""
    qs = site_accounts_visible_to(current_user(request))
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))


@site_accounts_router.post("", response={201: SiteAccountOut, **ERRORS})
def link_site_account(request: HttpRequest, payload: SiteAccountIn) -> Any:
    """Link your username at a factory; it starts unverified."""
    user = current_user(request)
    if user.is_observer:
        raise PermissionDenied(_("Observers have read-only access."))
    factory = factory_by_id(payload.factory)
    assert factory is not None
    return Status(201, site_account_link(user=user, factory=factory, username=payload.username,
                                         by=user))


@site_accounts_router.post("/{site_account_id}/verify", response={200: SiteAccountOut, **ERRORS})
def verify_site_account(request: HttpRequest, site_account_id: int) -> Any:
    """An operator confirms the username is this person's at the factory."""
    user = current_user(request)
    if not user.is_operator:
        raise PermissionDenied(_("Only operators verify site accounts."))
    return site_account_verify(site_account=site_account_for_user(user, site_account_id), by=user)
