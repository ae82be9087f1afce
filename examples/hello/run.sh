#!/usr/bin/env bash
# The quick start: set up the machine, build skyfleet and the example image, deploy 3 replicas of
# examples/hello to the local Docker engine and print their status and endpoints.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup-machine.sh
npm run build --silent
bash examples/hello/image/build.sh 1
sf() { node bin/skyfleet.js --config examples/hello/skyfleet.yaml "$@"; }
sf apply -f examples/hello/web.yaml
sf get
sf describe deployment web
