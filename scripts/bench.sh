#!/usr/bin/env bash
# Builds the release server, site, agent and benchmark and runs it, then measures the first
# dashboard load in Chromium; BENCHMARKS.md explains each figure.
# Arguments go to `keytrack-bench`: `--quick` for a smoke run in under two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export LEPTOS_SITE_ROOT="$TARGET_DIR/site"
# The server and its site as scripts/run.sh builds them (wasm-opt, precompressed files).
scripts/build-site.sh --release --with-tools
# Built beside the server, the agent's own figures are part of the run.
cargo build --release -p keytrack-agent

# The benchmark's database stays for the first-load measurement, then goes.
source scripts/server-lib.sh
"$TARGET_DIR/release/keytrack-bench" --data-dir "$data" "$@"

# The first load: benchmark user 0's year, served by the release build from the benchmark's data.
serve "$TARGET_DIR/release/keytrack"
node end2end/bench/first-load.mjs "$url" bench-0@keytrack.local "benchmark password" 5
