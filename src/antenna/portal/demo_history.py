"""`antenna seed_demo --history N`: N months of plausible past activity for the demo, so the
indicators and the Gigafactory outlook have something to show.

Each past month brings new organisations (kinds, regions and sectors drawn with fixed weights)
that apply once per mode; demand grows about 4 % a month with a yearly season (quieter in
August and late December). Every record goes through the services (create, submit, assess,
review, decide, job_submit); only the calendar is then moved back: timestamps, allocation
dates and states, and each job's end and charge, as the worker would have recorded them. So
every figure the reports show is computed from records, none is typed in. Deterministic
(a fixed random seed); runs once (it marks its organisations with a name prefix).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from antenna.accounts.models import User
from antenna.accounts.services import user_create
from antenna.allocations.models import Allocation
from antenna.allocations.states import AllocationState
from antenna.calls.models import Call
from antenna.calls.modes import AccessMode
from antenna.core.workdays import add_months
from antenna.factories.models import Factory
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit, usage_months_rebuild
from antenna.jobs.states import JobState
from antenna.organizations.models import Organization
from antenna.organizations.services import organization_create
from antenna.proposals.models import Decision, Proposal
from antenna.proposals.services import (
    proposal_assess,
    proposal_assign_reviewer,
    proposal_create,
    proposal_decide,
    proposal_review,
    proposal_submit,
    proposal_withdraw,
)

PREFIX = "History"
BRUSSELS = ZoneInfo("Europe/Brussels")
KINDS = [("startup", 30), ("sme", 30), ("large_enterprise", 8), ("university", 14),
         ("research_centre", 8), ("public_administration", 6), ("non_profit", 4)]
REGIONS = [("flanders", 50), ("wallonia", 22), ("brussels", 20), ("outside_belgium", 8)]
SECTORS = [("health_biotech", 20), ("manufacturing_robotics", 18), ("space_aviation", 8),
           ("security", 6), ("public_services", 10), ("finance", 8), ("energy_climate", 8),
           ("media_language", 8), ("agrifood", 6), ("research", 8)]
TITLES = ["Fine-tuning a clinical language model", "Defect detection on production lines",
          "Satellite image segmentation", "Speech recognition for Belgian Dutch",
          "Protein structure screening", "Forecasting grid load", "Document understanding "
          "for public services", "Robot grasping from video", "Crop disease detection",
          "Fraud detection with graph networks", "Multilingual retrieval for citizens",
          "Weather downscaling with diffusion models"]
# calendar days from submission to decision, per mode (low, high)
DECISION_DAYS: dict[str, tuple[int, int]] = {
    AccessMode.PLAYGROUND: (0, 2), AccessMode.FAST_LANE: (1, 6),
    AccessMode.LARGE_SCALE: (6, 14), AccessMode.AI_FOR_SCIENCE: (12, 26)}


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _season(month: int) -> float:
    return {8: 0.6, 12: 0.8, 1: 1.1, 3: 1.15, 10: 1.1}.get(month, 1.0)


def _enterprise_number(body: int) -> str:
    return f"{body:08d}{97 - body % 97:02d}"


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BRUSSELS)


def _working_day(day: dt.date, rng: random.Random | None = None) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@dataclass
class HistorySummary:
    months: int
    organizations: int
    proposals: int
    jobs: int


def seed_history(*, months: int, calls: Mapping[Any, Call], factories: dict[str, Factory],
                 operator: User, reviewers: list[User], today: dt.date | None = None,
                 seed: int = 12) -> HistorySummary:
    """Create `months` months of past activity (before the current month). Idempotent: does
    nothing when history organisations exist already."""
    if Organization.objects.filter(legal_name__startswith=f"{PREFIX} ").exists():
        return HistorySummary(months=0, organizations=0, proposals=0, jobs=0)
    rng = random.Random(seed)  # noqa: S311  (demo data, not a secret)
    today = today or dt.date.today()
    first = add_months(today.replace(day=1), -months)
    owner = User.objects.filter(username="demo-history").first() or user_create(
        username="demo-history", email="demo-history@example.org",
        password=secrets.token_urlsafe(24), role="", first_name="History", last_name="Seeder",
        check_password=False)
    orgs = proposals = jobs = 0
    gpu_factories = [f for f in factories.values() if f.name in ("jupiter", "lumi")]
    for index in range(months):
        month = add_months(first, index)
        expected = 6 * (1.04 ** index) * _season(month.month)
        for _ in range(max(1, round(expected + rng.uniform(-1, 1)))):
            with transaction.atomic():
                orgs += 1
                kind = _pick(rng, KINDS)
                region = _pick(rng, REGIONS)
                org = organization_create(
                    by=owner, legal_name=f"{PREFIX} {kind.replace('_', ' ')} {orgs}",
                    kind=kind, country="BE" if region != "outside_belgium" else "NL",
                    region=region, sector=_pick(rng, SECTORS),
                    enterprise_number=(_enterprise_number(7_000_000 + orgs)
                                       if region != "outside_belgium" else ""),
                    first_time_hpc=rng.random() < (0.6 if kind in ("startup", "sme") else 0.2))
                created = _working_day(month + dt.timedelta(days=rng.randint(0, 20)), rng)
                Organization.objects.filter(pk=org.pk).update(created_at=_at(created, 9))
                for mode in _modes_for(kind, rng):
                    jobs += _one_proposal(rng, org=org, owner=owner, call=calls[mode],
                                          mode=mode, day=created, today=today,
                                          factory=rng.choice(gpu_factories),
                                          operator=operator, reviewers=reviewers)
                    proposals += 1
    # the jobs' dates and charges were written directly above: recompute the usage roll-up
    # and first starts of the history's allocations from them
    usage_months_rebuild(list(Allocation.objects.filter(
        organization__legal_name__startswith=f"{PREFIX} ").values_list("pk", flat=True)))
    return HistorySummary(months=months, organizations=orgs, proposals=proposals, jobs=jobs)


def _modes_for(kind: str, rng: random.Random) -> list[str]:
    if kind in ("startup", "sme"):
        modes: list[str] = [AccessMode.PLAYGROUND]
        if rng.random() < 0.6:
            modes.append(AccessMode.FAST_LANE)
        return modes
    if kind == "large_enterprise":
        return [AccessMode.PLAYGROUND, AccessMode.LARGE_SCALE] if rng.random() < 0.5 else [
            AccessMode.LARGE_SCALE]
    return [AccessMode.AI_FOR_SCIENCE] if rng.random() < 0.7 else [AccessMode.PLAYGROUND]


def _hours(mode: str, rng: random.Random) -> tuple[int, int]:
    """Requested GPU-hours and duration in months."""
    if mode == AccessMode.PLAYGROUND:
        return rng.choice([500, 1000, 2000, 4000, 5000]), rng.choice([1, 2, 3])
    if mode == AccessMode.FAST_LANE:
        return rng.choice([6_000, 10_000, 20_000, 35_000, 50_000]), rng.choice([1, 2, 3])
    if mode == AccessMode.LARGE_SCALE:
        return rng.choice([60_000, 120_000, 250_000, 400_000]), rng.choice([3, 6, 12])
    return rng.choice([40_000, 80_000, 150_000, 300_000]), 6


def _one_proposal(rng: random.Random, *, org: Organization, owner: User, call: Call, mode: str,
                  day: dt.date, today: dt.date, factory: Factory, operator: User,
                  reviewers: list[User]) -> int:
    """One proposal through its workflow, then moved back to `day`. Returns jobs created."""
    requested, duration = _hours(mode, rng)
    p = proposal_create(by=owner, call=call, organization=org, title=rng.choice(TITLES),
                        abstract="Demo history: a past project of the antenna.",
                        requested_gpu_hours=requested, duration_months=duration,
                        civilian_use=True, factory=factory,
                        openness=rng.choice(["open", "open", "partial", "closed"]))
    submitted = _working_day(day + dt.timedelta(days=rng.randint(0, 5)), rng)
    p = proposal_submit(proposal=p, by=owner)
    delay = DECISION_DAYS[mode]
    decided = _working_day(submitted + dt.timedelta(days=rng.randint(*delay)), rng)
    roll = rng.random()
    if mode != AccessMode.PLAYGROUND:
        if roll < 0.05:
            proposal_withdraw(proposal=p, by=owner, reason="Demo history: withdrawn.",
                              cause="capacity" if roll < 0.025 else "other")
            Proposal.objects.filter(pk=p.pk).update(created_at=_at(day, 10),
                                                    submitted_at=_at(submitted, 11))
            return 0
        if roll < 0.3:
            capacity = roll < 0.2
            proposal_decide(proposal=p, by=operator, decision="reject",
                            reason="capacity" if capacity else
                            ("scientific" if roll < 0.25 else "eligibility"),
                            comment="Demo history: not enough capacity this cut-off."
                            if capacity else "Demo history: not retained.")
        else:
            if mode in (AccessMode.LARGE_SCALE, AccessMode.AI_FOR_SCIENCE):
                proposal_assess(proposal=p, by=operator, feasible=True)
                for reviewer in reviewers[:2]:
                    proposal_assign_reviewer(proposal=p, reviewer=reviewer, by=operator)
                    proposal_review(proposal=p, by=reviewer, recommendation="accept", score=4,
                                    comment="Demo history.")
            share = rng.choice([1.0, 1.0, 0.8, 0.6])
            proposal_decide(proposal=p, by=operator, decision="accept",
                            gpu_hours=max(1, int(requested * share)))
    Proposal.objects.filter(pk=p.pk).update(created_at=_at(day, 10),
                                            submitted_at=_at(submitted, 11),
                                            decided_at=_at(decided, 15))
    Decision.objects.filter(proposal=p).update(created_at=_at(decided, 15))
    allocation = Allocation.objects.filter(proposal=p).first()
    if allocation is None:
        return 0
    starts = decided + dt.timedelta(days=1)
    ends = add_months(starts, duration)
    granted = allocation.granted_gpu_seconds
    used_share = rng.choice([0.15, 0.5, 0.75, 0.9, 0.95])
    if ends >= today:  # still running: used so far, in proportion to time gone
        used_share *= max(0.0, min(1.0, (today - starts).days / max((ends - starts).days, 1)))
    n_jobs = rng.randint(1, 3)
    charged = int(granted * used_share) // n_jobs
    created = 0
    for i in range(n_jobs):
        job = job_submit(by=owner, allocation=allocation, name=f"history-{i}",
                         script="#!/bin/bash\necho demo history\n", gpus=1,
                         walltime_minutes=10)
        started = min(starts + dt.timedelta(days=1 + i * max(1, (ends - starts).days // 4)),
                      today - dt.timedelta(days=1))
        Job.objects.filter(pk=job.pk).update(
            state=JobState.COMPLETED, factory=factory, exit_code=0, created_at=_at(started, 8),
            submitted_at=_at(started, 8), started_at=_at(started, 9),
            finished_at=_at(started, 21), settled_at=_at(started, 21),
            gpu_seconds_reserved=0, gpu_seconds_charged=charged,
            elapsed_seconds=max(1, charged))
        created += 1
    reported = ends + dt.timedelta(days=30)
    Allocation.objects.filter(pk=allocation.pk).update(
        starts_on=starts, ends_on=ends, reserved_gpu_seconds=0,
        used_gpu_seconds=charged * n_jobs,
        final_report_due_on=add_months(ends, 3),
        final_report="Demo history: the final report." if reported < today else "",
        final_report_submitted_at=_at(reported, 12) if reported < today else None,
        state=AllocationState.EXPIRED if ends < today else AllocationState.ACTIVE)
    return created
