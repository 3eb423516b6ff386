-- Threat inspection is opted into per route, as security plugins are in
-- APISIX, Kong and Envoy: the bot classifier blocks non-browser clients
-- (curl, SDKs, mobile HTTP stacks), which is right for a website and wrong
-- for an API that only such clients call. Existing routes keep their mode.
ALTER TABLE routes ALTER COLUMN inspection SET DEFAULT 'off';
