#!/usr/bin/env bash
# A private single-node etcd kept in one directory.
#
#   scripts/etcd.sh start  DIR CLIENT_PORT PEER_PORT   start (no-op if running), wait until healthy
#   scripts/etcd.sh stop   DIR CLIENT_PORT PEER_PORT   TERM, up to 10 s, then KILL
#   scripts/etcd.sh status DIR CLIENT_PORT PEER_PORT   exit 0 if running, 3 if not
#
# Layout: DIR/data (kept across restarts), DIR/etcd.pid, DIR/etcd.log.
#
# ETCD_TLS_DIR=PKI (made by scripts/etcd-certs.sh): serve https with
# client-certificate authentication (--client-cert-auth, CA PKI/ca.crt,
# server PKI/server.{crt,key}); health checks use PKI/root.{crt,key}. Run
# scripts/etcd-rbac.sh afterwards for users, roles and `auth enable`.
# It listens on 127.0.0.1 only and runs in its own session, so it outlives
# the shell that started it. Safe to call repeatedly and from any working
# directory; Rust tests use it to kill and restart etcd mid-test.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    echo "usage: ${0##*/} {start|stop|status} DIR CLIENT_PORT PEER_PORT" >&2
    exit 2
}

(($# == 4)) || usage
cmd="$1"
dir="$(abs_path "$2")"
cport="$3"
pport="$4"
for p in "$cport" "$pport"; do
    valid_port "$p" || die "bad port: $p"
done
[[ "$cport" != "$pport" ]] || die "client and peer ports must differ"
pidfile="$dir/etcd.pid"
log="$dir/etcd.log"
tls_dir="${ETCD_TLS_DIR:-}"
tls_args=()
ctl_tls=()
scheme=http
if [[ -n "$tls_dir" ]]; then
    tls_dir="$(abs_path "$tls_dir")"
    for f in ca.crt server.crt server.key root.crt root.key; do
        [[ -f "$tls_dir/$f" ]] || die "ETCD_TLS_DIR: $tls_dir/$f missing (make it with scripts/etcd-certs.sh)"
    done
    scheme=https
    tls_args=(--cert-file "$tls_dir/server.crt" --key-file "$tls_dir/server.key"
        --trusted-ca-file "$tls_dir/ca.crt" --client-cert-auth)
    ctl_tls=(--cacert "$tls_dir/ca.crt" --cert "$tls_dir/root.crt" --key "$tls_dir/root.key")
fi
endpoint="$scheme://127.0.0.1:$cport"
start_timeout=20
stop_timeout=10

# Pid of our etcd if it is alive, else nothing (and drop a stale pid file).
etcd_pid() {
    local pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
    if pid_alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == etcd ]]; then
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$pidfile"
    return 1
}

healthy() {
    ETCDCTL_API=3 etcdctl --endpoints="$endpoint" "${ctl_tls[@]}" --dial-timeout=1s --command-timeout=2s \
        endpoint health >/dev/null 2>&1
}

do_start() {
    command -v etcd >/dev/null || die "etcd not found (install etcd-server)"
    command -v etcdctl >/dev/null || die "etcdctl not found (install etcd-client)"
    local pid
    if pid="$(etcd_pid)"; then
        info "etcd already running in $dir (pid $pid)"
    else
        mkdir -p "$dir/data"
        chmod 700 "$dir/data"
        for p in "$cport" "$pport"; do
            port_in_use "$p" && die "port $p is already in use by another process"
        done
        local name=quantun-dev
        {
            echo
            echo "===== $(date -Is) etcd start client=$cport peer=$pport ====="
        } >>"$log"
        # bash -c writes its own pid and then execs etcd, so the pid file is
        # right whether or not setsid had to fork. ETCD_* variables from the
        # caller would override our flags' intent: drop them.
        rm -f "$pidfile"
        # shellcheck disable=SC2016 # $$, $1 and $@ belong to the inner bash
        env -u ETCD_DATA_DIR -u ETCD_NAME -u ETCD_LISTEN_CLIENT_URLS \
            -u ETCD_ADVERTISE_CLIENT_URLS -u ETCD_LISTEN_PEER_URLS \
            -u ETCD_INITIAL_CLUSTER -u ETCD_INITIAL_ADVERTISE_PEER_URLS \
            setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
            etcd --name "$name" \
            --data-dir "$dir/data" \
            --listen-client-urls "$endpoint" \
            --advertise-client-urls "$endpoint" \
            --listen-peer-urls "http://127.0.0.1:$pport" \
            --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
            --initial-cluster "$name=http://127.0.0.1:$pport" \
            --initial-cluster-state new \
            --initial-cluster-token quantun-dev \
            --logger zap --log-outputs stderr "${tls_args[@]}" \
            </dev/null >>"$log" 2>&1 &
        disown 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do
            [[ -s "$pidfile" ]] && break
            sleep 0.1
        done
        pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
        [[ -n "$pid" ]] || die "etcd did not start (no pid file $pidfile)"
    fi

    local deadline=$((SECONDS + start_timeout))
    while ! healthy; do
        if ((SECONDS >= deadline)); then
            show_tail "$log" 30
            die "etcd in $dir not healthy on $endpoint after ${start_timeout}s (log: $log)"
        fi
        if ! pid_alive "$pid"; then
            show_tail "$log" 30
            die "etcd in $dir exited during start (log: $log)"
        fi
        sleep 0.2
    done
    pid="$(etcd_pid)" || die "etcd answers on $endpoint but it is not the one in $dir"
    info "etcd running in $dir on $endpoint (pid $pid)"
}

do_stop() {
    local pid
    if ! pid="$(etcd_pid)"; then
        info "etcd in $dir is not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_timeout))
    while pid_alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if pid_alive "$pid"; then
        warn "etcd (pid $pid) still alive after ${stop_timeout}s, sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        while pid_alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$pidfile"
    info "etcd in $dir stopped"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status)
    if pid="$(etcd_pid)"; then
        echo "running (pid $pid, $endpoint)"
    else
        echo "stopped"
        exit 3
    fi
    ;;
*) usage ;;
esac
