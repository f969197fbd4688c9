/* Unit tests: cc_bucket (rate parsing, bucket arithmetic, bounded table). */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_bucket.h"
#include "suites.h"

#define SEC INT64_C(1000000)
/* An arbitrary, realistic "now": 2023-11-14T22:13:20Z in microseconds. */
#define T0  INT64_C(1700000000000000)

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* ---- cc_rate_parse -------------------------------------------------------- */

typedef struct rate_case_t {
    const char *spec;
    int         rc;
    uint32_t    limit;
    uint32_t    period_s;
} rate_case_t;

static const rate_case_t rate_cases[] = {
    { "10/min",       0, 10, 60 },
    { "10/m",         0, 10, 60 },
    { "10/minute",    0, 10, 60 },
    { "5/sec",        0, 5, 1 },
    { "5/s",          0, 5, 1 },
    { "5/second",     0, 5, 1 },
    { "100/hour",     0, 100, 3600 },
    { "100/h",        0, 100, 3600 },
    { "1/hour",       0, 1, 3600 },
    { "1000000/sec",  0, 1000000, 1 },
    { "007/min",      0, 7, 60 },
    { NULL,          -1, 0, 0 },
    { "",            -1, 0, 0 },
    { "0/min",       -1, 0, 0 },
    { "-1/min",      -1, 0, 0 },
    { "+1/min",      -1, 0, 0 },
    { " 10/min",     -1, 0, 0 },
    { "10 /min",     -1, 0, 0 },
    { "10/ min",     -1, 0, 0 },
    { "10/min ",     -1, 0, 0 },
    { "10/min\n",    -1, 0, 0 },
    { "10/mins",     -1, 0, 0 },
    { "10/min/",     -1, 0, 0 },
    { "10//min",     -1, 0, 0 },
    { "10/day",      -1, 0, 0 },
    { "10/",         -1, 0, 0 },
    { "10",          -1, 0, 0 },
    { "/min",        -1, 0, 0 },
    { "1e3/sec",     -1, 0, 0 },
    { "0x10/sec",    -1, 0, 0 },
    { "1000001/sec", -1, 0, 0 },
    { "4294967297/sec", -1, 0, 0 },
    { "99999999999999999999999/sec", -1, 0, 0 },
};

START_TEST(test_rate_parse_table)
{
    size_t i;

    for (i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++) {
        const rate_case_t *c = &rate_cases[i];
        cc_rate_t r = { 12345, 54321 };
        const char *err = NULL;
        int rc = cc_rate_parse(&r, c->spec, &err);

        ck_assert_msg(rc == c->rc, "case %zu \"%s\": rc %d, want %d", i,
                      c->spec ? c->spec : "(null)", rc, c->rc);
        if (c->rc == 0) {
            ck_assert_uint_eq(r.limit, c->limit);
            ck_assert_uint_eq(r.period_s, c->period_s);
        }
        else {
            ck_assert_msg(err != NULL && *err != '\0',
                          "case %zu: no error message", i);
        }
    }
}
END_TEST

START_TEST(test_rate_parse_null_err)
{
    cc_rate_t r;

    /* err may be NULL; parsing still works and still fails. */
    ck_assert_int_eq(cc_rate_parse(&r, "3/min", NULL), 0);
    ck_assert_uint_eq(r.limit, 3);
    ck_assert_int_eq(cc_rate_parse(&r, "bad", NULL), -1);
}
END_TEST

/* ---- single bucket -------------------------------------------------------- */

typedef struct step_t {
    int64_t  at_us;      /* offset from T0 */
    int      allowed;
    uint32_t remaining;
    uint32_t retry_after_s;
    uint32_t reset_s;
} step_t;

typedef struct scenario_t {
    const char   *name;
    uint32_t      limit;
    uint32_t      period_s;
    int           drain;     /* start with an empty bucket at T0 */
    const step_t *steps;
    size_t        nsteps;
} scenario_t;

/* 10/min: a token every 6 s. */
static const step_t steps_10_min[] = {
    { 0,        1, 9, 0, 6 },
    { 0,        1, 8, 0, 12 },
    { 0,        1, 7, 0, 18 },
    { 0,        1, 6, 0, 24 },
    { 0,        1, 5, 0, 30 },
    { 0,        1, 4, 0, 36 },
    { 0,        1, 3, 0, 42 },
    { 0,        1, 2, 0, 48 },
    { 0,        1, 1, 0, 54 },
    { 0,        1, 0, 0, 60 },
    { 0,        0, 0, 6, 60 },
    { 1 * SEC,  0, 0, 5, 59 },
    { 5999999,  0, 0, 1, 55 },
    { 6 * SEC,  1, 0, 0, 60 },
    { 6 * SEC,  0, 0, 6, 60 },
    /* Half a token after 3 s, 11/12 of one at 11.5 s: still refused. */
    { 9 * SEC,  0, 0, 3, 57 },
    { 11500000, 0, 0, 1, 55 },
    { 12 * SEC, 1, 0, 0, 60 },
    /* 30 s later: 5 tokens, one taken. */
    { 42 * SEC, 1, 4, 0, 36 },
    /* Far beyond a period: full again. */
    { 3600 * SEC, 1, 9, 0, 6 },
};

/* The clock steps back: nothing is refilled and no time is counted twice;
 * a step back of more than a period rebases the bucket. */
static const step_t steps_backwards[] = {
    { 10 * SEC,    1, 0, 0, 56 },   /* drained at T0: 1.67 tokens at 10 s */
    { 5 * SEC,     0, 0, 7, 61 },   /* 5 s back: no refill */
    { 12 * SEC,    1, 0, 0, 60 },
    { 9 * SEC,     0, 0, 9, 63 },   /* 3 s back */
    { 15 * SEC,    0, 0, 3, 57 },   /* only 3 s since the take at 12 s */
    { 18 * SEC,    1, 0, 0, 60 },
    { -7200 * SEC, 0, 0, 6, 60 },   /* 2 h back: rebased, not frozen */
    { -7194 * SEC, 1, 0, 0, 60 },
};

/* 1/hour. */
static const step_t steps_1_hour[] = {
    { 0,            1, 0, 0, 3600 },
    { 0,            0, 0, 3600, 3600 },
    { 1 * SEC,      0, 0, 3599, 3599 },
    { 3599999999,   0, 0, 1, 1 },
    { 3600 * SEC,   1, 0, 0, 3600 },
    { 5400 * SEC,   0, 0, 1800, 1800 },
    { 7200 * SEC,   1, 0, 0, 3600 },
};

/* 1000000/sec: a token every microsecond. */
static const step_t steps_1m_sec[] = {
    { 0,       0, 0, 1, 1 },
    { 1,       1, 0, 0, 1 },
    { 1,       0, 0, 1, 1 },
    { 501,     1, 499, 0, 1 },
    { 2 * SEC, 1, 999999, 0, 1 },
};

/* Huge elapsed values must not overflow. */
static const step_t steps_huge[] = {
    { INT64_C(1000000000000000), 1, 9, 0, 6 },
    { INT64_MAX - T0,            1, 9, 0, 6 },
};

static const scenario_t scenarios[] = {
    { "10/min", 10, 60, 0, steps_10_min,
      sizeof(steps_10_min) / sizeof(step_t) },
    { "backwards", 10, 60, 1, steps_backwards,
      sizeof(steps_backwards) / sizeof(step_t) },
    { "1/hour", 1, 3600, 0, steps_1_hour,
      sizeof(steps_1_hour) / sizeof(step_t) },
    { "1000000/sec", 1000000, 1, 1, steps_1m_sec,
      sizeof(steps_1m_sec) / sizeof(step_t) },
    { "huge", 10, 60, 1, steps_huge,
      sizeof(steps_huge) / sizeof(step_t) },
};

START_TEST(test_bucket_scenarios)
{
    apr_pool_t *p = new_pool();
    size_t i, j;

    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const scenario_t *sc = &scenarios[i];
        cc_rate_t rate = { sc->limit, sc->period_s };
        cc_bucket_t *b = apr_pcalloc(p, sizeof(*b));

        cc_bucket_init(b, &rate, T0);
        ck_assert_int_eq(b->tokens_u, (int64_t)sc->limit * SEC);
        if (sc->drain) {
            b->tokens_u = 0;
        }
        for (j = 0; j < sc->nsteps; j++) {
            const step_t *st = &sc->steps[j];
            cc_bucket_result_t res;

            memset(&res, 0xff, sizeof(res));
            cc_bucket_take(b, &rate, T0 + st->at_us, &res);
            ck_assert_msg(res.allowed == st->allowed
                          && res.remaining == st->remaining
                          && res.retry_after_s == st->retry_after_s
                          && res.reset_s == st->reset_s
                          && res.limit == sc->limit,
                          "%s step %zu: allowed %d remaining %u retry %u "
                          "reset %u limit %u; want %d %u %u %u %u",
                          sc->name, j, res.allowed, res.remaining,
                          res.retry_after_s, res.reset_s, res.limit,
                          st->allowed, st->remaining, st->retry_after_s,
                          st->reset_s, sc->limit);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_bucket_extreme_times)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 1000000, 3600 };
    cc_bucket_t *b = apr_pcalloc(p, sizeof(*b));
    cc_bucket_result_t res;

    /* Oldest possible update, newest possible now: full, no overflow. */
    b->tokens_u = 0;
    b->updated_us = INT64_MIN;
    cc_bucket_take(b, &rate, INT64_MAX, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 999999);

    /* And the other way round: a backward step, rebased. */
    b->tokens_u = 0;
    b->updated_us = INT64_MAX;
    cc_bucket_take(b, &rate, INT64_MIN, &res);
    ck_assert_int_eq(res.allowed, 0);
    ck_assert_uint_ge(res.retry_after_s, 1);

    /* Out-of-range stored tokens are clamped to capacity. */
    b->tokens_u = INT64_MAX;
    b->updated_us = T0;
    cc_bucket_take(b, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 999999);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_bucket_slow_rate_no_starvation)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 1, 3600 };
    cc_bucket_t *b = apr_pcalloc(p, sizeof(*b));
    cc_bucket_result_t res;
    int64_t t;

    cc_bucket_init(b, &rate, T0);
    cc_bucket_take(b, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    /* Polling every 10 ms must not lose the fractional refills. */
    for (t = T0 + 10000; t < T0 + 3600 * SEC; t += 10000) {
        cc_bucket_take(b, &rate, t, &res);
        ck_assert_int_eq(res.allowed, 0);
    }
    cc_bucket_take(b, &rate, T0 + 3600 * SEC, &res);
    ck_assert_int_eq(res.allowed, 1);
    apr_pool_destroy(p);
}
END_TEST

/* The wait for the next token is rounded up, never down: a token that
 * needs 1.0000009 s of refill is announced in 2 s, not 1. */
START_TEST(test_bucket_wait_rounds_up)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 22, 60 };    /* 366667 micro-tokens: 1000000.9 us */
    cc_bucket_t *b = apr_pcalloc(p, sizeof(*b));
    cc_bucket_result_t res;

    b->tokens_u = 1000000 - 366667;
    b->updated_us = T0;
    cc_bucket_take(b, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    ck_assert_uint_eq(res.retry_after_s, 2);
    apr_pool_destroy(p);
}
END_TEST

/* Polling every microsecond never earns tokens faster than the rate: the
 * time a refill accounts for is rounded up, so no microsecond is counted
 * twice. */
START_TEST(test_bucket_dense_polling_keeps_rate)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 2, 3 };      /* one token per 1.5 s */
    cc_bucket_t *b = apr_pcalloc(p, sizeof(*b));
    cc_bucket_result_t res;
    int64_t t;

    cc_bucket_init(b, &rate, T0);
    cc_bucket_take(b, &rate, T0, &res);
    cc_bucket_take(b, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 0);
    for (t = T0 + 1; t < T0 + 3 * SEC; t++) {
        cc_bucket_take(b, &rate, t, &res);
        if (res.allowed) {
            break;
        }
    }
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_int_ge(t - T0, 3 * SEC / 2);
    apr_pool_destroy(p);
}
END_TEST

/* ---- bounded table -------------------------------------------------------- */

static void *new_table(apr_pool_t *p, uint32_t nslots, size_t *size)
{
    size_t sz = cc_buckets_size(nslots);
    void *region = apr_palloc(p, sz);

    memset(region, 0xa5, sz);
    ck_assert_int_eq(cc_buckets_init(region, sz, nslots), 0);
    ck_assert_int_eq(cc_buckets_check(region, sz), 0);
    if (size) {
        *size = sz;
    }
    return region;
}

START_TEST(test_table_many_keys)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 5, 60 };
    void *t = new_table(p, 4096, NULL);
    cc_buckets_stats_t st;
    cc_bucket_result_t res;
    char key[32];
    int round, i;

    for (round = 0; round < 2; round++) {
        for (i = 0; i < 1000; i++) {
            apr_snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
            cc_buckets_take(t, 0, key, &rate, T0, &res);
            ck_assert_int_eq(res.allowed, 1);
            ck_assert_uint_eq(res.limit, 5);
            ck_assert_uint_eq(res.remaining, (uint32_t)(4 - round));
        }
    }
    cc_buckets_stats(t, T0, &st);
    ck_assert_uint_eq(st.nslots, 4096);
    ck_assert_uint_eq(st.used, 1000);
    ck_assert_uint_eq(st.evictions, 0);
    ck_assert_uint_eq(st.expirations, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_table_class_distinct)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 1, 60 };
    void *t = new_table(p, 64, NULL);
    cc_buckets_stats_t st;
    cc_bucket_result_t res;

    cc_buckets_take(t, 0, "192.0.2.1", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_take(t, 1, "192.0.2.1", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_take(t, 0, "192.0.2.1", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    ck_assert_uint_eq(res.retry_after_s, 60);
    cc_buckets_take(t, 1, "192.0.2.1", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    /* A key that is a prefix of another is a different key. */
    cc_buckets_take(t, 0, "192.0.2.", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    /* NULL key is the empty key. */
    cc_buckets_take(t, 0, NULL, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_take(t, 0, "", &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    cc_buckets_stats(t, T0, &st);
    ck_assert_uint_eq(st.used, 4);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_table_key_truncation)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 1, 60 };
    void *t = new_table(p, 64, NULL);
    cc_bucket_result_t res;
    char a[CC_BUCKET_KEY_MAX + 8], b[CC_BUCKET_KEY_MAX + 8];

    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[CC_BUCKET_KEY_MAX + 2] = 'y';
    /* Keys equal in their first CC_BUCKET_KEY_MAX bytes share a bucket. */
    cc_buckets_take(t, 0, a, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_take(t, 0, b, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    /* One byte shorter is different. */
    a[CC_BUCKET_KEY_MAX - 1] = '\0';
    cc_buckets_take(t, 0, a, &rate, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_table_eviction)
{
    apr_pool_t *p = new_pool();
    cc_rate_t rate = { 1, 60 };
    void *t = new_table(p, 4, NULL);
    cc_buckets_stats_t st;
    cc_bucket_result_t res;
    static const char *const keys[] = { "k0", "k1", "k2", "k3", "k4", "k5" };
    int i;

    /* Fill all four slots (the window covers the whole tiny table). */
    for (i = 0; i < 4; i++) {
        cc_buckets_take(t, 0, keys[i], &rate, T0 + i, &res);
        ck_assert_int_eq(res.allowed, 1);
    }
    cc_buckets_stats(t, T0 + 4, &st);
    ck_assert_uint_eq(st.used, 4);
    ck_assert_uint_eq(st.evictions, 0);

    /* A fifth key finds only live buckets: nothing is evicted (that would
     * hand out a fresh, full bucket); it takes from the class's shared
     * overflow bucket, and so does a sixth - which finds it empty. */
    cc_buckets_take(t, 0, keys[4], &rate, T0 + 10, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_take(t, 0, keys[5], &rate, T0 + 11, &res);
    ck_assert_int_eq(res.allowed, 0);
    cc_buckets_take(t, 0, keys[4], &rate, T0 + 12, &res);
    ck_assert_int_eq(res.allowed, 0);
    cc_buckets_stats(t, T0 + 12, &st);
    ck_assert_uint_eq(st.evictions, 0);
    ck_assert_uint_eq(st.overflows, 3);
    ck_assert_uint_eq(st.used, 4);
    /* The keys that have slots kept their (empty) buckets. */
    for (i = 0; i < 4; i++) {
        cc_buckets_take(t, 0, keys[i], &rate, T0 + 13 + i, &res);
        ck_assert_int_eq(res.allowed, 0);
    }
    /* Another class has its own overflow bucket. */
    cc_buckets_take(t, 1, keys[4], &rate, T0 + 20, &res);
    ck_assert_int_eq(res.allowed, 1);
    /* peek sees what a take would: k5 of class 0 is refused. */
    cc_buckets_peek(t, 0, keys[5], &rate, T0 + 21, &res);
    ck_assert_int_eq(res.allowed, 0);
    /* Once the slots expire (idle a whole period), new keys get slots of
     * their own again. */
    cc_buckets_take(t, 0, keys[5], &rate, T0 + 61 * 1000000LL, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_stats(t, T0 + 61 * 1000000LL, &st);
    ck_assert_uint_eq(st.expirations, 1);
    ck_assert_uint_eq(st.evictions, 0);
    apr_pool_destroy(p);
}
END_TEST

/* Peek: the answer a take would give, with no side effect - the login
 * lock-out asks before any password work and counts failures with take. */
START_TEST(test_table_peek)
{
    apr_pool_t *p = new_pool();
    cc_rate_t lock = { 3, 30 };          /* 3 failures, 1 back per 10 s */
    void *t = new_table(p, 16, NULL);
    cc_buckets_stats_t st;
    cc_bucket_result_t res;
    int i;

    /* Unknown key: allowed, full, and no slot is created. */
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 3);
    cc_buckets_stats(t, T0, &st);
    ck_assert_uint_eq(st.used, 0);
    /* Peeking does not spend: a hundred peeks, still three tokens. */
    for (i = 0; i < 100; i++) {
        cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    }
    cc_buckets_take(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_uint_eq(res.remaining, 2);
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 2);
    cc_buckets_take(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    cc_buckets_take(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_uint_eq(res.remaining, 0);
    /* Locked: refused with the wait for one token, as take says. */
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_int_eq(res.allowed, 0);
    ck_assert_uint_eq(res.retry_after_s, 10);
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0 + 4 * SEC, &res);
    ck_assert_uint_eq(res.retry_after_s, 6);
    /* Another class or key is not affected. */
    cc_buckets_peek(t, 8, "ip:10.0.0.1", &lock, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_peek(t, 7, "ip:10.0.0.2", &lock, T0, &res);
    ck_assert_int_eq(res.allowed, 1);
    /* The count decays: one attempt back after 10 s. */
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0 + 10 * SEC, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 1);
    /* Idle longer than the period: expired, as good as full. */
    cc_buckets_peek(t, 7, "ip:10.0.0.1", &lock, T0 + 31 * SEC, &res);
    ck_assert_int_eq(res.allowed, 1);
    ck_assert_uint_eq(res.remaining, 3);
}
END_TEST

static const struct {
    const char *addr, *key;
    int rc;
} client_cases[] = {
    { "192.0.2.7", "ip:192.0.2.7", 0 },
    { "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "ip6:2001:db8:1:2::/64", 0 },
    { "2001:db8:1:2::1", "ip6:2001:db8:1:2::/64", 0 },      /* same /64 */
    { "2001:DB8:1:2:0:0:0:ffff", "ip6:2001:db8:1:2::/64", 0 },
    { "2001:db8:1:3::1", "ip6:2001:db8:1:3::/64", 0 },      /* next /64 */
    { "::ffff:192.0.2.7", "ip:192.0.2.7", 0 },              /* mapped v4 */
    { "::1", "ip6:::/64", 0 },
    { "not-an-address", "ip:?not-an-address", -1 },
    { "", "ip:?", -1 },
};

START_TEST(test_client_key)
{
    char out[CC_BUCKET_KEY_MAX];

    ck_assert_int_eq(cc_client_key(client_cases[_i].addr, out, sizeof(out)),
                     client_cases[_i].rc);
    ck_assert_str_eq(out, client_cases[_i].key);
}
END_TEST

START_TEST(test_client_key_bounds)
{
    char out[8];

    ck_assert_int_eq(cc_client_key("2001:db8:1:2::1", out, sizeof(out)), 0);
    ck_assert_uint_eq(strlen(out), 7);      /* cut, terminated */
    ck_assert_int_eq(cc_client_key(NULL, out, sizeof(out)), -1);
    ck_assert_int_eq(cc_client_key("192.0.2.1", NULL, 0), -1);
}
END_TEST

START_TEST(test_table_expiry)
{
    apr_pool_t *p = new_pool();
    cc_rate_t sec = { 1, 1 };
    cc_rate_t min = { 1, 60 };
    void *t = new_table(p, 2, NULL);
    cc_buckets_stats_t st;
    cc_bucket_result_t res;

    cc_buckets_take(t, 0, "a", &sec, T0, &res);
    cc_buckets_take(t, 0, "b", &min, T0, &res);
    cc_buckets_stats(t, T0, &st);
    ck_assert_uint_eq(st.used, 2);

    /* Exactly one period idle is not yet expired. */
    cc_buckets_stats(t, T0 + SEC, &st);
    ck_assert_uint_eq(st.used, 2);

    /* 2 s later "a" (1/sec) has expired, "b" (1/min) has not. */
    cc_buckets_stats(t, T0 + 2 * SEC, &st);
    ck_assert_uint_eq(st.used, 1);
    cc_buckets_take(t, 0, "c", &sec, T0 + 2 * SEC, &res);
    ck_assert_int_eq(res.allowed, 1);
    cc_buckets_stats(t, T0 + 2 * SEC, &st);
    ck_assert_uint_eq(st.used, 2);
    ck_assert_uint_eq(st.expirations, 1);
    ck_assert_uint_eq(st.evictions, 0);

    /* "b" is still there and still empty. */
    cc_buckets_take(t, 0, "b", &min, T0 + 2 * SEC, &res);
    ck_assert_int_eq(res.allowed, 0);

    /* Both idle for over a minute: everything expired. */
    cc_buckets_stats(t, T0 + 200 * SEC, &st);
    ck_assert_uint_eq(st.used, 0);
    cc_buckets_take(t, 0, "d", &min, T0 + 200 * SEC, &res);
    cc_buckets_take(t, 0, "e", &min, T0 + 200 * SEC, &res);
    cc_buckets_stats(t, T0 + 200 * SEC, &st);
    ck_assert_uint_eq(st.used, 2);
    ck_assert_uint_eq(st.expirations, 3);
    ck_assert_uint_eq(st.evictions, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_table_check)
{
    apr_pool_t *p = new_pool();
    size_t sz = cc_buckets_size(8);
    unsigned char *r = apr_palloc(p, sz + 64);
    cc_rate_t rate = { 1, 60 };
    cc_bucket_result_t res;
    cc_buckets_stats_t st;
    size_t i;

    ck_assert_uint_gt(sz, cc_buckets_size(7));
    ck_assert_uint_gt(cc_buckets_size(1), cc_buckets_size(0));

    /* init: NULL, nslots 0, region too small. */
    ck_assert_int_eq(cc_buckets_init(NULL, sz, 8), -1);
    ck_assert_int_eq(cc_buckets_init(r, sz, 0), -1);
    ck_assert_int_eq(cc_buckets_init(r, sz - 1, 8), -1);
    ck_assert_int_eq(cc_buckets_init(r, 0, 8), -1);

    /* check: garbage. */
    ck_assert_int_eq(cc_buckets_check(NULL, sz), -1);
    memset(r, 0, sz);
    ck_assert_int_eq(cc_buckets_check(r, sz), -1);
    for (i = 0; i < sz; i++) {
        r[i] = (unsigned char)(i * 131 + 7);
    }
    ck_assert_int_eq(cc_buckets_check(r, sz), -1);
    memset(r, 0xff, sz);
    ck_assert_int_eq(cc_buckets_check(r, sz), -1);

    /* A good region; a larger region is fine, a smaller one is not. */
    ck_assert_int_eq(cc_buckets_init(r, sz + 64, 8), 0);
    ck_assert_int_eq(cc_buckets_check(r, sz), 0);
    ck_assert_int_eq(cc_buckets_check(r, sz + 64), 0);
    ck_assert_int_eq(cc_buckets_check(r, sz - 1), -1);
    ck_assert_int_eq(cc_buckets_check(r, 4), -1);

    /* Each header byte matters. */
    for (i = 0; i < 24; i++) {
        ck_assert_int_eq(cc_buckets_init(r, sz, 8), 0);
        r[i] ^= 0x40;
        ck_assert_msg(cc_buckets_check(r, sz) == -1,
                      "flipped header byte %zu accepted", i);
        /* A rejected region is never written through: fail open. */
        cc_buckets_take(r, 0, "k", &rate, T0, &res);
        ck_assert_int_eq(res.allowed, 1);
        cc_buckets_stats(r, T0, &st);
        ck_assert_uint_eq(st.nslots, 0);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_table_stats_fresh)
{
    apr_pool_t *p = new_pool();
    void *t = new_table(p, 3, NULL);
    cc_buckets_stats_t st;

    cc_buckets_stats(t, T0, &st);
    ck_assert_uint_eq(st.nslots, 3);
    ck_assert_uint_eq(st.used, 0);
    ck_assert_uint_eq(st.evictions, 0);
    ck_assert_uint_eq(st.expirations, 0);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_bucket(void)
{
    Suite *s = suite_create("bucket");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rate_parse_table);
    tcase_add_test(tc, test_rate_parse_null_err);
    tcase_add_test(tc, test_bucket_scenarios);
    tcase_add_test(tc, test_bucket_extreme_times);
    tcase_add_test(tc, test_bucket_slow_rate_no_starvation);
    tcase_add_test(tc, test_bucket_wait_rounds_up);
    tcase_add_test(tc, test_bucket_dense_polling_keeps_rate);
    tcase_add_test(tc, test_table_many_keys);
    tcase_add_test(tc, test_table_class_distinct);
    tcase_add_test(tc, test_table_key_truncation);
    tcase_add_test(tc, test_table_eviction);
    tcase_add_test(tc, test_table_expiry);
    tcase_add_test(tc, test_table_peek);
    tcase_add_loop_test(tc, test_client_key, 0,
                        sizeof(client_cases) / sizeof(client_cases[0]));
    tcase_add_test(tc, test_client_key_bounds);
    tcase_add_test(tc, test_table_check);
    tcase_add_test(tc, test_table_stats_fresh);
    suite_add_tcase(s, tc);
    return s;
}
