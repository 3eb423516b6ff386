-- Revoked QRAP tokens (issue 16 item 5): a deny list of token ids checked on
-- every request. An entry is only needed while its token could still be
-- presented, so it carries the token's expiry and is purged after it: the
-- list stays bounded by the revocations of one token lifetime.

CREATE TABLE revoked_tokens (
    jti             TEXT PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 128),
    expires_at      TIMESTAMPTZ NOT NULL,
    organization_id TEXT NULL,
    revoked_by      TEXT NOT NULL,
    revoked_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

COMMENT ON TABLE revoked_tokens IS
    'Token ids refused before their expiry (POST /api/v1/tokens/revoke); rows are deleted once expires_at has passed.';
