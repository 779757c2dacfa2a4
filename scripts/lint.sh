#!/usr/bin/env bash
# Formatting and clippy (warnings are errors) for every feature set we ship: the server (ssr),
# the browser app (hydrate, on wasm32), the wire format, the agent (on Linux, for Windows and for
# macOS) and the tools. The app crate is always checked with one feature at a time: ssr and
# hydrate together do not build. The crates for this machine are checked in one cargo run
# (scripts/native-packages.sh says why).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/native-packages.sh
cargo fmt --all --check
# The house's rules (docs/architecture.md): no import circles, the wings depend one way, the engine
# is chosen in the store alone.
python3 scripts/architecture.py
cargo clippy "${NATIVE_PACKAGES[@]}" --all-targets -- -D warnings
cargo clippy -p keytrack-agent --target x86_64-pc-windows-gnu -- -D warnings
# macOS: checked to compile (no Apple linker or SDK here, so not linked or run). Apple silicon only:
# the agent has no code that depends on the processor, so an Intel check only repeated this one's
# work (every dependency checked again) on each fresh machine.
cargo clippy -p keytrack-agent --target aarch64-apple-darwin -- -D warnings
cargo clippy -p keytrack-app --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
