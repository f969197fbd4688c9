/* Unit tests: cc_slots (opening hours, exceptions, busy, notice, horizon,
 * DST days). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_slots.h"
#include "suites.h"

#define MAXN 8

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static int64_t day_of(int y, int m, int d)
{
    return cc_days_from_civil(y, m, d);
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return day_of(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* Local wall time on a date where it exists once (test set-up only). */
static int64_t loc(const cc_tz_t *tz, int y, int mo, int d, int h, int mi)
{
    cc_civil_t c = { y, mo, d, h, mi, 0 };
    int64_t t = 0, t2 = 0;

    ck_assert_int_eq(cc_tz_to_utc(tz, &c, &t, &t2), 1);
    return t;
}

#define MON_FRI(a, b) { 0, a, b }, { 1, a, b }, { 2, a, b }, { 3, a, b }, \
                      { 4, a, b }

/* Busy times are given in local wall time of the zone (hh:mm on a date). */
typedef struct lbusy_t {
    int y, mo, d, h1, m1, h2, m2;
} lbusy_t;

typedef struct slot_case_t {
    const char    *name;
    const char    *zone;
    int            y, mo, d, days;
    int            dur, before, after, step, notice, horizon;
    int64_t        now;                 /* UTC */
    cc_hours_t     hours[MAXN];   int nhours;
    cc_exception_t exc[MAXN];     int nexc;
    lbusy_t        busy[MAXN];    int nbusy;
    int            count;
    const char    *first, *last;        /* RFC 3339 in the zone */
    const char    *has[MAXN];           /* slots that must be offered */
    const char    *hasnt[MAXN];         /* substrings no slot may match */
} slot_case_t;

#define NOW0 INT64_C(1777593600)        /* 2026-05-01T00:00:00Z */

static const slot_case_t slot_cases[] = {
    { "plain day", "Europe/London", 2026, 6, 1, 1, 30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0, { { 0 } }, 0,
      31, "2026-06-01T09:00:00+01:00", "2026-06-01T16:30:00+01:00",
      { "2026-06-01T12:15:00+01:00" }, { "T08:", "T16:45", "T17:" } },
    { "busy removed, touching allowed", "Europe/London", 2026, 6, 1, 1,
      30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0,
      { { 2026, 6, 1, 12, 0, 13, 0 } }, 1,
      26, "2026-06-01T09:00:00+01:00", "2026-06-01T16:30:00+01:00",
      { "2026-06-01T11:30:00+01:00", "2026-06-01T13:00:00+01:00" },
      { "T11:45", "T12:", "T12:45" } },
    { "buffers against busy and hours", "Europe/London", 2026, 6, 1, 1,
      30, 10, 15, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0,
      { { 2026, 6, 1, 12, 0, 13, 0 } }, 1,
      22, "2026-06-01T09:15:00+01:00", "2026-06-01T16:15:00+01:00",
      { "2026-06-01T11:15:00+01:00", "2026-06-01T13:15:00+01:00" },
      { "T09:00", "T11:30", "T12:", "T13:00", "T16:30" } },
    { "touching busy both sides", "Europe/London", 2026, 6, 1, 1,
      30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0,
      { { 2026, 6, 1, 9, 30, 10, 0 }, { 2026, 6, 1, 10, 30, 11, 0 } }, 2,
      25, "2026-06-01T09:00:00+01:00", "2026-06-01T16:30:00+01:00",
      { "2026-06-01T10:00:00+01:00", "2026-06-01T11:00:00+01:00" },
      { "T09:15", "T09:30", "T09:45", "T10:15", "T10:30", "T10:45" } },
    { "min notice cuts the morning", "Europe/London", 2026, 6, 1, 1,
      30, 0, 0, 15, 120, 90, INT64_C(1780300800),  /* 06-01 08:00Z */
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0, { { 0 } }, 0,
      23, "2026-06-01T11:00:00+01:00", "2026-06-01T16:30:00+01:00",
      { 0 }, { "T10:" } },
    { "horizon cuts later days", "Europe/London", 2026, 6, 1, 7,
      30, 0, 0, 15, 0, 3, INT64_C(1780228800),     /* 05-31 12:00Z */
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0, { { 0 } }, 0,
      79, "2026-06-01T09:00:00+01:00", "2026-06-03T13:00:00+01:00",
      { 0 }, { "2026-06-04", "2026-06-03T13:15" } },
    { "closed-day exception", "Europe/London", 2026, 6, 1, 7,
      30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 20606, 1, 0, 0 } }, 1, { { 0 } }, 0,
      124, "2026-06-01T09:00:00+01:00", "2026-06-05T16:30:00+01:00",
      { 0 }, { "2026-06-02", "2026-06-06", "2026-06-07" } },
    { "partial time off", "Europe/London", 2026, 6, 1, 1,
      30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 20605, 1, 720, 840 } }, 1, { { 0 } }, 0,
      22, "2026-06-01T09:00:00+01:00", "2026-06-01T16:30:00+01:00",
      { "2026-06-01T11:30:00+01:00", "2026-06-01T14:00:00+01:00" },
      { "T11:45", "T12:", "T13:" } },
    { "extra opening on a Sunday", "Europe/London", 2026, 6, 6, 2,
      30, 0, 0, 15, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 20611, 0, 600, 720 } }, 1, { { 0 } }, 0,
      7, "2026-06-07T10:00:00+01:00", "2026-06-07T11:30:00+01:00",
      { 0 }, { "2026-06-06" } },
    { "service longer than the gap", "Europe/London", 2026, 6, 1, 1,
      45, 0, 0, 5, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0,
      { { 2026, 6, 1, 9, 0, 12, 0 }, { 2026, 6, 1, 12, 40, 17, 0 } }, 2,
      0, NULL, NULL, { 0 }, { 0 } },
    { "step not dividing the hour", "Europe/London", 2026, 6, 1, 1,
      30, 0, 0, 25, 0, 90, NOW0,
      { MON_FRI(540, 1020) }, 5, { { 0 } }, 0, { { 0 } }, 0,
      18, "2026-06-01T09:10:00+01:00", "2026-06-01T16:15:00+01:00",
      { "2026-06-01T09:35:00+01:00", "2026-06-01T10:00:00+01:00" },
      { "T09:00", "T09:15" } },
    { "empty hours", "Europe/London", 2026, 6, 1, 7,
      30, 0, 0, 15, 0, 90, NOW0,
      { { 0 } }, 0, { { 0 } }, 0, { { 0 } }, 0,
      0, NULL, NULL, { 0 }, { 0 } },
    /* open until midnight (end_min 1440): the slot ending at 24:00 is
     * the day's last */
    { "open until midnight", "Europe/London", 2026, 6, 1, 1,
      15, 0, 0, 15, 0, 90, NOW0,
      { { 0, 1320, 1440 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      8, "2026-06-01T22:00:00+01:00", "2026-06-01T23:45:00+01:00",
      { 0 }, { "2026-06-02" } },
    { "open until midnight, longer service", "UTC", 2026, 6, 1, 2,
      30, 0, 0, 10, 0, 90, NOW0,
      { { 0, 1380, 1440 }, { 1, 0, 60 } }, 2, { { 0 } }, 0, { { 0 } }, 0,
      8, "2026-06-01T23:00:00+00:00", "2026-06-02T00:30:00+00:00",
      { "2026-06-01T23:30:00+00:00", "2026-06-02T00:00:00+00:00" },
      { "T23:40", "T23:50" } },
    /* DST: London 2026-03-29, 01:00-02:00 local does not exist */
    { "spring forward London", "Europe/London", 2026, 3, 29, 1,
      30, 0, 0, 15, 0, 90, INT64_C(1767225600),
      { { 6, 0, 240 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      11, "2026-03-29T00:00:00+00:00", "2026-03-29T03:30:00+01:00",
      { "2026-03-29T00:45:00+00:00", "2026-03-29T02:00:00+01:00" },
      { "T01:" } },
    /* New York 2026-03-08, 02:00-03:00 local does not exist */
    { "spring forward New York", "America/New_York", 2026, 3, 8, 1,
      30, 0, 0, 15, 0, 90, INT64_C(1767225600),
      { { 6, 0, 240 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      11, "2026-03-08T00:00:00-05:00", "2026-03-08T03:30:00-04:00",
      { "2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00" },
      { "T02:" } },
    /* London 2026-10-25, 01:00-02:00 local happens twice */
    { "fall back London", "Europe/London", 2026, 10, 25, 1,
      30, 0, 0, 15, 0, 365, INT64_C(1782864000),
      { { 6, 0, 240 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      19, "2026-10-25T00:00:00+01:00", "2026-10-25T03:30:00+00:00",
      { "2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00+00:00",
        "2026-10-25T01:45:00+01:00", "2026-10-25T01:45:00+00:00" },
      { 0 } },
    { "fall back New York", "America/New_York", 2026, 11, 1, 1,
      30, 0, 0, 15, 0, 365, INT64_C(1782864000),
      { { 6, 0, 240 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      19, "2026-11-01T00:00:00-04:00", "2026-11-01T03:30:00-05:00",
      { "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00" },
      { 0 } },
    /* open only 01:00-02:00 on the repeated hour: two real hours */
    { "fall back, open in the repeated hour", "Europe/London",
      2026, 10, 25, 1, 30, 0, 0, 15, 0, 365, INT64_C(1782864000),
      { { 6, 60, 120 } }, 1, { { 0 } }, 0, { { 0 } }, 0,
      7, "2026-10-25T01:00:00+01:00", "2026-10-25T01:30:00+00:00",
      { "2026-10-25T01:45:00+01:00", "2026-10-25T01:00:00+00:00" },
      { "T01:45:00+00:00" } },
};

static void check_case(const slot_case_t *c)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    const cc_tz_t *tz = cc_tz_load(p, NULL, c->zone, &prob);
    cc_interval_t busy[MAXN];
    cc_slot_query_t q;
    apr_array_header_t *a;
    const cc_interval_t *v;
    char *all = "";
    int i, j;

    ck_assert_msg(tz != NULL, "%s", c->zone);
    for (i = 0; i < c->nbusy; i++) {
        const lbusy_t *b = &c->busy[i];

        busy[i].start = loc(tz, b->y, b->mo, b->d, b->h1, b->m1);
        busy[i].end = loc(tz, b->y, b->mo, b->d, b->h2, b->m2);
    }
    memset(&q, 0, sizeof(q));
    q.tz = tz;
    q.now = c->now;
    q.from_date = day_of(c->y, c->mo, c->d);
    q.days = c->days;
    q.duration_min = c->dur;
    q.buffer_before_min = c->before;
    q.buffer_after_min = c->after;
    q.step_min = c->step;
    q.min_notice_min = c->notice;
    q.horizon_days = c->horizon;
    q.hours = c->hours;
    q.nhours = c->nhours;
    q.exceptions = c->exc;
    q.nexceptions = c->nexc;
    q.busy = busy;
    q.nbusy = c->nbusy;

    a = cc_slots_compute(p, &q);
    ck_assert(a != NULL);
    v = (const cc_interval_t *)a->elts;
    for (i = 0; i < a->nelts; i++) {
        all = apr_pstrcat(p, all, " ", cc_tz_rfc3339(p, tz, v[i].start),
                          NULL);
        ck_assert_msg(v[i].end - v[i].start == (int64_t)c->dur * 60,
                      "%s: slot %d length", c->name, i);
        if (i > 0) {
            ck_assert_msg(v[i].start > v[i - 1].start,
                          "%s: not strictly increasing at %d", c->name, i);
        }
    }
    ck_assert_msg(a->nelts == c->count, "%s: %d slots, want %d:%s", c->name,
                  a->nelts, c->count, all);
    if (c->first) {
        ck_assert_str_eq(cc_tz_rfc3339(p, tz, v[0].start), c->first);
        ck_assert_str_eq(cc_tz_rfc3339(p, tz, v[a->nelts - 1].start),
                         c->last);
    }
    for (j = 0; j < MAXN && c->has[j]; j++) {
        ck_assert_msg(strstr(all, c->has[j]) != NULL, "%s: %s missing:%s",
                      c->name, c->has[j], all);
    }
    for (j = 0; j < MAXN && c->hasnt[j]; j++) {
        ck_assert_msg(strstr(all, c->hasnt[j]) == NULL,
                      "%s: %s offered:%s", c->name, c->hasnt[j], all);
    }
    apr_pool_destroy(p);
}

START_TEST(test_slot_cases)
{
    size_t i;

    /* dates used by the exception rows */
    ck_assert(day_of(2026, 6, 1) == 20605);
    ck_assert(day_of(2026, 6, 2) == 20606);
    ck_assert(day_of(2026, 6, 7) == 20611);
    ck_assert(utc(2026, 6, 1, 8, 0) == INT64_C(1780300800));
    ck_assert(utc(2026, 5, 31, 12, 0) == INT64_C(1780228800));
    ck_assert(utc(2026, 5, 1, 0, 0) == NOW0);
    for (i = 0; i < sizeof(slot_cases) / sizeof(slot_cases[0]); i++) {
        check_case(&slot_cases[i]);
    }
}
END_TEST

/* UTC values on the DST days, checked directly. */
START_TEST(test_slots_dst_utc)
{
    apr_pool_t *p = new_pool();
    const cc_tz_t *tz = cc_tz_load(p, NULL, "Europe/London", NULL);
    cc_hours_t h = { 6, 0, 240 };
    cc_interval_t busy;
    cc_slot_query_t q;
    apr_array_header_t *a;
    const cc_interval_t *v;
    int i;

    ck_assert(tz != NULL);
    memset(&q, 0, sizeof(q));
    q.tz = tz;
    q.now = utc(2026, 1, 1, 0, 0);
    q.from_date = day_of(2026, 3, 29);
    q.days = 1;
    q.duration_min = 30;
    q.step_min = 15;
    q.horizon_days = 365;
    q.hours = &h;
    q.nhours = 1;
    a = cc_slots_compute(p, &q);
    v = (const cc_interval_t *)a->elts;
    ck_assert_int_eq(a->nelts, 11);
    /* 00:00..00:45 GMT, then 02:00 BST = 01:00Z .. 03:30 BST = 02:30Z:
     * in UTC one unbroken 15-minute sequence. */
    for (i = 0; i < a->nelts; i++) {
        ck_assert(v[i].start == utc(2026, 3, 29, 0, 0) + i * 900);
    }

    q.from_date = day_of(2026, 10, 25);
    a = cc_slots_compute(p, &q);
    v = (const cc_interval_t *)a->elts;
    ck_assert_int_eq(a->nelts, 19);
    /* 00:00 BST = 24th 23:00Z, every 15 minutes to 03:30 GMT = 03:30Z */
    for (i = 0; i < a->nelts; i++) {
        ck_assert(v[i].start == utc(2026, 10, 24, 23, 0) + i * 900);
    }

    /* open 01:00-02:00 only, busy during the second 01:00-01:30 (GMT) */
    h.start_min = 60;
    h.end_min = 120;
    busy.start = utc(2026, 10, 25, 1, 0);
    busy.end = utc(2026, 10, 25, 1, 30);
    q.busy = &busy;
    q.nbusy = 1;
    a = cc_slots_compute(p, &q);
    v = (const cc_interval_t *)a->elts;
    ck_assert_int_eq(a->nelts, 4);
    ck_assert(v[0].start == utc(2026, 10, 25, 0, 0));    /* 01:00 BST */
    ck_assert(v[1].start == utc(2026, 10, 25, 0, 15));
    ck_assert(v[2].start == utc(2026, 10, 25, 0, 30));   /* ends at busy */
    ck_assert(v[3].start == utc(2026, 10, 25, 1, 30));   /* 01:30 GMT */
    q.busy = NULL;
    q.nbusy = 0;
    h.start_min = 0;
    h.end_min = 240;

    tz = cc_tz_load(p, NULL, "America/New_York", NULL);
    q.tz = tz;
    q.from_date = day_of(2026, 3, 8);
    a = cc_slots_compute(p, &q);
    v = (const cc_interval_t *)a->elts;
    ck_assert_int_eq(a->nelts, 11);
    ck_assert(v[0].start == utc(2026, 3, 8, 5, 0));
    ck_assert(v[7].start == utc(2026, 3, 8, 6, 45));     /* 01:45 EST */
    ck_assert(v[8].start == utc(2026, 3, 8, 7, 0));      /* 03:00 EDT */
    ck_assert(v[10].start == utc(2026, 3, 8, 7, 30));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_slots_bad_queries)
{
    apr_pool_t *p = new_pool();
    const cc_tz_t *tz = cc_tz_load(p, NULL, "UTC", NULL);
    cc_hours_t h = { 0, 540, 1020 };
    cc_slot_query_t q;

    memset(&q, 0, sizeof(q));
    ck_assert_int_eq(cc_slots_compute(p, NULL)->nelts, 0);
    ck_assert_int_eq(cc_slots_compute(p, &q)->nelts, 0);   /* no tz */
    q.tz = tz;
    q.from_date = day_of(2026, 6, 1);
    q.days = 1;
    q.duration_min = 30;
    q.step_min = 0;
    q.now = utc(2026, 1, 1, 0, 0);
    q.horizon_days = 3650;
    q.hours = &h;
    q.nhours = 1;
    ck_assert_int_eq(cc_slots_compute(p, &q)->nelts, 0);
    q.step_min = 15;
    ck_assert_int_eq(cc_slots_compute(p, &q)->nelts, 31);
    q.duration_min = 0;
    ck_assert_int_eq(cc_slots_compute(p, &q)->nelts, 0);
    q.duration_min = 30;
    q.days = 0;
    ck_assert_int_eq(cc_slots_compute(p, &q)->nelts, 0);
    apr_pool_destroy(p);
}
END_TEST


Suite *suite_slots(void)
{
    Suite *s = suite_create("slots");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_slot_cases);
    tcase_add_test(tc, test_slots_dst_utc);
    tcase_add_test(tc, test_slots_bad_queries);
    suite_add_tcase(s, tc);
    return s;
}
