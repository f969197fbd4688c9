#!/usr/bin/env bash
# tests/upgrade.sh [commit] - an existing database upgrades to exactly what
# a fresh one is.
#
# In a private PostgreSQL cluster (a few seconds):
#   fresh     today's scripts/migrate.sh on an empty database;
#   upgraded  the migrate.sh and sql/ of <commit> (default 96c10b6, the
#             last release whose functions lived in the numbered
#             migrations), some data written through that release's
#             functions, then today's migrate.sh;
# and checks that both schemas are the same (pg_dump --schema-only,
# privileges included), that a second run changes nothing, that the data
# survived, and that today's functions work on the upgraded database.
# Ends with "upgrade.sh: N checks, N failed" (counted by scripts/test.sh).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BASE=${1:-96c10b6}
WORK=$(mktemp -d /tmp/cc-upgrade.XXXXXX)
chmod 755 "$WORK"
export CC_VAR=$WORK/var
unset CONCIERGE_DB_PARAMS CONCIERGE_DB_OWNER_PARAMS CC_MIGRATE_BASELINE
checks=0; failed=0

cleanup() {
    "$TOP/scripts/pg.sh" stop >/dev/null 2>&1
    # the cluster may live in /var/tmp, linked from var/pg (pg.sh)
    [ -L "$CC_VAR/pg" ] && rm -rf "$(readlink -f "$CC_VAR/pg")"
    rm -rf "$WORK"
}
trap cleanup EXIT

check() {   # check "what" command...
    local what=$1; shift
    checks=$((checks + 1))
    if "$@" >"$WORK/out" 2>&1; then
        echo "ok - $what"
    else
        failed=$((failed + 1))
        echo "not ok - $what"; sed 's/^/    /' "$WORK/out" | head -n 40
    fi
}
finish() {
    echo "upgrade.sh: $checks checks, $failed failed"
    [ "$failed" -eq 0 ]; exit
}

mkdir -p "$WORK/base"
check "extract scripts/ and sql/ of $BASE" \
    bash -c "git -C '$TOP' archive '$BASE' scripts sql | tar -x -C '$WORK/base'"
check "fresh database: pg.sh start (today's migrate.sh)" \
    "$TOP/scripts/pg.sh" start
[ "$failed" -eq 0 ] || finish

port=$(cat "$CC_VAR/pg/port")
conn() {    # conn <db> <role>
    local pw=password
    [ "$2" = concierge_owner ] && pw=owner-password
    echo "host=127.0.0.1 port=$port dbname=$1 user=$2 password=$(cat "$CC_VAR/pg/$pw") connect_timeout=5"
}
FRESH_OWNER=$(conn concierge concierge_owner)
UP_OWNER=$(conn concierge_up concierge_owner)
UP_APP=$(conn concierge_up concierge)
sql() {     # sql <conninfo> <statements>: runs them, prints values
    psql -X -q -tA -v ON_ERROR_STOP=1 "$1" -c "$2"
}
migrate_up() {  # migrate_up <scripts folder>
    CONCIERGE_DB_PARAMS=$UP_APP CONCIERGE_DB_OWNER_PARAMS=$UP_OWNER "$1/migrate.sh"
}
dump() {    # the schema, without what differs between any two dumps
    pg_dump --schema-only "$1" | grep -vE '^(--|SET |SELECT pg_catalog.set_config|\\(un)?restrict|$)'
}

"$TOP/scripts/pg.sh" psql -q -c "CREATE DATABASE concierge_up OWNER concierge_owner" >/dev/null
check "old database: migrate.sh of $BASE" migrate_up "$WORK/base/scripts"
[ "$failed" -eq 0 ] || finish

# Data written by the old release's own functions: a clinic, a booking
# (with its staged audit entry) and a chained audit entry.
OLD_DATA="
INSERT INTO practitioners (id, name) VALUES (900, 'UP Practitioner');
INSERT INTO services (id, name, duration_min, price_cents) VALUES (900, 'UP Service', 30, 0);
INSERT INTO practitioner_services VALUES (900, 900);
SELECT concierge_book(NULL, repeat('a', 64), 900, 900,
       now() + interval '10 days', now() + interval '10 days 30 minutes',
       now() + interval '10 days', now() + interval '10 days 30 minutes',
       'Up Patient', 'up@example.org', '', NULL, repeat('b', 64), 'n1', 'rid-old', 'api')->>'outcome';
SELECT concierge_audit_append('upgrade-test', 'old.entry', 'x', '', '{}');"
check "old functions write a booking and an audit entry" \
    bash -c "[ \"\$(psql -X -q -tA -v ON_ERROR_STOP=1 '$UP_OWNER' -c \"$OLD_DATA\" | head -n1)\" = created ]"
before=$(sql "$UP_OWNER" "SELECT (SELECT count(*) FROM bookings) || '/' || (SELECT count(*) FROM audit_log) || '/' || (SELECT count(*) FROM audit_pending) || '/' || (SELECT max(version) FROM schema_migrations)")

check "upgrade: today's migrate.sh on the old database" migrate_up "$TOP/scripts"
dump "$FRESH_OWNER" >"$WORK/fresh.sql"
dump "$UP_OWNER" >"$WORK/up.sql"
check "upgraded schema equals a fresh one (pg_dump --schema-only)" \
    diff -u "$WORK/fresh.sql" "$WORK/up.sql"
check "the dump holds today's functions and the events table" \
    bash -c "grep -q 'FUNCTION public.concierge_event(' '$WORK/up.sql' && grep -q 'CREATE TABLE public.events' '$WORK/up.sql' && grep -q 'concierge_event(.booking_created' '$WORK/up.sql'"
after=$(sql "$UP_OWNER" "SELECT (SELECT count(*) FROM bookings) || '/' || (SELECT count(*) FROM audit_log) || '/' || (SELECT count(*) FROM audit_pending) || '/' || (SELECT max(version) FROM schema_migrations)")
check "old data kept (bookings/audit/pending/version: $before -> $after)" \
    test "${before%/*}" = "${after%/*}" -a "${before##*/}" = 6 -a "${after##*/}" -gt 6

migrate_up "$TOP/scripts" >"$WORK/again.log" 2>&1
dump "$UP_OWNER" >"$WORK/up2.sql"
check "a second run applies no migration and changes nothing" \
    bash -c "! grep -q 'applied' '$WORK/again.log' && diff -u '$WORK/up.sql' '$WORK/up2.sql'"

# Today's functions on the upgraded database, as the application role.
check "app role: cancel the old booking, book again; both recorded as events" \
    bash -c "psql -X -q -tA -v ON_ERROR_STOP=1 '$UP_APP' -c \"
        SELECT concierge_booking_cancel(b.id, 'x', 'staff-x', 'rid-1', true)->>'outcome' FROM bookings b WHERE service_id = 900;
        SELECT concierge_book(NULL, repeat('c', 64), 900, 900,
               now() + interval '11 days', now() + interval '11 days 30 minutes',
               now() + interval '11 days', now() + interval '11 days 30 minutes',
               'Up Patient', 'up@example.org', '', NULL, repeat('d', 64), 'n2', 'rid-2', 'api')->>'outcome';
        SELECT kind || ',' || source || ',' || coalesce(category, '-') || ',' || service_id || ',' || practitioner_id
          FROM events ORDER BY id;\" | tr '\n' ' ' | grep -qx 'cancelled created booking_cancelled,staff,-,900,900 booking_created,patient,api,900,900 '"
check "app role: events may be appended and read, not changed" \
    bash -c "psql -X -q -tA -v ON_ERROR_STOP=1 '$UP_APP' -c \"SELECT concierge_event('chat_answered', 'patient', 1, 0, 0, 0, 0, '') > 0\" | grep -qx t \
             && ! psql -X -q -v ON_ERROR_STOP=1 '$UP_APP' -c 'UPDATE events SET category = NULL' 2>/dev/null \
             && ! psql -X -q -v ON_ERROR_STOP=1 '$UP_APP' -c 'DELETE FROM events' 2>/dev/null"
check "app role: the staged entries are sealed into the chain (SECURITY DEFINER kept)" \
    bash -c "[ \"\$(psql -X -q -tA -v ON_ERROR_STOP=1 '$UP_APP' -c 'SELECT concierge_audit_seal(1000, true); SELECT count(*) FROM audit_pending' | tail -n1)\" = 0 ]"
check "app role: concierge_audit_seal is not executable by PUBLIC" \
    bash -c "[ \"\$(psql -X -q -tA -v ON_ERROR_STOP=1 '$UP_OWNER' -c \"SELECT has_function_privilege('public', 'concierge_audit_seal(integer, boolean)', 'EXECUTE')\")\" = f ]"
finish
