#!/usr/bin/env bash
# The load benchmark (issue #5, docs/benchmarks-api.md): starts what it needs on 127.0.0.1,
# writes bench/results/load.json (or load-smoke.json with --smoke) and stops everything it started.
#   bench/load/run.sh [--smoke] [options of bench/load/run.py]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
cd "$root"
exec timeout --signal=TERM --kill-after=30 420 "$py" "bench/load/run.py" "$@"
