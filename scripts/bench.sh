#!/usr/bin/env bash
# make bench: wrk from another process against the real server.  The
# reference is a static 200-byte file served by the same httpd in the same
# run; every figure is also printed as a ratio to it.
#   BENCH_SECONDS (default 10), BENCH_CONNS (64), BENCH_THREADS (2)
set -euo pipefail
. "$(dirname "$0")/env.sh"
export CC_BUILD=${1:-$CC_TOP/build}
export CC_VAR=$(mktemp -d /tmp/cc-bench.XXXXXX); chmod 755 "$CC_VAR"
export CC_PORT=$(free_port) CC_SERVERS=2 CC_THREADS=64 CC_DBD_POOL=16
export CC_EXTRA_CONF=$CC_VAR/bench.conf
echo "ConciergeRateLimit admin 1000000/sec" > "$CC_EXTRA_CONF"
D=${BENCH_SECONDS:-10}; C=${BENCH_CONNS:-64}; T=${BENCH_THREADS:-2}
cleanup() { "$CC_TOP/scripts/httpd.sh" stop; "$CC_TOP/scripts/pg.sh" stop; rm -rf "$CC_VAR"; }
trap cleanup EXIT
"$CC_TOP/scripts/pg.sh" start >/dev/null
"$CC_TOP/scripts/httpd.sh" start
BASE=http://127.0.0.1:$CC_PORT

run() {   # name url -> "rps p50 p99"
    wrk -t"$T" -c"$C" -d3s "$2" >/dev/null 2>&1 || true            # warm-up
    wrk -t"$T" -c"$C" -d"${D}s" --latency -s "$CC_TOP/bench/latency.lua" "$2" \
        | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                         print v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["non2xx"] }'
}

printf '%-22s %10s %9s %9s %8s %7s\n' target req/s p50_ms p99_ms ratio errors
read -r s_rps s_p50 s_p99 s_err s_n2 < <(run static "$BASE/bench-static.txt")
printf '%-22s %10s %9s %9s %8s %7s\n' "static 200 B" "$s_rps" "$s_p50" "$s_p99" "1.00" "$((s_err + s_n2))"
line() {
    read -r rps p50 p99 err n2 < <(run "$1" "$2")
    printf '%-22s %10s %9s %9s %8s %7s\n' "$1" "$rps" "$p50" "$p99" \
        "$(awk -v a="$rps" -v b="$s_rps" 'BEGIN { printf "%.2f", a / b }')" "$((err + n2))"
}
line "GET /api/health" "$BASE/api/health"
echo "(GET /api/health target: >= 0.80 of static; its database check is cached up to 1 s)"
