"""A provisional charge (accounting unreachable) is corrected exactly once; the ledger balances.

The same path on a real cluster with slurmdbd stopped: test_slurm_faults.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from antenna import testing
from antenna.allocations.models import Allocation, LedgerEntry, LedgerKind
from antenna.allocations.selectors import ledger_balances
from antenna.allocations.services import budget_correct
from antenna.jobs.models import Job
from antenna.jobs.services import (
    job_record_dispatched,
    job_record_status,
    job_settle,
    job_settle_correct,
    job_submit,
)
from antenna.jobs.states import JobState
from antenna.proposals.services import proposal_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_job() -> Job:
    operator = testing.make_operator()
    factory = testing.make_factory("acct")
    call = testing.make_call("playground", factories=[factory], by=operator)
    owner = testing.make_user()
    proposal = testing.make_proposal(owner, call, testing.make_org(owner),
                                     requested_gpu_hours=10)
    proposal_submit(proposal=proposal, by=owner)
    allocation = Allocation.objects.get(proposal=proposal)
    job = job_submit(by=owner, allocation=allocation, name="x", script="#!/bin/bash\n",
                     gpus=2, walltime_minutes=10)
    job = job_record_dispatched(job=job, factory=factory, partition=factory.partitions.get(),
                                scheduler_job_id="42")
    end = timezone.now()
    return job_record_status(job=job, state=JobState.COMPLETED, exit_code=0,
                             started_at=end - dt.timedelta(seconds=100), finished_at=end)


def test_provisional_charge_corrected_once(finished_job):
    job = job_settle(job=finished_job, elapsed_seconds=100, provisional=True, note="provisional")
    assert job.charge_provisional and job.gpu_seconds_charged == 200
    alloc = Allocation.objects.get(pk=job.allocation_id)
    assert alloc.reserved_gpu_seconds == 0 and alloc.used_gpu_seconds == 200
    job_settle_correct(job=job, elapsed_seconds=103, note="from acct accounting")
    job_settle_correct(job=job, elapsed_seconds=500, note="again")  # no-op: corrected already
    job_settle(job=job, elapsed_seconds=500)  # no-op: settled already
    job.refresh_from_db()
    assert not job.charge_provisional
    assert job.gpu_seconds_charged == 206 and job.elapsed_seconds == 103
    adjust = LedgerEntry.objects.get(reference=f"job:{job.pk}", kind=LedgerKind.ADJUST)
    assert adjust.used_delta == 6
    assert adjust.note == "from acct accounting: 200 -> 206 GPU-seconds"
    alloc.refresh_from_db()
    assert alloc.used_gpu_seconds == 206 and ledger_balances(alloc)


def test_a_correction_never_takes_more_than_is_left(finished_job):
    job = job_settle(job=finished_job, elapsed_seconds=100, provisional=True)
    alloc = Allocation.objects.get(pk=job.allocation_id)
    left = alloc.remaining_gpu_seconds
    applied = budget_correct(allocation_id=alloc.pk, used_delta=left + 50,
                             reference="test", note="more than left")
    assert applied == left
    alloc.refresh_from_db()
    assert alloc.remaining_gpu_seconds == 0 and ledger_balances(alloc)
    assert "capped" in LedgerEntry.objects.get(reference="test").note


def test_the_database_refuses_a_provisional_charge_on_an_unsettled_job(finished_job):
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=finished_job.pk).update(charge_provisional=True)
