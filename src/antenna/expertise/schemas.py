"""API schemas of the expertise desk."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Literal

from django.urls import reverse
from ninja import Field, Schema

from antenna.core.api import DbId
from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema

TopicName = Literal["getting_started", "porting", "scaling", "fine_tuning", "inference_mlops",
                    "data_protection", "ai_act", "proposal_writing"]
LanguageCode = Literal["en", "fr", "nl", "de"]


class ExpertiseRequestIn(InputSchema):
    organization: DbId
    topic: TopicName
    title: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    description: str = Field(pattern=NOT_BLANK_PATTERN, max_length=20000)
    language: LanguageCode = "en"
    proposal: DbId | None = None
    allocation: DbId | None = None


class ExpertiseFilters(InputSchema):
    state: Literal["new", "assigned", "in_progress", "waiting_for_requester", "resolved",
                   "closed"] | None = None
    limit: int = 100
    offset: int = 0


class MessageIn(InputSchema):
    body: str = Field(pattern=NOT_BLANK_PATTERN, max_length=20000)


class AttachmentMessageIn(InputSchema):
    """The text sent with a file (multipart form field `body`); may be empty."""

    body: str = Field(default="", max_length=20000)


class AssignIn(InputSchema):
    username: str = Field(min_length=1, max_length=150)


class RatingIn(InputSchema):
    satisfaction: int = Field(ge=1, le=5)


class MessageOut(Schema):
    id: int
    author: str
    body: str
    created_at: dt.datetime
    attachment: str | None
    attachment_url: str | None

    @staticmethod
    def resolve_author(obj: object) -> str:
        return str(obj.author.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_attachment(obj: object) -> str | None:
        name = obj.attachment.name  # type: ignore[attr-defined]
        return PurePath(name).name if name else None

    @staticmethod
    def resolve_attachment_url(obj: object) -> str | None:
        if not obj.attachment.name:  # type: ignore[attr-defined]
            return None
        return reverse("expertise:attachment", args=[obj.request_id,  # type: ignore[attr-defined]
                                                     obj.pk])  # type: ignore[attr-defined]


class ExpertiseRequestOut(Schema):
    id: int
    organization: int
    requester: str
    topic: str
    title: str
    description: str
    language: str
    proposal: int | None
    allocation: int | None
    state: str
    expert: str | None
    created_at: dt.datetime
    first_response_due: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    overdue: bool
    satisfaction: int | None

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_requester(obj: object) -> str:
        return str(obj.requester.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_proposal(obj: object) -> int | None:
        return obj.proposal_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_allocation(obj: object) -> int | None:
        return obj.allocation_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_expert(obj: object) -> str | None:
        expert = obj.expert  # type: ignore[attr-defined]
        return expert.username if expert is not None else None

    @staticmethod
    def resolve_overdue(obj: object) -> bool:
        return bool(obj.is_overdue)  # type: ignore[attr-defined]


class ExpertiseRequestDetail(ExpertiseRequestOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: object) -> list[object]:
        return list(obj.messages.select_related("author"))  # type: ignore[attr-defined]


class ExpertOut(Schema):
    username: str
    skills: list[str]
    languages: list[str]
    regions: list[str]
    capacity: int
    load: int

    @staticmethod
    def resolve_username(obj: object) -> str:
        return str(obj.user.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_load(obj: object) -> int:
        return int(obj.open_load)  # type: ignore[attr-defined]
