#!/usr/bin/env bash
# Start two independent Slurm clusters on loopback, `jupiter` and `lumi`,
# with fake GPUs, slurmdbd/MariaDB accounting and slurmrestd (JWT auth).
#
#   bash testbeds/slurm/start.sh [STATE_DIR]      (default /tmp/antenna-slurm)
#
# Writes STATE_DIR/env (shell-sourceable, see README.md) and STATE_DIR/pids
# ("PID NAME" per line; testbeds/slurm/stop.sh kills exactly those).
# Anything still running from an earlier start on the same STATE_DIR is
# stopped first. The MariaDB data, the slurmctld state (job ids) and the JWT
# keys are kept across restarts; ANTENNA_SLURM_CLEAN=1 wipes STATE_DIR first.
#
# Environment knobs:
#   ANTENNA_SLURM_JOB_USER   user the tokens are made for (default: antenna; created
#                    if missing; "root" also works)
#   ANTENNA_SLURM_CLEAN=1    remove STATE_DIR before starting
#   ANTENNA_SLURM_START_TIMEOUT  seconds to wait for each readiness step (default 60)
set -euo pipefail
set +m

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
# Slurm clients read SLURM_* (e.g. SLURM_CLUSTERS, SLURM_CONF) and *_FORMAT
# variables: do not let the caller's environment change what we run.
for v in $(compgen -e | grep -E '^(SLURM|SINFO|SQUEUE|SACCT|SACCTMGR|SCONTROL|SBATCH|SRUN|SALLOC)_' || true); do
  unset "$v"
done
STATE_DIR="${1:-${ANTENNA_SLURM_STATE_DIR:-/tmp/antenna-slurm}}"
JOB_USER="${ANTENNA_SLURM_JOB_USER:-antenna}"
REST_USER=slurmrest
TIMEOUT="${ANTENNA_SLURM_START_TIMEOUT:-60}"
TOKEN_LIFESPAN=$((10 * 365 * 24 * 3600))
MARIADB_PORT=3307
DB_PASS=antenna-slurm-db

# name  partition  node     gpu_type gpus ctld  slurmd dbd  rest  first_job_id
CLUSTERS=(
  "jupiter booster    jup-n1  gh200  4 6817 6818 6819 6820 1000"
  "lumi    standard-g lumi-n1 mi250x 8 6827 6828 6829 6830 500000"
)

log() { echo "[slurm-start] $*" >&2 || true; }

case "$STATE_DIR" in
  /*) ;;
  *) STATE_DIR="$(pwd)/$STATE_DIR" ;;
esac
if [ "$STATE_DIR" = / ] || [ -z "$STATE_DIR" ]; then
  log "refusing STATE_DIR=$STATE_DIR"; exit 2
fi
if [ "$(id -u)" != 0 ]; then
  log "must run as root"; exit 1
fi
for b in munged slurmctld slurmd slurmdbd slurmrestd sacctmgr scontrol mariadbd mariadb-install-db curl setpriv; do
  if ! command -v "$b" >/dev/null 2>&1; then
    log "$b not found: run testbeds/slurm/install.sh first"; exit 1
  fi
done

# ---------------------------------------------------------------- cleanup
if [ -e "$STATE_DIR/pids" ]; then
  log "stopping what an earlier start left running"
  bash "$HERE/stop.sh" "$STATE_DIR" || true
fi
if [ "${ANTENNA_SLURM_CLEAN:-0}" = 1 ]; then
  rm -rf "$STATE_DIR"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
busy=()
for p in $MARIADB_PORT; do port_busy "$p" && busy+=("$p"); done
for c in "${CLUSTERS[@]}"; do
  read -r _ _ _ _ _ ctld slurmd dbd rest _ <<<"$c"
  for p in "$ctld" "$slurmd" "$dbd" "$rest"; do port_busy "$p" && busy+=("$p"); done
done
if [ ${#busy[@]} -gt 0 ]; then
  log "ports already in use on 127.0.0.1: ${busy[*]}"
  log "(another Slurm/MariaDB is running: stop it, e.g. testbeds/slurm/stop.sh <its state dir>)"
  ss -ltnp 2>/dev/null | grep -E ":($(IFS='|'; echo "${busy[*]}"))\b" >&2 || true
  exit 1
fi

# ---------------------------------------------------------------- users
ensure_user() {
  local u="$1" home="$2"
  if ! getent passwd "$u" >/dev/null; then
    if [ "$home" = /nonexistent ]; then
      useradd --system --user-group --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$u"
    else
      useradd --system --user-group --home-dir "$home" --create-home --shell /bin/bash "$u"
    fi
    log "created user $u"
  fi
}
ensure_user "$REST_USER" /nonexistent
if [ "$JOB_USER" != root ]; then
  ensure_user "$JOB_USER" "/home/$JOB_USER"
fi

mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
# MariaDB runs as mysql, slurmrestd as $REST_USER, jobs as $JOB_USER: all of
# them must be able to reach STATE_DIR (e.g. not below a 0700 /root).
for u in mysql "$REST_USER" "$JOB_USER"; do
  if ! setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups test -x "$STATE_DIR"; then
    log "user $u cannot enter $STATE_DIR: use a STATE_DIR whose parents are world-searchable (e.g. under /tmp)"
    exit 1
  fi
done
: > "$STATE_DIR/pids"
rm -f "$STATE_DIR/env"
# Daemons inherit the working directory: keep them out of the caller's tree.
cd "$STATE_DIR"
WORK_DIR="$STATE_DIR/work"
mkdir -p "$WORK_DIR"
chmod 1777 "$WORK_DIR"

# ---------------------------------------------------------------- helpers
STARTED=()   # "name logfile" for diagnostics

# start_bg NAME LOGFILE CMD... : run CMD (a daemon in its foreground mode)
# detached in its own session with a minimal environment (plus SLURM_CONF if
# set for the call), and record its PID.
start_bg() {
  local name="$1" logf="$2"; shift 2
  : > "$logf"
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    ${SLURM_CONF:+SLURM_CONF="$SLURM_CONF"} "$@" >>"$logf" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $name" >> "$STATE_DIR/pids"
  STARTED+=("$name:$logf")
  eval "PID_${name//-/_}=$pid"
}

dump_logs() {
  local item name logf
  for item in "${STARTED[@]}"; do
    name="${item%%:*}"; logf="${item#*:}"
    echo "----- $name ($logf), last 30 lines -----" >&2
    tail -n 30 "$logf" >&2 2>/dev/null || true
  done
  for f in "$@"; do
    [ -e "$f" ] || continue
    echo "----- $f, last 30 lines -----" >&2
    tail -n 30 "$f" >&2 || true
  done
}

fail() {
  log "ERROR: $*"
  dump_logs
  exit 1   # on_exit stops what was started
}

# Whatever makes this script end before everything is ready (a failed check,
# an unexpected error, Ctrl-C, a closed pipe) stops what it has started.
DONE=0
on_exit() {
  local rc=$?
  set +e
  if [ "$DONE" != 1 ]; then
    log "start failed (rc=$rc): stopping what was started"
    bash "$HERE/stop.sh" "$STATE_DIR" >&2 || true
    [ $rc -ne 0 ] || rc=1
  fi
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap '' PIPE

# wait_for DESCRIPTION PIDVAR-NAMES -- CMD... : poll CMD until it succeeds.
wait_for() {
  local what="$1"; shift
  local pids=()
  while [ "$1" != -- ]; do pids+=("$1"); shift; done
  shift
  local deadline=$((SECONDS + TIMEOUT)) p out
  while true; do
    if out="$("$@" 2>&1)"; then return 0; fi
    for p in "${pids[@]}"; do
      if ! kill -0 "$p" 2>/dev/null; then
        fail "$what: the daemon (pid $p) exited; last probe ($*) said: $out"
      fi
    done
    if [ $SECONDS -ge $deadline ]; then
      fail "$what: not ready after ${TIMEOUT}s; last probe ($*) said: $out"
    fi
    sleep 0.2
  done
}
# wait_for, then say how long it has taken so far
ready() { wait_for "$@"; log "$1 ready (${SECONDS}s)"; }

# ---------------------------------------------------------------- munge
MUNGE_DIR="$STATE_DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"
mkdir -p "$MUNGE_DIR"
chmod 755 "$MUNGE_DIR"
if [ ! -s "$MUNGE_DIR/munge.key" ]; then
  dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$MUNGE_DIR/munge.key"
rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
start_bg munged "$MUNGE_DIR/munged.log" munged --foreground --force \
  --socket="$MUNGE_SOCKET" --key-file="$MUNGE_DIR/munge.key" \
  --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" \
  --seed-file="$MUNGE_DIR/munged.seed"
munge_ok() { munge -n --socket="$MUNGE_SOCKET" | unmunge --socket="$MUNGE_SOCKET"; }
ready "munged" "$PID_munged" -- munge_ok

# ---------------------------------------------------------------- MariaDB
DB_DIR="$STATE_DIR/mariadb"
DB_SOCKET="$DB_DIR/mysqld.sock"
mkdir -p "$DB_DIR"
chown mysql:mysql "$DB_DIR"
chmod 755 "$DB_DIR"
if [ ! -d "$DB_DIR/data/mysql" ]; then
  log "initialising MariaDB in $DB_DIR/data"
  rm -rf "$DB_DIR/data"
  if ! mariadb-install-db --no-defaults --user=mysql --datadir="$DB_DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$DB_DIR/install.log" 2>&1; then
    cat "$DB_DIR/install.log" >&2
    fail "mariadb-install-db failed"
  fi
fi
rm -f "$DB_SOCKET"
start_bg mariadbd "$DB_DIR/mariadbd.log" mariadbd --no-defaults \
  --user=mysql --datadir="$DB_DIR/data" --socket="$DB_SOCKET" \
  --port=$MARIADB_PORT --bind-address=127.0.0.1 --skip-name-resolve \
  --pid-file="$DB_DIR/mariadbd.pid" \
  --skip-log-bin --innodb-buffer-pool-size=128M --innodb-log-file-size=64M \
  --innodb-lock-wait-timeout=900 --innodb-flush-log-at-trx-commit=2 \
  --max-connections=200
ready "MariaDB" "$PID_mariadbd" -- mariadb-admin --no-defaults --socket="$DB_SOCKET" -uroot ping
sql() { mariadb --no-defaults --socket="$DB_SOCKET" -uroot -e "$1"; }
for c in "${CLUSTERS[@]}"; do
  read -r name _ <<<"$c"
  sql "CREATE DATABASE IF NOT EXISTS slurm_acct_${name};" || fail "MariaDB: create database"
done
sql "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
     CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
     GRANT ALL ON \`slurm_acct_%\`.* TO 'slurm'@'127.0.0.1';
     GRANT ALL ON \`slurm_acct_%\`.* TO 'slurm'@'localhost';
     FLUSH PRIVILEGES;" || fail "MariaDB: create user"

# ---------------------------------------------------------------- configs
write_configs() {
  local name="$1" part="$2" node="$3" gtype="$4" ngpu="$5" ctld="$6" slurmd="$7" dbd="$8" first="$9"
  local d="$STATE_DIR/$name"
  mkdir -p "$d/etc" "$d/ctld" "$d/spool" "$d/dbd" "$d/log" "$d/dev" "$d/run"
  chmod 755 "$d" "$d/etc" "$d/log" "$d/dev"
  chmod 700 "$d/ctld" "$d/spool" "$d/dbd"

  # JWT key (HS256), kept across restarts so tokens stay valid.
  if [ ! -s "$d/etc/jwt.key" ]; then
    dd if=/dev/urandom of="$d/etc/jwt.key" bs=32 count=1 status=none
  fi
  chmod 600 "$d/etc/jwt.key"

  # Fake GPU devices: character devices with /dev/null's numbers.
  local i dev
  for ((i = 0; i < ngpu; i++)); do
    dev="$d/dev/nvidia$i"
    if [ ! -e "$dev" ]; then
      mknod "$dev" c 1 3 2>/dev/null || { log "mknod failed, using a plain file for $dev"; : > "$dev"; }
    fi
    chmod 666 "$dev"
  done

  local gpu_flags=""
  case "$gtype" in
    mi250x) gpu_flags=" Flags=amd_gpu_env" ;;
    *) gpu_flags=" Flags=nvidia_gpu_env" ;;
  esac

  cat > "$d/etc/slurm.conf" <<EOF
# Generated by testbeds/slurm/start.sh -- test cluster "$name" on loopback.
ClusterName=$name
SlurmctldHost=localhost
SlurmctldPort=$ctld
SlurmdPort=$slurmd
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$d/etc/jwt.key
StateSaveLocation=$d/ctld
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
FirstJobId=$first
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
LaunchParameters=use_interactive_step
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
PriorityType=priority/basic
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=1
MinJobAge=300
MessageTimeout=10
OverTimeLimit=0
Waittime=0
SlurmdParameters=config_overrides
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageTRES=gres/gpu,gres/gpu:$gtype
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=localhost Port=$slurmd CPUs=16 RealMemory=64000 Gres=gpu:$gtype:$ngpu State=UNKNOWN
PartitionName=$part Nodes=$node Default=YES MaxTime=120 DefaultTime=60 State=UP OverSubscribe=NO
EOF

  cat > "$d/etc/gres.conf" <<EOF
AutoDetect=off
NodeName=$node Name=gpu Type=$gtype File=$d/dev/nvidia[0-$((ngpu - 1))]$gpu_flags
EOF

  cat > "$d/etc/slurmdbd.conf" <<EOF
# Generated by testbeds/slurm/start.sh
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$d/etc/jwt.key
PidFile=$d/run/slurmdbd.pid
LogFile=$d/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$MARIADB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_$name
EOF
  chmod 644 "$d/etc/slurm.conf" "$d/etc/gres.conf"
  chmod 600 "$d/etc/slurmdbd.conf"
}

for c in "${CLUSTERS[@]}"; do
  read -r name part node gtype ngpu ctld slurmd dbd rest first <<<"$c"
  write_configs "$name" "$part" "$node" "$gtype" "$ngpu" "$ctld" "$slurmd" "$dbd" "$first"
done

conf() { echo "$STATE_DIR/$1/etc/slurm.conf"; }

# ---------------------------------------------------------------- slurmdbd
for c in "${CLUSTERS[@]}"; do
  read -r name _ <<<"$c"
  d="$STATE_DIR/$name"
  SLURM_CONF="$(conf "$name")" start_bg "slurmdbd-$name" "$d/log/slurmdbd.out" \
    slurmdbd -D -s
  STARTED+=("slurmdbd-$name-log:$d/log/slurmdbd.log")
done
for c in "${CLUSTERS[@]}"; do
  read -r name part node _ <<<"$c"
  pidvar="PID_slurmdbd_$name"
  ready "slurmdbd ($name)" "${!pidvar}" -- \
    env SLURM_CONF="$(conf "$name")" sacctmgr -n -P show cluster
  # Cluster, account and association for the job user (idempotent).
  export SLURM_CONF; SLURM_CONF="$(conf "$name")"
  if ! sacctmgr -n -P show cluster format=cluster | grep -qx "$name"; then
    sacctmgr -i add cluster "$name" >/dev/null || fail "sacctmgr add cluster $name"
  fi
  if ! sacctmgr -n -P show account antenna format=account | grep -qx antenna; then
    sacctmgr -i add account antenna cluster="$name" description=antenna organization=antenna >/dev/null \
      || fail "sacctmgr add account ($name)"
  fi
  for u in "$JOB_USER" root; do
    if ! sacctmgr -n -P show assoc where cluster="$name" user="$u" format=user | grep -qx "$u"; then
      acct=antenna; [ "$u" = root ] && acct=root
      sacctmgr -i add user "$u" account="$acct" cluster="$name" >/dev/null \
        || fail "sacctmgr add user $u ($name)"
    fi
  done
  unset SLURM_CONF
done

# ---------------------------------------------------------------- slurmctld
for c in "${CLUSTERS[@]}"; do
  read -r name _ <<<"$c"
  d="$STATE_DIR/$name"
  SLURM_CONF="$(conf "$name")" start_bg "slurmctld-$name" "$d/log/slurmctld.out" \
    slurmctld -D -f "$(conf "$name")"
  STARTED+=("slurmctld-$name-log:$d/log/slurmctld.log")
done
for c in "${CLUSTERS[@]}"; do
  read -r name _ <<<"$c"
  pidvar="PID_slurmctld_$name"
  ping_ok() { SLURM_CONF="$(conf "$1")" scontrol ping | grep -q 'is UP'; }
  ready "slurmctld ($name)" "${!pidvar}" -- ping_ok "$name"
done

# ---------------------------------------------------------------- slurmd
for c in "${CLUSTERS[@]}"; do
  read -r name part node _ <<<"$c"
  d="$STATE_DIR/$name"
  SLURM_CONF="$(conf "$name")" start_bg "slurmd-$name" "$d/log/slurmd.out" \
    slurmd -D -N "$node" -f "$(conf "$name")"
  STARTED+=("slurmd-$name-log:$d/log/slurmd.log")
done
for c in "${CLUSTERS[@]}"; do
  read -r name part node _ <<<"$c"
  pidvar="PID_slurmd_$name"
  node_idle() {
    local st
    st="$(SLURM_CONF="$(conf "$1")" sinfo -h -n "$2" -o %T)"
    case "$st" in
      idle|mixed|allocated) return 0 ;;
      down*|drain*|inval*) # a node left down by an earlier run: resume it
        SLURM_CONF="$(conf "$1")" scontrol update nodename="$2" state=resume >/dev/null 2>&1 || true
        return 1 ;;
      *) return 1 ;;
    esac
  }
  ready "slurmd ($name, node $node idle)" "${!pidvar}" -- node_idle "$name" "$node"
done

# ---------------------------------------------------------------- tokens
for c in "${CLUSTERS[@]}"; do
  read -r name _ <<<"$c"
  d="$STATE_DIR/$name"
  for u in "$JOB_USER" root; do
    tok="$(SLURM_CONF="$(conf "$name")" scontrol token username="$u" lifespan=$TOKEN_LIFESPAN)" \
      || fail "scontrol token ($name, $u)"
    tok="${tok#SLURM_JWT=}"
    (umask 077; printf '%s\n' "$tok" > "$d/token.$u")
  done
done

# ---------------------------------------------------------------- slurmrestd
for c in "${CLUSTERS[@]}"; do
  read -r name _ _ _ _ _ _ _ rest _ <<<"$c"
  d="$STATE_DIR/$name"
  : > "$d/log/slurmrestd.log"
  chown "$REST_USER" "$d/log/slurmrestd.log"
  start_bg "slurmrestd-$name" "$d/log/slurmrestd.log" \
    env SLURM_JWT=daemon SLURM_CONF="$(conf "$name")" HOME=/nonexistent \
    setpriv --reuid="$REST_USER" --regid="$REST_USER" --init-groups \
    slurmrestd -a rest_auth/jwt -s openapi/v0.0.38,openapi/dbv0.0.38 "127.0.0.1:$rest"
done
for c in "${CLUSTERS[@]}"; do
  read -r name _ _ _ _ _ _ _ rest _ <<<"$c"
  d="$STATE_DIR/$name"
  pidvar="PID_slurmrestd_$name"
  rest_ok() {
    curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $2" -H "X-SLURM-USER-TOKEN: $(cat "$3")" \
      "http://127.0.0.1:$1/slurm/v0.0.38/ping" | grep -q '"ping"'
  }
  ready "slurmrestd ($name)" "${!pidvar}" -- rest_ok "$rest" "$JOB_USER" "$d/token.$JOB_USER"
  rest_db_ok() {
    curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $2" -H "X-SLURM-USER-TOKEN: $(cat "$3")" \
      "http://127.0.0.1:$1/slurmdb/v0.0.38/associations" >/dev/null
  }
  ready "slurmrestd ($name, slurmdb endpoints)" "${!pidvar}" -- rest_db_ok "$rest" "$JOB_USER" "$d/token.$JOB_USER"
done

# ---------------------------------------------------------------- env file
{
  echo "# Generated by testbeds/slurm/start.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "export ANTENNA_SLURM_STATE_DIR='$STATE_DIR'"
  echo "export ANTENNA_SLURM_CLUSTERS='jupiter lumi'"
  echo "export ANTENNA_SLURM_JOB_USER='$JOB_USER'"
  echo "export ANTENNA_SLURM_WORK_DIR='$WORK_DIR'"
  echo "export ANTENNA_SLURM_MUNGE_SOCKET='$MUNGE_SOCKET'"
  echo "export ANTENNA_SLURM_MARIADB_SOCKET='$DB_SOCKET'"
  echo "export ANTENNA_SLURM_MARIADB_PORT='$MARIADB_PORT'"
  for c in "${CLUSTERS[@]}"; do
    read -r name part node gtype ngpu ctld slurmd dbd rest first <<<"$c"
    d="$STATE_DIR/$name"
    U="$(echo "$name" | tr a-z A-Z)"
    echo "export ANTENNA_SLURM_${U}_URL='http://127.0.0.1:$rest'"
    echo "export ANTENNA_SLURM_${U}_CONF='$d/etc/slurm.conf'"
    echo "export ANTENNA_SLURM_${U}_PARTITION='$part'"
    echo "export ANTENNA_SLURM_${U}_USER='$JOB_USER'"
    echo "export ANTENNA_SLURM_${U}_TOKEN_FILE='$d/token.$JOB_USER'"
    echo "export ANTENNA_SLURM_${U}_ROOT_TOKEN_FILE='$d/token.root'"
    echo "export ANTENNA_SLURM_${U}_NODE='$node'"
    echo "export ANTENNA_SLURM_${U}_GPU_TYPE='$gtype'"
    echo "export ANTENNA_SLURM_${U}_GPUS_PER_NODE='$ngpu'"
    echo "export ANTENNA_SLURM_${U}_CPUS_PER_NODE='16'"
    echo "export ANTENNA_SLURM_${U}_LOG_DIR='$d/log'"
  done
} > "$STATE_DIR/env.tmp"
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
DONE=1

log "ready in ${SECONDS}s: jupiter http://127.0.0.1:6820 (booster), lumi http://127.0.0.1:6830 (standard-g); source $STATE_DIR/env"
