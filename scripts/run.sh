#!/usr/bin/env bash
# Sets up, builds (release), loads the demo account and starts KeyTrack on http://127.0.0.1:3000.
# Data lives in ./data (KEYTRACK_DATA_DIR to change it); re-running refreshes the demo account only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export LEPTOS_SITE_ROOT="$TARGET_DIR/site"
# The release build shrinks the wasm (wasm-opt) and writes .br and .gz copies of the site's files,
# which the server sends.
scripts/build-site.sh --release
# The agents "Add a computer" offers for download, built beside the server: Linux, and Windows
# cross-built with MinGW (the server finds target/x86_64-pc-windows-gnu/release by itself).
cargo build --release -p keytrack-agent
cargo build --release -p keytrack-agent --target x86_64-pc-windows-gnu

"$TARGET_DIR/release/keytrack" demo
# The demo keyboard keeps typing into the demo account, so that its dashboard is seen live
# (KEYTRACK_DEMO_TYPING=0 scripts/run.sh: off).
export KEYTRACK_DEMO_TYPING=${KEYTRACK_DEMO_TYPING:-1}
exec "$TARGET_DIR/release/keytrack" serve --addr "${KEYTRACK_ADDR:-127.0.0.1:3000}"
