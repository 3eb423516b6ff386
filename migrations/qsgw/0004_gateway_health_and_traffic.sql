-- Heartbeats carry what a gateway sees that the control plane cannot: the
-- live health of every upstream target, and how many requests it answered
-- since its last heartbeat (kept per gateway and minute for the console's
-- requests-over-time view; per-route detail stays on the gateway's /metrics).
ALTER TABLE gateways
    ADD COLUMN upstream_health JSONB NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(upstream_health) = 'array');

COMMENT ON COLUMN gateways.upstream_health IS
    'Last reported target health: [{upstream_id, target ("host:port"), healthy}].';

CREATE TABLE gateway_traffic (
    gateway_id  TEXT NOT NULL REFERENCES gateways (id) ON DELETE CASCADE,
    minute      TIMESTAMPTZ NOT NULL CHECK (minute = date_trunc('minute', minute)),
    requests    BIGINT NOT NULL DEFAULT 0 CHECK (requests >= 0),
    errors      BIGINT NOT NULL DEFAULT 0 CHECK (errors >= 0 AND errors <= requests),
    PRIMARY KEY (gateway_id, minute)
);
CREATE INDEX gateway_traffic_minute_idx ON gateway_traffic (minute);

COMMENT ON TABLE gateway_traffic IS
    'Requests (and 5xx answers) per gateway and minute, summed from heartbeats.';
