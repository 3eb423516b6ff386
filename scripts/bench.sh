#!/usr/bin/env bash
# Runs every benchmark target of the workspace (`cargo bench --workspace
# --bench '*'`: only [[bench]] targets, not every library in bench mode) against a throwaway PostgreSQL (DATABASE_URL), which is removed
# afterwards whatever the outcome. Extra arguments go to cargo bench, e.g.
#   scripts/bench.sh -p ml-engine --bench scoring
# A crate adds a benchmark by declaring a [[bench]] target (harness = false
# prints its own figures); record figures in BENCHMARKS.md with the command.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$QUANTUN_ROOT"
ensure_deps
ensure_bench_deps

pg_dir=""
pg_port=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$pg_dir" ]]; then
        [[ -n "$pg_port" ]] && "$QUANTUN_SCRIPTS_DIR/pg.sh" stop "$pg_dir" "$pg_port"
        rm -rf "$pg_dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-bench-pg.XXXXXX")"
pg_port="$(free_port)"
export PG_FAST=1
"$QUANTUN_SCRIPTS_DIR/pg.sh" start "$pg_dir" "$pg_port"
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export QUANTUN_REPO_ROOT="$QUANTUN_ROOT"
export SQLX_OFFLINE=true

if [[ $# -gt 0 ]]; then
    cargo bench "$@"
else
    cargo bench --workspace --bench '*'
fi
