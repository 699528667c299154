"""API schemas of the opportunity catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from antenna.core.api import DbId
from antenna.core.schemas import InputSchema, WebUrl

KindName = Literal["eurohpc", "ai_factory", "horizon_europe", "digital_europe", "edih", "tef",
                   "national"]


class OpportunityIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    kind: KindName
    deadline: dt.date
    url: WebUrl
    eligible_kinds: list[str] = []
    sectors: list[str] = []
    regions: list[str] = []
    countries: list[str] = []


class OpportunityFilters(InputSchema):
    organization: DbId


class OpportunityOut(Schema):
    id: int
    title: str
    kind: str
    deadline: dt.date
    url: str
    reason: str | None = None
