"""API schemas for allocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from antenna.core.api import DbId
from antenna.core.schemas import InputSchema, explained_pattern


class AllocationOut(Schema):
    id: int
    organization: int
    proposal: int | None
    factory: int | None
    pooled: bool
    state: str
    gpu_hours_granted: Decimal
    gpu_hours_reserved: Decimal
    gpu_hours_used: Decimal
    gpu_hours_remaining: Decimal
    starts_on: dt.date
    ends_on: dt.date
    final_report_due_on: dt.date
    final_report_submitted_at: dt.datetime | None

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_proposal(obj: object) -> int | None:
        return obj.proposal_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_factory(obj: object) -> int | None:
        return obj.factory_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_pooled(obj: object) -> bool:
        return obj.factory_id is None  # type: ignore[attr-defined]


class AllocationFilters(InputSchema):
    organization: DbId | None = None
    state: str | None = None
    factory: DbId | None = None
    limit: int = 100
    offset: int = 0


FINAL_REPORT_PATTERN = explained_pattern(
    r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]{18,}[^\x00\s\x1c-\x1f][^\x00]*$",
    _("write a final report of a few sentences (at least 20 characters): what ran, what came "
      "out of it."))


class FinalReportIn(InputSchema):
    # At least 20 characters once the blanks around it are trimmed.
    report: str = Field(pattern=FINAL_REPORT_PATTERN)


class StateChangeIn(InputSchema):
    reason: str = ""
