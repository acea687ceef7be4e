#!/usr/bin/env bash
# The web client's tooling, one subcommand per job:
#
#   scripts/frontend.sh tools [test]
#                               install what is missing (quick when all is there): the wasm
#                               target, wasm-bindgen-cli matching Cargo.lock and wasm-opt (npm
#                               binaryen); with `test`, also what the browser test needs
#                               (Chromium and its driver), which `test` installs by itself anyway
#   scripts/frontend.sh build   release build into frontend/dist (frontend/tools/build.py: cargo,
#                               wasm-bindgen, wasm-opt, hashed names); prints the wasm's size
#   scripts/frontend.sh serve   serve frontend/dist on ${FRONTEND_HOST:-127.0.0.1}:${FRONTEND_PORT:-3000}
#                               in the foreground; /config.json comes from POSTS_URL,
#                               COMMENTS_URL and QUERY_URL when set
#   scripts/frontend.sh test    the browser test: a whole system on random ports, driven
#                               through headless Chromium (frontend/tools/browser_test.py)
#
# Versions are pinned where it matters (the design contract, "Tool versions"):
# wasm-bindgen-cli equal to the wasm-bindgen in Cargo.lock (the glue and the library must
# match), and wasm-opt from the npm package binaryen@132 (Debian's wasm-opt 108 produces a
# wasm that fails in the browser). trunk is not needed: build.py takes trunk's release steps
# itself, which saves a first run the 5 minutes trunk's install from source takes.
# (frontend/index.html and Trunk.toml still work with `trunk serve`, for those who want its
# live reload: `cargo install trunk --locked --version 0.21.14`.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BINARYEN_VERSION=132
# Our wasm-opt first, so no other one is picked up.
export PATH="$TOOLS/binaryen/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'frontend: %s\n' "$*" >&2; }

# The wasm-bindgen version Cargo.lock pins (the CLI must be exactly this one).
locked_wasm_bindgen() {
    awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

build_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi

    local wbg
    wbg="$(locked_wasm_bindgen)"
    if [ -z "$wbg" ]; then
        say "Cargo.lock names no wasm-bindgen; run cargo metadata first"; return 1
    fi
    if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
        say "installing wasm-bindgen-cli $wbg (to match Cargo.lock)"
        # Without --locked: with it, this install fails (the design contract says so too).
        # --force: cargo's own record may say it is installed when the binary is gone.
        # --debug, without debug info: it builds in 1m12 instead of 4m26 on 2 cores, and turns
        # our wasm into byte-identical output in 1.1 s instead of 0.3 s.
        CARGO_PROFILE_DEV_DEBUG=0 cargo install --force --debug wasm-bindgen-cli --version "=$wbg"
        command -v wasm-bindgen >/dev/null || { say "wasm-bindgen is not on PATH after its install"; return 1; }
    fi

    if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION\b"; then
        say "installing wasm-opt from npm binaryen@$BINARYEN_VERSION into .tools/binaryen"
        mkdir -p "$TOOLS/binaryen"
        npm install --prefix "$TOOLS/binaryen" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
    fi
}

test_tools() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        say "installing Debian's chromium and chromium-driver"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
    fi
    # The browser test needs only python3's standard library (it speaks WebDriver itself).
    command -v python3 >/dev/null || { say "python3 is needed for serve and test"; return 1; }
}

build() {
    build_tools
    python3 "$ROOT/frontend/tools/build.py"
}

case "${1:-}" in
    tools)
        build_tools
        # `make run` needs no browser; only the test does, so only it pays for one.
        if [ "${2:-}" = test ]; then test_tools; fi
        say "tools ready: $(wasm-bindgen --version), $(wasm-opt --version)"
        ;;
    build)
        build
        ;;
    serve)
        # exec: the supervisor's signals go straight to the server.
        exec python3 "$ROOT/frontend/tools/serve.py"
        ;;
    test)
        test_tools
        # FRONTEND_TEST_SKIP_BUILD=1: frontend/dist is already this checkout's build
        # (scripts/test.sh builds it in the background meanwhile).
        if [ "${FRONTEND_TEST_SKIP_BUILD:-}" != 1 ]; then build; fi
        # Debug services by default: `make test` has just compiled everything they need in
        # debug for the Rust tests, so this only links them (a release build would take
        # minutes more). SERVICES_PROFILE=release tests the release binaries instead.
        export SERVICES_PROFILE="${SERVICES_PROFILE:-debug}"
        if [ "${FRONTEND_TEST_SKIP_BACKEND_BUILD:-}" != 1 ]; then
            say "building the services ($SERVICES_PROFILE; quick when up to date)"
            # Debug: the Makefile's DEBUG_BINS, the features `cargo test --workspace` picked.
            if [ "$SERVICES_PROFILE" = release ]; then
                (cd "$ROOT" && cargo build --release -p posts -p comments -p moderation -p query -p bus --bins)
            else
                (cd "$ROOT" && cargo build --workspace --bins --tests)
            fi
        fi
        exec python3 "$ROOT/frontend/tools/browser_test.py"
        ;;
    *)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
