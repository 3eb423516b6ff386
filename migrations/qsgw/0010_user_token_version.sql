-- Revocable sessions (issue 16 item 5): every access token carries the
-- user's token_version (`ver` claim) and the control plane compares it on
-- each request. Bumping the version ends every live token of that user.
-- The trigger bumps it on a password change, a role change and on
-- disabling, whichever code path (API, create-admin, manual SQL) makes the
-- change; logout bumps it explicitly.

ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0 CHECK (token_version >= 0);

COMMENT ON COLUMN users.token_version IS
    'Compared with the ver claim of access tokens on each request; bumped by password/role change, disable and logout.';

CREATE FUNCTION users_bump_token_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash
       OR NEW.role IS DISTINCT FROM OLD.role
       OR (NEW.disabled AND NOT OLD.disabled) THEN
        NEW.token_version := OLD.token_version + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_bump_token_version
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_bump_token_version();
