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

KEY="$daemon"; DAEMON="$daemon"; WRAPPERS="setsid env chroot"
# shellcheck source=testbeds/slurm/daemon-lib.sh
. "$(dirname "$0")/../slurm/daemon-lib.sh"

if [ "$action" = stop ]; then daemon_stop; exit 0; fi
[ "$action" = start ] || { log "unknown action $action"; exit 2; }
daemon_refuse_if_running

# shellcheck disable=SC1091
. "$STATE_DIR/env"
url="$ANTENNA_SLURM_CURRENT_URL"
IN_ROOT=(chroot "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
         SLURM_CONF="$conf")
case "$daemon" in
  slurmdbd)
    daemon_start "$STATE_DIR/log/slurmdbd.out" "${IN_ROOT[@]}" slurmdbd -D -s
    probe() { "${IN_ROOT[@]}" sacctmgr -n -P show cluster >/dev/null 2>&1; } ;;
  slurmctld)
    daemon_start "$STATE_DIR/log/slurmctld.out" "${IN_ROOT[@]}" slurmctld -D -i
    probe() { "${IN_ROOT[@]}" scontrol ping 2>/dev/null | grep -q 'is UP'; } ;;
  slurmrestd)
    daemon_start "$STATE_DIR/log/slurmrestd.log" \
      chroot --userspec=slurmrest:slurmrest "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/nonexistent LANG=C.UTF-8 SLURM_JWT=daemon SLURM_CONF="$conf" \
      slurmrestd -a rest_auth/jwt "${url#http://}"
    probe() {
      curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $ANTENNA_SLURM_JOB_USER" \
        -H "X-SLURM-USER-TOKEN: $(cat "$ANTENNA_SLURM_CURRENT_TOKEN_FILE")" \
        "$url/slurm/v0.0.42/ping" | grep -q '"pinged"'
    } ;;
esac
daemon_wait_until probe "$STATE_DIR/log/"
