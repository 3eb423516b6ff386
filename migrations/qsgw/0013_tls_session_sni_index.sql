-- The TLS-session list, its groups and CSV export, the posture per SNI and
-- the per-host PQC_ONLY dry run filter on SNI within a time window: without
-- an index each such request scanned every session of the window.
CREATE INDEX tls_sessions_sni_established_at_idx ON tls_sessions (sni, established_at);
