/* Unit tests: cc_stripe_verify (Stripe's webhook signature).  The fixed
 * vector was computed outside this code:
 *   printf '%s' '1700000000.{"id":"evt_test","object":"event"}' \
 *     | openssl dgst -sha256 -hmac 'whsec_test_secret_0123456789'
 * - the key is the whole secret, whsec_ prefix included.  The integration
 * tests of the webhook sign with Stripe's own npm library. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "cc_stripe.h"
#include "suites.h"

#define SECRET  "whsec_test_secret_0123456789"
#define OTHER   "whsec_rolled_secret_abcdef"
#define BODY    "{\"id\":\"evt_test\",\"object\":\"event\"}"
#define T0      1700000000
#define SIG     "f01d57453e4b0f7256ce868a10341d2c64f36cecf7780c024e7b0c8ddc292ddd"
#define WRONG   "0000000000000000000000000000000000000000000000000000000000000000"

static cc_stripe_rc verify(const char *header, const char *body, int64_t now,
                           const char *s1, const char *s2)
{
    const char *secrets[2] = { s1, s2 };

    return cc_stripe_verify(header, body, strlen(body), secrets, s2 ? 2 : 1,
                            now, CC_STRIPE_TOLERANCE);
}

START_TEST(test_stripe_vector)
{
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0, SECRET, NULL),
                     CC_STRIPE_OK);
    /* The key is the whole string: without the prefix it does not match. */
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0,
                            "test_secret_0123456789", NULL),
                     CC_STRIPE_MISMATCH);
}
END_TEST

START_TEST(test_stripe_any_v1_any_secret)
{
    /* A rolled secret: two v1 values, the matching one second; v0 and
     * unknown schemes ignored, spaces are not trimmed away. */
    ck_assert_int_eq(verify("t=1700000000,v1=" WRONG ",v0=" WRONG ",v1=" SIG
                            ",x=1", BODY, T0, SECRET, NULL), CC_STRIPE_OK);
    /* Two configured secrets: the second one signed it. */
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0, OTHER, SECRET),
                     CC_STRIPE_OK);
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0, OTHER, NULL),
                     CC_STRIPE_MISMATCH);
    /* Only v0: not accepted, whatever it says. */
    ck_assert_int_eq(verify("t=1700000000,v0=" SIG, BODY, T0, SECRET, NULL),
                     CC_STRIPE_NO_V1);
    /* Upper-case hex is not what Stripe sends: it cannot match. */
    {
        char up[] = "t=1700000000,v1=" SIG;
        char *q;

        for (q = up + 16; *q; q++) {
            if (*q >= 'a' && *q <= 'f') {
                *q = (char)(*q - 'a' + 'A');
            }
        }
        ck_assert_int_eq(verify(up, BODY, T0, SECRET, NULL), CC_STRIPE_NO_V1);
    }
}
END_TEST

START_TEST(test_stripe_tampered)
{
    /* One byte of the body, the timestamp, or the signature changed. */
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG,
                            "{\"id\":\"evt_tesT\",\"object\":\"event\"}", T0,
                            SECRET, NULL), CC_STRIPE_MISMATCH);
    ck_assert_int_eq(verify("t=1700000001,v1=" SIG, BODY, T0, SECRET, NULL),
                     CC_STRIPE_MISMATCH);
    ck_assert_int_eq(verify("t=1700000000,v1=" WRONG, BODY, T0, SECRET, NULL),
                     CC_STRIPE_MISMATCH);
    /* A body with a NUL inside is verified over all its bytes. */
    {
        const char *secrets[1] = { SECRET };
        char body[] = BODY "\0tail";

        ck_assert_int_eq(cc_stripe_verify("t=1700000000,v1=" SIG, body,
                                          sizeof(body) - 1, secrets, 1, T0,
                                          CC_STRIPE_TOLERANCE),
                         CC_STRIPE_MISMATCH);
    }
}
END_TEST

START_TEST(test_stripe_tolerance)
{
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0 + 300, SECRET,
                            NULL), CC_STRIPE_OK);
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0 + 301, SECRET,
                            NULL), CC_STRIPE_TOO_OLD);
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0 - 300, SECRET,
                            NULL), CC_STRIPE_OK);
    ck_assert_int_eq(verify("t=1700000000,v1=" SIG, BODY, T0 - 301, SECRET,
                            NULL), CC_STRIPE_TOO_NEW);
}
END_TEST

START_TEST(test_stripe_malformed)
{
    static const char *const bad[] = {
        "", "v1=" SIG, "t=,v1=" SIG, "t=17e8,v1=" SIG, "t=-1,v1=" SIG,
        "t=1700000000,t=1700000000,v1=" SIG, "t=9999999999999999999,v1=" SIG,
        NULL
    };
    char *huge;
    int i;

    for (i = 0; bad[i]; i++) {
        ck_assert_msg(verify(bad[i], BODY, T0, SECRET, NULL)
                      == CC_STRIPE_MALFORMED, "accepted as well-formed: %s",
                      bad[i]);
    }
    ck_assert_int_eq(verify("t=1700000000", BODY, T0, SECRET, NULL),
                     CC_STRIPE_NO_V1);
    ck_assert_int_eq(verify("t=1700000000,v1=abc", BODY, T0, SECRET, NULL),
                     CC_STRIPE_NO_V1);
    /* Over the size limit, even with a valid signature inside. */
    huge = malloc(CC_STRIPE_HEADER_MAX + 200);
    snprintf(huge, CC_STRIPE_HEADER_MAX + 200, "t=1700000000,v1=%s,x=", SIG);
    memset(huge + strlen(huge), 'a', CC_STRIPE_HEADER_MAX);
    huge[CC_STRIPE_HEADER_MAX + 100] = '\0';
    ck_assert_int_eq(verify(huge, BODY, T0, SECRET, NULL), CC_STRIPE_MALFORMED);
    free(huge);
    /* No header, no secret. */
    ck_assert_int_eq(verify(NULL, BODY, T0, SECRET, NULL),
                     CC_STRIPE_MALFORMED);
    ck_assert_int_eq(cc_stripe_verify("t=1700000000,v1=" SIG, BODY,
                                      strlen(BODY), NULL, 0, T0, 300),
                     CC_STRIPE_MALFORMED);
    ck_assert_str_eq(cc_stripe_rc_text(CC_STRIPE_TOO_OLD),
                     "the signature's timestamp is too old");
}
END_TEST

Suite *suite_stripe(void)
{
    Suite *s = suite_create("stripe");
    TCase *tc = tcase_create("verify");

    tcase_add_test(tc, test_stripe_vector);
    tcase_add_test(tc, test_stripe_any_v1_any_secret);
    tcase_add_test(tc, test_stripe_tampered);
    tcase_add_test(tc, test_stripe_tolerance);
    tcase_add_test(tc, test_stripe_malformed);
    suite_add_tcase(s, tc);
    return s;
}
