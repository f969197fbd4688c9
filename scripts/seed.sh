#!/usr/bin/env bash
# Load the sample clinic into the database `make run` uses.  Idempotent.
# Creates an "admin" account with a random password on first use and keeps
# the password in var/admin-password (mode 0600); never prints it twice.
set -euo pipefail
. "$(dirname "$0")/env.sh"
CONN=$(app_conninfo)
has_admin=$(psql -X -At "$CONN" -c "SELECT count(*) FROM staff_users WHERE role = 'admin' AND active")
if [ "$has_admin" = 0 ]; then
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    (umask 077; echo "$pw" > "$CC_VAR/admin-password")
    "$CC_TOP/scripts/user.sh" admin admin <<<"$pw" >/dev/null
    echo "seed: created user 'admin'; password saved in $CC_VAR/admin-password"
fi
# The sample clinic's knowledge and the shipped editable risk rules, each
# on first use only (later changes belong to the clinic, through the admin
# API, and a re-run must not overwrite them), loaded the way a production
# install loads them: scripts/concierge-admin.  (The locked rules are
# built into the module and never stored.)
admin() { CONCIERGE_DB_PARAMS=$CONN CONCIERGE_ADMIN_CONF=/nonexistent "$CC_TOP/scripts/concierge-admin" "$@"; }
docs=$(psql -X -At "$CONN" -c "SELECT count(*) FROM knowledge_documents")
if [ "$docs" = 0 ] && ls "$CC_TOP"/knowledge/*.md >/dev/null 2>&1; then
    admin import-knowledge "$CC_TOP/knowledge" >/dev/null
    echo "seed: loaded the sample clinic's knowledge ($(ls "$CC_TOP"/knowledge/*.md | wc -l) documents)"
fi
admin load-rules | sed 's/^load-rules:/seed:/'
for f in "$CC_TOP"/sql/seed/*.sql; do
    [ -e "$f" ] || continue
    psql -X -q -v ON_ERROR_STOP=1 "$CONN" -f "$f" >/dev/null
done
