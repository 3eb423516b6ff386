-- Failed handshakes are recorded too (e.g. a classical-only client refused
-- under PQC_ONLY), so operators see who would break before they tighten a
-- policy. A failed attempt has no negotiated protocol or cipher suite.
ALTER TABLE tls_sessions
    ALTER COLUMN protocol_version DROP NOT NULL,
    ALTER COLUMN cipher_suite DROP NOT NULL,
    ADD COLUMN outcome TEXT NOT NULL DEFAULT 'established'
        CHECK (outcome IN ('established', 'failed')),
    ADD COLUMN failure_reason TEXT NULL CHECK (char_length(failure_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT tls_sessions_established_negotiated
        CHECK (outcome = 'failed' OR (protocol_version IS NOT NULL AND cipher_suite IS NOT NULL));

CREATE INDEX tls_sessions_outcome_established_at_idx ON tls_sessions (outcome, established_at);

COMMENT ON COLUMN tls_sessions.outcome IS
    'established | failed (handshake refused, e.g. no common key-exchange group under PQC_ONLY).';
COMMENT ON COLUMN tls_sessions.failure_reason IS
    'Why a failed handshake failed, with the groups the client offered; NULL when established.';
COMMENT ON COLUMN tls_sessions.established_at IS
    'Handshake completion time, or the time of the failed attempt.';
