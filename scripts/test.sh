#!/usr/bin/env bash
# `make test`: run the workspace's tests against a throwaway PostgreSQL and
# etcd, started on free ports in temporary directories and removed on exit
# (whatever the outcome, Ctrl-C included).
#
#   scripts/test.sh [extra args for cargo nextest run / cargo test]
#
# The tests see:
#   DATABASE_URL                   superuser URL; sqlx::test makes a fresh database per test
#   QUANTUN_TEST_ETCD_ENDPOINTS    http://127.0.0.1:PORT
#   QUANTUN_REPO_ROOT              absolute path of the repository
#   SQLX_OFFLINE=true
# Uses cargo-nextest when installed, else cargo test.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$QUANTUN_ROOT"
ensure_deps

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

pg_dir=""
etcd_dir=""
pg_port=""
etcd_port=""
etcd_peer_port=""

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$etcd_dir" ]]; then
        [[ -n "$etcd_port" ]] &&
            "$QUANTUN_SCRIPTS_DIR/etcd.sh" stop "$etcd_dir" "$etcd_port" "$etcd_peer_port"
        rm -rf "$etcd_dir"
    fi
    if [[ -n "$pg_dir" ]]; then
        [[ -n "$pg_port" ]] && "$QUANTUN_SCRIPTS_DIR/pg.sh" stop "$pg_dir" "$pg_port"
        rm -rf "$pg_dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# mktemp -d makes a 0700 directory straight under /tmp: as the data dir
# itself (pg.sh chowns it to postgres) it is reachable by the postgres user.
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-test-pg.XXXXXX")"
etcd_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-test-etcd.XXXXXX")"

pg_port="$(free_port)"
etcd_port="$(free_port)"
etcd_peer_port="$(free_port)"
while [[ "$etcd_port" == "$pg_port" ]]; do etcd_port="$(free_port)"; done
while [[ "$etcd_peer_port" == "$etcd_port" || "$etcd_peer_port" == "$pg_port" ]]; do
    etcd_peer_port="$(free_port)"
done

# Also inherited by the pg.sh calls of tests that run their own instance.
export PG_FAST=1
"$QUANTUN_SCRIPTS_DIR/pg.sh" start "$pg_dir" "$pg_port"
"$QUANTUN_SCRIPTS_DIR/etcd.sh" start "$etcd_dir" "$etcd_port" "$etcd_peer_port"

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export QUANTUN_TEST_ETCD_ENDPOINTS="http://127.0.0.1:$etcd_port"
export QUANTUN_REPO_ROOT="$QUANTUN_ROOT"
export SQLX_OFFLINE=true
# An independent TLS implementation for the interop tests (tlslite-ng, pure
# Python, with the ML-KEM hybrids): the gateway's CNSA2 listener against it.
ensure_venv "${QUANTUN_INTEROP_VENV:-$HOME/.cache/quantun-interop/venv}" \
    "$QUANTUN_SCRIPTS_DIR/interop-requirements.txt"
export QUANTUN_TLSLITE_PYTHON="${QUANTUN_INTEROP_VENV:-$HOME/.cache/quantun-interop/venv}/bin/python"

if cargo nextest --version >/dev/null 2>&1; then
    runner=(cargo nextest run --workspace --all-features --no-fail-fast)
else
    info "cargo-nextest not installed: using cargo test"
    runner=(cargo test --workspace --all-features --no-fail-fast)
fi

info "DATABASE_URL=$DATABASE_URL QUANTUN_TEST_ETCD_ENDPOINTS=$QUANTUN_TEST_ETCD_ENDPOINTS"
info "running: ${runner[*]} $*"
status=0
"${runner[@]}" "$@" || status=$?
if ((status != 0)); then
    info "tests failed (exit $status)"
fi
exit "$status"
