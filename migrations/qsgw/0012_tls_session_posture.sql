-- Issue 21 (PQC posture panel): what the console needs to say which clients
-- are still classical-only, per route and SNI, and which policy refused whom.
-- offered_groups: the key-exchange groups the ClientHello offered (bounded
--   by the gateway to 32 names), so a classical session can be told apart
--   from a PQ-capable client that negotiated classically.
-- policy: the key-exchange policy the listener applied (by SNI).
-- route_id / client_family: from the first request on the connection (NULL
--   when the connection never sent one, or for a refused handshake); the
--   family is coarse (engine and major version, library name, crawler), so
--   no raw user agent is stored here.
ALTER TABLE tls_sessions
    ADD COLUMN offered_groups TEXT[] NULL
        CHECK (offered_groups IS NULL OR cardinality(offered_groups) <= 32),
    ADD COLUMN policy TEXT NULL
        CHECK (policy IN ('PQC_ONLY', 'PQC_PREFERRED', 'CLASSICAL_ALLOWED')),
    ADD COLUMN route_id TEXT NULL CHECK (char_length(route_id) <= 64),
    ADD COLUMN client_family TEXT NULL CHECK (char_length(client_family) <= 64);

CREATE INDEX tls_sessions_route_id_established_at_idx ON tls_sessions (route_id, established_at);

COMMENT ON COLUMN tls_sessions.offered_groups IS
    'Key-exchange groups offered in the ClientHello (<= 32 names, gateway naming: X25519MLKEM768, X25519, secp256r1, 0x11ec ...).';
COMMENT ON COLUMN tls_sessions.policy IS
    'Listener key-exchange policy applied to the handshake (by SNI).';
COMMENT ON COLUMN tls_sessions.route_id IS
    'Route of the first request on the connection; not a foreign key (routes are deleted, sessions are history).';
COMMENT ON COLUMN tls_sessions.client_family IS
    'Coarse client family from the first request''s User-Agent: "Chrome 131", "Firefox 133", "Safari 17", "curl", "python-requests", "crawler", "automation", "none", "other".';

-- The operator's PQC share target, drawn as a line on the posture panel.
CREATE TABLE posture_settings (
    id                BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    pqc_share_target  DOUBLE PRECISION NULL CHECK (pqc_share_target >= 0 AND pqc_share_target <= 1),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO posture_settings (id) VALUES (TRUE);
COMMENT ON TABLE posture_settings IS 'One row: console posture settings set by an admin (PUT /api/v1/posture/settings).';
