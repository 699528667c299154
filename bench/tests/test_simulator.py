"""The placement benchmark: simulator, metrics, trace readers and the CLI, on tiny hand-made
traces (worked out by hand below) and a few hundred jobs of the real traces."""

from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest

from antenna_bench.cli import main
from antenna_bench.metrics import jain_index, measure
from antenna_bench.placement_benchmark import run_benchmark
from antenna_bench.policies import AntennaPolicy, LeastLoadedPolicy, StaticPolicy
from antenna_bench.simulator import FactorySpec, Simulation, Workload
from antenna_bench.traces import TraceJob, read_trace

TRACES = Path(__file__).resolve().parents[1] / "traces"  # bench/traces, in the repository


def workload(rows, org=None):
    """rows: (submit, run, requested, gpus)."""
    jobs = [TraceJob(s, r, g, q, (org or {}).get(i, "o"), "site") for i, (s, r, q, g)
            in enumerate(rows)]
    return Workload(jobs, [q for _, _, q, _ in rows])


def one_factory(w, gpus=4):
    spec = FactorySpec("only", gpus)
    return Simulation(w, [spec]), [spec]


def test_fcfs_order_when_nothing_can_backfill():
    w = workload([(0, 10, 10, 2), (1, 10, 10, 2), (2, 10, 10, 2)])
    sim, _ = one_factory(w, gpus=2)
    out = sim.run(LeastLoadedPolicy())
    assert out.start == [0, 10, 20]


# Hand-worked EASY case on a 4-GPU factory (submit, run, requested walltime, GPUs):
#   A (0, 100, 100, 3) starts at 0.
#   B (10, 50, 50, 4)  waits at the head; reservation (shadow) at A's requested end, 100.
#   C (20, 30, 60, 1)  ends by 80 <= 100: backfills at once, at 20.
#   D (30, 10, 100, 1) would end at 130 > 100 and the head needs every GPU: no backfill,
#                      not even at 50 when C ends; it starts after B, at 150.
HAND = [(0, 100, 100, 3), (10, 50, 50, 4), (20, 30, 60, 1), (30, 10, 100, 1)]


def test_backfilling_starts_a_small_job_early_without_delaying_the_head():
    w = workload(HAND)
    sim, _ = one_factory(w)
    out = sim.run(LeastLoadedPolicy())
    assert out.start == [0, 100, 20, 150]


def test_metrics_on_the_hand_worked_case():
    w = workload(HAND, org={0: "x", 1: "x", 2: "y", 3: "y"})
    sim, specs = one_factory(w)
    m = measure(sim.run(LeastLoadedPolicy()), w, specs, 0.0)
    # waits 0, 90, 0, 120; bounded slowdowns 1, (90+50)/50, 1, (120+10)/10
    assert m["mean_wait_s"] == pytest.approx(52.5)
    assert m["p95_wait_s"] == 120
    assert m["mean_bounded_slowdown"] == pytest.approx((1 + 2.8 + 1 + 13) / 4)
    # busy 3*100 + 4*50 + 30 + 10 = 540 GPU-s over 4 GPUs x makespan 160 s
    assert m["utilisation"]["only"] == pytest.approx(540 / 640)
    # per-organisation mean slowdowns: x 1.9, y 7
    assert m["jain_fairness"] == pytest.approx(8.9**2 / (2 * (1.9**2 + 7**2)))
    assert jain_index([3.0, 3.0]) == 1.0


def test_bounded_slowdown_floor_for_very_short_jobs():
    w = workload([(0, 100, 100, 4), (0, 1, 60, 4)])
    sim, specs = one_factory(w)
    m = measure(sim.run(LeastLoadedPolicy()), w, specs, 0.0)
    # second job: wait 100, run 1 -> (100 + 1) / 10
    assert m["mean_bounded_slowdown"] == pytest.approx((1 + 10.1) / 2)


def test_jobs_larger_than_every_factory_are_dropped_and_counted():
    w = workload([(0, 10, 10, 2), (1, 10, 10, 9)])
    sim, _ = one_factory(w, gpus=4)
    out = sim.run(LeastLoadedPolicy())
    assert out.dropped == 1 and out.factory == [0, -1]


def test_antenna_policy_sends_a_job_where_it_starts_soonest():
    # "a" is full until 1000 s; "b" has room now.
    w = workload([(0, 1000, 1000, 4), (1, 10, 60, 2)])
    specs = [FactorySpec("a", 4), FactorySpec("b", 2)]
    out = Simulation(w, specs).run(AntennaPolicy(specs, w))
    assert out.factory == [0, 1] and out.start == [0, 1]


def test_static_keeps_each_site_on_one_factory():
    jobs = [TraceJob(i, 10, 1, 60, "o", "big" if i % 3 else "small") for i in range(9)]
    w = Workload(jobs, [60] * 9)
    specs = [FactorySpec("a", 8), FactorySpec("b", 4)]
    out = Simulation(w, specs).run(StaticPolicy(specs, w))
    assert {out.factory[i] for i in range(9) if i % 3} == {0}
    assert {out.factory[i] for i in range(9) if not i % 3} == {1}


SWF = """; Version: 2.2
; Computer: made up, with a header comment
;
    1   0  -1  100   4  -1 -1  4  200 -1 1  7 -1 -1 1  2 -1 -1
    2  10  -1   50  -1  -1 -1  2   -1 -1 1  8 -1 -1 1 -1 -1 -1
    3  20  -1   -1   2  -1 -1  2  100 -1 0  7 -1 -1 1  2 -1 -1
    4  30  -1   20   8  -1 -1  8   60 -1 1 -1 -1 -1 1  3 -1 -1
"""


@pytest.mark.parametrize("compressed", [False, True])
def test_any_swf_parses_with_header_comments_and_unknown_fields(tmp_path, compressed):
    path = tmp_path / ("log.swf.gz" if compressed else "log.swf")
    path.write_bytes(gzip.compress(SWF.encode()) if compressed else SWF.encode())
    trace = read_trace(path, cores_per_gpu=2)
    assert trace.format == "swf"
    assert trace.skipped == {"unknown submit or run time": 1}
    first, second, fourth = trace.jobs
    assert (first.submit, first.run, first.gpus, first.requested) == (0, 100, 2, 200)
    assert (first.organization, first.site) == ("user7", "partition2")
    # processors unknown in field 5: field 8; no requested time, user or partition
    assert (second.gpus, second.requested, second.organization, second.site) == (
        1, None, "user8", "partitiondefault")
    assert (fourth.gpus, fourth.requested, fourth.organization) == (4, 60, "userunknown")
    assert "ceil(processors / 2)" in trace.notes[0]


def test_same_seed_same_results_and_derived_walltimes_are_stated(tmp_path):
    path = tmp_path / "log.swf"
    rows = [f"{i} {i * 7} -1 {30 + (i * 37) % 500} {1 + i % 3} -1 -1 -1 -1 -1 1 {i % 4} "
            f"-1 -1 1 {i % 2} -1 -1" for i in range(1, 200)]
    path.write_text("\n".join(rows) + "\n")
    factories = [FactorySpec("a", 4), FactorySpec("b", 2)]
    first = run_benchmark(path, factories=factories, seed=3).as_json()
    again = run_benchmark(path, factories=factories, seed=3).as_json()
    other = run_benchmark(path, factories=factories, seed=4).as_json()
    for result in (first, again, other):
        for metrics in result["policies"].values():
            metrics.pop("seconds")
    assert first == again
    assert first["policies"] != other["policies"]
    assert "U[1, 5] (seed 3)" in first["walltime_source"]


def test_real_traces_parse():
    kth = read_trace(TRACES / "KTH-SP2-1996-2.1-cln.swf.gz")
    assert len(kth.jobs) == 27992 and all(job.requested for job in kth.jobs)
    alibaba = read_trace(TRACES / "alibaba-gpu-2023-tasks.csv")
    assert alibaba.format == "alibaba" and alibaba.jobs
    assert alibaba.skipped["CPU-only task (num_gpu 0)"] == 1088


def test_cli_smoke_on_a_real_trace(tmp_path):
    trace = TRACES / "philly-2017.csv.gz"
    out = StringIO()
    status = main(["placement", "--trace", str(trace), "--jobs", "400",
                   "--json", str(tmp_path / "r.json")], out=out)
    assert status == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["jobs"] == 400 and result["trace"] == "philly-2017.csv.gz"
    assert result["format"] == "philly"
    assert set(result["policies"]) == {"antenna", "static", "round_robin", "random",
                                       "least_loaded", "oracle", "pooled"}
    for metrics in result["policies"].values():
        assert {"mean_wait_s", "p95_wait_s", "mean_bounded_slowdown", "utilisation",
                "jain_fairness", "mean_excess_bounded_slowdown"} <= set(metrics)
    assert {"excess_ratio_to_best_baseline", "excess_ratio_to_pooled"} <= set(
        result["targets"])
    assert "derived" in result["walltime_source"]
    assert "least_loaded" in out.getvalue()


def test_the_traces_in_the_repository_are_the_pinned_ones():
    import hashlib

    pinned = {}
    for line in (TRACES / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        pinned[name] = digest
    assert set(pinned) == {p.name for p in TRACES.iterdir()} - {"SHA256SUMS", "README.md"}
    for name, digest in pinned.items():
        assert hashlib.sha256((TRACES / name).read_bytes()).hexdigest() == digest, name


def test_the_multi_site_swf_log_parses():
    metacentrum = read_trace(TRACES / "METACENTRUM-2009-2.swf.gz")
    assert metacentrum.format == "swf" and metacentrum.jobs
    assert len({job.site for job in metacentrum.jobs}) == 14
