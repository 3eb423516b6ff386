# Quantun stack: developer entry points. `make` alone lists them.
#
# Every cargo invocation shares one target directory outside the clone, so
# several clones (and CI) reuse one build cache.
CARGO_TARGET_DIR ?= $(HOME)/.cache/quantun-target
CARGO_BUILD_JOBS ?= 2
# sqlx macros read the checked-in offline data, never a live database.
SQLX_OFFLINE ?= true
export CARGO_TARGET_DIR CARGO_BUILD_JOBS SQLX_OFFLINE

# Extra arguments for the test runner, e.g. make test TEST_ARGS="-E test(auth)"
TEST_ARGS ?=
# Extra arguments for node --test in make test-ui, e.g. UI_TEST_ARGS="--test-name-pattern=login"
UI_TEST_ARGS ?=
# Arguments for make bench, e.g. BENCH_ARGS="-p ml-engine --bench scoring"
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test test-ui bench bench-gateway bench-ai model-ai lint sqlx-prepare fmt build setup clean-run deploy-check images config-reference compose-certs compose-smoke

help: ## List the targets
	@echo "Quantun stack. Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 20
	@echo "Cargo target dir: $(CARGO_TARGET_DIR)"

run: ## Build and run the whole stack locally (private Postgres + etcd in .run/); Ctrl-C stops it
	scripts/run.sh

test: ## Run all tests against a throwaway Postgres and etcd (TEST_ARGS=... for the runner)
	scripts/test.sh $(TEST_ARGS)

test-ui: ## Browser tests (headless Debian Chromium + playwright-core) against the real services and a fresh database
	scripts/test-ui.sh $(UI_TEST_ARGS)

bench: ## Run every benchmark ([[bench]] targets) against a throwaway Postgres (BENCH_ARGS="-p CRATE --bench NAME" narrows)
	scripts/bench.sh $(BENCH_ARGS)

lint: ## cargo fmt --check, clippy with warnings denied, and the sqlx offline query data up to date (cargo sqlx prepare --check per service)
	cargo fmt --all -- --check $(if $(CI),--color=never)
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	scripts/sqlx.sh check

sqlx-prepare: ## Regenerate the sqlx offline query data (.sqlx/) after changing a query or a migration (throwaway Postgres)
	scripts/sqlx.sh prepare

fmt: ## Format the workspace
	cargo fmt --all

build: ## Build every crate and target (dev profile)
	cargo build --workspace --all-targets --all-features

deploy-check: ## Validate compose/, k8s/, Dockerfile (kustomize, k8s 1.30 schemas, compose config, checkov) and cross-check env vars and metrics
	scripts/deploy-check.sh

config-reference: ## Regenerate the config reference in docs/deployment.md from the binaries' --help
	cargo build --quiet --bins
	python3 scripts/config_reference.py --bin-dir $(CARGO_TARGET_DIR)/debug --write docs/deployment.md

IMAGE_TAG ?= 0.1.0
IMAGE_REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# target:image pairs; one Dockerfile with a final stage per binary
IMAGES := gateway:quantun/qsgw-gateway control-plane:quantun/qsgw-control-plane ai-engine:quantun/qsgw-ai-engine risk-api:quantun/qrap-risk-api ml-engine:quantun/qrap-ml-engine

images: ## Build the five release images (builder stage in Docker; BuildKit where the CLI has it, else the legacy builder)
	scripts/images.sh $(IMAGE_TAG) $(IMAGE_REVISION) $(IMAGES)

compose-certs: ## Self-signed dev certificate for the compose gateway in compose/certs, readable by the image's uid 65532
	scripts/compose-certs.sh

compose-smoke: ## docs/deployment.md's compose quick start on a real Docker engine (installs docker.io, Compose v2; local stand-in base images), checked end to end
	scripts/compose-smoke.sh

bench-gateway: ## Gateway vs nginx and HAProxy (req/s, p50/p99, handshakes/s incl. CNSA2 and ML-DSA, RSS at 10k idle conns, route change → served, req/s with PQ TLS to the upstream vs nginx; ~3.5 min)
	scripts/bench.sh -p gateway --bench proxy

bench-ai: ## AI engine scoring throughput, in process and through the HTTP batch endpoint (~1 min)
	cargo bench -p ai-engine --bench throughput

model-ai: ## Retrain the AI engine's built-in model (seed 7) and evaluate it on seed 99 and the held-out real-agent benchmark
	mkdir -p target/ai-data
	cargo run --release -p ai-engine -- generate --seed 7 --out target/ai-data/train.jsonl
	cargo run --release -p ai-engine -- generate --seed 99 --out target/ai-data/eval.jsonl
	cargo run --release -p ai-engine -- train --input target/ai-data/train.jsonl --eval target/ai-data/eval.jsonl --version 1.3.0 --real-agents --out ai-engine/models/default.json

setup: ## Install the system tools (protoc, etcd, PostgreSQL, curl, openssl; nginx and haproxy for make bench-gateway) when missing
	scripts/setup.sh

clean-run: ## Remove .run/ (data, secrets, certs, logs) once nothing in it is running
	@alive=""; \
	for f in .run/run.pid .run/pids/*.pid .run/etcd/etcd.pid .run/pg/data/postmaster.pid; do \
		[ -f "$$f" ] || continue; \
		pid=$$(head -n 1 "$$f" | tr -d " -"); \
		if [ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null && ! grep -q "^State:.*Z" "/proc/$$pid/status" 2>/dev/null; then \
			alive="$$alive $$f(pid $$pid)"; \
		fi; \
	done; \
	if [ -n "$$alive" ]; then \
		echo "clean-run: still running:$$alive; stop it first (Ctrl-C make run, scripts/pg.sh stop .run/pg PORT, scripts/etcd.sh stop .run/etcd PORT PEER)" >&2; \
		exit 1; \
	fi; \
	rm -rf .run && echo "removed .run"
