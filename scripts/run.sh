#!/usr/bin/env bash
# make run: private PostgreSQL, migrations, sample clinic, httpd in the
# foreground on 127.0.0.1:8080.  Ctrl-C stops everything this started.
set -euo pipefail
. "$(dirname "$0")/env.sh"
export CC_BUILD=${1:-$CC_TOP/build}
if [ -f "$CC_TOP/.env" ]; then set -a; . "$CC_TOP/.env"; set +a; fi

"$CC_TOP/scripts/pg.sh" start
trap '"$CC_TOP/scripts/httpd.sh" stop; "$CC_TOP/scripts/pg.sh" stop; echo; echo "stopped."' EXIT
# A TERM or HUP (a supervisor, a closed terminal) stops everything too.
trap 'exit 143' TERM
trap 'exit 129' HUP
"$CC_TOP/scripts/seed.sh"
"$CC_TOP/scripts/httpd.sh" stop      # a leftover from an unclean exit

PORT=${CC_PORT:-8080}
cat <<MSG

mod_concierge is running (Ctrl-C stops httpd and PostgreSQL).
  Patient chat        http://127.0.0.1:$PORT/
  Booking             http://127.0.0.1:$PORT/book/
  Chat widget         <script src="http://127.0.0.1:$PORT/widget.js" async></script>  (README, "Patient pages")
  Health              http://127.0.0.1:$PORT/api/health
  Staff API           http://127.0.0.1:$PORT/api/admin/health  (user "admin", password in var/admin-password)
  API reference       README.md, section "API"
  Error log           $CC_VAR/httpd/error.log
MSG
"$CC_TOP/scripts/httpd.sh" foreground &
wait $! || true
