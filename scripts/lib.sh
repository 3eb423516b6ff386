# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it, don't run it:
#
#   # shellcheck source=lib.sh source-path=SCRIPTDIR
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here writes diagnostics to stderr so that stdout stays usable
# for values (`pg.sh url`, `free_port`, `pg_bindir`).

# Guard against double sourcing (run.sh sources it, then calls pg.sh which
# sources it again in its own process: that is fine, this is per process).
if [[ -n "${QUANTUN_LIB_SH:-}" ]]; then
    return 0
fi
QUANTUN_LIB_SH=1

# Absolute path of the repository root (the parent of scripts/).
QUANTUN_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck disable=SC2034 # used by the scripts that source this file
QUANTUN_ROOT="$(cd "$QUANTUN_SCRIPTS_DIR/.." && pwd -P)"

_log_prefix() { printf '[%s %s]' "${0##*/}" "$(date +%H:%M:%S)"; }

info() { printf '%s %s\n' "$(_log_prefix)" "$*" >&2; }
warn() { printf '%s WARNING: %s\n' "$(_log_prefix)" "$*" >&2; }
die() {
    printf '%s ERROR: %s\n' "$(_log_prefix)" "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# gateway_dev_cert GATEWAY_BIN DIR: the development certificate the gateway
# binary issues (`gateway gen-cert --alg ecdsa-p256`: a root CA and a leaf
# for localhost, 127.0.0.1 and ::1 it signs, both with a finite validity),
# written to
#   DIR/server.crt   the chain the gateway serves (leaf, then root)
#   DIR/server.key   the leaf's key (mode 0600)
#   DIR/ca.crt       the root: what a client trusts (curl --cacert, ...)
# The gateway runs with an empty environment, so that no QSGW_* setting of
# the caller's can make it refuse to start.
gateway_dev_cert() {
    local bin="$1" dir="$2" tmp rc=0
    mkdir -p "$dir"
    tmp="$(mktemp -d "$dir/.gen-cert.XXXXXX")"
    env -i PATH="$PATH" "$bin" gen-cert --alg ecdsa-p256 --out-dir "$tmp" >/dev/null || rc=$?
    if ((rc == 0)); then
        if ! mv -f "$tmp/ecdsa-p256.key" "$dir/server.key" ||
            ! mv -f "$tmp/ecdsa-p256.crt" "$dir/server.crt" ||
            ! mv -f "$tmp/ecdsa-p256-root.crt" "$dir/ca.crt"; then
            rc=1
        fi
    fi
    rm -rf "$tmp"
    return "$rc"
}

# Highest installed PostgreSQL server bin directory: the Debian layout
# /usr/lib/postgresql/<major>/bin first, then whatever pg_config reports.
pg_bindir() {
    local d best=""
    while IFS= read -r d; do
        [[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && best="$d"
    done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
    if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        [[ -n "$d" && -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && best="$d"
    fi
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

# Check the external tools the stack's scripts and tests need; install the
# missing ones with apt when we are root on Debian/Ubuntu, else stop with one
# line telling what to install.
ensure_deps() {
    local -a missing_pkgs=() missing_what=()
    _missing_deps
    ((${#missing_pkgs[@]} == 0)) && return 0

    local what
    what="$(IFS=,; printf '%s' "${missing_what[*]}")"
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        die "missing tools: ${what//,/, }; install the packages: ${missing_pkgs[*]} (Debian/Ubuntu: sudo apt-get install -y ${missing_pkgs[*]})"
    fi

    info "installing missing packages: ${missing_pkgs[*]}"
    if [[ -z "${QUANTUN_APT_UPDATED:-}" ]]; then
        apt-get update -qq || die "apt-get update failed"
        QUANTUN_APT_UPDATED=1
        export QUANTUN_APT_UPDATED
    fi
    # Packages like postgresql and etcd-server try to start a system-wide
    # daemon from their maintainer scripts. We never use those (everything
    # here runs private instances), so keep them from starting while we
    # install, through Debian's standard policy-rc.d hook, if none exists.
    local policy=/usr/sbin/policy-rc.d own_policy=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing_pkgs[@]}" >&2 || rc=$?
    [[ -n "$own_policy" ]] && rm -f "$policy"
    ((rc == 0)) || die "apt-get install ${missing_pkgs[*]} failed (exit $rc)"
    hash -r
    _missing_deps
    ((${#missing_pkgs[@]} == 0)) ||
        die "still missing after apt-get install: ${missing_what[*]}"
}

# ensure_venv DIR REQUIREMENTS: a Python venv in DIR with the pinned
# packages of REQUIREMENTS (PyPI only), reinstalled when the file changes.
# Debian's python3 needs python3-venv for ensurepip (installed as root).
ensure_venv() {
    local venv="$1" requirements="$2"
    local stamp="$venv/.requirements.sha256" want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    [[ -x "$venv/bin/python" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && return 0
    info "installing $(basename "$requirements") into $venv (PyPI)"
    mkdir -p "$(dirname "$venv")"
    if [[ ! -x "$venv/bin/python" ]] && ! python3 -m venv "$venv" 2>/dev/null; then
        is_root || die "cannot create a venv: install python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2 ||
            die "apt-get install python3-venv failed"
        rm -rf "$venv"
        python3 -m venv "$venv" || die "cannot create a venv in $venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2 ||
        die "pip install -r $requirements failed"
    printf '%s\n' "$want" >"$stamp"
}

# The browser tests' tools (`make test-ui`, `make setup`): Debian's
# Chromium and ChromeDriver, Node.js and npm, and the real HTTP clients the
# gateway test calls beside the browser (curl, python3-requests for the
# system python3, golang-go). Installed with apt-get as root when missing
# (never a downloaded browser); otherwise stops with the list of packages to
# install.
ensure_ui_deps() {
    local -a pkgs=()
    command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || pkgs+=(chromium-driver)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    /usr/bin/python3 -c 'import requests' >/dev/null 2>&1 || pkgs+=(python3-requests)
    command -v go >/dev/null 2>&1 || pkgs+=(golang-go)
    ((${#pkgs[@]} == 0)) && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        die "missing for the browser tests: install the packages: ${pkgs[*]} (Debian/Ubuntu: sudo apt-get install -y ${pkgs[*]})"
    fi
    info "installing missing packages: ${pkgs[*]}"
    if [[ -z "${QUANTUN_APT_UPDATED:-}" ]]; then
        apt-get update -qq || die "apt-get update failed"
        QUANTUN_APT_UPDATED=1
        export QUANTUN_APT_UPDATED
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 ||
        die "apt-get install ${pkgs[*]} failed"
    hash -r
}

# The peers `make bench-gateway` measures the gateway against (nginx and
# HAProxy from apt) and the tools it pins and limits them with (taskset,
# prlimit). Installed with apt when we are root; otherwise a warning (the
# bench skips a missing peer). Their packages enable system services on
# port 80 (nginx) and from /etc/haproxy (haproxy): Debian's policy-rc.d hook
# keeps them from starting during the install, and they are disabled after,
# so nothing listens until the bench starts its own instances on free ports.
ensure_bench_deps() {
    local -a pkgs=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || pkgs+=(nginx)
    command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || pkgs+=(haproxy)
    command -v taskset >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1 || pkgs+=(util-linux)
    ((${#pkgs[@]} == 0)) && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        warn "bench peers missing: ${pkgs[*]} (Debian/Ubuntu: sudo apt-get install -y ${pkgs[*]}); make bench-gateway skips them"
        return 0
    fi
    info "installing bench peers: ${pkgs[*]}"
    if [[ -z "${QUANTUN_APT_UPDATED:-}" ]]; then
        apt-get update -qq || die "apt-get update failed"
        QUANTUN_APT_UPDATED=1
        export QUANTUN_APT_UPDATED
    fi
    local policy=/usr/sbin/policy-rc.d own_policy=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 || rc=$?
    [[ -n "$own_policy" ]] && rm -f "$policy"
    ((rc == 0)) || die "apt-get install ${pkgs[*]} failed (exit $rc)"
    # Where systemd runs, keep the packaged services off (a no-op in containers).
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        systemctl disable --now nginx haproxy >/dev/null 2>&1 || true
    fi
    hash -r
}

# Sets missing_pkgs and missing_what (dynamic scope: the caller's locals).
_missing_deps() {
    missing_pkgs=()
    missing_what=()
    _need() { # _need <package> <what> <present?>
        if ! "${@:3}" >/dev/null 2>&1; then
            missing_pkgs+=("$1")
            missing_what+=("$2")
        fi
    }
    _need protobuf-compiler protoc command -v protoc
    _need etcd-server etcd command -v etcd
    _need etcd-client etcdctl command -v etcdctl
    _need postgresql "PostgreSQL server (initdb, pg_ctl, postgres)" pg_bindir
    _need curl curl command -v curl
    _need openssl openssl command -v openssl
    # The interop tests' venv (tlslite-ng, scripts/interop-requirements.txt).
    _need python3-venv "python3 venv (ensurepip)" python3 -c 'import ensurepip'
    # ml-engine's identity tests take TLS cipher-suite truth from testssl's mapping.
    _need testssl.sh "testssl.sh cipher mapping (/etc/testssl/cipher-mapping.txt)" test -r /etc/testssl/cipher-mapping.txt
    unset -f _need
}

# Is this pid a live process? kill -0 alone is not enough: a zombie (dead
# but not yet reaped, e.g. reparented to a PID 1 that never reaps) passes it.
pid_alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ "$state" != "Z" && "$state" != "X" ]]
}

# Is $1 a TCP port number (1-65535)?
valid_port() {
    [[ "$1" =~ ^[0-9]{1,5}$ ]] || return 1
    ((10#$1 > 0 && 10#$1 < 65536))
}

# Is something listening on 127.0.0.1:PORT (TCP)?
port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# Print a TCP port that is free right now. The kernel picks it (bind to 0);
# without python3, try random high ports until one is not listened on.
free_port() {
    local port
    if command -v python3 >/dev/null 2>&1 &&
        port="$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null)" && [[ -n "$port" ]]; then
        printf '%s\n' "$port"
        return 0
    fi
    local i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "could not find a free TCP port"
}

# Run a command as the `postgres` OS user when we are root (initdb, pg_ctl
# and postgres refuse to run as root), directly otherwise. It runs from /
# because the postgres user usually cannot read root's working directory.
as_pg_user() {
    if is_root; then
        id postgres >/dev/null 2>&1 ||
            die "running as root needs a 'postgres' OS user (apt-get install postgresql creates it)"
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Make an absolute path out of DIR (which need not exist yet).
abs_path() {
    local p="$1"
    [[ -n "$p" ]] || die "empty path"
    [[ "$p" == /* ]] || p="$PWD/$p"
    printf '%s\n' "$p"
}

# Last N lines of a file to stderr, indented, for "it failed, here's why".
show_tail() {
    local file="$1" n="${2:-20}"
    if [[ -f "$file" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
        tail -n "$n" "$file" >&2 || true
        printf -- '-----\n' >&2
    else
        printf -- '(no log at %s)\n' "$file" >&2
    fi
}
