"""/api/v1/jobs: submit AI jobs without knowing Slurm, follow them, cancel them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from antenna.accounts.access import current_user
from antenna.allocations.models import hours
from antenna.allocations.selectors import allocation_for_submit, allocation_for_user
from antenna.core.api import ErrorOut, ListParams, Page, page_bounds
from antenna.factories.selectors import factories_by_id, factory_by_id
from antenna.jobs.access import job_for_user
from antenna.jobs.schemas import (
    JobBatchIn,
    JobBatchOut,
    JobEstimateIn,
    JobEstimateOut,
    JobFilters,
    JobIn,
    JobListItem,
    JobOut,
    JobSpecIn,
    JobTaskOut,
)
from antenna.jobs.selectors import job_list, job_list_page, job_log_tail, job_tasks
from antenna.jobs.services import (
    JobDraft,
    job_cancel,
    job_cost_seconds,
    job_submit,
    jobs_submit_batch,
)

router = Router(tags=["jobs"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                     409: ErrorOut}



@router.get("", response=Page[JobListItem])
def list_jobs(request: HttpRequest, filters: Query[JobFilters]) -> Any:
    qs = job_list(user=current_user(request), allocation=filters.allocation,
                  state=filters.state, factory=filters.factory)
    limit, offset = page_bounds(ListParams(limit=filters.limit, offset=filters.offset))
    return job_list_page(qs, limit=limit, offset=offset)


@router.post("", response={201: JobOut, **ERRORS})
def submit_job(request: HttpRequest, payload: JobIn) -> Any:
    user = current_user(request)
    allocation = allocation_for_submit(user, payload.allocation)
    job = job_submit(by=user, allocation=allocation, name=payload.name, script=payload.script,
                     gpus=payload.gpus, walltime_minutes=payload.walltime_minutes,
                     cpus=payload.cpus, memory_gb=payload.memory_gb,
                     container_image=payload.container_image,
                     factory=factory_by_id(payload.factory), array=payload.array)
    return Status(201, job)  # as stored: no re-read (a new job has no factory or partition)


def _draft(spec: JobSpecIn, factories: dict[int, Any]) -> JobDraft:
    return JobDraft(name=spec.name, script=spec.script, gpus=spec.gpus,
                    walltime_minutes=spec.walltime_minutes, cpus=spec.cpus,
                    memory_gb=spec.memory_gb, container_image=spec.container_image,
                    factory=factories[spec.factory] if spec.factory is not None else None,
                    array=spec.array)


@router.post("/batch", response={201: JobBatchOut, **ERRORS})
def submit_batch(request: HttpRequest, payload: JobBatchIn) -> Any:
    """Up to 1000 jobs on one allocation, all or nothing: one reservation for their sum."""
    user = current_user(request)
    allocation = allocation_for_submit(user, payload.allocation)
    factories = factories_by_id({spec.factory for spec in payload.jobs
                                 if spec.factory is not None})
    jobs = jobs_submit_batch(by=user, allocation=allocation,
                             drafts=[_draft(spec, factories) for spec in payload.jobs])
    return Status(201, {"allocation": allocation.pk, "count": len(jobs),
                        "ids": [job.pk for job in jobs],
                        "gpu_hours_reserved": hours(sum(j.gpu_seconds_reserved for j in jobs))})


@router.post("/estimate", response={200: JobEstimateOut, **ERRORS})
def estimate_job(request: HttpRequest, payload: JobEstimateIn) -> Any:
    """The GPU-hours a job would reserve, before submitting it."""
    allocation = allocation_for_user(current_user(request), payload.allocation)
    cost, _fit = job_cost_seconds(allocation=allocation, gpus=payload.gpus,
                                  walltime_minutes=payload.walltime_minutes,
                                  factory=factory_by_id(payload.factory))
    return {"gpu_hours": hours(cost), "gpu_hours_remaining": allocation.gpu_hours_remaining,
            "fits": cost <= allocation.remaining_gpu_seconds}


@router.get("/{job_id}", response={200: JobOut, **ERRORS})
def get_job(request: HttpRequest, job_id: int) -> Any:
    return job_for_user(current_user(request), job_id)


@router.get("/{job_id}/tasks", response={200: list[JobTaskOut], **ERRORS})
def list_job_tasks(request: HttpRequest, job_id: int) -> Any:
    """The tasks of a job array as the factory reports them (empty until it runs them)."""
    return job_tasks(job_for_user(current_user(request), job_id))


@router.post("/{job_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_job(request: HttpRequest, job_id: int) -> Any:
    user = current_user(request)
    job_cancel(job=job_for_user(user, job_id), by=user)
    return job_for_user(user, job_id)


# The log is plain text, not JSON: declared so in the OpenAPI document (503 when the factory
# cannot be reached: a line of text saying so).
_TEXT = {"text/plain": {"schema": {"type": "string"}}}
LOG_RESPONSES = {
    "200": {"description": "The job's output so far (the last 64 KB)", "content": _TEXT},
    "503": {"description": "The factory is not reachable right now (retry later)",
            "content": _TEXT},
}


@router.get("/{job_id}/log", response={200: str, **ERRORS},
            openapi_extra={"responses": LOG_RESPONSES})
def job_log(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's output so far, as plain text (the last 64 KB)."""
    text, reachable = job_log_tail(job_for_user(current_user(request), job_id))
    return HttpResponse(text, content_type="text/plain; charset=utf-8",
                        status=200 if reachable else 503)
