#!/usr/bin/env bash
# The whole test suite: formatting and lints, unit and integration tests against real SQLite
# files and the machine's PostgreSQL, then the browser tests (Playwright + Debian's Chromium)
# against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
# scripts/build-site.sh writes the site (wasm, JS, CSS) here and the server serves it from here.
export LEPTOS_SITE_ROOT="$TARGET_DIR/site"
# Each step says when it starts (minutes into the run, setup included): where a cold run's time goes.
step() { printf '\n\033[1m== %s (at %d:%02d)\033[0m\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

step "format and lints"
scripts/lint.sh

step "build the web app (server + wasm), the tools, the agent and the tests"
scripts/build-site.sh --with-tests

step "the Windows agent (cross-built; run under Wine by the agent's and the browser tests)"
cargo build -p keytrack-agent --target x86_64-pc-windows-gnu

step "unit and integration tests"
# The PostgreSQL tests use the server this kind of machine runs (or KEYTRACK_TEST_POSTGRES); each
# makes a database of its own and drops it. Said here, not as a dozen failed connections later.
if [ -z "${KEYTRACK_TEST_POSTGRES:-}" ] && ! timeout 5 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; then
  echo "test: PostgreSQL is not answering on 127.0.0.1:5432; start it, or set KEYTRACK_TEST_POSTGRES=postgres://user@host:port/db" >&2
  exit 1
fi
# The packages as build-site.sh --with-tests named them (scripts/native-packages.sh): nothing is
# compiled again.
source scripts/native-packages.sh
cargo test "${NATIVE_PACKAGES[@]}"
# The tests that drive the server through its router, again on PostgreSQL (KEYTRACK_TEST_ENGINE:
# each test a database of its own; the same binaries, nothing rebuilt). upgrade, faults and cli
# are about SQLite files and data dirs; instances runs two servers on PostgreSQL already.
KEYTRACK_TEST_ENGINE=postgres cargo test "${NATIVE_PACKAGES[@]}" \
  --test admin --test api --test data --test fuzz --test hardening --test live --test pairing --test privacy --test teams --test two_factor --test sso

step "the container image (dockerd, a local Debian base, this run's binaries)"
scripts/container-test.sh "$TARGET_DIR"

step "schema-driven API fuzzing (schemathesis)"
scripts/api-fuzz.sh "$TARGET_DIR/debug/keytrack"

step "benchmark smoke run"
# The debug binaries scripts/build-site.sh built: this checks that every figure is measured and that no
# upload fails, not how fast a release build is (scripts/bench.sh measures that; BENCHMARKS.md).
"$TARGET_DIR/debug/keytrack-bench" --quick

step "browser tests"
(cd end2end && KEYTRACK_BIN="$TARGET_DIR/debug/keytrack" npx playwright test)
step "all tests passed"
