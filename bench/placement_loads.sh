#!/usr/bin/env bash
# Issue #13's placement runs: every trace in bench/traces at loads 1x, 1.5x and 2x, one run
# at a time (a shared 2-core machine), on slices small enough to be quick:
#   philly-2017 and METACENTRUM-2009-2: the first 20,000 jobs (5,000 gave unstable ratios);
#   KTH-SP2 (27,992 jobs) and alibaba-gpu-2023 (6,203 GPU tasks): whole.
# Writes bench/results/placement13-NAME-xLOAD.{json,txt}. BACKFILL_ON=predicted runs the
# factories with EASY++ (backfilling on run-time predictions) instead of Slurm's requests.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${BENCH:-.venv/bin/antenna-bench}"
OUT=bench/results
BACKFILL_ON="${BACKFILL_ON:-requested}"
POLICIES="${POLICIES:-antenna,antenna_predicted,static,round_robin,random,least_loaded,pooled}"
suffix=""
if [ "$BACKFILL_ON" != requested ]; then suffix="-bf-$BACKFILL_ON"; fi
mkdir -p "$OUT"
for spec in philly:philly-2017.csv.gz:20000 metacentrum:METACENTRUM-2009-2.swf.gz:20000 \
            kth:KTH-SP2-1996-2.1-cln.swf.gz: alibaba:alibaba-gpu-2023-tasks.csv:; do
    IFS=: read -r name trace jobs <<< "$spec"
    for load in 1 1.5 2; do
        args=(placement --trace "bench/traces/$trace" --load-scale "$load" --seed 0
              --backfill-on "$BACKFILL_ON" --policies "$POLICIES"
              --json "$OUT/placement13-$name-x$load$suffix.json")
        if [ -n "$jobs" ]; then args+=(--jobs "$jobs"); fi
        start=$(date +%s)
        "$BENCH" "${args[@]}" > "$OUT/placement13-$name-x$load$suffix.txt"
        echo "placement13-$name-x$load$suffix: $(( $(date +%s) - start )) s"
    done
done
