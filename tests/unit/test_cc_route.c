/* Unit tests for cc_route: the path matcher. */
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_route.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static int allowed_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '~' || c == '-';
}

#define BK "/api/bookings/{id}"
#define BKC "/api/bookings/{id}/cancel"
#define TWO "/api/rooms/{room}/slots/{slot}"

static const struct {
    const char        *pattern;
    const char        *path;
    cc_route_result_e  want;
    int                n;
    const char        *name[CC_ROUTE_MAX_PARAMS];
    const char        *value[CC_ROUTE_MAX_PARAMS];
} cases[] = {
    /* literal routes */
    { "/api/health", "/api/health", CC_ROUTE_MATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api/health/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api/health/x", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/api/health", "/api/healthz", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api/healt", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api/Health", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/API/health", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api//health", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/api/health", "//api/health", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/api/health", "api/health", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/api/health", "/api/health\xff", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/api/health", "/api/./health", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/", "/", CC_ROUTE_MATCH, 0, { NULL }, { NULL } },
    { "/", "//", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },

    /* one parameter */
    { BK, "/api/bookings/abc-123", CC_ROUTE_MATCH, 1, { "id" },
      { "abc-123" } },
    { BK, "/api/bookings/A-z_0.9~", CC_ROUTE_MATCH, 1, { "id" },
      { "A-z_0.9~" } },
    { BK, "/api/bookings/...", CC_ROUTE_MATCH, 1, { "id" }, { "..." } },
    { BK, "/api/bookings/.x", CC_ROUTE_MATCH, 1, { "id" }, { ".x" } },
    { BK, "/api/bookings/7", CC_ROUTE_MATCH, 1, { "id" }, { "7" } },
    { BK, "/api/bookings/abc-123/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings//", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings//x", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/1/cancel", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BK, "/api/Bookings/1", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/../x", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/..", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/.", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/a%00", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/a%2F", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/%2e%2e", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/1';DROP TABLE x;--", CC_ROUTE_BADPARAM, 0,
      { NULL }, { NULL } },
    { BK, "/api/bookings/1 OR 1=1", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/<script>", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/a\\b", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/a\tb", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/a\r\nX: y", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/a+b", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/{id}", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/caf\xc3\xa9", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/\x80", CC_ROUTE_BADPARAM, 0, { NULL }, { NULL } },
    { BK, "/api/bookings/\xff\xfe", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/\xc0\xae\xc0\xae", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BK, "/api/bookings/\xc0\xae/", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BK, "/api/book\x80ings/1", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },

    /* parameter in the middle */
    { BKC, "/api/bookings/7/cancel", CC_ROUTE_MATCH, 1, { "id" }, { "7" } },
    { BKC, "/api/bookings/7/cancel/", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BKC, "/api/bookings/7/cancelx", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BKC, "/api/bookings//cancel", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BKC, "/api/bookings/../cancel", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { BKC, "/api/bookings/../other", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { BKC, "/api/bookings/7", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },

    /* two parameters */
    { TWO, "/api/rooms/r1/slots/2024-01-01", CC_ROUTE_MATCH, 2,
      { "room", "slot" }, { "r1", "2024-01-01" } },
    { TWO, "/api/rooms/r1/slots/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { TWO, "/api/rooms//slots/x", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { TWO, "/api/rooms/r%1/slots/x", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { TWO, "/api/rooms/r1/slots/..", CC_ROUTE_BADPARAM, 0, { NULL },
      { NULL } },
    { TWO, "/api/rooms/r1/slotz/x", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { TWO, "/api/rooms/../slotz/x", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },

    /* pattern shapes */
    { "/{id}", "/x", CC_ROUTE_MATCH, 1, { "id" }, { "x" } },
    { "/{id}", "/", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/{id}", "", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/{a}/{b}/{c}/{d}", "/1/2/3/4", CC_ROUTE_MATCH, 4,
      { "a", "b", "c", "d" }, { "1", "2", "3", "4" } },
    { "/{a}/{b}/{c}/{d}/{e}", "/1/2/3/4/5", CC_ROUTE_NOMATCH, 0, { NULL },
      { NULL } },
    { "/a/{}", "/a/{}", CC_ROUTE_MATCH, 0, { NULL }, { NULL } },
    { "/a/{}", "/a/x", CC_ROUTE_NOMATCH, 0, { NULL }, { NULL } },
    { "/a/{x", "/a/{x", CC_ROUTE_MATCH, 0, { NULL }, { NULL } },
};

static void check_case(int i, cc_route_params_t *params, apr_pool_t *p)
{
    cc_route_result_e got;
    int k;

    got = cc_route_match(cases[i].pattern, cases[i].path, p, params);
    ck_assert_msg(got == cases[i].want, "case %d: \"%s\" vs \"%s\": got %d, "
                  "want %d", i, cases[i].pattern, cases[i].path, (int)got,
                  (int)cases[i].want);
    if (!params) {
        return;
    }
    if (got != CC_ROUTE_MATCH) {
        ck_assert_int_eq(params->n, 0);
        return;
    }
    ck_assert_int_eq(params->n, cases[i].n);
    for (k = 0; k < cases[i].n; k++) {
        ck_assert_str_eq(params->name[k], cases[i].name[k]);
        ck_assert_str_eq(params->value[k], cases[i].value[k]);
        ck_assert_str_eq(cc_route_param(params, cases[i].name[k]),
                         cases[i].value[k]);
    }
}

START_TEST(test_route_table)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;

    memset(&params, 0xa5, sizeof(params));  /* garbage in, n reset */
    check_case(_i, &params, p);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_route_table_no_params)
{
    apr_pool_t *p = new_pool();

    check_case(_i, NULL, p);
    check_case(_i, NULL, NULL);     /* no pool needed without params */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_param_length)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;
    char value[CC_ROUTE_PARAM_MAX + 2];
    char *path;

    memset(value, 'a', sizeof(value) - 1);
    value[CC_ROUTE_PARAM_MAX] = '\0';
    path = apr_pstrcat(p, "/api/bookings/", value, NULL);
    ck_assert_int_eq(cc_route_match(BK, path, p, &params), CC_ROUTE_MATCH);
    ck_assert_uint_eq(strlen(cc_route_param(&params, "id")),
                      CC_ROUTE_PARAM_MAX);
    ck_assert_str_eq(cc_route_param(&params, "id"), value);

    value[CC_ROUTE_PARAM_MAX] = 'a';
    value[CC_ROUTE_PARAM_MAX + 1] = '\0';
    path = apr_pstrcat(p, "/api/bookings/", value, NULL);
    ck_assert_int_eq(cc_route_match(BK, path, p, &params),
                     CC_ROUTE_BADPARAM);
    ck_assert_int_eq(params.n, 0);
    ck_assert_int_eq(cc_route_match(BK, path, NULL, NULL),
                     CC_ROUTE_BADPARAM);

    path = apr_pstrcat(p, "/api/bookings/", value, "/cancel", NULL);
    ck_assert_int_eq(cc_route_match(BKC, path, p, &params),
                     CC_ROUTE_BADPARAM);
    path = apr_pstrcat(p, "/api/bookings/", value, "/x", NULL);
    ck_assert_int_eq(cc_route_match(BKC, path, p, &params),
                     CC_ROUTE_NOMATCH);
    apr_pool_destroy(p);
}
END_TEST

/* A megabyte-long segment is refused without trouble. */
START_TEST(test_param_huge)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;
    size_t n = 1024 * 1024;
    char *path = apr_palloc(p, n + 1);

    memcpy(path, "/api/bookings/", 14);
    memset(path + 14, 'x', n - 14);
    path[n] = '\0';
    ck_assert_int_eq(cc_route_match(BK, path, p, &params),
                     CC_ROUTE_BADPARAM);
    ck_assert_int_eq(cc_route_match("/api/health", path, p, &params),
                     CC_ROUTE_NOMATCH);
    apr_pool_destroy(p);
}
END_TEST

/* Every byte value, alone and inside a value, as a parameter. */
START_TEST(test_every_byte)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;
    unsigned int c;

    for (c = 1; c < 256; c++) {
        char alone[] = "/api/bookings/?";
        char inside[] = "/api/bookings/a?b";
        cc_route_result_e want;

        alone[14] = (char)c;
        inside[15] = (char)c;
        if (c == '/') {
            want = CC_ROUTE_NOMATCH;
        }
        else if (c == '.') {
            want = CC_ROUTE_BADPARAM;       /* "." alone */
        }
        else {
            want = allowed_byte((unsigned char)c) ? CC_ROUTE_MATCH
                                                  : CC_ROUTE_BADPARAM;
        }
        ck_assert_msg(cc_route_match(BK, alone, p, &params) == want,
                      "byte 0x%02x alone", c);

        if (c == '/') {
            want = CC_ROUTE_NOMATCH;
        }
        else {
            want = allowed_byte((unsigned char)c) ? CC_ROUTE_MATCH
                                                  : CC_ROUTE_BADPARAM;
        }
        ck_assert_msg(cc_route_match(BK, inside, p, &params) == want,
                      "byte 0x%02x inside", c);
        if (want == CC_ROUTE_MATCH) {
            ck_assert_str_eq(cc_route_param(&params, "id"), inside + 14);
        }
        /* in a literal segment it can only ever fail to match */
        ck_assert_int_eq(cc_route_match("/api/bookings/ab", inside, p,
                                        &params),
                         CC_ROUTE_NOMATCH);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Deterministic random byte strings: never a crash, and a MATCH only ever
 * hands out values that obey the rules. */
START_TEST(test_random_paths)
{
    static const char *const patterns[] = { BK, BKC, TWO, "/api/health",
                                            "/{a}/{b}" };
    static const char alphabet[] = "/.a-%{}\x80\xff" "0_~";
    apr_pool_t *p = new_pool();
    unsigned int seed = 12345;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        char path[48];
        size_t len;
        size_t i;
        size_t k;
        cc_route_params_t params;
        cc_route_result_e r;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % (sizeof(path) - 1);
        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 24) & 1) {
                path[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
            }
            else {
                path[i] = (char)(((seed >> 16) % 255) + 1);
            }
        }
        path[len] = '\0';
        if (iter % 3 == 0 && len > 0) {
            memcpy(path, "/api/bookings/", len < 14 ? len : 14);
        }
        for (k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++) {
            r = cc_route_match(patterns[k], path, p, &params);
            ck_assert(r == CC_ROUTE_NOMATCH || r == CC_ROUTE_MATCH
                      || r == CC_ROUTE_BADPARAM);
            ck_assert_int_eq(cc_route_match(patterns[k], path, NULL, NULL),
                             r);
            if (r == CC_ROUTE_MATCH) {
                int n;

                for (n = 0; n < params.n; n++) {
                    const char *v = params.value[n];
                    size_t vl = strlen(v);

                    ck_assert_uint_gt(vl, 0);
                    ck_assert_uint_le(vl, CC_ROUTE_PARAM_MAX);
                    ck_assert(strcmp(v, ".") != 0 && strcmp(v, "..") != 0);
                    for (i = 0; i < vl; i++) {
                        ck_assert(allowed_byte((unsigned char)v[i]));
                    }
                }
            }
            else {
                ck_assert_int_eq(params.n, 0);
            }
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_values_copied)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;
    char path[] = "/api/rooms/r1/slots/s2";
    char pattern[] = TWO;

    ck_assert_int_eq(cc_route_match(pattern, path, p, &params),
                     CC_ROUTE_MATCH);
    memset(path, 'z', sizeof(path) - 1);
    memset(pattern, 'z', sizeof(pattern) - 1);
    ck_assert_str_eq(cc_route_param(&params, "room"), "r1");
    ck_assert_str_eq(cc_route_param(&params, "slot"), "s2");
    ck_assert_str_eq(params.name[0], "room");
    ck_assert_str_eq(params.name[1], "slot");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_param_lookup)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;

    ck_assert_int_eq(cc_route_match(TWO, "/api/rooms/r1/slots/s2", p,
                                    &params), CC_ROUTE_MATCH);
    ck_assert_str_eq(cc_route_param(&params, "room"), "r1");
    ck_assert_str_eq(cc_route_param(&params, "slot"), "s2");
    ck_assert_ptr_null(cc_route_param(&params, "Room"));
    ck_assert_ptr_null(cc_route_param(&params, "id"));
    ck_assert_ptr_null(cc_route_param(&params, ""));
    ck_assert_ptr_null(cc_route_param(&params, NULL));
    ck_assert_ptr_null(cc_route_param(NULL, "room"));

    ck_assert_int_eq(cc_route_match("/api/health", "/api/health", p,
                                    &params), CC_ROUTE_MATCH);
    ck_assert_int_eq(params.n, 0);
    ck_assert_ptr_null(cc_route_param(&params, "room"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_null_arguments)
{
    apr_pool_t *p = new_pool();
    cc_route_params_t params;

    ck_assert_int_eq(cc_route_match(NULL, "/x", p, &params),
                     CC_ROUTE_NOMATCH);
    ck_assert_int_eq(params.n, 0);
    ck_assert_int_eq(cc_route_match("/x", NULL, p, &params),
                     CC_ROUTE_NOMATCH);
    ck_assert_int_eq(cc_route_match(NULL, NULL, NULL, NULL),
                     CC_ROUTE_NOMATCH);
    apr_pool_destroy(p);
}
END_TEST

/* The route table's duplicate check: parameter names do not matter,
 * literals and structure do. */
START_TEST(test_route_same)
{
    ck_assert(cc_route_same("/api/admin/users", "/api/admin/users"));
    ck_assert(cc_route_same("/api/bookings/{id}", "/api/bookings/{bid}"));
    ck_assert(cc_route_same("/api/a/{x}/b/{y}", "/api/a/{p}/b/{q}"));
    ck_assert(!cc_route_same("/api/bookings/{id}", "/api/bookings/mine"));
    ck_assert(!cc_route_same("/api/bookings/{id}", "/api/bookings/{id}/x"));
    ck_assert(!cc_route_same("/api/bookings", "/api/bookings/"));
    ck_assert(!cc_route_same("/api/a/{x}", "/api/b/{x}"));
    ck_assert(!cc_route_same("/api/a/{x", "/api/a/{y}"));
    ck_assert(!cc_route_same("/api/a", NULL));
    ck_assert(!cc_route_same(NULL, NULL));
}
END_TEST

Suite *suite_route(void)
{
    Suite *s = suite_create("route");
    TCase *tc;
    int ncases = (int)(sizeof(cases) / sizeof(cases[0]));

    tc = tcase_create("table");
    tcase_add_loop_test(tc, test_route_table, 0, ncases);
    tcase_add_loop_test(tc, test_route_table_no_params, 0, ncases);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_param_length);
    tcase_add_test(tc, test_param_huge);
    tcase_add_test(tc, test_every_byte);
    tcase_add_test(tc, test_random_paths);
    tcase_add_test(tc, test_values_copied);
    tcase_add_test(tc, test_param_lookup);
    tcase_add_test(tc, test_null_arguments);
    tcase_add_test(tc, test_route_same);
    suite_add_tcase(s, tc);

    return s;
}
