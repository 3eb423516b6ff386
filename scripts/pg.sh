#!/usr/bin/env bash
# A private PostgreSQL instance kept in one directory.
#
#   scripts/pg.sh start  DIR PORT   initdb on first use, then start (no-op if running)
#   scripts/pg.sh stop   DIR PORT   fast shutdown (no-op if not running)
#   scripts/pg.sh status DIR PORT   exit 0 if running, 3 if not
#   scripts/pg.sh url    DIR PORT   print postgres://postgres@127.0.0.1:PORT/postgres
#
# Layout: DIR/data (cluster), DIR/postgres.log (server log), unix socket in DIR.
# It listens on 127.0.0.1:PORT only, authentication is `trust` (local use
# only), superuser `postgres`, max_connections=200.
# PG_FAST=1 turns durability off (fsync, synchronous_commit,
# full_page_writes): for throwaway test databases only.
# PG_TLS_DIR=PKI serves TLS with PKI/server.{crt,key} (as written by
# scripts/etcd-certs.sh: SAN 127.0.0.1 and localhost, signed by PKI/ca.crt)
# and accepts TCP clients over TLS only (hostssl); clients verify it with
# sslmode=verify-full and sslrootcert=PKI/ca.crt. Set it on every start.
#
# As root, the server runs as the `postgres` OS user, who must be able to
# reach DIR: DIR is chowned to it, but its parent directories must be
# searchable (a dir under /tmp is; one under /root or a mktemp -d is not).
# Safe to call repeatedly and from any working directory; Rust tests use it
# to stop and restart a database under a running service.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    echo "usage: ${0##*/} {start|stop|status|url} DIR PORT" >&2
    exit 2
}

(($# == 3)) || usage
cmd="$1"
dir="$(abs_path "$2")"
port="$3"
valid_port "$port" || die "bad port: $port"
# pg_ctl hands -o options to a shell: keep DIR free of quotes and spaces.
[[ "$dir" =~ ^[A-Za-z0-9_./+@:-]+$ ]] || die "DIR may only contain [A-Za-z0-9_./+@:-]: $dir"
data="$dir/data"
log="$dir/postgres.log"

bindir="$(pg_bindir)" || die "no PostgreSQL server binaries found (install postgresql)"

pg_running() {
    [[ -f "$data/PG_VERSION" && -f "$data/postmaster.pid" ]] || return 1
    # pg_ctl (and postgres itself) trust kill(pid, 0), which a killed but
    # unreaped postmaster still passes: look at the process state first.
    pid_alive "$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)" || return 1
    as_pg_user "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# After a crash (kill -9) the lock files stay behind and name a dead (maybe
# zombie) pid that postgres would take for a running server: remove them.
clear_stale_locks() {
    local f pid
    for f in "$data/postmaster.pid" "$dir/.s.PGSQL.$port.lock"; do
        [[ -f "$f" ]] || continue
        pid="$(head -n1 "$f" 2>/dev/null || true)"
        pid="${pid#-}"
        if ! pid_alive "$pid"; then
            info "removing stale lock file $f (pid $pid is gone)"
            rm -f "$f"
        fi
    done
}

# Port of the running postmaster, from line 4 of postmaster.pid.
running_port() { sed -n 4p "$data/postmaster.pid" 2>/dev/null || true; }

do_init() {
    mkdir -p "$dir"
    if is_root; then
        chown postgres: "$dir"
        chmod 700 "$dir"
        as_pg_user test -w "$dir" ||
            die "the postgres user cannot reach $dir: a parent directory is not searchable by others (use a DIR under /tmp, or chmod o+x the parents)"
    fi
    if [[ -f "$data/PG_VERSION" ]]; then
        return 0
    fi
    # The unix socket path is limited to 107 bytes.
    ((${#dir} + 20 < 107)) || die "DIR path too long for a unix socket: $dir"
    info "initdb $data"
    as_pg_user "$bindir/initdb" -D "$data" -A trust -U postgres --no-sync -E UTF8 \
        --locale=C >"$dir/initdb.log" 2>&1 || {
        show_tail "$dir/initdb.log" 30
        die "initdb failed"
    }
}

do_start() {
    if pg_running; then
        local rp
        rp="$(running_port)"
        if [[ -n "$rp" && "$rp" != "$port" ]]; then
            die "PostgreSQL in $dir is already running on port $rp, not $port"
        fi
        info "PostgreSQL already running in $dir on port $port"
        return 0
    fi
    do_init
    clear_stale_locks
    if port_in_use "$port"; then
        die "port $port is already in use by another process"
    fi
    local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200"
    if [[ "${PG_FAST:-}" == 1 ]]; then
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if [[ -n "${PG_TLS_DIR:-}" ]]; then
        opts+=" $(tls_setup "$(abs_path "$PG_TLS_DIR")")"
    fi
    if ! as_pg_user "$bindir/pg_ctl" start -D "$data" -w -t 60 -l "$log" -o "$opts" >/dev/null; then
        show_tail "$log" 30
        die "PostgreSQL failed to start in $dir (log: $log)"
    fi
    info "PostgreSQL started in $dir on 127.0.0.1:$port"
}

# tls_setup PKI: copies the server certificate and key into DIR/tls (the
# server refuses a key others can read), allows TCP clients over TLS only,
# and prints the server options that turn TLS on.
tls_setup() {
    local pki="$1" tls="$dir/tls"
    [[ -f "$pki/server.crt" && -f "$pki/server.key" ]] ||
        die "PG_TLS_DIR=$pki has no server.crt/server.key (scripts/etcd-certs.sh writes them)"
    mkdir -p "$tls"
    cp "$pki/server.crt" "$tls/server.crt"
    cp "$pki/server.key" "$tls/server.key"
    chmod 600 "$tls/server.key"
    is_root && chown -R postgres: "$tls"
    # initdb's trust lines for TCP become TLS-only; the unix socket stays.
    sed -i -E 's/^host(\s)/hostssl\1/' "$data/pg_hba.conf"
    echo "-c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
}

do_stop() {
    if ! pg_running; then
        info "PostgreSQL in $dir is not running"
        return 0
    fi
    as_pg_user "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
        die "pg_ctl stop failed for $dir (log: $log)"
    info "PostgreSQL in $dir stopped"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status)
    if pg_running; then
        echo "running (port $(running_port), pid $(head -n1 "$data/postmaster.pid"))"
    else
        echo "stopped"
        exit 3
    fi
    ;;
url) echo "postgres://postgres@127.0.0.1:$port/postgres" ;;
*) usage ;;
esac
