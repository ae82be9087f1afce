#!/usr/bin/env bash
# Autoscaling on the local Docker engine. `skyfleet controller` serves web.yaml's listener on
# 127.0.0.1:8090 and runs its autoscaler; a load of 35 requests a second through the listener (at
# a target of 20 per replica) adds a replica, and when the load stops the deployment falls back
# to its minimum of 1. `skyfleet get` and the Autoscaling section of `skyfleet describe` show each
# step; everything is removed at the end. Run it after the quick start (which builds skyfleet):
#   bash examples/autoscale/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/examples/autoscale/load.js ] || { echo "skyfleet is not built: run npm run build (the quick start does)" >&2; exit 1; }

# The listener's port: 8090 as web.yaml says, unless $SKYFLEET_EXAMPLE_PORT moves it.
port="${SKYFLEET_EXAMPLE_PORT:-8090}"
sf() { node bin/skyfleet.js "$@"; }
step() { printf '\n== %s\n' "$*"; }
# READY of web in `skyfleet get`: ready/desired
ready() { sf get | awk '$1 == "web" { print $2 }'; }
# every replica of more than N ready
all_ready_above() { local r; r="$(ready)"; [ -n "$r" ] && [ "${r%/*}" = "${r#*/}" ] && [ "${r#*/}" -gt "$1" ]; }
ready_is() { [ "$(ready)" = "$1" ]; }
# the Autoscaling section of `skyfleet describe deployment web`
autoscaling() { sf describe deployment web | awk '/^Autoscaling:/ { on = 1 } /^Containers:/ { on = 0 } on'; }
# wait_for SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds, for SECONDS at most
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "gave up waiting for $what; skyfleet get says: $(ready)" >&2
      return 1
    fi
    sleep 1
  done
}

bash examples/hello/image/build.sh 1
tmp="$(mktemp -d "${TMPDIR:-/tmp}/skyfleet-autoscale-XXXXXX")"
# The fleet: examples/autoscale/skyfleet.yaml, unless $SKYFLEET_CONFIG names another; its state store
# in the temp folder (removed at the end with everything else), unless $SKYFLEET_STORE names another.
export SKYFLEET_CONFIG="${SKYFLEET_CONFIG:-$PWD/examples/autoscale/skyfleet.yaml}"
export SKYFLEET_STORE="${SKYFLEET_STORE:-$tmp/state.db}"
load=""
controller=""
cleanup() {
  local code=$?
  if [ -n "$load" ]; then kill "$load" 2>/dev/null || true; fi
  step "cleanup: delete the deployment, stop the controller"
  sf delete web || true
  if [ -n "$controller" ]; then
    kill "$controller" 2>/dev/null || true
    wait "$controller" 2>/dev/null || true
  fi
  if [ "$code" != 0 ]; then
    echo "the controller's log:" >&2
    tail -n 20 "$tmp/controller.log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "the controller: serves the listener and runs the autoscaler (a decision about every second)"
node bin/skyfleet.js controller --metrics-address off 2>"$tmp/controller.log" &
controller=$!

step "apply web.yaml: 1 replica, autoscaled between 1 and 4 at 20 requests a second each"
sed "s/port: 8090,/port: $port,/" examples/autoscale/web.yaml | sf apply -f -
sf get

step "35 requests a second through the listener on 127.0.0.1:$port: the autoscaler adds a replica"
node dist/examples/autoscale/load.js "$port" 35 &
load=$!
wait_for 45 "a second replica, ready" all_ready_above 1
sf get
autoscaling

step "the load stops: after the 5 s scale-down window, back to the minimum"
kill "$load"
wait "$load"
load=""
wait_for 45 "1 replica" ready_is 1/1
sf get
autoscaling

step "what the autoscaler did, and why"
sf get events --deployment web | awk 'NR == 1 || / Scaled(Up|Down) /'
