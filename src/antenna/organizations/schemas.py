"""API schemas for organisations."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

from antenna.core.schemas import InputSchema, WebUrl


class OrganizationIn(InputSchema):
    legal_name: str
    kind: str
    country: str
    region: str = ""
    sector: str = ""
    website: WebUrl = ""
    enterprise_number: str = ""
    vat_number: str = ""
    first_time_hpc: bool = False


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
    username: str
    role: str = "member"


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


class OrganizationFilters(InputSchema):
    kind: str | None = None
    region: str | None = None
    country: str | None = None
    limit: int = 100
    offset: int = 0
