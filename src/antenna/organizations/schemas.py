"""API schemas for organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pycountry
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import AfterValidator, JsonValue

from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema, WebUrl, explained_pattern

OrganizationKindIn = Literal["startup", "sme", "large_enterprise", "university", "research_centre",
                             "public_administration", "non_profit"]
MemberRole = Literal["owner", "member"]
RegionIn = Literal["", "flanders", "wallonia", "brussels", "outside_belgium"]
SectorIn = Literal["", "health_biotech", "manufacturing_robotics", "space_aviation", "security",
                   "public_services", "finance", "energy_climate", "media_language", "agrifood",
                   "research", "other"]
# Assigned ISO 3166-1 alpha-2 codes, in capitals (what `is_country_code` accepts).
COUNTRY_CODES: list[JsonValue] = [*sorted(c.alpha_2 for c in pycountry.countries)]
BELGIAN_REGIONS: list[JsonValue] = ["flanders", "wallonia", "brussels"]
# What `normalize_enterprise_number` reads: ten digits (the first 0 or 1) or nine, an optional
# BE before them, dots, dashes, slashes or blanks anywhere. Its mod-97 check is the format
# `be-enterprise-number` (docs/api.md), which a pattern cannot state.
_SEP = r"[\s\x1c-\x1f.\-/]"
ENTERPRISE_NUMBER_PATTERN = explained_pattern(
    rf"^{_SEP}*([bB]{_SEP}*[eE])?({_SEP}*[01])?({_SEP}*[0-9]){{9}}{_SEP}*$",
    _("give the enterprise number (KBO/BCE) as 10 digits, like 0123.456.749."))


def _country_code(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise ValueError(gettext(
            "Give the country as a two-letter ISO code in capitals, like BE or DE; got "
            "'%(c)s'.") % {"c": value})
    return value


CountryCode = Annotated[str, AfterValidator(_country_code),
                        Field(json_schema_extra={"enum": COUNTRY_CODES})]


class OrganizationIn(InputSchema):
    legal_name: str = Field(pattern=NOT_BLANK_PATTERN, max_length=200)
    kind: OrganizationKindIn
    country: CountryCode
    region: RegionIn = ""
    sector: SectorIn = ""
    website: WebUrl = ""
    enterprise_number: str = ""
    vat_number: str = Field("", max_length=20)
    first_time_hpc: bool = False

    @classmethod
    def document_rules(cls) -> list[dict[str, Any]]:
        # Enforced by organizations.services (400 with a sentence saying what to fix).
        return [
            {"if": {"properties": {"region": {"enum": BELGIAN_REGIONS}},
                    "required": ["region"]},
             "then": {"properties": {"country": {"const": "BE"}}},
             "description": "A region in Belgium goes with country BE."},
            {"if": {"properties": {"country": {"const": "BE"}}, "required": ["country"]},
             "then": {"properties": {
                 "region": {"enum": BELGIAN_REGIONS},
                 "enterprise_number": {"type": "string", "pattern": ENTERPRISE_NUMBER_PATTERN,
                                       "format": "be-enterprise-number"}},
                      "required": ["region", "enterprise_number"]},
             "description": "A Belgian organisation gives its region (flanders, wallonia or "
                            "brussels) and its enterprise number (KBO/BCE, mod-97 checked)."},
        ]


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
