#!/usr/bin/env bash
# Builds hello/web:<version> (default 1) FROM scratch with the static /usr/bin/busybox: no
# registry, no network. `bash build.sh 2` builds hello/web:2, whose page says "version 2";
# `bash build.sh bad` builds a version that is ready on /version but answers 500 to `GET /`.
set -euo pipefail
version="${1:-1}"
if [[ ! "$version" =~ ^[A-Za-z0-9_.-]+$ ]]; then
  echo "usage: $0 [version]   (letters, digits, '.', '_' or '-')" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
busybox="${BUSYBOX:-/usr/bin/busybox}"
if [[ ! -x "$busybox" ]]; then
  echo "need a static busybox at $busybox (apt-get install busybox-static, or set BUSYBOX=...)" >&2
  exit 1
fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/www"
cp "$here/Dockerfile" "$ctx/Dockerfile"
cp "$busybox" "$ctx/rootfs/bin/busybox"
chmod 755 "$ctx/rootfs/bin/busybox"
for applet in sh httpd wget nc sleep cat echo ls env; do
  ln -s busybox "$ctx/rootfs/bin/$applet"
done
cat > "$ctx/rootfs/www/index.html" <<HTML
<!doctype html>
<title>hello from skyfleet</title>
<h1>hello from skyfleet, version $version</h1>
HTML
echo "$version" > "$ctx/rootfs/www/version"
if [[ "$version" == bad ]]; then
  # hello/web:bad starts and passes a readiness probe on /version, but answers 500 to `GET /`:
  # without an index.html, busybox httpd runs /cgi-bin/index.cgi for the directory
  rm "$ctx/rootfs/www/index.html"
  mkdir -p "$ctx/rootfs/www/cgi-bin"
  printf '#!/bin/sh\necho "Status: 500 Internal Server Error"\necho "Content-Type: text/plain"\necho\necho "bad version"\n' \
    >"$ctx/rootfs/www/cgi-bin/index.cgi"
  chmod 755 "$ctx/rootfs/www/cgi-bin/index.cgi"
fi
# The classic builder needs nothing beyond the engine (BuildKit would want the buildx plugin).
if ! DOCKER_BUILDKIT=0 docker build --quiet --label "dev.skyfleet.example=hello" -t "hello/web:$version" "$ctx" \
  >"$ctx/build.log" 2>&1; then
  cat "$ctx/build.log" >&2
  exit 1
fi
echo "built hello/web:$version"
