#!/usr/bin/env bash
# Continuous deployment from git on the local Docker engine. A git repository made here, in a temp
# folder (no network), holds deploy/web.yaml; `skyfleet sync` applies its head, a commit changing
# the image rolls out, a broken commit is refused naming the file and the field with nothing of it
# applied, and `rollout history` names the commit behind each revision. Everything is removed at
# the end. Run it after the quick start (which builds skyfleet): bash examples/gitops/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/src/cli/main.js ] || { echo "skyfleet is not built: run npm run build (the quick start does)" >&2; exit 1; }

sf() { node bin/skyfleet.js "$@"; }
step() { printf '\n== %s\n' "$*"; }

bash examples/hello/image/build.sh 1
bash examples/hello/image/build.sh 2

tmp="$(mktemp -d "${TMPDIR:-/tmp}/skyfleet-gitops-XXXXXX")"
# The fleet: examples/gitops/skyfleet.yaml, unless $SKYFLEET_CONFIG names another; its state store
# in the temp folder (removed at the end with everything else), unless $SKYFLEET_STORE names another.
export SKYFLEET_CONFIG="${SKYFLEET_CONFIG:-$PWD/examples/gitops/skyfleet.yaml}"
export SKYFLEET_STORE="${SKYFLEET_STORE:-$tmp/state.db}"
repo="$tmp/repo"
mkdir "$repo"
git() { command git -C "$repo" -c user.name=example -c user.email=example@skyfleet.invalid "$@"; }
commit() {
  git commit -q -a -m "$1"
  echo "commit $(git rev-parse --short=12 HEAD): $1"
}

cleanup() {
  local code=$?
  step "cleanup: stop syncing, delete the deployment, remove the repository and the store"
  sf sync delete gitops || true
  sf delete web || true
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "a git repository with deploy/web.yaml (2 replicas of hello/web:1)"
git init -q -b main
mkdir -p "$repo/deploy"
cp examples/gitops/deploy/web.yaml "$repo/deploy/web.yaml"
git add deploy
commit "web: 2 replicas of hello/web:1"

step "skyfleet sync: register the repository as a git source and apply its head"
sf sync --repo "$repo" --branch main --path deploy/ --name gitops
sf get

step "a commit changes the image: the next sync rolls it out, one replica at a time"
sed -i 's|image: hello/web:1|image: hello/web:2|' "$repo/deploy/web.yaml"
commit "web: hello/web:2"
# `skyfleet controller` would find the commit on its own within --interval (30 s); sync now does it at once.
sf sync now gitops
sf get

step "a broken commit (a misspelt field): refused, naming the file and the field; nothing of it applied"
sed -i 's|  replicas: 2|  replica: 3|' "$repo/deploy/web.yaml"
commit "web: 3 replicas (misspelt)"
code=0
sf sync now gitops || code=$?
if [ "$code" != 2 ]; then
  echo "expected skyfleet sync now to refuse the broken commit with exit code 2, got $code" >&2
  exit 1
fi
echo "(exit code 2: invalid input, nothing applied)"
sf sync status gitops
sf get

step "the commit behind each revision"
sf rollout history web
