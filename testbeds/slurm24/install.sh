#!/usr/bin/env bash
# Install Slurm 24.11 (Debian 13 "trixie" packages) into a debootstrap chroot, for the third
# loopback test cluster `current` (see README.md). Idempotent: a chroot that already has
# slurmctld is reused as it is.
#
#   bash testbeds/slurm24/install.sh [CHROOT]     (default /var/cache/antenna-slurm24/root)
#
# Needs root, debootstrap on the host (apt-get install debootstrap) and Debian's archive
# (ANTENNA_SLURM24_MIRROR, default http://deb.debian.org/debian). Measured: debootstrap ~33 s,
# the Slurm packages ~9 s.
set -euo pipefail

CHROOT="${1:-${ANTENNA_SLURM24_CHROOT:-/var/cache/antenna-slurm24/root}}"
MIRROR="${ANTENNA_SLURM24_MIRROR:-http://deb.debian.org/debian}"
PKGS=(slurmctld slurmd slurmrestd slurm-client slurmdbd slurm-wlm-jwt-plugin
      slurm-wlm-mysql-plugin curl)

log() { echo "[slurm24-install] $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root"; exit 1
fi
if [ -x "$CHROOT/usr/sbin/slurmctld" ] && [ -x "$CHROOT/usr/sbin/slurmrestd" ] \
    && compgen -G "$CHROOT/usr/lib/*/slurm-wlm/accounting_storage_mysql.so" >/dev/null; then
  log "reusing $CHROOT ($(chroot "$CHROOT" dpkg-query -W -f='${Version}' slurmctld))"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  log "debootstrap not found: apt-get install debootstrap"; exit 1
fi
if grep -qs " $CHROOT/" /proc/mounts; then
  log "$CHROOT has mounts (a running cluster?): run testbeds/slurm24/stop.sh first"; exit 1
fi

start=$SECONDS
if [ ! -x "$CHROOT/usr/bin/apt-get" ]; then
  rm -rf "$CHROOT"
  mkdir -p "$(dirname "$CHROOT")"
  log "debootstrap --variant=minbase trixie $CHROOT $MIRROR"
  debootstrap --variant=minbase trixie "$CHROOT.tmp" "$MIRROR" >"$CHROOT.debootstrap.log" 2>&1 \
    || { tail -n 30 "$CHROOT.debootstrap.log" >&2; rm -rf "$CHROOT.tmp"; exit 1; }
  mv "$CHROOT.tmp" "$CHROOT"
  log "debootstrap done in $((SECONDS - start))s"
fi

# Keep maintainer scripts from starting daemons inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"
chmod 755 "$CHROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
step=$SECONDS
export DEBIAN_FRONTEND=noninteractive
chroot "$CHROOT" apt-get -q update </dev/null >"$CHROOT.apt.log" 2>&1 || true
if ! chroot "$CHROOT" apt-get install -y -q --no-install-recommends "${PKGS[@]}" \
      </dev/null >>"$CHROOT.apt.log" 2>&1; then
  tail -n 30 "$CHROOT.apt.log" >&2
  log "apt-get install in the chroot failed"; exit 1
fi
chroot "$CHROOT" apt-get clean
log "packages installed in $((SECONDS - step))s; total $((SECONDS - start))s" \
    "(slurm $(chroot "$CHROOT" dpkg-query -W -f='${Version}' slurmctld))"
