#!/usr/bin/env bash
# examples/hybrid: 6 replicas over this machine's Docker engine (at least 2) and two emulated clouds
# (AWS ECS in two zones, Google Cloud Run) behind one load balancer on 127.0.0.1; then an outage of
# zone us-east-1a in the stand-in: its task stops while the others keep serving every request, the
# replica runs in us-east-1b meanwhile, and moves back once the zone is back. Everything runs
# offline: `skyfleet emulate` stands in for the clouds, their replicas are local containers. Run
# after the quick start (`bash examples/hello/run.sh`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${SKYFLEET_EXAMPLE_DIR:-$(mktemp -d /tmp/skyfleet-hybrid-XXXXXX)}"
FLEET="${SKYFLEET_EXAMPLE_FLEET:-hybrid}"
API_PORT="${SKYFLEET_EXAMPLE_API_PORT:-4566}"
DP_PORT="${SKYFLEET_EXAMPLE_DATA_PLANE_PORT:-4567}"
LB_PORT="${SKYFLEET_EXAMPLE_LB_PORT:-18080}"
IMAGE="${SKYFLEET_EXAMPLE_IMAGE:-hello/web:1}"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true SKYFLEET_LOG_LEVEL="${SKYFLEET_LOG_LEVEL:-error}"
# shellcheck source=../lib/stand-in.sh
source "$ROOT/examples/lib/stand-in.sh"
mkdir -p "$WORK"
docker image inspect "$IMAGE" >/dev/null 2>&1 || bash "$ROOT/examples/hello/image/build.sh" 1

# 1. the stand-in of AWS and Google Cloud (its first line says it is not the cloud)
start_stand_in --aws --gcp

# 2. the fleet: local Docker plus the targets the stand-in printed
write_fleet '{ name: local, kind: docker, zone: this-machine }'
sed "s#image: hello/web:1#image: $IMAGE#; s#port: 18080#port: $LB_PORT#" "$ROOT/examples/hybrid/web.yaml" >"$WORK/web.yaml"

# 3. deploy, and keep it converged (failover needs the controller); shortened for the demo: it
# looks at the clouds every 3 s (default 30 s) and fails a zone over after 3 s of failures (20 s)
sf apply -f "$WORK/web.yaml"
start_controller --outage-after 3s --outage-cooldown 8s --resync 3s
sf get
wait_for() { # wait_for TEXT SECONDS: until `get` shows TEXT in the domains
  local deadline=$((SECONDS + $2))
  until domains | grep -q -- "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $1; domains: $(domains)"; exit 1; }
    sleep 0.5
  done
}
wait_for 'aws/us-east-1a=1' 30
echo "serving: $(domains)"
# every request on the load balancer is answered (by local containers, ECS tasks and Cloud Run)
for _ in $(seq 1 12); do curl -fsS "http://127.0.0.1:$LB_PORT/version" >/dev/null; done
echo "12 requests through 127.0.0.1:$LB_PORT: all answered"

# 4. a zone outage in the stand-in: the task in us-east-1a stops; the other replicas keep serving
node "$ROOT/bin/skyfleet.js" emulate outage us-east-1a --listen "127.0.0.1:$API_PORT"
wait_for 'aws/us-east-1a=0' 30
echo "zone down: $(domains)"
for _ in $(seq 1 12); do curl -fsS "http://127.0.0.1:$LB_PORT/version" >/dev/null; done
echo "12 requests through 127.0.0.1:$LB_PORT: all answered"
# ECS cannot start a task there (no capacity): the controller fails the zone over to us-east-1b
wait_for 'aws/us-east-1b=2' 60
echo "failed over: $(domains)"

# 5. the zone comes back: after the cooldown and the return window its replica moves back
node "$ROOT/bin/skyfleet.js" emulate outage us-east-1a --up --listen "127.0.0.1:$API_PORT"
wait_for 'aws/us-east-1a=1' 60
echo "returned: $(domains)"
for _ in $(seq 1 12); do curl -fsS "http://127.0.0.1:$LB_PORT/version" >/dev/null; done
echo "12 requests through 127.0.0.1:$LB_PORT: all answered"
