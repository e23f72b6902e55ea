# Shared environment of the project's scripts; source it, do not run it.
#
# Compiled artifacts and installed tools live OUTSIDE the clone, in one cache directory, so
# a clean clone (CI) reuses them:
#   ELASTIC_NOTEBOOK_CACHE  default $HOME/.cache/elastic-notebook
#     target/<key>/         CARGO_TARGET_DIR of every script (native, wasm32, maturin), one
#                           per checkout (key: a hash of its path; scripts/setup prunes
#                           those of checkouts that are gone)
#     tools/bin/            wasm-pack and wasm-bindgen (cargo install --root)
# npm and pip use their own default caches; the Python venv is .venv in the clone.

# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

export ELASTIC_NOTEBOOK_CACHE="${ELASTIC_NOTEBOOK_CACHE:-$HOME/.cache/elastic-notebook}"
# One target dir per checkout: two checkouts building at once would otherwise overwrite
# each other's outputs, and cargo, which compares mtimes, takes an output newer than its
# sources as fresh (a wasm module of the other checkout's code was shipped that way).
CHECKOUT_KEY="$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)"
export CARGO_TARGET_DIR="$ELASTIC_NOTEBOOK_CACHE/target/$CHECKOUT_KEY"
TOOLS_DIR="$ELASTIC_NOTEBOOK_CACHE/tools"
export TOOLS_DIR

# Pinned tool versions; wasm-bindgen must equal the `wasm-bindgen` crate pin in Cargo.toml.
export WASM_TARGET="wasm32-unknown-unknown"
export WASM_PACK_VERSION="0.15.1"
export WASM_BINDGEN_VERSION="0.2.130"

export VENV="$ROOT/.venv"
# The venv of the JupyterLite site's build tools (scripts/requirements-lite.txt).
export LITE_VENV="$ROOT/.venv-lite"
# The JupyterLite site: its sources (config, notebooks) in www/lite/, built by
# scripts/build-lite into build/lite/site/ (a staging lite dir beside it).
export LITE_SRC="$ROOT/www/lite"
export LITE_SITE="$ROOT/build/lite/site"
export NODE_MODULES="$ROOT/js/node_modules"
# The browser of tests/browser/ (Debian's chromium, installed by scripts/setup).
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# The wasm-pack output (ES module glue for the web) and the wasm package data of the Python
# package (one optimized .wasm shared by the web glue and the no-modules glue).
export PKG_DIR="$ROOT/pkg"
export PY_WASM_DIR="$ROOT/pyodide-ext/elastic_notebook/_wasm"

# Our tools first; npm's binaryen is used by absolute path, never a system wasm-opt.
case ":$PATH:" in
*":$TOOLS_DIR/bin:"*) ;;
*) export PATH="$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH" ;;
esac

# Python for creating the venv: 3.11 or newer.
export PYTHON="${PYTHON:-python3}"

# step NAME CMD...: runs one step of a script under `set -euo pipefail`, printing its name
# and duration. A failing command anywhere in it ends the script; the EXIT trap then names
# the step. (Deliberately not `if "$@"`: that would switch `set -e` off inside the step.)
CURRENT_STEP=""
step() {
    CURRENT_STEP="$1"
    shift
    local start=$SECONDS
    printf '\n==> %s\n' "$CURRENT_STEP"
    "$@"
    printf '<== %s: ok (%ss)\n' "$CURRENT_STEP" "$((SECONDS - start))"
    STEP_TIMES+=("$(printf '%5ss  %s' "$((SECONDS - start))" "$CURRENT_STEP")")
    CURRENT_STEP=""
}
STEP_TIMES=()

on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
        printf '\n!!! FAILED step: %s (exit %s)\n' "$CURRENT_STEP" "$status" >&2
    fi
}
trap on_exit EXIT

# step_summary: the duration of every step run so far.
step_summary() {
    printf '\nstep durations:\n'
    printf '  %s\n' "${STEP_TIMES[@]}"
}

# say MESSAGE: one line of progress inside a step.
say() {
    printf '    %s\n' "$*"
}

# die MESSAGE: fail the current step with a message.
die() {
    printf '!!! %s\n' "$*" >&2
    exit 1
}

# print_usage SCRIPT: the script's header comment (the lines after the shebang).
print_usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"
}
