"""API schemas of the opportunity catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from antenna.core.api import DbId
from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema, WebUrl

KindName = Literal["eurohpc", "ai_factory", "horizon_europe", "digital_europe", "edih", "tef",
                   "national"]


class OpportunityIn(InputSchema):
    title: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    kind: KindName
    deadline: dt.date
    url: WebUrl
    eligible_kinds: list[str] = []
    sectors: list[str] = []
    regions: list[str] = []
    countries: list[str] = []
    # The texts in the other languages (English is `title`, `description`); an empty or
    # missing one falls back to English (docs/i18n.md).
    description: str = Field("", max_length=5000)
    title_fr: str | None = Field(None, max_length=200)
    title_nl: str | None = Field(None, max_length=200)
    title_de: str | None = Field(None, max_length=200)
    description_fr: str | None = Field(None, max_length=5000)
    description_nl: str | None = Field(None, max_length=5000)
    description_de: str | None = Field(None, max_length=5000)


class OpportunityFilters(InputSchema):
    organization: DbId


class OpportunityOut(Schema):
    id: int
    title: str
    description: str = ""
    kind: str
    deadline: dt.date
    url: str
    reason: str | None = None
