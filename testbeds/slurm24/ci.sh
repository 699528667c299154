#!/usr/bin/env bash
# CI hook: install (debootstrap chroot, reused) and start the Slurm 24.11 cluster `current`,
# and check that slurmrestd answers v0.0.42 with its token. Leaves it running for the tests;
# fails loudly (with the daemons' logs) if it does not come up.
#
#   bash testbeds/slurm24/ci.sh [STATE_DIR]     (default /tmp/antenna-slurm24)
#
# In .ci/run, beside testbeds/slurm/ci.sh:
#   bash testbeds/slurm24/ci.sh
#   trap '...; bash testbeds/slurm24/stop.sh' EXIT
# The integration tests read STATE_DIR/env (or ANTENNA_SLURM24_ENV).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
STATE_DIR="${1:-${ANTENNA_SLURM24_STATE_DIR:-/tmp/antenna-slurm24}}"
log() { echo "[slurm24-ci] $*" >&2; }
fail() {
  log "FAILED: $*"
  for f in "$STATE_DIR"/log/*.log; do
    [ -e "$f" ] || continue; echo "----- tail $f" >&2; tail -n 20 "$f" >&2 || true
  done
  bash "$here/stop.sh" "$STATE_DIR" || true
  log "the Slurm 24.11 cluster is NOT running; its integration tests cannot run"
  exit 1
}
if [ "$(id -u)" != 0 ]; then log "FAILED: must run as root"; exit 1; fi
start=$SECONDS
bash "$here/install.sh" || fail "install.sh"
log "installed in $((SECONDS - start))s"
bash "$here/start.sh" "$STATE_DIR" || fail "start.sh (its output above names the daemon)"
# shellcheck disable=SC1091
. "$STATE_DIR/env"
answer="$(curl -sS -m 20 -H "X-SLURM-USER-NAME: $ANTENNA_SLURM_CURRENT_USER" \
          -H "X-SLURM-USER-TOKEN: $(cat "$ANTENNA_SLURM_CURRENT_TOKEN_FILE")" \
          "$ANTENNA_SLURM_CURRENT_URL/slurm/v0.0.42/ping" 2>&1)" || fail "slurmrestd not answering: $answer"
case "$answer" in
  *'"pinged": "UP"'*|*'"pinged":"UP"'*) log "current: slurmrestd at $ANTENNA_SLURM_CURRENT_URL answers, controller UP" ;;
  *) fail "ping did not say UP: $(echo "$answer" | head -c 600)" ;;
esac
log "ready in $((SECONDS - start))s: export ANTENNA_SLURM24_ENV=$STATE_DIR/env"
