-- The effective triage state of a finding, in one place: the triage view,
-- the "state before" of a triage change and the trend's open count all
-- read it, and they must agree (issue 20: one home per rule).
--
-- * no triage row: open;
-- * an accepted risk past its expiry: open again;
-- * marked fixed, but found by an assessment that completed after the
--   mark: open again (the fix did not hold);
-- * otherwise the stored state.
--
-- STABLE, not IMMUTABLE: it reads now().
CREATE FUNCTION qrap_triage_effective_state(
    state         text,
    expires_at    timestamptz,
    updated_at    timestamptz,
    completed_at  timestamptz
) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN state IS NULL THEN 'open'
            WHEN state = 'accepted_risk' AND expires_at <= now() THEN 'open'
            WHEN state = 'fixed' AND completed_at > updated_at THEN 'open'
            ELSE state END;

COMMENT ON FUNCTION qrap_triage_effective_state(text, timestamptz, timestamptz, timestamptz) IS
    'Effective triage state of a finding from its finding_triage row (state, expires_at, updated_at) and its assessment''s completed_at: open when untriaged, when an accepted risk expired, or when a fix was contradicted by a later run.';
