#!/usr/bin/env bash
# make test / make san: every test, then one closing line
# "N passed, N failed".  $1 = build folder, $2 = "san" for the sanitizer
# build (httpd then runs the ASan/UBSan-instrumented module).
set -uo pipefail
. "$(dirname "$0")/env.sh"
BUILD=${1:?build folder}; MODE=${2:-}
LOGDIR=$(mktemp -d /tmp/cc-test.XXXXXX); chmod 755 "$LOGDIR"
passed=0; failed=0

count() {   # add the numbers of a Check summary line in file $1
    local line c f e
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$1" | tail -n1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    c=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + c - f - e)); failed=$((failed + f + e))
}

if [ "$MODE" = san ]; then
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$LOGDIR/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LOGDIR/ubsan"
    export CC_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export CK_DEFAULT_TIMEOUT=60
fi

echo "== unit tests ($BUILD)"
"$BUILD/unit_tests" 2>&1 | tee "$LOGDIR/unit.log"
count "$LOGDIR/unit.log"

if [ "$MODE" != san ]; then
    # The fake Google checks itself (JWT verification, failure modes): the
    # calendar tests rely on it refusing what Google refuses.
    echo "== fake services self-check"
    python3 "$CC_TOP/tests/fakes/test_fake_google.py" 2>&1 | tee "$LOGDIR/fakes.log"
    line=$(grep -E '^test_fake_google.py: [0-9]+ checks, [0-9]+ failed' "$LOGDIR/fakes.log" | tail -n1)
    if [ -z "$line" ]; then failed=$((failed + 1)); else
        c=$(sed -E 's/.*: ([0-9]+) checks.*/\1/' <<<"$line"); f=$(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")
        passed=$((passed + c - f)); failed=$((failed + f))
    fi
fi

echo "== integration tests (real httpd + PostgreSQL)"
CC_BUILD="$BUILD" CC_TEST_MODE="$MODE" "$BUILD/integration_tests" 2>&1 | tee "$LOGDIR/integration.log"
count "$LOGDIR/integration.log"

if compgen -G "$LOGDIR/asan*" >/dev/null || compgen -G "$LOGDIR/ubsan*" >/dev/null; then
    echo "== sanitizer reports:"; cat "$LOGDIR"/asan* "$LOGDIR"/ubsan* 2>/dev/null | head -n 80
    failed=$((failed + 1))
fi
[ -n "${CC_RESULTS:-}" ] && echo "$passed $failed" >> "$CC_RESULTS"
rm -rf "$LOGDIR"
echo "${MODE:+$MODE: }$passed passed, $failed failed"
[ "$failed" -eq 0 ]
