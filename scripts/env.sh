# Sourced by the other scripts: common paths and helpers.
# CC_VAR  - state folder (PostgreSQL cluster, logs, pid files); default var/
# CC_TOP  - repository root
CC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CC_VAR=${CC_VAR:-$CC_TOP/var}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
HTTPD=${HTTPD:-/usr/sbin/apache2}

# Run a command as the postgres OS user when we are root (PostgreSQL refuses
# to run as root); as ourselves otherwise.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free TCP port on 127.0.0.1 (asks the kernel, then checks with ss).
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$(( (RANDOM % 12000) + 20000 ))   # below the ephemeral range (32768+)
        if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
    done
    return 1
}

# The conninfo migrations use: the schema owner.  With an existing server,
# CONCIERGE_DB_OWNER_PARAMS (falls back to the application's).
owner_conninfo() {
    if [ -n "${CONCIERGE_DB_PARAMS:-}" ]; then
        echo "${CONCIERGE_DB_OWNER_PARAMS:-$CONCIERGE_DB_PARAMS}"
    else
        echo "host=127.0.0.1 port=$(cat "$CC_VAR/pg/port") dbname=concierge user=concierge_owner password=$(cat "$CC_VAR/pg/owner-password") connect_timeout=5"
    fi
}

# The libpq conninfo the application uses (also what DBDParams gets).
app_conninfo() {
    if [ -n "${CONCIERGE_DB_PARAMS:-}" ]; then
        echo "$CONCIERGE_DB_PARAMS"
    else
        echo "host=127.0.0.1 port=$(cat "$CC_VAR/pg/port") dbname=concierge user=concierge password=$(cat "$CC_VAR/pg/password") connect_timeout=5"
    fi
}
