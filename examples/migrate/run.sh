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
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true SKYFLEET_LOG_LEVEL="${SKYFLEET_LOG_LEVEL:-error}"
# shellcheck source=../lib/stand-in.sh
source "$ROOT/examples/lib/stand-in.sh"
mkdir -p "$WORK"
docker image inspect "$IMAGE" >/dev/null 2>&1 || bash "$ROOT/examples/hello/image/build.sh" 1

start_stand_in --aws --gcp
write_fleet
sed "s#image: hello/web:1#image: $IMAGE#; s#port: 18090#port: $LB_PORT#" "$ROOT/examples/migrate/web.yaml" >"$WORK/web.yaml"

sf apply -f "$WORK/web.yaml"
# the controller runs the load balancer and keeps the deployment converged
start_controller
until curl -fsS "http://127.0.0.1:$LB_PORT/" >/dev/null 2>&1; do sleep 0.2; done

# a load loop: one status code a line
(while :; do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$LB_PORT/" || echo 000; done) >"$WORK/codes" &
LOAD=$!
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
