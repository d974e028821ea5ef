#!/usr/bin/env bash
# Installs what building, running and testing the worker needs, from the
# package registries only, at pinned versions. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.129 # must equal the `wasm-bindgen` pin in Cargo.toml

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

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

# Debian's Chromium, for the browser end-to-end tests (tests/e2e/tests/browser.rs):
# a test tool's own browser download cannot work offline, the distribution's can.
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium (browser end-to-end tests)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.lti-edge-lock; then
  say "installing npm packages (wrangler, wasm-opt, jose, puppeteer-core)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.lti-edge-lock
fi

# The Python origin example's dependencies, for the test that runs it.
if [ ! -x .venv/bin/python ] || ! cmp -s examples/verify-assertion/requirements.txt .venv/.requirements; then
  say "installing the Python example's packages into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r examples/verify-assertion/requirements.txt
  cp examples/verify-assertion/requirements.txt .venv/.requirements
fi
