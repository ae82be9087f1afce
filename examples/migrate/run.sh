#!/usr/bin/env bash
# examples/migrate: a deployment moved from emulated AWS ECS to emulated Google Cloud Run while a
# load loop runs on 127.0.0.1, with no failed request, then moved back (the move undone). Offline:
# `skyfleet emulate` stands in for both clouds and runs their replicas as local containers. Run
# after the quick start (`bash examples/hello/run.sh`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${SKYFLEET_EXAMPLE_DIR:-$(mktemp -d /tmp/skyfleet-migrate-XXXXXX)}"
FLEET="${SKYFLEET_EXAMPLE_FLEET:-migrate}"
API_PORT="${SKYFLEET_EXAMPLE_API_PORT:-4566}"
DP_PORT="${SKYFLEET_EXAMPLE_DATA_PLANE_PORT:-4567}"
LB_PORT="${SKYFLEET_EXAMPLE_LB_PORT:-18090}"
IMAGE="${SKYFLEET_EXAMPLE_IMAGE:-hello/web:1}"
export AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING=1 SKYFLEET_LOG_LEVEL="${SKYFLEET_LOG_LEVEL:-error}"
sf() { node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" "$@"; }
mkdir -p "$WORK"
docker image inspect "$IMAGE" >/dev/null 2>&1 || bash "$ROOT/examples/hello/image/build.sh" 1

node "$ROOT/bin/skyfleet.js" emulate --aws --gcp --listen "127.0.0.1:$API_PORT" --data-plane-port "$DP_PORT" \
  --state-dir "$WORK/emulate" >"$WORK/emulate.log" 2>&1 &
EMULATE=$!
CONTROLLER=""
LOAD=""
cleanup() {
  [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
  sf delete web >/dev/null 2>&1 || true
  [ -n "$CONTROLLER" ] && kill "$CONTROLLER" 2>/dev/null && wait "$CONTROLLER" 2>/dev/null || true
  kill -INT "$EMULATE" 2>/dev/null && wait "$EMULATE" 2>/dev/null || true
}
trap cleanup EXIT
until grep -q '^ready$' "$WORK/emulate.log"; do
  kill -0 "$EMULATE" 2>/dev/null || { cat "$WORK/emulate.log"; exit 1; }
  sleep 0.2
done
head -1 "$WORK/emulate.log"
{
  printf 'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: %s }\nstore: { path: %s }\ntargets:\n' "$FLEET" "$WORK/state.db"
  cat "$WORK/emulate/targets.yaml"
} >"$WORK/skyfleet.yaml"
sed "s#image: hello/web:1#image: $IMAGE#; s#port: 18090#port: $LB_PORT#" "$ROOT/examples/migrate/web.yaml" >"$WORK/web.yaml"

sf apply -f "$WORK/web.yaml"
# the controller runs the load balancer and keeps the deployment converged
node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" controller --metrics-address off >"$WORK/controller.log" 2>&1 &
CONTROLLER=$!
until curl -fsS "http://127.0.0.1:$LB_PORT/" >/dev/null 2>&1; do sleep 0.2; done

# a load loop: one status code a line
(while :; do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$LB_PORT/" || echo 000; done) >"$WORK/codes" &
LOAD=$!
domains() { sf get | awk '$1 == "web"' | grep -o '[a-z]*/[a-z0-9-]*=[0-9]*' | tr '\n' ' '; }
echo "before: $(domains)"

sf migrate web --to gcp
echo "migrated: $(domains)"
sf migrate web --to aws
echo "undone: $(domains)"

kill "$LOAD"; wait "$LOAD" 2>/dev/null || true
LOAD=""
total=$(wc -l <"$WORK/codes")
failed=$(grep -vc '^200$' "$WORK/codes" || true)
echo "load: $total requests through 127.0.0.1:$LB_PORT, $failed failed"
[ "$failed" = 0 ]
