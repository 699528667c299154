"""API schemas for jobs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import BaseModel, Field, field_validator

from antenna.core.api import DbId
from antenna.core.schemas import NOT_BLANK_PATTERN, InputSchema, explained_pattern
from antenna.jobs.arrays import array_indexes

# A job script starts with its interpreter line (what Slurm's sbatch requires too).
SCRIPT_PATTERN = explained_pattern(
    r"^#![^\x00]*$",
    _("start the script with an interpreter line such as #!/bin/bash."))


# A job array's indexes as Slurm writes them; the limits a pattern cannot state (at most
# 1,000 tasks, indexes up to 1,000,000, ranges in order) are checked by `array_indexes`.
ARRAY_PATTERN = explained_pattern(
    r"^(\d{1,7}(-\d{1,7}(:\d{1,7})?)?(,\d{1,7}(-\d{1,7}(:\d{1,7})?)?)*(%\d{1,7})?)?$",
    format_lazy(_("write task indexes like {examples} (or nothing for a single job)."),
                examples="0-99, 0-99%10, 1,3,8-15:2"))


class JobSpecIn(InputSchema):
    """A job as POST /jobs and each entry of POST /jobs/batch take it (without its
    allocation)."""

    name: str = Field(pattern=NOT_BLANK_PATTERN, max_length=100)
    script: str = Field(pattern=SCRIPT_PATTERN)
    gpus: int = Field(1, ge=1, le=4096)
    walltime_minutes: int = Field(60, ge=1, le=525600)
    cpus: int = Field(8, ge=1, le=4096)
    memory_gb: int = Field(32, ge=1, le=10000000)
    container_image: str = ""
    factory: DbId | None = None
    array: str = Field("", max_length=200, pattern=ARRAY_PATTERN)

    @field_validator("array")
    @classmethod
    def _array_indexes(cls, value: str) -> str:
        if value.strip():
            array_indexes(value)  # a ValueError with its sentence: a 422
        return value


class JobIn(JobSpecIn):
    allocation: DbId


class JobBatchIn(InputSchema):
    allocation: DbId
    jobs: list[JobSpecIn] = Field(min_length=1, max_length=1000)


class JobBatchOut(Schema):
    allocation: int
    count: int
    ids: list[int]
    gpu_hours_reserved: Decimal


class JobTaskOut(Schema):
    index: int
    state: str
    scheduler_job_id: str
    exit_code: int | None
    elapsed_seconds: int | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class JobListItem(BaseModel):
    """A job in a list: the fields `JobOut` inherits, validated from a row of
    `selectors.job_list_page` (plain dicts: no model instances, no per-field resolvers), so
    a page of 500 costs a fraction of `JobOut`'s CPU (docs/benchmarks-api.md)."""

    id: int
    allocation: int
    name: str
    state: str
    state_reason: str
    gpus: int
    cpus: int
    memory_gb: int
    walltime_minutes: int
    container_image: str
    factory: int | None
    factory_name: str | None
    partition: str | None
    scheduler_job_id: str
    exit_code: int | None
    gpu_hours_reserved: Decimal
    gpu_hours_charged: Decimal | None
    elapsed_seconds: int | None
    cancel_requested: bool
    array: str
    array_tasks: int
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


# A job read from its model: `JobListItem`'s fields, a few of them resolved (a comment, not a
# docstring, which would become the schema's description in the OpenAPI document).
class JobOut(Schema, JobListItem):
    @staticmethod
    def resolve_allocation(obj: object) -> int:
        return obj.allocation_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_factory(obj: object) -> int | None:
        return obj.factory_id  # type: ignore[attr-defined]

    @staticmethod
    def resolve_factory_name(obj: object) -> str | None:
        factory = obj.factory  # type: ignore[attr-defined]
        return factory.name if factory else None

    @staticmethod
    def resolve_partition(obj: object) -> str | None:
        partition = obj.partition  # type: ignore[attr-defined]
        return partition.name if partition else None

    @staticmethod
    def resolve_cancel_requested(obj: object) -> bool:
        return obj.cancel_requested_at is not None  # type: ignore[attr-defined]


class JobFilters(InputSchema):
    allocation: DbId | None = None
    state: str | None = None
    factory: DbId | None = None
    limit: int = 100
    offset: int = 0


class JobEstimateIn(InputSchema):
    allocation: DbId
    gpus: int = Field(1, ge=1, le=4096)
    walltime_minutes: int = Field(60, ge=1, le=525600)
    factory: DbId | None = None


class JobEstimateOut(Schema):
    gpu_hours: Decimal
    gpu_hours_remaining: Decimal
    fits: bool
