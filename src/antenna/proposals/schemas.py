"""API schemas for proposals, reviews and decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool

from antenna.core.api import DbId
from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema

# Terabytes as a JSON number (not a string): what the document says is what is accepted.
StorageTb = Annotated[float, Field(ge=0, le=999999, strict=True)]
# The bounds proposals.services checks, stated in the document (a 422 names the bound).
Title = Annotated[str, Field(pattern=NOT_BLANK_PATTERN, max_length=200)]
GpuHours = Annotated[int, Field(ge=1, le=1_000_000_000)]
Months = Annotated[int, Field(ge=1, le=36)]
GpusPerJob = Annotated[int, Field(ge=1, le=4096)]
OpennessIn = Literal["open", "partial", "closed"]
Score = Annotated[int, Field(ge=1, le=5)]


class ProposalIn(InputSchema):
    call: DbId
    organization: DbId
    title: Title
    abstract: str
    requested_gpu_hours: GpuHours
    duration_months: Months
    civilian_use: bool = False
    factory: DbId | None = None
    objectives: str = ""
    gpu_hours_justification: str = ""
    gpus_per_job: GpusPerJob = 1
    storage_tb: StorageTb = 0
    software_stack: str = ""
    data_description: str = ""
    personal_data: bool = False
    licences: str = ""
    openness: OpennessIn = "open"
    pi_contract_ends_on: dt.date | None = None
    principal_investigator: str | None = None


class ProposalPatch(InputSchema):
    title: Title | None = None
    abstract: str | None = None
    requested_gpu_hours: GpuHours | None = None
    duration_months: Months | None = None
    civilian_use: bool | None = None
    factory: DbId | None = None
    objectives: str | None = None
    gpu_hours_justification: str | None = None
    gpus_per_job: GpusPerJob | None = None
    storage_tb: StorageTb | None = None
    software_stack: str | None = None
    data_description: str | None = None
    personal_data: bool | None = None
    licences: str | None = None
    openness: OpennessIn | None = None
    pi_contract_ends_on: dt.date | None = None
    principal_investigator: str | None = None


class ProposalOut(Schema):
    id: int
    call: int
    mode: str
    organization: int
    principal_investigator: str
    title: str
    abstract: str
    objectives: str
    requested_gpu_hours: int
    gpu_hours_justification: str
    factory: int | None
    duration_months: int
    gpus_per_job: int
    storage_tb: Decimal
    software_stack: str
    data_description: str
    personal_data: bool
    licences: str
    openness: str
    civilian_use: bool
    has_attachment: bool
    state: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decision_due_at: dt.datetime | None
    decided_at: dt.datetime | None
    allocation: int | None

    @staticmethod
    def resolve_call(obj: object) -> int:
        return obj.call_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_mode(obj: object) -> str:
        return str(obj.call.mode)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_organization(obj: object) -> int:
        return obj.organization_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_principal_investigator(obj: object) -> str:
        return str(obj.principal_investigator.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_factory(obj: object) -> int | None:
        return obj.factory_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_has_attachment(obj: object) -> bool:
        return bool(obj.attachment)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_allocation(obj: object) -> int | None:
        allocation = getattr(obj, "allocation", None)
        return allocation.pk if allocation is not None else None


class ProposalFilters(InputSchema):
    call: DbId | None = None
    organization: DbId | None = None
    state: str | None = None
    mode: str | None = None
    limit: int = 100
    offset: int = 0


Reason = Literal["capacity", "scientific", "eligibility", "other"]


class WithdrawIn(InputSchema):
    reason: str = ""
    cause: Reason | None = Field(None, description="why, from a fixed set: 'capacity' (lack of "
                                 "capacity) counts as unmet demand in the outlook")


class ReviewerIn(InputSchema):
    username: str = Field(pattern=NOT_BLANK_PATTERN, max_length=150)


class AutoAssignIn(InputSchema):
    count: int | None = None


class AssignmentOut(Schema):
    id: int
    proposal: int
    reviewer: str
    assigned_at: dt.datetime
    due_at: dt.datetime | None
    reviewed: bool

    @staticmethod
    def resolve_proposal(obj: object) -> int:
        return obj.proposal_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_reviewer(obj: object) -> str:
        return str(obj.reviewer.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_reviewed(obj: object) -> bool:
        return hasattr(obj, "review")


class ReviewIn(InputSchema):
    recommendation: Literal["accept", "reject"]
    score: Score | None = None
    scores: dict[str, Score] | None = None
    comment: str = ""
    no_conflict_of_interest: bool = True


class ReviewOut(Schema):
    id: int
    proposal: int
    reviewer: str
    score: int
    scores: dict[str, int]
    recommendation: str
    comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_proposal(obj: object) -> int:
        return obj.assignment.proposal_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_reviewer(obj: object) -> str:
        return str(obj.assignment.reviewer.username)  # type: ignore[attr-defined]


class AssessmentIn(InputSchema):
    feasible: StrictBool
    comment: str = ""
    factory: DbId | None = None


class AssessmentOut(Schema):
    proposal: int
    feasible: bool
    comment: str
    automatic: bool
    recommended_factory: int | None

    @staticmethod
    def resolve_proposal(obj: object) -> int:
        return obj.proposal_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_recommended_factory(obj: object) -> int | None:
        return obj.recommended_factory_id  # type: ignore[attr-defined]


class DecisionIn(InputSchema):
    decision: Literal["accept", "reject"]
    gpu_hours: int | None = Field(None, ge=1)
    factory: DbId | None = None
    pooled: bool = False
    comment: str = ""
    reason: Reason | None = Field(None, description="why refused or granted less, from a fixed "
                                  "set: 'capacity' (lack of capacity) counts as unmet demand")
