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


class MemberRoleIn(InputSchema):
    role: str


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
