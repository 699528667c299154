"""Scale seeding: a production-sized database, written fast, whose ledger balances.

`seed_scale(organizations=10_000, jobs=1_000_000)` writes organisations with members,
proposals (accepted with their decision and allocation, and some in every other state), and
jobs with their ledger entries (reserve, then settle or release), so that every allocation's
granted/reserved/used totals equal the sums of its ledger (`ledger_balances` holds). It writes
rows directly (PostgreSQL COPY, or `bulk_create` in batches on other databases), never through
the services: it is a fixture generator, not business logic. Job parameters are a pure
function of the job's number, so the three passes (totals, jobs, ledger) agree without holding
a million rows in memory.

The reads the scale benchmark times are in `kpi_queries` and `page_timer`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone

from antenna.accounts.models import User
from antenna.allocations.models import (
    SECONDS_PER_HOUR,
    Allocation,
    LedgerEntry,
    LedgerKind,
    UsageDay,
    UsageMonth,
    UsageSpan,
)
from antenna.allocations.states import AllocationState
from antenna.calls.modes import AccessMode
from antenna.calls.services import call_create
from antenna.core.models import AuditEvent
from antenna.core.workdays import add_months
from antenna.factories.models import Factory, FactoryKind, Partition
from antenna.jobs.billing import charge_seconds, reservation_seconds
from antenna.jobs.models import Job
from antenna.jobs.services import usage_months_rebuild
from antenna.jobs.states import JobState
from antenna.organizations.models import (
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    Region,
)
from antenna.proposals.models import Decision, Proposal
from antenna.proposals.states import ProposalState

PREFIX = "scale"
BIG_ORG_MEMBERS = 20
BIG_ORG_ALLOCATIONS = 4
BIG_ORG_JOB_SHARE = 0.10  # the big organisation holds this share of all jobs
HEADROOM_HOURS = 2_000  # unspent budget on every allocation (room for the load test)
COPY_THRESHOLD = 1  # on PostgreSQL every table goes through COPY
BATCH = 5_000  # bulk_create batch size elsewhere

KINDS = [k.value for k in OrganizationKind]
BE_REGIONS = [Region.FLANDERS.value, Region.WALLONIA.value, Region.BRUSSELS.value]
FOREIGN = ["NL", "FR", "DE", "LU"]
GPUS = (1, 2, 4, 8)
WALLTIMES = (30, 60, 120, 240, 480)
SCRIPT = "#!/bin/bash\nsrun python train.py --epochs 3\n"


# -- Writing rows fast -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


class RowWriter:
    """Writes rows of one model: COPY on PostgreSQL, `bulk_create` in batches elsewhere.

    Rows are dicts of attnames; missing columns take the field's default (computed once).
    Ids are given by the caller; `finish()` moves the id sequences past them.
    """

    def __init__(self) -> None:
        self.is_postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def write(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
        started = time.perf_counter()
        fields = model._meta.concrete_fields
        defaults = {f.attname: _plain(f.get_default()) for f in fields}
        names = [f.attname for f in fields]
        n = 0
        if self.is_postgres:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.connection.cursor() as raw, \
                    raw.copy(sql) as copy:
                for row in rows:
                    copy.write_row([_plain(row[k]) if k in row else defaults[k] for k in names])
                    n += 1
        else:
            batch: list[models.Model] = []
            for row in rows:
                values = {k: row.get(k, defaults[k]) for k in names}
                if isinstance(values.get("before"), str):  # JSON given as text for COPY
                    values["before"], values["after"] = json.loads(values["before"]), \
                        json.loads(values["after"])
                batch.append(model(**values))
                n += 1
                if len(batch) >= BATCH:
                    model._default_manager.bulk_create(batch)
                    batch = []
            if batch:
                model._default_manager.bulk_create(batch)
        self.counts[model._meta.label] += n
        self.seconds[model._meta.label] += time.perf_counter() - started

    def finish(self, models_: Iterable[type[models.Model]]) -> None:
        if not self.is_postgres:
            return
        with connection.cursor() as cursor:
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}))",
                    [table],
                )

    def vacuum(self) -> None:
        """VACUUM ANALYZE (outside the transaction), as autovacuum would have by the time a
        real database grew this big: fresh statistics and visibility maps."""
        if self.is_postgres:
            with connection.cursor() as cursor:  # inside a test's transaction: ANALYZE only
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def _next_id(model: type[models.Model]) -> int:
    last = model._default_manager.aggregate(m=models.Max("id"))["m"]
    return int(last or 0) + 1


# -- The shape of the seeded world -----------------------------------------------------------


@dataclass(frozen=True)
class SeededJob:
    """The size and fate of one seeded job (not the connectors' `JobSpec`)."""

    gpus: int
    walltime_minutes: int
    state: str
    reserved: int
    charged: int | None
    elapsed: int | None
    factory_id: int | None


@dataclass
class AllocationPlan:
    id: int
    organization_id: int
    proposal_id: int
    factory_id: int | None  # None: pooled
    n_jobs: int = 0
    reserved: int = 0
    used: int = 0
    granted: int = 0


@dataclass
class SeedReport:
    organizations: int
    users: int
    proposals: int
    allocations: int
    jobs: int
    ledger_entries: int
    seconds: float
    per_table_seconds: dict[str, float] = field(default_factory=dict)
    big_organization_id: int = 0
    big_allocation_ids: list[int] = field(default_factory=list)
    operator_username: str = ""
    big_member_username: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _seeded_job(n: int, factory_id: int | None, factors: dict[int, Decimal],
                pooled_factory_id: int) -> SeededJob:
    """The job number `n` (a cheap deterministic hash picks its size and fate)."""
    h = (n * 2654435761) & 0xFFFFFFFF
    gpus = GPUS[h % len(GPUS)]
    walltime = WALLTIMES[(h >> 4) % len(WALLTIMES)]
    fate = (h >> 8) % 100
    placed_on = factory_id if factory_id is not None else pooled_factory_id
    # A pooled job reserves the dearest candidate (factor 1 here) and lands on a factor-1
    # factory, so its reservation is already exact: no release at dispatch.
    factor = factors[placed_on] if factory_id is not None else max(factors.values())
    reserved = reservation_seconds(gpus=gpus, walltime_minutes=walltime, factor=factor)
    if fate < 93:  # completed (90%) or failed (3%): settled
        state = JobState.COMPLETED if fate < 90 else JobState.FAILED
        elapsed = (walltime * 60 * (20 + (h >> 16) % 80)) // 100
        charged = charge_seconds(gpus=gpus, elapsed_seconds=elapsed, factor=factor,
                                 reserved_seconds=reserved)
        return SeededJob(gpus, walltime, state, reserved, charged, elapsed, placed_on)
    if fate < 95:  # cancelled before it started: reservation released
        return SeededJob(gpus, walltime, JobState.CANCELLED, reserved, 0, None, None)
    if fate < 98:  # running
        return SeededJob(gpus, walltime, JobState.RUNNING, reserved, None, None, placed_on)
    return SeededJob(gpus, walltime, JobState.QUEUED, reserved, None, None, None)


def _proposal_fates(i: int) -> list[tuple[str, str]]:
    """(mode, state) of organisation i's proposals: a Playground one always accepted, then
    Fast Lane for half, Large Scale for a fifth, an AI-for-Science draft for a tenth."""
    fates = [(AccessMode.PLAYGROUND.value, ProposalState.ACCEPTED.value)]
    fast = [ProposalState.ACCEPTED] * 12 + [ProposalState.REJECTED] * 3 + \
        [ProposalState.SUBMITTED] * 2 + [ProposalState.TECHNICAL_REVIEW] * 2 + \
        [ProposalState.WITHDRAWN]
    if i % 2 == 0:
        fates.append((AccessMode.FAST_LANE.value, fast[(i // 2) % len(fast)].value))
    large = [ProposalState.ACCEPTED, ProposalState.PEER_REVIEW, ProposalState.REJECTED,
             ProposalState.ACCEPTED, ProposalState.TECHNICAL_REVIEW]
    if i % 5 == 1:
        fates.append((AccessMode.LARGE_SCALE.value, large[(i // 5) % len(large)].value))
    if i % 10 == 3:
        fates.append((AccessMode.AI_FOR_SCIENCE.value, ProposalState.DRAFT.value))
    return fates


def _bench_factories() -> list[Factory]:
    specs = [("scale-jupiter", "DE", Decimal("1"), 4), ("scale-lumi", "FI", Decimal("0.5"), 8)]
    out = []
    for name, country, factor, gpn in specs:
        factory, created = Factory.objects.get_or_create(
            name=name, defaults={"display_name": name.replace("-", " ").title(),
                                 "country": country, "kind": FactoryKind.AI_FACTORY,
                                 "gpu_hour_factor": factor, "status": "online"})
        if created:
            Partition.objects.create(factory=factory, name="gpu", gpu_model="gpu",
                                     gpus_per_node=gpn, max_nodes_per_job=4,
                                     max_walltime_minutes=1440, total_nodes=64, is_default=True)
        out.append(factory)
    return out


def seed_scale(*, organizations: int, jobs: int, log: Callable[[str], None] = print
               ) -> SeedReport:
    """Seed `organizations` organisations and `jobs` jobs (see the module docstring)."""
    if organizations < 2:
        raise ValueError("Seed at least 2 organisations (one big, the others ordinary).")
    if User.objects.filter(username=f"{PREFIX}-operator").exists():
        raise ValueError("This database is already seeded by seed_scale: use a fresh one.")
    started = time.perf_counter()
    w = RowWriter()
    now = timezone.now()
    today = timezone.localdate()
    starts_on = today - dt.timedelta(days=60)

    with transaction.atomic():
        operator = User.objects.create_user(username=f"{PREFIX}-operator", role="operator",
                                            email="operator@scale.invalid", password=None)
        factories = _bench_factories()
        factors = {f.pk: f.gpu_hour_factor for f in factories}
        pooled_on = factories[0].pk  # factor 1: pooled reservations are exact there
        calls = {mode.value: call_create(by=operator, title=f"Scale {mode.label}",
                                         mode=mode.value, factories=factories)
                 for mode in AccessMode}

        # Users and organisations.
        password = make_password(None)
        uid0, oid0 = _next_id(User), _next_id(Organization)
        members_of = [BIG_ORG_MEMBERS if i == 0 else 2 for i in range(organizations)]
        user_ids: list[list[int]] = []
        uid = uid0
        for n in members_of:
            user_ids.append(list(range(uid, uid + n)))
            uid += n

        def users() -> Iterator[dict[str, Any]]:
            for i, ids in enumerate(user_ids):
                for k, pk in enumerate(ids):
                    name = f"{PREFIX}-{i}-{'owner' if k == 0 else f'm{k}'}"
                    yield {"id": pk, "username": name, "email": f"{name}@scale.invalid",
                           "password": password, "date_joined": now}

        w.write(User, users())

        def orgs() -> Iterator[dict[str, Any]]:
            for i in range(organizations):
                belgian = i % 5 != 4
                yield {"id": oid0 + i, "legal_name": f"Scale org {i}",
                       "kind": KINDS[i % len(KINDS)],
                       "country": "BE" if belgian else FOREIGN[i % len(FOREIGN)],
                       "region": BE_REGIONS[i % 3] if belgian else Region.OUTSIDE_BELGIUM.value,
                       "enterprise_number": (f"{10_000_000 + i:08d}{97 - (10_000_000 + i) % 97:02d}"
                                             if belgian else ""),
                       "created_at": now - dt.timedelta(days=90), "created_by_id": user_ids[i][0]}

        w.write(Organization, orgs())
        mid0 = _next_id(Membership)

        def memberships() -> Iterator[dict[str, Any]]:
            n = 0
            for i, ids in enumerate(user_ids):
                for k, pk in enumerate(ids):
                    yield {"id": mid0 + n, "organization_id": oid0 + i, "user_id": pk,
                           "role": MembershipRole.OWNER.value if k == 0
                           else MembershipRole.MEMBER.value, "created_at": now}
                    n += 1

        w.write(Membership, memberships())

        # Proposals, decisions and allocations (plans first: the totals come from the jobs).
        pid, did, aid = _next_id(Proposal), _next_id(Decision), _next_id(Allocation)
        proposals: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        plans: list[AllocationPlan] = []
        for i in range(organizations):
            fates = _proposal_fates(i)
            if i == 0:  # the big organisation: several accepted proposals, hence allocations
                fates = [(m.value, ProposalState.ACCEPTED.value)
                         for m in list(AccessMode)[:BIG_ORG_ALLOCATIONS]]
            for mode, state in fates:
                factory_id = None if (i + len(proposals)) % 10 == 0 else \
                    factories[(i + len(proposals)) % len(factories)].pk
                proposals.append({
                    "id": pid, "call_id": calls[mode].pk, "organization_id": oid0 + i,
                    "principal_investigator_id": user_ids[i][0], "created_by_id": user_ids[i][0],
                    "title": f"Scale proposal {pid}", "abstract": "Training a model at scale.",
                    "requested_gpu_hours": 0,  # set once the allocation's size is known
                    "factory_id": factory_id, "duration_months": 12, "civilian_use": True,
                    "state": state, "created_at": now - dt.timedelta(days=80),
                    "updated_at": now,
                    "submitted_at": None if state == ProposalState.DRAFT.value
                    else now - dt.timedelta(days=79),
                    "decided_at": now - dt.timedelta(days=61) if state in (
                        ProposalState.ACCEPTED.value, ProposalState.REJECTED.value) else None,
                    "decision_due_at": now + dt.timedelta(days=10 + pid % 20),
                })
                if state == ProposalState.ACCEPTED.value:
                    plans.append(AllocationPlan(id=aid, organization_id=oid0 + i,
                                                proposal_id=pid, factory_id=factory_id))
                    aid += 1
                if state in (ProposalState.ACCEPTED.value, ProposalState.REJECTED.value):
                    decisions.append({"id": did, "proposal_id": pid, "outcome": (
                        "accept" if state == ProposalState.ACCEPTED.value else "reject"),
                        "factory_id": factory_id, "decided_by_id": operator.pk,
                        "created_at": now - dt.timedelta(days=61)})
                    did += 1
                pid += 1

        # Jobs, interleaved in time across allocations (job n is the n-th submitted): the big
        # organisation's allocations get BIG_ORG_JOB_SHARE of them, the others the rest.
        big = [p for p in plans if p.organization_id == oid0]
        rest = [p for p in plans if p.organization_id != oid0] or big
        big_pct = int(BIG_ORG_JOB_SHARE * 100)

        def plan_of(n: int) -> AllocationPlan:
            h = ((n + 1) * 0x85EBCA6B) & 0xFFFFFFFF
            group = big if h % 100 < big_pct else rest
            return group[(h >> 8) % len(group)]

        jid0, lid0 = _next_id(Job), _next_id(LedgerEntry)
        for n in range(jobs):  # pass 1: totals
            plan = plan_of(n)
            plan.n_jobs += 1
            s = _seeded_job(n, plan.factory_id, factors, pooled_on)
            if s.state in (JobState.RUNNING, JobState.QUEUED):
                plan.reserved += s.reserved
            elif s.charged:
                plan.used += s.charged
        for plan in plans:
            hours = math.ceil((plan.reserved + plan.used) / SECONDS_PER_HOUR) + HEADROOM_HOURS
            plan.granted = hours * SECONDS_PER_HOUR
        by_proposal = {p.proposal_id: p for p in plans}
        for prop in proposals:
            decided = by_proposal.get(prop["id"])
            prop["requested_gpu_hours"] = decided.granted // SECONDS_PER_HOUR if decided \
                else 100 + prop["id"] % 900
        for d in decisions:
            decided = by_proposal.get(d["proposal_id"])
            d["gpu_hours"] = decided.granted // SECONDS_PER_HOUR if decided else 0
        w.write(Proposal, proposals)
        w.write(Decision, decisions)
        ends_on = add_months(starts_on, 12)
        w.write(Allocation, ({
            "id": p.id, "organization_id": p.organization_id, "proposal_id": p.proposal_id,
            "factory_id": p.factory_id, "granted_gpu_seconds": p.granted,
            "reserved_gpu_seconds": p.reserved, "used_gpu_seconds": p.used,
            "starts_on": starts_on, "ends_on": ends_on, "state": AllocationState.ACTIVE.value,
            "final_report_due_on": add_months(ends_on, 3),
            "created_at": now - dt.timedelta(days=61), "updated_at": now,
        } for p in plans))

        # Jobs (pass 2), spread over the 60 days before now, in id order.
        step = dt.timedelta(seconds=max(1, 60 * 86400 // max(jobs, 1)))
        t0 = now - dt.timedelta(days=60)
        owner_of = {oid0 + i: ids for i, ids in enumerate(user_ids)}
        ts = {f.pk: next(iter(f.partitions.all())).pk for f in factories}

        def job_rows() -> Iterator[dict[str, Any]]:
            for n in range(jobs):
                plan = plan_of(n)
                members = owner_of[plan.organization_id]
                s = _seeded_job(n, plan.factory_id, factors, pooled_on)
                created = t0 + step * n
                row = {"id": jid0 + n, "allocation_id": plan.id,
                       "submitted_by_id": members[n % len(members)],
                       "name": f"train-{n}", "script": SCRIPT, "gpus": s.gpus,
                       "walltime_minutes": s.walltime_minutes, "state": s.state,
                       "gpu_seconds_reserved": s.reserved,
                       "gpu_seconds_charged": s.charged, "elapsed_seconds": s.elapsed,
                       "factory_id": s.factory_id,
                       "partition_id": ts[s.factory_id] if s.factory_id else None,
                       "scheduler_job_id": str(100_000 + n) if s.factory_id else "",
                       "created_at": created}
                started = created + dt.timedelta(seconds=60)
                if s.factory_id:
                    row["submitted_at"] = created + dt.timedelta(seconds=5)
                    row["started_at"] = started
                if s.elapsed is not None:
                    row["finished_at"] = started + dt.timedelta(seconds=s.elapsed)
                    row["exit_code"] = 0 if s.state == JobState.COMPLETED else 1
                if s.state == JobState.CANCELLED:
                    row["finished_at"] = created + dt.timedelta(seconds=30)
                    row["state_reason"] = "Cancelled before it started."
                if s.charged is not None:
                    row["settled_at"] = row["finished_at"]
                yield row

        w.write(Job, job_rows())

        # Ledger (pass 3): a grant per allocation, then per job reserve and settle/release.
        def ledger_rows() -> Iterator[dict[str, Any]]:
            lid = lid0
            for plan in plans:
                yield {"id": lid, "allocation_id": plan.id, "kind": LedgerKind.GRANT.value,
                       "granted_delta": plan.granted, "reference": f"proposal:{plan.proposal_id}",
                       "created_by_id": operator.pk, "created_at": t0}
                lid += 1
            for n in range(jobs):
                plan = plan_of(n)
                s = _seeded_job(n, plan.factory_id, factors, pooled_on)
                ref = f"job:{jid0 + n}"
                created = t0 + step * n
                yield {"id": lid, "allocation_id": plan.id, "kind": LedgerKind.RESERVE.value,
                       "reserved_delta": s.reserved, "reference": ref, "created_at": created}
                lid += 1
                if s.state == JobState.CANCELLED:
                    yield {"id": lid, "allocation_id": plan.id,
                           "kind": LedgerKind.RELEASE.value, "reserved_delta": -s.reserved,
                           "reference": ref, "note": "cancelled before it started",
                           "created_at": created}
                    lid += 1
                elif s.charged is not None:
                    yield {"id": lid, "allocation_id": plan.id,
                           "kind": LedgerKind.SETTLE.value, "reserved_delta": -s.reserved,
                           "used_delta": s.charged, "reference": ref, "created_at": created}
                    lid += 1

        w.write(LedgerEntry, ledger_rows())

        # A little audit history, so that the console's activity list has something to show.
        eid0 = _next_id(AuditEvent)
        w.write(AuditEvent, ({
            "id": eid0 + k, "created_at": now - dt.timedelta(days=61, seconds=-k),
            "actor_id": operator.pk, "action": "allocation.grant",
            "target_type": "allocations.allocation", "target_id": str(p.id),
            "organization_id": p.organization_id, "before": {},
            "after": {"gpu_hours": p.granted // SECONDS_PER_HOUR},
        } for k, p in enumerate(plans)))
        w.finish([User, Organization, Membership, Proposal, Decision, Allocation, Job,
                  LedgerEntry, AuditEvent])

    # The jobs were written directly, not settled through the services: the usage roll-up
    # and the first job starts (what the settle path keeps) are computed from them.
    rollup_started = time.perf_counter()
    usage_months_rebuild()
    w.seconds["usage roll-up"] = time.perf_counter() - rollup_started

    vacuum_started = time.perf_counter()
    w.vacuum()
    w.seconds["VACUUM ANALYZE"] = time.perf_counter() - vacuum_started
    report = SeedReport(
        organizations=organizations, users=sum(members_of), proposals=len(proposals),
        allocations=len(plans), jobs=jobs, ledger_entries=w.counts[LedgerEntry._meta.label],
        seconds=round(time.perf_counter() - started, 2),
        per_table_seconds={k: round(v, 2) for k, v in w.seconds.items()},
        big_organization_id=oid0, big_allocation_ids=[p.id for p in big],
        operator_username=operator.username, big_member_username=f"{PREFIX}-0-m1",
    )
    log(f"seeded {report.organizations} organisations, {report.users} users, "
        f"{report.proposals} proposals, {report.allocations} allocations, {report.jobs} jobs, "
        f"{report.ledger_entries} ledger entries in {report.seconds} s")
    return report


def check_invariants(sample: int = 50) -> dict[str, Any]:
    """Counts and ledger balance for a sample of allocations (the biggest ones first)."""
    from antenna.allocations.selectors import ledger_balances

    allocs = list(Allocation.objects.annotate(n=Count("jobs")).order_by("-n", "id")[:sample])
    unbalanced = [x.pk for x in allocs if not ledger_balances(x)]
    over = Allocation.objects.filter(
        reserved_gpu_seconds__gt=models.F("granted_gpu_seconds") - models.F("used_gpu_seconds")
    ).count()
    # the usage roll-ups hold the same total as the jobs (the KPIs read them for "used"):
    # by month, and by day and by week of the month (each charge once in each span)
    charged = Job.objects.aggregate(t=models.Sum("gpu_seconds_charged"))["t"] or 0
    rolled = UsageMonth.objects.aggregate(t=models.Sum("jobs_gpu_seconds"))["t"] or 0
    spans = dict(UsageDay.objects.values_list("span").annotate(t=models.Sum("jobs_gpu_seconds"))
                 .values_list("span", "t").order_by())
    return {"sampled": len(allocs), "unbalanced": unbalanced, "over_committed": over,
            "usage_rollup_matches_jobs": charged == rolled == spans.get(UsageSpan.DAY, 0)
            == spans.get(UsageSpan.WEEK, 0)}
