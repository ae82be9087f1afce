# Sourced by the examples that run against `skyfleet emulate` (hybrid, migrate,
# canary-across-clouds): starts the stand-in, writes the fleet file, and removes everything on exit.
# The caller sets ROOT, WORK, FLEET, API_PORT and DP_PORT first.

sf() { node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" "$@"; }
CONTROLLER=""
LOAD=""
EMULATE=""

stand_in_cleanup() {
  [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
  sf delete web >/dev/null 2>&1 || true
  [ -n "$CONTROLLER" ] && kill "$CONTROLLER" 2>/dev/null && wait "$CONTROLLER" 2>/dev/null || true
  [ -n "$EMULATE" ] && kill -INT "$EMULATE" 2>/dev/null && wait "$EMULATE" 2>/dev/null || true
}

# start_stand_in --aws --gcp ...: the stand-in of those clouds, once ready; prints its first line
# (it says it is not the cloud)
start_stand_in() {
  node "$ROOT/bin/skyfleet.js" emulate "$@" --listen "127.0.0.1:$API_PORT" --data-plane-port "$DP_PORT" \
    --state-dir "$WORK/emulate" >"$WORK/emulate.log" 2>&1 &
  EMULATE=$!
  trap stand_in_cleanup EXIT
  until grep -q '^ready$' "$WORK/emulate.log"; do
    kill -0 "$EMULATE" 2>/dev/null || { cat "$WORK/emulate.log"; exit 1; }
    sleep 0.2
  done
  head -1 "$WORK/emulate.log"
}

# write_fleet [TARGET-LINE...]: the Fleet document: these targets, then those the stand-in printed
write_fleet() {
  {
    printf 'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: %s }\nstore: { path: %s }\ntargets:\n' "$FLEET" "$WORK/state.db"
    for line in "$@"; do printf '  - %s\n' "$line"; done
    cat "$WORK/emulate/targets.yaml"
  } >"$WORK/skyfleet.yaml"
}

# domains: where deployment web's replicas of its spec's revision are ready, as TARGET/ZONE=N ...
domains() { sf get | awk '$1 == "web"' | grep -o '[a-z]*/[a-z0-9-]*=[0-9]*' | tr '\n' ' '; }

# start_controller [FLAG...]: the controller (load balancer, rollouts, failover) in the background
start_controller() {
  node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" controller --metrics-address off "$@" \
    >"$WORK/controller.log" 2>&1 &
  CONTROLLER=$!
}
