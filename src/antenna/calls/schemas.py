"""API schemas for calls."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from antenna.core.api import DbId
from antenna.core.schemas import InputSchema


class CallIn(InputSchema):
    title: str
    mode: str
    factories: list[DbId]
    description: str | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    cutoff_dates: list[dt.date] | None = None
    eligible_kinds: list[str] | None = None
    eligible_countries: list[str] | None = None
    min_gpu_hours: int | None = None
    max_gpu_hours: int | None = None
    allowed_durations: list[int] | None = None
    review_process: str | None = None
    min_reviews: int | None = None
    review_criteria: list[str] | None = None
    decision_target_days: int | None = None
    require_pi_contract_margin: bool | None = None
    is_published: bool | None = None


class CallOut(Schema):
    id: int
    title: str
    mode: str
    description: str
    opens_on: dt.date | None
    closes_on: dt.date | None
    is_open: bool
    cutoff_dates: list[str]
    eligible_kinds: list[str]
    eligible_countries: list[str]
    min_gpu_hours: int
    max_gpu_hours: int
    allowed_durations: list[int]
    factories: list[int]
    review_process: str
    min_reviews: int
    review_criteria: list[str]
    decision_target_days: int
    require_pi_contract_margin: bool

    @staticmethod
    def resolve_factories(obj: object) -> list[int]:
        return sorted(f.pk for f in obj.factories.all())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_is_open(obj: object) -> bool:
        return bool(obj.is_open())  # type: ignore[attr-defined]


class CallFilters(InputSchema):
    mode: str | None = None
    open: bool | None = None
    limit: int = 100
    offset: int = 0
