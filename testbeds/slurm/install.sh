#!/usr/bin/env bash
# Install Slurm (22.05 on Debian 12), munge, slurmrestd (JWT), slurmdbd and
# MariaDB from Debian packages. Idempotent: does nothing when every package
# is already installed. The Debian-packaged services are stopped and disabled
# afterwards: testbeds/slurm/start.sh runs its own daemons by hand.
set -euo pipefail

PKGS=(munge slurm-wlm slurmctld slurmd slurm-client slurmrestd
      slurm-wlm-jwt-plugin slurmdbd slurm-wlm-mysql-plugin mariadb-server
      mariadb-client curl)
SERVICES=(slurmctld slurmd slurmdbd slurmrestd munge mariadb mysql)

log() { echo "[slurm-install] $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root"; exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  # dpkg -s exits 0 also for "deinstall ok config-files"; check the status.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  log "all packages already installed"
else
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep maintainer scripts from starting the services during install
  # (policy-rc.d exit 101 = "action forbidden"); only if none is in place.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  cleanup_policy() { if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup_policy EXIT
  # Update package lists when they are missing/stale or the install fails.
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get -o DPkg::Lock::Timeout=600 update -q </dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
  fi
fi

# Stop and disable the packaged services (they could hold ports 6817/6818/
# 6819/3306 or the default munge socket). Harmless when nothing runs.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for s in "${SERVICES[@]}"; do
    systemctl disable --now "$s" >/dev/null 2>&1 || true
  done
else
  for s in "${SERVICES[@]}"; do
    if [ -x "/etc/init.d/$s" ]; then
      "/etc/init.d/$s" stop >/dev/null 2>&1 || true
    fi
  done
fi
log "done ($(dpkg-query -W -f='${Version}' slurmctld 2>/dev/null || echo '?'))"
