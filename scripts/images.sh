#!/usr/bin/env bash
# `make images`: the five release images from compose/Dockerfile (builder
# stage included: a release build inside the image, no host toolchain used).
#
#   scripts/images.sh TAG REVISION target:image...
#
# Builds with BuildKit where the docker CLI can (buildx plugin, or a CLI
# older than 23 with the engine's built-in builder), else with the legacy
# builder (it builds every stage, which these targets all use anyway).
# Extra `docker build` arguments come from $IMAGE_BUILD_ARGS, e.g.
# IMAGE_BUILD_ARGS="--build-arg RUST_IMAGE=... --network host".
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=compose-smoke/docker.sh source-path=SCRIPTDIR
source "$QUANTUN_SCRIPTS_DIR/compose-smoke/docker.sh"
cd "$QUANTUN_ROOT"

(($# >= 3)) || die "usage: $0 TAG REVISION target:image..."
tag="$1" revision="$2"
shift 2
docker info >/dev/null 2>&1 ||
    die "no Docker engine reachable here (docker info failed); images are built where an engine runs: make images IMAGE_TAG=x.y.z"
read -r -a extra <<<"${IMAGE_BUILD_ARGS:-}"
for pair in "$@"; do
    target="${pair%%:*}" image="${pair#*:}"
    info "==> $image:$tag (target $target)"
    docker_build_any -f compose/Dockerfile --target "$target" \
        --build-arg VERSION="$tag" --build-arg REVISION="$revision" "${extra[@]}" \
        -t "$image:$tag" .
done
