"""Issue #13's placement table from bench/placement_loads.sh's JSON results: per run, the
excess bounded slowdown (mean bsld - 1) of antenna (as production: on requested
walltimes), antenna_predicted (fed run-time predictions), the best naive baseline (by
bsld) and pooled, and the ratios (each within one run).

    .venv/bin/python bench/placement_summary.py [SUFFIX]   # e.g. -bf-predicted
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BASELINES = ("static", "round_robin", "random", "least_loaded")


def main(suffix: str = "") -> None:
    print("| run | jobs | best naive: excess | antenna: excess (bsld) | antenna_predicted "
          "| pooled | antenna / best naive | antenna / pooled | predicted / best naive "
          "| predicted / pooled |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("philly", "metacentrum", "kth", "alibaba"):
        for load in ("1", "1.5", "2"):
            path = RESULTS / f"placement13-{name}-x{load}{suffix}.json"
            if not path.exists():
                continue
            result = json.loads(path.read_text())
            policies = result["policies"]

            def excess(policy: str, p: dict = policies) -> float:
                return float(p[policy]["mean_excess_bounded_slowdown"])

            best = min((b for b in BASELINES if b in policies),
                       key=lambda b: policies[b]["mean_bounded_slowdown"])
            ours, requests, pooled = excess("antenna"), excess("antenna_predicted"), excess(
                "pooled")

            def ratio(a: float, b: float) -> str:
                return f"{a / b:.3f}" if b > 0 else ("1" if a == 0 else "inf")

            print(f"| {name} x{load} | {result['jobs']} | {best} {excess(best):.3f} "
                  f"| {ours:.3f} ({policies['antenna']['mean_bounded_slowdown']:.2f}) "
                  f"| {requests:.3f} | {pooled:.3f} | {ratio(ours, excess(best))} "
                  f"| {ratio(ours, pooled)} | {ratio(requests, excess(best))} "
                  f"| {ratio(requests, pooled)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
