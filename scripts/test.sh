#!/usr/bin/env bash
# `make test` after `make lint`: every suite, the quick ones first, with the time each took.
#
#   lab tests → Rust tests (unit, router, system, cluster, workshop walk-through) →
#   workshop proof → chaos-short → browser test
#
# The web client's wasm (2 minutes of compiling on 2 cores) is built in the background
# while the Rust tests run: those spend their time waiting on the nats-servers and
# services they started, so the compiler gets the cores they leave idle. The build has a
# target folder of its own (frontend/tools/build.py), so neither waits for the other's lock.
set -euo pipefail
cd "$(dirname "$0")/.."

began=$SECONDS
step() {
    local name=$1 start=$SECONDS
    shift
    printf '\n== %s\n' "$name"
    "$@"
    printf '== %s: passed in %d s (%d s so far)\n' "$name" $((SECONDS - start)) $((SECONDS - began))
}

web_log=target/web-client-build.log
web_pid=
stop_web_build() {
    if [ -n "$web_pid" ]; then kill -- "-$web_pid" 2>/dev/null || true; fi
}
trap stop_web_build EXIT

step "lab tests" python3 scripts/test_lab.py
step "Rust tests: build" cargo test --workspace --no-run

mkdir -p target
printf '\n== web client: building in the background (log: %s)\n' "$web_log"
# A process group of its own, so that stopping it stops cargo and rustc too.
setsid bash scripts/frontend.sh build >"$web_log" 2>&1 &
web_pid=$!

# Four at once: the system tests wait on processes far more than they compute.
step "Rust tests" env RUST_TEST_THREADS=4 cargo test --workspace
step "workshop proof" make --no-print-directory workshop-prove
step "chaos-short" make --no-print-directory chaos-short

printf '\n== web client: waiting for its build\n'
if ! wait "$web_pid"; then
    web_pid=
    tail -n 40 "$web_log"
    echo "the web client did not build (its whole log: $web_log)"
    exit 1
fi
web_pid=
tail -n 1 "$web_log"
step "browser test" env FRONTEND_TEST_SKIP_BUILD=1 bash scripts/frontend.sh test

printf '\nmake test: everything passed in %d min %d s\n' $(((SECONDS - began) / 60)) $(((SECONDS - began) % 60))
