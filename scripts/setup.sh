#!/usr/bin/env bash
# Installs what building, running and testing the worker needs, from the
# package registries only, at pinned versions. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

./scripts/setup-build.sh

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.lti-edge-lock; then
  say "installing npm packages (wrangler, wasm-opt, jose, express, puppeteer-core)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.lti-edge-lock
fi

# The Python examples' packages (verification, FastAPI and Flask middleware), for
# the tests that run them.
requirements="examples/verify-assertion/requirements.txt examples/middleware/python/requirements.txt"
# shellcheck disable=SC2086 # two paths, split on purpose
if [ ! -x .venv/bin/python ] || ! cat $requirements | cmp -s - .venv/.requirements; then
  say "installing the Python examples' packages into .venv"
  python3 -m venv .venv
  # shellcheck disable=SC2086
  .venv/bin/pip install --quiet --disable-pip-version-check $(printf -- '-r %s ' $requirements)
  # shellcheck disable=SC2086
  cat $requirements > .venv/.requirements
fi

# From Debian: Chromium for the browser tests (tests/e2e/tests/browser.rs; a test
# tool's own browser download cannot work offline), and the Go and Ruby middleware
# examples' runtimes and libraries (the Go module proxy is not reachable: Go builds
# offline against Debian's packages, see examples/middleware/go/build-debian.sh).
debian_packages=(chromium golang-go golang-github-golang-jwt-jwt-dev golang-gopkg-square-go-jose.v2-dev
  ruby ruby-jwt ruby-rack ruby-webrick)
missing=()
for package in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
