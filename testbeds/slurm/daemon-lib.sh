# Shared by testbeds/slurm/daemon.sh (22.05) and testbeds/slurm24/daemon.sh (24.11): stop or
# start ONE daemon recorded in a testbed's pids file. Sourced; the caller sets
#   PIDS      the pids file ("PID KEY" lines; stop.sh stops what it lists)
#   KEY       this daemon's key in it (e.g. `slurmctld-lumi`, or `slurmctld`)
#   DAEMON    the daemon's process name (slurmdbd, slurmctld, slurmrestd)
#   WRAPPERS  the launcher names that exec into it, accepted for that instant (setsid env ...)
#   TIMEOUT   seconds to wait for it to answer
# and defines log(). daemon_start LOGFILE CMD... then daemon_wait_until PROBE.

daemon_recorded() { awk -v n="$KEY" '$2 == n { print $1 }' "$PIDS" | tail -n 1; }

daemon_running() {
  local p comm w; p="$(daemon_recorded)"; [ -n "$p" ] || return 1
  comm="$(cat "/proc/$p/comm" 2>/dev/null)" || return 1
  for w in "$DAEMON" $WRAPPERS; do [ "$comm" = "$w" ] && return 0; done
  return 1
}

# TERM to the recorded PID (slurmctld saves its state on TERM), KILL after 10 s, line removed.
daemon_stop() {
  local pid; pid="$(daemon_recorded)"
  if [ -z "$pid" ]; then log "$KEY is not recorded as running"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then log "$KEY ignored TERM; KILL"; kill -KILL "$pid" || true; fi
  awk -v n="$KEY" '$2 != n' "$PIDS" > "$PIDS.tmp" && mv "$PIDS.tmp" "$PIDS"
  log "stopped $KEY (pid $pid)"
}

# Refuse to start a daemon that runs already (exit 1).
daemon_refuse_if_running() {
  if daemon_running; then log "$KEY runs already (pid $(daemon_recorded))"; exit 1; fi
}

# daemon_start LOGFILE CMD...: in its own session, with a clean environment, PID recorded.
daemon_start() {
  local logf="$1"; shift
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" \
    >>"$logf" 2>&1 </dev/null &
  echo "$! $KEY" >> "$PIDS"
}

# daemon_wait_until PROBE [LOGDIR]: until PROBE succeeds; exit 1 if the daemon dies or TIMEOUT.
daemon_wait_until() {
  local probe="$1" logdir="${2:-}" deadline=$((SECONDS + TIMEOUT))
  until "$probe"; do
    daemon_running || { log "$KEY exited; see $logdir"; exit 1; }
    [ $SECONDS -lt $deadline ] || { log "$KEY not ready after ${TIMEOUT}s"; exit 1; }
    sleep 0.2
  done
  log "started $KEY (pid $(daemon_recorded))"
}
