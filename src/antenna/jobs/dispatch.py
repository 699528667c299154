"""The reconciliation loop's steps: dispatch queued jobs, poll factories, cancel, settle.

Each step is idempotent and safe to run in several workers at once: a queued job is leased
(`lease_until`) in its own transaction before the factory is called, with row locks that skip
rows another worker holds on PostgreSQL. A job carries its id to the scheduler
(`antenna-<id>`), so a retry after a crash finds the job instead of submitting it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from antenna.connectors.base import (
    Capability,
    Connector,
    FactoryQueue,
    JobRejected,
    JobSpec,
    JobStatus,
    SchedulerState,
)
from antenna.connectors.registry import (
    connector_for,
    connector_scope,
    connectors_cycle_start,
    each_at_once,
)
from antenna.core.errors import FactoryUnavailable
from antenna.factories.identity import missing_site_account_message, run_as, runnable_by
from antenna.factories.models import Factory, FactoryStatus, Partition
from antenna.factories.partition_fit import nodes_for
from antenna.factories.services import (
    factory_record_failure,
    factory_record_probe,
    factory_record_success,
)
from antenna.jobs.models import Job
from antenna.jobs.placement import FactoryView, JobRequest, rank_factories
from antenna.jobs.selectors import (
    factory_views,
    live_queues,
    predicted_runtime_of,
    recent_usage,
)
from antenna.jobs.services import (
    Accepted,
    candidate_factories,
    job_end_before_start,
    job_record_rejected,
    job_record_status,
    job_record_tasks,
    job_retry_later,
    job_settle,
    job_settle_correct,
    jobs_lease,
    jobs_record_dispatched,
    jobs_record_placement,
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


def _spec(job: Job, partition: str, gpus_per_node: int = 0, account: str | None = None
          ) -> JobSpec:
    """The job for its factory (`job.factory`, chosen): who it is for goes into the comment;
    on a per_user factory it runs as the person's verified username there; more GPUs than a
    node of the partition has (`gpus_per_node`) run on whole nodes. `account`: the Slurm
    account, if the caller already knows it (`account_for`)."""
    allocation = job.allocation
    if account is None:
        account = account_for(allocation.pk, job.factory) if job.factory else ""
    return JobSpec(antenna_job_id=job.pk, name=job.name, script=job.script, gpus=job.gpus,
                   cpus=job.cpus, memory_mb=job.memory_gb * 1024,
                   walltime_minutes=job.walltime_minutes, partition=partition,
                   container_image=job.container_image,
                   owner=job.submitted_by.username,
                   organization=allocation.organization.legal_name,
                   allocation=str(allocation.pk),
                   run_as=run_as(job.submitted_by, job.factory) if job.factory else "",
                   account=account,
                   nodes=nodes_for(job.gpus, gpus_per_node) if gpus_per_node else 1,
                   array=job.array)


def _usable(factory: Factory, now: dt.datetime) -> bool:
    return factory.is_available and (factory.retry_after is None or factory.retry_after <= now)


# A cycle leases no new batch after this long, so that polling and settling still run.
DISPATCH_CYCLE_SECONDS = 30.0
# How long the answers of a batch's submits are gathered after the first one comes, so that
# each transaction records a group of them.
RECORD_GATHER_SECONDS = 0.02


@dataclass
class _Attempt:
    """A leased job on its way to a factory: the places left to try, best first."""

    job: Job
    choices: list[tuple[Factory, Partition]]
    last_error: str = ""


class _Pools:
    """A bounded thread pool per factory for its HTTP calls (submit, find): a slow factory
    holds up only its own jobs. The threads never touch the database: every lease,
    placement and state write happens in the dispatching thread."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pools: dict[int, ThreadPoolExecutor] = {}

    def run(self, factory: Factory, call: Callable[[JobSpec], Any], spec: JobSpec
            ) -> Future[Any]:
        pool = self.pools.get(factory.pk)
        if pool is None:
            # A connector may allow fewer at once (the local sandbox: one, in order).
            limit = connector_for(factory).max_parallel_submits
            pool = self.pools[factory.pk] = ThreadPoolExecutor(
                max_workers=min(self.size, limit) if limit else self.size,
                thread_name_prefix=f"dispatch-{factory.name}")
        return pool.submit(call, spec)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=True)


def dispatch_queued(limit: int | None = None) -> CycleReport:
    """Submit the due queued jobs: leased `ANTENNA_DISPATCH_BATCH` at a time, batch after
    batch until none is due (no cap per cycle; `limit` caps the jobs taken, for tests; no
    new batch after DISPATCH_CYCLE_SECONDS, so that the cycle's polling runs). Each
    factory's submits run in parallel (`ANTENNA_DISPATCH_PARALLEL` at once per factory)
    over its connector's keep-alive session, while this thread places the next jobs and
    records the answers. Each job is still submitted at most once: its placement is
    recorded before the call, a broken submit looks for the job before sending it again
    (the connector), and a job leased again after a crash is looked for first."""
    report = CycleReport()
    batch = settings.ANTENNA_DISPATCH_BATCH
    started = time.monotonic()
    taken = 0
    usage: dict[str, dict[str, float]] | None = None
    queues: dict[int, FactoryQueue | None] = {}  # each factory's live queue, read once
    pools = _Pools(settings.ANTENNA_DISPATCH_PARALLEL)
    with connector_scope():
        try:
            while limit is None or taken < limit:
                size = batch if limit is None else min(batch, limit - taken)
                jobs = jobs_lease(limit=size)
                if not jobs:
                    break
                taken += len(jobs)
                if usage is None:
                    usage = recent_usage()
                _Batch(pools, usage, queues, report).run(jobs)
                if len(jobs) < size or time.monotonic() - started > DISPATCH_CYCLE_SECONDS:
                    break
        finally:
            pools.close()
    return report


class _Batch:
    """One leased batch, placed from a picture read once (the factories, their partitions
    and their queues, each job placed added to it in memory), its placements recorded in
    one transaction, submitted in the factories' pools, and the answers recorded together
    as they come (one transaction per group of answers; fail-over to the next place on a
    failure)."""

    def __init__(self, pools: _Pools, usage: dict[str, dict[str, float]],
                 queues: dict[int, FactoryQueue | None], report: CycleReport) -> None:
        self.pools, self.usage, self.queues, self.report = pools, usage, queues, report
        self.now = timezone.now()
        self.pending: dict[Future[Any], tuple[Job, Factory, _Attempt | None,
                                               Partition | None]] = {}
        self.answered: set[int] = set()  # factories whose success is recorded in this batch
        self.failed: dict[int, str] = {}  # factories whose failure is recorded in this batch
        # The factories (and partitions) read once per batch for all its jobs, read again
        # after a failure is recorded (it may have made a factory unusable for a while).
        self.known: dict[tuple[int, ...], list[Factory]] = {}
        # What placement sees of each factory, read once; each job placed is added to it.
        self.views: dict[int, FactoryView] = {}
        # Per batch: an allocation's candidate factories, a user's runnable ones, the Slurm
        # account of an allocation at a factory.
        self.candidates: dict[int, list[Factory]] = {}
        self.runnable: dict[tuple[int, tuple[int, ...]], list[Factory]] = {}
        self.accounts: dict[tuple[int, int], str] = {}

    def _factories(self, ids: list[int]) -> list[Factory]:
        key = tuple(sorted(ids))
        if key not in self.known:
            self.known[key] = list(Factory.objects.filter(pk__in=key)
                                   .prefetch_related("partitions"))
        return self.known[key]

    def _views(self, factories: list[Factory]) -> list[FactoryView]:
        missing = [f for f in factories if f.pk not in self.views]
        if missing:
            for factory, view in zip(missing, factory_views(
                    missing, live_queues(missing, self.queues)), strict=True):
                self.views[factory.pk] = view
        return [self.views[f.pk] for f in factories]

    def _failed(self, factory: Factory, error: str) -> None:
        """A call to `factory` failed: counted once per batch (its submits in flight fail
        together, one outage; as before, the back-off then keeps the next jobs away), and
        nothing more is sent there in this batch."""
        if factory.pk in self.failed:
            return
        factory_record_failure(factory=factory, error=error)
        self.failed[factory.pk] = error
        self.known.clear()
        self.views.clear()

    def spec(self, job: Job, partition: Partition) -> JobSpec:
        assert job.factory is not None
        key = (job.allocation_id, job.factory.pk)
        if key not in self.accounts:
            self.accounts[key] = account_for(job.allocation_id, job.factory)
        return _spec(job, partition.name, partition.gpus_per_node, account=self.accounts[key])

    def run(self, jobs: list[Job]) -> None:
        first: list[tuple[_Attempt, Factory, Partition]] = []
        for job in jobs:
            if job.factory_id is not None and job.scheduler_job_id == "":
                # A previous attempt chose this factory and may have submitted before a crash.
                factory = job.factory
                assert factory is not None
                spec = _spec(job, job.partition.name if job.partition else "")
                self.pending[self.pools.run(factory, connector_for(factory).find, spec)] = (
                    job, factory, None, None)
                continue
            attempt = self._plan(job)
            choice = self._choose(attempt) if attempt is not None else None
            if attempt is not None and choice is not None:
                first.append((attempt, *choice))
        self._send(first)
        while self.pending:
            self._record()

    def _plan(self, job: Job) -> _Attempt | None:
        """Where `job` may go, best first (the first choice is added to the picture); None
        when it is rejected or retried later here."""
        allocation = job.allocation
        if allocation.pk not in self.candidates:
            self.candidates[allocation.pk] = candidate_factories(allocation)
        candidates = self.candidates[allocation.pk]
        if job.requested_factory_id is not None:
            candidates = [f for f in candidates if f.pk == job.requested_factory_id]
        candidates = self._factories([c.pk for c in candidates])
        key = (job.submitted_by_id, tuple(f.pk for f in candidates))
        if key not in self.runnable:
            self.runnable[key] = runnable_by(job.submitted_by, candidates)
        runnable = self.runnable[key]
        if candidates and not runnable:
            job_record_rejected(job=job, reason=missing_site_account_message(candidates))
            self.report.rejected += 1
            return None
        candidates = runnable
        if job.array:  # only factories that run job arrays (not the local sandbox)
            candidates = [f for f in candidates if runs_arrays(f)]
        usable = [f for f in candidates if _usable(f, self.now)]
        seconds = predicted_runtime_of(job)
        request = JobRequest(gpus=job.gpus, walltime_minutes=job.walltime_minutes,
                             organization=str(allocation.organization_id),
                             expected_runtime_seconds=seconds)
        ranked = rank_factories(request, self._views(usable), self.usage)
        if not ranked:
            can_ever = rank_factories(request, [
                replace(v, available=True) for v in factory_views(candidates)
            ])
            if not can_ever:
                job_record_rejected(job=job, reason="No factory of this allocation can run it.")
                self.report.rejected += 1
                return None
            job_retry_later(job=job, reason="All factories that can run it are unavailable; "
                                            "retrying.")
            return None
        by_name = {f.name: f for f in usable}
        choices = []
        for choice in ranked:
            factory = by_name[choice.factory]
            choices.append((factory, next(p for p in factory.partitions.all()
                                          if p.name == choice.partition)))
        best = choices[0][0].pk
        # As `factory_views` will read it once it is there (an array: one row).
        self.views[best] = self.views[best].with_queued(
            job.gpus, seconds or job.walltime_minutes * 60.0)
        return _Attempt(job=job, choices=choices)

    def _choose(self, attempt: _Attempt) -> tuple[Factory, Partition] | None:
        """The next place left to try (none failed in this batch); none left: retry later
        (or give up after MAX_DISPATCH_ATTEMPTS)."""
        while attempt.choices:
            factory, partition = attempt.choices.pop(0)
            if factory.pk not in self.failed:
                return factory, partition
            attempt.last_error = attempt.last_error or self.failed[factory.pk]
        job = attempt.job
        if job.dispatch_attempts >= MAX_DISPATCH_ATTEMPTS:
            job_record_rejected(job=job, reason=f"Could not be submitted: "
                                                f"{attempt.last_error}", unplace=True)
            self.report.rejected += 1
        else:
            job_retry_later(job=job, reason=attempt.last_error, unplace=True)
        return None

    def _send(self, chosen: list[tuple[_Attempt, Factory, Partition]]) -> None:
        """Record where each job goes (one transaction), then submit each in its factory's
        pool: the intent is stored before the call, so a crash leaves a trail to find the
        job by."""
        moved = jobs_record_placement(placements=[(a.job, f, p) for a, f, p in chosen])
        for attempt, factory, partition in chosen:
            if attempt.job.pk not in moved:
                continue  # no longer queued: nothing to submit
            spec = self.spec(attempt.job, partition)
            self.pending[self.pools.run(factory, connector_for(factory).submit, spec)] = (
                attempt.job, factory, attempt, partition)

    def _submit_next(self, attempt: _Attempt) -> None:
        """Submit to the next place left (fail-over), if any."""
        choice = self._choose(attempt)
        if choice is not None:
            self._send([(attempt, *choice)])

    def _record(self) -> None:
        """Wait for at least one answer; record every answer in by then, the accepted ones
        together."""
        done, rest = wait(list(self.pending), return_when=FIRST_COMPLETED)
        if rest:
            # And those that come in the next moment: a group of answers per transaction,
            # not one each (a factory answers a submit in ~10-30 ms, 16 in flight).
            more, _ = wait(rest, timeout=RECORD_GATHER_SECONDS)
            done |= more
        accepted: list[Accepted] = []
        for future in done:
            job, factory, attempt, partition = self.pending.pop(future)
            if attempt is None:
                self._found(future, job, factory, accepted)
            else:
                assert partition is not None
                self._submitted(future, attempt, factory, partition, accepted)
        jobs_record_dispatched(accepted=accepted)
        self.report.dispatched += len(accepted)

    def _found(self, future: Future[Any], job: Job, factory: Factory,
               accepted: list[Accepted]) -> None:
        try:
            found = future.result()
        except FactoryUnavailable as exc:
            self._failed(factory, exc.message)
            job_retry_later(job=job, reason=exc.message)
            self.report.errors.append(exc.message)
            return
        if found and job.partition is not None:
            accepted.append(Accepted(job, factory, job.partition, found))
            return
        attempt = self._plan(job)
        if attempt is not None:
            self._submit_next(attempt)

    def _submitted(self, future: Future[Any], attempt: _Attempt, factory: Factory,
                   partition: Partition, accepted: list[Accepted]) -> None:
        try:
            scheduler_id = future.result()
        except FactoryUnavailable as exc:
            self._failed(factory, exc.message)
            attempt.last_error = exc.message
            self.report.errors.append(exc.message)
            self._submit_next(attempt)  # fail over to the next factory
            return
        except JobRejected as exc:
            attempt.last_error = exc.message
            self.report.errors.append(exc.message)
            self._submit_next(attempt)
            return
        if factory.pk not in self.answered and factory.pk not in self.failed:
            # one write per factory and batch, not per job; none after a failure in it
            factory_record_success(factory=factory)
            self.answered.add(factory.pk)
        accepted.append(Accepted(attempt.job, factory, partition, scheduler_id))


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
    todo: list[tuple[Factory, list[Job], Connector]] = []
    for jobs in by_factory.values():
        factory = jobs[0].factory
        assert factory is not None
        if factory.retry_after is not None and factory.retry_after > now:
            continue
        todo.append((factory, jobs, connector_for(factory)))

    def read(item: tuple[Factory, list[Job], Connector]
             ) -> dict[str, JobStatus] | FactoryUnavailable:
        _factory, jobs, connector = item
        try:
            return connector.poll([j.scheduler_job_id for j in jobs])
        except FactoryUnavailable as exc:
            return exc

    # The factories' bulk polls awaited together; their answers applied here, in turn.
    for (factory, jobs, _connector), answer in zip(todo, each_at_once(todo, read, "poll"),
                                                   strict=True):
        if isinstance(answer, FactoryUnavailable):
            factory_record_failure(factory=factory, error=answer.message)
            report.errors.append(answer.message)
            continue
        statuses = answer
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
    todo = [(jobs, connector_for(jobs[0].factory)) for jobs in by_factory.values()
            if jobs[0].factory is not None]

    def read(item: tuple[list[Job], Connector]
             ) -> dict[str, JobStatus] | FactoryUnavailable:
        jobs, connector = item
        if Capability.ACCOUNTING not in connector.capabilities:
            return {}
        since = min((j.finished_at or now) for j in jobs) - dt.timedelta(minutes=5)
        try:
            return {r.scheduler_job_id: r for r in connector.accounting_since(since)}
        except FactoryUnavailable as exc:
            return exc

    # The factories' accounting reads awaited together; the charges written here, in turn.
    for (jobs, connector), answer in zip(todo, each_at_once(todo, read, "accounting"),
                                         strict=True):
        factory = jobs[0].factory
        assert factory is not None
        if isinstance(answer, FactoryUnavailable):
            report.errors.append(answer.message)
            report.settled += _settle_provisionally(jobs, factory, answer.message)
            continue
        records = answer
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


def _sync_accounts() -> CycleReport:
    """Each allocation's account at each factory that keeps accounts compared and repaired
    (jobs/slurm_accounts.py): before dispatch, so a job goes under an account that is there."""
    return CycleReport(errors=sync_factory_accounts())


def _external_usage() -> CycleReport:
    """The jobs run under Antenna's accounts outside the gateway, charged."""
    return CycleReport(errors=charge_external_usage())


def _offline_and_probes() -> CycleReport:
    check_offline_factories()
    probe_due_factories()
    return CycleReport()


def _run_steps(steps: list[Callable[[], CycleReport]]) -> CycleReport:
    total = CycleReport()
    with connector_scope():
        connectors_cycle_start()
        for step in steps:
            part = step()
            total.dispatched += part.dispatched
            total.rejected += part.rejected
            total.updated += part.updated
            total.settled += part.settled
            total.cancelled += part.cancelled
            total.errors.extend(part.errors)
    return total


def run_cycle(limit: int | None = None) -> CycleReport:
    """One reconciliation cycle: accounts, cancel, dispatch, poll, settle. One connector per
    factory serves the whole cycle (`connector_scope`; the worker keeps one open for its
    life, so HTTP sessions stay alive between cycles): what a connector reads once per cycle
    (slurmdbd's recent jobs, for the usage outside the gateway and for settling) is read
    once. Every due job is dispatched (`limit` caps them, for tests). `antenna worker` runs
    the same steps in two lanes instead (`run_dispatch_cycle`, `run_accounting_cycle`)."""
    return _run_steps([_external_usage, _sync_accounts, cancel_requested,
                       lambda: dispatch_queued(limit),
                       poll_factories, settle_finished, _offline_and_probes])


def run_dispatch_cycle() -> CycleReport:
    """The worker's fast lane: accounts synced (so a job goes under an account that is
    there), cancels, dispatch, and the factories' live states. It never waits for an
    accounting read (slurmdbd's answer can take a second), so a job is sent and seen running
    within about a poll of the factory."""
    return _run_steps([_sync_accounts, cancel_requested, dispatch_queued, poll_factories])


def run_accounting_cycle() -> CycleReport:
    """The worker's slow lane, in a thread of its own: usage outside the gateway charged,
    finished jobs settled from accounting, offline factories probed again. Safe beside the
    fast lane as beside another worker: every write locks its rows and checks again."""
    return _run_steps([_external_usage, settle_finished, _offline_and_probes])
