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
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true SKYFLEET_LOG_LEVEL="${SKYFLEET_LOG_LEVEL:-error}"
# shellcheck source=../lib/stand-in.sh
source "$ROOT/examples/lib/stand-in.sh"
mkdir -p "$WORK"
for v in 1 2 bad; do
  docker image inspect "hello/web:$v" >/dev/null 2>&1 || bash "$ROOT/examples/hello/image/build.sh" "$v"
done

start_stand_in --aws --gcp
write_fleet
for f in web web-canary web-bad; do sed "s#port: 18095#port: $LB_PORT#" "$HERE/$f.yaml" >"$WORK/$f.yaml"; done

echo "== version 1 on AWS ECS"
sf apply -f "$WORK/web.yaml"
# the controller runs the load balancer, the canary steps and their analysis
start_controller
until curl -fsS "http://127.0.0.1:$LB_PORT/version" >/dev/null 2>&1; do sleep 0.2; done
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
