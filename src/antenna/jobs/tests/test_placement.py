"""Placement is a pure function: filter the factories that can run a job, choose the soonest."""

from __future__ import annotations

from antenna.jobs.placement import (
    QUEUE_DELAY_WEIGHT,
    FactoryView,
    JobRequest,
    PartitionView,
    place,
    queue_cost,
    rank_factories,
)

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


def test_starting_at_once_keeps_the_largest_idle_block():
    factories = [view("big", total=64), view("small", total=16)]
    # Either starts it now: the small one takes it, the 64-GPU block stays whole.
    assert chosen(JobRequest(4, 60, "x"), factories) == "small"
    assert chosen(JobRequest(16, 60, "x"), factories) == "small"
    assert chosen(JobRequest(32, 60, "x"), factories) == "big"  # only big fits
    # A factory with a queue offers no idle block: the job starts at once on the other.
    queued = [view("big", total=64), view("small", total=16, queued=3600.0)]
    assert chosen(JobRequest(4, 60, "x"), queued) == "big"


def test_queueing_long_jobs_go_to_the_large_factory_short_ones_to_the_soonest():
    factories = [view("big", total=64, busy=64, left=64 * 3600.0),
                 view("small", total=16, busy=16, left=16 * 3000.0)]
    # The small factory would start either job 600 s sooner, but a 10-hour job queued there
    # would hold up every short job queued after it: it queues on the large one.
    assert chosen(JobRequest(1, 600, "x"), factories) == "big"
    assert chosen(JobRequest(1, 1, "x"), factories) == "small"
    ranked = rank_factories(JobRequest(1, 600, "x"), factories)
    assert [p.expected_start_seconds for p in ranked] == [3600.0, 3000.0]


def test_a_crowded_queue_costs_more():
    def factories(count):
        return [FactoryView("a", True, 64, 64, 0.0, 64 * 3000.0, (GH200,), queued_count=count),
                FactoryView("b", True, 64, 64, 0.0, 64 * 3300.0, (GH200,))]
    job = JobRequest(4, 60, "x")
    assert chosen(job, factories(0)) == "a"  # sooner, same size, nobody waiting
    assert chosen(job, factories(50)) == "b"  # 50 jobs would queue behind it on "a"
    assert queue_cost(factories(50)[0], job, 3000.0, 64) == 3000.0 + (
        QUEUE_DELAY_WEIGHT * 4 * 3600 / 64 * 51)


def test_waiting_jobs_and_idle_gpus():
    assert view("a", queued=10.0).waiting_jobs == 1  # queued work, no list: at least one
    listed = FactoryView("a", True, 64, 10, 0.0, 0.0, (GH200,),
                         queued_jobs=((1, 60.0), (2, 60.0)))
    assert listed.waiting_jobs == 2
    assert listed.idle_gpus == 0
    counted = FactoryView("a", True, 64, 10, 0.0, 0.0, (GH200,), queued_count=7)
    assert counted.waiting_jobs == 7
    assert view("a", busy=10).idle_gpus == 54
