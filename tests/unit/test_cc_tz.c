/* Unit tests: cc_tz (TZif parsing, POSIX footer rules, conversions). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_tz.h"
#include "suites.h"

#define ZONEDIR "/usr/share/zoneinfo"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return cc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static const cc_tz_t *load(apr_pool_t *p, const char *name)
{
    cc_problem_t prob;
    const cc_tz_t *tz;

    memset(&prob, 0, sizeof(prob));
    tz = cc_tz_load(p, NULL, name, &prob);
    ck_assert_msg(tz != NULL, "load %s: %s %s", name, prob.code,
                  prob.message);
    return tz;
}

/* Whole file into the pool. */
static unsigned char *slurp(apr_pool_t *p, const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    unsigned char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", ZONEDIR, name);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert(n > 0);
    buf = apr_palloc(p, (apr_size_t)n);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- offsets at known instants ------------------------------------------ */

typedef struct off_case_t {
    const char *zone;
    int y, mo, d, h, mi, s;     /* UTC */
    int32_t off;
} off_case_t;

static const off_case_t off_cases[] = {
    { "Europe/London",       2026, 1, 15, 12, 0, 0,       0 },
    { "Europe/London",       2026, 7, 1, 12, 0, 0,     3600 },
    { "Europe/London",       2026, 3, 29, 0, 59, 59,      0 },
    { "Europe/London",       2026, 3, 29, 1, 0, 0,     3600 },
    { "Europe/London",       2026, 10, 25, 0, 59, 59,  3600 },
    { "Europe/London",       2026, 10, 25, 1, 0, 0,       0 },
    { "Europe/London",       1970, 6, 1, 0, 0, 0,      3600 }, /* BST 1968-71 */
    { "Europe/London",       2040, 3, 25, 0, 59, 59,      0 },
    { "Europe/London",       2040, 3, 25, 1, 0, 0,     3600 },
    { "Europe/London",       2040, 7, 1, 0, 0, 0,      3600 },
    { "Europe/London",       2040, 12, 1, 0, 0, 0,        0 },
    { "Europe/London",       2100, 1, 1, 0, 0, 0,         0 },
    { "Europe/London",       2100, 7, 1, 0, 0, 0,      3600 },
    { "Europe/London",       2100, 10, 31, 0, 59, 59,  3600 },
    { "Europe/London",       2100, 10, 31, 1, 0, 0,       0 },
    { "America/New_York",    2026, 1, 15, 12, 0, 0,  -18000 },
    { "America/New_York",    2026, 7, 1, 12, 0, 0,   -14400 },
    { "America/New_York",    2026, 3, 8, 6, 59, 59,  -18000 },
    { "America/New_York",    2026, 3, 8, 7, 0, 0,    -14400 },
    { "America/New_York",    2026, 11, 1, 5, 59, 59, -14400 },
    { "America/New_York",    2026, 11, 1, 6, 0, 0,   -18000 },
    { "America/New_York",    2040, 7, 4, 0, 0, 0,    -14400 },
    { "America/New_York",    2040, 1, 4, 0, 0, 0,    -18000 },
    { "America/New_York",    2100, 3, 14, 6, 59, 59, -18000 },
    { "America/New_York",    2100, 3, 14, 7, 0, 0,   -14400 },
    { "UTC",                 1900, 1, 1, 0, 0, 0,         0 },
    { "UTC",                 2026, 7, 1, 0, 0, 0,         0 },
    { "UTC",                 2100, 7, 1, 0, 0, 0,         0 },
    { "Asia/Kolkata",        2026, 1, 1, 0, 0, 0,     19800 },
    { "Asia/Kolkata",        2026, 7, 1, 0, 0, 0,     19800 },
    { "Asia/Kolkata",        2100, 7, 1, 0, 0, 0,     19800 },
    { "Australia/Lord_Howe", 2026, 1, 15, 0, 0, 0,    39600 },
    { "Australia/Lord_Howe", 2026, 7, 1, 0, 0, 0,     37800 },
    { "Australia/Lord_Howe", 2026, 4, 4, 14, 59, 59,  39600 },
    { "Australia/Lord_Howe", 2026, 4, 4, 15, 0, 0,    37800 },
    { "Australia/Lord_Howe", 2026, 10, 3, 15, 29, 59, 37800 },
    { "Australia/Lord_Howe", 2026, 10, 3, 15, 30, 0,  39600 },
    { "Australia/Lord_Howe", 2100, 1, 15, 0, 0, 0,    39600 },
    { "Australia/Lord_Howe", 2100, 7, 1, 0, 0, 0,     37800 },
};

START_TEST(test_offsets_table)
{
    apr_pool_t *p = new_pool();
    size_t i;

    for (i = 0; i < sizeof(off_cases) / sizeof(off_cases[0]); i++) {
        const off_case_t *c = &off_cases[i];
        const cc_tz_t *tz = load(p, c->zone);
        int64_t t = utc(c->y, c->mo, c->d, c->h, c->mi, c->s);

        ck_assert_msg(cc_tz_offset(tz, t) == c->off,
                      "%s %04d-%02d-%02d %02d:%02d:%02d: got %d want %d",
                      c->zone, c->y, c->mo, c->d, c->h, c->mi, c->s,
                      (int)cc_tz_offset(tz, t), (int)c->off);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- local -> UTC ------------------------------------------------------- */

typedef struct local_case_t {
    const char *zone;
    int y, mo, d, h, mi;        /* local */
    int rc;
    int64_t t, t2;              /* expected instants (t2 for rc 2) */
} local_case_t;

START_TEST(test_to_utc_table)
{
    const local_case_t cases[] = {
        /* normal */
        { "Europe/London", 2026, 7, 1, 12, 0, 1, utc(2026, 7, 1, 11, 0, 0), 0 },
        { "Europe/London", 2026, 1, 1, 12, 0, 1, utc(2026, 1, 1, 12, 0, 0), 0 },
        { "America/New_York", 2026, 7, 1, 12, 0, 1,
          utc(2026, 7, 1, 16, 0, 0), 0 },
        { "Asia/Kolkata", 2026, 7, 1, 12, 0, 1, utc(2026, 7, 1, 6, 30, 0), 0 },
        { "UTC", 2026, 3, 29, 1, 30, 1, utc(2026, 3, 29, 1, 30, 0), 0 },
        /* just around the gap/overlap */
        { "Europe/London", 2026, 3, 29, 0, 59, 1,
          utc(2026, 3, 29, 0, 59, 0), 0 },
        { "Europe/London", 2026, 3, 29, 2, 0, 1, utc(2026, 3, 29, 1, 0, 0), 0 },
        { "Europe/London", 2026, 10, 25, 0, 59, 1,
          utc(2026, 10, 24, 23, 59, 0), 0 },
        { "Europe/London", 2026, 10, 25, 2, 0, 1,
          utc(2026, 10, 25, 2, 0, 0), 0 },
        /* gaps: rc 0, t = end of the gap */
        { "Europe/London", 2026, 3, 29, 1, 30, 0, utc(2026, 3, 29, 1, 0, 0), 0 },
        { "Europe/London", 2026, 3, 29, 1, 0, 0, utc(2026, 3, 29, 1, 0, 0), 0 },
        { "Europe/London", 2040, 3, 25, 1, 30, 0, utc(2040, 3, 25, 1, 0, 0), 0 },
        { "America/New_York", 2026, 3, 8, 2, 30, 0,
          utc(2026, 3, 8, 7, 0, 0), 0 },
        { "Australia/Lord_Howe", 2026, 10, 4, 2, 15, 0,
          utc(2026, 10, 3, 15, 30, 0), 0 },
        /* overlaps: rc 2 */
        { "Europe/London", 2026, 10, 25, 1, 30, 2,
          utc(2026, 10, 25, 0, 30, 0), utc(2026, 10, 25, 1, 30, 0) },
        { "Europe/London", 2026, 10, 25, 1, 0, 2,
          utc(2026, 10, 25, 0, 0, 0), utc(2026, 10, 25, 1, 0, 0) },
        { "Europe/London", 2100, 10, 31, 1, 30, 2,
          utc(2100, 10, 31, 0, 30, 0), utc(2100, 10, 31, 1, 30, 0) },
        { "America/New_York", 2026, 11, 1, 1, 30, 2,
          utc(2026, 11, 1, 5, 30, 0), utc(2026, 11, 1, 6, 30, 0) },
        { "Australia/Lord_Howe", 2026, 4, 5, 1, 45, 2,
          utc(2026, 4, 4, 14, 45, 0), utc(2026, 4, 4, 15, 15, 0) },
    };
    apr_pool_t *p = new_pool();
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const local_case_t *c = &cases[i];
        const cc_tz_t *tz = load(p, c->zone);
        cc_civil_t cv = { c->y, c->mo, c->d, c->h, c->mi, 0 };
        int64_t t = -1, t2 = -1;
        int rc = cc_tz_to_utc(tz, &cv, &t, &t2);

        ck_assert_msg(rc == c->rc, "case %zu %s: rc %d want %d", i, c->zone,
                      rc, c->rc);
        ck_assert_msg(t == c->t, "case %zu %s: t %lld want %lld", i, c->zone,
                      (long long)t, (long long)c->t);
        if (c->rc == 2) {
            ck_assert_msg(t2 == c->t2, "case %zu: t2 %lld want %lld", i,
                          (long long)t2, (long long)c->t2);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_to_utc_london_overlap_3600)
{
    apr_pool_t *p = new_pool();
    const cc_tz_t *tz = load(p, "Europe/London");
    cc_civil_t cv = { 2026, 10, 25, 1, 30, 0 };
    cc_civil_t gap = { 2026, 3, 29, 1, 30, 0 };
    cc_civil_t bad = { 2026, 2, 30, 12, 0, 0 };
    int64_t t = 0, t2 = 0;

    ck_assert_int_eq(cc_tz_to_utc(tz, &cv, &t, &t2), 2);
    ck_assert(t2 - t == 3600);
    ck_assert_int_eq(cc_tz_to_utc(tz, &gap, &t, &t2), 0);
    ck_assert_int_eq(cc_tz_to_utc(tz, &bad, &t, &t2), 0);
    ck_assert_int_eq(cc_tz_to_utc(NULL, &cv, &t, &t2), 0);
    apr_pool_destroy(p);
}
END_TEST

/* UTC -> civil -> UTC gives back the instant, hourly over years with both
 * table and footer-rule transitions. */
START_TEST(test_round_trip_instants)
{
    static const char *zones[] = { "Europe/London", "America/New_York",
                                   "UTC", "Asia/Kolkata",
                                   "Australia/Lord_Howe" };
    apr_pool_t *p = new_pool();
    size_t z;

    for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        const cc_tz_t *tz = load(p, zones[z]);
        int64_t t, a, b;

        for (t = utc(2024, 1, 1, 0, 0, 0); t < utc(2028, 1, 1, 0, 0, 0);
             t += 1800) {
            cc_civil_t c;
            int32_t off;
            int rc;

            cc_civil_from_utc(tz, t, &c, &off);
            ck_assert(off == cc_tz_offset(tz, t));
            rc = cc_tz_to_utc(tz, &c, &a, &b);
            ck_assert_msg(rc == 1 || rc == 2, "%s %lld rc %d", zones[z],
                          (long long)t, rc);
            ck_assert_msg(a == t || (rc == 2 && b == t), "%s %lld",
                          zones[z], (long long)t);
        }
        for (t = utc(2090, 1, 1, 0, 0, 0); t < utc(2091, 1, 1, 0, 0, 0);
             t += 3600) {
            cc_civil_t c;
            int rc;

            cc_civil_from_utc(tz, t, &c, NULL);
            rc = cc_tz_to_utc(tz, &c, &a, &b);
            ck_assert(rc == 1 || rc == 2);
            ck_assert(a == t || (rc == 2 && b == t));
        }
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- calendar ----------------------------------------------------------- */

START_TEST(test_days_from_civil)
{
    int64_t d, lo = cc_days_from_civil(1900, 1, 1);
    int64_t hi = cc_days_from_civil(2400, 12, 31);
    int y, m, dd, py = 1899, pm = 12, pd = 31, wd = cc_weekday(lo);

    ck_assert(cc_days_from_civil(1970, 1, 1) == 0);
    ck_assert(cc_days_from_civil(2000, 3, 1) == 11017);
    ck_assert(cc_days_from_civil(1969, 12, 31) == -1);
    ck_assert(cc_days_from_civil(2026, 3, 29) == 20541);
    ck_assert_int_eq(cc_weekday(0), 3);                 /* Thursday */
    ck_assert_int_eq(cc_weekday(-1), 2);
    ck_assert_int_eq(cc_weekday(cc_days_from_civil(2026, 3, 29)), 6);
    ck_assert_int_eq(cc_weekday(cc_days_from_civil(2026, 6, 1)), 0);
    ck_assert_int_eq(cc_weekday(cc_days_from_civil(1900, 1, 1)), 0);
    ck_assert_int_eq(cc_weekday(cc_days_from_civil(2400, 2, 29)), 1);
    for (d = lo; d <= hi; d++) {
        cc_civil_from_days(d, &y, &m, &dd);
        ck_assert(cc_days_from_civil(y, m, dd) == d);
        /* consecutive days are consecutive dates */
        if (dd == 1) {
            ck_assert(m == (pm % 12) + 1);
            ck_assert(y == (m == 1 ? py + 1 : py));
        } else {
            ck_assert(dd == pd + 1 && m == pm && y == py);
        }
        ck_assert_int_eq(cc_weekday(d), wd);
        wd = (wd + 1) % 7;
        py = y;
        pm = m;
        pd = dd;
    }
    ck_assert(py == 2400 && pm == 12 && pd == 31);
    ck_assert(hi - lo + 1 == 501 * 365 + 122);    /* 1900 not leap, 2000 and 2400 are */
}
END_TEST

/* ---- RFC 3339 ----------------------------------------------------------- */

START_TEST(test_rfc3339)
{
    static const struct {
        const char *zone;
        int64_t t;
        const char *want;
    } cases[] = {
        { "Europe/London", INT64_C(1782892800), "2026-07-01T09:00:00+01:00" },
        { "Europe/London", INT64_C(1767268800), "2026-01-01T12:00:00+00:00" },
        { "America/New_York", INT64_C(1782892800),
          "2026-07-01T04:00:00-04:00" },
        { "America/New_York", INT64_C(1767268800),
          "2026-01-01T07:00:00-05:00" },
        { "Asia/Kolkata", INT64_C(1782892800), "2026-07-01T13:30:00+05:30" },
        { "Australia/Lord_Howe", INT64_C(1782892800),
          "2026-07-01T18:30:00+10:30" },
        { "UTC", 0, "1970-01-01T00:00:00+00:00" },
    };
    apr_pool_t *p = new_pool();
    size_t i;

    ck_assert(utc(2026, 7, 1, 8, 0, 0) == INT64_C(1782892800));
    ck_assert(utc(2026, 1, 1, 12, 0, 0) == INT64_C(1767268800));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *s = cc_tz_rfc3339(p, load(p, cases[i].zone), cases[i].t);

        ck_assert_str_eq(s, cases[i].want);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- loading ------------------------------------------------------------ */

START_TEST(test_load_bad_names)
{
    static const char *bad[] = { "", "/etc/passwd", "../etc/passwd",
                                 "Europe/../UTC", "Europe//London",
                                 "Europe/London/", "./UTC", "No/Such_Zone",
                                 "Europe", "Europe/Lon don", "tzdata.zi" };
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&prob, 0, sizeof(prob));
        ck_assert_msg(cc_tz_load(p, NULL, bad[i], &prob) == NULL, "%s",
                      bad[i]);
        ck_assert_msg(prob.status == 404, "%s: %d", bad[i], prob.status);
        ck_assert_str_eq(prob.code, "unknown_timezone");
    }
    ck_assert(cc_tz_load(p, NULL, NULL, NULL) == NULL);
    ck_assert(cc_tz_load(p, ZONEDIR, "Etc/GMT+5", NULL) != NULL);
    apr_pool_destroy(p);
}
END_TEST

/* ---- malformed TZif ----------------------------------------------------- */

START_TEST(test_truncated_files)
{
    static const char *zones[] = { "Europe/London", "America/New_York",
                                   "UTC", "Australia/Lord_Howe" };
    apr_pool_t *p = new_pool();
    size_t z, n, len;

    for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        unsigned char *buf = slurp(p, zones[z], &len);
        apr_pool_t *sub;
        cc_problem_t prob;

        for (n = 0; n < len; n++) {
            /* exact-size copy so ASan sees any overread */
            unsigned char *cp = malloc(n ? n : 1);

            apr_pool_create(&sub, p);
            memcpy(cp, buf, n);
            memset(&prob, 0, sizeof(prob));
            ck_assert_msg(cc_tz_parse(sub, cp, n, &prob) == NULL,
                          "%s truncated at %zu parsed", zones[z], n);
            ck_assert_int_eq(prob.status, 500);
            free(cp);
            apr_pool_destroy(sub);
        }
        ck_assert(cc_tz_parse(p, buf, len, NULL) != NULL);
    }
    apr_pool_destroy(p);
}
END_TEST

static void put32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16)
           | ((uint32_t)b[2] << 8) | b[3];
}

START_TEST(test_flipped_counts)
{
    static const uint32_t values[] = { 0, 1, 0x7fffffffu, 0xffffffffu,
                                       0x80000000u, 257 };
    apr_pool_t *p = new_pool();
    size_t len, v1len, hdr2, field, k;
    unsigned char *orig = slurp(p, "Europe/London", &len);
    unsigned char *buf = apr_palloc(p, len);
    uint32_t tc, ty, ch, ls, st, ut;

    /* offset of the second (64-bit) header */
    ut = get32(orig + 20);
    st = get32(orig + 24);
    ls = get32(orig + 28);
    tc = get32(orig + 32);
    ty = get32(orig + 36);
    ch = get32(orig + 40);
    v1len = (size_t)tc * 5 + ty * 6 + ch + ls * 8 + st + ut;
    hdr2 = 44 + v1len;
    ck_assert(memcmp(orig + hdr2, "TZif", 4) == 0);

    for (field = 0; field < 6; field++) {
        for (k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
            size_t at;

            for (at = 0; at < 2; at++) {
                size_t pos = (at ? hdr2 : 0) + 20 + field * 4;

                memcpy(buf, orig, len);
                if (get32(buf + pos) == values[k]) {
                    continue;
                }
                put32(buf + pos, values[k]);
                ck_assert_msg(cc_tz_parse(p, buf, len, NULL) == NULL,
                              "field %zu hdr %zu value %u parsed", field, at,
                              values[k]);
            }
        }
    }
    /* a transition type index out of range */
    {
        uint32_t tc2 = get32(orig + hdr2 + 32);
        size_t idx = hdr2 + 44 + (size_t)tc2 * 8;

        ck_assert(tc2 > 0);
        memcpy(buf, orig, len);
        buf[idx + tc2 - 1] = 0xff;
        ck_assert(cc_tz_parse(p, buf, len, NULL) == NULL);
        /* transitions out of order */
        memcpy(buf, orig, len);
        memcpy(buf + hdr2 + 44, orig + hdr2 + 44 + 8, 8);
        ck_assert(cc_tz_parse(p, buf, len, NULL) == NULL);
        /* bad magic, bad footer */
        memcpy(buf, orig, len);
        buf[0] = 'X';
        ck_assert(cc_tz_parse(p, buf, len, NULL) == NULL);
        memcpy(buf, orig, len);
        buf[len - 3] = '!';
        ck_assert(cc_tz_parse(p, buf, len, NULL) == NULL);
    }
    ck_assert(cc_tz_parse(p, NULL, 10, NULL) == NULL);
    apr_pool_destroy(p);
}
END_TEST

/* Random single-byte corruption (deterministic LCG): must never crash;
 * whatever parses must answer queries. */
START_TEST(test_fuzz_bytes)
{
    apr_pool_t *p = new_pool();
    size_t len, i;
    unsigned char *orig = slurp(p, "America/New_York", &len);
    uint64_t s = 0x2545F4914F6CDD1DULL;

    for (i = 0; i < 3000; i++) {
        apr_pool_t *sub;
        unsigned char *buf = malloc(len);
        const cc_tz_t *tz;
        int j;

        apr_pool_create(&sub, p);
        memcpy(buf, orig, len);
        for (j = 0; j < 3; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[(s >> 33) % len] ^= (unsigned char)(1u << ((s >> 20) & 7));
        }
        tz = cc_tz_parse(sub, buf, len, NULL);
        if (tz) {
            cc_civil_t c = { 2026, 3, 8, 2, 30, 0 };
            int64_t a, b;

            (void)cc_tz_offset(tz, utc(2026, 7, 1, 0, 0, 0));
            (void)cc_tz_offset(tz, INT64_MIN);
            (void)cc_tz_offset(tz, INT64_MAX);
            (void)cc_tz_to_utc(tz, &c, &a, &b);
            (void)cc_tz_rfc3339(sub, tz, utc(2100, 1, 1, 0, 0, 0));
        }
        free(buf);
        apr_pool_destroy(sub);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- POSIX TZ rules (through a synthetic footer-only TZif v2) ----------- */

static unsigned char *tzif_with_footer(apr_pool_t *p, const char *rule,
                                       size_t *len)
{
    size_t rl = strlen(rule), n = 0;
    /* header, 1 type (6) + 4 chars, twice; then "\n" rule "\n" */
    unsigned char *b = apr_pcalloc(p, 2 * (44 + 10) + rl + 2);
    int k;

    for (k = 0; k < 2; k++) {
        memcpy(b + n, "TZif2", 5);
        put32(b + n + 36, 1);           /* typecnt */
        put32(b + n + 40, 4);           /* charcnt */
        n += 44;
        n += 6;                         /* utoff 0, isdst 0, desigidx 0 */
        memcpy(b + n, "UTC", 4);
        n += 4;
    }
    b[n++] = '\n';
    memcpy(b + n, rule, rl);
    n += rl;
    b[n++] = '\n';
    *len = n;
    return b;
}

typedef struct rule_case_t {
    const char *rule;
    int         ok;
    int         y, mo, d, h, mi, s;     /* UTC instant to test */
    int32_t     off;
} rule_case_t;

static const rule_case_t rule_cases[] = {
    { "UTC0",                          1, 2026, 7, 1, 0, 0, 0,       0 },
    { "<+0530>-5:30",                  1, 2026, 7, 1, 0, 0, 0,   19800 },
    { "IST-5:30",                      1, 2026, 1, 1, 0, 0, 0,   19800 },
    { "<-03>3",                        1, 2026, 1, 1, 0, 0, 0,  -10800 },
    { "<+0545>-5:45",                  1, 2026, 1, 1, 0, 0, 0,   20700 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 1, 1, 0, 0, 0,  -18000 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 7, 1, 0, 0, 0,  -14400 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 3, 8, 6, 59, 59, -18000 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 3, 8, 7, 0, 0,  -14400 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 11, 1, 5, 59, 59, -14400 },
    { "EST5EDT,M3.2.0,M11.1.0",        1, 2026, 11, 1, 6, 0, 0, -18000 },
    { "GMT0BST,M3.5.0/1,M10.5.0",      1, 2026, 3, 29, 0, 59, 59,    0 },
    { "GMT0BST,M3.5.0/1,M10.5.0",      1, 2026, 3, 29, 1, 0, 0,   3600 },
    { "GMT0BST,M3.5.0/1,M10.5.0",      1, 2026, 10, 25, 0, 59, 59, 3600 },
    { "GMT0BST,M3.5.0/1,M10.5.0",      1, 2026, 10, 25, 1, 0, 0,     0 },
    { "CET-1CEST,M3.5.0,M10.5.0/3",    1, 2026, 7, 1, 0, 0, 0,    7200 },
    { "CET-1CEST,M3.5.0,M10.5.0/3",    1, 2026, 10, 25, 0, 59, 59, 7200 },
    { "CET-1CEST,M3.5.0,M10.5.0/3",    1, 2026, 10, 25, 1, 0, 0,  3600 },
    /* southern hemisphere, 30-minute DST */
    { "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1, 2026, 1, 1, 0, 0, 0, 39600 },
    { "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1, 2026, 7, 1, 0, 0, 0, 37800 },
    { "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1, 2026, 10, 3, 15, 30, 0,
      39600 },
    { "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1, 2026, 12, 31, 23, 0, 0,
      39600 },
    /* negative transition times (America/Nuuk) */
    { "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1, 2026, 7, 1, 0, 0, 0,     -3600 },
    { "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1, 2026, 1, 1, 0, 0, 0,     -7200 },
    { "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1, 2026, 3, 29, 0, 59, 59,  -7200 },
    { "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1, 2026, 3, 29, 1, 0, 0,    -3600 },
    /* DST all year (RFC 8536 3.3.1) */
    { "EST5EDT,0/0,J365/25",           1, 2026, 1, 1, 12, 0, 0, -14400 },
    { "EST5EDT,0/0,J365/25",           1, 2026, 7, 1, 12, 0, 0, -14400 },
    { "EST5EDT,0/0,J365/25",           1, 2026, 12, 31, 12, 0, 0, -14400 },
    /* Jn never counts Feb 29, n does */
    { "AAA0BBB,J60/0,J300/0",          1, 2024, 2, 29, 23, 59, 59,   0 },
    { "AAA0BBB,J60/0,J300/0",          1, 2024, 3, 1, 0, 0, 0,    3600 },
    { "AAA0BBB,59/0,300/0",            1, 2024, 2, 28, 23, 59, 59,   0 },
    { "AAA0BBB,59/0,300/0",            1, 2024, 2, 29, 0, 0, 0,   3600 },
    { "AAA0BBB,59/0,300/0",            1, 2025, 3, 1, 0, 0, 0,    3600 },
    { "AAA0BBB,59/0,300/0",            1, 2025, 2, 28, 23, 59, 59,   0 },
    /* explicit DST offset; default DST offset; default rule */
    { "AAA0BBB-2,M3.5.0,M10.5.0",      1, 2026, 7, 1, 0, 0, 0,    7200 },
    { "AAA-1BBB,M3.5.0,M10.5.0",       1, 2026, 7, 1, 0, 0, 0,    7200 },
    { "AAA0BBB",                       1, 2026, 7, 1, 0, 0, 0,    3600 },
    { "AAA0BBB",                       1, 2026, 1, 1, 0, 0, 0,       0 },
    { "AAA+3",                         1, 2026, 1, 1, 0, 0, 0,  -10800 },
    { "AAA0:30:15",                    1, 2026, 1, 1, 0, 0, 0,   -1815 },
    /* malformed */
    { "AB0",                           0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC",                           0, 0, 0, 0, 0, 0, 0, 0 },
    { "0",                             0, 0, 0, 0, 0, 0, 0, 0 },
    { "<AB>0",                         0, 0, 0, 0, 0, 0, 0, 0 },
    { "<+0530-5:30",                   0, 0, 0, 0, 0, 0, 0, 0 },
    { "<+05 30>-5:30",                 0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC25",                         0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0:60",                       0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0x",                         0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M13.1.0,M10.5.0",       0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.6.0,M10.5.0",        0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.0.0,M10.5.0",        0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.1.7,M10.5.0",        0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,J0,J365",               0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,366,0",                 0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.2.0",                0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.2.0,M11.1.0x",       0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.2.0/168,M11.1.0",    0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF,M3.2.0,",               0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DE,M3.2.0,M11.1.0",         0, 0, 0, 0, 0, 0, 0, 0 },
    { "ABC0DEF;M3.2.0,M11.1.0",        0, 0, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_posix_rules)
{
    apr_pool_t *p = new_pool();
    size_t i, len;

    for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
        const rule_case_t *c = &rule_cases[i];
        unsigned char *b = tzif_with_footer(p, c->rule, &len);
        cc_problem_t prob;
        const cc_tz_t *tz;

        memset(&prob, 0, sizeof(prob));
        tz = cc_tz_parse(p, b, len, &prob);
        if (!c->ok) {
            ck_assert_msg(tz == NULL, "\"%s\" accepted", c->rule);
            ck_assert_int_eq(prob.status, 500);
            continue;
        }
        ck_assert_msg(tz != NULL, "\"%s\": %s", c->rule, prob.message);
        ck_assert_msg(cc_tz_offset(tz, utc(c->y, c->mo, c->d, c->h, c->mi,
                                           c->s)) == c->off,
                      "\"%s\" at %04d-%02d-%02d %02d:%02d:%02d: %d want %d",
                      c->rule, c->y, c->mo, c->d, c->h, c->mi, c->s,
                      (int)cc_tz_offset(tz, utc(c->y, c->mo, c->d, c->h,
                                                c->mi, c->s)), (int)c->off);
    }
    /* an empty footer is allowed: the last type applies */
    {
        unsigned char *b = tzif_with_footer(p, "", &len);

        ck_assert(cc_tz_parse(p, b, len, NULL) != NULL);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_tz(void)
{
    Suite *s = suite_create("tz");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_offsets_table);
    tcase_add_test(tc, test_to_utc_table);
    tcase_add_test(tc, test_to_utc_london_overlap_3600);
    tcase_add_test(tc, test_round_trip_instants);
    tcase_add_test(tc, test_days_from_civil);
    tcase_add_test(tc, test_rfc3339);
    tcase_add_test(tc, test_load_bad_names);
    tcase_add_test(tc, test_truncated_files);
    tcase_add_test(tc, test_flipped_counts);
    tcase_add_test(tc, test_fuzz_bytes);
    tcase_add_test(tc, test_posix_rules);
    suite_add_tcase(s, tc);
    return s;
}
