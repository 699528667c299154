"""API schemas for factories."""

from __future__ import annotations

from decimal import Decimal

from ninja import Schema

from antenna.core.schemas import InputSchema


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
    partitions: list[PartitionOut]

    @staticmethod
    def resolve_partitions(obj: object) -> list[object]:
        return list(obj.partitions.all())  # type: ignore[attr-defined]


class FactoryFilters(InputSchema):
    kind: str | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0
