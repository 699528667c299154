#!/usr/bin/env bash
# Stop or start ONE daemon of ONE test cluster started by testbeds/slurm/start.sh, for the
# fault tests (slurmdbd down, slurmrestd or slurmctld restarted). The other cluster and the
# other daemons are not touched.
#
#   bash testbeds/slurm/daemon.sh stop|start slurmdbd|slurmctld|slurmrestd CLUSTER [STATE_DIR]
#
# stop:  TERM to the PID recorded in STATE_DIR/pids (KILL after 10 s), then the line is
#        removed; slurmctld saves its state on TERM, so a restart keeps every job.
# start: the same command line as start.sh, recorded in STATE_DIR/pids (stop.sh stops it),
#        and waits until the daemon answers (slurmrestd: its ping; slurmctld: scontrol ping;
#        slurmdbd: sacctmgr). Starting a daemon that runs already is an error.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
for v in $(compgen -e | grep -E '^(SLURM|SACCTMGR|SCONTROL)_' || true); do unset "$v"; done

action="${1:?stop|start}"; daemon="${2:?slurmdbd|slurmctld|slurmrestd}"; name="${3:?cluster}"
STATE_DIR="${4:-${ANTENNA_SLURM_STATE_DIR:-/tmp/antenna-slurm}}"
PIDS="$STATE_DIR/pids"
d="$STATE_DIR/$name"
conf="$d/etc/slurm.conf"
TIMEOUT="${ANTENNA_SLURM_START_TIMEOUT:-60}"
log() { echo "[slurm-daemon] $*" >&2; }

case "$daemon" in slurmdbd|slurmctld|slurmrestd) ;; *) log "unknown daemon $daemon"; exit 2 ;; esac
[ -e "$conf" ] || { log "no cluster $name in $STATE_DIR"; exit 2; }
[ -e "$PIDS" ] || { log "$PIDS missing: the clusters are not running"; exit 2; }

KEY="$daemon-$name"; DAEMON="$daemon"; WRAPPERS="setsid env setpriv"
# shellcheck source=testbeds/slurm/daemon-lib.sh
. "$(dirname "$0")/daemon-lib.sh"

if [ "$action" = stop ]; then daemon_stop; exit 0; fi
[ "$action" = start ] || { log "unknown action $action"; exit 2; }
daemon_refuse_if_running

# shellcheck disable=SC1091
. "$STATE_DIR/env"
U="$(echo "$name" | tr '[:lower:]' '[:upper:]')"
url_var="ANTENNA_SLURM_${U}_URL"; token_var="ANTENNA_SLURM_${U}_TOKEN_FILE"
url="${!url_var}"
case "$daemon" in
  slurmdbd)
    daemon_start "$d/log/slurmdbd.out" SLURM_CONF="$conf" slurmdbd -D -s
    probe() { SLURM_CONF="$conf" sacctmgr -n -P show cluster >/dev/null 2>&1; } ;;
  slurmctld)
    daemon_start "$d/log/slurmctld.out" SLURM_CONF="$conf" slurmctld -D -f "$conf"
    probe() { SLURM_CONF="$conf" scontrol ping 2>/dev/null | grep -q 'is UP'; } ;;
  slurmrestd)
    daemon_start "$d/log/slurmrestd.log" SLURM_CONF="$conf" env SLURM_JWT=daemon \
      SLURM_CONF="$conf" HOME=/nonexistent \
      setpriv --reuid=slurmrest --regid=slurmrest --init-groups \
      slurmrestd -a rest_auth/jwt -s openapi/v0.0.38,openapi/dbv0.0.38 "${url#http://}"
    probe() {
      curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $ANTENNA_SLURM_JOB_USER" \
        -H "X-SLURM-USER-TOKEN: $(cat "${!token_var}")" "$url/slurm/v0.0.38/ping" | grep -q '"ping"'
    } ;;
esac
daemon_wait_until probe "$d/log/"
