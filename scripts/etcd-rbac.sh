#!/usr/bin/env bash
# Creates QSGW's etcd users and roles and enables authentication.
#
#   scripts/etcd-rbac.sh ENDPOINT CA_CERT ROOT_CERT ROOT_KEY
#
# Role layout (docs/deployment.md, "etcd: TLS and roles"):
#   qsgw-control-plane  readwrite on the prefix /qsgw/v1/   user qsgw-control-plane
#   qsgw-reader         read on the prefix /qsgw/v1/        users qsgw-gateway, qsgw-ai-engine
#   root                etcd's built-in administrator       user root (this script only)
# With client-certificate authentication (etcd --client-cert-auth) the
# certificate's CN is the user name, so no password is needed: issue each
# service a client certificate with CN = its user name. Idempotent.
set -euo pipefail

(($# == 4)) || {
    echo "usage: ${0##*/} ENDPOINT CA_CERT ROOT_CERT ROOT_KEY" >&2
    exit 2
}
endpoint="$1"
ctl() {
    ETCDCTL_API=3 etcdctl --endpoints="$endpoint" --cacert="$2" --cert="$3" --key="$4" \
        --dial-timeout=3s --command-timeout=5s "${@:5}"
}
args=("$@")
run() { ctl "${args[@]}" "$@"; }
# "already exists" on re-runs is fine.
quiet() { run "$@" 2>&1 | grep -v -e 'already exists' -e 'already enabled' || true; }

quiet user add root --no-password
quiet user grant-role root root
quiet role add qsgw-control-plane
quiet role add qsgw-reader
run role grant-permission qsgw-control-plane readwrite /qsgw/v1/ --prefix=true >/dev/null
run role grant-permission qsgw-reader read /qsgw/v1/ --prefix=true >/dev/null
for u in qsgw-control-plane qsgw-gateway qsgw-ai-engine; do
    quiet user add "$u" --no-password
done
run user grant-role qsgw-control-plane qsgw-control-plane >/dev/null
run user grant-role qsgw-gateway qsgw-reader >/dev/null
run user grant-role qsgw-ai-engine qsgw-reader >/dev/null
quiet auth enable
echo "etcd RBAC ready on $endpoint: qsgw-control-plane (readwrite /qsgw/v1/), qsgw-gateway and qsgw-ai-engine (read /qsgw/v1/)"
