#!/usr/bin/env bash
# Gateway overhead on real Slurm (issue #5, docs/benchmarks-gateway.md): the same batch of jobs
# straight to slurmrestd and through Antenna (gunicorn + `antenna worker`, PostgreSQL).
# Needs the loopback Slurm clusters: `bash testbeds/slurm/ci.sh` (stop: `bash testbeds/slurm/stop.sh`).
# Starts everything else on 127.0.0.1, writes bench/results/gateway.json (gateway-smoke.json
# with --smoke) and stops what it started, by PID.
#   bench/gateway/run.sh [--smoke] [options of bench/gateway/run.py]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
cd "$root"
limit=290
for a in "$@"; do [ "$a" = --smoke ] && limit=58; done
exec timeout --signal=TERM --kill-after=10 "$limit" "$py" "bench/gateway/run.py" "$@"
