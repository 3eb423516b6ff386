-- Assessments are jobs: every risk-api replica runs a worker pool that
-- leases them (SELECT … FOR UPDATE SKIP LOCKED, then a lease that expires),
-- so a run interrupted by a crash, a kill or a deploy is picked up again by
-- any replica once its lease has expired, and pending work survives
-- restarts. `run_attempts` counts the leases taken since the assessment
-- was (re-)queued; past QRAP_MAX_ATTEMPTS it fails with the reason.
-- `attempts` keeps counting across re-runs.

ALTER TABLE assessments
    ADD COLUMN lease_owner       TEXT NULL CHECK (char_length(lease_owner) <= 200),
    ADD COLUMN lease_expires_at  TIMESTAMPTZ NULL,
    ADD COLUMN assets_scored     INTEGER NOT NULL DEFAULT 0 CHECK (assets_scored >= 0),
    ADD COLUMN run_attempts      INTEGER NOT NULL DEFAULT 0 CHECK (run_attempts >= 0),
    ADD CONSTRAINT assessments_lease_only_while_running
        CHECK (status = 'running' OR (lease_owner IS NULL AND lease_expires_at IS NULL));

-- What the workers scan: pending and running assessments, oldest first.
CREATE INDEX assessments_runnable_idx
    ON assessments (created_at, id) WHERE status IN ('pending', 'running');

COMMENT ON COLUMN assessments.lease_owner IS
    'The worker running it (host/pid/start), while running; NULL otherwise.';
COMMENT ON COLUMN assessments.lease_expires_at IS
    'While running: renewed by the worker''s heartbeat; once past, any worker may take the run over.';
COMMENT ON COLUMN assessments.assets_scored IS
    'Progress: assets scored so far by the current run (asset_count once completed).';
COMMENT ON COLUMN assessments.attempts IS
    'Runs started over the assessment''s life, re-runs and take-overs after an interrupted run included.';
COMMENT ON COLUMN assessments.run_attempts IS
    'Runs started since it was last queued (create or re-run); bounded by QRAP_MAX_ATTEMPTS.';
