#!/usr/bin/env bash
# Installs everything KeyTrack needs to build, run and test, skipping what is already there.
# Safe to run again: each step checks first. Used by run.sh, test.sh and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly, or the generated JS
# will not load. (The site is built by scripts/build-site.sh with plain cargo and this CLI; the
# cargo-leptos tool took 16 of a fresh machine's setup minutes to install and is not needed.)
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
APT_PACKAGES=(pkg-config libx11-dev libxtst-dev libxi-dev libxrandr-dev xvfb xdotool xterm x11-apps i3lock chromium faketime poppler-utils gcc-mingw-w64-x86-64 wine wine64 prometheus systemd docker.io debootstrap qemu-system-x86 busybox-static cpio sway foot)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The agent is cross-built for Windows (with Debian's MinGW compiler; the tests run it under Wine)
# and checked for macOS.
for target in x86_64-pc-windows-gnu aarch64-apple-darwin; do
  if ! rustup target list --installed | grep -qx "$target"; then
    say "adding the $target target"
    rustup target add "$target"
  fi
done

if [[ $(wasm-bindgen --version 2>/dev/null) != "wasm-bindgen $WASM_BINDGEN_VERSION"* ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its own lock file names a crate version that crates.io no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# From PyPI, in a virtual environment of the tests' own: schemathesis, the schema-driven fuzzer
# the tests run against /api/v1/openapi.json, and aiosmtpd, the real SMTP server that receives the
# password reset emails of the browser tests.
SCHEMATHESIS_VERSION=4.32.5
AIOSMTPD_VERSION=1.4.6
VENV=${KEYTRACK_VENV:-$HOME/.cache/keytrack/venv}
if [[ $("$VENV/bin/schemathesis" --version 2>/dev/null) != *" $SCHEMATHESIS_VERSION" ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [[ $("$VENV/bin/python" -m aiosmtpd --version 2>/dev/null) != "aiosmtpd $AIOSMTPD_VERSION" ]]; then
  say "installing aiosmtpd $AIOSMTPD_VERSION in $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
fi

# A real kernel's input devices for the agent's evdev test (agent/tests/evdev_vm.rs): Debian's
# kernel and its evdev and uinput modules, booted under QEMU (this machine has no /dev/uinput).
# One package is downloaded and unpacked; nothing is installed.
VM_KERNEL_DIR=${KEYTRACK_VM_KERNEL:-$HOME/.cache/keytrack/vm-kernel}
if [[ ! -f $VM_KERNEL_DIR/vmlinuz || ! -f $VM_KERNEL_DIR/uinput.ko ]]; then
  say "fetching Debian's kernel for the evdev test into $VM_KERNEL_DIR"
  kernel_package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
  unpack=$(mktemp -d)
  (cd "$unpack" && apt-get download -q "$kernel_package" && dpkg-deb -x ./*.deb root)
  mkdir -p "$VM_KERNEL_DIR"
  cp "$unpack"/root/boot/vmlinuz-* "$VM_KERNEL_DIR/vmlinuz"
  for module in drivers/input/evdev.ko drivers/input/misc/uinput.ko; do
    found=$(find "$unpack"/root/lib/modules -path "*/kernel/$module*" | head -1)
    [[ -n $found ]] || { echo "setup: $module is not in $kernel_package" >&2; exit 1; }
    case $found in
      *.xz) xz -dc "$found" >"$VM_KERNEL_DIR/$(basename "$module")" ;;
      *) cp "$found" "$VM_KERNEL_DIR/$(basename "$module")" ;;
    esac
  done
  rm -rf "$unpack"
fi

# Playwright, wasm-opt (Debian's binaryen is too old: its output breaks hydration) and the
# browser-side chart libraries all come from the npm registry, pinned by package-lock.json.
if ! (cd end2end && npm ls --depth=0 >/dev/null 2>&1); then
  say "installing npm packages"
  (cd end2end && npm ci --no-audit --no-fund)
fi
# The browser libraries are served from the site's assets; they are copied from node_modules at
# build time (never committed) and scripts/build-site.sh copies app/public into the site.
mkdir -p app/public/vendor
cp -u end2end/node_modules/chart.js/dist/chart.umd.min.js app/public/vendor/chart.umd.min.js
say "ready"
