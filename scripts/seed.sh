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
    CC_PASSWORD_STDIN=1 "$CC_TOP/scripts/user.sh" admin admin <<<"$pw" >/dev/null
    echo "seed: created user 'admin'; password saved in $CC_VAR/admin-password"
fi
for f in "$CC_TOP"/sql/seed/*.sql; do
    [ -e "$f" ] || continue
    psql -X -q -v ON_ERROR_STOP=1 "$CONN" -f "$f" >/dev/null
done
