-- CBOMs uploaded with ?strict=false: the CycloneDX schema violations whose
-- top-level components or dependency entries were skipped on import; and the
-- quantum levels the ML engine computed per finding (the CBOM export's
-- nistQuantumSecurityLevel and classicalSecurityLevel).

ALTER TABLE assessments
    ADD COLUMN import_skipped JSONB NULL CHECK (jsonb_typeof(import_skipped) = 'array');

COMMENT ON COLUMN assessments.import_skipped IS
    'strict=false CBOM uploads: [{pointer, message}] of the schema violations skipped (at most 100); NULL when nothing was skipped.';

ALTER TABLE findings
    ADD COLUMN nist_quantum_level INTEGER NULL CHECK (nist_quantum_level BETWEEN 0 AND 6),
    ADD COLUMN classical_level    INTEGER NULL CHECK (classical_level >= 0);

COMMENT ON COLUMN findings.nist_quantum_level IS 'Computed NIST PQ security category (knowledge base), when known.';
COMMENT ON COLUMN findings.classical_level IS 'Computed classical security strength in bits (knowledge base), when known.';
