#!/usr/bin/env bash
# The placement benchmark (issue #5) on every trace: JSON + PNG into bench/results/.
# Reads the traces from ../shared/traces beside the repo (override: TRACES=/path).
# Two replays at a time (2 cores). `make bench` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
ANTENNA="${ANTENNA:-.venv/bin/antenna}"
TRACES="${TRACES:-$(cd .. && pwd)/shared/traces}"
OUT=bench/results
mkdir -p "$OUT"
run() {  # name trace load-scale
    "$ANTENNA" bench placement --trace "$TRACES/$2" --load-scale "$3" --seed 0 \
        --json "$OUT/placement-$1.json" --plot "$OUT/placement-$1.png" > "$OUT/placement-$1.txt"
    echo "placement-$1 done"
}
start=$(date +%s)
run philly philly-2017.csv 1 &
run kth KTH-SP2-1996-2.1-cln.swf.gz 1 &
wait
run philly-x1.5 philly-2017.csv 1.5 &
run alibaba alibaba-gpu-2023-tasks.csv 1 &
wait
run alibaba-x3 alibaba-gpu-2023-tasks.csv 3 &
run kth-x1.2 KTH-SP2-1996-2.1-cln.swf.gz 1.2 &
wait
echo "all placement benchmarks in $(( $(date +%s) - start )) s"
