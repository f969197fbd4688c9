#!/usr/bin/env bash
# Private PostgreSQL cluster under $CC_VAR/pg (never the system service).
#   pg.sh start    create on first use, start, create role/db, migrate
#   pg.sh stop     fast shutdown
#   pg.sh status   exit 0 when running
#   pg.sh psql     superuser psql on the private socket (args passed on)
#   pg.sh apppsql  psql as the application role (args passed on)
# With CONCIERGE_DB_PARAMS set, an existing server is used instead: only
# migrations run, start/stop do nothing else.
set -euo pipefail
. "$(dirname "$0")/env.sh"
PGD=$CC_VAR/pg
# var/pg may link to a folder the postgres user can reach (see start).
if [ -L "$PGD" ]; then PGD=$(readlink -f "$PGD"); fi

start() {
    if [ -n "${CONCIERGE_DB_PARAMS:-}" ]; then
        "$CC_TOP/scripts/migrate.sh"; return
    fi
    mkdir -p "$CC_VAR"
    chmod 755 "$CC_VAR"
    # PostgreSQL runs as the postgres user, which must reach the cluster
    # folder.  A checkout under a private home (/root is 0700) cannot give
    # it that: keep the cluster in a folder of its own under /var/tmp and
    # link it from var/pg (still private to this checkout).
    if [ ! -e "$PGD" ] && [ "$(id -u)" -eq 0 ] \
       && ! runuser -u postgres -- test -x "$CC_VAR"; then
        local alt
        alt=/var/tmp/concierge-pg-$(printf '%s' "$CC_VAR" | sha1sum | cut -c1-12)
        mkdir -p "$alt"
        chmod 755 "$alt"
        ln -s "$alt" "$PGD"
        echo "pg: $CC_VAR is not reachable by the postgres user; the cluster lives in $alt (linked from $PGD)" >&2
        PGD=$alt
    fi
    mkdir -p "$PGD"
    chmod 755 "$PGD"
    if [ ! -f "$PGD/data/PG_VERSION" ]; then
        mkdir -p "$PGD/sock"
        [ -f "$PGD/password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$PGD/password")
        [ -f "$PGD/owner-password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$PGD/owner-password")
        [ -f "$PGD/port" ] || free_port > "$PGD/port"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGD" && chown -R postgres:postgres "$PGD/sock"
        [ "$(id -u)" -eq 0 ] && { mkdir -p "$PGD/data"; chown postgres:postgres "$PGD/data"; }
        chmod 700 "$PGD/sock"
        as_pg "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! status; then
        local port tries=0
        port=$(cat "$PGD/port")
        # Another program may take the port between our check and the
        # bind: pick a new one and try again.
        until as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
                -o "-p $port -k $PGD/sock -c listen_addresses=127.0.0.1 -c max_connections=300 ${CC_PG_OPTS:-}" \
                start >/dev/null 2>&1; do
            tries=$((tries + 1))
            if [ $tries -ge 3 ]; then
                echo "pg: start failed; server log:" >&2; tail -n 20 "$PGD/server.log" >&2; exit 1
            fi
            port=$(free_port); echo "$port" > "$PGD/port"
        done
    fi
    local pw opw; pw=$(cat "$PGD/password")
    [ -f "$PGD/owner-password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$PGD/owner-password")
    opw=$(cat "$PGD/owner-password")
    # Two roles: concierge_owner owns the schema and runs migrations;
    # concierge (the one httpd uses) may not alter tables, and may only
    # read and append the audit log.
    psql_su -q -v ON_ERROR_STOP=1 -v pw="$pw" -v opw="$opw" <<'SQL' >/dev/null
SELECT format('CREATE ROLE concierge LOGIN PASSWORD %L', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'concierge') \gexec
SELECT format('ALTER ROLE concierge PASSWORD %L', :'pw') \gexec
SELECT format('CREATE ROLE concierge_owner LOGIN PASSWORD %L', :'opw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'concierge_owner') \gexec
SELECT format('ALTER ROLE concierge_owner PASSWORD %L', :'opw') \gexec
SELECT 'CREATE DATABASE concierge OWNER concierge_owner'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'concierge') \gexec
ALTER DATABASE concierge OWNER TO concierge_owner;
SQL
    CC_PSQL_DB=concierge psql_su -q -v ON_ERROR_STOP=1 -c "REASSIGN OWNED BY concierge TO concierge_owner" >/dev/null
    "$CC_TOP/scripts/migrate.sh"
}

status() {
    [ -n "${CONCIERGE_DB_PARAMS:-}" ] && return 0
    [ -f "$PGD/data/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$PGD/data" status >/dev/null 2>&1
}

stop() {
    [ -n "${CONCIERGE_DB_PARAMS:-}" ] && return 0
    status && as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >/dev/null || true
}

psql_su() {
    as_pg psql -X -h "$PGD/sock" -p "$(cat "$PGD/port")" -U postgres -d "${CC_PSQL_DB:-postgres}" "$@"
}

cmd=${1:-}; shift || true
case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    psql) CC_PSQL_DB=concierge psql_su "$@" ;;
    apppsql) psql -X "$(app_conninfo)" "$@" ;;
    *) echo "usage: pg.sh start|stop|status|psql|apppsql" >&2; exit 2 ;;
esac
