-- Issue 19: the assessment-level scoring defaults (Mosca inputs, CRQC
-- timeline band, CNSA 2.0 category) a run sends to the ML engine, the
-- summary per distinct asset, and per finding what the engine explains:
-- the lane that ranks it, the horizon it used and Mosca made explicit.

ALTER TABLE assessments
    ADD COLUMN defaults JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(defaults) = 'object'),
    ADD COLUMN distinct_asset_count INTEGER NULL CHECK (distinct_asset_count >= 0),
    ADD COLUMN lane_counts JSONB NULL CHECK (lane_counts IS NULL OR jsonb_typeof(lane_counts) = 'object'),
    ADD COLUMN pqc_relevant_assets INTEGER NULL CHECK (pqc_relevant_assets >= 0),
    ADD COLUMN crqc_timelines_version TEXT NULL CHECK (char_length(crqc_timelines_version) <= 64);

COMMENT ON COLUMN assessments.defaults IS
    'Scoring defaults given at upload (JSON body "defaults", CBOM query parameters or metadata quantun: properties): data_shelf_life_years, migration_time_years, validity_years, exposure, criticality, crqc_timeline, cnsa2_category. An asset''s own value wins.';
COMMENT ON COLUMN assessments.distinct_asset_count IS
    'Distinct assets (bom-ref, or name + algorithm + parameter + usage): the base of overall_risk_score and pqc_readiness_pct.';
COMMENT ON COLUMN assessments.lane_counts IS 'Distinct assets per ranking lane: quantum, hygiene, identify, safe.';
COMMENT ON COLUMN assessments.pqc_relevant_assets IS
    'Distinct public-key assets (quantum threat shor or none): the denominator of pqc_readiness_pct; symmetric ciphers, hashes and unidentified names are not in it.';

ALTER TABLE findings
    ADD COLUMN lane TEXT NULL CHECK (lane IN ('quantum', 'hygiene', 'identify', 'safe')),
    ADD COLUMN horizon JSONB NULL CHECK (horizon IS NULL OR jsonb_typeof(horizon) = 'object'),
    ADD COLUMN mosca JSONB NULL CHECK (mosca IS NULL OR jsonb_typeof(mosca) = 'object'),
    ADD COLUMN quantum_score NUMERIC(5,2) NULL CHECK (quantum_score BETWEEN 0 AND 100),
    ADD COLUMN hygiene_score NUMERIC(5,2) NULL CHECK (hygiene_score BETWEEN 0 AND 100),
    ADD COLUMN rank_holds_across_bands BOOLEAN NULL;

COMMENT ON COLUMN findings.lane IS 'The ML engine''s ranking lane: quantum exposure, classical hygiene, identify (unknown name) or safe.';
COMMENT ON COLUMN findings.horizon IS 'The ML engine''s horizon: {kind: confidentiality|authenticity|symmetric, years, why}.';
COMMENT ON COLUMN findings.mosca IS 'Mosca made explicit by the ML engine: x, y, validity, H, the band, P(CRQC within H), slack and latest start year, per band.';
COMMENT ON COLUMN findings.rank_holds_across_bands IS 'Whether the asset''s rank within its scoring batch is the same under every CRQC timeline band.';
