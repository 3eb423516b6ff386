-- Issue 24 (the gateway as a live cryptography sensor).
--
-- route_traffic: what every gateway counted since its last heartbeat, per
--   route, negotiated key-exchange group and coarse client family, kept per
--   gateway and minute. The gateway bounds the keys it reports (top entries
--   per route, the rest folded into client_family 'other'), so this table
--   grows with routes x groups x families, never with clients. Bytes are the
--   TLS application bytes read from (bytes_in) and written to (bytes_out)
--   the client. route_id '' means no route matched (404s, refusals before
--   routing); it is not a foreign key: routes are deleted, traffic is history.
CREATE TABLE route_traffic (
    gateway_id     TEXT NOT NULL REFERENCES gateways (id) ON DELETE CASCADE,
    minute         TIMESTAMPTZ NOT NULL CHECK (minute = date_trunc('minute', minute)),
    route_id       TEXT NOT NULL CHECK (char_length(route_id) <= 64),
    kx_group       TEXT NOT NULL CHECK (char_length(kx_group) BETWEEN 1 AND 64),
    pqc            BOOLEAN NOT NULL,
    client_family  TEXT NOT NULL CHECK (char_length(client_family) BETWEEN 1 AND 64),
    sessions       BIGINT NOT NULL DEFAULT 0 CHECK (sessions >= 0),
    requests       BIGINT NOT NULL DEFAULT 0 CHECK (requests >= 0),
    bytes_in       BIGINT NOT NULL DEFAULT 0 CHECK (bytes_in >= 0),
    bytes_out      BIGINT NOT NULL DEFAULT 0 CHECK (bytes_out >= 0),
    PRIMARY KEY (gateway_id, minute, route_id, kx_group, client_family)
);
CREATE INDEX route_traffic_minute_idx ON route_traffic (minute);
CREATE INDEX route_traffic_route_minute_idx ON route_traffic (route_id, minute);

COMMENT ON TABLE route_traffic IS
    'Sessions, requests and bytes per gateway, minute, route, negotiated key-exchange group and client family, summed from heartbeats.';

-- The operator's declaration of what a route carries, for the
-- harvest-now-decrypt-later exposure (Mosca's x): how many years the data
-- must stay confidential, and its classification.
ALTER TABLE routes
    ADD COLUMN data_shelf_life_years DOUBLE PRECISION NULL
        CHECK (data_shelf_life_years >= 0 AND data_shelf_life_years <= 100),
    ADD COLUMN data_class TEXT NULL
        CHECK (data_class IN ('public', 'internal', 'confidential', 'restricted'));

-- Per handshake: the signature algorithms the ClientHello offered (bounded
-- by the gateway, GREASE left out) and the algorithm of the certificate the
-- gateway served.
ALTER TABLE tls_sessions
    ADD COLUMN offered_sig_algs TEXT[] NULL
        CHECK (offered_sig_algs IS NULL OR cardinality(offered_sig_algs) <= 32),
    ADD COLUMN cert_algorithm TEXT NULL CHECK (char_length(cert_algorithm) <= 64);

COMMENT ON COLUMN tls_sessions.offered_sig_algs IS
    'signature_algorithms offered in the ClientHello (<= 32 names, e.g. ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, mldsa65).';
COMMENT ON COLUMN tls_sessions.cert_algorithm IS
    'Public-key algorithm of the certificate served: ECDSA-P256, ECDSA-P384, RSA-2048, Ed25519, ML-DSA-65 ...';
