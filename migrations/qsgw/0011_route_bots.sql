-- Issue 22: what a route does with clients the AI engine takes for bots.
-- flag: the engine's verdict as it is; block_all: every bot refused;
-- allow_verified: search-engine crawlers verified by reverse + forward DNS
-- pass, impostors claiming them are refused.
ALTER TABLE routes
    ADD COLUMN bots TEXT NOT NULL DEFAULT 'flag'
        CHECK (bots IN ('flag', 'block_all', 'allow_verified'));
COMMENT ON COLUMN routes.bots IS
    'Bot policy: flag (default; the AI engine''s verdict as it is), block_all, allow_verified (crawlers verified by reverse and forward DNS pass; impostors are refused).';
