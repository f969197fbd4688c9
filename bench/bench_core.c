/*
 * bench_core.c - the in-process timings that used to print from the unit
 * suite (test_risk_timing, test_slots_timing): CPU per risk check of three
 * typical patient messages with the shipped rules, and per slot query of
 * one practitioner's week.  Timings only; what they assert lives in the
 * unit tests.
 *
 *   bench_core <risk-rules.txt>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include "cc_risk.h"
#include "cc_slots.h"
#include "cc_tz.h"
#include "eval_util.h"

#define PROG "bench_core"

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void bench_risk(apr_pool_t *p, const char *rules_path)
{
    static const char *const msgs[] = {
        "Hi, I was wondering if I could book in for lip filler next week, "
        "I had some done about a year ago and loved it. Also is there "
        "parking nearby and do you take card?",
        "Hello, I'm 12 weeks pregnant and my skin has gone really dull, is "
        "there any facial you could recommend that is safe for me at the "
        "moment please? Thanks",
        "I had my lips done this morning and now the top lip is going a "
        "weird white colour and it's throbbing, I can't feel it properly.",
    };
    apr_pool_t *q;
    cc_problem_t prob;
    cc_ruleset_t *rs;
    size_t len = 0, i;
    char *text = ev_read_file(p, PROG, rules_path, &len);

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, text, len, NULL, &prob);
    if (!rs) {
        fprintf(stderr, "%s: %s: %s\n", PROG, rules_path, prob.message);
        exit(1);
    }
    apr_pool_create(&q, p);
    for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        cc_risk_result_t res;
        const int n = 20000;
        double t0 = now_us(), dt;
        int k;

        for (k = 0; k < n; k++) {
            cc_risk_check(rs, msgs[i], strlen(msgs[i]), q, &res);
            apr_pool_clear(q);
        }
        dt = (now_us() - t0) / n;
        printf("cc_risk_check: %zu bytes, %d rules: %.2f us per message\n",
               strlen(msgs[i]), cc_risk_count(rs), dt);
    }
}

/* One week of 15-minute steps for one practitioner. */
static void bench_slots(apr_pool_t *p)
{
    cc_hours_t h[] = { { 0, 540, 1020 }, { 1, 540, 1020 }, { 2, 540, 1020 },
                       { 3, 540, 1020 }, { 4, 540, 1020 } };
    cc_exception_t x = { 20606, 1, 720, 780 };
    cc_interval_t busy[20];
    cc_slot_query_t q;
    cc_problem_t prob;
    double t0, t1;
    int i, n = 0, iters = 2000;
    int64_t day0 = cc_days_from_civil(2026, 6, 1);

    memset(&q, 0, sizeof(q));
    q.tz = cc_tz_load(p, NULL, "Europe/London", &prob);
    if (!q.tz) {
        fprintf(stderr, "%s: Europe/London: %s\n", PROG, prob.message);
        exit(1);
    }
    for (i = 0; i < 20; i++) {
        busy[i].start = (day0 + i / 4) * 86400
                        + (8 + 2 * (i % 4)) * 3600;
        busy[i].end = busy[i].start + 1800;
    }
    q.now = INT64_C(1777593600);        /* 2026-05-01T00:00:00Z */
    q.from_date = day0;
    q.days = 7;
    q.duration_min = 30;
    q.buffer_before_min = 5;
    q.buffer_after_min = 10;
    q.step_min = 15;
    q.horizon_days = 90;
    q.hours = h;
    q.nhours = 5;
    q.exceptions = &x;
    q.nexceptions = 1;
    q.busy = busy;
    q.nbusy = 20;
    t0 = now_us();
    for (i = 0; i < iters; i++) {
        apr_pool_t *sub;

        apr_pool_create(&sub, p);
        n = cc_slots_compute(sub, &q)->nelts;
        apr_pool_destroy(sub);
    }
    t1 = now_us();
    printf("cc_slots_compute: one week, 15-min steps, %d slots: "
           "%.1f us per query\n", n, (t1 - t0) / iters);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <risk-rules.txt>\n", PROG);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    bench_risk(p, argv[1]);
    bench_slots(p);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
