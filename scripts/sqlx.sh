#!/usr/bin/env bash
# The offline query data of the `sqlx::query!` macros of the workspace:
#
#   scripts/sqlx.sh prepare   regenerate .sqlx/ (commit it with the query change)
#   scripts/sqlx.sh check     fail when .sqlx/ is stale (`make lint` runs it)
#   scripts/sqlx.sh install   install sqlx-cli only
#
# Every build reads the checked-in `.sqlx/` data (SQLX_OFFLINE=true), never a
# live database. This script is the one place that talks to one: it starts a
# throwaway PostgreSQL on a free port, applies each service's migrations
# (control-plane: migrations/qsgw, risk-api: migrations/qrap, as the
# services apply them at start-up) into a schema of its own in one database,
# and runs `cargo sqlx prepare --workspace [--check]` against it.
#
# Why one database and not one per crate: the control plane's tests have
# risk-api as a dev-dependency, so building one crate's targets compiles the
# other crate's queries too, and both must find their tables in the one
# DATABASE_URL the macros read. The two sets share no table or function
# name, so `search_path=qsgw,qrap` resolves every query to its own
# service's schema.
#
# sqlx-cli (the version of the workspace's sqlx) is installed on first use
# under $QUANTUN_TOOLS_DIR (default ~/.cache/quantun-tools), outside the clone
# so that clones and CI share it.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$QUANTUN_ROOT"

# Keep in step with `sqlx` in the workspace Cargo.toml.
SQLX_CLI_VERSION=0.8.6
tools_dir="${QUANTUN_TOOLS_DIR:-$HOME/.cache/quantun-tools}"
# crate:migration-set pairs (the crate applies the set at start-up)
SERVICES=(control-plane:qsgw risk-api:qrap)

usage() {
    echo "usage: ${0##*/} {prepare|check|install}" >&2
    exit 2
}

ensure_sqlx_cli() {
    local have=""
    if [[ -x "$tools_dir/bin/sqlx" ]]; then
        have="$("$tools_dir/bin/sqlx" --version 2>/dev/null | awk '{print $2}')"
    fi
    if [[ "$have" != "$SQLX_CLI_VERSION" ]]; then
        info "installing sqlx-cli $SQLX_CLI_VERSION into $tools_dir (one time, ~5 min)"
        cargo install sqlx-cli --version "$SQLX_CLI_VERSION" --locked \
            --no-default-features --features postgres,rustls \
            --root "$tools_dir" --target-dir "$tools_dir/build"
        rm -rf "$tools_dir/build"
    fi
    export PATH="$tools_dir/bin:$PATH"
    info "sqlx-cli:   $(sqlx --version)"
}

pg_dir=""
pg_port=""
# shellcheck disable=SC2317 # invoked through trap
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

main() {
    (($# == 1)) || usage
    local mode="$1"
    case "$mode" in
        prepare | check | install) ;;
        *) usage ;;
    esac
    ensure_sqlx_cli
    [[ "$mode" != install ]] || return 0
    ensure_deps

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-sqlx-pg.XXXXXX")"
    pg_port="$(free_port)"
    PG_FAST=1 "$QUANTUN_SCRIPTS_DIR/pg.sh" start "$pg_dir" "$pg_port"

    local set url base="postgres://postgres@127.0.0.1:$pg_port/sqlx"
    local -a flags=() sets=()
    [[ "$mode" == check ]] && flags=(--check)
    sqlx database create --database-url "$base"
    local pair path=""
    for pair in "${SERVICES[@]}"; do
        set="${pair##*:}"
        sets+=("$set")
        path+="${path:+%2C}$set"
        "$(pg_bindir)/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d sqlx \
            -c "CREATE SCHEMA $set"
        sqlx migrate run --source "migrations/$set" \
            --database-url "$base?options=-c%20search_path%3D$set" >/dev/null
    done
    url="$base?options=-c%20search_path%3D$path"
    info "$mode: the workspace's queries against ${sets[*]}"
    # --all-targets: the queries of tests and benches are checked too.
    DATABASE_URL="$url" cargo sqlx prepare --workspace "${flags[@]}" -- --all-targets --all-features ||
        die "the offline query data (.sqlx/) is stale or a query is wrong; run scripts/sqlx.sh prepare and commit .sqlx"
}

main "$@"
