#!/usr/bin/env bash
# Start the third loopback test cluster, `current`: Slurm 24.11 (Debian 13 packages) inside the
# debootstrap chroot made by install.sh, with fake GPUs, slurmdbd on the host's MariaDB
# (a MariaDB 10.11 of its own on 127.0.0.1:3317: slurmdbd 24.11 refuses Debian 13's 11.8) and
# slurmrestd (JWT) serving /slurm/v0.0.4x and /slurmdb/v0.0.4x. No munge: auth/slurm.
#
#   bash testbeds/slurm24/start.sh [STATE_DIR]     (default /tmp/antenna-slurm24)
#
# Writes STATE_DIR/env (the same keys as testbeds/slurm, cluster CURRENT), STATE_DIR/pids and
# STATE_DIR/mounts (what stop.sh kills and unmounts). STATE_DIR is bind-mounted into the
# chroot at the same path, so job directories, tokens and configs have one path inside and out.
# Knobs: ANTENNA_SLURM24_CHROOT (default /var/cache/antenna-slurm24/root),
# ANTENNA_SLURM_JOB_USER (default antenna), ANTENNA_SLURM_CLEAN=1, ANTENNA_SLURM_START_TIMEOUT.
set -euo pipefail
set +m

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
for v in $(compgen -e | grep -E '^(SLURM|SINFO|SQUEUE|SACCT|SACCTMGR|SCONTROL|SBATCH)_' || true); do
  unset "$v"
done
STATE_DIR="${1:-${ANTENNA_SLURM24_STATE_DIR:-/tmp/antenna-slurm24}}"
CHROOT="${ANTENNA_SLURM24_CHROOT:-/var/cache/antenna-slurm24/root}"
JOB_USER="${ANTENNA_SLURM_JOB_USER:-antenna}"
# A person's own account at the factory (identity mode per_user, docs/identity.md): jobs are
# submitted with root's token and X-SLURM-USER-NAME set to it.
SITE_USER="${ANTENNA_SLURM_SITE_USER:-antsite}"
REST_USER=slurmrest
TIMEOUT="${ANTENNA_SLURM_START_TIMEOUT:-60}"
TOKEN_LIFESPAN=$((10 * 365 * 24 * 3600))
DB_PASS=antenna-slurm24-db
# name partition node gpu_type gpus ctld slurmd dbd rest mariadb first_job_id
read -r NAME PART NODE GTYPE NGPU CTLD SLURMD DBD REST DBPORT FIRST \
  <<<"current gpu cur-n1 h100 4 6837 6838 6839 6840 3317 2000000"
# A second node of the same kind, its own slurmd on its own port (slurmd -N), so jobs over
# several nodes run for real (issue #9 part 5): 2 nodes x 4 GPUs.
NODE2=cur-n2
SLURMD2=6836

log() { echo "[slurm24-start] $*" >&2 || true; }
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$(pwd)/$STATE_DIR" ;; esac
case "$STATE_DIR" in /|"") log "refusing STATE_DIR=$STATE_DIR"; exit 2 ;; esac
if [ "$(id -u)" != 0 ]; then log "must run as root"; exit 1; fi
if [ ! -x "$CHROOT/usr/sbin/slurmctld" ]; then
  log "no Slurm in $CHROOT: run testbeds/slurm24/install.sh first"; exit 1
fi
for b in mariadbd mariadb-install-db mariadb-admin curl; do
  command -v "$b" >/dev/null || { log "$b not found on the host: run testbeds/slurm/install.sh"; exit 1; }
done

if [ -e "$STATE_DIR/pids" ] || [ -e "$STATE_DIR/mounts" ]; then
  log "stopping what an earlier start left running"
  bash "$HERE/stop.sh" "$STATE_DIR" || true
fi
if [ "${ANTENNA_SLURM_CLEAN:-0}" = 1 ]; then rm -rf "$STATE_DIR"; fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
busy=()
for p in "$DBPORT" "$CTLD" "$SLURMD" "$SLURMD2" "$DBD" "$REST"; do port_busy "$p" && busy+=("$p"); done
if [ ${#busy[@]} -gt 0 ]; then log "ports already in use on 127.0.0.1: ${busy[*]}"; exit 1; fi

# ---------------------------------------------------------------- users (same ids inside)
ensure_user() {
  local u="$1" home="$2"
  getent passwd "$u" >/dev/null && return 0
  if [ "$home" = /nonexistent ]; then
    useradd --system --user-group --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$u"
  else
    useradd --system --user-group --home-dir "$home" --create-home --shell /bin/bash "$u"
  fi
}
ensure_user "$REST_USER" /nonexistent
[ "$JOB_USER" = root ] || ensure_user "$JOB_USER" "/home/$JOB_USER"
ensure_user "$SITE_USER" "/home/$SITE_USER"
for u in "$REST_USER" "$JOB_USER" "$SITE_USER"; do
  [ "$u" = root ] && continue
  g="$(id -gn "$u")"
  sed -i "/^$u:/d" "$CHROOT/etc/passwd" "$CHROOT/etc/shadow"
  sed -i "/^$g:/d" "$CHROOT/etc/group"
  getent passwd "$u" >> "$CHROOT/etc/passwd"
  getent group "$g" >> "$CHROOT/etc/group"
  echo "$u:*:19000:0:99999:7:::" >> "$CHROOT/etc/shadow"
  home="$(getent passwd "$u" | cut -d: -f6)"
  [ "$home" = /nonexistent ] || { mkdir -p "$CHROOT$home"; chown "$u:$g" "$CHROOT$home"; }
done
cp /etc/hosts "$CHROOT/etc/hosts"

mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
: > "$STATE_DIR/pids"
: > "$STATE_DIR/mounts"
rm -f "$STATE_DIR/env"
cd "$STATE_DIR"
WORK_DIR="$STATE_DIR/work"
mkdir -p "$WORK_DIR"
chmod 1777 "$WORK_DIR"

STARTED=()
start_bg() {  # NAME LOGFILE CMD... : detached, minimal environment, PID recorded
  local name="$1" logf="$2"; shift 2
  [ -e "$logf" ] || : > "$logf"
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" \
    >>"$logf" 2>&1 </dev/null &
  echo "$! $name" >> "$STATE_DIR/pids"
  STARTED+=("$name:$logf")
  eval "PID_${name//-/_}=$!"
}
fail() {
  log "ERROR: $*"
  local item
  for item in "${STARTED[@]}"; do
    echo "----- ${item%%:*} (${item#*:}), last 30 lines -----" >&2
    tail -n 30 "${item#*:}" >&2 2>/dev/null || true
  done
  for f in "$STATE_DIR"/log/*.log; do
    [ -e "$f" ] || continue; echo "----- $f -----" >&2; tail -n 30 "$f" >&2 || true
  done
  exit 1
}
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
wait_for() {  # DESCRIPTION PID -- CMD...
  local what="$1" pid="$2"; shift 3
  local deadline=$((SECONDS + TIMEOUT)) out
  while true; do
    if out="$("$@" 2>&1)"; then log "$what ready (${SECONDS}s)"; return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "$what: the daemon (pid $pid) exited; last probe said: $out"
    [ $SECONDS -lt $deadline ] || fail "$what: not ready after ${TIMEOUT}s; last probe said: $out"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- mounts
mount_once() {  # TARGET MOUNT-ARGS...
  local target="$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  echo "$target" >> "$STATE_DIR/mounts"
}
mount_once "$CHROOT/proc" -t proc proc
mount_once "$CHROOT/dev" --bind /dev
mount_once "$CHROOT$STATE_DIR" --bind "$STATE_DIR"
IN_ROOT=(chroot "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
         SLURM_CONF="$STATE_DIR/etc/slurm.conf")
in_root() { "${IN_ROOT[@]}" "$@"; }

# ---------------------------------------------------------------- MariaDB (host's 10.11)
DB_DIR="$STATE_DIR/mariadb"
DB_SOCKET="$DB_DIR/mysqld.sock"
mkdir -p "$DB_DIR"; chown mysql:mysql "$DB_DIR"; chmod 755 "$DB_DIR"
if [ ! -d "$DB_DIR/data/mysql" ]; then
  rm -rf "$DB_DIR/data"
  mariadb-install-db --no-defaults --user=mysql --datadir="$DB_DIR/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$DB_DIR/install.log" 2>&1 \
    || { cat "$DB_DIR/install.log" >&2; fail "mariadb-install-db failed"; }
fi
rm -f "$DB_SOCKET"
start_bg mariadbd "$DB_DIR/mariadbd.log" mariadbd --no-defaults --user=mysql \
  --datadir="$DB_DIR/data" --socket="$DB_SOCKET" --port="$DBPORT" --bind-address=127.0.0.1 \
  --skip-name-resolve --pid-file="$DB_DIR/mariadbd.pid" --skip-log-bin \
  --innodb-buffer-pool-size=128M --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
  --innodb-flush-log-at-trx-commit=2 --max-connections=100
wait_for "MariaDB" "$PID_mariadbd" -- mariadb-admin --no-defaults --socket="$DB_SOCKET" -uroot ping
mariadb --no-defaults --socket="$DB_SOCKET" -uroot -e "
  CREATE DATABASE IF NOT EXISTS slurm_acct_$NAME;
  CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
  GRANT ALL ON \`slurm_acct_$NAME\`.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;" \
  || fail "MariaDB: database and user"

# ---------------------------------------------------------------- configs
E="$STATE_DIR/etc"
mkdir -p "$E" "$STATE_DIR/ctld" "$STATE_DIR/spool" "$STATE_DIR/log" "$STATE_DIR/dev" "$STATE_DIR/run"
chmod 755 "$E" "$STATE_DIR/log" "$STATE_DIR/dev"
chmod 700 "$STATE_DIR/ctld"; chmod 755 "$STATE_DIR/spool"
[ -s "$E/slurm.key" ] || dd if=/dev/urandom of="$E/slurm.key" bs=1024 count=1 status=none
[ -s "$E/jwt.key" ] || dd if=/dev/urandom of="$E/jwt.key" bs=32 count=1 status=none
chmod 600 "$E/slurm.key" "$E/jwt.key"
for n in "$NODE" "$NODE2"; do
  mkdir -p "$STATE_DIR/dev/$n" "$STATE_DIR/spool/$n"
  chmod 755 "$STATE_DIR/dev/$n" "$STATE_DIR/spool/$n"  # job users reach their script in it
  for ((i = 0; i < NGPU; i++)); do
    dev="$STATE_DIR/dev/$n/nvidia$i"
    [ -e "$dev" ] || mknod "$dev" c 1 3 2>/dev/null || : > "$dev"
    chmod 666 "$dev"
  done
done
cat > "$E/slurm.conf" <<CONF
# Generated by testbeds/slurm24/start.sh -- test cluster "$NAME" (Slurm 24.11) on loopback.
ClusterName=$NAME
SlurmctldHost=localhost
SlurmctldPort=$CTLD
SlurmdPort=$SLURMD
SlurmUser=root
SlurmdUser=root
AuthType=auth/slurm
CredType=cred/slurm
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$E/jwt.key
StateSaveLocation=$STATE_DIR/ctld
SlurmdSpoolDir=$STATE_DIR/spool/%n
SlurmctldPidFile=$STATE_DIR/run/slurmctld.pid
SlurmdPidFile=$STATE_DIR/run/slurmd-%n.pid
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
FirstJobId=$FIRST
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
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
AccountingStoragePort=$DBD
AccountingStorageTRES=gres/gpu,gres/gpu:$GTYPE
# As the factories do: association limits are enforced, so an allocation's Slurm account
# (GrpTRESMins, GrpJobs=0 while suspended; docs/identity.md) really holds jobs back.
AccountingStorageEnforce=associations,limits,safe
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=localhost Port=$SLURMD CPUs=16 RealMemory=64000 Gres=gpu:$GTYPE:$NGPU State=UNKNOWN
NodeName=$NODE2 NodeAddr=127.0.0.1 NodeHostname=localhost Port=$SLURMD2 CPUs=16 RealMemory=64000 Gres=gpu:$GTYPE:$NGPU State=UNKNOWN
PartitionName=$PART Nodes=$NODE,$NODE2 Default=YES MaxTime=120 DefaultTime=60 State=UP OverSubscribe=NO
CONF
cat > "$E/gres.conf" <<CONF
AutoDetect=off
NodeName=$NODE Name=gpu Type=$GTYPE File=$STATE_DIR/dev/$NODE/nvidia[0-$((NGPU - 1))] Flags=nvidia_gpu_env
NodeName=$NODE2 Name=gpu Type=$GTYPE File=$STATE_DIR/dev/$NODE2/nvidia[0-$((NGPU - 1))] Flags=nvidia_gpu_env
CONF
echo "CgroupPlugin=disabled" > "$E/cgroup.conf"
cat > "$E/slurmdbd.conf" <<CONF
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD
SlurmUser=root
AuthType=auth/slurm
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$E/jwt.key
PidFile=$STATE_DIR/run/slurmdbd.pid
LogFile=$STATE_DIR/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_$NAME
CONF
chmod 644 "$E/slurm.conf" "$E/gres.conf" "$E/cgroup.conf"
chmod 600 "$E/slurmdbd.conf"

# ---------------------------------------------------------------- daemons
start_bg slurmdbd "$STATE_DIR/log/slurmdbd.out" "${IN_ROOT[@]}" slurmdbd -D -s
wait_for "slurmdbd" "$PID_slurmdbd" -- in_root sacctmgr -n -P show cluster
in_root sacctmgr -n -P show cluster format=cluster | grep -qx "$NAME" \
  || in_root sacctmgr -i add cluster "$NAME" >/dev/null || fail "sacctmgr add cluster"
in_root sacctmgr -n -P show account antenna format=account | grep -qx antenna \
  || in_root sacctmgr -i add account antenna cluster="$NAME" description=antenna \
       organization=antenna >/dev/null || fail "sacctmgr add account"
for u in "$JOB_USER" "$SITE_USER" root; do
  acct=antenna; [ "$u" = root ] && acct=root
  in_root sacctmgr -n -P show assoc where cluster="$NAME" user="$u" format=user | grep -qx "$u" \
    || in_root sacctmgr -i add user "$u" account="$acct" cluster="$NAME" >/dev/null \
    || fail "sacctmgr add user $u"
done

start_bg slurmctld "$STATE_DIR/log/slurmctld.out" "${IN_ROOT[@]}" slurmctld -D -i
ctld_up() { in_root scontrol ping | grep -q 'is UP'; }
wait_for "slurmctld" "$PID_slurmctld" -- ctld_up

node_idle() {
  local st; st="$(in_root sinfo -h -n "$1" -o %T)"
  case "$st" in
    idle|mixed|allocated) return 0 ;;
    down*|drain*|inval*) in_root scontrol update nodename="$1" state=resume >/dev/null 2>&1; return 1 ;;
    *) echo "$st"; return 1 ;;
  esac
}
# One after the other: both slurmds of the chroot bind /run/slurm/sack.socket (24.11), and
# two starting at the same instant can both find it taken (one then dies: "init_sack_conmgr:
# Unable to bind UNIX socket: Address already in use", seen 2026-12-03).
start_bg slurmd "$STATE_DIR/log/slurmd.out" "${IN_ROOT[@]}" slurmd -D -N "$NODE"
wait_for "slurmd (node $NODE idle)" "$PID_slurmd" -- node_idle "$NODE"
start_bg slurmd2 "$STATE_DIR/log/slurmd2.out" "${IN_ROOT[@]}" slurmd -D -N "$NODE2"
wait_for "slurmd (node $NODE2 idle)" "$PID_slurmd2" -- node_idle "$NODE2"

for u in "$JOB_USER" root; do
  tok="$(in_root scontrol token username="$u" lifespan=$TOKEN_LIFESPAN)" || fail "scontrol token $u"
  (umask 077; printf '%s\n' "${tok#SLURM_JWT=}" > "$STATE_DIR/token.$u")
done

: > "$STATE_DIR/log/slurmrestd.log"
chown "$REST_USER" "$STATE_DIR/log/slurmrestd.log"
start_bg slurmrestd "$STATE_DIR/log/slurmrestd.log" \
  chroot --userspec="$REST_USER:$REST_USER" "$CHROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/nonexistent LANG=C.UTF-8 SLURM_JWT=daemon SLURM_CONF="$E/slurm.conf" \
  slurmrestd -a rest_auth/jwt "127.0.0.1:$REST"
rest_ok() {
  curl -sf --max-time 5 -H "X-SLURM-USER-NAME: $JOB_USER" \
    -H "X-SLURM-USER-TOKEN: $(cat "$STATE_DIR/token.$JOB_USER")" "http://127.0.0.1:$REST$1"
}
wait_for "slurmrestd" "$PID_slurmrestd" -- rest_ok /slurm/v0.0.42/ping
wait_for "slurmrestd (slurmdb)" "$PID_slurmrestd" -- rest_ok /slurmdb/v0.0.42/associations

{
  echo "# Generated by testbeds/slurm24/start.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "export ANTENNA_SLURM_STATE_DIR='$STATE_DIR'"
  echo "export ANTENNA_SLURM_CLUSTERS='$NAME'"
  echo "export ANTENNA_SLURM_JOB_USER='$JOB_USER'"
  echo "export ANTENNA_SLURM_WORK_DIR='$WORK_DIR'"
  echo "export ANTENNA_SLURM_CHROOT='$CHROOT'"
  echo "export ANTENNA_SLURM_MARIADB_SOCKET='$DB_SOCKET'"
  echo "export ANTENNA_SLURM_MARIADB_PORT='$DBPORT'"
  U="$(echo "$NAME" | tr a-z A-Z)"
  echo "export ANTENNA_SLURM_${U}_URL='http://127.0.0.1:$REST'"
  echo "export ANTENNA_SLURM_${U}_CONF='$E/slurm.conf'"
  echo "export ANTENNA_SLURM_${U}_PARTITION='$PART'"
  echo "export ANTENNA_SLURM_${U}_USER='$JOB_USER'"
  echo "export ANTENNA_SLURM_${U}_TOKEN_FILE='$STATE_DIR/token.$JOB_USER'"
  echo "export ANTENNA_SLURM_${U}_ROOT_TOKEN_FILE='$STATE_DIR/token.root'"
  echo "export ANTENNA_SLURM_${U}_SITE_USER='$SITE_USER'"
  echo "export ANTENNA_SLURM_${U}_NODE='$NODE'"
  echo "export ANTENNA_SLURM_${U}_NODES='$NODE,$NODE2'"
  echo "export ANTENNA_SLURM_${U}_GPU_TYPE='$GTYPE'"
  echo "export ANTENNA_SLURM_${U}_GPUS_PER_NODE='$NGPU'"
  echo "export ANTENNA_SLURM_${U}_CPUS_PER_NODE='16'"
  echo "export ANTENNA_SLURM_${U}_LOG_DIR='$STATE_DIR/log'"
} > "$STATE_DIR/env.tmp"
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
DONE=1
log "ready in ${SECONDS}s: $NAME (Slurm $(in_root dpkg-query -W -f='${Version}' slurmctld))" \
    "http://127.0.0.1:$REST (partition $PART); source $STATE_DIR/env"
