"""API schemas for factories."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from antenna.core.schemas import InputSchema, explained_pattern

# A username at a factory (factories.models.SITE_USERNAME_PATTERN), the blanks around it
# trimmed by site_account_link.
SITE_USERNAME_IN = explained_pattern(
    r"^[\s\x1c-\x1f]*[A-Za-z_][A-Za-z0-9_.-]{0,63}[\s\x1c-\x1f]*$",
    _("give your username at the factory: letters, digits, '_', '.', '-', starting with a "
      "letter or '_', at most 64."))


class PartitionOut(Schema):
    name: str
    gpu_model: str
    gpus_per_node: int
    max_nodes_per_job: int
    max_walltime_minutes: int
    is_default: bool


class FactoryOut(Schema):
    id: int
    name: str
    display_name: str
    country: str
    location: str
    kind: str
    status: str
    accounting_unit: str
    units_per_gpu_hour: Decimal
    gpu_hour_factor: Decimal
    identity_mode: str
    partitions: list[PartitionOut]

    @staticmethod
    def resolve_partitions(obj: object) -> list[object]:
        return list(obj.partitions.all())  # type: ignore[attr-defined]


class FactoryFilters(InputSchema):
    kind: str | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0


class SiteAccountIn(InputSchema):
    factory: int
    username: str = Field(pattern=SITE_USERNAME_IN)


class SiteAccountOut(Schema):
    id: int
    factory: int
    factory_name: str
    user: str
    username: str
    state: str
    verified_at: datetime | None
    verified_from: str

    @staticmethod
    def resolve_factory(obj: object) -> int:
        return obj.factory_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_factory_name(obj: object) -> str:
        return obj.factory.name  # type: ignore[attr-defined]

    @staticmethod
    def resolve_user(obj: object) -> str:
        return obj.user.username  # type: ignore[attr-defined]


class SiteAccountFilters(InputSchema):
    limit: int = 100
    offset: int = 0
