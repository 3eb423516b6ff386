-- Findings from a CBOM keep where they came from: one finding per
-- cryptographic asset, with the bom-ref paths that reach it, the
-- structural checks applied to its score, its validity and evidence.

ALTER TABLE findings
    ADD COLUMN paths        JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(paths) = 'array'),
    ADD COLUMN occurrences  INTEGER NOT NULL DEFAULT 1 CHECK (occurrences >= 0),
    ADD COLUMN checks       JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checks) = 'array'),
    ADD COLUMN valid_until  TEXT NULL CHECK (char_length(valid_until) <= 64),
    ADD COLUMN oid          TEXT NULL CHECK (char_length(oid) <= 200),
    ADD COLUMN locations    JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(locations) = 'array');

COMMENT ON COLUMN findings.paths IS
    'CBOM: up to 16 paths (arrays of bom-refs, with cipherSuite:/provides/securedBy/ikev2: labels between them) from a root of the document''s graph to the asset.';
COMMENT ON COLUMN findings.occurrences IS 'CBOM: number of paths reaching the asset (all, not only those kept); 1 for inventories.';
COMMENT ON COLUMN findings.checks IS
    'Structural checks applied to the score: [{code, message, reference, min_severity?, policy?}] (protocol version per RFC 8996, ECB, PKCS#1 v1.5 encryption, legacy use, compromised key, dangling reference).';
COMMENT ON COLUMN findings.valid_until IS 'CBOM: certificate notValidAfter or key expirationDate, as given.';
COMMENT ON COLUMN findings.oid IS 'CBOM: the component''s oid.';
COMMENT ON COLUMN findings.locations IS 'CBOM: evidence.occurrences as location:line (up to 16).';
