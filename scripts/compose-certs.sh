#!/usr/bin/env bash
# `make compose-certs`: a self-signed development certificate for the compose
# gateway, readable by the image's user (uid 65532, distroless "nonroot").
#
#   scripts/compose-certs.sh [DIR]     (default compose/certs; FORCE=1 replaces)
#
# Writes DIR/server.crt and DIR/server.key (ECDSA P-256, 365 days, names
# localhost, 127.0.0.1 and ::1). The gateway reads the key through a
# read-only bind mount as uid 65532, so a key owned by root with mode 0600
# (what `openssl -keyout` leaves) fails with "Permission denied". As root
# the key is given to 65532 with mode 0400; otherwise it is made 0644 (for
# a development key only). Production: see docs/deployment.md (Gateway
# certificate).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# dev_cert CRT KEY DAYS: a self-signed ECDSA P-256 development certificate,
# made with openssl (the compose quick start needs no Rust build; `make run`
# and the browser tests take theirs from the gateway binary, lib.sh
# gateway_dev_cert)
# for localhost, 127.0.0.1 and ::1. A leaf (CA:FALSE, serverAuth) so that
# rustls/webpki clients can trust it directly; OpenSSL's default config
# would make it a CA. The key is written under umask 077 (mode 0600); the
# caller sets the modes and owner its reader needs.
dev_cert() {
    local crt="$1" key="$2" days="$3" cnf
    cnf="$(mktemp)"
    cat >"$cnf" <<'CNF'
[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no
[dn]
CN = localhost
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
CNF
    (
        umask 077
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
            -keyout "$key" -out "$crt" -days "$days" -config "$cnf" 2>/dev/null
    )
    local rc=$?
    rm -f "$cnf"
    return "$rc"
}


dir="${1:-$QUANTUN_ROOT/compose/certs}"
command -v openssl >/dev/null 2>&1 || die "openssl missing: install it (Debian: apt-get install openssl)"
mkdir -p "$dir"
if [[ -e "$dir/server.crt" || -e "$dir/server.key" ]] && [[ -z "${FORCE:-}" ]]; then
    info "$dir already has server.crt/server.key; keeping them (FORCE=1 replaces them)"
    exit 0
fi

dev_cert "$dir/server.crt" "$dir/server.key" 365 ||
    die "openssl could not create the certificate in $dir"
chmod 0644 "$dir/server.crt"
if is_root; then
    chown 65532:65532 "$dir/server.crt" "$dir/server.key"
    chmod 0400 "$dir/server.key"
    info "wrote $dir/server.crt and server.key (owner 65532, key mode 0400)"
else
    chmod 0644 "$dir/server.key"
    info "wrote $dir/server.crt and server.key (key mode 0644 so uid 65532 can read it: development only)"
fi
