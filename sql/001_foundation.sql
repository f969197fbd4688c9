-- 001: staff accounts, append-only hash-chained audit log.
-- Applied once by scripts/migrate.sh inside a transaction.

-- Staff and admin accounts.  Apache authenticates them (mod_authn_dbd reads
-- password_hash: bcrypt "$2y$" as written by htpasswd -B or apr_bcrypt);
-- the module maps the user to its role.
CREATE TABLE staff_users (
    username      text PRIMARY KEY
                  CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
    password_hash text NOT NULL CHECK (password_hash LIKE '$2y$%'),
    role          text NOT NULL CHECK (role IN ('staff', 'admin')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The audit log.  Rows are chained: hash = SHA-256(prev_hash || canonical
-- entry), computed by the module (mod_concierge/core/cc_audit.c) while it
-- holds the chain lock (pg_advisory_xact_lock) inside the transaction of the
-- action it records.  detail is kept as the exact JSON text that was hashed.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    created_us  bigint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '{}',
    prev_hash   char(64) NOT NULL,
    hash        char(64) NOT NULL UNIQUE
);
CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
