#!/usr/bin/env bash
# make user NAME=reception ROLE=admin      (the password is asked for)
# scripts/user.sh <name> <staff|admin>     (password from the terminal, or
#                                           the first line of stdin)
# Creates or updates a staff account (bcrypt through htpasswd -B) and
# records the change in the audit log (concierge_audit_append in SQL, the
# same hash chain the module writes).  Works against the `make run`
# database (started if it is not running), or CONCIERGE_DB_PARAMS (never
# a private cluster then).  The password is never a command-line argument:
# every user of the machine can read those (ps, /proc/<pid>/cmdline).
set -euo pipefail
. "$(dirname "$0")/env.sh"
NAME=${1:-}; ROLE=${2:-}
usage() { echo "usage: make user NAME=<name> ROLE=<staff|admin>  (the password is read from a prompt or stdin)" >&2; exit 2; }
if [ $# -gt 2 ] || [ -n "${PASSWORD:-}" ]; then
    echo "user: passwords are read from a prompt or stdin, never from the command line" >&2; usage
fi
[[ "$NAME" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "user: NAME must be 1-64 of A-Z a-z 0-9 . _ -" >&2; usage; }
[[ "$ROLE" == staff || "$ROLE" == admin ]] || { echo "user: ROLE must be staff or admin" >&2; usage; }
if [ -t 0 ]; then
    IFS= read -r -s -p "Password for $NAME (12-128 characters): " PASSWORD; echo >&2
    IFS= read -r -s -p "Again: " again; echo >&2
    [ "$PASSWORD" = "$again" ] || { echo "user: the passwords differ" >&2; exit 2; }
else
    IFS= read -r PASSWORD || true
fi
[ ${#PASSWORD} -ge 12 ] && [ ${#PASSWORD} -le 128 ] || { echo "user: the password must be 12 to 128 characters" >&2; usage; }
if [ -z "${CONCIERGE_DB_PARAMS:-}" ]; then
    "$CC_TOP/scripts/pg.sh" status || "$CC_TOP/scripts/pg.sh" start
fi
COST=${CC_BCRYPT_COST:-10}
HASH=$(printf '%s' "$PASSWORD" | htpasswd -niB -C "$COST" "$NAME" 2>/dev/null | head -n1 | cut -d: -f2-)
[[ "$HASH" == \$2y\$* ]] || { echo "user: hashing failed" >&2; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -v name="$NAME" -v role="$ROLE" -v hash="$HASH" "$(app_conninfo)" >/dev/null <<'SQL'
BEGIN;
SELECT EXISTS (SELECT 1 FROM staff_users WHERE username = :'name') AS existed \gset
INSERT INTO staff_users (username, password_hash, role, active)
     VALUES (:'name', :'hash', :'role', true)
ON CONFLICT (username) DO UPDATE
   SET password_hash = excluded.password_hash, role = excluded.role,
       active = true, updated_at = now();
SELECT concierge_audit_append('cli:make-user',
       CASE WHEN :'existed'::boolean THEN 'user.update' ELSE 'user.create' END,
       :'name', '', json_build_object('role', :'role', 'active', true,
       'password_changed', true)::text);
COMMIT;
SQL
echo "user: $NAME is now $ROLE"
