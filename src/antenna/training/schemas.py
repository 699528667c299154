"""API schemas of training events."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext
from ninja import Field, Schema
from pydantic import model_validator

from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema


class EventIn(InputSchema):
    title: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(ge=1, le=100000)
    language: Literal["en", "fr", "nl", "de"] = "en"
    online: bool = True
    place: str = Field("", max_length=200)
    level: str = Field("", max_length=32)
    topics: list[str] = []
    # The texts in the other languages (English is `title`, `description`); an empty or
    # missing one falls back to English (docs/i18n.md).
    description: str = Field("", max_length=5000)
    title_fr: str | None = Field(None, max_length=200)
    title_nl: str | None = Field(None, max_length=200)
    title_de: str | None = Field(None, max_length=200)
    description_fr: str | None = Field(None, max_length=5000)
    description_nl: str | None = Field(None, max_length=5000)
    description_de: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventIn:
        # A rule between two fields that JSON Schema cannot state: a 422 like any body that
        # contradicts itself (docs/api.md, "Rules between fields"; scripts/api_fuzz_hooks.py).
        if self.ends_at <= self.starts_at:
            raise ValueError(gettext("ends_at: must be after starts_at."))
        if not self.online and not self.place.strip():
            raise ValueError(gettext("place: say where an on-site event takes place."))
        return self


class EventOut(Schema):
    id: int
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    language: str
    online: bool
    place: str
    level: str
    topics: list[str]


class RegistrationOut(Schema):
    id: int
    event: int
    user: str
    state: str
    created_at: dt.datetime

    @staticmethod
    def resolve_event(obj: object) -> int:
        return obj.event_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_user(obj: object) -> str:
        return str(obj.user.username)  # type: ignore[attr-defined]
