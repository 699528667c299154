#!/usr/bin/env bash
# The scale benchmark (issue #5, docs/benchmarks-api.md): starts what it needs on 127.0.0.1,
# writes bench/results/scale.json (or scale-smoke.json with --smoke) and stops everything it started.
#   bench/scale/run.sh [--smoke] [options of bench/scale/run.py]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
cd "$root"
exec timeout --signal=TERM --kill-after=30 630 "$py" "bench/scale/run.py" "$@"
