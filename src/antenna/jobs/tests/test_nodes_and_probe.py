"""Jobs over several nodes (whole nodes only) and what a factory runs (its Slurm release and
API version, probed by the worker and shown on the factory page and the console)."""

from __future__ import annotations

import pytest

from antenna import testing
from antenna.connectors.base import Health
from antenna.core.errors import Conflict
from antenna.core.models import AuditEvent
from antenna.factories.models import Factory
from antenna.factories.partition_fit import nodes_for, partition_fits
from antenna.factories.services import factory_record_probe
from antenna.jobs import dispatch
from antenna.jobs.services import job_cost_seconds, job_submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("gpus", "per_node", "nodes"), [
    (1, 4, 1), (4, 4, 1), (5, 4, 2), (8, 4, 2), (16, 4, 4), (8, 8, 1), (1, 0, 1)])
def test_nodes_for(gpus, per_node, nodes):
    assert nodes_for(gpus, per_node) == nodes


@pytest.mark.parametrize(("gpus", "fits"), [(1, True), (3, True), (4, True), (6, False),
                                            (8, True), (12, True), (16, True), (20, False)])
def test_beyond_one_node_a_job_takes_whole_nodes(gpus, fits):
    assert partition_fits(gpus=gpus, walltime_minutes=60, gpus_per_node=4,
                          max_nodes_per_job=4, max_walltime_minutes=120) is fits


def test_a_job_of_part_of_a_second_node_is_refused_saying_what_fits():
    world = testing.make_world()
    with pytest.raises(Conflict) as refused:
        job_cost_seconds(allocation=world.allocation, gpus=6, walltime_minutes=5)
    assert "whole nodes of 4" in str(refused.value.message)
    cost, fitting = job_cost_seconds(allocation=world.allocation, gpus=8, walltime_minutes=5)
    assert cost == 8 * 5 * 60 and fitting == [world.factory]


def test_the_worker_asks_the_factory_for_whole_nodes():
    world = testing.make_world()
    job = job_submit(by=world.owner, allocation=world.allocation, name="wide",
                     script="#!/bin/bash\ntrue\n", gpus=8, walltime_minutes=5)
    partition = world.factory.partitions.get()
    assert dispatch._spec(job, partition.name, partition.gpus_per_node).nodes == 2
    assert dispatch._spec(world.job, partition.name, partition.gpus_per_node).nodes == 1


def test_a_probe_records_the_release_and_api_version_and_audits_a_change(client):
    factory = testing.make_factory("current")
    factory_record_probe(factory=factory, release="Slurm 24.11.5", api_version="v0.0.42")
    factory_record_probe(factory=factory, release="Slurm 24.11.5", api_version="v0.0.42")
    factory.refresh_from_db()
    assert (factory.scheduler_release, factory.scheduler_api_version) == ("Slurm 24.11.5",
                                                                          "v0.0.42")
    assert factory.scheduler_checked_at is not None
    changes = AuditEvent.objects.filter(action="factory.scheduler")
    assert changes.count() == 1  # the same answer again is no change
    factory_record_probe(factory=factory, release="Slurm 25.05.1", api_version="v0.0.42")
    assert changes.count() == 2
    latest = changes.order_by("-pk").first()
    assert latest is not None and latest.before["release"] == "Slurm 24.11.5"

    client.force_login(testing.make_user())
    page = client.get("/factories/").content.decode()
    assert "Slurm 25.05.1" in page and "REST API v0.0.42" in page
    client.force_login(testing.make_operator())
    console = client.get("/console/").content.decode()
    assert "Slurm 25.05.1" in console and "REST API v0.0.42" in console


def test_the_worker_probes_each_answering_factory_once_per_interval(monkeypatch):
    factory = testing.make_factory("probed")
    asked: list[str] = []

    class Answering:
        def health(self) -> Health:
            asked.append("health")
            return Health(ok=True, detail="up", release="Slurm 24.11.5", api_version="v0.0.42")

    monkeypatch.setattr(dispatch, "connector_for", lambda f: Answering())
    dispatch.probe_due_factories()
    dispatch.probe_due_factories()  # within the interval: not asked again
    assert asked == ["health"]
    factory.refresh_from_db()
    assert factory.scheduler_api_version == "v0.0.42"
    # `auto` (the default) keeps what it found, so the work does not ask the server again
    assert factory.connector_settings["detected_api_version"] == "v0.0.42"


def test_a_failed_periodic_probe_keeps_the_last_answer_and_counts_no_failure(monkeypatch):
    factory = testing.make_factory("flaky")
    factory_record_probe(factory=factory, release="Slurm 22.05.8", api_version="v0.0.38")
    Factory.objects.filter(pk=factory.pk).update(scheduler_checked_at=None)

    class Down:
        def health(self) -> Health:
            return Health(ok=False, detail="connection refused")

    monkeypatch.setattr(dispatch, "connector_for", lambda f: Down())
    dispatch.probe_due_factories()
    factory.refresh_from_db()
    assert factory.scheduler_release == "Slurm 22.05.8" and factory.consecutive_failures == 0
    assert factory.scheduler_checked_at is not None
