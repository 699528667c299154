"""The job list's items (`JobListItem`, read as values) say exactly what each job's own page
in the API (`JobOut`, read as a model) says, whatever the job's state (#13: the list builds
no model per job)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna import testing
from antenna.factories.models import Partition
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.jobs.states import JobState


@pytest.mark.django_db
def test_each_listed_job_reads_as_its_own_page(client):
    factory = testing.make_factory(gpus_per_node=8)
    owner, allocation = testing.make_allocation(factory, gpu_hours=500)
    jobs = [job_submit(by=owner, allocation=allocation, name=f"j{i}", script="#!/bin/bash\n",
                       gpus=i + 1, walltime_minutes=30 + i)
            for i in range(4)]
    partition = Partition.objects.filter(factory=factory).first()
    now = timezone.now()
    # queued (jobs[0]); running; ended, charged, with a cancel asked; an array, submitted
    Job.objects.filter(pk=jobs[1].pk).update(
        state=JobState.RUNNING, factory=factory, partition=partition, scheduler_job_id="71",
        submitted_at=now - dt.timedelta(minutes=3), started_at=now - dt.timedelta(minutes=2))
    Job.objects.filter(pk=jobs[2].pk).update(
        state=JobState.FAILED, factory=factory, partition=partition, scheduler_job_id="72",
        state_reason="exit 3", exit_code=3, gpu_seconds_charged=4321, elapsed_seconds=1440,
        cancel_requested_at=now, submitted_at=now - dt.timedelta(minutes=30),
        started_at=now - dt.timedelta(minutes=25), finished_at=now)
    Job.objects.filter(pk=jobs[3].pk).update(
        state=JobState.SUBMITTED, factory=factory, partition=partition,
        scheduler_job_id="73", container_image="docker://pytorch", submitted_at=now,
        array="0-3", array_tasks=4)
    client.force_login(owner)

    listed = client.get(f"/api/v1/jobs?allocation={allocation.pk}&limit=500")
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 4 and len(body["items"]) == 4
    for item in body["items"]:
        own = client.get(f"/api/v1/jobs/{item['id']}")
        assert own.status_code == 200
        assert item == own.json()
    states = {item["state"] for item in body["items"]}
    assert states == {"queued", "running", "failed", "submitted"}
