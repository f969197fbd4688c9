/* Unit tests: cc_hours (staff presence from weekly hours and exceptions:
 * now, until, next; holidays, time off, extra openings, closures and
 * shifts across midnight, no hours at all, London's DST change days) and
 * the clinic model's part of it (cc_clinic_schedules, _when_words). */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_hours.h"
#include "cc_clinic.h"
#include "suites.h"

#define MAXN 8
#define MAXP 3

static apr_pool_t *hp;

static void hr_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&hp, NULL), APR_SUCCESS);
}

static void hr_teardown(void)
{
    apr_pool_destroy(hp);
    hp = NULL;
}

static const cc_tz_t *london(void)
{
    cc_problem_t prob;
    const cc_tz_t *tz;

    memset(&prob, 0, sizeof(prob));
    tz = cc_tz_load(hp, NULL, "Europe/London", &prob);
    ck_assert_msg(tz != NULL, "Europe/London: %s", prob.message);
    return tz;
}

/* A local wall time; for an ambiguous one (DST end), `second` picks the
 * later instant. */
typedef struct lt_t {
    int y, mo, d, h, mi, second;
} lt_t;

static int64_t at(const cc_tz_t *tz, lt_t l)
{
    cc_civil_t c = { l.y, l.mo, l.d, l.h, l.mi, 0 };
    int64_t t = 0, t2 = 0;
    int rc = cc_tz_to_utc(tz, &c, &t, &t2);

    ck_assert_msg(rc != 0, "%04d-%02d-%02d %02d:%02d does not exist", l.y,
                  l.mo, l.d, l.h, l.mi);
    return rc == 2 && l.second ? t2 : t;
}

/* An exception on a local date. */
typedef struct lexc_t {
    int y, mo, d, closed, start_min, end_min;
} lexc_t;

typedef struct lsched_t {
    cc_hours_t hours[MAXN];
    int        nhours;
    lexc_t     exc[MAXN];
    int        nexc;
} lsched_t;

#define WEEK(a, b) { 0, a, b }, { 1, a, b }, { 2, a, b }, { 3, a, b }, \
                   { 4, a, b }, { 5, a, b }, { 6, a, b }
#define MON_FRI(a, b) { 0, a, b }, { 1, a, b }, { 2, a, b }, { 3, a, b }, \
                      { 4, a, b }

typedef struct hr_case_t {
    const char *name;
    lt_t        now;
    lsched_t    s[MAXP];
    int         n;
    int         available;
    const char *until;      /* RFC 3339 in London, or NULL: none */
    const char *next;       /* RFC 3339 in London, or NULL: none */
} hr_case_t;

/* 2026-12-07 is a Monday; Wednesday 9 December is a clinic holiday in the
 * cases that say so (every practitioner's list holds it, as the model
 * writes clinic-wide exceptions). */
static const hr_case_t hr_cases[] = {
    { "weekday hours, inside", { 2026, 12, 8, 10, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 1,
      1, "2026-12-08T17:00:00+00:00", NULL },
    { "at opening is in, at closing is out", { 2026, 12, 8, 9, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 1,
      1, "2026-12-08T17:00:00+00:00", NULL },
    { "at the closing minute: next morning", { 2026, 12, 8, 17, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-12-09T09:00:00+00:00" },
    { "before opening the same day", { 2026, 12, 8, 7, 30, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-12-08T09:00:00+00:00" },
    { "Friday evening: Monday", { 2026, 12, 11, 18, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-12-14T09:00:00+00:00" },
    { "clinic holiday skipped", { 2026, 12, 8, 18, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 9, 1, 0, 0 } }, 1 },
        { { MON_FRI(600, 960) }, 5, { { 2026, 12, 9, 1, 0, 1440 } }, 1 } },
      2, 0, NULL, "2026-12-10T09:00:00+00:00" },
    { "during a clinic holiday", { 2026, 12, 9, 11, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 9, 1, 0, 0 } }, 1 } },
      1, 0, NULL, "2026-12-10T09:00:00+00:00" },
    { "closure spanning midnight: inside", { 2026, 12, 8, 21, 0, 0 },
      { { { WEEK(0, 1440) }, 7, { { 2026, 12, 8, 1, 1200, 1440 },
                                   { 2026, 12, 9, 1, 0, 480 } }, 2 } }, 1,
      0, NULL, "2026-12-09T08:00:00+00:00" },
    { "closure spanning midnight: after midnight", { 2026, 12, 9, 3, 0, 0 },
      { { { WEEK(0, 1440) }, 7, { { 2026, 12, 8, 1, 1200, 1440 },
                                   { 2026, 12, 9, 1, 0, 480 } }, 2 } }, 1,
      0, NULL, "2026-12-09T08:00:00+00:00" },
    { "closure spanning midnight: just before", { 2026, 12, 8, 19, 59, 0 },
      { { { WEEK(0, 1440) }, 7, { { 2026, 12, 8, 1, 1200, 1440 },
                                   { 2026, 12, 9, 1, 0, 480 } }, 2 } }, 1,
      1, "2026-12-08T20:00:00+00:00", NULL },
    { "night shift across midnight is one stretch", { 2026, 12, 8, 23, 30,
                                                      0 },
      { { { { 1, 1320, 1440 }, { 2, 0, 360 } }, 2, { { 0 } }, 0 } }, 1,
      1, "2026-12-09T06:00:00+00:00", NULL },
    { "night shift, after midnight", { 2026, 12, 9, 0, 30, 0 },
      { { { { 1, 1320, 1440 }, { 2, 0, 360 } }, 2, { { 0 } }, 0 } }, 1,
      1, "2026-12-09T06:00:00+00:00", NULL },
    { "extra opening on a closed day", { 2026, 12, 11, 18, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 12, 0, 600, 780 } }, 1 } },
      1, 0, NULL, "2026-12-12T10:00:00+00:00" },
    { "extra opening of someone without weekly hours",
      { 2026, 12, 12, 11, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 },
        { { { 0 } }, 0, { { 2026, 12, 12, 0, 600, 780 } }, 1 } }, 2,
      1, "2026-12-12T13:00:00+00:00", NULL },
    { "closure wins over an extra opening", { 2026, 12, 11, 18, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 12, 0, 600, 780 },
                                       { 2026, 12, 12, 1, 0, 1440 } }, 2 } },
      1, 0, NULL, "2026-12-14T09:00:00+00:00" },
    { "one on time off, another there", { 2026, 12, 8, 10, 0, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 8, 1, 0, 0 } }, 1 },
        { { MON_FRI(540, 1020) }, 5, { { 0 } }, 0 } }, 2,
      1, "2026-12-08T17:00:00+00:00", NULL },
    { "overlapping hours merge", { 2026, 12, 8, 15, 0, 0 },
      { { { MON_FRI(540, 780) }, 5, { { 0 } }, 0 },
        { { MON_FRI(720, 1080) }, 5, { { 0 } }, 0 } }, 2,
      1, "2026-12-08T18:00:00+00:00", NULL },
    { "clinic-wide part-day closure", { 2026, 12, 8, 12, 30, 0 },
      { { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 8, 1, 720, 840 } }, 1 },
        { { MON_FRI(540, 1020) }, 5, { { 2026, 12, 8, 1, 720, 840 } }, 1 } },
      2, 0, NULL, "2026-12-08T14:00:00+00:00" },
    { "no practitioners", { 2026, 12, 8, 10, 0, 0 }, { { { { 0 } }, 0,
                                                       { { 0 } }, 0 } }, 0,
      0, NULL, NULL },
    { "no hours at all", { 2026, 12, 8, 10, 0, 0 },
      { { { { 0 } }, 0, { { 0 } }, 0 }, { { { 0 } }, 0, { { 0 } }, 0 } }, 2,
      0, NULL, NULL },
    { "nothing within 14 days", { 2026, 12, 8, 10, 0, 0 },
      { { { { 0 } }, 0, { { 2026, 12, 28, 0, 540, 1020 } }, 1 } }, 1,
      0, NULL, NULL },
    { "the 14th day still counts", { 2026, 12, 8, 10, 0, 0 },
      { { { { 0 } }, 0, { { 2026, 12, 22, 0, 540, 1020 } }, 1 } }, 1,
      0, NULL, "2026-12-22T09:00:00+00:00" },
    { "always open: no end within the search", { 2026, 12, 8, 10, 0, 0 },
      { { { WEEK(0, 1440) }, 7, { { 0 } }, 0 } }, 1, 1, NULL, NULL },
    /* Europe/London: Sunday 29 March 2026 01:00 GMT -> 02:00 BST;
     * Sunday 25 October 2026 02:00 BST -> 01:00 GMT. */
    { "spring change day: 09:00 is BST", { 2026, 3, 28, 18, 0, 0 },
      { { { { 6, 540, 1020 } }, 1, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-03-29T09:00:00+01:00" },
    { "spring change day: a start in the gap", { 2026, 3, 28, 23, 0, 0 },
      { { { { 6, 90, 180 } }, 1, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-03-29T02:00:00+01:00" },
    { "spring change day: the whole day is 23 hours",
      { 2026, 3, 29, 12, 0, 0 },
      { { { { 6, 0, 1440 } }, 1, { { 0 } }, 0 } }, 1,
      1, "2026-03-30T00:00:00+01:00", NULL },
    { "spring: Saturday night to Sunday", { 2026, 3, 28, 23, 30, 0 },
      { { { { 5, 1380, 1440 }, { 6, 0, 240 } }, 2, { { 0 } }, 0 } }, 1,
      1, "2026-03-29T04:00:00+01:00", NULL },
    { "autumn change day: 09:00 is GMT", { 2026, 10, 24, 18, 0, 0 },
      { { { { 6, 540, 1020 } }, 1, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-10-25T09:00:00+00:00" },
    { "autumn change day: an ambiguous start, its first instant",
      { 2026, 10, 24, 23, 0, 0 },
      { { { { 6, 90, 150 } }, 1, { { 0 } }, 0 } }, 1,
      0, NULL, "2026-10-25T01:30:00+01:00" },
    { "autumn change day: in the repeated hour, until its second 02:30",
      { 2026, 10, 25, 1, 45, 0 },
      { { { { 6, 90, 150 } }, 1, { { 0 } }, 0 } }, 1,
      1, "2026-10-25T02:30:00+00:00", NULL },
    { "autumn change day: the second 01:45 is still in",
      { 2026, 10, 25, 1, 45, 1 },
      { { { { 6, 90, 150 } }, 1, { { 0 } }, 0 } }, 1,
      1, "2026-10-25T02:30:00+00:00", NULL },
};

static void run_case(const hr_case_t *c)
{
    const cc_tz_t *tz = london();
    cc_hours_sched_t s[MAXP];
    cc_exception_t exc[MAXP][MAXN];
    cc_hours_status_t st;
    int64_t now = at(tz, c->now);
    int i, k;

    memset(s, 0, sizeof(s));
    for (i = 0; i < c->n; i++) {
        for (k = 0; k < c->s[i].nexc; k++) {
            const lexc_t *e = &c->s[i].exc[k];

            exc[i][k].date = cc_days_from_civil(e->y, e->mo, e->d);
            exc[i][k].closed = e->closed;
            exc[i][k].start_min = e->start_min;
            exc[i][k].end_min = e->end_min;
        }
        s[i].hours = c->s[i].hours;
        s[i].nhours = c->s[i].nhours;
        s[i].exceptions = exc[i];
        s[i].nexceptions = c->s[i].nexc;
    }
    ck_assert_int_eq(cc_hours_status(&st, hp, tz, now, s, c->n,
                                     CC_HOURS_SEARCH_DAYS), APR_SUCCESS);
    ck_assert_msg(st.available == c->available, "%s: available %d",
                  c->name, st.available);
    if (c->until) {
        ck_assert_msg(st.has_until, "%s: no until", c->name);
        ck_assert_str_eq(cc_tz_rfc3339(hp, tz, st.until), c->until);
        ck_assert(cc_hours_changes_at(&st) == st.until);
    }
    else {
        ck_assert_msg(!st.has_until, "%s: until %s", c->name,
                      cc_tz_rfc3339(hp, tz, st.until));
    }
    if (c->next) {
        ck_assert_msg(st.has_next, "%s: no next", c->name);
        ck_assert_str_eq(cc_tz_rfc3339(hp, tz, st.next), c->next);
        ck_assert(cc_hours_changes_at(&st) == st.next);
    }
    else {
        ck_assert_msg(!st.has_next, "%s: next %s", c->name,
                      cc_tz_rfc3339(hp, tz, st.next));
    }
    if (!c->until && !c->next) {
        ck_assert(cc_hours_changes_at(&st) == 0);
    }
}

START_TEST(test_hours_cases)
{
    run_case(&hr_cases[_i]);
}
END_TEST

/* The day rule itself, and the model's whole-day closure form (0, 0). */
START_TEST(test_hours_day_open)
{
    static const cc_hours_t h[] = { { 1, 540, 1020 }, { 1, 1000, 1100 } };
    int64_t tue = cc_days_from_civil(2026, 12, 8);
    cc_exception_t x[3];
    unsigned char map[CC_HOURS_DAY_MIN];
    int m, open = 0;

    cc_hours_day_open(map, tue, h, 2, NULL, 0);
    for (m = 0; m < CC_HOURS_DAY_MIN; m++) {
        open += map[m];
    }
    ck_assert_int_eq(open, 1100 - 540);
    ck_assert(!map[539] && map[540] && map[1099] && !map[1100]);
    /* The next day (Wednesday) has none of it. */
    cc_hours_day_open(map, tue + 1, h, 2, NULL, 0);
    ck_assert(memchr(map, 1, sizeof(map)) == NULL);
    /* Time off 12:00-13:00, an extra 18:30-19:00 on that date only. */
    memset(x, 0, sizeof(x));
    x[0].date = tue;
    x[0].closed = 1;
    x[0].start_min = 720;
    x[0].end_min = 780;
    x[1].date = tue;
    x[1].start_min = 1110;
    x[1].end_min = 1140;
    x[2].date = tue + 7;
    x[2].closed = 1;        /* whole day, as cc_clinic stores it */
    cc_hours_day_open(map, tue, h, 2, x, 3);
    ck_assert(map[719] && !map[720] && !map[779] && map[780]);
    ck_assert(!map[1100] && map[1110] && map[1139] && !map[1140]);
    cc_hours_day_open(map, tue + 7, h, 2, x, 3);
    ck_assert(memchr(map, 1, sizeof(map)) == NULL);
}
END_TEST

START_TEST(test_hours_bad_input)
{
    cc_hours_status_t st;

    ck_assert_int_eq(cc_hours_status(&st, hp, NULL, 0, NULL, 0, 14),
                     APR_EINVAL);
    ck_assert(!st.available && !st.has_next);
    ck_assert_int_eq(cc_hours_status(&st, hp, london(), 0, NULL, 0, -1),
                     APR_EINVAL);
}
END_TEST

/* From the model as PostgreSQL writes it: the clinic-wide holiday comes
 * in every practitioner's list; a closed whole day is [day, true, 0,
 * 1440]. */
#define HR_MODEL(pr) \
    "{\"version\":3,\"settings\":{\"id\":1,\"clinic_name\":\"Harbour " \
    "Skin Clinic\",\"slot_step_min\":15},\"services\":{}," \
    "\"practitioners\":[" pr "]}"

START_TEST(test_hours_from_model)
{
    const cc_tz_t *tz = london();
    int64_t wed = cc_days_from_civil(2026, 12, 9), sat = wed + 3;
    const char *text = apr_psprintf(hp, HR_MODEL(
        "{\"id\":1,\"calendar_id\":null,\"services\":[],"
        "\"hours\":[[0,540,1020],[1,540,1020],[2,540,1020],[3,540,1020],"
        "[4,540,1020]],\"exceptions\":[[%" APR_INT64_T_FMT ",true,0,1440]]},"
        "{\"id\":2,\"calendar_id\":null,\"services\":[],\"hours\":[],"
        "\"exceptions\":[[%" APR_INT64_T_FMT ",true,0,1440],[%"
        APR_INT64_T_FMT ",false,600,780]]}"),
        (apr_int64_t)wed, (apr_int64_t)wed, (apr_int64_t)sat);
    const cc_hours_sched_t *s;
    cc_hours_status_t st;
    cc_clinic_t *m;
    cc_problem_t prob;
    lt_t tue_eve = { 2026, 12, 8, 18, 0, 0 }, fri_eve = { 2026, 12, 11, 18,
                                                          0, 0 };
    int n = 0;

    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_parse(&m, hp, text, strlen(text), &prob),
                     APR_SUCCESS);
    ck_assert_str_eq(cc_clinic_name(m), "Harbour Skin Clinic");
    s = cc_clinic_schedules(m, hp, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(s[0].nhours, 5);
    ck_assert_int_eq(s[1].nexceptions, 2);
    cc_hours_status(&st, hp, tz, at(tz, tue_eve), s, n,
                    CC_HOURS_SEARCH_DAYS);
    ck_assert(!st.available && st.has_next);
    ck_assert_str_eq(cc_tz_rfc3339(hp, tz, st.next),
                     "2026-12-10T09:00:00+00:00");
    cc_hours_status(&st, hp, tz, at(tz, fri_eve), s, n,
                    CC_HOURS_SEARCH_DAYS);
    ck_assert_str_eq(cc_tz_rfc3339(hp, tz, st.next),
                     "2026-12-12T10:00:00+00:00");
    ck_assert_str_eq(cc_clinic_when_words(hp, tz, st.next),
                     "Saturday 12 December at 10:00");
}
END_TEST

START_TEST(test_hours_when_words)
{
    const cc_tz_t *tz = london();
    lt_t mon = { 2026, 12, 14, 9, 0, 0 }, spring = { 2026, 3, 29, 9, 0, 0 },
         autumn = { 2026, 10, 25, 1, 30, 1 };

    ck_assert_str_eq(cc_clinic_when_words(hp, tz, at(tz, mon)),
                     "Monday 14 December at 09:00");
    /* 08:00Z on the spring change day is 09:00 BST. */
    ck_assert_str_eq(cc_clinic_when_words(hp, tz, at(tz, spring)),
                     "Sunday 29 March at 09:00");
    ck_assert(at(tz, spring) % 86400 == 8 * 3600);
    ck_assert_str_eq(cc_clinic_when_words(hp, tz, at(tz, autumn)),
                     "Sunday 25 October at 01:30");
}
END_TEST

Suite *suite_hours(void)
{
    Suite *s = suite_create("hours");
    TCase *tc = tcase_create("presence");

    tcase_add_checked_fixture(tc, hr_setup, hr_teardown);
    tcase_add_loop_test(tc, test_hours_cases, 0,
                        (int)(sizeof(hr_cases) / sizeof(hr_cases[0])));
    tcase_add_test(tc, test_hours_day_open);
    tcase_add_test(tc, test_hours_bad_input);
    tcase_add_test(tc, test_hours_from_model);
    tcase_add_test(tc, test_hours_when_words);
    suite_add_tcase(s, tc);
    return s;
}
