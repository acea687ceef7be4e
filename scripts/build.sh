#!/usr/bin/env bash
# `make build` (and so `make run`): the services (the `lab` profile, into target/lab/: see
# Cargo.toml) and the web client, side by side.
#
# The two builds share nothing (another target, another profile; the web client has a
# target folder of its own), and neither keeps 2 cores busy all the time (linking, build
# scripts, one big crate at the end), so together they finish sooner than one after the
# other. The web client's build, with its first-time tools (wasm-bindgen-cli, wasm-opt),
# writes to a log; the services' build prints here.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p target
web_log=target/web-client-build.log
echo "web client: building in the background (log: $web_log)"
# A process group of its own, so that stopping it stops cargo and rustc too.
setsid bash scripts/frontend.sh build >"$web_log" 2>&1 &
web_pid=$!
trap 'kill -- "-$web_pid" 2>/dev/null || true' EXIT

cargo build --profile lab -p posts -p comments -p moderation -p query -p bus --bins

if [ -n "$(jobs -r)" ]; then echo "services built; the web client is still building…"; fi
if ! wait "$web_pid"; then
    tail -n 40 "$web_log"
    echo "the web client did not build (its whole log: $web_log)"
    exit 1
fi
trap - EXIT
tail -n 1 "$web_log"
