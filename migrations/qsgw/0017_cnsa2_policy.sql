-- Issue 23 item 4: the CNSA2 key-exchange policy (ML-KEM-1024 and the
-- SecP384r1MLKEM1024 hybrid only, AES-256-GCM) is a policy name routes,
-- gateways and TLS session records may carry.
ALTER TABLE routes DROP CONSTRAINT routes_tls_policy_check;
ALTER TABLE routes ADD CONSTRAINT routes_tls_policy_check
    CHECK (tls_policy IN ('CNSA2', 'PQC_ONLY', 'PQC_PREFERRED', 'CLASSICAL_ALLOWED'));
COMMENT ON COLUMN routes.tls_policy IS 'CNSA2 | PQC_ONLY | PQC_PREFERRED | CLASSICAL_ALLOWED; NULL = listener policy.';

ALTER TABLE gateways DROP CONSTRAINT gateways_tls_policy_check;
ALTER TABLE gateways ADD CONSTRAINT gateways_tls_policy_check
    CHECK (tls_policy IN ('CNSA2', 'PQC_ONLY', 'PQC_PREFERRED', 'CLASSICAL_ALLOWED'));

ALTER TABLE tls_sessions DROP CONSTRAINT tls_sessions_policy_check;
ALTER TABLE tls_sessions ADD CONSTRAINT tls_sessions_policy_check
    CHECK (policy IN ('CNSA2', 'PQC_ONLY', 'PQC_PREFERRED', 'CLASSICAL_ALLOWED'));
