-- 010: a credential version per staff account, bumped whenever what a
-- login proves changes - the password, the role, the account switched off
-- - by any path: the API, concierge-admin, or SQL by hand.  The module
-- caches verified credentials for a short while (mod_concierge_auth.c)
-- and checks this version on every request, so a changed password or a
-- demoted account takes effect at once, without a bcrypt per request.
ALTER TABLE staff_users ADD COLUMN cred_version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION staff_users_cred_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash
       OR NEW.role IS DISTINCT FROM OLD.role
       OR NEW.active IS DISTINCT FROM OLD.active
       OR NEW.username IS DISTINCT FROM OLD.username THEN
        NEW.cred_version := OLD.cred_version + 1;
    ELSE
        NEW.cred_version := OLD.cred_version;   -- never set by hand
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER staff_users_cred_version BEFORE UPDATE ON staff_users
    FOR EACH ROW EXECUTE FUNCTION staff_users_cred_version();
