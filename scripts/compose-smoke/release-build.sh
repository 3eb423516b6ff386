#!/usr/bin/env bash
# One end-to-end run of compose/Dockerfile's real multi-stage build (chef,
# planner, builder with a release build of the workspace, runtime stages)
# where the registry base images cannot be pulled: the Rust image is a
# stand-in with the host's toolchain (quantun-local/rust), the runtime the
# distroless stand-in of the smoke test. Then compares each release image
# with the smoke test's image of the same target (files, user, entrypoint)
# and prints sizes and the build time. Not part of CI (a release build of
# the workspace takes tens of minutes on 2 CPUs); run by hand:
#
#   scripts/compose-smoke/release-build.sh    (after make compose-smoke KEEP_IMAGES=1)
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=docker.sh source-path=SCRIPTDIR
source "$QUANTUN_SCRIPTS_DIR/compose-smoke/docker.sh"
cd "$QUANTUN_ROOT"

TAG=release-check
TARGETS=(gateway:quantun/qsgw-gateway control-plane:quantun/qsgw-control-plane
    ai-engine:quantun/qsgw-ai-engine risk-api:quantun/qrap-risk-api ml-engine:quantun/qrap-ml-engine)
ensure_docker_engine
trap stop_docker_engine EXIT
docker image inspect quantun-local/distroless-cc:bookworm >/dev/null 2>&1 ||
    die "run make compose-smoke first (it builds the stand-in base images)"

toolchain="$(rustc --print sysroot)"
ctx="$(mktemp -d "${TMPDIR:-/tmp}/quantun-rust-standin.XXXXXX")"
trap 'rm -rf "$ctx"; stop_docker_engine' EXIT
mkdir -p "$ctx/toolchain"
# bin/ and lib/ only (no docs); hard links where the file system allows.
cp -al "$toolchain/bin" "$toolchain/lib" "$ctx/toolchain/" 2>/dev/null ||
    cp -a "$toolchain/bin" "$toolchain/lib" "$ctx/toolchain/"
cp "$QUANTUN_SCRIPTS_DIR/compose-smoke/rust.Dockerfile" "$ctx/Dockerfile"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca-bundle.crt"
info "quantun-local/rust:bookworm from $toolchain ($(rustc --version))"
docker_build -q --network host -t quantun-local/rust:bookworm "$ctx" >/dev/null

t0=$(date +%s)
for pair in "${TARGETS[@]}"; do
    target="${pair%%:*}" image="${pair#*:}"
    info "==> $image:$TAG (target $target, builder stage included)"
    docker_build --network host --progress plain -f compose/Dockerfile --target "$target" \
        --build-arg RUST_IMAGE=quantun-local/rust:bookworm \
        --build-arg RUNTIME_IMAGE=quantun-local/distroless-cc:bookworm \
        --build-arg VERSION="$TAG" -t "$image:$TAG" . 2>&1 | grep -E '^#[0-9]+ (\[|DONE|ERROR)|error' || true
    docker image inspect "$image:$TAG" >/dev/null 2>&1 || die "the build of $image:$TAG failed"
done
info "release build of the five images: $(($(date +%s) - t0)) s"

files() { # image → sorted "path mode owner" lines of its file system
    local c
    c="$(docker create "$1")"
    docker export "$c" | tar -tvf - | awk '{print $6, $1, $2}' | sort
    docker rm "$c" >/dev/null
}
rc=0
for pair in "${TARGETS[@]}"; do
    image="${pair#*:}"
    rel="$image:$TAG" smoke="$image:smoke"
    printf '%s: %s MB' "$rel" "$(docker image inspect "$rel" --format '{{.Size}}' | awk '{printf "%.0f", $1/1e6}')"
    if docker image inspect "$smoke" >/dev/null 2>&1; then
        printf ' (smoke image %s MB)\n' "$(docker image inspect "$smoke" --format '{{.Size}}' | awk '{printf "%.0f", $1/1e6}')"
        for f in '{{.Config.User}}' '{{json .Config.Entrypoint}}' '{{json .Config.ExposedPorts}}' '{{json .Config.Healthcheck}}'; do
            a="$(docker image inspect "$rel" --format "$f")" b="$(docker image inspect "$smoke" --format "$f")"
            [[ "$a" == "$b" ]] || { warn "$image: $f differs: $a vs $b"; rc=1; }
        done
        if ! diff <(files "$rel") <(files "$smoke") >/dev/null; then
            warn "$image: file lists differ:"; diff <(files "$rel") <(files "$smoke") >&2 || true; rc=1
        fi
    else
        printf '\n'
        warn "no $smoke to compare with (make compose-smoke KEEP_IMAGES=1 keeps them)"
    fi
done
((rc == 0)) && info "release images and smoke images: same files, modes, owners, user, entrypoint, ports, health check"
exit "$rc"
