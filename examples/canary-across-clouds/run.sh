#!/usr/bin/env bash
# examples/canary-across-clouds: version 1 on emulated AWS ECS; version 2 as a canary on emulated
# Google Cloud Run at 25% of the traffic, promoted by its analysis; then a bad version as a canary
# back on ECS, which its analysis rolls back by itself. A load loop runs on 127.0.0.1 throughout.
# Offline: `skyfleet emulate` stands in for both clouds and runs their replicas as local
# containers. Run after the quick start (`bash examples/hello/run.sh`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/examples/canary-across-clouds"
WORK="${SKYFLEET_EXAMPLE_DIR:-$(mktemp -d /tmp/skyfleet-canary-XXXXXX)}"
FLEET="${SKYFLEET_EXAMPLE_FLEET:-canary}"
API_PORT="${SKYFLEET_EXAMPLE_API_PORT:-4566}"
DP_PORT="${SKYFLEET_EXAMPLE_DATA_PLANE_PORT:-4567}"
LB_PORT="${SKYFLEET_EXAMPLE_LB_PORT:-18095}"
export AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING=1 SKYFLEET_LOG_LEVEL="${SKYFLEET_LOG_LEVEL:-error}"
sf() { node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" "$@"; }
mkdir -p "$WORK"
for v in 1 2 bad; do
  docker image inspect "hello/web:$v" >/dev/null 2>&1 || bash "$ROOT/examples/hello/image/build.sh" "$v"
done

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
for f in web web-canary web-bad; do sed "s#port: 18095#port: $LB_PORT#" "$HERE/$f.yaml" >"$WORK/$f.yaml"; done

echo "== version 1 on AWS ECS"
sf apply -f "$WORK/web.yaml"
# the controller runs the load balancer, the canary steps and their analysis
node "$ROOT/bin/skyfleet.js" --config "$WORK/skyfleet.yaml" controller --metrics-address off >"$WORK/controller.log" 2>&1 &
CONTROLLER=$!
until curl -fsS "http://127.0.0.1:$LB_PORT/version" >/dev/null 2>&1; do sleep 0.2; done
domains() { sf get | awk '$1 == "web"' | grep -o '[a-z]*/[a-z0-9-]*=[0-9]*' | tr '\n' ' '; }
# the versions 20 requests were answered by
versions() { for _ in $(seq 1 20); do curl -s "http://127.0.0.1:$LB_PORT/version"; done | sort -u | tr '\n' ' '; }
echo "serving: $(domains)"

# a load loop on `GET /`: one status code a line
(while :; do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$LB_PORT/" || echo 000; done) >"$WORK/codes" &
LOAD=$!
count() { wc -l <"$WORK/codes"; }
failed_between() { sed -n "$(($1 + 1)),$2p" "$WORK/codes" | grep -vc '^200$' || true; }
until [ "$(count)" -ge 20 ]; do sleep 0.2; done

echo "== version 2 as a canary on Google Cloud Run"
start=$(count)
sf apply -f "$WORK/web-canary.yaml" --no-wait
sf rollout status web -w --timeout 120s
end=$(count)
echo "promoted: $(domains)"
echo "answered by version $(versions)"
echo "requests during the canary: $((end - start)), $(failed_between "$start" "$end") failed"

echo "== a bad version as a canary on AWS ECS"
start=$(count)
sf apply -f "$WORK/web-bad.yaml" --no-wait
if sf rollout status web -w --timeout 120s; then
  echo "the bad canary was promoted"
  exit 1
fi
end=$(count)
echo "rolled back: answered by version $(versions)"
echo "requests during the bad canary: $((end - start)), $(failed_between "$start" "$end") failed"
# after the rollback every request is answered again
start=$(count)
until [ "$(count)" -ge $((start + 50)) ]; do sleep 0.2; done
echo "requests after the rollback: 50 and more, $(failed_between "$start" "$(count)") failed"
