#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server on loopback for the tests.
#   scripts/postgres.sh start [DIR] [PORT]   -> prints the database URL on its last line
#   scripts/postgres.sh stop  [DIR]
# Needs Debian's postgresql package (the script installs it when apt-get is available).
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/antenna-pg}
# Below the kernel's ephemeral range (32768-60999 on Debian): a port in that range can be held
# by the local end of any outgoing loopback connection (Slurm, MariaDB, the tests), which the
# probe below cannot see and which makes the server's bind fail (CI, 2026-12-03).
port=${3:-25432}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] && [ "$action" = start ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "PostgreSQL is not installed: apt-get install postgresql" >&2
    exit 1
  fi
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      # Take the next free port if the asked one is busy (another server on this machine), and
      # the next one again if the bind still fails (a port held by a connection's local end).
      started=no
      for _ in $(seq 1 20); do
        for _ in $(seq 1 50); do
          (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
          port=$((port + 1))
        done
        if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
          >/dev/null; then
          started=yes
          break
        fi
        grep -q "Address already in use" "$dir/server.log" 2>/dev/null || break
        echo "port $port is taken; trying $((port + 1))" >&2
        : > "$dir/server.log"
        port=$((port + 1))
      done
      [ "$started" = yes ] || { cat "$dir/server.log" >&2; exit 1; }
      echo "$port" > "$dir/port"
    elif [ -f "$dir/port" ]; then
      port=$(cat "$dir/port")
    fi
    for _ in $(seq 1 60); do
      as_pg "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q && break
      sleep 0.5
    done
    as_pg "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/antenna"
    ;;
  stop)
    if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop [DIR] [PORT]" >&2
    exit 2
    ;;
esac
