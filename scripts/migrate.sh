#!/usr/bin/env bash
# 1. Apply sql/NNN_*.sql (the schema) in order, each once, each in one
#    transaction together with its schema_migrations row.
# 2. Re-apply sql/functions/*.sql (CREATE OR REPLACE: every PL/pgSQL and SQL
#    function) on every run, all files in one transaction, after the
#    numbered migrations: a database that applied the numbered migrations
#    long ago gets today's functions.  See sql/functions/README.md.
# 3. Grant the application role what it may do.
#
# CC_MIGRATE_BASELINE (tests only): a folder holding scripts/ and sql/ of
# an older release; a database with no schema_migrations yet is first
# built by that release's migrate.sh, so that this run upgrades it.
set -euo pipefail
. "$(dirname "$0")/env.sh"
CONN=$(owner_conninfo)
APP_ROLE=${CONCIERGE_DB_APP_ROLE:-concierge}
q() { psql -X -q -v ON_ERROR_STOP=1 "$CONN" "$@"; }

if [ -n "${CC_MIGRATE_BASELINE:-}" ] \
   && [ "$(q -At -c "SELECT to_regclass('schema_migrations') IS NULL")" = t ]; then
    CC_VAR="$CC_VAR" "$CC_MIGRATE_BASELINE/scripts/migrate.sh" >/dev/null
    echo "migrate: built the baseline schema of $CC_MIGRATE_BASELINE"
fi

q -c "CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v 'already exists' || true
applied=$(q -At -c "SELECT version FROM schema_migrations ORDER BY 1")
for f in "$CC_TOP"/sql/[0-9][0-9][0-9]_*.sql; do
    base=$(basename "$f" .sql); ver=$((10#${base%%_*}))
    grep -qx "$ver" <<<"$applied" && continue
    { echo "BEGIN;"; cat "$f"; echo; echo "INSERT INTO schema_migrations(version, name) VALUES ($ver, '$base');"; echo "COMMIT;"; } \
        | q -f - >/dev/null
    echo "migrate: applied $base"
done

# The functions: all of them, every run, in one transaction; the advisory
# lock keeps two hosts migrating at once from colliding on the catalogue.
if compgen -G "$CC_TOP/sql/functions/*.sql" >/dev/null; then
    { echo "BEGIN;"; echo "SELECT pg_advisory_xact_lock(7302100003);"
      for f in "$CC_TOP"/sql/functions/*.sql; do cat "$f"; echo; done
      echo "COMMIT;"; } | q -f - >/dev/null
fi

# The application role: data only, no DDL; the audit log is read and
# appended, never changed (the triggers refuse too, but a role that owns
# the table could disable them).
if [ "$(q -At -c "SELECT current_user")" != "$APP_ROLE" ]; then
    q -v app="$APP_ROLE" <<'SQL' >/dev/null
GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM :"app";
-- Staged audit entries leave only through concierge_audit_seal() (owned
-- by the schema owner): the application may add them, not remove them.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_pending FROM :"app";
REVOKE UPDATE, DELETE, TRUNCATE ON schema_migrations FROM :"app";
-- The analytics events (sql/007) are a record: appended and read only.
REVOKE UPDATE, DELETE, TRUNCATE ON events FROM :"app";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- Functions this role owns (extensions' own functions, e.g. btree_gist's,
-- belong to the superuser and are executable by everyone already).
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, :'app')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.proowner = current_user::regrole \gexec
SQL
else
    echo "migrate: warning: migrations ran as the application role $APP_ROLE; set CONCIERGE_DB_OWNER_PARAMS so it cannot alter the audit log" >&2
fi
