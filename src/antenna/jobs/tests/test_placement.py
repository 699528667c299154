"""Placement is a pure function: filter the factories that can run a job, choose the soonest."""

from __future__ import annotations

from antenna.jobs.placement import FactoryView, JobRequest, PartitionView, place, rank_factories

GH200 = PartitionView("booster", "gh200", 4, 16, 1440)
MI250 = PartitionView("standard-g", "mi250x", 8, 1024, 2880)


def chosen(job, factories, usage=None) -> str:
    placement = place(job, factories, usage)
    assert placement is not None
    return placement.factory


def view(name, *, total=64, busy=0, queued=0.0, left=0.0, available=True, parts=(GH200,)):
    return FactoryView(name, available, total, busy, queued, left, tuple(parts))


def test_idle_factory_starts_now_and_wins():
    ranked = rank_factories(JobRequest(gpus=4, walltime_minutes=60, organization="a"),
                            [view("busy", busy=64, left=64 * 3600.0), view("idle")])
    assert [p.factory for p in ranked] == ["idle", "busy"]
    assert ranked[0].expected_start_seconds == 0


def test_filters_gpu_model_walltime_size_and_availability():
    factories = [view("jupiter", parts=(GH200,)), view("lumi", parts=(MI250,)),
                 view("down", available=False, parts=(GH200, MI250))]
    assert chosen(JobRequest(4, 60, "a", gpu_model="mi250x"), factories) == "lumi"
    assert chosen(JobRequest(4, 2000, "a"), factories) == "lumi"  # 1440 min on GH200
    assert place(JobRequest(4, 9000, "a"), factories) is None
    assert place(JobRequest(128, 60, "a"), factories) is None  # more GPUs than either has


def test_allowed_factories_pin_the_choice():
    factories = [view("jupiter"), view("lumi", parts=(MI250,))]
    job = JobRequest(1, 60, "a", allowed_factories=("lumi",))
    assert [p.factory for p in rank_factories(job, factories)] == ["lumi"]


def test_shorter_backlog_wins_when_both_are_full():
    factories = [view("a", busy=64, left=64 * 7200.0), view("b", busy=64, left=64 * 600.0)]
    assert chosen(JobRequest(8, 60, "x"), factories) == "b"


def test_queue_at_factory_counts_even_with_free_gpus():
    factories = [view("a", busy=0, queued=64 * 3600.0), view("b", busy=60, left=60 * 100.0)]
    # "a" has free GPUs but a queue ahead; "b" has 4 free GPUs and nobody waiting.
    assert chosen(JobRequest(4, 60, "x"), factories) == "b"


def test_fair_share_breaks_ties_then_name():
    factories = [view("a"), view("b")]
    usage = {"a": {"org1": 5000.0}, "b": {"org1": 10.0}}
    assert chosen(JobRequest(1, 60, "org1"), factories, usage) == "b"
    assert chosen(JobRequest(1, 60, "org2"), factories, usage) == "a"
