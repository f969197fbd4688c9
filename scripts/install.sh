#!/usr/bin/env bash
# make install [DESTDIR=...] [PREFIX=/usr]: the Debian layout.
#   <apxs LIBEXECDIR>/mod_concierge.so
#   /etc/apache2/mods-available/concierge.load   "# Depends: dbd" (a2enmod
#                                                 enables mod_dbd first)
#   /etc/apache2/mods-available/concierge.conf   server-wide settings only
#   PREFIX/share/mod-concierge/                   vhost.conf (include it in
#       the chosen <VirtualHost>), risk-vocab.bin, risk-model.bin, htdocs/
#       (the whole tree), knowledge/ (the sample clinic), conf/risk-rules.txt,
#       sql/, scripts/ (concierge-admin and what it runs)
#   PREFIX/sbin/concierge-admin                   -> the share copy
#   PREFIX/share/doc/mod-concierge/               README.md, docs/
#   PREFIX/share/man/man8/concierge-admin.8
# The files carry their final paths (without DESTDIR), as a package does.
#   scripts/install.sh <destdir> <prefix> <libexecdir> <apache etc> <build>
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$1 prefix=$2 libexec=$3 etc=$4 build=$5
share=$prefix/share/mod-concierge
doc=$prefix/share/doc/mod-concierge
[ -n "$libexec" ] || { echo "install: apxs -q LIBEXECDIR gave nothing (apache2-dev)" >&2; exit 1; }
for f in mod_concierge.so risk-vocab.bin risk-model.bin; do
    [ -f "$build/$f" ] || { echo "install: $build/$f is missing: make build first" >&2; exit 1; }
done
# The patient pages are generated (scripts/web.sh, part of make build).
for f in htdocs/index.html htdocs/widget.js; do
    [ -f "$top/$f" ] || { echo "install: $f is missing: make build (or make web) first" >&2; exit 1; }
done

install -d "$dest$libexec" "$dest$etc/mods-available" "$dest$share/conf" \
    "$dest$share/scripts" "$dest$prefix/sbin" "$dest$doc"
install -m 644 "$build/mod_concierge.so" "$dest$libexec/mod_concierge.so"
install -m 644 "$build/risk-vocab.bin" "$build/risk-model.bin" "$dest$share/"

printf '# Depends: dbd\nLoadModule concierge_module %s/mod_concierge.so\n' "$libexec" \
    > "$dest$etc/mods-available/concierge.load"
{
    sed -e "s|\${CC_BUILD}/risk-vocab.bin|$share/risk-vocab.bin|" \
        -e "s|\${CC_BUILD}/risk-model.bin|$share/risk-model.bin|" \
        "$top/conf/concierge.conf"
    cat <<EOF

# ---- This installation ------------------------------------------------------
# mod_dbd (a2enmod enabled it) needs the database in the server config, e.g.
# in /etc/apache2/conf-available/concierge-db.conf (a2enconf):
#   DBDriver pgsql
#   DBDParams "host=... dbname=concierge user=concierge password=\${CONCIERGE_DB_PASSWORD} options='-c statement_timeout=10s -c lock_timeout=3s -c idle_in_transaction_session_timeout=30s' keepalives=1 keepalives_idle=30"
#   DBDMin 4
#   DBDKeep 4
#   DBDMax 8
# The manage-token key, one line, mode 0640 root:root (make one with
#   head -c 48 /dev/urandom | base64 | tr -d '/+=' > /etc/mod-concierge/secret):
#   ConciergeSecretFile /etc/mod-concierge/secret
# Then include $share/vhost.conf inside the <VirtualHost> that serves the
# concierge, and set up the database with concierge-admin.
EOF
} > "$dest$etc/mods-available/concierge.conf"
chmod 644 "$dest$etc/mods-available/concierge.load" "$dest$etc/mods-available/concierge.conf"

install -m 644 "$top/conf/vhost.conf" "$dest$share/vhost.conf"
install -m 644 "$top/conf/risk-rules.txt" "$dest$share/conf/risk-rules.txt"
rm -rf "$dest$share/sql" "$dest$share/htdocs" "$dest$share/knowledge"
cp -R "$top/sql" "$top/htdocs" "$top/knowledge" "$dest$share/"
find "$dest$share/sql" "$dest$share/htdocs" "$dest$share/knowledge" -type d -exec chmod 755 {} +
find "$dest$share/sql" "$dest$share/htdocs" "$dest$share/knowledge" -type f -exec chmod 644 {} +
for s in migrate.sh risk-rules.sh user.sh concierge-admin; do
    install -m 755 "$top/scripts/$s" "$dest$share/scripts/$s"
done
install -m 644 "$top/scripts/env.sh" "$dest$share/scripts/env.sh"   # sourced
install -d "$dest$prefix/share/man/man8"
install -m 644 "$top/docs/concierge-admin.8" "$dest$prefix/share/man/man8/concierge-admin.8"
ln -sfn "../share/mod-concierge/scripts/concierge-admin" "$dest$prefix/sbin/concierge-admin"
install -m 644 "$top/README.md" "$dest$doc/README.md"
install -d "$dest$doc/docs"
install -m 644 "$top"/docs/*.md "$dest$doc/docs/"
echo "install: $dest$libexec/mod_concierge.so, $dest$etc/mods-available/concierge.{load,conf}, $dest$share/"
