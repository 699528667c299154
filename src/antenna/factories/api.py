"""/api/v1/factories: the linked AI factories and the sandbox."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from antenna.core.api import ListParams, Page, paginate
from antenna.factories.schemas import FactoryFilters, FactoryOut
from antenna.factories.selectors import factory_list

router = Router(tags=["factories"])


@router.get("", response=Page[FactoryOut])
def list_factories(request: HttpRequest, filters: Query[FactoryFilters]) -> Any:
    qs = factory_list(kind=filters.kind, status=filters.status)
    return paginate(qs, ListParams(limit=filters.limit, offset=filters.offset))
