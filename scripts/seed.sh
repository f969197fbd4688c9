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
# The sample clinic's knowledge, on first use only: later changes belong
# to the clinic (admin API), and a re-run must not overwrite them.
docs=$(psql -X -At "$CONN" -c "SELECT count(*) FROM knowledge_documents")
if [ "$docs" = 0 ] && ls "$CC_TOP"/knowledge/*.md >/dev/null 2>&1; then
    {
        echo "BEGIN;"
        for f in "$CC_TOP"/knowledge/*.md; do
            slug=$(basename "$f" .md)
            title=$(grep -m1 -E '^# ' "$f" | sed -E 's/^# +//; s/ +#*$//')
            echo "\\set body \`cat '$f'\`"
            echo "INSERT INTO knowledge_documents (slug, title, format, body, updated_by) VALUES ('$slug', \$t\$${title:-$slug}\$t\$, 'markdown', :'body', 'seed');"
        done
        if [ -f "$CC_TOP/knowledge/synonyms.txt" ]; then
            echo "\\set syn \`cat '$CC_TOP/knowledge/synonyms.txt'\`"
            echo "UPDATE knowledge_state SET synonyms = :'syn';"
        fi
        echo "UPDATE knowledge_state SET version = version + 1, updated_at = now();"
        echo "SELECT concierge_audit_append('seed', 'knowledge.seed', 'knowledge', '', '{}');"
        echo "COMMIT;"
    } | psql -X -q -v ON_ERROR_STOP=1 "$CONN" -f - >/dev/null
    echo "seed: loaded the sample clinic's knowledge ($(ls "$CC_TOP"/knowledge/*.md | wc -l) documents)"
fi
# The shipped editable risk rules, on first use only (admins edit them
# afterwards).  The locked ones (emergency rules, "*" negators) are built
# into the module and never stored: scripts/risk-rules.sh.
rules=$(psql -X -At "$CONN" -c "SELECT count(*) FROM risk_rules")
if [ "$rules" = 0 ] && [ -f "$CC_TOP/conf/risk-rules.txt" ]; then
    {
        echo "BEGIN;"
        # category lang kind pattern...  (a '#' inside a pattern is the
        # number wildcard)
        "$CC_TOP/scripts/risk-rules.sh" editable "$CC_TOP/conf/risk-rules.txt" \
            | awk 'NF >= 4 { pat = $4; for (i = 5; i <= NF; i++) pat = pat " " $i;
                             gsub(/\x27/, "\x27\x27", pat);
                             printf "INSERT INTO risk_rules (category, lang, kind, pattern, updated_by) VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27, \x27%s\x27, \x27seed\x27);\n", $1, $2, $3, pat }'
        echo "UPDATE safety_state SET version = version + 1, updated_at = now();"
        echo "SELECT concierge_audit_append('seed', 'safety.rules.seed', 'risk_rules', '', '{}');"
        echo "COMMIT;"
    } | psql -X -q -v ON_ERROR_STOP=1 "$CONN" -f - >/dev/null
    echo "seed: loaded the shipped risk rules"
fi
for f in "$CC_TOP"/sql/seed/*.sql; do
    [ -e "$f" ] || continue
    psql -X -q -v ON_ERROR_STOP=1 "$CONN" -f "$f" >/dev/null
done
