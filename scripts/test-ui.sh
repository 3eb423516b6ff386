#!/usr/bin/env bash
# `make test-ui`: the browser tests (ui/tests/*.test.mjs, Node's built-in
# runner driving Debian's headless Chromium through playwright-core)
# against the real services, started here on free ports with a fresh
# database and etcd, all stopped and removed on exit (whatever the outcome).
#
#   scripts/test-ui.sh [extra args for node --test, e.g. --test-name-pattern=login]
#
# Starts: private PostgreSQL (databases qsgw and qrap) and etcd
# (scripts/pg.sh, scripts/etcd.sh), ml-engine, ai-engine, control-plane,
# risk-api and the gateway (real TLS with a throwaway self-signed
# certificate, routes from etcd, inspection by the ai-engine, 127.0.0.1
# trusted as a proxy so that each test client can name its own address in
# X-Forwarded-For).
# The tests see (ui/tests/lib.mjs reads them):
#   QSGW_URL, QRAP_URL                     base URLs of the control plane and the risk API
#   QSGW_GATEWAY_URL                       the gateway's TLS listener, https://localhost:PORT
#   QSGW_GATEWAY_SPKI                      base64 SHA-256 of its certificates' public keys,
#                                          ECDSA then ML-DSA-65, comma separated
#                                          (Chromium's --ignore-certificate-errors-spki-list)
#   QSGW_GATEWAY_CA                        the root CA that signed it (PEM file), for curl,
#                                          requests, Go
#   QSGW_ADMIN_EMAIL, QSGW_ADMIN_PASSWORD  the control plane's first admin
#   QSGW_API_KEY                           control-plane service key (ingest)
#   QSGW_VIEWER_API_KEY                    control-plane read-only key (QRAP's import from QSGW)
#   QRAP_API_KEY, QUANTUN_JWT_SECRET       risk API service key and JWT secret
# A failing test leaves a screenshot in target/ui-screenshots/; service logs
# are printed when a service fails to start and kept in target/ui-logs/.
# Never downloads a browser: /usr/bin/chromium (Debian package) is used.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$QUANTUN_ROOT"
ensure_deps
ensure_ui_deps
# playwright-core needs Node.js 20+; Debian 12's own nodejs package is 18.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ((node_major < 20)); then
    die "Node.js 20 or newer is needed for the browser tests (found $(node --version 2>/dev/null || echo none)); on Debian 12 install it from NodeSource (deb.nodesource.com) or another Node 20 package"
fi

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"
SERVICES=(ml-engine ai-engine control-plane risk-api gateway)
LOG_DIR="$QUANTUN_ROOT/target/ui-logs"

pg_dir=""
etcd_dir=""
gw_dir=""
pg_port=""
etcd_port=""
etcd_peer_port=""
declare -A svc_pid=()

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    local name pid
    for name in "${!svc_pid[@]}"; do
        pid="${svc_pid[$name]}"
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for name in "${!svc_pid[@]}"; do
        pid="${svc_pid[$name]}"
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.2; done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ -n "$etcd_dir" ]]; then
        [[ -n "$etcd_port" ]] &&
            "$QUANTUN_SCRIPTS_DIR/etcd.sh" stop "$etcd_dir" "$etcd_port" "$etcd_peer_port"
        rm -rf "$etcd_dir"
    fi
    if [[ -n "$pg_dir" ]]; then
        [[ -n "$pg_port" ]] && "$QUANTUN_SCRIPTS_DIR/pg.sh" stop "$pg_dir" "$pg_port"
        rm -rf "$pg_dir"
    fi
    [[ -n "$gw_dir" ]] && rm -rf "$gw_dir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ npm, build

info "npm ci (ui/: playwright-core only, no browser download)"
(cd ui && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)

target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" == /* ]] || target_dir="$QUANTUN_ROOT/$target_dir"
bin_dir="$target_dir/debug"
info "cargo build --bins -p ${SERVICES[*]}"
cargo build --bins -p ml-engine -p ai-engine -p control-plane -p risk-api -p gateway

# ------------------------------------------------------- Postgres, etcd

pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-ui-pg.XXXXXX")"
etcd_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-ui-etcd.XXXXXX")"
pg_port="$(free_port)"
etcd_port="$(free_port)"
etcd_peer_port="$(free_port)"
while [[ "$etcd_port" == "$pg_port" ]]; do etcd_port="$(free_port)"; done
while [[ "$etcd_peer_port" == "$etcd_port" || "$etcd_peer_port" == "$pg_port" ]]; do
    etcd_peer_port="$(free_port)"
done
PG_FAST=1 "$QUANTUN_SCRIPTS_DIR/pg.sh" start "$pg_dir" "$pg_port"
"$QUANTUN_SCRIPTS_DIR/etcd.sh" start "$etcd_dir" "$etcd_port" "$etcd_peer_port"
psql_bin="$(pg_bindir)/psql"
[[ -x "$psql_bin" ]] || psql_bin=psql
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c 'CREATE DATABASE qsgw' -c 'CREATE DATABASE qrap' >/dev/null

# ------------------------------------------------------------- services

# Called as $(pick_port), i.e. in a subshell: the caller records the port
# in used_ports (an append inside the subshell would be lost, and two
# services could get the same port).
pick_port() {
    local p
    while :; do
        p="$(free_port)"
        [[ "$p" != "$pg_port" && "$p" != "$etcd_port" && "$p" != "$etcd_peer_port" ]] &&
            [[ " ${used_ports[*]} " != *" $p "* ]] && break
    done
    printf '%s\n' "$p"
}
used_ports=()
ml_port="$(pick_port)"
used_ports+=("$ml_port")
cp_port="$(pick_port)"
used_ports+=("$cp_port")
risk_port="$(pick_port)"
used_ports+=("$risk_port")
ai_port="$(pick_port)"
used_ports+=("$ai_port")
gw_port="$(pick_port)"
used_ports+=("$gw_port")
gw_admin_port="$(pick_port)"
used_ports+=("$gw_admin_port")

secret() { openssl rand -hex "$1"; }
export QSGW_URL="http://127.0.0.1:$cp_port"
export QRAP_URL="http://127.0.0.1:$risk_port"
QSGW_ADMIN_EMAIL="admin@ui-test.local"
QSGW_ADMIN_PASSWORD="Ui-$(secret 12)"
QSGW_API_KEY="qsgw_k_$(secret 16)"
QRAP_API_KEY="qrap_k_$(secret 16)"
QSGW_VIEWER_API_KEY="qsgw_v_$(secret 16)"
QUANTUN_JWT_SECRET="$(secret 32)"
export QSGW_ADMIN_EMAIL QSGW_ADMIN_PASSWORD QSGW_API_KEY QRAP_API_KEY QSGW_VIEWER_API_KEY QUANTUN_JWT_SECRET
qsgw_jwt_secret="$(secret 32)"

mkdir -p "$LOG_DIR"
start_service() { # start_service NAME READY_URL ENV...
    local name="$1" url="$2"
    shift 2
    env "$@" "$bin_dir/$name" </dev/null >"$LOG_DIR/$name.log" 2>&1 &
    svc_pid[$name]=$!
    info "started $name (pid ${svc_pid[$name]}), waiting for $url"
    local deadline=$((SECONDS + 90)) code
    while :; do
        if ! pid_alive "${svc_pid[$name]}"; then
            show_tail "$LOG_DIR/$name.log" 30
            die "$name exited during start-up"
        fi
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)"
        [[ "$code" == 200 ]] && return 0
        if ((SECONDS >= deadline)); then
            show_tail "$LOG_DIR/$name.log" 30
            die "$name not ready after 90 s: $url answered ${code:-nothing}"
        fi
        sleep 0.3
    done
}

start_service ml-engine "http://127.0.0.1:$ml_port/health/ready" \
    QRAP_ML_HOST=127.0.0.1 QRAP_ML_PORT="$ml_port" QRAP_ML_LOG_LEVEL=warn
start_service ai-engine "http://127.0.0.1:$ai_port/health/ready" \
    QSGW_AI_HOST=127.0.0.1 QSGW_AI_PORT="$ai_port" QSGW_API_KEY="$QSGW_API_KEY" \
    QSGW_ENVIRONMENT=development QSGW_LOG_LEVEL=warn
start_service control-plane "$QSGW_URL/health/ready" \
    QSGW_CP_HOST=127.0.0.1 QSGW_CP_PORT="$cp_port" \
    QSGW_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/qsgw?sslmode=disable" \
    QSGW_ETCD_ENDPOINTS="http://127.0.0.1:$etcd_port" \
    QSGW_ALLOWED_PRIVATE_TARGETS="127.0.0.0/8,::1/128" \
    QSGW_JWT_SECRET="$qsgw_jwt_secret" QSGW_API_KEY="$QSGW_API_KEY" \
    QSGW_VIEWER_API_KEYS="$QSGW_VIEWER_API_KEY:qrap" \
    QSGW_ADMIN_EMAIL="$QSGW_ADMIN_EMAIL" QSGW_ADMIN_PASSWORD="$QSGW_ADMIN_PASSWORD" \
    QSGW_ML_ENGINE_URL="http://127.0.0.1:$ml_port" QSGW_LOG_LEVEL=warn
start_service risk-api "$QRAP_URL/health/ready" \
    QRAP_API_HOST=127.0.0.1 QRAP_API_PORT="$risk_port" \
    QRAP_DB_HOST=127.0.0.1 QRAP_DB_PORT="$pg_port" QRAP_DB_NAME=qrap QRAP_DB_USER=postgres \
    QRAP_DB_PASSWORD=unused-trust-auth QRAP_DB_SSLMODE=disable QRAP_ML_URL="http://127.0.0.1:$ml_port" \
    QUANTUN_JWT_SECRET="$QUANTUN_JWT_SECRET" QUANTUN_API_KEYS="$QRAP_API_KEY:ui-tests" \
    QRAP_QSGW_ALLOWED_TARGETS="127.0.0.1/32" QRAP_QSGW_ALLOW_HTTP_LOOPBACK=true \
    QRAP_LOG_LEVEL=warn

# The gateway: a throwaway development certificate from the gateway binary
# (scripts/lib.sh gateway_dev_cert: a root CA, and a leaf for localhost,
# 127.0.0.1 and ::1 it signs), its routes from etcd (published by the control
# plane), verdicts from the ai-engine. 127.0.0.1 is a trusted proxy
# (QSGW_TRUSTED_PROXIES, gateway/src/config.rs; the client is the right-most
# untrusted X-Forwarded-For hop, shared/src/client_ip.rs): every test client
# connects from 127.0.0.1 and names its own address, so each gets its own
# verdict (verdicts are cached per client IP, gateway/src/inspect.rs). A sync
# verdict may take up to 2 s (debug build, shared machine) instead of the
# production 25 ms, so that a sync route really waits for it.
gw_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-ui-gateway.XXXXXX")"
gateway_dev_cert "$bin_dir/gateway" "$gw_dir" || die "gateway gen-cert could not create the gateway certificate"
# The leaf's key (the first certificate of the chain), for Chromium.
QSGW_GATEWAY_SPKI="$(openssl x509 -in "$gw_dir/server.crt" -noout -pubkey |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
# Beside it, an ML-DSA-65 chain (issue 23), served to clients whose
# signature_algorithms offer ML-DSA: Chromium 156 (Debian 12) offers
# mldsa44/65/87, so the browser tests run over X25519MLKEM768 with an
# ML-DSA-65 certificate; clients that offer none (curl, python, Go) get
# the ECDSA one. Chromium is told to accept either key.
ml_out="$("$bin_dir/gateway" gen-cert --alg ml-dsa-65 --out-dir "$gw_dir/ml-dsa")" ||
    die "gateway gen-cert could not write the ML-DSA chain"
ml_spki="$(sed -n 's/^spki sha256[^:]*: //p' <<<"$ml_out")"
[[ -n "$ml_spki" ]] || die "gateway gen-cert printed no SPKI pin"
QSGW_GATEWAY_SPKI="$QSGW_GATEWAY_SPKI,$ml_spki"
export QSGW_GATEWAY_URL="https://localhost:$gw_port"
export QSGW_GATEWAY_SPKI QSGW_GATEWAY_CA="$gw_dir/ca.crt"
start_service gateway "http://127.0.0.1:$gw_admin_port/health/ready" \
    QSGW_GATEWAY_HOST=127.0.0.1 QSGW_GATEWAY_PORT="$gw_port" \
    QSGW_GATEWAY_ADMIN_HOST=127.0.0.1 QSGW_GATEWAY_ADMIN_PORT="$gw_admin_port" \
    QSGW_TLS_CERT_PATH="$gw_dir/server.crt" QSGW_TLS_KEY_PATH="$gw_dir/server.key" \
    QSGW_TLS_EXTRA_CERTS="$gw_dir/ml-dsa/ml-dsa-65.crt:$gw_dir/ml-dsa/ml-dsa-65.key" \
    QSGW_CONTROL_PLANE_URL="$QSGW_URL" QSGW_AI_ENGINE_URL="http://127.0.0.1:$ai_port" \
    QSGW_API_KEY="$QSGW_API_KEY" QSGW_ETCD_ENDPOINTS="http://127.0.0.1:$etcd_port" \
    QSGW_ENVIRONMENT=development QSGW_CONFIG_CACHE_PATH="$gw_dir/config-cache.json" \
    QSGW_ALLOWED_PRIVATE_TARGETS="127.0.0.0/8,::1/128" QSGW_TRUSTED_PROXIES=127.0.0.1/32 \
    QSGW_AI_TIMEOUT_MS=2000 QSGW_LOG_LEVEL=warn

# ---------------------------------------------------------------- tests

rm -rf "$QUANTUN_ROOT/target/ui-screenshots"
mapfile -t files < <(find ui/tests -maxdepth 1 -name '*.test.mjs' | sort)
((${#files[@]})) || die "no ui/tests/*.test.mjs"
info "node --test ${files[*]} $*"
status=0
node --test --test-concurrency=1 "$@" "${files[@]}" || status=$?
if ((status != 0)); then
    info "browser tests failed (exit $status); screenshots in target/ui-screenshots/, service logs in target/ui-logs/"
fi
exit "$status"
