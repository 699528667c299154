"""Placement on the factory as it is: the live queue (every user's jobs, node states) read by
the connector (capability QUEUE), turned into placement's view by `factory_views`, plus
Antenna's own jobs the queue does not show yet. The real-cluster version of these is in
test_slurm_queue_integration.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from antenna import testing
from antenna.connectors.base import FactoryQueue, NodeState, QueuedJob
from antenna.jobs import placement
from antenna.jobs.models import Job
from antenna.jobs.placement import FactoryView, JobRequest, PartitionView, Placement, place
from antenna.jobs.selectors import factory_views, predicted_runtime_of, recent_runtimes
from antenna.jobs.states import JobState

GPU = PartitionView("gpu", "gh200", 4, 4, 1440)


def best(job: JobRequest, factories: list[FactoryView]) -> Placement:
    placement = place(job, factories)
    assert placement is not None
    return placement


def node(name="n1", gpus=4, used=0, available=True, partitions=("gpu",)) -> NodeState:
    return NodeState(name=name, partitions=partitions, gpus=gpus, gpus_used=used,
                     available=available)


def running(job_id="1", gpus=4, left=3600.0, user="someone", partition="gpu") -> QueuedJob:
    return QueuedJob(job_id, user, partition, True, gpus, 1, left, seconds_left=left)


def pending(job_id="2", gpus=4, limit=3600.0, start=None, partition="gpu") -> QueuedJob:
    return QueuedJob(job_id, "someone", partition, False, gpus, 1, limit,
                     expected_start_seconds=start)


# -- the pure function: the scheduler's expected starts ----------------------------------


def test_a_queued_job_is_not_placed_before_the_schedulers_expected_start():
    # 4 GPUs, all free now; a 4-GPU job waits, and Slurm says it starts in 1000 s (a
    # reservation, a dependency: something placement cannot see). A 4-GPU, 10-minute job
    # fits before it; without the expected start, it would queue behind the waiting job.
    known = FactoryView("f", True, 4, 0, 4 * 3600.0, 0.0, (GPU,),
                        queued_jobs=((4, 3600.0),), queued_starts=(1000.0,))
    unknown = FactoryView("f", True, 4, 0, 4 * 3600.0, 0.0, (GPU,),
                          queued_jobs=((4, 3600.0),))
    job = JobRequest(gpus=4, walltime_minutes=10, organization="o")
    assert best(job, [known]).expected_start_seconds == 0
    assert best(job, [unknown]).expected_start_seconds == 3600


def test_with_both_full_the_job_goes_where_the_queue_frees_first():
    a = FactoryView("a", True, 4, 4, 0.0, 4 * 3000.0, (GPU,), running_jobs=((4, 3000.0),))
    b = FactoryView("b", True, 4, 4, 0.0, 4 * 600.0, (GPU,), running_jobs=((4, 600.0),))
    assert best(JobRequest(gpus=1, walltime_minutes=10, organization="o"), [a, b]).factory \
        == "b"


# -- factory_views from a live queue ------------------------------------------------------


@pytest.mark.django_db
def test_other_users_jobs_make_a_factory_full():
    factory = testing.make_factory("full", max_nodes=1)
    queue = FactoryQueue(jobs=(running(gpus=4, left=1200.0), pending(start=1200.0)),
                         nodes=(node(used=4),))
    [view] = factory_views([factory], {factory.pk: queue})
    assert (view.total_gpus, view.busy_gpus, view.free_gpus) == (4, 4, 0)
    assert view.running_jobs == ((4, 1200.0),)
    assert view.queued_jobs == ((4, 3600.0),) and view.queued_starts == (1200.0,)
    assert view.queued_count == 1
    # without the queue, Antenna's own (empty) picture: 8 nodes x 4 GPUs, all free
    [blind] = factory_views([factory])
    assert (blind.total_gpus, blind.busy_gpus) == (32, 0)


@pytest.mark.django_db
def test_drained_and_down_nodes_and_other_partitions_are_not_capacity():
    factory = testing.make_factory("part", max_nodes=1)
    queue = FactoryQueue(
        jobs=(running("9", partition="other"), pending("10", partition="other,debug")),
        nodes=(node("n1"), node("n2", available=False), node("n3", partitions=("other",)),
               node("n4", used=2)))
    [view] = factory_views([factory], {factory.pk: queue})
    assert (view.total_gpus, view.busy_gpus) == (8, 2)  # n1 and n4 only
    assert view.running_jobs == () and view.queued_jobs == ()  # the other partition's work


@pytest.mark.django_db
def test_antennas_own_jobs_are_counted_once_and_those_the_queue_misses_are_added():
    factory = testing.make_factory("own", max_nodes=1)
    world = testing.make_world()
    allocation = world.allocation
    shown = Job.objects.create(allocation=allocation, submitted_by=world.owner, name="shown",
                               script="x", gpus=2, walltime_minutes=30, factory=factory,
                               state=JobState.SUBMITTED, scheduler_job_id="2")
    Job.objects.create(allocation=allocation, submitted_by=world.owner, name="later",
                       script="x", gpus=1, walltime_minutes=20, factory=factory,
                       state=JobState.SUBMITTED, scheduler_job_id="77")
    Job.objects.create(allocation=allocation, submitted_by=world.owner, name="placed",
                       script="x", gpus=1, walltime_minutes=10, factory=factory,
                       state=JobState.QUEUED)
    queue = FactoryQueue(jobs=(running("1"), pending(shown.scheduler_job_id, gpus=2,
                                                     limit=1800.0)),
                         nodes=(node(used=4),))
    [view] = factory_views([factory], {factory.pk: queue})
    # job 2 once (from the queue), then the one submitted after the queue was read, then
    # the one placed and not yet submitted
    assert view.queued_jobs == ((2, 1800.0), (1, 1200.0), (1, 600.0))
    assert view.queued_count == 3


@pytest.mark.django_db
def test_the_other_factory_is_chosen_when_others_fill_one():
    full = testing.make_factory("aaa-full", max_nodes=1)
    free = testing.make_factory("zzz-free", max_nodes=1)
    queues = {full.pk: FactoryQueue(jobs=(running(left=3000.0),), nodes=(node(used=4),)),
              free.pk: FactoryQueue(jobs=(), nodes=(node(),))}
    job = JobRequest(gpus=1, walltime_minutes=10, organization="o")
    assert best(job, factory_views([full, free], queues)).factory == "zzz-free"
    # Antenna's own picture alone sees two empty factories and takes the first by name
    assert best(job, factory_views([full, free])).factory == "aaa-full"


# -- run-time predictions from each user's history ----------------------------------------


def finished(world, user, factory, elapsed, minutes_ago, state=JobState.COMPLETED, walltime=60):
    return Job.objects.create(
        allocation=world.allocation, submitted_by=user, name="done", script="x", gpus=1,
        walltime_minutes=walltime, factory=factory, state=state, elapsed_seconds=elapsed,
        finished_at=timezone.now() - dt.timedelta(minutes=minutes_ago))


@pytest.mark.django_db
def test_recent_runtimes_are_each_users_last_two_oldest_first():
    factory = testing.make_factory("hist", max_nodes=1)
    world = testing.make_world()
    owner, member = world.owner, world.member
    finished(world, owner, factory, 5000, minutes_ago=30)
    finished(world, owner, factory, 100, minutes_ago=20, state=JobState.FAILED)
    finished(world, owner, factory, 300, minutes_ago=10)
    finished(world, member, factory, 50, minutes_ago=5)
    Job.objects.create(allocation=world.allocation, submitted_by=member, name="never ran",
                       script="x", gpus=1, walltime_minutes=60, state=JobState.CANCELLED,
                       finished_at=timezone.now())  # no elapsed_seconds: not a run time
    history = recent_runtimes([owner.pk, member.pk, world.outsider.pk])
    assert history == {owner.pk: [100.0, 300.0], member.pk: [50.0]}
    assert recent_runtimes([]) == {}


@pytest.mark.django_db
def test_own_jobs_are_seen_by_their_users_predicted_run_times_never_above_the_walltime(
        monkeypatch):
    factory = testing.make_factory("pred", max_nodes=1)
    world = testing.make_world()
    owner, member = world.owner, world.member
    finished(world, owner, factory, 600, minutes_ago=20)
    finished(world, owner, factory, 1000, minutes_ago=10)  # owner: 800 s expected
    Job.objects.create(allocation=world.allocation, submitted_by=owner, name="running",
                       script="x", gpus=2, walltime_minutes=120, factory=factory,
                       state=JobState.RUNNING, scheduler_job_id="5",
                       started_at=timezone.now() - dt.timedelta(seconds=300))
    Job.objects.create(allocation=world.allocation, submitted_by=owner, name="short",
                       script="x", gpus=1, walltime_minutes=10, factory=factory,
                       state=JobState.SUBMITTED, scheduler_job_id="6")
    Job.objects.create(allocation=world.allocation, submitted_by=member, name="no history",
                       script="x", gpus=1, walltime_minutes=30, factory=factory,
                       state=JobState.SUBMITTED, scheduler_job_id="7")
    job = Job.objects.create(allocation=world.allocation, submitted_by=owner, name="new",
                             script="x", gpus=1, walltime_minutes=120)
    # Off (production's default, placement.RUNTIME_PREDICTIONS): the requested walltimes.
    [view] = factory_views([factory])
    [(gpus, left)] = view.running_jobs
    assert gpus == 2 and left == pytest.approx(7200 - 300, abs=5)
    assert view.queued_jobs == ((1, 600.0), (1, 1800.0))
    assert predicted_runtime_of(job) is None
    monkeypatch.setattr(placement, "RUNTIME_PREDICTIONS", True)
    [view] = factory_views([factory])
    [(gpus, left)] = view.running_jobs
    assert gpus == 2 and left == pytest.approx(500, abs=5)  # 800 predicted - 300 elapsed
    # 800 s predicted but 600 s requested: the request; no history: the request
    assert view.queued_jobs == ((1, 600.0), (1, 1800.0))
    assert predicted_runtime_of(job) == 800.0


@pytest.mark.django_db
def test_dispatch_places_by_the_users_predicted_run_time_when_switched_on(monkeypatch):
    from antenna.jobs import dispatch

    seen: list[JobRequest] = []
    real = dispatch.rank_factories

    def spy(request, views, usage=None):
        seen.append(request)
        return real(request, views, usage)

    monkeypatch.setattr(dispatch, "rank_factories", spy)
    monkeypatch.setattr(placement, "RUNTIME_PREDICTIONS", True)
    world = testing.make_world()
    finished(world, world.owner, world.factory, 120, minutes_ago=5)
    dispatch.dispatch_queued()
    assert seen and seen[0].expected_runtime_seconds == 120.0
    assert seen[0].walltime_minutes == 10  # the request stays the limit
