#!/usr/bin/env bash
# Stop the `current` cluster started by testbeds/slurm24/start.sh: the recorded PIDs (TERM,
# 10 s, KILL), then any process still running inside the chroot (jobs' slurmstepd), then
# unmount what start.sh mounted (STATE_DIR/mounts, last first). Idempotent.
#
#   bash testbeds/slurm24/stop.sh [STATE_DIR]     (default /tmp/antenna-slurm24)
set -uo pipefail
STATE_DIR="${1:-${ANTENNA_SLURM24_STATE_DIR:-/tmp/antenna-slurm24}}"
CHROOT="${ANTENNA_SLURM24_CHROOT:-/var/cache/antenna-slurm24/root}"
log() { echo "[slurm24-stop] $*" >&2; }

pids=()
if [ -r "$STATE_DIR/pids" ]; then
  while read -r pid name; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { pids+=("$pid"); log "stopping $name ($pid)"; }
  done < "$STATE_DIR/pids"
fi
# Processes whose root is the chroot were started by this cluster (daemons, job steps).
in_chroot() {
  local p root
  root="$(readlink -f "$CHROOT")"
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
}
for pid in "${pids[@]}" $(in_chroot); do kill -TERM "$pid" 2>/dev/null; done
for _ in $(seq 50); do
  left="$( { for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done; in_chroot; } )"
  [ -z "$left" ] && break
  sleep 0.2
done
for pid in $left; do log "killing $pid"; kill -KILL "$pid" 2>/dev/null; done
sleep 0.2
rm -f "$STATE_DIR/pids"

if [ -r "$STATE_DIR/mounts" ]; then
  for target in $(tac "$STATE_DIR/mounts"); do
    if mountpoint -q "$target"; then
      umount "$target" 2>/dev/null || { log "busy: lazy unmount of $target"; umount -l "$target"; }
    fi
  done
  rm -f "$STATE_DIR/mounts"
fi
if grep -qs " $(readlink -f "$CHROOT")/" /proc/mounts; then
  log "WARNING: mounts left under $CHROOT:"; grep " $(readlink -f "$CHROOT")/" /proc/mounts >&2
  exit 1
fi
log "stopped"
