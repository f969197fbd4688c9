-- 002: concierge_audit_append() - the audit chain written from SQL, for
-- tools outside the module (scripts/user.sh).
--
-- The function lives in sql/functions/audit.sql now, re-applied on every
-- run of scripts/migrate.sh (after the numbered migrations); this
-- migration stays, empty, so that version 2 keeps its meaning on every
-- database.
SELECT 1;
