#!/usr/bin/env bash
# Stop what testbeds/slurm/start.sh started, by the PIDs it recorded in
# STATE_DIR/pids (TERM, wait, then KILL). Idempotent.
#
#   bash testbeds/slurm/stop.sh [STATE_DIR]      (default /tmp/antenna-slurm)
#
# Before the daemons go, running jobs are cancelled (scancel) so that no
# slurmstepd or job process outlives its slurmd; any slurmstepd that still
# holds a file in STATE_DIR afterwards is killed with its job processes.
#
# Safe to call from a trap (`trap 'bash testbeds/slurm/stop.sh' EXIT`): always exits 0, waits a
# bounded time (every Slurm command has a timeout), ignores Ctrl-C / SIGHUP so that a second
# interrupt cannot leave half the daemons running, and two calls at once are serialized (flock).
set -uo pipefail
trap '' INT HUP

export PATH="/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
for v in $(compgen -e | grep -E '^(SLURM|SINFO|SQUEUE|SACCT|SCANCEL|SCONTROL)_' || true); do
  unset "$v"
done

STATE_DIR="${1:-${ANTENNA_SLURM_STATE_DIR:-/tmp/antenna-slurm}}"
PIDS="$STATE_DIR/pids"
GRACE="${ANTENNA_SLURM_STOP_GRACE:-10}"

log() { echo "[slurm-stop] $*" >&2 || true; }

if [ ! -e "$PIDS" ]; then
  log "nothing to stop ($PIDS not found)"
  exit 0
fi

# One stop at a time (e.g. an explicit call and the EXIT trap); the second finds nothing left.
if command -v flock >/dev/null && exec 9>>"$STATE_DIR/.stop.lock" 2>/dev/null; then
  flock -w 120 9 || log "another stop.sh still holds $STATE_DIR/.stop.lock; going on"
  if [ ! -e "$PIDS" ]; then
    log "already stopped ($PIDS removed by the other stop)"
    exit 0
  fi
fi

# alive PID NAME: the PID exists and still runs the expected program
# (guards against PID reuse). NAME is e.g. slurmctld-jupiter -> slurmctld.
alive() {
  local pid="$1" prog="${2%%-*}" comm
  comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
  # A zombie has exited already (its reaper may be slow, e.g. in containers).
  [ "$(sed -E 's/^.*\) (\S+) .*$/\1/' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  # setsid/env/setpriv exec into the daemon; accept them during that instant.
  case "$comm" in
    "$prog"|setsid|env|setpriv) return 0 ;;
    *) return 1 ;;
  esac
}

# 1. Cancel jobs while slurmctld/slurmd are still up.
for conf in "$STATE_DIR"/*/etc/slurm.conf; do
  [ -e "$conf" ] || continue
  name="$(basename "$(dirname "$(dirname "$conf")")")"
  ctld_alive=0
  while read -r pid pname; do
    [ "$pname" = "slurmctld-$name" ] && alive "$pid" "$pname" && ctld_alive=1
  done < "$PIDS"
  [ $ctld_alive = 1 ] || continue
  if [ -n "$(SLURM_CONF="$conf" timeout 10 squeue -h -o %i 2>/dev/null)" ]; then
    log "cancelling jobs on $name"
    SLURM_CONF="$conf" timeout 10 scancel \
      $(SLURM_CONF="$conf" timeout 10 squeue -h -o %i 2>/dev/null) >/dev/null 2>&1 || true
    for _ in $(seq 1 25); do
      [ -z "$(SLURM_CONF="$conf" timeout 5 squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
done

# 2. Stop the daemons: REST and slurmd first, then slurmctld, slurmdbd,
#    MariaDB, munged (reverse start order).
mapfile -t entries < <(tac "$PIDS")
order=(slurmrestd slurmd slurmctld slurmdbd mariadbd munged)
for prog in "${order[@]}"; do
  group=()
  for e in "${entries[@]}"; do
    read -r pid pname <<<"$e"
    [ -n "${pid:-}" ] || continue
    [ "${pname%%-*}" = "$prog" ] || continue
    if alive "$pid" "$pname"; then
      kill -TERM "$pid" 2>/dev/null && group+=("$pid:$pname")
    fi
  done
  [ ${#group[@]} -gt 0 ] || continue
  deadline=$((SECONDS + GRACE))
  while :; do
    left=()
    for g in "${group[@]}"; do
      alive "${g%%:*}" "${g#*:}" && left+=("$g")
    done
    [ ${#left[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for g in "${left[@]}"; do
        log "${g#*:} (pid ${g%%:*}) ignored TERM; sending KILL"
        kill -KILL "${g%%:*}" 2>/dev/null || true
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
done

# 3. Leftover slurmstepd (job steps) using files of this STATE_DIR, and the
#    job processes under them.
descendants() {
  local p c
  for p in "$@"; do
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
      echo "$c"; descendants "$c"
    done
  done
}
steps=()
for d in /proc/[0-9]*; do
  p="${d#/proc/}"
  [ "$(cat "$d/comm" 2>/dev/null)" = slurmstepd ] || continue
  if ls -l "/proc/$p/fd" "/proc/$p/cwd" 2>/dev/null | grep -q -- "$STATE_DIR/"; then
    steps+=("$p")
  fi
done
if [ ${#steps[@]} -gt 0 ]; then
  victims=("${steps[@]}" $(descendants "${steps[@]}"))
  log "killing leftover job steps: ${victims[*]}"
  kill -KILL "${victims[@]}" 2>/dev/null || true
fi

rm -f "$PIDS"
log "stopped ($STATE_DIR)"
exit 0
