#!/usr/bin/env bash
# Installs and starts what skyfleet's demo and tests need on a Debian machine: Docker's engine,
# a static busybox (test images are built FROM scratch with it: no registry needed), nginx (the
# nginx data plane), Chromium (the dashboard's browser tests), and Node packages (keeping a better-sqlite3 compiled offline for the next checkout). Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/bin/busybox ] && /usr/bin/busybox --list 2>/dev/null | grep -qx httpd || need+=(busybox-static)
# the nginx data plane (service.dataPlane: nginx) and its tests
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
# the dashboard's browser tests (test/browser: playwright-core drives Debian's Chromium)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  $SUDO sh -c 'nohup dockerd >/tmp/skyfleet-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /tmp/skyfleet-dockerd.log" >&2; exit 1; }
fi

if [ -n "${CI:-}" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# offline, better-sqlite3 compiled from source: keep that build for the next checkout's npm ci
node scripts/keep-native-builds.mjs

bash scripts/start-postgres.sh
