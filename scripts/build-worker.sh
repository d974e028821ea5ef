#!/bin/sh
# The [build] command of wrangler.toml: compiles the worker to wasm with the
# pinned, locally installed tools (worker-build would otherwise download them),
# installing them first when they are missing.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup-build.sh
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
# Cargo.toml turns worker-build's own wasm-opt run off: it always keeps the name
# section (`--debuginfo`), which both takes about a third of the bundle and
# holds back some of the optimisations. One pass here optimises for size and
# drops the names and the producers section, which the deployed worker does not need.
worker-build --release
# The features are those worker-build enables: what workerd runs, nothing newer.
# --low-memory-unused lets constant offsets fold into loads and stores: Rust
# lays the 1 MiB stack out first, growing down, and its data above it, so the
# low 1 KiB is touched only by a stack about to overflow anyway.
"$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm -Oz --low-memory-unused --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
