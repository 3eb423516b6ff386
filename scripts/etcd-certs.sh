#!/usr/bin/env bash
# A throwaway PKI for etcd with TLS and client-certificate authentication
# (tests and local trials; production uses your own CA).
#
#   scripts/etcd-certs.sh DIR
#
# Writes DIR/ca.crt, DIR/server.{crt,key} (SAN 127.0.0.1, localhost) and a
# client certificate per user, CN = etcd user name: DIR/root.{crt,key},
# DIR/qsgw-control-plane.{crt,key}, DIR/qsgw-gateway.{crt,key},
# DIR/qsgw-ai-engine.{crt,key}; plus DIR/intruder.{crt,key} signed by an
# unrelated CA. EC P-256 keys, valid 2 days. Skips files that exist.
set -euo pipefail
(($# == 1)) || {
    echo "usage: ${0##*/} DIR" >&2
    exit 2
}
dir="$1"
mkdir -p "$dir"
cd "$dir"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
if [[ ! -f ca.crt ]]; then
    key ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=quantun-test-etcd-ca" -out ca.crt 2>/dev/null
fi
if [[ ! -f other-ca.crt ]]; then
    key other-ca.key
    openssl req -x509 -new -key other-ca.key -sha256 -days 2 -subj "/CN=someone-else-ca" -out other-ca.crt 2>/dev/null
fi
# sign NAME CA EXT
sign() {
    local name="$1" ca="$2" ext="$3"
    [[ -f "$name.crt" ]] && return 0
    key "$name.key"
    openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr" 2>/dev/null
    printf '%s\n' "$ext" >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
        -days 2 -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}
sign server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
for u in root qsgw-control-plane qsgw-gateway qsgw-ai-engine; do
    sign "$u" ca "extendedKeyUsage=clientAuth"
done
sign intruder other-ca "extendedKeyUsage=clientAuth"
chmod 600 ./*.key
