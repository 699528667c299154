#!/usr/bin/env bash
# Every benchmark of issue #5 (`make bench`; `make bench-smoke` passes --smoke):
#   1. placement quality on the real traces (bench/results/placement-*.{json,txt,png});
#   2. the API under load on PostgreSQL (bench/load/run.sh -> bench/results/load*.json);
#   3. a production-sized database (bench/scale/run.sh -> bench/results/scale*.json);
#   4. batched submits and the worker's dispatch rate, in-process (bench/batch, bench/dispatch);
#   5. the gateway's overhead on the two loopback Slurm clusters (bench/gateway/run.sh).
# Traces are read from bench/traces in the repository (override: TRACES=/path).
# About 25 minutes on 2 cores; --smoke runs small versions in a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=""
if [ "${1:-}" = "--smoke" ]; then smoke="--smoke"; fi
BENCH="${BENCH:-.venv/bin/antenna-bench}"
TRACES="${TRACES:-bench/traces}"
OUT=bench/results
mkdir -p "$OUT"
start=$(date +%s)

run() {  # name trace load-scale [extra args]
    local name=$1 trace=$2 scale=$3
    shift 3
    "$BENCH" placement --trace "$TRACES/$trace" --load-scale "$scale" --seed 0 \
        --json "$OUT/placement-$name.json" --plot "$OUT/placement-$name.png" "$@" \
        > "$OUT/placement-$name.txt"
    echo "placement-$name done"
}

echo "== placement on real traces"
if [ -n "$smoke" ]; then
    "$BENCH" placement --trace "$TRACES/philly-2017.csv.gz" --jobs 300 --seed 0 \
        --json "$OUT/placement-smoke.json" > "$OUT/placement-smoke.txt"
    "$BENCH" placement --trace "$TRACES/KTH-SP2-1996-2.1-cln.swf.gz" --jobs 300 \
        --seed 0 > /dev/null
    echo "placement smoke done"
else
    run philly philly-2017.csv.gz 1 &
    run kth KTH-SP2-1996-2.1-cln.swf.gz 1 &
    wait
    run philly-x1.5 philly-2017.csv.gz 1.5 &
    run alibaba alibaba-gpu-2023-tasks.csv 1 &
    wait
    run alibaba-x3 alibaba-gpu-2023-tasks.csv 3 &
    run kth-x1.2 KTH-SP2-1996-2.1-cln.swf.gz 1.2 &
    wait
fi

echo "== API under load"
bash bench/load/run.sh $smoke
echo "== scale"
bash bench/scale/run.sh $smoke
echo "== batched submits and the worker's dispatch rate (in-process, SQLite)"
if [ -n "$smoke" ]; then
    .venv/bin/python bench/batch/run.py --batches 2 --jobs 100 --out "$OUT/batch-smoke.json"
    .venv/bin/python bench/dispatch/run.py --jobs 200 --out "$OUT/dispatch-smoke.json"
else
    .venv/bin/python bench/batch/run.py
    .venv/bin/python bench/dispatch/run.py
fi

if [ -x bench/gateway/run.sh ] || [ -f bench/gateway/run.sh ]; then
    echo "== gateway overhead on real Slurm"
    bash testbeds/slurm/ci.sh   # (re)starts the two loopback clusters
    status=0
    bash bench/gateway/run.sh $smoke || status=$?
    bash testbeds/slurm/stop.sh
    if [ "$status" != 0 ]; then exit "$status"; fi
fi
echo "all benchmarks in $(( $(date +%s) - start )) s"
