#!/usr/bin/env bash
# `make setup`: install the system tools the build, the tests and `make run`
# need (protoc, etcd, etcdctl, PostgreSQL, curl, openssl), those of the
# browser tests (chromium, chromium-driver, nodejs, npm, and the real
# clients of the gateway test: curl, python3-requests, golang-go), and the peers of
# `make bench-gateway` (nginx, haproxy; taskset/prlimit from util-linux). As
# root on Debian/Ubuntu the missing ones are installed with apt; otherwise it
# stops with the list of packages to install (the bench peers only warn: the
# bench skips a missing peer).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_deps
ensure_ui_deps
# CI runs no benchmark: skip the peers there.
[[ -n "${CI:-}" ]] || ensure_bench_deps
info "protoc:     $(protoc --version)"
info "etcd:       $(etcd --version 2>/dev/null | head -n1)"
info "PostgreSQL: $("$(pg_bindir)/postgres" --version)"
info "curl:       $(curl --version | head -n1 | cut -d' ' -f1-2)"
info "openssl:    $(openssl version)"
info "chromium:   $(chromium --version 2>/dev/null | head -n1)"
info "node:       $(node --version) (npm $(npm --version 2>/dev/null))"
info "go:         $(go version 2>/dev/null)"
info "requests:   $(/usr/bin/python3 -c 'import requests; print(requests.__version__)' 2>/dev/null)"
if [[ -z "${CI:-}" ]]; then
    info "nginx:      $(nginx -v 2>&1 | head -n1 || echo 'not installed (make bench-gateway skips it)')"
    info "haproxy:    $(haproxy -v 2>/dev/null | head -n1 || echo 'not installed (make bench-gateway skips it)')"
fi

if ! command -v cargo >/dev/null 2>&1; then
    warn "cargo not found: sqlx-cli (make lint, make sqlx-prepare) is installed once cargo is there"
else
    "$QUANTUN_SCRIPTS_DIR/sqlx.sh" install
fi
if ! command -v cargo >/dev/null 2>&1; then
    warn "cargo not found: install a Rust toolchain (rustup) to build the workspace"
elif cargo nextest --version >/dev/null 2>&1; then
    info "nextest:    $(cargo nextest --version 2>/dev/null | head -n1)"
else
    info "cargo-nextest not installed: make test will use cargo test"
fi
