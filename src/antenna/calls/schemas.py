"""API schemas for calls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.utils.translation import gettext
from ninja import Field, Schema
from pydantic import model_validator

from antenna.core.api import DbId
from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema
from antenna.organizations.schemas import CountryCode, OrganizationKindIn

Months = Annotated[int, Field(ge=1, le=36)]


class CallIn(InputSchema):
    title: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    mode: Literal["playground", "fast_lane", "large_scale", "ai_for_science"]
    factories: list[DbId] = Field(min_length=1)
    description: str | None = None
    # The texts in the other languages (English is `title`, `description`); an empty or
    # missing one falls back to English (docs/i18n.md).
    title_fr: str | None = Field(None, max_length=200)
    title_nl: str | None = Field(None, max_length=200)
    title_de: str | None = Field(None, max_length=200)
    description_fr: str | None = None
    description_nl: str | None = None
    description_de: str | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    cutoff_dates: list[dt.date] | None = None
    eligible_kinds: list[OrganizationKindIn] | None = None
    eligible_countries: list[CountryCode] | None = None
    min_gpu_hours: int | None = Field(None, ge=1, le=1_000_000_000)
    max_gpu_hours: int | None = Field(None, ge=1, le=1_000_000_000)
    allowed_durations: list[Months] | None = Field(None, min_length=1)
    review_process: Literal["automatic", "technical", "technical_and_peer"] | None = None
    min_reviews: int | None = Field(None, ge=0, le=20)
    review_criteria: list[str] | None = None
    decision_target_days: int | None = Field(None, ge=1, le=365)
    require_pi_contract_margin: bool | None = None
    is_published: bool | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> CallIn:
        # Rules between two fields of the body, which JSON Schema cannot state: a 422 like
        # any other body that contradicts itself (docs/api.md); a bound not given follows the
        # given one (calls.services.call_create).
        if (self.min_gpu_hours is not None and self.max_gpu_hours is not None
                and self.max_gpu_hours < self.min_gpu_hours):
            raise ValueError(gettext(
                "max_gpu_hours (%(max)s) must be at least min_gpu_hours (%(min)s): raise the "
                "maximum or lower the minimum.") % {"max": self.max_gpu_hours,
                                                    "min": self.min_gpu_hours})
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValueError(gettext("closes_on must not be before opens_on."))
        return self


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
