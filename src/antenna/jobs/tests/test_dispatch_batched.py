"""Dispatch from one picture per batch (#13 part 4): the jobs of a leased batch are placed
from the factories' views read once, each job placed added to the picture in memory; their
placements are recorded in one transaction and the factories' answers in one transaction
per group of answers (`jobs_record_placement`, `jobs_record_dispatched`), with the same
guarantees as one job at a time: each job submitted once, its reservation fitted to its
factory with a ledger entry, an audit event per job and state change."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry
from antenna.allocations.selectors import ledger_balances
from antenna.connectors.base import JobSpec
from antenna.connectors.registry import connector_kinds, register_connector
from antenna.core.models import AuditEvent
from antenna.factories.models import Factory
from antenna.jobs import dispatch
from antenna.jobs.models import Job
from antenna.jobs.services import (
    Accepted,
    JobDraft,
    job_cancel,
    jobs_record_dispatched,
    jobs_submit_batch,
)
from antenna.jobs.states import JobState

pytestmark = pytest.mark.django_db


class Instant(testing.NullConnector):
    """A factory that takes every job at once; records which factory got which job."""

    got: ClassVar[dict[int, list[str]]] = {}

    def _submit(self, spec: JobSpec) -> str:
        type(self).got.setdefault(spec.antenna_job_id, []).append(self.factory_name)
        return f"i{spec.antenna_job_id}"


def _two_factories(*, factor_b: Decimal = Decimal("1")) -> tuple[list[Factory], Allocation,
                                                                  testing.User]:
    """Two identical 8-GPU factories (one node each) without a live queue, one pooled
    allocation over both."""
    connector_kinds()
    register_connector("instant", Instant)
    Instant.got = {}
    factories = [testing.make_factory("inst-a", gpus_per_node=8, max_nodes=1),
                 testing.make_factory("inst-b", gpus_per_node=8, max_nodes=1, factor=factor_b)]
    Factory.objects.filter(pk__in=[f.pk for f in factories]).update(connector="instant")
    from antenna.factories.models import Partition

    Partition.objects.filter(factory__in=factories).update(total_nodes=1)
    call = testing.make_call("playground", factories=factories, by=testing.make_operator())
    owner = testing.make_user()
    proposal = testing.make_proposal(owner, call, testing.make_org(owner),
                                     requested_gpu_hours=1000)
    from antenna.proposals.services import proposal_submit

    proposal_submit(proposal=proposal, by=owner)
    # Playground binds an allocation to one factory; a pooled one may use both.
    Allocation.objects.filter(proposal=proposal).update(factory=None)
    return factories, Allocation.objects.get(proposal=proposal), owner


def _drafts(n: int, *, gpus: int = 1) -> list[JobDraft]:
    return [JobDraft(name=f"j{i}", script="#!/bin/bash\n", gpus=gpus, walltime_minutes=60)
            for i in range(n)]


def test_a_batch_is_spread_over_the_factories_as_it_is_placed(settings):
    """Four jobs that each fill a factory, placed in one batch: each job placed joins the
    picture of its factory, so the next one sees that factory busy and the four are shared
    2 and 2 (placed from a picture that ignored the batch's own jobs, all four would go to
    the same factory, the first by name)."""
    settings.ANTENNA_DISPATCH_BATCH = 100
    _, allocation, owner = _two_factories()
    jobs_submit_batch(by=owner, allocation=allocation, drafts=_drafts(4, gpus=8))

    report = dispatch.dispatch_queued()

    assert report.dispatched == 4
    where = sorted(names[0] for names in Instant.got.values())
    assert where == ["inst-a", "inst-a", "inst-b", "inst-b"]


def test_a_batch_takes_fewer_queries_than_jobs(settings):
    """200 jobs in one batch: leasing, placing, recording the placements and the answers
    are statements per batch and per group of answers, not per job (one job at a time
    took 8 to 10 queries per job)."""
    settings.ANTENNA_DISPATCH_BATCH = 200
    _, allocation, owner = _two_factories()
    jobs_submit_batch(by=owner, allocation=allocation, drafts=_drafts(200))

    with CaptureQueriesContext(connection) as ctx:
        report = dispatch.dispatch_queued()

    assert report.dispatched == 200 and not report.errors
    assert len(ctx) < 200, [q["sql"][:80] for q in ctx.captured_queries]
    assert Job.objects.filter(state=JobState.SUBMITTED).count() == 200
    assert sorted(len(names) for names in Instant.got.values()) == [1] * 200  # once each
    placed = AuditEvent.objects.filter(action="job.place").count()
    submitted = AuditEvent.objects.filter(action="job.submitted").count()
    assert placed == submitted == 200


def test_answers_recorded_together_fit_each_reservation_with_its_own_ledger_entry():
    """A pooled allocation reserves the dearest factory's cost; a job accepted by the cheaper
    one gives the difference back: one ledger entry per job, the allocation's reserved sum
    equal to what its jobs hold, the ledger balanced. A job cancelled meanwhile is left."""
    factories, allocation, owner = _two_factories(factor_b=Decimal("2"))
    cheap = factories[0]
    jobs = jobs_submit_batch(by=owner, allocation=allocation, drafts=_drafts(5))
    reserved = Job.objects.get(pk=jobs[0].pk).gpu_seconds_reserved
    assert reserved == 2 * 3600  # the dearer factory's cost
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(lease_until=None)
    job_cancel(job=jobs[4], by=owner)  # not leased: ends at once
    stored = list(Job.objects.filter(pk__in=[j.pk for j in jobs]).order_by("pk")
                  .select_related("allocation"))
    partition = cheap.partitions.get()

    result = jobs_record_dispatched(accepted=[Accepted(job, cheap, partition, f"s{job.pk}")
                                              for job in stored])

    assert [j.state for j in result] == [JobState.SUBMITTED] * 4 + [JobState.CANCELLED]
    for job in Job.objects.filter(pk__in=[j.pk for j in jobs[:4]]):
        assert job.state == JobState.SUBMITTED and job.factory_id == cheap.pk
        assert job.scheduler_job_id == f"s{job.pk}" and job.gpu_seconds_reserved == 3600
        assert job.submitted_at is not None and job.lease_until is None
        assert f"s{job.pk}" in job.state_reason
    releases = LedgerEntry.objects.filter(allocation=allocation, kind="release")
    # One each: four fitted to the cheaper factory, the cancelled job's whole reservation.
    assert sorted(e.reference for e in releases) == sorted(f"job:{j.pk}" for j in jobs)
    allocation.refresh_from_db()
    held = Job.objects.filter(allocation=allocation, settled_at__isnull=True).aggregate(
        s=Sum("gpu_seconds_reserved"))
    assert allocation.reserved_gpu_seconds == held["s"] == 4 * 3600
    assert ledger_balances(allocation)
    assert AuditEvent.objects.filter(action="job.submitted").count() == 4
    # Recorded again (a second answer for the same jobs): nothing changes.
    again = jobs_record_dispatched(accepted=[Accepted(job, cheap, partition, "other")
                                             for job in stored[:2]])
    assert [j.scheduler_job_id for j in again] == [f"s{j.pk}" for j in stored[:2]]
    assert AuditEvent.objects.filter(action="job.submitted").count() == 4
