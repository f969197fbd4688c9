#!/usr/bin/env bash
# Start/stop httpd with the project's own conf/httpd.conf.
#   httpd.sh check|start|foreground|stop|graceful
# Environment (defaults for `make run`):
#   CC_BUILD  build folder holding mod_concierge.so      (build/)
#   CC_PORT   port on 127.0.0.1                           (8080)
#   CC_EXTRA_CONF  file included last                     (none)
#   CC_SERVERS/CC_THREADS  processes / threads each       (2 / 32)
set -euo pipefail
. "$(dirname "$0")/env.sh"

export CC_TOP CC_VAR
export CC_BUILD=${CC_BUILD:-$CC_TOP/build}
export CC_PORT=${CC_PORT:-8080}
export CC_SERVERS=${CC_SERVERS:-2}
export CC_THREADS=${CC_THREADS:-32}
export CC_WORKERS=$(( CC_SERVERS * CC_THREADS ))
export CC_SERVER_LIMIT=$(( CC_SERVERS * 2 ))   # room for a graceful restart
export CC_DBD_POOL=${CC_DBD_POOL:-8}
if [ "$(id -u)" -eq 0 ]; then
    export CC_USER=${CC_USER:-www-data} CC_GROUP=${CC_GROUP:-www-data}
else
    export CC_USER=${CC_USER:-$(id -un)} CC_GROUP=${CC_GROUP:-$(id -gn)}
fi
EXTRA=${CC_EXTRA_CONF:-${EXTRA_CONF:-}}
if [ -n "$EXTRA" ]; then
    [ -r "$EXTRA" ] || { echo "httpd: EXTRA_CONF $EXTRA is not readable" >&2; exit 1; }
    export CC_EXTRA_CONF=$(cd "$(dirname "$EXTRA")" && pwd)/$(basename "$EXTRA")
else
    export CC_EXTRA_CONF=$CC_TOP/conf/empty.conf
fi
# Bounds on every wait of the module's database sessions (README, "Database
# timeouts"): a statement, a lock, a forgotten transaction, a dead peer.
# Unless the given parameters set options= themselves.
CC_DB_SESSION=${CC_DB_SESSION:-"options='-c statement_timeout=10s -c lock_timeout=3s -c idle_in_transaction_session_timeout=30s' keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3"}
CC_DB_PARAMS=$(app_conninfo)
case "$CC_DB_PARAMS" in
    *options=*) ;;
    *) CC_DB_PARAMS="$CC_DB_PARAMS $CC_DB_SESSION" ;;
esac
export CC_DB_PARAMS
mkdir -p "$CC_VAR/httpd"
CONF=$CC_TOP/conf/httpd.conf
# The LLM key block in concierge.conf is read only when there is a key.
if [ -n "${GROQ_API_KEY:-}" ]; then HTTPD="$HTTPD -DCONCIERGE_LLM"; fi
# Manage tokens are derived from ConciergeSecret: one per var/ unless the
# environment gives one (several hosts must share it).
if [ -z "${CONCIERGE_SECRET:-}" ]; then
    [ -s "$CC_VAR/secret" ] || (umask 077; head -c 36 /dev/urandom | base64 | tr -d '/+=' > "$CC_VAR/secret")
    CONCIERGE_SECRET=$(cat "$CC_VAR/secret")
fi
export CONCIERGE_SECRET
HTTPD="$HTTPD -DCONCIERGE_SECRET"
if [ -n "${CONCIERGE_GOOGLE_KEY_FILE:-}" ]; then HTTPD="$HTTPD -DCONCIERGE_GOOGLE"; fi
# Payments: the Stripe block of concierge.conf only with a key.
if [ -n "${STRIPE_SECRET_KEY:-}" ]; then
    export CONCIERGE_PUBLIC_URL=${CONCIERGE_PUBLIC_URL:-http://127.0.0.1:$CC_PORT}
    HTTPD="$HTTPD -DCONCIERGE_STRIPE"
fi
if [ -n "${STRIPE_WEBHOOK_SECRET:-}" ]; then HTTPD="$HTTPD -DCONCIERGE_STRIPE_WEBHOOK"; fi
# The API only where CC_EXTRA_CONF's virtual hosts include vhost.conf.
if [ -n "${CC_SCOPED:-}" ]; then HTTPD="$HTTPD -DCONCIERGE_SCOPED"; fi
# The sanitizer build needs its runtimes preloaded into httpd.
if [ -n "${CC_PRELOAD:-}" ]; then HTTPD="env LD_PRELOAD=${CC_PRELOAD// /:} $HTTPD"; fi
PIDFILE=$CC_VAR/httpd/httpd.pid

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
    check) $HTTPD -f "$CONF" -t ;;
    foreground)
        $HTTPD -f "$CONF" -t 2>&1 | grep -v 'Syntax OK' || true
        exec $HTTPD -f "$CONF" -DFOREGROUND ;;
    start)
        $HTTPD -f "$CONF" -t >/dev/null 2>&1 || { $HTTPD -f "$CONF" -t; exit 1; }
        $HTTPD -f "$CONF" -k start
        for _ in $(seq 1 100); do
            curl -fsS -o /dev/null "http://127.0.0.1:$CC_PORT/api/health" 2>/dev/null && exit 0
            curl -sS -o /dev/null "http://127.0.0.1:$CC_PORT/" 2>/dev/null && exit 0
            sleep 0.1
        done
        echo "httpd: did not answer on port $CC_PORT" >&2; tail -n 20 "$CC_VAR/httpd/error.log" >&2; exit 1 ;;
    graceful) $HTTPD -f "$CONF" -k graceful ;;
    stop)
        running || exit 0
        pid=$(cat "$PIDFILE"); kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true ;;
    *) echo "usage: httpd.sh check|start|foreground|stop|graceful" >&2; exit 2 ;;
esac
