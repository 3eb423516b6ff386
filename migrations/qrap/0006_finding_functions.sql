-- CBOM `cryptoFunctions` kept per finding (the export writes them back, so a
-- verify-only algorithm re-imports as legacy use), and the ML engine's
-- six-value policy status beside the four-value policy_status (which shows
-- legacy use as deprecated and not-approved as unknown).

ALTER TABLE findings
    ADD COLUMN crypto_functions JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(crypto_functions) = 'array'),
    ADD COLUMN policy_verdict TEXT NULL
        CHECK (policy_verdict IN ('acceptable', 'deprecated', 'disallowed', 'legacy_use', 'not_approved', 'unknown'));

COMMENT ON COLUMN findings.crypto_functions IS 'CBOM: the algorithm''s cryptoFunctions (CycloneDX values), [] when not given.';
COMMENT ON COLUMN findings.policy_verdict IS 'The ML engine''s status under the selected policy pack today (legacy_use: verify-/decrypt-only, SP 800-131A Rev. 2 sec. 1.2), raised by structural checks; NULL for findings stored before it existed.';
