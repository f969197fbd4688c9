/* Unit tests: cc_limbuf (a request body that grows as it arrives, up to
 * its route's cap, instead of allocating the cap up front). */
#include <check.h>
#include <string.h>
#include <stdlib.h>
#include <apr_general.h>
#include "cc_buf.h"
#include "suites.h"

#define MB (1024 * 1024)

/* A small body under a 12 MB cap costs a small block, not the cap. */
START_TEST(test_limbuf_small_body_small_block)
{
    apr_pool_t *p;
    cc_limbuf_t *b;

    apr_pool_create(&p, NULL);
    b = cc_limbuf_init(p, 12 * MB, 0);
    ck_assert_int_eq(cc_limbuf_add(b, "{\"a\":1}", 7, NULL), 0);
    ck_assert_uint_eq(b->n, 7);
    ck_assert_str_eq(b->d, "{\"a\":1}");
    ck_assert_msg(b->cap <= 8192, "7 bytes hold a %zu-byte block", b->cap);
    apr_pool_destroy(p);
}
END_TEST

/* A Content-Length within the cap is the first block: no growth. */
START_TEST(test_limbuf_announced_length)
{
    apr_pool_t *p;
    cc_limbuf_t *b;
    char *data = malloc(100000);
    char *first;

    memset(data, 'x', 100000);
    apr_pool_create(&p, NULL);
    b = cc_limbuf_init(p, 12 * MB, 100000);
    ck_assert_uint_eq(b->cap, 100001);
    first = b->d;
    ck_assert_int_eq(cc_limbuf_add(b, data, 60000, NULL), 0);
    ck_assert_int_eq(cc_limbuf_add(b, data, 40000, NULL), 0);
    ck_assert_msg(b->d == first && b->cap == 100001, "an honest body grew");
    ck_assert_uint_eq(b->n, 100000);
    /* An announced length over the cap is not trusted as a size. */
    b = cc_limbuf_init(p, 1000, 5000);
    ck_assert_uint_le(b->cap, 1001);
    apr_pool_destroy(p);
    free(data);
}
END_TEST

/* Unannounced (chunked) data grows block by block, exactly to the cap
 * and not one byte past it; a refused add changes nothing. */
START_TEST(test_limbuf_grows_to_cap_exactly)
{
    apr_pool_t *p;
    cc_limbuf_t *b;
    size_t limit = 3 * MB + 17, i;
    char chunk[8000];

    memset(chunk, 'y', sizeof(chunk));
    apr_pool_create(&p, NULL);
    b = cc_limbuf_init(p, limit, 0);
    while (b->n + sizeof(chunk) <= limit) {
        size_t before = b->n;

        ck_assert_int_eq(cc_limbuf_add(b, chunk, sizeof(chunk), NULL), 0);
        ck_assert_msg(b->cap <= 2 * (b->n + 1) || b->cap <= 8192,
                      "%zu bytes in a %zu-byte block", b->n, b->cap);
        ck_assert_uint_eq(b->n, before + sizeof(chunk));
    }
    ck_assert_int_eq(cc_limbuf_add(b, chunk, limit - b->n, NULL), 0);
    ck_assert_uint_eq(b->n, limit);
    ck_assert_uint_le(b->cap, limit + 1);
    ck_assert_int_eq(cc_limbuf_add(b, "z", 1, NULL), -1);
    ck_assert_uint_eq(b->n, limit);
    ck_assert_int_eq(b->d[limit], '\0');
    for (i = 0; i < limit; i += 4099) {
        ck_assert_int_eq(b->d[i], 'y');
    }
    apr_pool_destroy(p);
}
END_TEST

/* An empty body is an empty string. */
START_TEST(test_limbuf_empty)
{
    apr_pool_t *p;
    cc_limbuf_t *b;

    apr_pool_create(&p, NULL);
    b = cc_limbuf_init(p, 1024, 0);
    ck_assert_uint_eq(b->n, 0);
    ck_assert_str_eq(b->d, "");
    ck_assert_int_eq(cc_limbuf_add(b, "", 0, NULL), 0);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_limbuf(void)
{
    Suite *s = suite_create("limbuf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_limbuf_small_body_small_block);
    tcase_add_test(tc, test_limbuf_announced_length);
    tcase_add_test(tc, test_limbuf_grows_to_cap_exactly);
    tcase_add_test(tc, test_limbuf_empty);
    suite_add_tcase(s, tc);
    return s;
}
