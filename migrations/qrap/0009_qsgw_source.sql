-- Assessments imported from a QSGW control plane (issue 24 item 5): the
-- runtime CBOM of what the gateways negotiated, pulled from
-- GET {url}/api/v1/cbom. Its own source format, so the organization view
-- tells live traffic from uploaded inventories, and the control plane's URL
-- (never its API key, which is used for the one request and not kept).
ALTER TABLE assessments DROP CONSTRAINT assessments_source_format_check;
ALTER TABLE assessments ADD CONSTRAINT assessments_source_format_check
    CHECK (source_format IN ('inventory', 'cyclonedx', 'qsgw-runtime-cbom'));
ALTER TABLE assessments
    ADD COLUMN source_url TEXT NULL CHECK (char_length(source_url) <= 2048);

COMMENT ON COLUMN assessments.source_format IS
    'inventory (JSON asset list) | cyclonedx (CBOM upload) | qsgw-runtime-cbom (pulled from a QSGW control plane).';
COMMENT ON COLUMN assessments.source_url IS
    'Base URL of the QSGW control plane a qsgw-runtime-cbom was pulled from; NULL for uploads. Never holds credentials.';
