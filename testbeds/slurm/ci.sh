#!/usr/bin/env bash
# CI hook: install and start the two loopback Slurm clusters (jupiter, lumi) and check that
# both answer through slurmrestd with their tokens. Leaves them running for the test run and
# fails loudly (non-zero, with the daemons' logs) if they do not come up.
#
#   bash testbeds/slurm/ci.sh [--verify] [STATE_DIR]     (default /tmp/antenna-slurm)
#
#   --verify   also run testbeds/slurm/verify.py (submits real jobs, ~30 s)
#
# In .ci/run, before `make test`:
#
#   bash testbeds/slurm/ci.sh
#   trap 'bash testbeds/slurm/stop.sh' EXIT
#
# The integration tests (pytest -m slurm) read STATE_DIR/env, or the file named by
# ANTENNA_SLURM_ENV; with ANTENNA_FAIL_ON_SKIP=1 they fail instead of skipping when the
# clusters are not there.
set -euo pipefail

verify=0
if [ "${1:-}" = "--verify" ]; then verify=1; shift; fi
here="$(cd "$(dirname "$0")" && pwd)"
STATE_DIR="${1:-${ANTENNA_SLURM_STATE_DIR:-/tmp/antenna-slurm}}"

log() { echo "[slurm-ci] $*" >&2; }
fail() {
  log "FAILED: $*"
  for f in "$STATE_DIR"/*/log/*.log; do
    [ -e "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 20 "$f" >&2 || true
  done
  bash "$here/stop.sh" "$STATE_DIR" || true
  log "the Slurm test clusters are NOT running; the slurm integration tests cannot run"
  exit 1
}

if [ "$(id -u)" != 0 ]; then
  log "FAILED: must run as root (installs packages, runs the daemons)"; exit 1
fi
bash "$here/install.sh" || fail "install.sh"
bash "$here/start.sh" "$STATE_DIR" || fail "start.sh (its output above names the daemon)"
[ -r "$STATE_DIR/env" ] || fail "$STATE_DIR/env was not written"

# shellcheck disable=SC1091
. "$STATE_DIR/env"
for c in $ANTENNA_SLURM_CLUSTERS; do
  C="$(echo "$c" | tr '[:lower:]' '[:upper:]')"
  url_var="ANTENNA_SLURM_${C}_URL"; user_var="ANTENNA_SLURM_${C}_USER"
  token_var="ANTENNA_SLURM_${C}_TOKEN_FILE"
  answer="$(curl -sS -m 20 -H "X-SLURM-USER-NAME: ${!user_var}" \
            -H "X-SLURM-USER-TOKEN: $(cat "${!token_var}")" \
            "${!url_var}/slurm/v0.0.38/ping" 2>&1)" || fail "$c: slurmrestd not answering: $answer"
  case "$answer" in
    *'"ping": "UP"'*|*'"ping":"UP"'*) log "$c: slurmrestd at ${!url_var} answers, controller UP" ;;
    *) fail "$c: ping did not say UP: $(echo "$answer" | head -c 600)" ;;
  esac
done

if [ "$verify" = 1 ]; then
  python3 "$here/verify.py" --state-dir "$STATE_DIR" || fail "verify.py"
fi
log "ready: export ANTENNA_SLURM_ENV=$STATE_DIR/env"
