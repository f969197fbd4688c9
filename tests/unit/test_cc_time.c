/* Unit tests: cc_time (strict RFC 3339 date-time and full-date, UTC form).
 *
 * Expected instants were computed independently with Python's
 * calendar.timegm, e.g. calendar.timegm((1985, 4, 12, 23, 20, 50)). */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_time.h"
#include "cc_tz.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DAY INT64_C(86400)

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return cc_days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + s;
}

/* ---- RFC 3339 date-time: accepted ---------------------------------------- */

typedef struct good_case_t {
    const char *s;
    int y, mo, d, h, mi, sec;   /* the UTC instant */
} good_case_t;

static const good_case_t good_cases[] = {
    { "1970-01-01T00:00:00Z",             1970, 1, 1, 0, 0, 0 },
    { "2026-03-29T09:00:00+01:00",        2026, 3, 29, 8, 0, 0 },
    { "2026-03-29t09:00:00+01:00",        2026, 3, 29, 8, 0, 0 },
    { "2026-11-26T13:00:00Z",             2026, 11, 26, 13, 0, 0 },
    { "2026-11-26t13:00:00z",             2026, 11, 26, 13, 0, 0 },
    { "2026-11-26T13:00:00.123Z",         2026, 11, 26, 13, 0, 0 },
    { "2026-11-26T13:00:00.999999999Z",   2026, 11, 26, 13, 0, 0 },
    { "2026-11-26T13:00:59.9Z",           2026, 11, 26, 13, 0, 59 },
    { "2026-11-26T18:30:00.5+05:30",      2026, 11, 26, 13, 0, 0 },
    { "2026-06-15T12:00:00-00:00",        2026, 6, 15, 12, 0, 0 },
    { "2026-06-15T12:00:00+00:00",        2026, 6, 15, 12, 0, 0 },
    { "2026-01-01T00:30:00+23:59",        2025, 12, 31, 0, 31, 0 },
    { "2025-12-31T00:31:00-23:59",        2026, 1, 1, 0, 30, 0 },
    { "1969-12-31T23:59:59Z",             1969, 12, 31, 23, 59, 59 },
    { "2024-02-29T12:00:00Z",             2024, 2, 29, 12, 0, 0 },
    { "2000-02-29T00:00:00Z",             2000, 2, 29, 0, 0, 0 },
    { "0000-01-01T00:00:00Z",             0, 1, 1, 0, 0, 0 },
    { "9999-12-31T23:59:59Z",             9999, 12, 31, 23, 59, 59 },
    { "2026-12-31T23:59:59-01:00",        2027, 1, 1, 0, 59, 59 },
    { "2026-03-01T00:00:00+01:00",        2026, 2, 28, 23, 0, 0 },
};

START_TEST(test_rfc3339_good)
{
    const good_case_t *c = &good_cases[_i];
    int64_t t = -12345;

    ck_assert_msg(cc_rfc3339_parse(c->s, &t) == 1, "%s: rejected", c->s);
    ck_assert_msg(t == utc(c->y, c->mo, c->d, c->h, c->mi, c->sec),
                  "%s: got %lld", c->s, (long long)t);
    ck_assert_int_eq(cc_rfc3339_parse(c->s, NULL), 1);
}
END_TEST

/* RFC 3339 section 5.8's examples, against independently computed
 * values. */
START_TEST(test_rfc3339_rfc_examples)
{
    int64_t t = 0;

    ck_assert_int_eq(cc_rfc3339_parse("1985-04-12T23:20:50.52Z", &t), 1);
    ck_assert_int_eq(t, INT64_C(482196050));
    ck_assert_int_eq(cc_rfc3339_parse("1996-12-19T16:39:57-08:00", &t), 1);
    ck_assert_int_eq(t, INT64_C(851042397));
    ck_assert_int_eq(cc_rfc3339_parse("2026-11-26T13:00:00Z", &t), 1);
    ck_assert_int_eq(t, INT64_C(1795698000));
    ck_assert_int_eq(cc_rfc3339_parse("2026-03-29T09:00:00+01:00", &t), 1);
    ck_assert_int_eq(t, INT64_C(1774771200));
    /* leap second: RFC 3339 allows it, we do not */
    ck_assert_int_eq(cc_rfc3339_parse("1990-12-31T23:59:60Z", &t), 0);
}
END_TEST

/* ---- RFC 3339 date-time: rejected ---------------------------------------- */

static const char *const bad_cases[] = {
    "",
    "2026-03-29",
    "2026-03-29T09:00:00",                  /* no offset */
    "2026-03-29T09:00",
    "2026-03-29T09:00Z",                    /* no seconds */
    "2026-03-29 09:00:00Z",                 /* space for T */
    "2026-03-29_09:00:00Z",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",                 /* not a leap year */
    "1900-02-29T00:00:00Z",                 /* century, not leap */
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-01-01T24:00:00Z",                 /* hour 24 */
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:60Z",                 /* leap second */
    "2026-01-01T23:59:61Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+01:60",
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00+01",
    "2026-01-01T00:00:00+1:00",
    "2026-01-01T00:00:00+01:00:00",
    "2026-01-01T00:00:00.Z",                /* empty fraction */
    "2026-01-01T00:00:00.1234567890Z",      /* 10 fraction digits */
    "2026-01-01T00:00:00,5Z",
    "2026-01-01T00:00:00.1.2Z",
    "2026-01-01T00:00:00.5",
    "2026-01-01T00:00:00Zx",                /* trailing garbage */
    "2026-01-01T00:00:00Z ",
    "2026-01-01T00:00:00ZZ",
    "2026-01-01T00:00:00+01:00Z",
    " 2026-01-01T00:00:00Z",
    "26-01-01T00:00:00Z",
    "+2026-01-01T00:00:00Z",
    "-2026-01-01T00:00:00Z",
    "12026-01-01T00:00:00Z",
    "2026-1-01T00:00:00Z",
    "2026-01-1T00:00:00Z",
    "2026-01-01T0:00:00Z",
    "2026-01-01T00:0:00Z",
    "2026-01-01T00:00:0Z",
    "2026/01/01T00:00:00Z",
    "2026-01-01T00-00-00Z",
    "2026-01-01T00:00:00GMT",
    "2026-01-01T00:00:00UTC",
    "2026-01-01T00:00:00 +01:00",
    "2026-01-01T00:00:00-+1:00",
    "2026-01-01T00:00:00\t",
    "2026-01-01T00:00:00\n",
    "2026-01-01T00:00:00.\xd9\xa1Z",        /* Arabic-Indic digit one */
    "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-01-01T00:00:00Z",
    "2026-01-01T00:00:00.000000000000000000000000000000000000000000000000Z",
    "0x07EA-01-01T00:00:00Z",
    "now",
};

START_TEST(test_rfc3339_bad)
{
    int64_t t = 777;

    ck_assert_msg(cc_rfc3339_parse(bad_cases[_i], &t) == 0,
                  "accepted %s", bad_cases[_i]);
    ck_assert_int_eq(t, 777);
    ck_assert_int_eq(cc_rfc3339_parse(bad_cases[_i], NULL), 0);
}
END_TEST

START_TEST(test_rfc3339_edges)
{
    char big[300];
    int64_t t = 5;

    ck_assert_int_eq(cc_rfc3339_parse(NULL, &t), 0);
    ck_assert_int_eq(cc_rfc3339_parse(NULL, NULL), 0);
    ck_assert_int_eq(t, 5);
    /* A long string is refused without being scanned past the limit. */
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "2026-01-01T00:00:00.", 20);
    ck_assert_int_eq(cc_rfc3339_parse(big, &t), 0);
    /* Exactly the longest accepted form fits the limit. */
    ck_assert_int_le(strlen("2026-01-01T00:00:00.123456789+01:00"),
                     CC_RFC3339_MAX_LEN);
    ck_assert_int_eq(cc_rfc3339_parse("2026-01-01T00:00:00.123456789+01:00",
                                      &t), 1);
    ck_assert_int_eq(t, utc(2025, 12, 31, 23, 0, 0));
}
END_TEST

/* Every day of four years (a leap year among them) at several offsets
 * parses to the instant cc_days_from_civil says; the day after the last
 * of each month is refused under that month. */
START_TEST(test_rfc3339_calendar_sweep)
{
    static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    char s[40];
    int y, m, d, lim;
    int64_t t;

    for (y = 2023; y <= 2026; y++) {
        for (m = 1; m <= 12; m++) {
            lim = dim[m - 1] + (m == 2 && y % 4 == 0);
            for (d = 1; d <= 31; d++) {
                apr_snprintf(s, sizeof(s), "%04d-%02d-%02dT12:34:56-05:30",
                             y, m, d);
                if (d <= lim) {
                    ck_assert_msg(cc_rfc3339_parse(s, &t) == 1, "%s", s);
                    ck_assert_int_eq(t, utc(y, m, d, 18, 4, 56));
                } else {
                    ck_assert_msg(cc_rfc3339_parse(s, &t) == 0, "%s", s);
                }
            }
        }
    }
}
END_TEST

/* ---- full-date ----------------------------------------------------------- */

typedef struct date_case_t {
    const char *s;
    int ok;
    int y, m, d;
} date_case_t;

static const date_case_t date_cases[] = {
    { "1970-01-01", 1, 1970, 1, 1 },
    { "1969-12-31", 1, 1969, 12, 31 },
    { "2026-03-29", 1, 2026, 3, 29 },
    { "2000-02-29", 1, 2000, 2, 29 },
    { "2024-02-29", 1, 2024, 2, 29 },
    { "0000-01-01", 1, 0, 1, 1 },
    { "9999-12-31", 1, 9999, 12, 31 },
    { "2026-02-29", 0, 0, 0, 0 },
    { "1900-02-29", 0, 0, 0, 0 },
    { "2026-04-31", 0, 0, 0, 0 },
    { "2026-13-01", 0, 0, 0, 0 },
    { "2026-00-01", 0, 0, 0, 0 },
    { "2026-01-00", 0, 0, 0, 0 },
    { "2026-3-29", 0, 0, 0, 0 },
    { "2026-03-9", 0, 0, 0, 0 },
    { "20260329", 0, 0, 0, 0 },
    { "2026/03/29", 0, 0, 0, 0 },
    { "2026-03-29 ", 0, 0, 0, 0 },
    { " 2026-03-29", 0, 0, 0, 0 },
    { "2026-03-29T", 0, 0, 0, 0 },
    { "2026-03-29T00:00:00Z", 0, 0, 0, 0 },
    { "2026-03-3a", 0, 0, 0, 0 },
    { "abcd-ef-gh", 0, 0, 0, 0 },
    { "+026-03-29", 0, 0, 0, 0 },
    { "", 0, 0, 0, 0 },
};

START_TEST(test_date_table)
{
    const date_case_t *c = &date_cases[_i];
    int64_t days = 4242;

    ck_assert_int_eq(cc_date_parse(c->s, &days), c->ok);
    if (c->ok) {
        ck_assert_int_eq(days, cc_days_from_civil(c->y, c->m, c->d));
        ck_assert_int_eq(cc_date_parse(c->s, NULL), 1);
    } else {
        ck_assert_int_eq(days, 4242);
    }
}
END_TEST

START_TEST(test_date_null)
{
    int64_t days = 0;

    ck_assert_int_eq(cc_date_parse(NULL, &days), 0);
    ck_assert_int_eq(cc_date_parse("1970-01-02", &days), 1);
    ck_assert_int_eq(days, 1);
}
END_TEST

/* ---- UTC form ------------------------------------------------------------ */

typedef struct fmt_case_t {
    int64_t t;
    const char *s;          /* NULL: out of range */
} fmt_case_t;

static const fmt_case_t fmt_cases[] = {
    { 0, "1970-01-01T00:00:00Z" },
    { -1, "1969-12-31T23:59:59Z" },
    { INT64_C(1795698000), "2026-11-26T13:00:00Z" },
    { INT64_C(1774771200), "2026-03-29T08:00:00Z" },
    { INT64_C(482196050), "1985-04-12T23:20:50Z" },
    { INT64_C(951782400), "2000-02-29T00:00:00Z" },
    { INT64_C(253402300799), "9999-12-31T23:59:59Z" },
    { INT64_C(253402300800), NULL },
    { INT64_C(-62167219200), "0000-01-01T00:00:00Z" },
    { INT64_C(-62167219201), NULL },
    { INT64_MAX, NULL },
    { INT64_MIN, NULL },
};

START_TEST(test_utc_format)
{
    const fmt_case_t *c = &fmt_cases[_i];
    apr_pool_t *p = new_pool();
    char *s = cc_rfc3339_utc(p, c->t);
    int64_t back = 0;

    if (c->s == NULL) {
        ck_assert_msg(s == NULL, "%lld: got %s", (long long)c->t, s);
    } else {
        ck_assert_msg(s != NULL && strcmp(s, c->s) == 0, "%lld: got %s",
                      (long long)c->t, s ? s : "(null)");
        ck_assert_int_eq(cc_rfc3339_parse(s, &back), 1);
        ck_assert_int_eq(back, c->t);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_utc_roundtrip)
{
    apr_pool_t *p = new_pool();
    uint64_t x = 88172645463325252ULL;
    int64_t lo = INT64_C(-62167219200), hi = INT64_C(253402300799);
    int i;

    ck_assert_ptr_null(cc_rfc3339_utc(NULL, 0));
    for (i = 0; i < 20000; i++) {
        int64_t t, back = 0;
        char *s;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
        s = cc_rfc3339_utc(p, t);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(strlen(s), 20);
        ck_assert_msg(cc_rfc3339_parse(s, &back) == 1 && back == t,
                      "%lld -> %s -> %lld", (long long)t, s,
                      (long long)back);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_time(void)
{
    Suite *s = suite_create("time");
    TCase *tc = tcase_create("rfc3339");

    tcase_add_loop_test(tc, test_rfc3339_good, 0, N(good_cases));
    tcase_add_test(tc, test_rfc3339_rfc_examples);
    tcase_add_loop_test(tc, test_rfc3339_bad, 0, N(bad_cases));
    tcase_add_test(tc, test_rfc3339_edges);
    tcase_add_test(tc, test_rfc3339_calendar_sweep);
    suite_add_tcase(s, tc);

    tc = tcase_create("date");
    tcase_add_loop_test(tc, test_date_table, 0, N(date_cases));
    tcase_add_test(tc, test_date_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("utc");
    tcase_add_loop_test(tc, test_utc_format, 0, N(fmt_cases));
    tcase_add_test(tc, test_utc_roundtrip);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
