#!/usr/bin/env bash
# tests/install.sh <build dir> - the install a hospital's admin does, in a
# throwaway copy of Debian's own /etc/apache2 (never the system Apache):
# make install's layout (scripts/install.sh into a DESTDIR), a2enmod
# concierge (which enables dbd through "# Depends"), the API included in
# one <VirtualHost> of two, a database made by concierge-admin on a
# private PostgreSQL, then:
#   config test passes; a bad directive fails naming it;
#   before rules and knowledge: health degraded, a risky message escalated
#   and an emergency told to call 999 (the locked rules);
#   load-rules: health ok; import-knowledge: a question answered; a staff
#   account made by the tool works; a graceful restart keeps answering
#   with no warning in the error log; the other site has no API.
# Ends with "install.sh: N checks, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
. "$top/scripts/env.sh"
T=$(mktemp -d /tmp/cc-install.XXXXXX); chmod 755 "$T"
checks=0 failed=0
ok()   { checks=$((checks + 1)); echo "ok   $1"; }
bad()  { checks=$((checks + 1)); failed=$((failed + 1)); echo "FAIL $1"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
E=$T/etc/apache2
apache() { ( set -a; APACHE_CONFDIR=$E; . "$E/envvars"; set +a; /usr/sbin/apache2 -d "$E" "$@" ); }
cleanup() {
    apache -k stop >/dev/null 2>&1; sleep 0.5
    [ -f "$T/run/apache2.pid" ] && kill -9 "$(cat "$T/run/apache2.pid")" 2>/dev/null
    CC_VAR=$T/var "$top/scripts/pg.sh" stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
finish() {
    [ -n "${INSTALL_DEBUG:-}" ] && cat "$T/log/error.log" "$T/h.json" 2>/dev/null
    echo "install.sh: $checks checks, $failed failed"; exit $(( failed > 0 ))
}

# ---- make install into a DESTDIR -------------------------------------------
D=$T/dest
if "$top/scripts/install.sh" "$D" /usr "$(apxs -q LIBEXECDIR)" /etc/apache2 "$build" >/dev/null; then
    ok "make install into DESTDIR"
else
    bad "make install into DESTDIR"; finish
fi
share=$D/usr/share/mod-concierge
check "module in apxs LIBEXECDIR" test -f "$D$(apxs -q LIBEXECDIR)/mod_concierge.so"
check "concierge.load depends on dbd" grep -qx '# Depends: dbd' "$D/etc/apache2/mods-available/concierge.load"
check "concierge.conf: no LoadModule, no <Location>" \
    bash -c "! grep -Eq '^[[:space:]]*(LoadModule|<Location)' '$D/etc/apache2/mods-available/concierge.conf'"
check "vhost.conf switches the API on" grep -qx 'ConciergeAPI On' "$share/vhost.conf"
check "htdocs installed as a tree" test -f "$share/htdocs/index.html"
check "sbin/concierge-admin resolves" test -x "$D/usr/sbin/concierge-admin"

# ---- a copy of Debian's /etc/apache2, the installed files in it ------------
cp -a /etc/apache2 "$T/etc-apache2" && mkdir -p "$T/etc" && mv "$T/etc-apache2" "$E"
rm -f "$E"/sites-enabled/* "$E"/mods-enabled/concierge.* "$E"/mods-enabled/dbd.*
mkdir -p "$T/run" "$T/lock" "$T/log"
sed -i -e "s|^export APACHE_PID_FILE=.*|export APACHE_PID_FILE=$T/run/apache2.pid|" \
       -e "s|^export APACHE_RUN_DIR=.*|export APACHE_RUN_DIR=$T/run|" \
       -e "s|^export APACHE_LOCK_DIR=.*|export APACHE_LOCK_DIR=$T/lock|" \
       -e "s|^export APACHE_LOG_DIR=.*|export APACHE_LOG_DIR=$T/log|" "$E/envvars"
if [ "$(id -u)" -ne 0 ]; then   # children run as whoever runs the test
    sed -i -e "s|^export APACHE_RUN_USER=.*|export APACHE_RUN_USER=$(id -un)|" \
           -e "s|^export APACHE_RUN_GROUP=.*|export APACHE_RUN_GROUP=$(id -gn)|" "$E/envvars"
fi
port=$(free_port)
printf 'Listen 127.0.0.1:%s\n' "$port" > "$E/ports.conf"
# The installed files, with the DESTDIR in their paths (a package would
# put them at the paths themselves).
sed "s|LoadModule concierge_module .*|LoadModule concierge_module $D$(apxs -q LIBEXECDIR)/mod_concierge.so|" \
    "$D/etc/apache2/mods-available/concierge.load" > "$E/mods-available/concierge.load"
sed "s|/usr/share/mod-concierge/|$share/|g" "$D/etc/apache2/mods-available/concierge.conf" \
    > "$E/mods-available/concierge.conf"
if APACHE_CONFDIR=$E a2enmod -q concierge >/dev/null 2>&1 \
   && [ -e "$E/mods-enabled/dbd.load" ] && [ -e "$E/mods-enabled/concierge.load" ]; then
    ok "a2enmod concierge enables dbd too"
else
    bad "a2enmod concierge enables dbd too"; finish
fi

# ---- the database, by concierge-admin, on a private PostgreSQL ------------
export CC_VAR=$T/var; mkdir -p "$CC_VAR"; chmod 755 "$CC_VAR"
"$top/scripts/pg.sh" start >/dev/null || { bad "PostgreSQL"; finish; }
pgport=$(cat "$CC_VAR/pg/port")
admin() {
    CONCIERGE_ADMIN_CONF=/nonexistent CONCIERGE_SHARE=$share \
    CONCIERGE_DB_SUPER_PARAMS="host=$CC_VAR/pg/sock port=$pgport user=postgres dbname=postgres" \
    CONCIERGE_DB_NAME=clinic CONCIERGE_DB_OWNER_ROLE=clinic_owner CONCIERGE_DB_APP_ROLE=clinic_app \
    CONCIERGE_DB_PARAMS="host=127.0.0.1 port=$pgport dbname=clinic user=clinic_app password=app-password-0123456789" \
    CONCIERGE_DB_OWNER_PARAMS="host=127.0.0.1 port=$pgport dbname=clinic user=clinic_owner password=owner-password-0123456789" \
    "$D/usr/sbin/concierge-admin" "$@"
}
if printf 'owner-password-0123456789\napp-password-0123456789\n' | admin create-db >"$T/admin.log" 2>&1; then
    ok "concierge-admin create-db"; else bad "concierge-admin create-db: $(cat "$T/admin.log")"; fi
# From here on the settings come from the tool's own file, as on a server
# (/etc/mod-concierge/admin.conf), not from the environment.
cat > "$T/admin.conf" <<CONF
CONCIERGE_DB_NAME=clinic
CONCIERGE_DB_APP_ROLE=clinic_app
CONCIERGE_DB_PARAMS="host=127.0.0.1 port=$pgport dbname=clinic user=clinic_app password=app-password-0123456789"
CONCIERGE_DB_OWNER_PARAMS="host=127.0.0.1 port=$pgport dbname=clinic user=clinic_owner password=owner-password-0123456789"
CONF
chmod 644 "$T/admin.conf"
out=$(CONCIERGE_ADMIN_CONF=$T/admin.conf "$D/usr/sbin/concierge-admin" status 2>&1)
if grep -q "readable by others" <<<"$out"; then ok "an admin.conf others can read is refused"; else bad "a world-readable admin.conf: $out"; fi
chmod 600 "$T/admin.conf"
admin() { CONCIERGE_ADMIN_CONF=$T/admin.conf CONCIERGE_SHARE=$share "$D/usr/sbin/concierge-admin" "$@"; }
check "concierge-admin migrate" admin migrate

cat > "$E/conf-enabled/concierge-db.conf" <<EOF
DBDriver pgsql
DBDParams "host=127.0.0.1 port=$pgport dbname=clinic user=clinic_app password=\${CLINIC_DB_PASSWORD} options='-c statement_timeout=10s -c lock_timeout=3s -c idle_in_transaction_session_timeout=30s' keepalives=1 keepalives_idle=30"
DBDMin 2
DBDKeep 2
DBDMax 4
EOF
echo 'export CLINIC_DB_PASSWORD=app-password-0123456789' >> "$E/envvars"
echo "ServerName clinic.test" > "$E/conf-enabled/servername.conf"
# The manage-token key from a file, as the installed concierge.conf says.
(umask 027; head -c 48 /dev/urandom | base64 | tr -d '/+=' > "$T/secret")
echo "ConciergeSecretFile $T/secret" > "$E/conf-enabled/concierge-secret.conf"
cat > "$E/sites-enabled/clinic.conf" <<EOF
<VirtualHost 127.0.0.1:$port>
    ServerName clinic.test
    DocumentRoot $share/htdocs
    <Directory $share/htdocs>
        Require all granted
    </Directory>
    Include $share/vhost.conf
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName other.test
    DocumentRoot /var/www/html
</VirtualHost>
EOF

# ---- config test, a bad directive ---------------------------------------------
check "apache2 -t" apache -t
echo "ConciergeChatMaxChars banana" > "$E/conf-enabled/zz-bad.conf"
out=$(apache -t 2>&1)
if grep -q ConciergeChatMaxChars <<<"$out"; then ok "a bad directive fails naming it"; else bad "a bad directive fails naming it: $out"; fi
rm -f "$E/conf-enabled/zz-bad.conf"

# ---- start: safe before rules and knowledge -------------------------------------
apache -k start || { bad "apache2 start"; finish; }
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
H=(-H "Host: clinic.test" -s)
chat() { curl "${H[@]}" -H 'Content-Type: application/json' -d "{\"message\":\"$1\"}" "http://127.0.0.1:$port/api/chat"; }
code=$(curl "${H[@]}" -o "$T/h.json" -w '%{http_code}' "http://127.0.0.1:$port/api/health")
if [ "$code" = 503 ] && grep -q '"degraded"' "$T/h.json"; then ok "health degraded before the rules"; else bad "health degraded before the rules: $code $(cat "$T/h.json")"; fi
r=$(chat "I have chest pain and cannot breathe")
if grep -q '"status":"emergency"' <<<"$r" && grep -q 'call_emergency' <<<"$r"; then ok "an emergency before the rules: call 999"; else bad "an emergency before the rules: $r"; fi
r=$(chat "I am pregnant, can I have lip filler?")
if grep -q '"status":"escalated"' <<<"$r"; then ok "a risky message before the rules: escalated"; else bad "a risky message before the rules: $r"; fi

# ---- rules, knowledge, a staff account ----------------------------------------------
check "concierge-admin load-rules" admin load-rules
check "concierge-admin import-knowledge" admin import-knowledge "$share/knowledge"
if echo head-nurse-password-1 | admin user head-nurse admin >"$T/admin.log" 2>&1; then
    ok "concierge-admin user"; else bad "concierge-admin user: $(cat "$T/admin.log")"; fi
sleep 1.5
code=$(curl "${H[@]}" -o "$T/h.json" -w '%{http_code}' "http://127.0.0.1:$port/api/health")
if [ "$code" = 200 ]; then ok "health ok with the rules"; else bad "health with the rules: $code $(cat "$T/h.json")"; fi
r=$(chat "Where can I park my car?")
if grep -q '"status":"answered"' <<<"$r"; then ok "a question answered from the imported knowledge"; else bad "a question after the import: $r"; fi
code=$(curl "${H[@]}" -u head-nurse:head-nurse-password-1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/admin/me")
if [ "$code" = 200 ]; then ok "the staff account works"; else bad "the staff account: $code"; fi

# ---- graceful restart, the other site -----------------------------------------------
apache -k graceful
sleep 2
ok_after=0
for _ in $(seq 1 30); do
    r=$(chat "Where can I park my car?"); grep -q '"status":"answered"' <<<"$r" && { ok_after=1; break; }; sleep 0.2
done
if [ $ok_after = 1 ]; then ok "answering after a graceful restart"; else bad "after a graceful restart: $r"; fi
code=$(curl -s -H "Host: other.test" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health")
if [ "$code" = 404 ]; then ok "no API on the other site"; else bad "the other site answered /api/health: $code"; fi
warn=$(grep -E '\[[a-z_]+:(warn|error|crit|alert|emerg)\]' "$T/log/error.log" \
       | grep -v 'CC01009\|CC01101' || true)
if [ -z "$warn" ]; then ok "no warnings in the error log (graceful restart included)"; else bad "error log: $warn"; fi
if grep -q 'chest pain\|pregnant' "$T/log/error.log"; then bad "a patient's words in the error log"; else ok "no patient words in the error log"; fi
finish
