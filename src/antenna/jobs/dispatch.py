"""The reconciliation loop's steps: dispatch queued jobs, poll factories, cancel, settle.

Each step is idempotent and safe to run in several workers at once: a queued job is leased
(`lease_until`) in its own transaction before the factory is called, with row locks that skip
rows another worker holds on PostgreSQL. A job carries its id to the scheduler
(`antenna-<id>`), so a retry after a crash finds the job instead of submitting it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.utils import timezone

from antenna.connectors.base import (
    Capability,
    FactoryQueue,
    JobRejected,
    JobSpec,
    JobStatus,
    SchedulerState,
)
from antenna.connectors.registry import connector_for, connector_scope, connectors_cycle_start
from antenna.core.errors import FactoryUnavailable
from antenna.factories.identity import missing_site_account_message, run_as, runnable_by
from antenna.factories.models import Factory, FactoryStatus
from antenna.factories.partition_fit import nodes_for
from antenna.factories.services import (
    factory_record_failure,
    factory_record_probe,
    factory_record_success,
)
from antenna.jobs.models import Job
from antenna.jobs.placement import JobRequest, rank_factories
from antenna.jobs.selectors import (
    factory_views,
    live_queues,
    predicted_runtime_of,
    recent_usage,
)
from antenna.jobs.services import (
    candidate_factories,
    job_end_before_start,
    job_record_dispatched,
    job_record_placement,
    job_record_rejected,
    job_record_status,
    job_record_tasks,
    job_retry_later,
    job_settle,
    job_settle_correct,
    jobs_lease,
    runs_arrays,
)
from antenna.jobs.slurm_accounts import (
    account_for,
    charge_external_usage,
    sync_factory_accounts,
)
from antenna.jobs.states import FINAL_STATES, JobState

log = logging.getLogger("antenna.worker")

MAX_DISPATCH_ATTEMPTS = 20
ACCOUNTING_GRACE_SECONDS = 120

STATE_FROM_SCHEDULER = {
    SchedulerState.RUNNING: JobState.RUNNING,
    SchedulerState.COMPLETED: JobState.COMPLETED,
    SchedulerState.FAILED: JobState.FAILED,
    SchedulerState.CANCELLED: JobState.CANCELLED,
    SchedulerState.TIMEOUT: JobState.TIMEOUT,
}


@dataclass
class CycleReport:
    dispatched: int = 0
    rejected: int = 0
    updated: int = 0
    settled: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


def _spec(job: Job, partition: str, gpus_per_node: int = 0) -> JobSpec:
    """The job for its factory (`job.factory`, chosen): who it is for goes into the comment;
    on a per_user factory it runs as the person's verified username there; more GPUs than a
    node of the partition has (`gpus_per_node`) run on whole nodes."""
    allocation = job.allocation
    return JobSpec(antenna_job_id=job.pk, name=job.name, script=job.script, gpus=job.gpus,
                   cpus=job.cpus, memory_mb=job.memory_gb * 1024,
                   walltime_minutes=job.walltime_minutes, partition=partition,
                   container_image=job.container_image,
                   owner=job.submitted_by.username,
                   organization=allocation.organization.legal_name,
                   allocation=str(allocation.pk),
                   run_as=run_as(job.submitted_by, job.factory) if job.factory else "",
                   account=account_for(allocation.pk, job.factory) if job.factory else "",
                   nodes=nodes_for(job.gpus, gpus_per_node) if gpus_per_node else 1,
                   array=job.array)


def _usable(factory: Factory, now: dt.datetime) -> bool:
    return factory.is_available and (factory.retry_after is None or factory.retry_after <= now)


def dispatch_queued(limit: int = 50) -> CycleReport:
    report = CycleReport()
    jobs = jobs_lease(limit=limit)
    if not jobs:
        return report
    now = timezone.now()
    usage = recent_usage()
    queues: dict[int, FactoryQueue | None] = {}  # each factory's live queue, read once
    for job in jobs:
        if job.factory_id is not None and job.scheduler_job_id == "":
            # A previous attempt chose this factory and may have submitted before a crash.
            factory = job.factory
            assert factory is not None
            try:
                found = connector_for(factory).find(_spec(job, job.partition.name
                                                          if job.partition else ""))
            except FactoryUnavailable as exc:
                factory_record_failure(factory=factory, error=exc.message)
                job_retry_later(job=job, reason=exc.message)
                report.errors.append(exc.message)
                continue
            if found and job.partition is not None:
                job_record_dispatched(job=job, factory=factory, partition=job.partition,
                                      scheduler_job_id=found)
                report.dispatched += 1
                continue
        _dispatch_one(job, now, usage, report, queues)
    return report


def _dispatch_one(job: Job, now: dt.datetime, usage: dict[str, dict[str, float]],
                  report: CycleReport, queues: dict[int, FactoryQueue | None]) -> None:
    candidates = candidate_factories(job.allocation)
    if job.requested_factory_id is not None:
        candidates = [f for f in candidates if f.pk == job.requested_factory_id]
    candidates = list(Factory.objects.filter(pk__in=[c.pk for c in candidates])
                  .prefetch_related("partitions"))
    runnable = runnable_by(job.submitted_by, candidates)
    if candidates and not runnable:
        job_record_rejected(job=job, reason=missing_site_account_message(candidates))
        report.rejected += 1
        return
    candidates = runnable
    if job.array:  # only factories that run job arrays (not the local sandbox)
        candidates = [f for f in candidates if runs_arrays(f)]
    usable = [f for f in candidates if _usable(f, now)]
    request = JobRequest(gpus=job.gpus, walltime_minutes=job.walltime_minutes,
                         organization=str(job.allocation.organization_id),
                         expected_runtime_seconds=predicted_runtime_of(job))
    ranked = rank_factories(request, factory_views(usable, live_queues(usable, queues)),
                            usage)
    if not ranked:
        can_ever = rank_factories(request, [
            replace(v, available=True) for v in factory_views(candidates)
        ])
        if not can_ever:
            job_record_rejected(job=job, reason="No factory of this allocation can run it.")
            report.rejected += 1
            return
        job_retry_later(job=job, reason="All factories that can run it are unavailable; "
                                        "retrying.")
        return
    by_name = {f.name: f for f in usable}
    last_error = ""
    for choice in ranked:
        factory = by_name[choice.factory]
        partition = next(p for p in factory.partitions.all() if p.name == choice.partition)
        # Record the intent before calling out: a crash now leaves a trail to find the job by.
        job_record_placement(job=job, factory=factory, partition=partition)
        spec = _spec(job, partition.name, partition.gpus_per_node)
        try:
            scheduler_id = connector_for(factory).submit(spec)
        except FactoryUnavailable as exc:
            factory_record_failure(factory=factory, error=exc.message)
            last_error = exc.message
            report.errors.append(exc.message)
            continue  # fail over to the next factory
        except JobRejected as exc:
            last_error = exc.message
            report.errors.append(exc.message)
            continue
        factory_record_success(factory=factory)
        job_record_dispatched(job=job, factory=factory, partition=partition,
                              scheduler_job_id=scheduler_id)
        report.dispatched += 1
        return
    if job.dispatch_attempts >= MAX_DISPATCH_ATTEMPTS:
        job_record_rejected(job=job, reason=f"Could not be submitted: {last_error}",
                            unplace=True)
        report.rejected += 1
    else:
        job_retry_later(job=job, reason=last_error, unplace=True)


def cancel_requested() -> CycleReport:
    report = CycleReport()
    jobs = Job.objects.filter(cancel_requested_at__isnull=False,
                              state__in=[JobState.QUEUED, JobState.SUBMITTED, JobState.RUNNING]
                              ).select_related("factory", "allocation")
    for job in jobs:
        if job.state == JobState.QUEUED:
            if job.scheduler_job_id == "" and job.factory is not None:
                try:  # it may have reached the factory before a crash
                    found = connector_for(job.factory).find(_spec(job, ""))
                except FactoryUnavailable:
                    continue
                if found:
                    connector_for(job.factory).cancel(found)
            job_end_before_start(job=job, state=JobState.CANCELLED,
                                 reason="Cancelled before it started.")
            report.cancelled += 1
            continue
        if job.factory is None:
            continue
        try:
            connector_for(job.factory).cancel(job.scheduler_job_id)
            report.cancelled += 1
        except FactoryUnavailable as exc:
            factory_record_failure(factory=job.factory, error=exc.message)
            report.errors.append(exc.message)
    return report


def poll_factories() -> CycleReport:
    """One bulk poll per factory that has jobs there; apply what each scheduler reports."""
    report = CycleReport()
    now = timezone.now()
    active = Job.objects.filter(state__in=[JobState.SUBMITTED, JobState.RUNNING]) \
        .select_related("factory", "allocation")
    by_factory: dict[int, list[Job]] = {}
    for job in active:
        if job.factory_id is not None:
            by_factory.setdefault(job.factory_id, []).append(job)
    for jobs in by_factory.values():
        factory = jobs[0].factory
        assert factory is not None
        if factory.retry_after is not None and factory.retry_after > now:
            continue
        try:
            statuses = connector_for(factory).poll([j.scheduler_job_id for j in jobs])
        except FactoryUnavailable as exc:
            factory_record_failure(factory=factory, error=exc.message)
            report.errors.append(exc.message)
            continue
        factory_record_success(factory=factory)
        for job in jobs:
            status = statuses.get(job.scheduler_job_id)
            if status is not None and job.array and status.tasks:
                job_record_tasks(job=job, tasks=status.tasks)
            if status is None or status.state in (SchedulerState.PENDING,
                                                  SchedulerState.UNKNOWN):
                continue
            target = STATE_FROM_SCHEDULER[status.state]
            if target == job.state:
                continue
            if target != JobState.RUNNING and job.state == JobState.SUBMITTED \
                    and status.started_at is not None:
                job_record_status(job=job, state=JobState.RUNNING,
                                  started_at=status.started_at)
            job_record_status(job=job, state=target, exit_code=status.exit_code,
                              started_at=status.started_at, finished_at=status.finished_at,
                              reason=status.reason)
            report.updated += 1
    return report


def settle_finished() -> CycleReport:
    """Charge finished jobs from the scheduler's accounting (elapsed time, GPUs): one
    accounting request per factory per cycle for all its finished jobs, so settling never
    holds up polling however many jobs end at once.

    When the accounting does not answer (slurmdbd down), finished jobs are settled
    provisionally from the start and end the scheduler's live record gave (so no reservation
    stays locked), and corrected once to the accounting record when it answers again."""
    report = CycleReport()
    now = timezone.now()
    by_factory: dict[int, list[Job]] = {}
    for job in Job.objects.filter(
            Q(settled_at__isnull=True) | Q(charge_provisional=True),
            state__in=FINAL_STATES, factory__isnull=False).select_related("factory"):
        by_factory.setdefault(job.factory_id or 0, []).append(job)
    for jobs in by_factory.values():
        factory = jobs[0].factory
        assert factory is not None
        connector = connector_for(factory)
        records: dict[str, JobStatus] = {}
        if Capability.ACCOUNTING in connector.capabilities:
            since = min((j.finished_at or now) for j in jobs) - dt.timedelta(minutes=5)
            try:
                records = {r.scheduler_job_id: r for r in connector.accounting_since(since)}
            except FactoryUnavailable as exc:
                report.errors.append(exc.message)
                report.settled += _settle_provisionally(jobs, factory, exc.message)
                continue
        for job in jobs:
            if job.charge_provisional:
                record = records.get(job.scheduler_job_id)
                if record is not None and job.array and len(record.tasks) < job.array_tasks:
                    record = None  # not every task of the array recorded yet
                if record is not None and record.elapsed_seconds is not None:
                    job_settle_correct(job=job, elapsed_seconds=record.elapsed_seconds,
                                       gpus=record.gpus,
                                       note=f"from {factory.name} accounting")
                continue
            record = records.get(job.scheduler_job_id)
            finished = job.finished_at or now
            late = (now - finished).total_seconds() >= ACCOUNTING_GRACE_SECONDS
            if record is None and late and job.scheduler_job_id \
                    and Capability.ACCOUNTING in connector.capabilities:
                try:  # one last look at this job alone before falling back
                    record = connector.accounting(job.scheduler_job_id)
                except FactoryUnavailable as exc:
                    report.errors.append(exc.message)
                    continue
            if record is not None and job.array and len(record.tasks) < job.array_tasks:
                record = None  # accounting has not recorded every task of the array yet
            if record is not None and record.elapsed_seconds is not None:
                if job.array:
                    job_record_tasks(job=job, tasks=record.tasks)
                job_settle(job=job, elapsed_seconds=record.elapsed_seconds, gpus=record.gpus,
                           note=f"from {factory.name} accounting"
                                + (f" ({len(record.tasks)} tasks)" if job.array else ""))
                report.settled += 1
                continue
            if not late:
                continue  # accounting lags a little behind the live state
            job_settle(job=job, elapsed_seconds=_observed_elapsed(job, finished),
                       note="accounting record missing: charged from observed start and end")
            report.settled += 1
    return report


def _observed_elapsed(job: Job, finished: dt.datetime) -> int:
    """The elapsed time seen from the live state (no accounting record): the job's start to
    end; for an array, the sum of the tasks' seen, and start to end for each task not seen."""
    whole = max(0, int((finished - (job.started_at or finished)).total_seconds()))
    if not job.array:
        return whole
    seen = [t.elapsed_seconds for t in job.tasks.all() if t.elapsed_seconds is not None]
    return sum(seen) + whole * max(0, job.array_tasks - len(seen))


def _settle_provisionally(jobs: list[Job], factory: Factory, error: str) -> int:
    """The accounting of `factory` does not answer: charge its finished jobs from the start
    and end its scheduler reported (slurmctld's job record), marked provisional."""
    settled = 0
    for job in jobs:
        if job.settled_at is not None or job.finished_at is None:
            continue
        job_settle(job=job, elapsed_seconds=_observed_elapsed(job, job.finished_at),
                   provisional=True,
                   note=f"provisional: {factory.name} accounting unavailable; from the "
                        f"scheduler's job record ({error})"[:255])
        settled += 1
    return settled


# How often an answering factory is probed for what it runs (Slurm release, API version).
PROBE_INTERVAL = dt.timedelta(minutes=10)


def check_offline_factories() -> None:
    """Probe factories Antenna took offline once their back-off has passed."""
    now = timezone.now()
    for factory in Factory.objects.filter(status=FactoryStatus.OFFLINE,
                                          consecutive_failures__gt=0):
        if factory.retry_after and factory.retry_after > now:
            continue
        probe_factory(factory, count_failure=True)


def probe_factory(factory: Factory, *, count_failure: bool) -> bool:
    """Ask a factory's health; record what it runs. A failed probe counts towards taking the
    factory offline only with `count_failure` (the periodic probe leaves that to the calls
    that do the work, and keeps what the last answer told). True when it answered."""
    health = connector_for(factory).health()
    if health.ok:
        factory_record_success(factory=factory)
        factory_record_probe(factory=factory, release=health.release,
                             api_version=health.api_version)
    elif count_failure:
        factory_record_failure(factory=factory, error=health.detail)
    else:
        factory_record_probe(factory=factory, release=factory.scheduler_release,
                             api_version=factory.scheduler_api_version)
    return health.ok


def probe_due_factories() -> None:
    """Probe the answering factories not probed for PROBE_INTERVAL, so the factory page and
    the console show the Slurm release and API version each one runs now (a site upgrade is
    seen within the interval, and audited)."""
    due = timezone.now() - PROBE_INTERVAL
    for factory in Factory.objects.exclude(status=FactoryStatus.OFFLINE).filter(
            Q(scheduler_checked_at__isnull=True) | Q(scheduler_checked_at__lt=due)):
        probe_factory(factory, count_failure=False)


def factory_accounts() -> CycleReport:
    """Usage outside the gateway charged, then each allocation's account at each factory that
    keeps accounts compared and repaired (jobs/slurm_accounts.py): before dispatch, so a job
    is submitted under an account that is there."""
    return CycleReport(errors=charge_external_usage() + sync_factory_accounts())


def run_cycle(limit: int = 50) -> CycleReport:
    """One reconciliation cycle: accounts, cancel, dispatch, poll, settle. One connector per
    factory serves the whole cycle (`connector_scope`; the worker keeps one open for its
    life, so HTTP sessions stay alive between cycles): what a connector reads once per cycle
    (slurmdbd's recent jobs, for the usage outside the gateway and for settling) is read
    once."""
    total = CycleReport()
    with connector_scope():
        connectors_cycle_start()
        for step in (factory_accounts, cancel_requested, lambda: dispatch_queued(limit),
                     poll_factories, settle_finished):
            part = step()
            total.dispatched += part.dispatched
            total.rejected += part.rejected
            total.updated += part.updated
            total.settled += part.settled
            total.cancelled += part.cancelled
            total.errors.extend(part.errors)
        check_offline_factories()
        probe_due_factories()
    return total
