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

count_script() {   # add "$2: N checks, N failed" (the last one) of file $1
    local line c f
    line=$(grep -E "^$2: [0-9]+ checks, [0-9]+ failed" "$1" | tail -n1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    c=$(sed -E 's/.*: ([0-9]+) checks.*/\1/' <<<"$line"); f=$(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + c - f)); failed=$((failed + f))
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
    # The fakes check themselves (JWT verification, failure modes; SMTP
    # STARTTLS and AUTH): the tests rely on them refusing what the real
    # services refuse.
    echo "== fake services self-check"
    python3 "$CC_TOP/tests/fakes/test_fake_google.py" 2>&1 | tee "$LOGDIR/fakes.log"
    count_script "$LOGDIR/fakes.log" test_fake_google.py
    # The fake SMTP server refuses what Postfix's submission service does.
    python3 "$CC_TOP/tests/fakes/test_fake_smtp.py" 2>&1 | tee "$LOGDIR/fakes-smtp.log"
    count_script "$LOGDIR/fakes-smtp.log" test_fake_smtp.py
    # The fake Stripe refuses what Stripe refuses (auth, form notation,
    # Idempotency-Key replay and conflicts, refund amounts).
    python3 "$CC_TOP/tests/fakes/test_fake_stripe.py" 2>&1 | tee "$LOGDIR/fakes-stripe.log"
    count_script "$LOGDIR/fakes-stripe.log" test_fake_stripe.py
    # Stripe-Signature headers come from Stripe's own npm library; its
    # self-check verifies them with constructEvent and openssl.
    echo "== Stripe signatures (tests/node)"
    if "$CC_TOP/scripts/npm.sh"; then
        node "$CC_TOP/tests/node/stripe_sign_check.js" 2>&1 | tee "$LOGDIR/stripe-sign.log"
        count_script "$LOGDIR/stripe-sign.log" stripe_sign
    else
        failed=$((failed + 1))
    fi
    # The patient pages in a real browser (playwright-core driving
    # Debian's chromium, axe-core on every page) against a private
    # PostgreSQL + httpd + fake Stripe of their own (tests/browser/run.js).
    echo "== browser tests (tests/browser)"
    if "$CC_TOP/scripts/npm.sh"; then
        node "$CC_TOP/tests/browser/run.js" --build "$BUILD" 2>&1 | tee "$LOGDIR/browser.log"
        count_script "$LOGDIR/browser.log" browser
    else
        failed=$((failed + 1))
    fi
fi

# The release whose database an upgrade starts from (its functions still
# lived in the numbered migrations).
UPGRADE_FROM=${CC_UPGRADE_FROM:-96c10b6}
BASELINE=
if [ "$MODE" != san ]; then
    # An old database upgraded by today's migrate.sh has exactly the schema
    # of a fresh one (tests/upgrade.sh, a private cluster of its own).
    echo "== upgrade from $UPGRADE_FROM"
    "$CC_TOP/tests/upgrade.sh" "$UPGRADE_FROM" 2>&1 | tee "$LOGDIR/upgrade.log"
    count_script "$LOGDIR/upgrade.log" upgrade.sh
    # The install a hospital's admin does: make install's layout in a copy
    # of Debian's /etc/apache2, a database made by concierge-admin
    # (tests/install.sh; never the system Apache).
    echo "== install on a Debian-shaped Apache"
    "$CC_TOP/tests/install.sh" "$BUILD" 2>&1 | tee "$LOGDIR/install.log"
    count_script "$LOGDIR/install.log" install.sh
    # ... and the integration suite runs on such an upgraded database (the
    # sanitizer run, on a fresh one).
    mkdir -p "$LOGDIR/baseline"
    if git -C "$CC_TOP" archive "$UPGRADE_FROM" scripts sql | tar -x -C "$LOGDIR/baseline"; then
        BASELINE=$LOGDIR/baseline
    else
        echo "test.sh: no $UPGRADE_FROM to upgrade from" >&2; failed=$((failed + 1))
    fi
fi

echo "== integration tests (real httpd + PostgreSQL${BASELINE:+, database upgraded from $UPGRADE_FROM})"
CC_MIGRATE_BASELINE="$BASELINE" CC_BUILD="$BUILD" CC_TEST_MODE="$MODE" "$BUILD/integration_tests" 2>&1 | tee "$LOGDIR/integration.log"
count "$LOGDIR/integration.log"

if compgen -G "$LOGDIR/asan*" >/dev/null || compgen -G "$LOGDIR/ubsan*" >/dev/null; then
    echo "== sanitizer reports:"; cat "$LOGDIR"/asan* "$LOGDIR"/ubsan* 2>/dev/null | head -n 80
    failed=$((failed + 1))
fi
[ -n "${CC_RESULTS:-}" ] && echo "$passed $failed" >> "$CC_RESULTS"
rm -rf "$LOGDIR"
echo "${MODE:+$MODE: }$passed passed, $failed failed"
[ "$failed" -eq 0 ]
