#!/usr/bin/env bash
# Builds the web app with plain cargo: the server binary (feature `ssr`), the browser's wasm
# (feature `hydrate`) turned into an ES module by the wasm-bindgen CLI, the style sheet and the
# public files, all into the site directory the server serves ($LEPTOS_SITE_ROOT, else
# target/site). `--release` also shrinks the wasm with wasm-opt and writes brotli and gzip copies
# of the files pages load, which the server sends to browsers that take them. `--with-tools` builds
# the benchmark (keytrack-tools) in the same cargo run: the server then shares one build of every
# dependency with it. `--with-tests` (scripts/test.sh) builds everything for this machine in that
# run: the server, the tools, the agent and every test, so that the tests compile nothing again.
#
# Why not cargo-leptos: it took 16 minutes of a fresh machine's setup to install, built the wasm's
# host crates (proc macros) a second time in a target dir of its own, and did nothing here that
# these few steps don't. The layout is the one it wrote: site/pkg/keytrack.{js,wasm,css}, and
# app/public's files at the site's root.
#
# The wasm is split as cargo-leptos's `--split` does (tools/wasm-split): the main module (the
# framework and the frame of every page) becomes keytrack.{js,wasm}; each part of the app
# (app/src/ui/pages.rs) a chunk split_*.wasm (and chunk_*.wasm for code parts share), fetched by
# the loader __wasm_split.*.js when a page of that part is first shown; __wasm_split_manifest.json
# says which files each part needs, for the server to preload them.
set -euo pipefail
cd "$(dirname "$0")/.."

release=false
# The splitter is a program for this machine: it is built in the server's cargo run.
server_packages=(-p keytrack-app --bin keytrack -p keytrack-wasm-split --bin keytrack-wasm-split --features keytrack-app/ssr)
for arg in "$@"; do
  case $arg in
    --release) release=true ;;
    --with-tools) server_packages=(-p keytrack-app -p keytrack-tools -p keytrack-wasm-split --bins --features keytrack-app/ssr) ;;
    --with-tests)
      source scripts/native-packages.sh
      server_packages=("${NATIVE_PACKAGES[@]}" --bins --tests)
      ;;
    *) echo "usage: $0 [--release] [--with-tools | --with-tests]" >&2; exit 2 ;;
  esac
done
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
SITE=${LEPTOS_SITE_ROOT:-$TARGET_DIR/site}
if $release; then
  server_profile=release wasm_profile=wasm-release
else
  server_profile=dev wasm_profile=dev
fi
# Cargo names the dev profile's directory `debug`.
profile_dir() { [[ $1 == dev ]] && echo debug || echo "$1"; }

# The two halves come from one checkout in one run: server functions' URLs hash the crate's path,
# so a wasm from elsewhere would call URLs this server doesn't answer.
cargo build "${server_packages[@]}" --profile "$server_profile"
cargo build -p keytrack-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$wasm_profile"

pkg="$SITE/pkg"
# Made anew: a chunk of an earlier build must not linger (its part may now be named otherwise).
rm -rf "$pkg"
mkdir -p "$pkg"
wasm="$TARGET_DIR/wasm32-unknown-unknown/$(profile_dir "$wasm_profile")/keytrack_app.wasm"
main_wasm="$TARGET_DIR/wasm-split/keytrack_app_main.wasm"
mkdir -p "$(dirname "$main_wasm")"
"$TARGET_DIR/$(profile_dir "$server_profile")/keytrack-wasm-split" "$wasm" "$pkg" "$main_wasm"
# --keep-lld-exports --no-demangle: the chunks call the main module's functions by the names the
# linker gave them.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-name keytrack \
  --out-dir "$pkg" "$main_wasm"
# The page asks for pkg/keytrack.wasm (leptos names it after LEPTOS_OUTPUT_NAME, .cargo/config.toml).
mv -f "$pkg/keytrack_bg.wasm" "$pkg/keytrack.wasm"
if $release; then
  # binaryen from npm (end2end/package.json): Debian's wasm-opt is too old and breaks hydration.
  for module in "$pkg"/*.wasm; do
    end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$module" -o "$module"
  done
fi
cp style/main.css "$pkg/keytrack.css"
cp -R app/public/. "$SITE/"

# A debug build written over a release one leaves its compressed copies behind; the server never
# sends a copy older than its file (server::assets), so they need no removing.
if $release; then
  node scripts/precompress.mjs "$pkg" "$SITE/vendor"
fi
echo "site built in $SITE ($([[ $release == true ]] && echo release || echo debug))"
