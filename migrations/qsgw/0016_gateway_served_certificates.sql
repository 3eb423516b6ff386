-- Issue 24 item 4: the certificates each gateway serves, as its last
-- heartbeat reported them (identity, validity and algorithms; never a key),
-- for the runtime CBOM. An array of {sha256, subject, issuer, serial,
-- not_before, not_after, dns_names, public_key_algorithm,
-- signature_algorithm}; at most 16 entries (checked by the API).
ALTER TABLE gateways
    ADD COLUMN served_certificates JSONB NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(served_certificates) = 'array');

COMMENT ON COLUMN gateways.served_certificates IS
    'Certificates served, from the last heartbeat: [{sha256, subject, issuer, serial, not_before, not_after, dns_names, public_key_algorithm, signature_algorithm}].';
