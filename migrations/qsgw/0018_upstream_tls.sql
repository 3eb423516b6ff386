-- Issue 23 item 1: TLS from the gateway to an upstream's targets. The
-- block as the API validated it ({enabled, sni, ca, verify,
-- client_cert_path, client_key_path, policy}); NULL = plain HTTP/1.1.
-- Client keys are file paths on the gateway hosts, never key material.
ALTER TABLE upstreams
    ADD COLUMN tls JSONB NULL CHECK (tls IS NULL OR jsonb_typeof(tls) = 'object');
COMMENT ON COLUMN upstreams.tls IS
    'TLS to the targets: {enabled, sni, ca (PEM), verify, client_cert_path, client_key_path, policy}; NULL = plain HTTP.';
