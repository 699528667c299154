"""Each allocation an account at each of its factories, kept by the worker (issue #10).

Every cycle, for each factory whose connector keeps accounts (capability ACCOUNTS; a local
factory has none, so nothing happens there):

1. `charge_external_usage`: the factory's accounting since the last read; finished jobs under
   an allocation's account that this installation did not submit are charged to the
   allocation once (`allocations.services.external_usage_charge`).
2. `sync_factory_accounts`: what Slurm holds is compared with what Antenna wants and repaired:
   the account (`<prefix><allocation id>`, made if missing, e.g. deleted by hand), its
   GrpTRESMins gres/gpu (the grant in the factory's GPU-minutes), GrpJobs=0 while the
   allocation is suspended, and one association per member with a verified site account
   (per_user factories) or for the service account (community ones). A closed or expired
   allocation keeps its account (its jobs stay in sacct) but loses every association.

Both are idempotent: a second run changes nothing. The accounts of a factory are read (two
requests) when what Antenna wants there changed since the last comparison in this worker (a
grant, a suspension, a member, a site account), and otherwise every
ANTENNA_ACCOUNTS_RECHECK_SECONDS (default 60) to find drift made at the factory. The
connector returns only the accounts this installation made (name prefix and the marker at the
start of the description), so no other account is ever touched. Each change is audited on
the factory account.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from antenna.allocations.models import Allocation, FactoryAccount, FactoryAccountState
from antenna.allocations.services import (
    external_usage_charge,
    factory_account_record,
    factory_account_usage_read,
)
from antenna.allocations.states import AllocationState
from antenna.connectors.base import (
    AccountJob,
    AccountSpec,
    AccountState,
    Capability,
    Connector,
    JobRejected,
)
from antenna.connectors.registry import connector_for, each_at_once
from antenna.core.errors import FactoryUnavailable
from antenna.factories.models import Factory, FactoryStatus, IdentityMode, SiteAccount
from antenna.factories.states import SiteAccountState

log = logging.getLogger("antenna.worker")

# Accounting is read again from a little before the last read: a record completes a few
# seconds after the job ends, and each job is charged once whatever the overlap.
USAGE_OVERLAP = dt.timedelta(minutes=10)
LIVE = (AllocationState.ACTIVE, AllocationState.SUSPENDED)
# factory id -> (when its accounts were last compared, what Antenna wanted then): this process.
_LAST_COMPARED: dict[int, tuple[float, tuple[AccountSpec, ...]]] = {}


def gpu_minutes(allocation: Allocation, factory: Factory) -> int:
    """The grant in the factory's own GPU-minutes (antenna GPU-seconds / its factor)."""
    return math.floor(Decimal(allocation.granted_gpu_seconds)
                      / Decimal(factory.gpu_hour_factor) / 60)


def _allocations_at(factory: Factory) -> list[Allocation]:
    """The allocations that have, or should have, an account at `factory`: live ones on it
    (their own factory, or pooled over a call that offers it), and any it already holds."""
    held = FactoryAccount.objects.filter(factory=factory).values_list("allocation_id", flat=True)
    return list(Allocation.objects.filter(
        Q(pk__in=held) | Q(state__in=LIVE) & (
            Q(factory=factory) | Q(factory__isnull=True, proposal__call__factories=factory)),
    ).select_related("organization").distinct())


def _users(allocation: Allocation, factory: Factory, connector: Connector) -> tuple[str, ...]:
    """Who is associated with the account: each member's verified site username (per_user),
    or the service account jobs run as (community)."""
    if factory.identity_mode != IdentityMode.PER_USER:
        return (str(connector.settings.get("user") or ""),)
    return tuple(sorted(set(SiteAccount.objects.filter(
        factory=factory, state=SiteAccountState.VERIFIED,
        user__memberships__organization_id=allocation.organization_id,
    ).values_list("username", flat=True))))


def _spec(allocation: Allocation, factory: Factory, connector: Connector) -> AccountSpec:
    live = allocation.state in LIVE
    return AccountSpec(
        allocation_id=allocation.pk, label=allocation.organization.legal_name,
        gpu_minutes=gpu_minutes(allocation, factory),
        held=allocation.state != AllocationState.ACTIVE,
        users=_users(allocation, factory, connector) if live else ())


def _reconcile(connector: Connector, spec: AccountSpec,
               found: AccountState | None) -> tuple[list[str], str]:
    """Make the factory's account match `spec`: what was changed (for the audit trail), and
    why the limits could not be set ("" when they could: Slurm 22.05's API cannot change
    them; the associations are kept right all the same)."""
    changes: list[str] = []
    if found is None:
        connector.account_ensure(spec)
        changes.append(f"created with GrpTRESMins=gres/gpu={spec.gpu_minutes}"
                       + (" GrpJobs=0" if spec.held else ""))
        users: tuple[str, ...] = ()
    else:
        users = found.users
    for user in sorted(set(spec.users) - set(users)):
        connector.association_add(spec.allocation_id, user)
        changes.append(f"associated {user}")
    for user in sorted(set(users) - set(spec.users)):
        connector.association_remove(spec.allocation_id, user)
        changes.append(f"removed {user}")
    if found is not None and (found.gpu_minutes != spec.gpu_minutes or found.held != spec.held):
        try:
            connector.account_set_limits(spec)
        except FactoryUnavailable as exc:
            return changes, exc.message
        changes.append(f"limits GrpTRESMins=gres/gpu={found.gpu_minutes} "
                       f"GrpJobs={'0' if found.held else 'none'} -> "
                       f"GrpTRESMins=gres/gpu={spec.gpu_minutes} "
                       f"GrpJobs={'0' if spec.held else 'none'}")
    return changes, ""


def _state(allocation: Allocation) -> str:
    if allocation.state == AllocationState.ACTIVE:
        return FactoryAccountState.ACTIVE
    if allocation.state == AllocationState.SUSPENDED:
        return FactoryAccountState.SUSPENDED
    return FactoryAccountState.REMOVED


def _account_factories() -> list[tuple[Factory, Connector]]:
    out = []
    for factory in Factory.objects.exclude(status=FactoryStatus.OFFLINE).order_by("name"):
        connector = connector_for(factory)
        if Capability.ACCOUNTS in connector.capabilities:
            out.append((factory, connector))
    return out


def sync_factory_accounts() -> list[str]:
    """Compare and repair every allocation's account at every factory that keeps accounts;
    returns the errors (each also kept on its factory account)."""
    errors: list[str] = []
    for factory, connector in _account_factories():
        allocations = _allocations_at(factory)
        if not allocations:
            continue
        specs = {a.pk: _spec(a, factory, connector) for a in allocations}
        wanted = tuple(specs[a.pk] for a in allocations)
        last = _LAST_COMPARED.get(factory.pk)
        if last is not None and last[1] == wanted and not FactoryAccount.objects.filter(
                factory=factory).exclude(last_error="").exists() \
                and time.monotonic() - last[0] < settings.ANTENNA_ACCOUNTS_RECHECK_SECONDS:
            continue  # nothing changed here, and drift was looked for a moment ago
        try:
            found = connector.accounts()
        except (FactoryUnavailable, JobRejected) as exc:
            errors.append(exc.message)
            continue
        synced = {a.allocation_id: a for a in FactoryAccount.objects.filter(factory=factory)}
        failed = False
        for allocation in allocations:
            spec = specs[allocation.pk]
            current = synced.get(allocation.pk)
            if allocation.state not in LIVE and allocation.pk not in found \
                    and current is not None and current.state == FactoryAccountState.REMOVED:
                continue  # closed and gone: nothing to keep
            try:
                changes, warning = _reconcile(connector, spec, found.get(allocation.pk))
            except (FactoryUnavailable, JobRejected) as exc:
                errors.append(exc.message)
                failed = True
                factory_account_record(
                    allocation_id=allocation.pk, factory=factory,
                    slurm_name=connector.account_name(allocation.pk),
                    gpu_minutes=spec.gpu_minutes, users=list(spec.users),
                    state=_state(allocation), changes=[], synced=False, error=exc.message)
                continue
            if warning:
                errors.append(warning)
            if changes or warning or current is None or current.last_error \
                    or current.state != _state(allocation) \
                    or current.users != list(spec.users) \
                    or current.gpu_minutes != spec.gpu_minutes:
                factory_account_record(
                    allocation_id=allocation.pk, factory=factory,
                    slurm_name=connector.account_name(allocation.pk),
                    gpu_minutes=spec.gpu_minutes, users=list(spec.users),
                    state=_state(allocation), changes=changes, synced=True, error=warning)
            else:  # matched: only the time of the last sync moves
                FactoryAccount.objects.filter(pk=current.pk).update(last_sync_at=timezone.now())
        if failed:
            _LAST_COMPARED.pop(factory.pk, None)
        else:
            _LAST_COMPARED[factory.pk] = (time.monotonic(), wanted)
    return errors


def charge_external_usage() -> list[str]:
    """Charge the jobs run under Antenna's accounts outside the gateway since the last read
    (one accounting request per factory); returns the errors."""
    errors: list[str] = []
    todo: list[tuple[Factory, Connector, list[FactoryAccount], dt.datetime]] = []
    for factory, connector in _account_factories():
        accounts = list(FactoryAccount.objects.filter(factory=factory))
        if accounts:
            todo.append((factory, connector, accounts, timezone.now()))

    def read(item: tuple[Factory, Connector, list[FactoryAccount], dt.datetime]
             ) -> list[AccountJob] | FactoryUnavailable | JobRejected:
        _factory, connector, accounts, _now = item
        since = min(a.usage_read_until or a.created_at for a in accounts) - USAGE_OVERLAP
        try:
            return connector.account_jobs_since(since)
        except (FactoryUnavailable, JobRejected) as exc:
            return exc

    # The factories' accounting reads awaited together; the charges written here, in turn.
    for (factory, _connector, accounts, now), answer in zip(
            todo, each_at_once(todo, read, "usage"), strict=True):
        if isinstance(answer, FactoryUnavailable | JobRejected):
            errors.append(answer.message)
            continue
        jobs = answer
        ours = {a.allocation_id for a in accounts}
        for job in jobs:
            if job.allocation_id not in ours:
                continue  # another installation's account with the same prefix
            seconds = math.ceil(Decimal(job.gpus) * Decimal(job.elapsed_seconds)
                                * Decimal(factory.gpu_hour_factor))
            if external_usage_charge(
                    allocation_id=job.allocation_id, factory=factory,
                    scheduler_job_id=job.scheduler_job_id, site_user=job.user, gpus=job.gpus,
                    elapsed_seconds=job.elapsed_seconds, gpu_seconds=seconds,
                    finished_at=job.finished_at) is not None:
                log.info("%s: charged job %s of %s (%s GPU-seconds) to allocation %s",
                         factory.name, job.scheduler_job_id, job.user, seconds,
                         job.allocation_id)
        factory_account_usage_read(account_ids=[a.pk for a in accounts], until=now)
    return errors


def account_for(allocation_id: int, factory: Factory) -> str:
    """The Slurm account a job of this allocation is submitted under at `factory`: its own,
    once it is there and active; "" (the user's default account) otherwise."""
    return FactoryAccount.objects.filter(
        allocation_id=allocation_id, factory=factory, state=FactoryAccountState.ACTIVE,
        last_sync_at__isnull=False,
    ).values_list("slurm_name", flat=True).first() or ""
