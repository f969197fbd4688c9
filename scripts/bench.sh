#!/usr/bin/env bash
# make bench: wrk from another process against the real server.  The
# reference is a static 200-byte file served by the same httpd in the same
# run; every figure is also printed as a ratio to it.
#   BENCH_SECONDS (default 10), BENCH_CONNS (64), BENCH_THREADS (2)
set -euo pipefail
. "$(dirname "$0")/env.sh"
export CC_BUILD=${1:-$CC_TOP/build}
export CC_VAR=$(mktemp -d /tmp/cc-bench.XXXXXX); chmod 755 "$CC_VAR"
export CC_PORT=$(free_port) CC_SERVERS=2 CC_THREADS=64 CC_DBD_POOL=4
export CC_EXTRA_CONF=$CC_VAR/bench.conf CC_BCRYPT_COST=4
cat > "$CC_EXTRA_CONF" <<CONF
ConciergeRateLimit admin 1000000/sec
ConciergeRateLimit chat 1000000/sec
ConciergeRateLimit booking 1000000/sec
ConciergeRateLimit browse 1000000/sec
ConciergeStripeWebhookSecret whsec_bench_0123456789abcdefghijklmnop
CONF
D=${BENCH_SECONDS:-10}; C=${BENCH_CONNS:-64}; T=${BENCH_THREADS:-2}
cleanup() { "$CC_TOP/scripts/httpd.sh" stop; "$CC_TOP/scripts/pg.sh" stop; rm -rf "$CC_VAR"; }
trap cleanup EXIT
"$CC_TOP/scripts/pg.sh" start >/dev/null
"$CC_TOP/scripts/seed.sh" >/dev/null
"$CC_TOP/scripts/user.sh" bench admin <<<bench-password-1 >/dev/null
# A staff account as real ones are made (bcrypt cost 10), for the
# authenticated-request figure.
CC_BCRYPT_COST=10 "$CC_TOP/scripts/user.sh" bench-staff staff <<<bench-staff-password-1 >/dev/null
"$CC_TOP/scripts/httpd.sh" start
BASE=http://127.0.0.1:$CC_PORT
curl -fsS -o /dev/null -u bench:bench-password-1 "$BASE/api/admin/knowledge/search?q=parking"

run() {   # url [script] -> "rps p50 p99 errors non2xx"; RUN_AUTH: user:password
    local script=${2:-$CC_TOP/bench/latency.lua} hdr=()
    if [ -n "${RUN_AUTH:-}" ]; then
        hdr=(-H "Authorization: Basic $(printf %s "$RUN_AUTH" | base64 -w0)")
    fi
    wrk -t"$T" -c"$C" -d3s "${hdr[@]}" -s "$script" "$1" >/dev/null 2>&1 || true   # warm-up
    wrk -t"$T" -c"$C" -d"${D}s" --latency "${hdr[@]}" -s "$script" "$1" \
        | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                         print v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["non2xx"] }'
}

echo "== HTTP (wrk -t$T -c$C -d${D}s; httpd event MPM 2 x 64 threads; same 2 cores)"
printf '%-34s %10s %9s %9s %8s %7s\n' target req/s p50_ms p99_ms ratio errors
read -r s_rps s_p50 s_p99 s_err s_n2 < <(run "$BASE/bench-static.txt")
printf '%-34s %10s %9s %9s %8s %7s\n' "static 200 B" "$s_rps" "$s_p50" "$s_p99" "1.00" "$((s_err + s_n2))"
line() {
    read -r rps p50 p99 err n2 < <(run "$2" "${3:-}")
    printf '%-34s %10s %9s %9s %8s %7s\n' "$1" "$rps" "$p50" "$p99" \
        "$(awk -v a="$rps" -v b="$s_rps" 'BEGIN { printf "%.2f", a / b }')" "$((err + n2))"
}
line "GET /api/health" "$BASE/api/health"
# A staff request with valid credentials (Basic, bcrypt cost 10): the
# password is checked once per process, then the credential cache answers.
RUN_AUTH=bench-staff:bench-staff-password-1 line "GET /api/admin/me (staff, Basic)" "$BASE/api/admin/me"
# Availability for one week from tomorrow of the sample clinic's first
# service (issue 12's measure: GET /api/slots?service_id=1&from=<tomorrow>
# &days=7).
from=$(date -u -d "+1 day" +%F)
first=$(psql -X -At "$(app_conninfo)" -c "SELECT min(id) FROM services WHERE active")
line "GET /api/slots (first service, 7 d)" "$BASE/api/slots?service_id=$first&from=$from&days=7"
# The chat after the reads: its hundred thousand stored turns wake
# autovacuum, which would otherwise share the cores with the next run.
line "POST /api/chat (extractive, logged)" "$BASE/api/chat" "$CC_TOP/bench/chat.lua"
# Non-conflicting bookings: a 5-minute bench service, 20 practitioners
# open around the clock; every request books its own slot (bench/booking.lua).
psql -X -q -v ON_ERROR_STOP=1 "$(app_conninfo)" >/dev/null <<'SQL'
UPDATE clinic_settings SET slot_step_min = 5, min_notice_min = 0, horizon_days = 365;
INSERT INTO services (name, duration_min, price_cents) VALUES ('Bench', 5, 0);
INSERT INTO practitioners (name) SELECT 'Bench ' || g FROM generate_series(1, 20) g;
INSERT INTO practitioner_services SELECT p.id, s.id FROM practitioners p, services s
 WHERE p.name LIKE 'Bench %' AND s.name = 'Bench';
INSERT INTO opening_hours (practitioner_id, weekday, start_min, end_min)
SELECT p.id, d, 0, 1440 FROM practitioners p, generate_series(0, 6) d WHERE p.name LIKE 'Bench %';
SQL
export BENCH_P=20
BENCH_SERVICE=$(psql -X -At "$(app_conninfo)" -c "SELECT id FROM services WHERE name = 'Bench'")
BENCH_PFIRST=$(psql -X -At "$(app_conninfo)" -c "SELECT min(id) FROM practitioners WHERE name LIKE 'Bench %'")
export BENCH_SERVICE BENCH_PFIRST
midnight=$(date -u -d "tomorrow 00:00" +%s)
# (Days half a year ahead: clear of the sample clinic's Christmas closures.)
BENCH_DAY0=$((midnight + 150 * 86400)) wrk -t"$T" -c"$C" -d3s -s "$CC_TOP/bench/booking.lua" \
    "$BASE/api/bookings" >/dev/null 2>&1 || true      # warm-up, its own days
read -r b_rps b_p50 b_p99 b_err b_n2 < <(BENCH_DAY0=$((midnight + 180 * 86400)) \
    wrk -t"$T" -c"$C" -d"${D}s" --latency -s "$CC_TOP/bench/booking.lua" "$BASE/api/bookings" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                     print v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["non2xx"] }')
printf '%-34s %10s %9s %9s %8s %7s\n' "POST /api/bookings (distinct slots)" "$b_rps" "$b_p50" "$b_p99" \
    "$(awk -v a="$b_rps" -v b="$s_rps" 'BEGIN { printf "%.2f", a / b }')" "$((b_err + b_n2))"
echo "bookings stored: $(psql -X -At "$(app_conninfo)" -c "SELECT count(*) FROM bookings WHERE status = 'confirmed'")"
# Signed Stripe webhooks (issue 13): distinct checkout.session.completed
# events, each verified (HMAC-SHA256 by Stripe's rules) and applied in its
# own transaction - event id stored, payment paid, booking confirmed,
# audit entry and analytics event - for N pending bookings made here
# (sessions cs_bench_<i>), signed by Stripe's npm library just before the
# run (tests/node/stripe_events.js; signatures are good for 300 s).
"$CC_TOP/scripts/npm.sh" >/dev/null
WH_N=${BENCH_WEBHOOKS:-60000}
psql -X -q -v ON_ERROR_STOP=1 "$(app_conninfo)" >/dev/null <<SQL
INSERT INTO bookings (service_id, practitioner_id, status, start_at, end_at, blocked,
                      patient_name, patient_email, token_hash, token_nonce, hold_until,
                      price_cents, currency, payment_status)
SELECT $BENCH_SERVICE, $BENCH_PFIRST + g % 20, 'pending_payment', t, t + interval '5 minutes',
       tstzrange(t, t + interval '5 minutes'), 'Bench patient', 'bench@example.org',
       encode(sha256(('wh' || g)::bytea), 'hex'), 'n' || g, now() + interval '1 day', 4500, 'GBP',
       'unpaid'
  FROM generate_series(0, $WH_N - 1) g,
       LATERAL (SELECT to_timestamp($midnight + 300 * 86400) + (g / 20) * interval '5 minutes' AS t) x;
INSERT INTO payments (booking_id, attempt, status, amount_cents, currency, expires_at, session_id, url)
SELECT b.id, 1, 'open', 4500, 'GBP', now() + interval '1 day',
       'cs_bench_' || (b.id - (SELECT min(id) FROM bookings WHERE patient_name = 'Bench patient')),
       'https://checkout.stripe.com/c/pay/bench'
  FROM bookings b WHERE b.patient_name = 'Bench patient';
SQL
node "$CC_TOP/tests/node/stripe_events.js" --secret whsec_bench_0123456789abcdefghijklmnop \
    --count "$WH_N" --out "$CC_VAR/webhooks.txt"
read -r w_rps w_p50 w_p99 w_err w_n2 < <(WEBHOOK_FILE=$CC_VAR/webhooks.txt WEBHOOK_THREADS=$T \
    wrk -t"$T" -c"$C" -d"${D}s" --latency -s "$CC_TOP/bench/webhooks.lua" "$BASE/api/webhooks/stripe" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                     print v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["non2xx"] }')
printf '%-34s %10s %9s %9s %8s %7s\n' "POST /api/webhooks/stripe (signed)" "$w_rps" "$w_p50" "$w_p99" \
    "$(awk -v a="$w_rps" -v b="$s_rps" 'BEGIN { printf "%.2f", a / b }')" "$((w_err + w_n2))"
echo "webhook events: $(psql -X -At "$(app_conninfo)" -c "SELECT count(*) || ' applied, ' || count(*) FILTER (WHERE outcome = 'confirmed') || ' confirmed a booking' FROM stripe_events")"
echo "targets: /api/health >= 0.80 of static; /api/chat >= 0.25 of static with p99 < 20 ms;"
echo "         GET /api/admin/me with valid credentials >= 0.30 of static;"
echo "         /api/slots >= 0.30 of static; POST /api/bookings >= 1,000 req/s;"
echo "         signed webhooks (verified, applied) >= 1,000 events/s"

echo
echo "== risk check alone (in process, the messages of tests/eval/risk.tsv and both halves of"
echo "   risk2: shipped rules, then rules + vocabulary + classifier as the module runs it)"
for layers in "" "--vocab $CC_BUILD/risk-vocab.bin --model $CC_BUILD/risk-model.bin"; do
    # shellcheck disable=SC2086
    "$CC_BUILD/eval_risk" "$CC_TOP/conf/risk-rules.txt" $layers "$CC_TOP/tests/eval/risk.tsv" \
        "$CC_TOP/tests/eval/risk2_a.tsv" "$CC_TOP/tests/eval/risk2_b.tsv" \
        | grep -E '^(check time|eval-risk: [0-9]+ rules)' | sed -e 's/^eval-risk: /  /' || true
done
echo "(target: under 50 us per typical message)"

echo
echo "== risk check and slot query alone (in process, bench/bench_core.c)"
"$CC_BUILD/bench_core" "$CC_TOP/conf/risk-rules.txt"

echo
echo "== retrieval index alone (in process, generated 10,000-chunk knowledge base)"
"$CC_BUILD/bench_index" "$CC_TOP/knowledge" "$CC_TOP/tests/eval/retrieval.tsv" \
    --markdown "$CC_VAR/gen10k.md"

echo
echo "== the same 10,000-chunk base through the server (PUT /api/admin/knowledge)"
t0=$(date +%s%N)
curl -fsS -o /dev/null -u bench:bench-password-1 -X PUT -H 'Content-Type: text/markdown' \
    --data-binary @"$CC_VAR/gen10k.md" "$BASE/api/admin/knowledge"
t1=$(date +%s%N)
curl -fsS -u bench:bench-password-1 "$BASE/api/admin/health" | python3 -c '
import json, sys
i = json.load(sys.stdin)["index"]
print("index generation %d: %d chunks, %.1f MB, build %d ms; PUT answered in %s ms (store + build + swap)"
      % (i["generation"], i["chunks"], i["bytes"] / 1048576, i["last_build_ms"], sys.argv[1]))
' "$(( (t1 - t0) / 1000000 ))"
# Make every worker touch the whole image, then read their memory.
for _ in $(seq 1 40); do
    curl -fsS -o /dev/null -u bench:bench-password-1 "$BASE/api/admin/knowledge/search?q=lip+filler+price"
done
echo "resident memory of the index segment per worker (Pss shares pages among the processes mapping them):"
parent=$(cat "$CC_VAR/httpd/httpd.pid")
for pid in $(pgrep -P "$parent"); do
    awk -v pid="$pid" '
        /^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
        /^Size:/ { big = ($2 >= 32768) }
        big && /^Rss:/ { rss = $2 } big && /^Pss:/ { pss = $2 }
        END { printf "  worker %s: index segment Rss %.1f MB, Pss %.1f MB\n", pid, rss / 1024, pss / 1024 }
    ' "/proc/$pid/smaps"
done
echo "(one copy per host: each worker's Pss is its share of the same pages)"
