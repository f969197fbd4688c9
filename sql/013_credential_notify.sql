-- 014: credential changes are pushed to every host.  Each process of the
-- module LISTENs on concierge_credentials (mod_concierge_auth.c) and drops
-- its cache of verified credentials on any notification, so an
-- authenticated staff request needs no database read while nothing
-- changed, and a change by any path - the API, concierge-admin, or SQL by
-- hand - still takes effect at once (the notification is delivered when
-- the change commits).  The payload is empty: which account changed is
-- nobody's business but the database's.
CREATE OR REPLACE FUNCTION staff_users_cred_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash
       OR NEW.role IS DISTINCT FROM OLD.role
       OR NEW.active IS DISTINCT FROM OLD.active
       OR NEW.username IS DISTINCT FROM OLD.username THEN
        NEW.cred_version := OLD.cred_version + 1;
        PERFORM pg_notify('concierge_credentials', '');
    ELSE
        NEW.cred_version := OLD.cred_version;   -- never set by hand
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION staff_users_cred_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('concierge_credentials', '');
    RETURN NULL;
END $$;

CREATE TRIGGER staff_users_cred_gone AFTER DELETE OR TRUNCATE ON staff_users
    FOR EACH STATEMENT EXECUTE FUNCTION staff_users_cred_gone();
