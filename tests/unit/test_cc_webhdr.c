/* Unit tests: cc_webhdr (the pages' Content-Security-Policy, the framed
 * page, Cache-Control by path). */
#include <string.h>
#include <apr_pools.h>
#include "cc_webhdr.h"
#include "suites.h"

#define CSP_PAGE \
    "default-src 'self'; script-src 'self'; style-src 'self'; " \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; " \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

START_TEST(test_webhdr_csp)
{
    apr_pool_t *p = NULL;
    const char *const origins[] = { "https://www.clinic.example",
                                    "http://localhost:8081",
                                    "https://www.clinic.example" };
    char *csp;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    csp = cc_webhdr_csp(p, NULL, 0);
    ck_assert_str_eq(csp, CSP_PAGE);
    ck_assert(strstr(csp, "unsafe") == NULL);
    ck_assert(strstr(csp, "script-src 'self';") != NULL);
    /* Sorted, each once, after 'self'. */
    csp = cc_webhdr_csp(p, origins, 3);
    ck_assert_str_eq(csp, CSP_PAGE " http://localhost:8081 "
                     "https://www.clinic.example");
    /* The caller's order is left alone. */
    ck_assert_str_eq(origins[0], "https://www.clinic.example");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_webhdr_paths)
{
    ck_assert(cc_webhdr_framed("/embed"));
    ck_assert(cc_webhdr_framed("/embed/"));
    ck_assert(cc_webhdr_framed("/embed/index.html"));
    ck_assert(!cc_webhdr_framed("/embedded"));
    ck_assert(!cc_webhdr_framed("/"));
    ck_assert(!cc_webhdr_framed("/book/embed"));
    ck_assert(!cc_webhdr_framed(NULL));
    ck_assert_str_eq(cc_webhdr_cache("/assets/chat-3f9a1c2b.js"),
                     CC_WEBHDR_IMMUTABLE);
    ck_assert_str_eq(cc_webhdr_cache("/assets/fonts/x-1a2b.woff2"),
                     CC_WEBHDR_IMMUTABLE);
    ck_assert_str_eq(cc_webhdr_cache("/assets/"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(cc_webhdr_cache("/assets"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(cc_webhdr_cache("/widget.js"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(cc_webhdr_cache("/"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(cc_webhdr_cache("/book/done"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(cc_webhdr_cache("/x/assets/a.js"), CC_WEBHDR_REVALIDATE);
    ck_assert_str_eq(CC_WEBHDR_IMMUTABLE,
                     "public, max-age=31536000, immutable");
    ck_assert_str_eq(CC_WEBHDR_REVALIDATE, "no-cache");
}
END_TEST

Suite *suite_webhdr(void)
{
    Suite *s = suite_create("webhdr");
    TCase *tc = tcase_create("headers");

    tcase_add_test(tc, test_webhdr_csp);
    tcase_add_test(tc, test_webhdr_paths);
    suite_add_tcase(s, tc);
    return s;
}
