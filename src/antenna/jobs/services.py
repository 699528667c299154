"""Writes on jobs: submit (reserving the budget), cancel, and the worker's state changes.

`job_submit` stores the job and reserves its budget in one transaction and returns; the
worker (`jobs.dispatch`) places, submits, polls and settles through the functions below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import is_member_checked
from antenna.allocations.services import (
    allocation_first_job_started,
    budget_correct,
    budget_refuse,
    budget_release,
    budget_release_many,
    budget_reserve,
    budget_reserve_sql,
    budget_settle,
    reserve_entry,
    usage_month_add,
)
from antenna.connectors.base import Capability, SchedulerState, TaskStatus
from antenna.connectors.registry import connector_for
from antenna.core.audit import audit_event, audit_record, audit_record_many, audit_store
from antenna.core.errors import (
    AntennaError,
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from antenna.core.sql import insert_rows_select, insert_select, update_rows
from antenna.factories.identity import missing_site_account_message, runnable_by
from antenna.factories.models import Factory, Partition
from antenna.jobs.access import job_may_cancel
from antenna.jobs.arrays import array_task_count
from antenna.jobs.billing import charge_seconds, reservation_seconds
from antenna.jobs.models import Job, JobTask
from antenna.jobs.states import AT_FACTORY_STATES, JOB_MACHINE, JobState
from antenna.jobs.wakeup import CHANNEL as WAKE_CHANNEL
from antenna.jobs.wakeup import jobs_wake_worker
from antenna.organizations.access import is_member

MAX_SCRIPT_BYTES = 256 * 1024
MAX_BATCH_JOBS = 1000


def candidate_factories(allocation: Allocation) -> list[Factory]:
    """The factories an allocation may run on: its own, or (pooled) every factory of its call."""
    if allocation.factory_id is not None:
        return [allocation.factory] if allocation.factory else []
    if allocation.proposal_id is None:
        return list(Factory.objects.all())
    # One query from the proposal's id (not through the proposal and its call).
    return list(Factory.objects.filter(calls__proposals=allocation.proposal_id).order_by("name"))


def _fitting(factories: list[Factory], *, gpus: int, walltime_minutes: int) -> list[Factory]:
    partitions = Partition.objects.filter(factory__in=factories)
    fit_ids = {p.factory_id for p in partitions
               if p.can_run(gpus=gpus, walltime_minutes=walltime_minutes)}
    return [f for f in factories if f.pk in fit_ids]


def _array_tasks(array: str) -> int:
    try:
        return array_task_count(array)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc


def _validate(*, name: str, script: str, gpus: int, walltime_minutes: int, cpus: int,
              memory_gb: int) -> None:
    if not name.strip():
        raise ValidationFailed(_("Give the job a name."))
    if len(name) > 100:
        raise ValidationFailed(_("Keep the job name under 100 characters."))
    if not script.startswith("#!"):
        raise ValidationFailed(_("The script must start with an interpreter line such as "
                                 "#!/bin/bash."))
    if len(script.encode()) > MAX_SCRIPT_BYTES:
        raise ValidationFailed(_("The script is larger than 256 KB: put your code in files "
                                 "and keep the script short."))
    if not isinstance(gpus, int) or gpus < 1:
        raise ValidationFailed(_("gpus must be a whole number of at least 1."))
    if not isinstance(walltime_minutes, int) or walltime_minutes < 1:
        raise ValidationFailed(_("walltime_minutes must be a whole number of at least 1."))
    if cpus < 1 or memory_gb < 1:
        raise ValidationFailed(_("cpus and memory_gb must be at least 1."))


def runs_arrays(factory: Factory) -> bool:
    """Whether the factory's connector runs job arrays (capability ARRAYS: Slurm does, the
    local sandbox does not)."""
    return Capability.ARRAYS in connector_for(factory).capabilities


def job_cost_seconds(*, allocation: Allocation, gpus: int, walltime_minutes: int,
                     factory: Factory | None = None, user: User | None = None,
                     tasks: int = 1, array: bool = False) -> tuple[int, list[Factory]]:
    """The reservation a job would take, and the factories that could run it (for `user`:
    only those where they can run, see factories/identity.py). An array of `tasks` tasks
    reserves tasks x GPUs x walltime.

    On a pooled allocation the job may land on any of them, so the reservation is the
    largest of their costs; the worker releases the difference once it is placed.
    """
    candidates = candidate_factories(allocation)
    if factory is not None:
        if factory.pk not in {f.pk for f in candidates}:
            raise Conflict(
                _("factory: this allocation cannot run jobs on %(f)s; it can use: %(all)s.")
                % {"f": factory.display_name,
                   "all": ", ".join(f.display_name for f in candidates) or "-"}
            )
        candidates = [factory]
    if user is not None:
        runnable = runnable_by(user, candidates)
        if candidates and not runnable:
            raise Conflict(missing_site_account_message(candidates))
        candidates = runnable
    fitting = _fitting(candidates, gpus=gpus, walltime_minutes=walltime_minutes)
    if not fitting:
        limits = "; ".join(
            f"{p.factory.display_name}/{p.name}: "
            + (f"up to {p.max_gpus_per_job} GPUs, " if p.max_nodes_per_job == 1 else
               f"up to {p.gpus_per_node} GPUs on one node or whole nodes of "
               f"{p.gpus_per_node} up to {p.max_gpus_per_job} GPUs, ")
            + f"{p.max_walltime_minutes} min"
            for p in Partition.objects.filter(factory__in=candidates).select_related("factory")
        )
        raise Conflict(
            _("No factory of this allocation runs a job of %(g)s GPUs for %(w)s minutes. "
              "Limits: %(limits)s.") % {"g": gpus, "w": walltime_minutes, "limits": limits}
        )
    if array:
        fitting = [f for f in fitting if runs_arrays(f)]
        if not fitting:
            raise ValidationFailed(
                _("array: the factories this job can run on (%(all)s) do not run job arrays "
                  "(the antenna's sandbox runs one job at a time): submit the tasks as "
                  "separate jobs, in one batch, or choose a Slurm factory.")
                % {"all": ", ".join(f.display_name for f in candidates) or "-"})
    cost = max(reservation_seconds(gpus=gpus, walltime_minutes=walltime_minutes,
                                   factor=f.gpu_hour_factor) for f in fitting)
    return cost * tasks, fitting


def _require_member(user: User, allocation: Allocation) -> None:
    """Only members of the allocation's organisation run jobs on it (read with the allocation
    when it came from `allocation_for_submit`, else one query)."""
    member = is_member_checked(allocation, user)
    if not (member if member is not None else is_member(user, allocation.organization)):
        raise PermissionDenied(_("Only members of %(org)s can run jobs on this allocation.")
                               % {"org": allocation.organization.legal_name})


def job_submit(
    *,
    by: User,
    allocation: Allocation,
    name: str,
    script: str,
    gpus: int,
    walltime_minutes: int,
    cpus: int = 8,
    memory_gb: int = 32,
    container_image: str = "",
    factory: Factory | None = None,
    array: str = "",
) -> Job:
    """Store a job in `queued` and reserve its budget, atomically: on PostgreSQL in ONE SQL
    statement (`_store_in_one_statement`), elsewhere in one transaction of four.

    Refused with BudgetExceeded (nothing stored, nothing reserved) when the allocation cannot
    cover GPUs x walltime x the factory's factor (x the tasks of an array).
    """
    _require_member(by, allocation)
    _validate(name=name, script=script, gpus=gpus, walltime_minutes=walltime_minutes,
              cpus=cpus, memory_gb=memory_gb)
    tasks = _array_tasks(array)
    cost, _fit = job_cost_seconds(allocation=allocation, gpus=gpus,
                                  walltime_minutes=walltime_minutes, factory=factory, user=by,
                                  tasks=tasks, array=bool(array.strip()))
    job = Job(
        allocation=allocation, submitted_by=by, name=name.strip(), script=script,
        container_image=container_image.strip(), gpus=gpus, cpus=cpus, memory_gb=memory_gb,
        walltime_minutes=walltime_minutes, requested_factory=factory,
        gpu_seconds_reserved=cost, state=JobState.QUEUED, array=array.strip(),
        array_tasks=tasks,
    )
    after = {"gpus": gpus, "walltime_minutes": walltime_minutes,
             "reserved_gpu_seconds": cost, "array": array.strip()}
    if connection.vendor == "postgresql":
        # One statement is atomic by itself: no BEGIN and COMMIT round trips around it.
        _store_in_one_statement(job, by=by, after=after)
        return job
    with transaction.atomic():
        job.save(force_insert=True)
        budget_reserve(allocation=allocation, gpu_seconds=cost, reference=f"job:{job.pk}",
                       by=by)
        audit_record(action="job.submit", target=job, by=by,
                     organization_id=allocation.organization_id, after=after)
        jobs_wake_worker()
    return job


def _store_in_one_statement(job: Job, *, by: User, after: dict[str, object]) -> None:
    """PostgreSQL: reserve the budget and insert the job, its ledger entry and its audit event
    in ONE statement (one round trip): the inserts read the row the reservation's conditional
    UPDATE returns, so a refused reservation inserts nothing, and concurrent submits are
    exact as with `budget_reserve` (the UPDATE's condition is re-checked on the locked row).
    Model `save()` and signals are bypassed (no receiver is connected for these models): a hook
    that must follow every submit belongs in `job_submit`, for both paths (`on_commit` runs at
    once here, the statement having committed unless an outer transaction holds it); the
    worker's wake-up NOTIFY is part of the statement."""
    allocation = job.allocation
    insert_entry, entry_params = insert_select(
        reserve_entry(allocation_id=allocation.pk, gpu_seconds=job.gpu_seconds_reserved,
                      reference="", by=by),
        source="job", computed={"reference": "'job:' || job.id"})
    insert_event, event_params = insert_select(
        audit_event(action="job.submit", target=job, by=by,
                    organization_id=allocation.organization_id, after=after),
        source="job", computed={"target_id": "job.id::text"})
    _reserve_and_insert([job], total=job.gpu_seconds_reserved,
                        insert_jobs=insert_select(job, source="reserved"), returning="id",
                        entry=(insert_entry, entry_params), event=(insert_event, event_params))


def _reserve_and_insert(jobs: list[Job], *, total: int, insert_jobs: tuple[str, list[Any]],
                        returning: str, entry: tuple[str, list[Any]],
                        event: tuple[str, list[Any]]) -> None:
    """The one statement of a PostgreSQL submit (single or batch): the reservation's
    conditional UPDATE of `total`, then `insert_jobs` (reading `reserved`, returning
    `returning`), the ledger `entry` and the audit `event` (both reading `job`). A refused
    reservation inserts nothing (then `budget_refuse` says why); else the jobs get their ids,
    in order. pg_notify wakes the worker (jobs.wakeup) once the statement commits, and only
    when jobs were inserted: the same as `jobs_wake_worker()`."""
    allocation_id = jobs[0].allocation_id
    reserve, reserve_params = budget_reserve_sql(allocation_id=allocation_id, gpu_seconds=total)
    sql = (f"WITH reserved AS ({reserve}), "  # noqa: S608
           f"job AS ({insert_jobs[0]} RETURNING {returning}), "
           f"entry AS ({entry[0]}), event AS ({event[0]}) "
           f"SELECT id, pg_notify('{WAKE_CHANNEL}', '') FROM job ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*reserve_params, *insert_jobs[1], *entry[1], *event[1]])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        budget_refuse(allocation_id=allocation_id, gpu_seconds=total)
    for job, pk in zip(jobs, ids, strict=True):
        job.pk = pk
        job._state.adding = False


@dataclass(frozen=True)
class JobDraft:
    """One job of a batch, as `job_submit` takes it."""

    name: str
    script: str
    gpus: int
    walltime_minutes: int
    cpus: int = 8
    memory_gb: int = 32
    container_image: str = ""
    factory: Factory | None = None
    array: str = ""


def _in_batch(index: int, exc: AntennaError) -> AntennaError:
    """The same error, its message prefixed by the index of the job that caused it."""
    exc.message = _("jobs[%(i)s]: %(message)s") % {"i": index, "message": exc.message}
    exc.args = (exc.message,)
    return exc


def jobs_submit_batch(*, by: User, allocation: Allocation, drafts: list[JobDraft]) -> list[Job]:
    """Store up to 1000 jobs in `queued` and reserve their budget, all or nothing, in one
    transaction: one conditional UPDATE reserves the sum (exact under concurrent submits,
    like `job_submit`), one INSERT stores the jobs, one the reservation's ledger entry, one
    the jobs' `job.submit` audit events. A refusal (an invalid job, named by its index, or a
    budget that cannot cover the sum) stores nothing.
    """
    _require_member(by, allocation)
    if not drafts:
        raise ValidationFailed(_("jobs: give at least one job."))
    if len(drafts) > MAX_BATCH_JOBS:
        raise ValidationFailed(_("jobs: at most %(n)s jobs in one batch; split it.")
                               % {"n": MAX_BATCH_JOBS})
    costs: dict[tuple[int, int, int | None, bool], int] = {}  # per (GPUs, walltime, factory)
    jobs: list[Job] = []
    for index, draft in enumerate(drafts):
        try:
            _validate(name=draft.name, script=draft.script, gpus=draft.gpus,
                      walltime_minutes=draft.walltime_minutes, cpus=draft.cpus,
                      memory_gb=draft.memory_gb)
            tasks = _array_tasks(draft.array)
            key = (draft.gpus, draft.walltime_minutes,
                   draft.factory.pk if draft.factory is not None else None,
                   bool(draft.array.strip()))
            if key not in costs:
                costs[key], _fit = job_cost_seconds(
                    allocation=allocation, gpus=draft.gpus,
                    walltime_minutes=draft.walltime_minutes, factory=draft.factory, user=by,
                    array=key[3])
        except AntennaError as exc:
            raise _in_batch(index, exc) from None
        jobs.append(Job(
            allocation=allocation, submitted_by=by, name=draft.name.strip(),
            script=draft.script, container_image=draft.container_image.strip(),
            gpus=draft.gpus, cpus=draft.cpus, memory_gb=draft.memory_gb,
            walltime_minutes=draft.walltime_minutes, requested_factory=draft.factory,
            gpu_seconds_reserved=costs[key] * tasks, state=JobState.QUEUED,
            array=draft.array.strip(), array_tasks=tasks,
        ))
    total = sum(job.gpu_seconds_reserved for job in jobs)
    if connection.vendor == "postgresql":
        # One statement is atomic by itself (as `job_submit`'s): no BEGIN and COMMIT.
        try:
            _store_batch_in_one_statement(jobs, by=by, total=total)
        except AntennaError as exc:
            raise _batch_refused(len(jobs), exc) from None
        return jobs
    with transaction.atomic():
        Job.objects.bulk_create(jobs, batch_size=500)
        try:
            budget_reserve(allocation=allocation, gpu_seconds=total,
                           reference=f"jobs:{jobs[0].pk}-{jobs[-1].pk}", by=by,
                           note=_batch_note(len(jobs)))
        except AntennaError as exc:
            raise _batch_refused(len(jobs), exc) from None
        audit_record_many(
            action="job.submit", targets=list(jobs), by=by,
            organization_id=allocation.organization_id,
            after=[{"gpus": j.gpus, "walltime_minutes": j.walltime_minutes,
                    "reserved_gpu_seconds": j.gpu_seconds_reserved, "array": j.array,
                    "batch": len(jobs)} for j in jobs])
        jobs_wake_worker()
    return jobs


def _batch_note(count: int) -> str:
    return f"batch of {count} jobs"


def _batch_refused(count: int, exc: AntennaError) -> AntennaError:
    exc.message = _("The batch of %(n)s jobs is refused and nothing is stored: "
                    "%(message)s") % {"n": count, "message": exc.message}
    exc.args = (exc.message,)
    return exc


def _store_batch_in_one_statement(jobs: list[Job], *, by: User, total: int) -> None:
    """PostgreSQL: reserve the batch's sum and insert its jobs (one `unnest` insert, in
    order), the reservation's ledger entry (`jobs:<first id>-<last id>`) and one `job.submit`
    audit event per job, in ONE statement, as `_store_in_one_statement` does for one job: a
    refused reservation inserts nothing (then `budget_refuse` says why)."""
    allocation = jobs[0].allocation
    insert_entry, entry_params = insert_select(
        reserve_entry(allocation_id=allocation.pk, gpu_seconds=total, reference="",
                      note=_batch_note(len(jobs)), by=by),
        source="(SELECT min(id) AS first, max(id) AS last FROM job HAVING count(*) > 0) AS span",
        computed={"reference": "'jobs:' || span.first || '-' || span.last"})
    after = (f"jsonb_build_object('gpus', job.gpus, 'walltime_minutes', job.walltime_minutes, "
             f"'reserved_gpu_seconds', job.gpu_seconds_reserved, 'array', job.\"array\", "
             f"'batch', {len(jobs):d})")
    insert_events, event_params = insert_select(
        audit_event(action="job.submit", target=jobs[0], by=by,
                    organization_id=allocation.organization_id),
        source="job", computed={"target_id": "job.id::text", "after": after})
    _reserve_and_insert(jobs, total=total,
                        insert_jobs=insert_rows_select(jobs, source="reserved"),
                        returning='id, gpus, walltime_minutes, gpu_seconds_reserved, "array"',
                        entry=(insert_entry, entry_params), event=(insert_events, event_params))


def _locked(job: Job) -> Job:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return (Job.objects.select_for_update(of=("self",))
            .select_related("factory", "allocation").get(pk=job.pk))


def _move(job: Job, target: str, *, by: User | None, reason: str = "") -> None:
    JOB_MACHINE.check(job.state, target)
    before = job.state
    job.state = target
    if reason:
        job.state_reason = reason
    job.save()
    audit_record(action=f"job.{target}", target=job, by=by,
                 organization_id=job.allocation.organization_id,
                 before={"state": before}, after={"state": target}, message=reason)


def job_cancel(*, job: Job, by: User) -> Job:
    """Cancel a job: at once if still queued, else ask the worker to cancel it at the factory."""
    if not job_may_cancel(by, job):
        raise PermissionDenied(_("Only members of the organisation or operators can cancel "
                                 "this job."))
    with transaction.atomic():
        j = _locked(job)
        if JOB_MACHINE.is_terminal(j.state):
            raise InvalidTransition(_("Job %(pk)s has already ended (%(s)s).")
                                    % {"pk": j.pk, "s": j.get_state_display()})
        if j.state == JobState.QUEUED and j.lease_until is None and not j.scheduler_job_id:
            audit_record(action="job.cancel_requested", target=j, by=by,
                         organization_id=j.allocation.organization_id)
            return job_end_before_start(job=j, state=JobState.CANCELLED,
                                        reason=_("Cancelled before it started."))
        if j.cancel_requested_at is None:
            j.cancel_requested_at = timezone.now()
            j.save(update_fields=["cancel_requested_at"])
            audit_record(action="job.cancel_requested", target=j, by=by,
                         organization_id=j.allocation.organization_id)
    return j


# -- The worker's writes -----------------------------------------------------------------
#
# The worker acts as Antenna itself: its audit events carry no actor (`by=None`).

LEASE_SECONDS = 120


def jobs_lease(*, limit: int) -> list[Job]:
    """Take up to `limit` due queued jobs for this worker, skipping rows others hold, and
    count the attempt; returns them with what dispatching reads (two queries in all).

    A lease is a lock with a time-out, not a change of the job's state, so it writes no audit
    event of its own: the attempt it opens ends in audited events (`job.place` and
    `job.retry` record the attempt's number, then `job.submitted` or `job.failed`).
    """
    now = timezone.now()
    with transaction.atomic():
        qs = Job.objects.filter(state=JobState.QUEUED, cancel_requested_at__isnull=True).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        ).order_by("created_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Job.objects.filter(pk__in=ids).update(
            lease_until=now + dt.timedelta(seconds=LEASE_SECONDS),
            dispatch_attempts=F("dispatch_attempts") + 1,
        )
    return list(Job.objects.filter(pk__in=ids)
                .select_related("allocation__proposal__call", "allocation__factory",
                                "allocation__organization", "submitted_by", "factory",
                                "partition")
                .order_by("created_at", "id"))


def jobs_record_placement(*, placements: list[tuple[Job, Factory, Partition]]) -> set[int]:
    """The worker chose where to submit leased jobs: record it before calling the factories,
    so that after a crash the next attempt looks for each job there instead of submitting it
    twice. One transaction: the queued ones among them are locked in one query, moved with
    one UPDATE per (factory, partition) and their `job.place` events stored in one INSERT.
    Each job moved gets its factory and partition; returns their ids (a job no longer
    queued is not moved)."""
    if not placements:
        return set()
    with transaction.atomic():
        queued = set(Job.objects.select_for_update().filter(
            pk__in=[job.pk for job, _f, _p in placements], state=JobState.QUEUED,
        ).order_by("pk").values_list("pk", flat=True))
        groups: dict[tuple[int, int], list[int]] = {}
        events = []
        for job, factory, partition in placements:
            if job.pk not in queued:
                continue
            groups.setdefault((factory.pk, partition.pk), []).append(job.pk)
            job.factory, job.partition = factory, partition
            events.append(audit_event(
                action="job.place", target=job, by=None,
                organization_id=job.allocation.organization_id,
                after={"factory": factory.name, "partition": partition.name,
                       "attempt": job.dispatch_attempts}))
        for (factory_id, partition_id), ids in groups.items():
            Job.objects.filter(pk__in=ids).update(factory_id=factory_id,
                                                  partition_id=partition_id)
        audit_store(events)
    return queued


def job_retry_later(*, job: Job, reason: str, unplace: bool = False) -> Job:
    """This attempt could not submit the job: release the lease and try again after an
    exponential back-off; `unplace` forgets the factory chosen (no factory has the job)."""
    delay = min(300, 2 ** min(job.dispatch_attempts, 8))
    values: dict[str, object] = {
        "lease_until": None, "state_reason": reason[:1000],
        "next_attempt_at": timezone.now() + dt.timedelta(seconds=delay),
    }
    if unplace:
        values.update(factory=None, partition=None)
    with transaction.atomic():
        if Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(**values):
            audit_record(action="job.retry", target=job, by=None,
                         organization_id=job.allocation.organization_id, message=reason[:500],
                         after={"attempt": job.dispatch_attempts, "retry_in_seconds": delay})
    return job



@dataclass(frozen=True)
class Accepted:
    """A factory's answer to a submit: it took `job` as `scheduler_job_id`."""

    job: Job
    factory: Factory
    partition: Partition
    scheduler_job_id: str


def job_record_dispatched(*, job: Job, factory: Factory, partition: Partition,
                          scheduler_job_id: str) -> Job:
    """The factory accepted the job: store its id there and fit the reservation to it."""
    return jobs_record_dispatched(accepted=[Accepted(job, factory, partition,
                                                     scheduler_job_id)])[0]


_DISPATCHED_FIELDS = ["factory", "partition", "scheduler_job_id", "submitted_at",
                      "lease_until", "state", "state_reason", "gpu_seconds_reserved"]


def jobs_record_dispatched(*, accepted: list[Accepted]) -> list[Job]:
    """`job_record_dispatched` for many answers at once, in one transaction: the jobs
    locked in one query (in id order), the reservations fitted to their factories (one
    conditional UPDATE per allocation, a ledger entry per job), the jobs written in one
    UPDATE (`update_rows`) and their `job.submitted` events in one INSERT. A job no longer
    queued (cancelled meanwhile) is left as it is. Returns the jobs as stored, in the order
    given."""
    if not accepted:
        return []
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        locked = {j.pk: j for j in Job.objects.select_for_update(of=("self",))
                  .select_related("allocation")
                  .filter(pk__in=[a.job.pk for a in accepted]).order_by("pk")}
        now = timezone.now()
        changed: list[Job] = []
        releases: list[tuple[int, int, str, str]] = []
        events = []
        for answer in accepted:
            j, factory = locked[answer.job.pk], answer.factory
            if j.state != JobState.QUEUED:
                continue
            JOB_MACHINE.check(j.state, JobState.SUBMITTED)
            exact = reservation_seconds(gpus=j.gpus, walltime_minutes=j.walltime_minutes,
                                        factor=factory.gpu_hour_factor) * j.array_tasks
            if exact < j.gpu_seconds_reserved:
                releases.append((j.allocation_id, j.gpu_seconds_reserved - exact,
                                 f"job:{j.pk}", f"placed on {factory.name}"))
                j.gpu_seconds_reserved = exact
            j.factory, j.partition = factory, answer.partition
            j.scheduler_job_id = answer.scheduler_job_id
            j.submitted_at, j.lease_until = now, None
            j.state = JobState.SUBMITTED
            j.state_reason = (_("Submitted to %(f)s (%(p)s) as %(id)s.")
                              % {"f": factory.display_name, "p": answer.partition.name,
                                 "id": answer.scheduler_job_id})
            events.append(audit_event(
                action=f"job.{JobState.SUBMITTED}", target=j, by=None,
                organization_id=j.allocation.organization_id,
                before={"state": JobState.QUEUED}, after={"state": JobState.SUBMITTED},
                message=j.state_reason))
            changed.append(j)
        budget_release_many(releases)
        update_rows(changed, _DISPATCHED_FIELDS)
        audit_store(events)
    return [locked[a.job.pk] for a in accepted]


def job_end_before_start(*, job: Job, state: str, reason: str, unplace: bool = False) -> Job:
    """A queued job ends without running (no factory will take it, or it was cancelled):
    its whole reservation goes back to the allocation; `unplace` forgets the factory chosen
    (no factory has the job)."""
    with transaction.atomic():
        j = _locked(job)
        if j.state != JobState.QUEUED:
            return j
        if unplace:
            j.factory, j.partition = None, None
        j.finished_at = timezone.now()
        j.gpu_seconds_charged = 0
        j.settled_at = j.finished_at
        j.lease_until = None
        _move(j, state, by=None, reason=reason)
        budget_release(allocation_id=j.allocation_id, gpu_seconds=j.gpu_seconds_reserved,
                       reference=f"job:{j.pk}", note=f"{state} before it started")
    return j


def job_record_rejected(*, job: Job, reason: str, unplace: bool = False) -> Job:
    """No factory will run the job: it fails and its reservation is released."""
    return job_end_before_start(job=job, state=JobState.FAILED, reason=reason, unplace=unplace)


def job_record_status(*, job: Job, state: str, exit_code: int | None = None,
                      started_at: dt.datetime | None = None,
                      finished_at: dt.datetime | None = None, reason: str = "") -> Job:
    """Apply what the factory's scheduler reports (idempotent: an old report changes nothing)."""
    with transaction.atomic():
        j = _locked(job)
        if j.state not in AT_FACTORY_STATES or j.state == state:
            return j
        if state == JobState.RUNNING and j.state != JobState.SUBMITTED:
            return j
        j.started_at = j.started_at or started_at or (timezone.now()
                                                      if state == JobState.RUNNING else None)
        if JOB_MACHINE.is_terminal(state):
            j.exit_code = exit_code
            j.finished_at = finished_at or timezone.now()
            if j.started_at is None:
                j.started_at = j.finished_at
        if j.started_at is not None:
            allocation_first_job_started(allocation_id=j.allocation_id, at=j.started_at)
        _move(j, state, by=None, reason=reason)
    return j


def job_settle(*, job: Job, elapsed_seconds: int, gpus: int | None = None,
               note: str = "", provisional: bool = False) -> Job:
    """Charge a finished job GPUs x elapsed x factor and release the rest, exactly once.

    `provisional`: the elapsed time comes from the scheduler's live job record because its
    accounting does not answer; `job_settle_correct` sets it to the accounting record later.
    """
    with transaction.atomic():
        j = _locked(job)
        if not JOB_MACHINE.is_terminal(j.state) or j.settled_at is not None:
            return j
        factor = j.factory.gpu_hour_factor if j.factory else Decimal("1")
        charged = charge_seconds(gpus=gpus or j.gpus, elapsed_seconds=elapsed_seconds,
                                 factor=factor, reserved_seconds=j.gpu_seconds_reserved)
        budget_settle(allocation_id=j.allocation_id, reserved_seconds=j.gpu_seconds_reserved,
                      charged_seconds=charged, reference=f"job:{j.pk}", note=note)
        j.gpu_seconds_charged = charged
        usage_month_add(allocation_id=j.allocation_id, factory_id=j.factory_id,
                        at=j.finished_at or j.created_at, jobs_delta=charged)
        j.elapsed_seconds = elapsed_seconds
        j.settled_at = timezone.now()
        j.charge_provisional = provisional
        j.save(update_fields=["gpu_seconds_charged", "elapsed_seconds", "settled_at",
                              "charge_provisional"])
        audit_record(action="job.settle", target=j, by=None,
                     organization_id=j.allocation.organization_id,
                     after={"elapsed_seconds": elapsed_seconds, "charged_gpu_seconds": charged,
                            "provisional": provisional})
    return j


def job_settle_correct(*, job: Job, elapsed_seconds: int, gpus: int | None = None,
                       note: str = "") -> Job:
    """Replace a provisional charge by the accounting record's, exactly once: the difference
    is one adjustment in the allocation's ledger (a no-op for a job not provisional)."""
    with transaction.atomic():
        j = _locked(job)
        if not j.charge_provisional:
            return j
        factor = j.factory.gpu_hour_factor if j.factory else Decimal("1")
        charged = charge_seconds(gpus=gpus or j.gpus, elapsed_seconds=elapsed_seconds,
                                 factor=factor, reserved_seconds=j.gpu_seconds_reserved)
        before = j.gpu_seconds_charged or 0
        applied = budget_correct(allocation_id=j.allocation_id, used_delta=charged - before,
                                 reference=f"job:{j.pk}",
                                 note=f"{note}: {before} -> {charged} GPU-seconds".lstrip(": "))
        j.gpu_seconds_charged = before + applied
        usage_month_add(allocation_id=j.allocation_id, factory_id=j.factory_id,
                        at=j.finished_at or j.created_at, jobs_delta=applied)
        j.elapsed_seconds = elapsed_seconds
        j.charge_provisional = False
        j.save(update_fields=["gpu_seconds_charged", "elapsed_seconds", "charge_provisional"])
        audit_record(action="job.settle_correct", target=j, by=None,
                     organization_id=j.allocation.organization_id,
                     before={"charged_gpu_seconds": before},
                     after={"elapsed_seconds": elapsed_seconds,
                            "charged_gpu_seconds": j.gpu_seconds_charged})
    return j


_TASK_STATE = {
    SchedulerState.PENDING: JobState.QUEUED, SchedulerState.RUNNING: JobState.RUNNING,
    SchedulerState.COMPLETED: JobState.COMPLETED, SchedulerState.FAILED: JobState.FAILED,
    SchedulerState.CANCELLED: JobState.CANCELLED, SchedulerState.TIMEOUT: JobState.TIMEOUT,
}


def job_record_tasks(*, job: Job, tasks: tuple[TaskStatus, ...]) -> int:
    """Store what the factory reports of a job array's tasks (idempotent: only the tasks
    whose report changed are written, in one statement); returns how many changed. A task's
    report is observation, not a change of the job's state: no audit event (the job's own
    state changes are audited)."""
    if not tasks:
        return 0
    current = {t.index: t for t in JobTask.objects.filter(job=job)}
    fields = ("state", "scheduler_job_id", "exit_code", "elapsed_seconds", "started_at",
              "finished_at")
    rows: list[JobTask] = []
    for task in tasks:
        row = JobTask(job=job, index=task.index,
                      state=_TASK_STATE.get(task.state, JobState.QUEUED),
                      scheduler_job_id=task.scheduler_job_id, exit_code=task.exit_code,
                      elapsed_seconds=task.elapsed_seconds, started_at=task.started_at,
                      finished_at=task.finished_at)
        old = current.get(task.index)
        if old is not None and all(getattr(old, f) == getattr(row, f) for f in fields):
            continue
        if old is not None and old.elapsed_seconds is not None and row.elapsed_seconds is None:
            continue  # a late live report never undoes the accounting's final record
        rows.append(row)
    if rows:
        JobTask.objects.bulk_create(rows, update_conflicts=True,
                                    unique_fields=["job", "index"],
                                    update_fields=list(fields), batch_size=500)
    return len(rows)


def usage_months_rebuild(allocation_ids: list[int] | None = None) -> int:
    """Recompute the usage roll-ups (`allocations.UsageMonth`, `allocations.UsageDay`) and
    `Allocation.first_job_started_at` from the jobs and external usages (of `allocation_ids`,
    else of every allocation), for records written without the services (the benchmark's
    and the demo's seeding). Returns the month rows written. The settle path keeps them
    current; this only repeats what it would have done: each charge on its local end day
    (creation if none), the weeks and months summed from the days."""
    from django.db.models import Min, Sum
    from django.db.models.functions import Coalesce, TruncDate

    from antenna.allocations.models import (
        ExternalUsage,
        UsageDay,
        UsageMonth,
        UsageSpan,
        usage_week_of,
    )

    def scoped(qs):  # type: ignore[no-untyped-def]
        return qs if allocation_ids is None else qs.filter(allocation_id__in=allocation_ids)

    months: dict[tuple[int, int | None, dt.date], UsageMonth] = {}
    spans: dict[tuple[int, int | None, int, dt.date], UsageDay] = {}

    def add(allocation_id: int, factory_id: int | None, day: dt.date, jobs: int,
            external: int) -> None:
        key = (allocation_id, factory_id, day.replace(day=1))
        if key not in months:
            months[key] = UsageMonth(allocation_id=allocation_id, factory_id=factory_id,
                                     month=key[2])
        months[key].jobs_gpu_seconds += jobs
        months[key].external_gpu_seconds += external
        for span, start in ((UsageSpan.DAY, day), (UsageSpan.WEEK, usage_week_of(day))):
            k = (allocation_id, factory_id, int(span), start)
            if k not in spans:
                spans[k] = UsageDay(allocation_id=allocation_id, factory_id=factory_id,
                                    span=span, day=start)
            spans[k].jobs_gpu_seconds += jobs
            spans[k].external_gpu_seconds += external

    for r in (scoped(Job.objects.filter(gpu_seconds_charged__gt=0))
              .annotate(d=TruncDate(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "d")
              .annotate(t=Sum("gpu_seconds_charged")).order_by()):
        add(r["allocation_id"], r["factory_id"], r["d"], r["t"], 0)
    for r in (scoped(ExternalUsage.objects.filter(charged_gpu_seconds__gt=0))
              .annotate(d=TruncDate(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "d")
              .annotate(t=Sum("charged_gpu_seconds")).order_by()):
        add(r["allocation_id"], r["factory_id"], r["d"], 0, r["t"])
    with transaction.atomic():
        scoped(UsageMonth.objects.all()).delete()
        scoped(UsageDay.objects.all()).delete()
        UsageMonth.objects.bulk_create(months.values(), batch_size=5_000)
        UsageDay.objects.bulk_create(spans.values(), batch_size=5_000)
        firsts = dict(scoped(Job.objects.filter(started_at__isnull=False))
                      .values_list("allocation_id").annotate(m=Min("started_at"))
                      .values_list("allocation_id", "m").order_by())
        allocations = Allocation.objects.all() if allocation_ids is None else \
            Allocation.objects.filter(pk__in=allocation_ids)
        allocations.update(first_job_started_at=None)
        changed = [Allocation(pk=pk, first_job_started_at=at) for pk, at in firsts.items()]
        Allocation.objects.bulk_update(changed, ["first_job_started_at"], batch_size=2_000)
    return len(months)
