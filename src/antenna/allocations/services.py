"""Writes on allocations: grant, state changes, final reports."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NoReturn, Protocol

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.allocations.models import (
    SECONDS_PER_HOUR,
    Allocation,
    ExternalUsage,
    FactoryAccount,
    LedgerEntry,
    LedgerKind,
    UsageDay,
    UsageMonth,
    UsageSpan,
    usage_week_of,
)
from antenna.allocations.states import ALLOCATION_MACHINE, AllocationState
from antenna.core.audit import audit_record
from antenna.core.errors import PermissionDenied, ValidationFailed
from antenna.core.workdays import add_months
from antenna.factories.models import Factory
from antenna.organizations.access import require_member
from antenna.organizations.models import Organization

FINAL_REPORT_MONTHS = 3


class GrantedProposal(Protocol):
    """What a grant needs of the proposal it awards (a `proposals.Proposal` fits; proposals
    sit above allocations, so this module does not import them)."""

    @property
    def pk(self) -> int: ...
    @property
    def organization(self) -> Organization: ...
    @property
    def duration_months(self) -> int: ...


def allocation_grant(
    *,
    proposal: GrantedProposal,
    gpu_hours: int,
    factory: Factory | None,
    starts_on: dt.date | None = None,
    by: User | None,
) -> Allocation:
    """Create the active allocation a positive decision awards (called inside its transaction)."""
    if gpu_hours < 1:
        raise ValidationFailed(_("Grant at least 1 GPU-hour."))
    starts_on = starts_on or timezone.localdate()
    ends_on = add_months(starts_on, proposal.duration_months)
    allocation = Allocation.objects.create(
        organization=proposal.organization,
        proposal_id=proposal.pk,
        factory=factory,
        granted_gpu_seconds=gpu_hours * SECONDS_PER_HOUR,
        starts_on=starts_on,
        ends_on=ends_on,
        final_report_due_on=add_months(ends_on, FINAL_REPORT_MONTHS),
        state=AllocationState.ACTIVE,
    )
    LedgerEntry.objects.create(
        allocation=allocation, kind=LedgerKind.GRANT,
        granted_delta=allocation.granted_gpu_seconds, reference=f"proposal:{proposal.pk}",
        created_by=by if by is not None and by.is_authenticated else None,
    )
    audit_record(
        action="allocation.grant", target=allocation, by=by,
        organization_id=allocation.organization_id,
        after={"gpu_hours": gpu_hours, "factory": factory.name if factory else "pooled",
               "starts_on": starts_on, "ends_on": ends_on},
    )
    return allocation


def _move(allocation: Allocation, target: str, *, by: User | None, action: str,
          message: str = "") -> Allocation:
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        ALLOCATION_MACHINE.check(locked.state, target)
        before = locked.state
        locked.state = target
        locked.save(update_fields=["state", "updated_at"])
        audit_record(action=action, target=locked, by=by,
                     organization_id=locked.organization_id,
                     before={"state": before}, after={"state": target}, message=message)
    return locked


def _require_operator(by: User) -> None:
    if not by.is_operator:
        raise PermissionDenied(_("Only operators change an allocation's state."))


def allocation_suspend(*, allocation: Allocation, by: User, reason: str = "") -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.SUSPENDED, by=by, action="allocation.suspend",
                 message=reason)


def allocation_resume(*, allocation: Allocation, by: User) -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.ACTIVE, by=by, action="allocation.resume")


def allocation_close(*, allocation: Allocation, by: User, reason: str = "") -> Allocation:
    _require_operator(by)
    return _move(allocation, AllocationState.CLOSED, by=by, action="allocation.close",
                 message=reason)


def allocations_expire_due(*, today: dt.date | None = None) -> int:
    """Move every active or suspended allocation past its end date to `expired`."""
    today = today or timezone.localdate()
    count = 0
    due = Allocation.objects.filter(
        state__in=[AllocationState.ACTIVE, AllocationState.SUSPENDED], ends_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        _move(Allocation(pk=pk), AllocationState.EXPIRED, by=None, action="allocation.expire")
        count += 1
    return count


def allocation_submit_final_report(*, allocation: Allocation, report: str,
                                   by: User) -> Allocation:
    """A member files the allocation's final report (due 3 months after its end)."""
    require_member(by, allocation.organization)
    report = report.strip()
    if len(report) < 20:
        raise ValidationFailed(
            _("Write a final report of a few sentences (what ran, what came out of it).")
        )
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        locked.final_report = report
        locked.final_report_submitted_at = timezone.now()
        locked.save(update_fields=["final_report", "final_report_submitted_at", "updated_at"])
        audit_record(action="allocation.final_report", target=locked, by=by,
                     organization_id=locked.organization_id)
    return locked


# -- The budget: reserve at submission, settle at the end, release the rest ------------------


def _budget_message(allocation: Allocation, cost: int) -> str:
    from antenna.allocations.models import hours

    return _(
        "This job would reserve %(cost)s GPU-hours but allocation %(pk)s has %(left)s left "
        "(%(granted)s granted, %(reserved)s reserved by queued or running jobs, %(used)s used). "
        "Ask for fewer GPUs or a shorter walltime, or wait for running jobs to finish."
    ) % {"cost": hours(cost), "pk": allocation.pk,
         "left": hours(max(0, allocation.remaining_gpu_seconds)),
         "granted": hours(allocation.granted_gpu_seconds),
         "reserved": hours(allocation.reserved_gpu_seconds),
         "used": hours(allocation.used_gpu_seconds)}


def budget_reserve(*, allocation: Allocation, gpu_seconds: int, reference: str,
                   by: User | None, note: str = "") -> None:
    """Reserve `gpu_seconds` on an active allocation, or raise BudgetExceeded.

    One conditional UPDATE: the row changes only if the allocation is active and still has
    room, so concurrent reservations can never over-commit (no read-then-write). Must be
    called inside the caller's transaction.
    """
    sql, params = budget_reserve_sql(allocation_id=allocation.pk, gpu_seconds=gpu_seconds,
                                     returning=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated != 1:
        budget_refuse(allocation_id=allocation.pk, gpu_seconds=gpu_seconds)
    reserve_entry(allocation_id=allocation.pk, gpu_seconds=gpu_seconds, reference=reference,
                  note=note, by=by).save(force_insert=True)


@functools.cache
def _reserve_statement(vendor: str) -> str:
    """The reservation's conditional UPDATE (names from the model, every value a parameter):
    the row changes only while the allocation is active, within its dates, and has room.
    Built once per database vendor: a submit does not compile it again."""
    meta = Allocation._meta
    qn = connection.ops.quote_name
    columns = {field.name: field.column for field in meta.concrete_fields}

    def col(name: str) -> str:
        return str(qn(columns[name]))

    reserved = col("reserved_gpu_seconds")
    # Names from the model; every value is a parameter.
    return (f"UPDATE {qn(meta.db_table)} SET {reserved} = {reserved} + %s, "  # noqa: S608
            f"{col('updated_at')} = %s WHERE {col('id')} = %s AND {col('state')} = %s "
            f"AND {col('starts_on')} <= %s AND {col('ends_on')} >= %s "
            f"AND {reserved} <= {col('granted_gpu_seconds')} - {col('used_gpu_seconds')} - %s")


def budget_reserve_sql(*, allocation_id: int, gpu_seconds: int,
                       returning: bool = True) -> tuple[str, list[Any]]:
    """`budget_reserve`'s conditional UPDATE as SQL (with `RETURNING id` unless `returning`
    is False), for a service that writes what depends on the reservation in the same
    statement (a CTE on PostgreSQL: no row returned means refused, then call
    `budget_refuse`). Its ledger entry: `reserve_entry`."""
    if gpu_seconds < 0:
        raise ValidationFailed("A reservation cannot be negative.")
    ops = connection.ops
    today = ops.adapt_datefield_value(timezone.localdate())
    params: list[Any] = [gpu_seconds, ops.adapt_datetimefield_value(timezone.now()),
                         allocation_id, AllocationState.ACTIVE.value, today, today, gpu_seconds]
    sql = _reserve_statement(connection.vendor)
    return (f"{sql} RETURNING {ops.quote_name('id')}" if returning else sql), params


def reserve_entry(*, allocation_id: int, gpu_seconds: int, reference: str, note: str = "",
                  by: User | None) -> LedgerEntry:
    """The (unsaved) ledger entry of a reservation."""
    return LedgerEntry(allocation_id=allocation_id, kind=LedgerKind.RESERVE,
                       reserved_delta=gpu_seconds, reference=reference, note=note,
                       created_by=by if by is not None and by.is_authenticated else None)


def budget_refuse(*, allocation_id: int, gpu_seconds: int) -> NoReturn:
    """Raise why the allocation cannot take `gpu_seconds` (its reservation updated no row):
    not active, outside its dates, or BudgetExceeded."""
    from antenna.core.errors import BudgetExceeded, InvalidTransition

    today = timezone.localdate()
    current = Allocation.objects.get(pk=allocation_id)
    if current.state != AllocationState.ACTIVE:
        raise InvalidTransition(
            _("Allocation %(pk)s is %(state)s: jobs can only run on an active allocation.")
            % {"pk": current.pk, "state": current.get_state_display()}
        )
    if not current.starts_on <= today <= current.ends_on:
        raise InvalidTransition(
            _("Allocation %(pk)s runs from %(start)s to %(end)s: no jobs outside those dates.")
            % {"pk": current.pk, "start": current.starts_on, "end": current.ends_on}
        )
    raise BudgetExceeded(_budget_message(current, gpu_seconds), cost=gpu_seconds,
                         remaining=current.remaining_gpu_seconds)


def budget_release(*, allocation_id: int, gpu_seconds: int, reference: str, note: str = "") -> None:
    """Give back part or all of a reservation (a cancelled job, a cheaper factory)."""
    budget_release_many([(allocation_id, gpu_seconds, reference, note)])


def budget_release_many(releases: list[tuple[int, int, str, str]]) -> None:
    """`budget_release` for many jobs at once, (allocation id, GPU-seconds, reference, note)
    each: one conditional UPDATE per allocation for its sum, one INSERT of a ledger entry
    per release (each job's entry keeps its own reference). Inside the caller's
    transaction; an allocation that holds less than its sum raises and nothing is kept."""
    releases = [r for r in releases if r[1] > 0]
    totals: dict[int, int] = {}
    for allocation_id, seconds, _reference, _note in releases:
        totals[allocation_id] = totals.get(allocation_id, 0) + seconds
    now = timezone.now()
    for allocation_id, total in sorted(totals.items()):  # one lock order: no deadlock
        updated = Allocation.objects.filter(
            pk=allocation_id, reserved_gpu_seconds__gte=total
        ).update(reserved_gpu_seconds=F("reserved_gpu_seconds") - total, updated_at=now)
        if updated != 1:
            raise ValidationFailed(f"Allocation {allocation_id} holds less than {total} "
                                   "reserved GPU-seconds.")
    LedgerEntry.objects.bulk_create([
        LedgerEntry(allocation_id=allocation_id, kind=LedgerKind.RELEASE,
                    reserved_delta=-seconds, reference=reference, note=note)
        for allocation_id, seconds, reference, note in releases], batch_size=500)


def budget_settle(*, allocation_id: int, reserved_seconds: int, charged_seconds: int,
                  reference: str, note: str = "") -> None:
    """Turn a job's reservation into what it really used; the rest returns to the budget."""
    from django.db.models import F

    if charged_seconds < 0 or charged_seconds > reserved_seconds:
        raise ValidationFailed("A job is charged between 0 and what it reserved.")
    updated = Allocation.objects.filter(
        pk=allocation_id, reserved_gpu_seconds__gte=reserved_seconds
    ).update(reserved_gpu_seconds=F("reserved_gpu_seconds") - reserved_seconds,
             used_gpu_seconds=F("used_gpu_seconds") + charged_seconds,
             updated_at=timezone.now())
    if updated != 1:
        raise ValidationFailed(f"Allocation {allocation_id} holds less than {reserved_seconds} "
                               "reserved GPU-seconds.")
    LedgerEntry.objects.create(allocation_id=allocation_id, kind=LedgerKind.SETTLE,
                               reserved_delta=-reserved_seconds, used_delta=charged_seconds,
                               reference=reference, note=note)


def budget_correct(*, allocation_id: int, used_delta: int, reference: str,
                   note: str = "") -> int:
    """Correct a provisional charge by `used_delta` GPU-seconds (one ADJUST ledger entry, even
    when the delta is 0, so that the correction is on record). An increase never takes more
    than the allocation has left (the database refuses reserved + used > granted): returns the
    delta applied."""
    from django.db.models import F

    with transaction.atomic():
        current = Allocation.objects.select_for_update().get(pk=allocation_id)
        applied = max(-current.used_gpu_seconds,
                      min(used_delta, current.remaining_gpu_seconds))
        if applied != used_delta:
            note = f"{note} (capped from {used_delta} to {applied} GPU-seconds)".strip()
        Allocation.objects.filter(pk=allocation_id).update(
            used_gpu_seconds=F("used_gpu_seconds") + applied, updated_at=timezone.now())
        LedgerEntry.objects.create(allocation_id=allocation_id, kind=LedgerKind.ADJUST,
                                   used_delta=applied, reference=reference, note=note[:255])
    return applied


def allocation_first_job_started(*, allocation_id: int, at: dt.datetime) -> None:
    """A job of the allocation started at `at`: keep the earliest start (time to access).
    One conditional update, so reports arriving in any order leave the minimum."""
    Allocation.objects.filter(pk=allocation_id).filter(
        Q(first_job_started_at__isnull=True) | Q(first_job_started_at__gt=at),
    ).update(first_job_started_at=at)


def usage_month_of(moment: dt.datetime) -> dt.date:
    """The first day of `moment`'s local month: the `UsageMonth.month` a charge counts in."""
    return timezone.localtime(moment).date().replace(day=1)


def usage_month_add(*, allocation_id: int, factory_id: int | None, at: dt.datetime,
                    jobs_delta: int = 0, external_delta: int = 0) -> None:
    """Add a charge (or a correction's difference) to the allocation's usage roll-ups for
    `at`'s local month (`UsageMonth`), week of the month and day (`UsageDay`). Called inside
    the transaction that writes the charge, after the allocation row was updated or locked
    there: writers of one allocation are serialised by that row lock, so the
    update-or-create below cannot race."""
    if not (jobs_delta or external_delta):
        return
    month = usage_month_of(at)
    where = Q(factory__isnull=True) if factory_id is None else Q(factory_id=factory_id)
    add = {"jobs_gpu_seconds": F("jobs_gpu_seconds") + jobs_delta,
           "external_gpu_seconds": F("external_gpu_seconds") + external_delta}
    updated = UsageMonth.objects.filter(where, allocation_id=allocation_id,
                                        month=month).update(**add)
    if not updated:
        UsageMonth.objects.create(allocation_id=allocation_id, factory_id=factory_id,
                                  month=month, jobs_gpu_seconds=jobs_delta,
                                  external_gpu_seconds=external_delta)
    day = timezone.localtime(at).date()
    for span, start in ((UsageSpan.DAY, day), (UsageSpan.WEEK, usage_week_of(day))):
        updated = UsageDay.objects.filter(where, allocation_id=allocation_id, span=span,
                                          day=start).update(**add)
        if not updated:
            UsageDay.objects.create(allocation_id=allocation_id, factory_id=factory_id,
                                    span=span, day=start, jobs_gpu_seconds=jobs_delta,
                                    external_gpu_seconds=external_delta)


# -- Each allocation an account at its factories (written by the worker, jobs/slurm_accounts) --


def factory_account_record(*, allocation_id: int, factory: Factory, slurm_name: str,
                           gpu_minutes: int, users: list[str], state: str,
                           changes: list[str], synced: bool,
                           error: str = "") -> FactoryAccount:
    """Record a reconciliation: when `synced`, the factory holds the account with these
    users (and, unless `error` says otherwise, this limit and state) as of now; else only
    the error is kept. Audited when something changed at the factory (`changes`), or an error
    appears or clears."""
    now = timezone.now()
    with transaction.atomic():
        account, created = FactoryAccount.objects.select_for_update().get_or_create(
            allocation_id=allocation_id, factory=factory,
            defaults={"slurm_name": slurm_name, "usage_read_until": now})
        before = {"state": account.state, "gpu_minutes": account.gpu_minutes,
                  "users": account.users, "error": account.last_error}
        account.slurm_name = slurm_name
        account.last_error = error[:500]
        if synced:
            account.gpu_minutes, account.users, account.state = gpu_minutes, users, state
            account.last_sync_at = now
        account.save()
        after = {"state": account.state, "gpu_minutes": account.gpu_minutes,
                 "users": account.users, "error": account.last_error}
        if changes or created or before["error"] != after["error"]:
            audit_record(action="allocation.factory_account", target=account, by=None,
                         organization_id=Allocation.objects.values_list(
                             "organization_id", flat=True).get(pk=allocation_id),
                         before=before, after=after,
                         message="; ".join(changes)[:500])
    return account


def factory_account_usage_read(*, account_ids: list[int], until: dt.datetime) -> None:
    """The factory's accounting was read up to `until` for these accounts."""
    FactoryAccount.objects.filter(pk__in=account_ids).update(usage_read_until=until)


def external_usage_charge(*, allocation_id: int, factory: Factory, scheduler_job_id: str,
                          site_user: str, gpus: int, elapsed_seconds: int, gpu_seconds: int,
                          finished_at: dt.datetime | None) -> ExternalUsage | None:
    """Charge a job run under the allocation's account outside the gateway, once: None when
    it was charged already. The ledger takes what the allocation has left at most (the
    database refuses reserved + used > granted); the rest is the usage's overrun, which the
    console flags."""
    with transaction.atomic():
        current = Allocation.objects.select_for_update().get(pk=allocation_id)
        if ExternalUsage.objects.filter(factory=factory,
                                        scheduler_job_id=scheduler_job_id).exists():
            return None
        charged = max(0, min(gpu_seconds, current.remaining_gpu_seconds))
        usage = ExternalUsage.objects.create(
            allocation_id=allocation_id, factory=factory, scheduler_job_id=scheduler_job_id,
            site_user=site_user[:64], gpus=gpus, elapsed_seconds=elapsed_seconds,
            gpu_seconds=gpu_seconds, charged_gpu_seconds=charged, finished_at=finished_at)
        Allocation.objects.filter(pk=allocation_id).update(
            used_gpu_seconds=F("used_gpu_seconds") + charged, updated_at=timezone.now())
        usage_month_add(allocation_id=allocation_id, factory_id=factory.pk,
                        at=usage.finished_at or usage.created_at, external_delta=charged)
        note = f"{site_user} at {factory.name}, outside the gateway"
        if charged < gpu_seconds:
            note += f" (over the grant by {gpu_seconds - charged} GPU-seconds)"
        LedgerEntry.objects.create(allocation_id=allocation_id, kind=LedgerKind.EXTERNAL,
                                   used_delta=charged, note=note[:255],
                                   reference=f"ext:{factory.name}:{scheduler_job_id}"[:64])
        audit_record(action="allocation.external_usage", target=current, by=None,
                     organization_id=current.organization_id,
                     after={"factory": factory.name, "job": scheduler_job_id,
                            "user": site_user, "gpu_seconds": gpu_seconds,
                            "charged_gpu_seconds": charged})
    return usage
