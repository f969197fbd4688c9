/* Unit tests: cc_metrics (counters, histograms, rendering, concurrency). */
#include <pthread.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_metrics.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static void *new_region(apr_pool_t *p, uint32_t nroutes, uint32_t nclasses)
{
    size_t sz = cc_metrics_size(nroutes, nclasses);
    void *r = apr_palloc(p, sz);

    memset(r, 0x5a, sz);
    ck_assert_int_eq(cc_metrics_init(r, sz, nroutes, nclasses), 0);
    ck_assert_int_eq(cc_metrics_check(r, sz), 0);
    return r;
}

/* True when `line` (without its newline) is a whole line of `text`. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *s = text;

    while ((s = strstr(s, line)) != NULL) {
        if ((s == text || s[-1] == '\n') && s[n] == '\n') {
            return 1;
        }
        s++;
    }
    return 0;
}

/* Both occur in text, a first. */
static void assert_before(const char *text, const char *a, const char *b)
{
    const char *pa = strstr(text, a), *pb = strstr(text, b);

    ck_assert_msg(pa && pb && pa < pb, "\"%s\" not before \"%s\"", a, b);
}

START_TEST(test_bounds)
{
    static const int64_t want[CC_METRICS_NBUCKETS - 1] = {
        500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
        1000000
    };
    int i;

    for (i = 0; i < CC_METRICS_NBUCKETS - 1; i++) {
        ck_assert_int_eq(cc_metrics_bounds_us[i], want[i]);
    }
}
END_TEST

typedef struct obs_case_t {
    int64_t dur_us;
    int     bucket;
} obs_case_t;

static const obs_case_t obs_cases[] = {
    { 0, 0 }, { 1, 0 }, { 500, 0 }, { 501, 1 }, { 999, 1 }, { 1000, 1 },
    { 1001, 2 }, { 2500, 2 }, { 2501, 3 }, { 5000, 3 }, { 5001, 4 },
    { 10000, 4 }, { 10001, 5 }, { 25000, 5 }, { 25001, 6 }, { 50000, 6 },
    { 50001, 7 }, { 100000, 7 }, { 100001, 8 }, { 250000, 8 },
    { 250001, 9 }, { 500000, 9 }, { 500001, 10 }, { 1000000, 10 },
    { 1000001, 11 }, { INT64_C(3600000000), 11 }, { -5, 0 },
};

START_TEST(test_observe_buckets)
{
    apr_pool_t *p = new_pool();
    size_t i;

    for (i = 0; i < sizeof(obs_cases) / sizeof(obs_cases[0]); i++) {
        void *m = new_region(p, 1, 0);
        cc_metrics_route_snap_t s;
        int b;

        cc_metrics_observe(m, 0, 200, obs_cases[i].dur_us);
        cc_metrics_route_snapshot(m, 0, &s);
        ck_assert_uint_eq(s.requests, 1);
        ck_assert_uint_eq(s.sum_us, obs_cases[i].dur_us < 0
                          ? 0 : (uint64_t)obs_cases[i].dur_us);
        for (b = 0; b < CC_METRICS_NBUCKETS; b++) {
            ck_assert_msg(s.hist[b] == (b == obs_cases[i].bucket ? 1u : 0u),
                          "dur %lld: bucket %d holds %llu",
                          (long long)obs_cases[i].dur_us, b,
                          (unsigned long long)s.hist[b]);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_status_classes)
{
    static const int statuses[] = {
        100, 200, 204, 301, 304, 399, 400, 401, 404, 429, 499, 500, 502, 503,
        599, 0, -1
    };
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 2, 0);
    cc_metrics_route_snap_t s;
    size_t i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        cc_metrics_observe(m, 1, statuses[i], 10);
    }
    cc_metrics_route_snapshot(m, 1, &s);
    ck_assert_uint_eq(s.requests, sizeof(statuses) / sizeof(statuses[0]));
    ck_assert_uint_eq(s.errors_4xx, 5);
    ck_assert_uint_eq(s.errors_5xx, 4);
    ck_assert_uint_eq(s.sum_us, 10 * s.requests);
    cc_metrics_route_snapshot(m, 0, &s);
    ck_assert_uint_eq(s.requests, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_out_of_range)
{
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 2, 2);
    cc_metrics_route_snap_t s;
    uint32_t r;

    cc_metrics_observe(m, 2, 500, 1000);
    cc_metrics_observe(m, UINT32_MAX, 500, 1000);
    cc_metrics_ratelimited(m, 2);
    cc_metrics_ratelimited(m, UINT32_MAX);
    for (r = 0; r < 2; r++) {
        cc_metrics_route_snapshot(m, r, &s);
        ck_assert_uint_eq(s.requests, 0);
        ck_assert_uint_eq(s.errors_5xx, 0);
        ck_assert_uint_eq(s.sum_us, 0);
        ck_assert_uint_eq(cc_metrics_ratelimited_count(m, r), 0);
    }
    /* Reading out of range yields zeros, not garbage. */
    memset(&s, 0xff, sizeof(s));
    cc_metrics_route_snapshot(m, 7, &s);
    ck_assert_uint_eq(s.requests, 0);
    ck_assert_uint_eq(s.hist[CC_METRICS_NBUCKETS - 1], 0);
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 9), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_ratelimited)
{
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 1, 3);
    int i;

    for (i = 0; i < 5; i++) {
        cc_metrics_ratelimited(m, 0);
    }
    cc_metrics_ratelimited(m, 2);
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 0), 5);
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 1), 0);
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 2), 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_render)
{
    static const char *const routes[] = {
        "GET /api/health", "POST /api/say \"hi\"\\\n"
    };
    static const char *const classes[] = { "chat", "login" };
    static const char *const want[] = {
        "# HELP concierge_requests_total Requests handled, by route.",
        "# TYPE concierge_requests_total counter",
        "concierge_requests_total{route=\"GET /api/health\"} 4",
        "concierge_requests_total{route=\"POST /api/say \\\"hi\\\"\\\\\\n\"} 1",
        "# TYPE concierge_request_errors_total counter",
        "concierge_request_errors_total{route=\"GET /api/health\","
        "class=\"4xx\"} 1",
        "concierge_request_errors_total{route=\"GET /api/health\","
        "class=\"5xx\"} 2",
        "concierge_request_errors_total{route=\"POST /api/say \\\"hi\\\""
        "\\\\\\n\",class=\"4xx\"} 0",
        "# HELP concierge_request_duration_seconds "
        "Request duration in seconds, by route.",
        "# TYPE concierge_request_duration_seconds histogram",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.0005\"} 1",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.001\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.0025\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.005\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.01\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.025\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.05\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.1\"} 2",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.25\"} 3",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"0.5\"} 3",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"1\"} 3",
        "concierge_request_duration_seconds_bucket"
        "{route=\"GET /api/health\",le=\"+Inf\"} 4",
        "concierge_request_duration_seconds_sum"
        "{route=\"GET /api/health\"} 2.201500",
        "concierge_request_duration_seconds_count"
        "{route=\"GET /api/health\"} 4",
        "concierge_request_duration_seconds_bucket"
        "{route=\"POST /api/say \\\"hi\\\"\\\\\\n\",le=\"+Inf\"} 1",
        "concierge_request_duration_seconds_sum"
        "{route=\"POST /api/say \\\"hi\\\"\\\\\\n\"} 0.000007",
        "# HELP concierge_ratelimit_rejections_total "
        "Requests refused with 429, by rate-limit class.",
        "# TYPE concierge_ratelimit_rejections_total counter",
        "concierge_ratelimit_rejections_total{class=\"chat\"} 3",
        "concierge_ratelimit_rejections_total{class=\"login\"} 0",
        "concierge_sessions_active 2",
    };
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 2, 2);
    const char *text;
    size_t i;

    cc_metrics_observe(m, 0, 200, 500);
    cc_metrics_observe(m, 0, 404, 1000);
    cc_metrics_observe(m, 0, 500, 200000);
    cc_metrics_observe(m, 0, 503, 2000000);
    cc_metrics_observe(m, 1, 200, 7);
    cc_metrics_ratelimited(m, 0);
    cc_metrics_ratelimited(m, 0);
    cc_metrics_ratelimited(m, 0);

    text = cc_metrics_render(p, m, routes, classes,
                             "# TYPE concierge_sessions_active gauge\n"
                             "concierge_sessions_active 2\n");
    ck_assert_ptr_nonnull(text);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_msg(has_line(text, want[i]), "missing line:\n%s\nin:\n%s",
                      want[i], text);
    }
    /* Nothing but well-formed lines: the raw newline was escaped. */
    ck_assert_ptr_null(strstr(text, "\\\"hi\\\"\\\\\n"));
    ck_assert_int_eq(text[strlen(text) - 1], '\n');
    /* extra comes last, verbatim. */
    ck_assert_str_eq(text + strlen(text)
                     - strlen("concierge_sessions_active 2\n"),
                     "concierge_sessions_active 2\n");
    /* Families appear in order, each HELP before TYPE before samples. */
    assert_before(text, "# HELP concierge_requests_total",
                  "# TYPE concierge_requests_total");
    assert_before(text, "# TYPE concierge_requests_total",
                  "concierge_requests_total{");
    assert_before(text, "concierge_requests_total{",
                  "# HELP concierge_request_errors_total");
    assert_before(text, "le=\"0.0005\"", "le=\"+Inf\"");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_render_defaults)
{
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 1, 1);
    const char *text;

    cc_metrics_ratelimited(m, 0);
    text = cc_metrics_render(p, m, NULL, NULL, NULL);
    ck_assert(has_line(text, "concierge_requests_total{route=\"0\"} 0"));
    ck_assert(has_line(text,
        "concierge_request_duration_seconds_sum{route=\"0\"} 0.000000"));
    ck_assert(has_line(text,
        "concierge_ratelimit_rejections_total{class=\"0\"} 1"));

    /* An empty region still renders the HELP/TYPE lines. */
    m = new_region(p, 0, 0);
    text = cc_metrics_render(p, m, NULL, NULL, "x 1\n");
    ck_assert(has_line(text, "# TYPE concierge_requests_total counter"));
    ck_assert(has_line(text, "x 1"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_check)
{
    apr_pool_t *p = new_pool();
    size_t sz = cc_metrics_size(3, 2);
    unsigned char *r = apr_palloc(p, sz + 16);
    size_t i;

    ck_assert_uint_gt(cc_metrics_size(4, 2), sz);
    ck_assert_uint_gt(cc_metrics_size(3, 3), sz);
    ck_assert_int_eq(cc_metrics_init(NULL, sz, 3, 2), -1);
    ck_assert_int_eq(cc_metrics_init(r, sz - 1, 3, 2), -1);
    ck_assert_int_eq(cc_metrics_check(NULL, sz), -1);
    memset(r, 0, sz);
    ck_assert_int_eq(cc_metrics_check(r, sz), -1);
    memset(r, 0xff, sz);
    ck_assert_int_eq(cc_metrics_check(r, sz), -1);
    for (i = 0; i < sz; i++) {
        r[i] = (unsigned char)(i * 37 + 11);
    }
    ck_assert_int_eq(cc_metrics_check(r, sz), -1);

    ck_assert_int_eq(cc_metrics_init(r, sz + 16, 3, 2), 0);
    ck_assert_int_eq(cc_metrics_check(r, sz), 0);
    ck_assert_int_eq(cc_metrics_check(r, sz + 16), 0);
    ck_assert_int_eq(cc_metrics_check(r, sz - 1), -1);
    ck_assert_int_eq(cc_metrics_check(r, 3), -1);
    for (i = 0; i < 24; i++) {
        ck_assert_int_eq(cc_metrics_init(r, sz, 3, 2), 0);
        r[i] ^= 0x10;
        ck_assert_msg(cc_metrics_check(r, sz) == -1,
                      "flipped header byte %zu accepted", i);
        /* Updates to a rejected region are ignored, not crashes. */
        cc_metrics_observe(r, 0, 200, 1);
        cc_metrics_ratelimited(r, 0);
    }
    apr_pool_destroy(p);
}
END_TEST

#define NTHREADS 4
#define NOBS     100000

typedef struct worker_t {
    void *region;
    int   id;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    int i;

    for (i = 0; i < NOBS; i++) {
        int status = (i % 3 == 0) ? 200 : (i % 3 == 1) ? 404 : 503;

        cc_metrics_observe(w->region, (uint32_t)(i & 1), status,
                           (int64_t)(i % 2000) * 1000);
        if (i % 10 == 0) {
            cc_metrics_ratelimited(w->region, (uint32_t)w->id % 2);
        }
    }
    return NULL;
}

START_TEST(test_concurrent)
{
    apr_pool_t *p = new_pool();
    void *m = new_region(p, 2, 2);
    pthread_t th[NTHREADS];
    worker_t w[NTHREADS];
    cc_metrics_route_snap_t s[2];
    uint64_t want_sum[2] = { 0, 0 }, want_4xx[2] = { 0, 0 };
    uint64_t want_5xx[2] = { 0, 0 }, want_hist[2][CC_METRICS_NBUCKETS];
    int i, r, b;

    memset(want_hist, 0, sizeof(want_hist));
    for (i = 0; i < NOBS; i++) {
        int64_t d = (int64_t)(i % 2000) * 1000;

        r = i & 1;
        want_sum[r] += (uint64_t)d;
        want_4xx[r] += (i % 3 == 1);
        want_5xx[r] += (i % 3 == 2);
        for (b = 0; b < CC_METRICS_NBUCKETS - 1; b++) {
            if (d <= cc_metrics_bounds_us[b]) {
                break;
            }
        }
        want_hist[r][b]++;
    }

    for (i = 0; i < NTHREADS; i++) {
        w[i].region = m;
        w[i].id = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (i = 0; i < NTHREADS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    }

    for (r = 0; r < 2; r++) {
        uint64_t total = 0;

        cc_metrics_route_snapshot(m, (uint32_t)r, &s[r]);
        ck_assert_uint_eq(s[r].requests, NTHREADS * NOBS / 2);
        ck_assert_uint_eq(s[r].errors_4xx, NTHREADS * want_4xx[r]);
        ck_assert_uint_eq(s[r].errors_5xx, NTHREADS * want_5xx[r]);
        ck_assert_uint_eq(s[r].sum_us, NTHREADS * want_sum[r]);
        for (b = 0; b < CC_METRICS_NBUCKETS; b++) {
            ck_assert_uint_eq(s[r].hist[b], NTHREADS * want_hist[r][b]);
            total += s[r].hist[b];
        }
        ck_assert_uint_eq(total, s[r].requests);
    }
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 0),
                      (NTHREADS / 2) * (NOBS / 10));
    ck_assert_uint_eq(cc_metrics_ratelimited_count(m, 1),
                      (NTHREADS / 2) * (NOBS / 10));
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_metrics(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_observe_buckets);
    tcase_add_test(tc, test_status_classes);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_ratelimited);
    tcase_add_test(tc, test_render);
    tcase_add_test(tc, test_render_defaults);
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_concurrent);
    suite_add_tcase(s, tc);
    return s;
}
