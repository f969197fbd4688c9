#!/usr/bin/env bash
# Apply sql/NNN_*.sql in order, each once, each in one transaction together
# with its schema_migrations row.
set -euo pipefail
. "$(dirname "$0")/env.sh"
CONN=$(app_conninfo)
q() { psql -X -q -v ON_ERROR_STOP=1 "$CONN" "$@"; }

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
