#!/usr/bin/env bash
# The container image as an operator runs it (scripts/test.sh runs this): the Dockerfile's image
# built from what this run's earlier steps built (`--build-arg BINARIES=prebuilt`: no registry is
# reachable here, so the Rust image of the `build` stage cannot be pulled), on a Debian bookworm
# base made locally with debootstrap and imported as debian:bookworm-slim. Then: the container
# starts and turns healthy, a person is added and uploads, a restart keeps the upload, `docker
# stop` (SIGTERM) ends it cleanly with an upload made just before kept.
#
# Usage: scripts/container-test.sh TARGET_DIR   (where scripts/build-site.sh built: its debug
# server, site and agents). Needs root (dockerd, debootstrap). Containers use --network host:
# traffic stays on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR=${1:?usage: $0 TARGET_DIR}
say() { printf '\033[1mcontainer:\033[0m %s\n' "$*"; }

CACHE=${KEYTRACK_CACHE:-$HOME/.cache/keytrack}
mkdir -p "$CACHE"
NAME=keytrack-test-$$
VOLUME=keytrack-test-data-$$
IMAGE=keytrack:test
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT

# Debian's dockerd (20.10), whose own client builds with BuildKit (the later client on this
# machine's PATH would need the buildx plugin for that).
DOCKER=/usr/bin/docker
started_dockerd=
cleanup() {
  $DOCKER rm -f "$NAME" >/dev/null 2>&1 || true
  $DOCKER volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -rf dist/docker
  if [[ -n $started_dockerd ]]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if ! $DOCKER info >/dev/null 2>&1; then
  say "starting dockerd"
  dockerd >"$CACHE/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 100); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.2; done
  $DOCKER info >/dev/null 2>&1 || { cat "$CACHE/dockerd.log"; exit 1; }
fi

# The base image, made once per machine and kept in dockerd's store. Trimmed as Debian's slim
# image is (no documentation, locales or package lists).
if ! $DOCKER image inspect debian:bookworm-slim >/dev/null 2>&1; then
  rootfs=$CACHE/rootfs-bookworm
  if [[ ! -x $rootfs/bin/bash ]]; then
    say "making a Debian bookworm base with debootstrap"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log"
    rm -rf "$rootfs"/usr/share/{doc,man,info,locale} "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  fi
  tar -C "$rootfs" -c . | $DOCKER import - debian:bookworm-slim >/dev/null
fi

say "building the image from this run's binaries"
rm -rf dist/docker && mkdir -p dist/docker/agents
cp "$TARGET_DIR/debug/keytrack" dist/docker/keytrack
cp -R "$TARGET_DIR/site" dist/docker/site
cp "$TARGET_DIR/debug/keytrack-agent" dist/docker/agents/
cp "$TARGET_DIR/x86_64-pc-windows-gnu/debug/keytrack-agent.exe" dist/docker/agents/
DOCKER_BUILDKIT=1 $DOCKER build --quiet --build-arg BINARIES=prebuilt -t "$IMAGE" . >/dev/null
say "image $IMAGE: $($DOCKER image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }') (debug binaries)"
[[ $($DOCKER image inspect -f '{{.Config.User}}' "$IMAGE") == keytrack ]] || { echo "the image must not run as root"; exit 1; }

run_container() {
  $DOCKER run -d --name "$NAME" --network host -v "$VOLUME:/data" -e "KEYTRACK_ADDR=127.0.0.1:$PORT" \
    --health-interval 1s --health-start-period 30s "$IMAGE" >/dev/null
}
wait_healthy() {
  for _ in $(seq 120); do
    [[ $($DOCKER inspect -f '{{.State.Health.Status}}' "$NAME") == healthy ]] && return 0
    sleep 0.5
  done
  echo "the container did not turn healthy"; $DOCKER logs "$NAME"; exit 1
}
upload() { # DEVICE PRESSES: one minute of the device, an hour ago; prints the HTTP status
  local minute=$(( $(date +%s) / 60 * 60 - 3600 ))
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"format\":2,\"device\":{\"id\":\"$1\",\"name\":\"$1\"},\"minutes\":[{\"minute\":$minute,\"presses\":$2,\"active_seconds\":30}]}" \
    "$URL/api/v1/activity"
}
total_keys() {
  local today=$(date -u +%F) yesterday=$(date -u -d yesterday +%F)
  curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/stats?from=$yesterday&to=$today" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total_keys"])'
}
expect() { # WHAT GOT WANTED
  [[ $2 == "$3" ]] || { echo "$1: got $2, wanted $3"; $DOCKER logs "$NAME" 2>&1 | tail -20; exit 1; }
}

say "starting a container on $URL"
run_container
wait_healthy
expect "ready" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz/ready")" 200
# The first person of a new server, added as an administrator does (the image's own command).
echo 'a container password that is long' | $DOCKER exec -i "$NAME" keytrack user add --email ops@example.com
TOKEN=$($DOCKER exec "$NAME" keytrack token create --email ops@example.com --name laptop)
expect "upload" "$(upload laptop 120)" 200
expect "keys stored" "$(total_keys)" 120

say "restarting it"
$DOCKER restart "$NAME" >/dev/null
wait_healthy
expect "keys after a restart" "$(total_keys)" 120

say "stopping it (SIGTERM) right after an upload"
expect "upload" "$(upload desk 30)" 200
$DOCKER stop -t 30 "$NAME" >/dev/null
expect "exit code after docker stop" "$($DOCKER inspect -f '{{.State.ExitCode}}' "$NAME")" 0
$DOCKER start "$NAME" >/dev/null
wait_healthy
expect "keys after docker stop" "$(total_keys)" 150
[[ $($DOCKER exec "$NAME" id -u) == 10001 ]] || { echo "the server runs as root"; exit 1; }
say "passed"
