#!/usr/bin/env bash
# `make run`: the whole stack on this machine, no containers.
#
# Builds the five binaries, starts a private PostgreSQL and etcd when none is
# configured, generates dev secrets and a dev TLS certificate, starts
# ml-engine, ai-engine, control-plane, risk-api and gateway in that order
# (each must answer 200 on its readiness URL within 60 s), prints the URLs
# and the admin login, and runs until Ctrl-C (or SIGTERM), which stops
# everything it started and nothing else.
#
# State lives in <repo>/.run/ and is reused by the next run:
#   secrets.env        generated once (mode 600): JWT secrets, API keys,
#                      admin login, database passwords
#   pg/ etcd/          data of the private PostgreSQL and etcd
#   certs/             dev certificate for the gateway (CN=localhost)
#   logs/<name>.log    each service's stdout/stderr (previous run: .log.1)
#
# Environment (a variable you set yourself is never overridden):
#   PROFILE=release               build and run release binaries (default dev)
#   QSGW_DATABASE_URL + QRAP_DB_* use that database instead of a private one
#   QSGW_ETCD_ENDPOINTS           use that etcd instead of a private one
#   QSGW_TLS_CERT_PATH/_KEY_PATH  use that certificate instead of the dev one
#   QUANTUN_RUN_PG_PORT           private PostgreSQL port (default 55432)
#   QUANTUN_RUN_ETCD_PORT         private etcd client port (default 23790; peer +1)
#   QUANTUN_RUN_BIN_DIR           run the binaries found there, skip cargo build
#   QUANTUN_RUN_READY_TIMEOUT     seconds each service gets to become ready (60)
#   QSGW_RESET_ADMIN=1            set the printed admin login on a database that
#                                 already has users (create-admin + reset-password --enable)
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ----------------------------------------------------------------- state

RUN_DIR="$QUANTUN_ROOT/.run"
SERVICES=(ml-engine ai-engine control-plane risk-api gateway)
# The generated secrets kept in .run/secrets.env, and those exported to the
# services (the database passwords only go with a private PostgreSQL).
SECRET_KEYS=(QSGW_JWT_SECRET QUANTUN_JWT_SECRET QSGW_API_KEY QUANTUN_API_KEYS
    QSGW_VIEWER_API_KEYS QSGW_ADMIN_EMAIL QSGW_ADMIN_PASSWORD QSGW_DB_PASSWORD QRAP_DB_PASSWORD)
EXPORTED_SECRETS=(QSGW_JWT_SECRET QUANTUN_JWT_SECRET QSGW_API_KEY QUANTUN_API_KEYS
    QSGW_VIEWER_API_KEYS QSGW_ADMIN_EMAIL QSGW_ADMIN_PASSWORD)
ROLES_SQL="$QUANTUN_ROOT/compose/postgres/roles.sql"

ready_timeout="${QUANTUN_RUN_READY_TIMEOUT:-60}"
secrets_file="$RUN_DIR/secrets.env"
pg_dir="$RUN_DIR/pg"
etcd_dir="$RUN_DIR/etcd"
bin_dir=""
declare -A secret=()   # SECRET_KEYS → value
declare -A svc_pid=()  # service → pid ("" once reaped)
declare -A ready_url=() # service → readiness URL
started=()             # services started, in order
started_pg=""
started_etcd=""
pg_port=""
etcd_port=""
etcd_peer_port=""
phase=starting # starting → running → stopping (or failed)
own_lock=""
# Ports of the services: the services' own variables, else their defaults.
cp_port="${QSGW_CP_PORT:-8085}"
ai_port="${QSGW_AI_PORT:-8086}"
risk_port="${QRAP_API_PORT:-8083}"
ml_port="${QRAP_ML_PORT:-8084}"
gw_port="${QSGW_GATEWAY_PORT:-8443}"
admin_port="${QSGW_GATEWAY_ADMIN_PORT:-9901}"

# ---------------------------------------------------------------- helpers

# export NAME=VALUE unless the user already gave NAME a non-empty value.
export_default() {
    local name="$1" value="$2"
    if [[ -z "${!name:-}" ]]; then
        export "$name=$value"
    fi
}

# Random string of [A-Za-z0-9] with at least one lower, upper and digit.
rand_alnum() {
    local len="$1" s=""
    while :; do
        s="$(openssl rand -base64 $((len * 2)))"
        s="${s//[^A-Za-z0-9]/}"
        s="${s:0:len}"
        ((${#s} == len)) && [[ "$s" =~ [a-z] && "$s" =~ [A-Z] && "$s" =~ [0-9] ]] && break
    done
    printf '%s\n' "$s"
}

new_secret() {
    case "$1" in
    QSGW_JWT_SECRET | QUANTUN_JWT_SECRET) openssl rand -base64 48 | tr -d '\n' ;;
    QSGW_API_KEY) printf 'qsgw_k_%s' "$(openssl rand -hex 16)" ;;
    QUANTUN_API_KEYS) printf 'qrap_k_%s:dev' "$(openssl rand -hex 16)" ;;
    QSGW_VIEWER_API_KEYS) printf 'qsgw_v_%s:qrap' "$(openssl rand -hex 16)" ;;
    QSGW_ADMIN_EMAIL) printf 'admin@localhost' ;;
    QSGW_ADMIN_PASSWORD) rand_alnum 20 ;;
    QSGW_DB_PASSWORD | QRAP_DB_PASSWORD) rand_alnum 24 ;;
    *) die "no generator for $1" ;;
    esac
}

# Percent-encode a URL userinfo component.
urlencode() {
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
        [A-Za-z0-9._~-]) out+="$c" ;;
        *) out+="$(printf '%%%02X' "'$c")" ;;
        esac
    done
    printf '%s\n' "$out"
}

# postgres://user:secret@host/db -> postgres://user:****@host/db
mask_url() { sed -E 's#(://[^:/@]*:)[^@]*@#\1****@#' <<<"$1"; }

# A value for psql's \set '...': double backslashes and single quotes.
psql_quote() {
    local v="${1//\\/\\\\}"
    printf "'%s'" "${v//\'/\'\'}"
}

# A value inside a JSON string: escape backslashes and double quotes.
json_escape() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '%s' "$s"
}

# ------------------------------------------------------------- lifecycle

stop_services() {
    local i name pid deadline
    ((${#started[@]})) || return 0
    # Reverse order: the gateway stops taking traffic first.
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        name="${started[i]}"
        pid="${svc_pid[$name]}"
        if [[ -n "$pid" ]] && pid_alive "$pid"; then
            info "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    deadline=$((SECONDS + 35))
    for name in "${started[@]}"; do
        pid="${svc_pid[$name]}"
        rm -f "$RUN_DIR/pids/$name.pid"
        [[ -n "$pid" ]] || continue # already reaped: its pid may be reused
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if pid_alive "$pid"; then
            warn "$name (pid $pid) still running after 35 s, sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    started=()
}

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
    local rc=$?
    trap - EXIT
    # A second Ctrl-C must not abandon the clean-up half way (every step
    # below is time-boxed): ignore it here and in the stop commands below,
    # which inherit the ignored disposition and share our process group.
    trap '' INT HUP
    trap 'info "still stopping, please wait"' TERM
    set +e
    stop_services
    if [[ -n "$started_etcd" ]]; then
        "$QUANTUN_SCRIPTS_DIR/etcd.sh" stop "$etcd_dir" "$etcd_port" "$etcd_peer_port"
    fi
    if [[ -n "$started_pg" ]]; then
        "$QUANTUN_SCRIPTS_DIR/pg.sh" stop "$pg_dir" "$pg_port"
    fi
    [[ -n "$own_lock" ]] && rm -f "$RUN_DIR/run.pid"
    if [[ "$phase" == stopping ]]; then
        info "stopped"
        rc=0
    fi
    exit "$rc"
}

# shellcheck disable=SC2317 # invoked through trap
on_signal() {
    echo >&2
    if [[ "$phase" == running ]]; then
        info "$1: shutting down"
        phase=stopping
        exit 0
    fi
    info "$1 during start-up: cleaning up"
    exit 130
}

install_traps() {
    trap cleanup EXIT
    trap 'on_signal SIGINT' INT
    trap 'on_signal SIGTERM' TERM
    trap 'on_signal SIGHUP' HUP
}

# The service's process was reaped: forget its pid, which may be reused.
mark_dead() { svc_pid[$1]=""; }

fail_service() { # fail_service NAME MESSAGE
    warn "$2"
    show_tail "$RUN_DIR/logs/$1.log" 20
    exit 1
}

# ----------------------------------------------------------- preparation

check_tools() {
    ensure_deps
    [[ "$ready_timeout" =~ ^[0-9]+$ ]] || die "QUANTUN_RUN_READY_TIMEOUT must be a number of seconds"
}

# .run/ and the lock against a second `make run` on the same checkout.
prepare_run_dir() {
    local other other_cmd
    # .run must be searchable by the postgres user (it owns .run/pg); what
    # is secret inside it has mode 600.
    mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids"
    chmod 711 "$RUN_DIR"
    chmod 700 "$RUN_DIR/logs" "$RUN_DIR/pids"
    if [[ -f "$RUN_DIR/run.pid" ]]; then
        other="$(head -n1 "$RUN_DIR/run.pid" 2>/dev/null || true)"
        other_cmd="$(tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null || true)"
        if pid_alive "$other" && [[ "$other_cmd" == *run.sh* ]]; then
            die "another make run is active (pid $other); stop it first"
        fi
    fi
    echo "$$" >"$RUN_DIR/run.pid"
    own_lock=1
}

# Every service port must be free: a stack already running is refused.
check_ports() {
    local p busy=()
    ready_url=(
        [ml-engine]="http://127.0.0.1:$ml_port/health/ready"
        [ai-engine]="http://127.0.0.1:$ai_port/health/ready"
        [control-plane]="http://127.0.0.1:$cp_port/health/ready"
        [risk-api]="http://127.0.0.1:$risk_port/health/ready"
        [gateway]="http://127.0.0.1:$admin_port/health/ready"
    )
    for p in "$ml_port" "$ai_port" "$cp_port" "$risk_port" "$gw_port" "$admin_port"; do
        port_in_use "$p" && busy+=("$p")
    done
    ((${#busy[@]} == 0)) || die "port(s) ${busy[*]} already in use: is the stack (or something else) already running?"
}

# Sets bin_dir: QUANTUN_RUN_BIN_DIR as given, else cargo's output of PROFILE.
build_binaries() {
    local name profile out target_dir
    local -a build_args
    if [[ -n "${QUANTUN_RUN_BIN_DIR:-}" ]]; then
        bin_dir="$(abs_path "$QUANTUN_RUN_BIN_DIR")"
        info "using the binaries in $bin_dir (QUANTUN_RUN_BIN_DIR), no cargo build"
    else
        profile="${PROFILE:-dev}"
        case "$profile" in
        dev | debug) build_args=() out=debug ;;
        release) build_args=(--release) out=release ;;
        *) build_args=(--profile "$profile") out="$profile" ;;
        esac
        target_dir="${CARGO_TARGET_DIR:-target}"
        [[ "$target_dir" == /* ]] || target_dir="$QUANTUN_ROOT/$target_dir"
        bin_dir="$target_dir/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}$out"
        info "cargo build --workspace --bins ${build_args[*]}"
        SQLX_OFFLINE="${SQLX_OFFLINE:-true}" cargo build --workspace --bins "${build_args[@]}"
    fi
    for name in "${SERVICES[@]}"; do
        [[ -x "$bin_dir/$name" ]] || die "binary $bin_dir/$name not found"
    done
}

# Reads .run/secrets.env into `secret`, generating (and appending) what is
# missing; exports the service secrets the user did not set.
load_secrets() {
    local line key
    (
        umask 077
        touch "$secrets_file"
    )
    chmod 600 "$secrets_file"
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
        secret["${BASH_REMATCH[1]}"]="${BASH_REMATCH[2]}"
    done <"$secrets_file"
    for key in "${SECRET_KEYS[@]}"; do
        if [[ -z "${secret[$key]:-}" ]]; then
            secret[$key]="$(new_secret "$key")"
            printf '%s=%s\n' "$key" "${secret[$key]}" >>"$secrets_file"
            info "generated $key in .run/secrets.env"
        fi
    done
    for key in "${EXPORTED_SECRETS[@]}"; do
        export_default "$key" "${secret[$key]}"
    done
}

# --------------------------------------------------------------- database

# The database: the user's (QSGW_DATABASE_URL + QRAP_DB_*), else the private
# PostgreSQL in .run/pg with the qsgw and qrap roles and databases.
setup_database() {
    local v
    local -a missing=()
    if [[ -n "${QSGW_DATABASE_URL:-}" ]]; then
        info "QSGW_DATABASE_URL is set: not starting a private PostgreSQL"
        for v in QRAP_DB_HOST QRAP_DB_NAME QRAP_DB_USER QRAP_DB_PASSWORD; do
            [[ -n "${!v:-}" ]] || missing+=("$v")
        done
        ((${#missing[@]} == 0)) || die "QSGW_DATABASE_URL is set, so set ${missing[*]} too"
        return 0
    fi
    start_private_pg
    export_default QSGW_DB_PASSWORD "${secret[QSGW_DB_PASSWORD]}"
    export_default QRAP_DB_PASSWORD "${secret[QRAP_DB_PASSWORD]}"
    create_roles
    QSGW_DATABASE_URL="postgres://qsgw:$(urlencode "$QSGW_DB_PASSWORD")@127.0.0.1:$pg_port/qsgw?sslmode=disable"
    export QSGW_DATABASE_URL
    export_default QRAP_DB_HOST 127.0.0.1
    export_default QRAP_DB_PORT "$pg_port"
    export_default QRAP_DB_NAME qrap
    export_default QRAP_DB_USER qrap
    export_default QRAP_DB_SSLMODE disable
}

start_private_pg() {
    pg_port="${QUANTUN_RUN_PG_PORT:-55432}"
    if "$QUANTUN_SCRIPTS_DIR/pg.sh" status "$pg_dir" "$pg_port" >/dev/null; then
        info "PostgreSQL in .run/pg already running: using it (it will be left running)"
    else
        started_pg=1
    fi
    # A no-op when it runs (but it checks the port).
    PG_FAST='' "$QUANTUN_SCRIPTS_DIR/pg.sh" start "$pg_dir" "$pg_port"
}

# The roles and databases of compose/postgres/roles.sql (the file compose's
# Postgres runs too), passwords set to QSGW_DB_PASSWORD and QRAP_DB_PASSWORD.
# The passwords reach psql on stdin (\set), never on its command line.
create_roles() {
    local psql_bin
    psql_bin="$(pg_bindir)/psql"
    [[ -x "$psql_bin" ]] || psql_bin=psql
    printf '\\set qsgw_pw %s\n\\set qrap_pw %s\n\\i %s\n' \
        "$(psql_quote "$QSGW_DB_PASSWORD")" "$(psql_quote "$QRAP_DB_PASSWORD")" "$(psql_quote "$ROLES_SQL")" |
        "$psql_bin" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres >/dev/null ||
        die "could not create the qsgw/qrap roles and databases (log: $pg_dir/postgres.log)"
}

# -------------------------------------------------------------------- etcd

setup_etcd() {
    if [[ -n "${QSGW_ETCD_ENDPOINTS:-}" ]]; then
        info "QSGW_ETCD_ENDPOINTS is set: not starting a private etcd"
        return 0
    fi
    etcd_port="${QUANTUN_RUN_ETCD_PORT:-23790}"
    etcd_peer_port=$((etcd_port + 1))
    if "$QUANTUN_SCRIPTS_DIR/etcd.sh" status "$etcd_dir" "$etcd_port" "$etcd_peer_port" >/dev/null; then
        info "etcd in .run/etcd already running: using it (it will be left running)"
    else
        started_etcd=1
    fi
    # A no-op when it runs (but it checks it answers on that port).
    "$QUANTUN_SCRIPTS_DIR/etcd.sh" start "$etcd_dir" "$etcd_port" "$etcd_peer_port"
    export QSGW_ETCD_ENDPOINTS="http://127.0.0.1:$etcd_port"
}

# ------------------------------------------------------------ certificate

# The gateway's certificate: QSGW_TLS_CERT_PATH as given, else a
# development chain from the gateway binary (scripts/lib.sh
# gateway_dev_cert: a root CA and a localhost leaf valid 397 days) kept in
# .run/certs (server.crt, server.key, ca.crt) and renewed when missing or
# expiring within a day.
setup_certificate() {
    [[ -z "${QSGW_TLS_CERT_PATH:-}" ]] || return 0
    local cert_dir="$RUN_DIR/certs"
    local crt="$cert_dir/server.crt" key="$cert_dir/server.key"
    if [[ ! -s "$crt" || ! -s "$key" ]] || ! openssl x509 -in "$crt" -noout -checkend 86400 >/dev/null 2>&1; then
        mkdir -p "$cert_dir"
        chmod 700 "$cert_dir"
        gateway_dev_cert "$bin_dir/gateway" "$cert_dir" || die "gateway gen-cert could not create the dev certificate"
        chmod 600 "$key"
        chmod 644 "$crt" "$cert_dir/ca.crt"
        info "generated dev certificate .run/certs/server.crt (CN=localhost, 397 days; root .run/certs/ca.crt)"
    fi
    export QSGW_TLS_CERT_PATH="$crt"
    export_default QSGW_TLS_KEY_PATH "$key"
}

# ------------------------------------------------------ service settings

export_service_settings() {
    export_default QSGW_CONTROL_PLANE_URL "http://127.0.0.1:$cp_port"
    export_default QSGW_AI_ENGINE_URL "http://127.0.0.1:$ai_port"
    export_default QRAP_ML_URL "http://127.0.0.1:$ml_port"
    # The control plane scores the exposure per route (GET /api/v1/exposure)
    # with the same ML engine.
    export_default QSGW_ML_ENGINE_URL "http://127.0.0.1:$ml_port"
    # The gateway: development mode (self-signed cert allowed) and its
    # last-good-config cache inside .run/.
    export_default QSGW_ENVIRONMENT development
    export_default QSGW_CONFIG_CACHE_PATH "$RUN_DIR/gateway/config-cache.json"
    export_default QSGW_LOG_LEVEL info
    # Development upstreams run on this machine: loopback targets are
    # allowed here explicitly (control plane and gateway refuse them by
    # default).
    export_default QSGW_ALLOWED_PRIVATE_TARGETS "127.0.0.0/8,::1/128"
    # QRAP imports the live traffic of this control plane (source.qsgw)
    # over plain http on loopback: both development settings, explicitly.
    export_default QRAP_QSGW_ALLOWED_TARGETS "127.0.0.0/8,::1/128"
    export_default QRAP_QSGW_ALLOW_HTTP_LOOPBACK true
    export_default QRAP_LOG_LEVEL info
    export_default QRAP_ML_LOG_LEVEL info
}

# --------------------------------------------------------------- services

wait_ready() { # wait_ready NAME
    local name="$1" pid="${svc_pid[$1]}" url="${ready_url[$1]}" code st
    local deadline=$((SECONDS + ready_timeout))
    while :; do
        if ! pid_alive "$pid"; then
            st=0
            wait "$pid" 2>/dev/null || st=$?
            mark_dead "$name"
            fail_service "$name" "$name exited during start-up (status $st)"
        fi
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)"
        [[ "$code" == 200 ]] && return 0
        if ((SECONDS >= deadline)); then
            fail_service "$name" "$name not ready after ${ready_timeout}s: $url answered ${code:-nothing}"
        fi
        sleep 0.5
    done
}

# QSGW_RESET_ADMIN=1 make run: make the admin login printed at the end work
# on a database that already has users (the first-admin bootstrap creates
# nothing then): create the account if missing, set its password, enable it.
reset_admin_if_asked() {
    [[ "${QSGW_RESET_ADMIN:-}" == 1 ]] || return 0
    "$bin_dir/control-plane" create-admin >/dev/null 2>&1 || true
    "$bin_dir/control-plane" reset-password --enable >&2 ||
        die "control-plane reset-password failed (see above)"
}

# Starts the services in order, each ready before the next.
start_services() {
    local name log
    for name in "${SERVICES[@]}"; do
        log="$RUN_DIR/logs/$name.log"
        [[ -f "$log" ]] && mv -f "$log" "$log.1"
        # Each service gets its own session: Ctrl-C reaches only this
        # script, which then stops them in order (and never mistakes a
        # service that exited on that same Ctrl-C for a crash). setsid does
        # not fork here (an async child of a non-interactive shell is no
        # group leader), so $! is the service itself, still our child.
        setsid "$bin_dir/$name" </dev/null >"$log" 2>&1 &
        svc_pid[$name]=$!
        started+=("$name")
        echo "${svc_pid[$name]}" >"$RUN_DIR/pids/$name.pid"
        info "started $name (pid ${svc_pid[$name]}), waiting for ${ready_url[$name]}"
        wait_ready "$name"
    done
}

# ---------------------------------------------------------------- summary

# How to sign in to the QRAP web app: it has no passwords, it takes a token.
# Mints an admin one (valid QUANTUN_JWT_TTL_SECS, 1 h by default) into a
# private file and says where it is.
qrap_token_note() {
    local file="$RUN_DIR/qrap-admin.token"
    if (umask 077 && "$bin_dir/risk-api" token --role admin --subject qrap-admin >"$file" 2>/dev/null); then
        printf 'paste the token in %s\n' "$file"
    else
        rm -f "$file"
        printf 'mint a token: %s/risk-api token --role admin (with %s sourced)\n' "$bin_dir" "$secrets_file"
    fi
}

# Does the admin login printed at the end sign in? It does not when the
# database already had users from an earlier run with other credentials
# (the first-admin bootstrap then creates nothing): say so, with the way
# back in.
login_note() {
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
        --data "{\"email\":\"$(json_escape "$QSGW_ADMIN_EMAIL")\",\"password\":\"$(json_escape "$QSGW_ADMIN_PASSWORD")\"}" \
        "http://127.0.0.1:$cp_port/api/v1/auth/login" 2>/dev/null || true)"
    if [[ "$code" == 200 ]]; then
        printf '(checked: it signs in)\n'
    else
        printf '%s\n' "(does NOT sign in: HTTP $code; the database kept an earlier run's users.
                       Run QSGW_RESET_ADMIN=1 make run to set it, or log in with your own admin)"
    fi
}

print_summary() {
    local qrap_db_url token_note sign_in_note
    qrap_db_url="postgres://${QRAP_DB_USER}:****@${QRAP_DB_HOST}:${QRAP_DB_PORT:-5432}/${QRAP_DB_NAME}"
    token_note="$(qrap_token_note)"
    sign_in_note="$(login_note)"
    cat <<SUMMARY

Quantun stack is up.

  gateway (TLS)        https://localhost:$gw_port    (dev cert: ${QSGW_TLS_CERT_PATH})
  gateway admin        http://127.0.0.1:$admin_port  (/health/ready, /metrics)
  control plane        http://127.0.0.1:$cp_port   (API docs: http://127.0.0.1:$cp_port/api/v1/docs)
  QSGW console         http://127.0.0.1:$cp_port/admin/   (log in with the admin login below)
  ai-engine            http://127.0.0.1:$ai_port
  risk API             http://127.0.0.1:$risk_port   (API docs: http://127.0.0.1:$risk_port/api/v1/docs)
  QRAP web app         http://127.0.0.1:$risk_port/app/  ($token_note)
  ml-engine            http://127.0.0.1:$ml_port

  admin login          ${QSGW_ADMIN_EMAIL} / ${QSGW_ADMIN_PASSWORD}  $sign_in_note
  API keys, secrets    $secrets_file
  etcd                 ${QSGW_ETCD_ENDPOINTS}
  QSGW database        $(mask_url "$QSGW_DATABASE_URL")
  QRAP database        $qrap_db_url
  logs                 $RUN_DIR/logs/<service>.log

Press Ctrl-C to stop.
SUMMARY
}

# ------------------------------------------------------------------ watch

name_of_pid() {
    local n
    for n in "${started[@]}"; do
        [[ "${svc_pid[$n]}" == "$1" ]] && printf '%s\n' "$n" && return 0
    done
    return 1
}

# Runs until a signal (on_signal) or a service exits (which stops the rest).
watch_services() {
    local name pid died st pids=()
    for name in "${started[@]}"; do pids+=("${svc_pid[$name]}"); done
    while :; do
        died=""
        st=0
        if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
            wait -n -p died "${pids[@]}" || st=$?
        else
            sleep 1
            for pid in "${pids[@]}"; do
                if ! pid_alive "$pid"; then
                    died="$pid"
                    wait "$pid" 2>/dev/null || st=$?
                    break
                fi
            done
        fi
        if [[ -n "$died" ]]; then
            name="$(name_of_pid "$died" || echo "pid $died")"
            [[ "$name" == "pid "* ]] || mark_dead "$name"
            phase=failed
            fail_service "$name" "$name (pid $died) exited unexpectedly (status $st): stopping the rest"
        fi
    done
}

# ------------------------------------------------------------------- main

main() {
    cd "$QUANTUN_ROOT"
    install_traps
    check_tools
    prepare_run_dir
    check_ports
    build_binaries
    load_secrets
    setup_database
    setup_etcd
    setup_certificate
    export_service_settings
    reset_admin_if_asked
    start_services
    print_summary
    phase=running
    watch_services
}

main "$@"
