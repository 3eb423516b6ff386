-- Issue 21 item 5: findings explain themselves and can be handled.
--
-- * Every finding gets a stable identity, `finding_key`, the same in every
--   assessment that finds the same asset with the same algorithm, so a
--   triage decision carries over to the next assessment and two
--   assessments can be diffed (new / fixed / unchanged).
-- * Every assessment gets a `system_key` (its name, trimmed, lower case,
--   inner whitespace collapsed): "the same system" whose next assessment
--   inherits the triage.
-- * `finding_triage` holds one triage state per organization, system and
--   finding key; every change is also an audit row (finding.triage).
-- * Assessments store the quantum-safe count of their public-key assets
--   and, apart, how many distinct hash and symmetric assets they hold.

-- The identity of a finding. A CBOM finding is its bom-ref plus the
-- canonical algorithm (a component whose algorithm is replaced, e.g. RSA ->
-- ML-KEM under the same bom-ref, is another finding: the old one is fixed,
-- the new one new). An inventory finding, which has no bom-ref, is its
-- asset name (where it is used), asset type, canonical algorithm,
-- parameter and usage, each trimmed and lower-cased. The digest (SHA-256,
-- hex) keeps the key short whatever the names' lengths.
-- IMMUTABLE although convert_to is only STABLE: it depends on the
-- database encoding alone, which never changes for a database.
CREATE FUNCTION qrap_finding_key(
    asset_ref  text,
    asset_name text,
    asset_type text,
    algorithm  text,
    parameter  text,
    usage      text
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'fk_' || encode(sha256(convert_to(
    CASE WHEN asset_ref IS NOT NULL
         THEN 'ref' || chr(31) || asset_ref || chr(31) || lower(algorithm)
         ELSE 'inv' || chr(31) || lower(btrim(asset_name))
                    || chr(31) || lower(btrim(coalesce(asset_type, '')))
                    || chr(31) || lower(algorithm)
                    || chr(31) || lower(btrim(coalesce(parameter, '')))
                    || chr(31) || coalesce(usage, '')
    END, 'UTF8')), 'hex');

COMMENT ON FUNCTION qrap_finding_key(text, text, text, text, text, text) IS
    'Finding identity across assessments: sha256 of bom-ref + algorithm (CBOM) or name + type + algorithm + parameter + usage (inventory), normalised.';

ALTER TABLE findings
    ADD COLUMN finding_key TEXT GENERATED ALWAYS AS
        (qrap_finding_key(asset_ref, asset_name, asset_type, algorithm, parameter, usage)) STORED;

CREATE INDEX findings_assessment_key_idx ON findings (assessment_id, finding_key);
CREATE INDEX findings_org_key_idx ON findings (organization_id, finding_key);

COMMENT ON COLUMN findings.finding_key IS
    'Identity of the finding across assessments (qrap_finding_key): triage carries over and diffs match on it.';

ALTER TABLE assessments
    ADD COLUMN system_key TEXT GENERATED ALWAYS AS
        (lower(regexp_replace(btrim(name), '\s+', ' ', 'g'))) STORED,
    ADD COLUMN quantum_safe_assets INTEGER NULL CHECK (quantum_safe_assets >= 0),
    ADD COLUMN hash_assets INTEGER NULL CHECK (hash_assets >= 0),
    ADD COLUMN symmetric_assets INTEGER NULL CHECK (symmetric_assets >= 0);

CREATE INDEX assessments_org_system_idx ON assessments (organization_id, system_key);
CREATE INDEX assessments_org_completed_idx
    ON assessments (organization_id, completed_at, id) WHERE status = 'completed';

COMMENT ON COLUMN assessments.system_key IS
    'The system assessed: the name trimmed, lower case, whitespace collapsed. Triage is kept per organization and system.';
COMMENT ON COLUMN assessments.quantum_safe_assets IS
    'Distinct public-key assets already post-quantum (the numerator of pqc_readiness_pct); NULL for runs before it existed.';
COMMENT ON COLUMN assessments.hash_assets IS
    'Distinct hash/XOF assets: not in the quantum-safe share (Grover only halves their strength), shown apart.';
COMMENT ON COLUMN assessments.symmetric_assets IS
    'Distinct symmetric assets (ciphers, AEAD, MAC, KDF, key wrap, DRBG): not in the quantum-safe share, shown apart.';

CREATE TABLE finding_triage (
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    system_key       TEXT NOT NULL CHECK (char_length(system_key) BETWEEN 1 AND 200),
    finding_key      TEXT NOT NULL CHECK (finding_key ~ '^fk_[0-9a-f]{64}$'),
    state            TEXT NOT NULL
                     CHECK (state IN ('open', 'in_progress', 'accepted_risk', 'false_positive', 'fixed')),
    reason           TEXT NULL CHECK (char_length(reason) <= 2000),
    expires_at       TIMESTAMPTZ NULL,
    updated_by       TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 320),
    version          BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, system_key, finding_key),
    CONSTRAINT finding_triage_accepted_risk_complete
        CHECK (state <> 'accepted_risk' OR (expires_at IS NOT NULL AND reason IS NOT NULL)),
    CONSTRAINT finding_triage_expiry_only_for_accepted_risk
        CHECK (state = 'accepted_risk' OR expires_at IS NULL)
);

COMMENT ON TABLE finding_triage IS
    'Triage state per organization, system and finding key; read with every assessment of that system, so it carries over. Changes are audited (finding.triage).';
COMMENT ON COLUMN finding_triage.expires_at IS
    'accepted_risk only: once past, the finding counts as open again.';
