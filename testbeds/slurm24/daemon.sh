#!/usr/bin/env bash
# Stop or start ONE daemon of the Slurm 24.11 test cluster `current` (testbeds/slurm24/start.sh),
# for the fault tests (slurmdbd down, slurmrestd or slurmctld restarted); the same interface
# as testbeds/slurm/daemon.sh, with CLUSTER always `current`.
#
#   bash testbeds/slurm24/daemon.sh stop|start slurmdbd|slurmctld|slurmrestd current [STATE_DIR]
#
# stop:  TERM to the PID recorded in STATE_DIR/pids (KILL after 10 s), then the line is
#        removed; slurmctld saves its state on TERM, so a restart keeps every job.
# start: the same command line as start.sh (inside the chroot), recorded in STATE_DIR/pids
#        (stop.sh stops it), and waits until the daemon answers.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
for v in $(compgen -e | grep -E '^(SLURM|SACCTMGR|SCONTROL)_' || true); do unset "$v"; done

action="${1:?stop|start}"; daemon="${2:?slurmdbd|slurmctld|slurmrestd}"; name="${3:-current}"
STATE_DIR="${4:-${ANTENNA_SLURM24_STATE_DIR:-/tmp/antenna-slurm24}}"
CHROOT="${ANTENNA_SLURM24_CHROOT:-/var/cache/antenna-slurm24/root}"
PIDS="$STATE_DIR/pids"
conf="$STATE_DIR/etc/slurm.conf"
TIMEOUT="${ANTENNA_SLURM_START_TIMEOUT:-60}"
log() { echo "[slurm24-daemon] $*" >&2; }

case "$daemon" in slurmdbd|slurmctld|slurmrestd) ;; *) log "unknown daemon $daemon"; exit 2 ;; esac
[ "$name" = current ] || { log "the 24.11 testbed has one cluster, current (not $name)"; exit 2; }
[ -e "$conf" ] || { log "no cluster in $STATE_DIR"; exit 2; }
[ -e "$PIDS" ] || { log "$PIDS missing: the cluster is not running"; exit 2; }

recorded() { awk -v n="$daemon" '$2 == n { print $1 }' "$PIDS" | tail -n 1; }
running() {
  local p; p="$(recorded)"; [ -n "$p" ] || return 1
  case "$(cat "/proc/$p/comm" 2>/dev/null)" in "$daemon"|setsid|env|chroot) return 0 ;; esac
  return 1
}

if [ "$action" = stop ]; then
  pid="$(recorded)"
  if [ -z "$pid" ]; then log "$daemon is not recorded as running"; exit 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then log "$daemon ignored TERM; KILL"; kill -KILL "$pid" || true; fi
  awk -v n="$daemon" '$2 != n' "$PIDS" > "$PIDS.tmp" && mv "$PIDS.tmp" "$PIDS"
  log "stopped $daemon (pid $pid)"
  exit 0
fi
[ "$action" = start ] || { log "unknown action $action"; exit 2; }
if running; then log "$daemon runs already (pid $(recorded))"; exit 1; fi

# shellcheck disable=SC1091
. "$STATE_DIR/env"
url="$ANTENNA_SLURM_CURRENT_URL"
IN_ROOT=(chroot "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
         SLURM_CONF="$conf")
start_bg() {  # LOGFILE CMD...
  local logf="$1"; shift
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" \
    >>"$logf" 2>&1 </dev/null &
  echo "$! $daemon" >> "$PIDS"
}
case "$daemon" in
  slurmdbd)
    start_bg "$STATE_DIR/log/slurmdbd.out" "${IN_ROOT[@]}" slurmdbd -D -s
    probe() { "${IN_ROOT[@]}" sacctmgr -n -P show cluster >/dev/null 2>&1; } ;;
  slurmctld)
    start_bg "$STATE_DIR/log/slurmctld.out" "${IN_ROOT[@]}" slurmctld -D -i
    probe() { "${IN_ROOT[@]}" scontrol ping 2>/dev/null | grep -q 'is UP'; } ;;
  slurmrestd)
    start_bg "$STATE_DIR/log/slurmrestd.log" \
      chroot --userspec=slurmrest:slurmrest "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/nonexistent LANG=C.UTF-8 SLURM_JWT=daemon SLURM_CONF="$conf" \
      slurmrestd -a rest_auth/jwt "${url#http://}"
    probe() {
      curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $ANTENNA_SLURM_JOB_USER" \
        -H "X-SLURM-USER-TOKEN: $(cat "$ANTENNA_SLURM_CURRENT_TOKEN_FILE")" \
        "$url/slurm/v0.0.42/ping" | grep -q '"pinged"'
    } ;;
esac
deadline=$((SECONDS + TIMEOUT))
until probe; do
  running || { log "$daemon exited; see $STATE_DIR/log/"; exit 1; }
  [ $SECONDS -lt $deadline ] || { log "$daemon not ready after ${TIMEOUT}s"; exit 1; }
  sleep 0.2
done
log "started $daemon (pid $(recorded))"
