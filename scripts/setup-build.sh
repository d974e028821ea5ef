#!/usr/bin/env bash
# Installs what compiling the worker needs, from the package registries only,
# at pinned versions: the wasm target and the wasm-bindgen and worker-build
# tools. Idempotent: a second run only checks. `scripts/build-worker.sh` (the
# [build] command of `wrangler dev` and `wrangler deploy`) runs it first, so
# those work in a fresh clone with only Rust and Node present.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.129 # must equal the `wasm-bindgen` pin in Cargo.toml

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo_tool BINARY CRATE VERSION
cargo_tool() {
  if ! "$1" --version 2>/dev/null | grep -Eq "(^| )$3\$"; then
    say "installing $2 $3"
    cargo install --locked "$2@$3"
  fi
}
cargo_tool worker-build worker-build "$WORKER_BUILD_VERSION"
cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"

# wasm-opt and esbuild come from npm. Only when they are missing (a fresh clone
# run through `npx wrangler`): `npm ci` replaces node_modules, from which a
# wrangler already installed there would be running.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  # What `scripts/setup.sh` compares the lock file with: it need not install again.
  cp package-lock.json node_modules/.lti-edge-lock
fi
