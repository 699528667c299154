"""API schemas for organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pycountry
from ninja import Field, Schema
from pydantic import JsonValue, field_validator

from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema, WebUrl

OrganizationKindIn = Literal["startup", "sme", "large_enterprise", "university", "research_centre",
                             "public_administration", "non_profit"]
MemberRole = Literal["owner", "member"]
RegionIn = Literal["", "flanders", "wallonia", "brussels", "outside_belgium"]
SectorIn = Literal["", "health_biotech", "manufacturing_robotics", "space_aviation", "security",
                   "public_services", "finance", "energy_climate", "media_language", "agrifood",
                   "research", "other"]
# Assigned ISO 3166-1 alpha-2 codes, in capitals (what `is_country_code` accepts).
COUNTRY_CODES: list[JsonValue] = [*sorted(c.alpha_2 for c in pycountry.countries)]


class OrganizationIn(InputSchema):
    legal_name: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    kind: OrganizationKindIn
    country: str = Field(json_schema_extra={"enum": COUNTRY_CODES})
    region: RegionIn = ""
    sector: SectorIn = ""
    website: WebUrl = ""
    enterprise_number: str = ""
    vat_number: str = ""
    first_time_hpc: bool = False

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if value not in COUNTRY_CODES:
            raise ValueError(
                f"Give the country as a two-letter ISO code in capitals, like BE or DE; "
                f"got '{value}'."
            )
        return value


class OrganizationOut(Schema):
    id: int
    legal_name: str
    kind: str
    country: str
    region: str
    sector: str
    website: str
    enterprise_number: str
    vat_number: str
    first_time_hpc: bool
    created_at: datetime


class MemberIn(InputSchema):
    username: str = Field(pattern=NOT_BLANK_PATTERN, max_length=150)
    role: MemberRole = "member"


class MemberOut(Schema):
    username: str
    role: str
    organization: int

    @staticmethod
    def resolve_username(obj: object) -> str:
        return obj.user.username  # type: ignore[attr-defined]

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]


class MemberRoleIn(InputSchema):
    role: MemberRole


class InvitationSentOut(Schema):
    """The answer to an invitation: the same whether or not the account exists (no id)."""

    organization: int
    username: str
    role: str
    state: str

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]


class InvitationOut(Schema):
    """An invitation as its invitee sees it."""

    id: int
    organization: int
    organization_name: str
    role: str
    state: str
    invited_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_organization_name(obj: object) -> str:
        return obj.organization.legal_name  # type: ignore[attr-defined]

    @staticmethod
    def resolve_invited_by(obj: object) -> str | None:
        by = obj.invited_by  # type: ignore[attr-defined]
        return by.username if by is not None else None


class OrganizationFilters(InputSchema):
    kind: str | None = None
    region: str | None = None
    country: str | None = None
    limit: int = 100
    offset: int = 0
