-- Issue 23 item 3: a route may require a verified client certificate (the
-- listener asks for one with QSGW_TLS_CLIENT_AUTH=optional or required).
ALTER TABLE routes ADD COLUMN client_cert_required BOOLEAN NOT NULL DEFAULT false;
COMMENT ON COLUMN routes.client_cert_required IS
    'Requests without a client certificate the listener verified are refused (403).';
