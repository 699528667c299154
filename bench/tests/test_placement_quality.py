"""Issue #13's placement measures: the excess bounded slowdown, the `pooled` reference (one
queue over every factory's GPUs) and run-time predictions from each user's history, on
hand-worked cases."""

from __future__ import annotations

import math

import pytest

from antenna.jobs.placement import predicted_left, predicted_runtime
from antenna_bench.metrics import excess_slowdown, measure
from antenna_bench.placement_benchmark import excess_ratio, targets
from antenna_bench.policies import (
    AntennaPolicy,
    LeastLoadedPolicy,
    PooledPolicy,
    RuntimePredictor,
    pooled_specs,
)
from antenna_bench.simulator import FactorySpec, Simulation, Workload
from antenna_bench.traces import TraceJob


def workload(rows):
    """rows: (submit, run, requested, gpus, user)."""
    jobs = [TraceJob(s, r, g, q, user, "site") for s, r, q, g, user in rows]
    return Workload(jobs, [q for _, _, q, _, _ in rows])


# -- the metric -------------------------------------------------------------------------


def test_excess_slowdown_is_the_mean_bsld_over_one():
    # One 4-GPU factory: A runs 0-100; B (4 GPUs, run 50) waits 100 -> bsld 3; C idle-free.
    w = workload([(0, 100, 100, 4, "u"), (0, 50, 50, 4, "u")])
    spec = FactorySpec("only", 4)
    m = measure(Simulation(w, [spec]).run(LeastLoadedPolicy()), w, [spec], 0.0)
    assert m["mean_bounded_slowdown"] == pytest.approx((1 + 3) / 2)
    assert m["mean_excess_bounded_slowdown"] == pytest.approx(1.0)
    assert excess_slowdown(1.0) == 0.0 and excess_slowdown(2.5) == 1.5


def test_excess_ratio_handles_a_zero_reference():
    assert excess_ratio(0.3, 0.6) == 0.5
    assert excess_ratio(0.0, 0.0) == 1.0
    assert math.isinf(excess_ratio(0.1, 0.0))


def metrics(excess, p95=0.0):
    return {"mean_bounded_slowdown": 1 + excess, "mean_excess_bounded_slowdown": excess,
            "p95_wait_s": p95}


def test_targets_are_on_the_excess_against_the_best_baseline_and_pooled():
    result = targets({"antenna": metrics(0.4), "least_loaded": metrics(1.0),
                      "static": metrics(2.0), "pooled": metrics(0.38)})
    assert result["best_baseline"] == "least_loaded"
    assert result["excess_ratio_to_best_baseline"] == 0.4
    assert result["excess_at_most_half_best_baseline"] is True
    assert result["excess_ratio_to_pooled"] == pytest.approx(0.4 / 0.38, abs=1e-3)
    assert result["excess_within_1_1_pooled"] is True
    worse = targets({"antenna": metrics(0.6), "least_loaded": metrics(1.0),
                     "pooled": metrics(0.5)})
    assert worse["excess_at_most_half_best_baseline"] is False
    assert worse["excess_within_1_1_pooled"] is False


# -- pooled -----------------------------------------------------------------------------


def test_pooled_is_one_factory_of_all_the_gpus():
    specs = [FactorySpec("a", 4, 4), FactorySpec("b", 8, 8, 100)]
    [pooled] = pooled_specs(specs)
    assert (pooled.gpus, pooled.gpus_per_node) == (12, 8)
    assert pooled.max_walltime_minutes == max(s.max_walltime_minutes for s in specs)


def test_pooled_starts_a_wide_job_no_single_factory_could_hold_at_once():
    # Two 4-GPU factories, each half busy: a 4-GPU job waits on either, but the pool of 8
    # has 4 free GPUs, so it starts at once.
    w = workload([(0, 100, 100, 2, "u"), (0, 100, 100, 2, "u"), (1, 10, 10, 4, "u")])
    split = [FactorySpec("a", 4), FactorySpec("b", 4)]
    apart = Simulation(w, split).run(LeastLoadedPolicy())
    assert apart.start[2] == 100
    together = Simulation(w, pooled_specs(split)).run(PooledPolicy())
    assert together.start == [0, 0, 1] and together.factory == [0, 0, 0]


# -- run-time predictions ---------------------------------------------------------------


def test_prediction_is_the_mean_of_the_last_two_runs_never_above_the_request():
    assert predicted_runtime([], 3600) == 3600  # no history: the request
    assert predicted_runtime([100], 3600) == 100
    assert predicted_runtime([5000, 100, 300], 3600) == 200  # the last two only
    assert predicted_runtime([5000, 7000], 3600) == 3600  # capped by the request
    assert predicted_runtime([0, 0], 3600) == 1.0  # at least 1 s


def test_a_running_job_past_its_prediction_falls_back_to_its_limit():
    assert predicted_left(600, 100, 3000) == 500
    assert predicted_left(600, 100, 200) == 200  # never beyond the requested end
    assert predicted_left(600, 700, 2500) == 2500  # outlived the prediction


def test_the_simulated_predictor_learns_each_users_runs_when_they_finish():
    w = workload([(0, 100, 1000, 1, "u"), (0, 300, 1000, 1, "u"), (0, 50, 1000, 1, "v"),
                  (500, 10, 1000, 1, "u"), (500, 10, 80, 1, "v")])
    predictor = RuntimePredictor(w)
    assert predictor.arrive(0) == 1000  # nothing finished yet
    predictor.finished(0)
    predictor.finished(1)
    predictor.finished(2)
    assert predictor.arrive(3) == 200  # u: (100 + 300) / 2
    assert predictor.arrive(4) == 50  # v: 50, under its 80 s request
    assert predictor.predicted[3] == 200


def test_antenna_uses_predictions_where_requests_mislead():
    # Factory a (4 GPUs) runs user u's 4-GPU job, requested 10,000 s, and u's jobs run 100 s;
    # factory b (4 GPUs) runs user v's job requested 1,000 s that runs 1,000 s. A new 4-GPU
    # job must queue on one: by requests b frees first; by predictions a does (at 101 s).
    rows = [(0, 100, 100, 4, "u"),  # u's history: 100 s
            (101, 100, 10000, 4, "u"),  # on a, predicted 100 s, requested 10,000 s
            (101, 1000, 1000, 4, "v"),  # on b
            (102, 50, 100, 4, "w")]
    w = workload(rows)
    specs = [FactorySpec("a", 4), FactorySpec("b", 4)]
    with_predictions = Simulation(w, specs).run(AntennaPolicy(specs, w, predict=True))
    assert with_predictions.factory[3] == with_predictions.factory[1]
    assert with_predictions.start[3] == pytest.approx(201)
    by_requests = Simulation(w, specs).run(AntennaPolicy(specs, w, predict=False))
    assert by_requests.factory[3] == by_requests.factory[2]
    assert by_requests.start[3] == pytest.approx(1101)
    # production's default (placement.RUNTIME_PREDICTIONS off) is the latter
    assert Simulation(w, specs).run(AntennaPolicy(specs, w)).start == by_requests.start


def test_factories_can_backfill_on_predictions_easy_plus_plus():
    # One 4-GPU factory. u's first job shows u's jobs run 10 s; u's next job (2 GPUs) asks
    # 1,000 s but runs 10 s (20-30). v's 4-GPU job waits at the head from 21. x's 1-GPU,
    # 100-s job arrives at 22.
    rows = [(0, 10, 10, 4, "u"), (20, 10, 1000, 2, "u"), (21, 50, 50, 4, "v"),
            (22, 100, 100, 1, "x")]
    w = workload(rows)
    spec = [FactorySpec("only", 4)]
    # On requests (Slurm): the head's shadow is 1020, so x backfills at 22 and, once u's job
    # ends at 30, holds the GPU the head needs until 122.
    slurm = Simulation(w, spec).run(LeastLoadedPolicy())
    assert slurm.start == [0, 20, 122, 22]
    # On predictions: the shadow is 30 (u's job predicted 10 s); x would end after it, so
    # it waits; the head starts at 30 and x at 80.
    easy = Simulation(w, spec, backfill_on="predicted").run(LeastLoadedPolicy())
    assert easy.start == [0, 20, 30, 80]
    with pytest.raises(ValueError, match="backfill_on"):
        Simulation(w, spec, backfill_on="guess")
