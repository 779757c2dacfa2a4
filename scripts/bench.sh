#!/usr/bin/env bash
# Builds the release server, agent and benchmark and runs it; BENCHMARKS.md explains each figure.
# Arguments go to `keytrack-bench`: `--quick` for a smoke run in under two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -p keytrack-app --bin keytrack --features ssr
# Built beside the server, the agent's own figures are part of the run.
cargo build --release -p keytrack-agent -p keytrack-tools
exec "$TARGET_DIR/release/keytrack-bench" "$@"
