/* Unit tests: cc_clinic (the model as PostgreSQL writes it, busy
 * subtraction, availability, DST days, slot and booking output). */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_clinic.h"
#include "cc_json.h"
#include "suites.h"
#include "test_cc_clinic.h"

apr_pool_t *ct_pool;

void ct_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&ct_pool, NULL), APR_SUCCESS);
}

void ct_teardown(void)
{
    apr_pool_destroy(ct_pool);
    ct_pool = NULL;
}

#define NOW0 INT64_C(1777593600)        /* 2026-05-01T00:00:00Z */

/* Settings, two active services (1: 60 min, 2: 30 min with buffers), then
 * the practitioners given. */
#define MODEL(pr) \
    "{\"version\":7,\"settings\":{\"id\":1,\"slot_step_min\":60," \
    "\"min_notice_min\":120,\"horizon_days\":90,\"cancel_cutoff_min\":1440," \
    "\"late_cancel\":\"refuse\",\"reschedule_cutoff_min\":60," \
    "\"max_reschedules\":2},\"services\":{" \
    "\"1\":{\"id\":1,\"name\":\"Peel\",\"duration_min\":60," \
    "\"buffer_before_min\":0,\"buffer_after_min\":0," \
    "\"requires_payment\":false}," \
    "\"2\":{\"id\":2,\"name\":\"Check\",\"duration_min\":30," \
    "\"buffer_before_min\":15,\"buffer_after_min\":15," \
    "\"requires_payment\":false}},\"practitioners\":[" pr "]}"

/* 10: services 1 and 2, Monday 09-12, no calendar; 20: service 1, Monday
 * 10-12, calendar cal-20; 30: service 2 and the inactive 3, Monday 09-10,
 * calendar cal-30. */
#define P10 "{\"id\":10,\"calendar_id\":null,\"services\":[1,2]," \
            "\"hours\":[[0,540,720]],\"exceptions\":[]}"
#define P20 "{\"id\":20,\"calendar_id\":\"cal-20\",\"services\":[1]," \
            "\"hours\":[[0,600,720]],\"exceptions\":[]}"
#define P30 "{\"id\":30,\"calendar_id\":\"cal-30\",\"services\":[2,3]," \
            "\"hours\":[[0,540,600]],\"exceptions\":[]}"

static const char *const model_std = MODEL(P10 "," P20 "," P30);

static cc_clinic_t *load(const char *text)
{
    cc_clinic_t *m = NULL;
    cc_problem_t prob;

    memset(&prob, 0, sizeof(prob));
    ck_assert_msg(cc_clinic_parse(&m, ct_pool, text, strlen(text), &prob)
                  == APR_SUCCESS, "%s", prob.message);
    ck_assert_ptr_nonnull(m);
    return m;
}

const cc_tz_t *ct_london(void)
{
    const cc_tz_t *tz = cc_tz_load(ct_pool, NULL, "Europe/London", NULL);

    ck_assert_ptr_nonnull(tz);
    return tz;
}

/* Monday 2026-06-01 at local (BST) hh:mm, in UTC seconds. */
int64_t ct_jun1(int h, int m)
{
    return cc_days_from_civil(2026, 6, 1) * 86400 + (h - 1) * 3600 + m * 60;
}

/* A query for Monday 1 June 2026, every calendar read. */
static void query_init(cc_clinic_query_t *q, apr_int64_t service)
{
    static const int all_read[4] = { 1, 1, 1, 1 };

    memset(q, 0, sizeof(*q));
    q->calok = all_read;
    q->tz = ct_london();
    q->now = NOW0;
    q->service = service;
    q->from_date = cc_days_from_civil(2026, 6, 1);
    q->days = 1;
}

/* The slots as "pid@HH:MM" (local, BST) joined by spaces. */
static const char *brief(const cc_clinic_avail_t *a)
{
    const char *s = "";
    int i;

    for (i = 0; i < a->slots->nelts; i++) {
        const cc_clinic_slot_t *v = &APR_ARRAY_IDX(a->slots, i,
                                                   cc_clinic_slot_t);
        int64_t local = v->start + 3600;

        s = apr_psprintf(ct_pool, "%s%s%" APR_INT64_T_FMT "@%02d:%02d", s,
                         i ? " " : "", v->practitioner,
                         (int)(local / 3600 % 24), (int)(local / 60 % 60));
    }
    return s;
}

/* "pid start end" as the busy query writes it. */
static const char *busy1(apr_int64_t pid, int64_t start, int64_t end)
{
    return apr_psprintf(ct_pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %"
                        APR_INT64_T_FMT, pid, (apr_int64_t)start,
                        (apr_int64_t)end);
}

static cc_clinic_avail_t avail(const cc_clinic_t *m,
                               const cc_clinic_query_t *q)
{
    cc_clinic_avail_t a;

    ck_assert_int_eq(cc_clinic_available(&a, ct_pool, m, q, NULL),
                     APR_SUCCESS);
    return a;
}

/* ---- the model ------------------------------------------------------------ */

START_TEST(test_parse_valid)
{
    cc_clinic_t *m = load(model_std);
    const char **cals;
    json_t *sv;
    int n;

    ck_assert_int_eq(cc_clinic_version(m), 7);
    sv = cc_clinic_service(m, 1);
    ck_assert_ptr_nonnull(sv);
    ck_assert_str_eq(json_string_value(json_object_get(sv, "name")), "Peel");
    ck_assert_ptr_nonnull(cc_clinic_service(m, 2));
    ck_assert_ptr_null(cc_clinic_service(m, 3));      /* inactive */
    ck_assert_ptr_null(cc_clinic_service(m, 0));
    ck_assert_ptr_null(cc_clinic_service(m, -1));
    ck_assert_int_eq(json_integer_value(json_object_get(
        cc_clinic_settings(m), "slot_step_min")), 60);
    /* Calendars of who does the service, in model order. */
    ck_assert_int_eq(cc_clinic_calendars(&cals, &n, ct_pool, m, 1, 0),
                     APR_SUCCESS);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(cals[0], "cal-20");
    cc_clinic_calendars(&cals, &n, ct_pool, m, 2, 0);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(cals[0], "cal-30");
    cc_clinic_calendars(&cals, &n, ct_pool, m, 1, 10);
    ck_assert_int_eq(n, 0);
    cc_clinic_calendars(&cals, &n, ct_pool, m, 1, 20);
    ck_assert_int_eq(n, 1);
    /* A service the practitioner lists but the clinic does not offer. */
    cc_clinic_calendars(&cals, &n, ct_pool, m, 3, 0);
    ck_assert_int_eq(n, 0);
    cc_clinic_calendars(&cals, &n, ct_pool, m, 99, 0);
    ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_parse_empty_clinic)
{
    cc_clinic_t *m = load("{\"version\":1,\"settings\":{},\"services\":{},"
                          "\"practitioners\":[]}");
    cc_clinic_query_t q;
    cc_clinic_avail_t a;
    cc_problem_t prob;
    const char **cals;
    int n;

    ck_assert_int_eq(cc_clinic_version(m), 1);
    ck_assert_ptr_null(cc_clinic_service(m, 1));
    cc_clinic_calendars(&cals, &n, ct_pool, m, 1, 0);
    ck_assert_int_eq(n, 0);
    query_init(&q, 1);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_available(&a, ct_pool, m, &q, &prob),
                     APR_EINVAL);
    ck_assert_int_eq(prob.status, 404);
    ck_assert_str_eq(prob.code, "unknown_service");
    ck_assert_int_eq(a.slots->nelts, 0);
    ck_assert_int_eq(a.npract, 0);
    ck_assert_uint_eq(json_array_size(a.unavailable), 0);
}
END_TEST

/* Models that must be refused, each with what is wrong. */
static const struct {
    const char *name, *text;
} bad_models[] = {
    { "not JSON", "{\"version\":" },
    { "empty", "" },
    { "an array", "[]" },
    { "duplicate key", "{\"version\":1,\"version\":2,\"settings\":{},"
      "\"services\":{},\"practitioners\":[]}" },
    { "no settings", "{\"version\":1,\"services\":{},\"practitioners\":[]}" },
    { "settings null", "{\"version\":1,\"settings\":null,\"services\":{},"
      "\"practitioners\":[]}" },
    { "no version", "{\"settings\":{},\"services\":{},"
      "\"practitioners\":[]}" },
    { "version text", "{\"version\":\"7\",\"settings\":{},\"services\":{},"
      "\"practitioners\":[]}" },
    { "services array", "{\"version\":1,\"settings\":{},\"services\":[],"
      "\"practitioners\":[]}" },
    { "practitioners object", "{\"version\":1,\"settings\":{},"
      "\"services\":{},\"practitioners\":{}}" },
    { "service without duration", "{\"version\":1,\"settings\":{},"
      "\"services\":{\"1\":{\"id\":1,\"buffer_before_min\":0,"
      "\"buffer_after_min\":0}},\"practitioners\":[]}" },
    { "service negative buffer", "{\"version\":1,\"settings\":{},"
      "\"services\":{\"1\":{\"duration_min\":30,\"buffer_before_min\":-5,"
      "\"buffer_after_min\":0}},\"practitioners\":[]}" },
    { "service a number", "{\"version\":1,\"settings\":{},"
      "\"services\":{\"1\":5},\"practitioners\":[]}" },
    { "practitioner not object", MODEL("5") },
    { "practitioner without id", MODEL("{\"calendar_id\":null,"
      "\"services\":[],\"hours\":[],\"exceptions\":[]}") },
    { "practitioner id 0", MODEL("{\"id\":0,\"services\":[],\"hours\":[],"
      "\"exceptions\":[]}") },
    { "practitioner id text", MODEL("{\"id\":\"10\",\"services\":[],"
      "\"hours\":[],\"exceptions\":[]}") },
    { "calendar a number", MODEL("{\"id\":1,\"calendar_id\":5,"
      "\"services\":[],\"hours\":[],\"exceptions\":[]}") },
    { "services missing", MODEL("{\"id\":1,\"hours\":[],"
      "\"exceptions\":[]}") },
    { "service id text", MODEL("{\"id\":1,\"services\":[\"1\"],"
      "\"hours\":[],\"exceptions\":[]}") },
    { "hours missing", MODEL("{\"id\":1,\"services\":[],"
      "\"exceptions\":[]}") },
    { "hours entry short", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,540]],\"exceptions\":[]}") },
    { "hours entry long", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,540,600,1]],\"exceptions\":[]}") },
    { "weekday 7", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[7,540,600]],\"exceptions\":[]}") },
    { "weekday -1", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[-1,540,600]],\"exceptions\":[]}") },
    { "hours end before start", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,600,540]],\"exceptions\":[]}") },
    { "hours empty range", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,600,600]],\"exceptions\":[]}") },
    { "hours past midnight", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,600,1441]],\"exceptions\":[]}") },
    { "hours start 1440", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[[0,1440,1440]],\"exceptions\":[]}") },
    { "hours as object", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[{\"weekday\":0}],\"exceptions\":[]}") },
    { "exceptions missing", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[]}") },
    { "exception closed not boolean", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[],\"exceptions\":[[20605,1,0,1440]]}") },
    { "exception short", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[],\"exceptions\":[[20605,true]]}") },
    { "exception day text", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[],\"exceptions\":[[\"2026-06-01\",true,0,1440]]}") },
    { "exception end before start", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[],\"exceptions\":[[20605,true,600,540]]}") },
    { "exception null times", MODEL("{\"id\":1,\"services\":[],"
      "\"hours\":[],\"exceptions\":[[20605,true,null,null]]}") },
};

START_TEST(test_parse_malformed)
{
    size_t i;

    for (i = 0; i < sizeof(bad_models) / sizeof(bad_models[0]); i++) {
        cc_clinic_t *m = (cc_clinic_t *)&m;
        cc_problem_t prob;
        apr_status_t rv;

        memset(&prob, 0, sizeof(prob));
        rv = cc_clinic_parse(&m, ct_pool, bad_models[i].text,
                             strlen(bad_models[i].text), &prob);
        ck_assert_msg(rv == APR_EINVAL, "%s: accepted", bad_models[i].name);
        ck_assert_msg(m == NULL, "%s: out set", bad_models[i].name);
        ck_assert_int_eq(prob.status, 500);
        ck_assert_str_eq(prob.code, "invalid_model");
    }
}
END_TEST

START_TEST(test_parse_null_and_no_problem)
{
    cc_clinic_t *m = (cc_clinic_t *)&m;

    ck_assert_int_eq(cc_clinic_parse(&m, ct_pool, NULL, 0, NULL), APR_EINVAL);
    ck_assert_ptr_null(m);
    /* prob may be NULL; a length shorter than the text is honoured. */
    ck_assert_int_eq(cc_clinic_parse(&m, ct_pool, model_std, 10, NULL),
                     APR_EINVAL);
    ck_assert_int_eq(cc_clinic_parse(&m, ct_pool, model_std, strlen(model_std),
                                     NULL), APR_SUCCESS);
}
END_TEST

/* ---- busy subtraction ----------------------------------------------------- */

static apr_array_header_t *ivs(const int64_t *v, int n)
{
    apr_array_header_t *a = apr_array_make(ct_pool, n + 1,
                                           sizeof(cc_interval_t));
    int i;

    for (i = 0; i < n; i++) {
        cc_interval_t *iv = apr_array_push(a);

        iv->start = v[2 * i];
        iv->end = v[2 * i + 1];
    }
    return a;
}

static const char *ivs_text(const apr_array_header_t *a)
{
    const char *s = "";
    int i;

    for (i = 0; i < a->nelts; i++) {
        const cc_interval_t *iv = &APR_ARRAY_IDX(a, i, cc_interval_t);

        s = apr_psprintf(ct_pool, "%s%s[%" APR_INT64_T_FMT ",%" APR_INT64_T_FMT
                         ")", s, i ? " " : "", (apr_int64_t)iv->start,
                         (apr_int64_t)iv->end);
    }
    return s;
}

static const struct {
    const char *name;
    int64_t     busy[8];
    int         n;
    int64_t     s, e;
    const char *want;
} minus_cases[] = {
    { "apart", { 0, 10, 50, 60 }, 2, 20, 30, "[0,10) [50,60)" },
    { "touching both ends", { 10, 20, 30, 40 }, 2, 20, 30,
      "[10,20) [30,40)" },
    { "overlap on the left", { 10, 25 }, 1, 20, 30, "[10,20)" },
    { "overlap on the right", { 25, 40 }, 1, 20, 30, "[30,40)" },
    { "covering the hole: split", { 0, 100 }, 1, 20, 30, "[0,20) [30,100)" },
    { "exactly the hole", { 20, 30 }, 1, 20, 30, "" },
    { "inside the hole", { 22, 28 }, 1, 20, 30, "" },
    { "hole covers everything", { 5, 10, 12, 18, 40, 50 }, 3, 0, 100, "" },
    { "same start longer", { 20, 40 }, 1, 20, 30, "[30,40)" },
    { "same end earlier start", { 10, 30 }, 1, 20, 30, "[10,20)" },
    { "overlapping busy: each cut, none merged", { 0, 25, 15, 40 }, 2, 20,
      30, "[0,20) [15,20) [30,40)" },
    { "empty hole", { 0, 100 }, 1, 50, 50, "[0,50) [50,100)" },
    { "nothing busy", { 0 }, 0, 20, 30, "" },
};

START_TEST(test_busy_minus)
{
    size_t i;

    for (i = 0; i < sizeof(minus_cases) / sizeof(minus_cases[0]); i++) {
        const char *got = ivs_text(cc_clinic_busy_minus(
            ct_pool, ivs(minus_cases[i].busy, minus_cases[i].n),
            minus_cases[i].s, minus_cases[i].e));

        ck_assert_msg(!strcmp(got, minus_cases[i].want), "%s: %s",
                      minus_cases[i].name, got);
    }
    ck_assert_int_eq(cc_clinic_busy_minus(ct_pool, NULL, 0, 10)->nelts, 0);
}
END_TEST

/* ---- availability ----------------------------------------------------------- */

START_TEST(test_available_plain)
{
    cc_clinic_t *m = load(model_std);
    apr_array_header_t *calbusy[1] = { NULL };
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    query_init(&q, 1);
    q.calbusy = calbusy;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 20@10:00 10@11:00 "
                     "20@11:00");
    ck_assert_int_eq(a.npract, 2);
    ck_assert_uint_eq(json_array_size(a.unavailable), 0);
    /* Finding a start: anyone (the first), someone, no one. */
    ck_assert_int_eq(cc_clinic_slot_find(a.slots, ct_jun1(10, 0), 0)
                     ->practitioner, 10);
    ck_assert_int_eq(cc_clinic_slot_find(a.slots, ct_jun1(10, 0), 20)
                     ->practitioner, 20);
    ck_assert_ptr_null(cc_clinic_slot_find(a.slots, ct_jun1(9, 0), 20));
    ck_assert_ptr_null(cc_clinic_slot_find(a.slots, ct_jun1(10, 30), 0));
    ck_assert_ptr_null(cc_clinic_slot_find(NULL, ct_jun1(10, 0), 0));
    /* One practitioner asked for. */
    q.practitioner = 20;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "20@10:00 20@11:00");
    ck_assert_int_eq(a.npract, 1);
    /* Someone who does not do the service. */
    q.practitioner = 30;
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 0);
    ck_assert_int_eq(a.npract, 0);
    /* Another day of the week: closed. */
    q.practitioner = 0;
    q.from_date++;
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 0);
    ck_assert_int_eq(a.npract, 2);
    /* A week: the next Monday too, in order. */
    q.from_date--;
    q.days = 8;
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 10);
    ck_assert_int_eq(APR_ARRAY_IDX(a.slots, 5, cc_clinic_slot_t).start,
                     ct_jun1(9, 0) + 7 * 86400);
}
END_TEST

START_TEST(test_available_busy_text)
{
    cc_clinic_t *m = load(model_std);
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    query_init(&q, 1);
    /* A booking of 10 at 10:00 (with its own buffers already in). */
    q.busy = busy1(10, ct_jun1(10, 0), ct_jun1(11, 0));
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 20@10:00 10@11:00 20@11:00");
    /* Touching intervals (ending at 09:00, starting at 12:00) take
     * nothing; another practitioner's busy time is not ours. */
    q.busy = apr_pstrcat(ct_pool, busy1(10, ct_jun1(8, 0), ct_jun1(9, 0)), " ",
                         busy1(10, ct_jun1(12, 0), ct_jun1(13, 0)), " ",
                         busy1(99, ct_jun1(0, 0), ct_jun1(23, 0)), NULL);
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 20@10:00 10@11:00 "
                     "20@11:00");
    /* One minute into a slot takes it. */
    q.busy = busy1(20, ct_jun1(10, 59), ct_jun1(11, 1));
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 10@11:00");
    /* Busy all day: nothing for 10. */
    q.busy = busy1(10, ct_jun1(0, 0), ct_jun1(23, 59));
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "20@10:00 20@11:00");
    /* Text that stops being numbers ends the list there. */
    q.busy = apr_pstrcat(ct_pool, busy1(10, ct_jun1(9, 0), ct_jun1(10, 0)),
                         " x ",
                         busy1(10, ct_jun1(10, 0), ct_jun1(12, 0)), NULL);
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@10:00 20@10:00 10@11:00 20@11:00");
    q.busy = "";
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 5);
}
END_TEST

START_TEST(test_available_buffers)
{
    cc_clinic_t *m = load(model_std);
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    /* Service 2: 30 minutes with 15 before and after, on a 60-minute
     * step: 09:00 would need the closed 08:45. */
    query_init(&q, 2);
    q.practitioner = 10;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@10:00 10@11:00");
    /* A booking ending 09:45 leaves 10:00 (its buffer starts then). */
    q.busy = busy1(10, ct_jun1(9, 0), ct_jun1(9, 45));
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@10:00 10@11:00");
    q.busy = busy1(10, ct_jun1(9, 0), ct_jun1(9, 46));
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@11:00");
}
END_TEST

START_TEST(test_available_calendars)
{
    cc_clinic_t *m = load(model_std);
    apr_array_header_t *calbusy[1];
    int calok[1] = { 0 };
    int64_t cb[2];
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    query_init(&q, 1);
    /* The calendar could not be read: 20 is not offered, and said so. */
    q.calok = calok;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 10@11:00");
    ck_assert_int_eq(a.npract, 2);
    ck_assert_uint_eq(json_array_size(a.unavailable), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(a.unavailable, 0)),
                     20);
    /* No answer at all counts as unreadable. */
    q.calok = NULL;
    a = avail(m, &q);
    ck_assert_uint_eq(json_array_size(a.unavailable), 1);
    /* Calendar busy 10:00-12:00 takes 20's slots. */
    cb[0] = ct_jun1(10, 0);
    cb[1] = ct_jun1(12, 0);
    calbusy[0] = ivs(cb, 1);
    calok[0] = 1;
    q.calok = calok;
    q.calbusy = calbusy;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 10@11:00");
    ck_assert_uint_eq(json_array_size(a.unavailable), 0);
    /* Moving 20's own 10:00 booking: its event is no conflict for it. */
    q.own_practitioner = 20;
    q.own.start = ct_jun1(10, 0);
    q.own.end = ct_jun1(11, 0);
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 20@10:00 10@11:00");
    /* ... but for a booking of 10 it still is. */
    q.own_practitioner = 10;
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@09:00 10@10:00 10@11:00");
    /* The caller's calendar array is not changed by the subtraction. */
    ck_assert_int_eq(calbusy[0]->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(calbusy[0], 0, cc_interval_t).end,
                     ct_jun1(12, 0));
}
END_TEST

START_TEST(test_available_exceptions)
{
    int64_t mon = cc_days_from_civil(2026, 6, 1);
    cc_clinic_t *m;
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    /* Closed all day (as the schema stores it: 0..1440). */
    m = load(apr_psprintf(ct_pool, MODEL("{\"id\":10,\"services\":[1],"
        "\"hours\":[[0,540,720]],\"exceptions\":[[%" APR_INT64_T_FMT
        ",true,0,1440]]}"), (apr_int64_t)mon));
    query_init(&q, 1);
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 0);
    q.from_date += 7;           /* the next Monday is open */
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 3);
    /* Time off 09:00-10:00. */
    m = load(apr_psprintf(ct_pool, MODEL("{\"id\":10,\"services\":[1],"
        "\"hours\":[[0,540,720]],\"exceptions\":[[%" APR_INT64_T_FMT
        ",true,540,600]]}"), (apr_int64_t)mon));
    query_init(&q, 1);
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@10:00 10@11:00");
    /* Extra opening on the Sunday before. */
    m = load(apr_psprintf(ct_pool, MODEL("{\"id\":10,\"services\":[1],"
        "\"hours\":[[0,540,720]],\"exceptions\":[[%" APR_INT64_T_FMT
        ",false,600,720]]}"), (apr_int64_t)(mon - 1)));
    query_init(&q, 1);
    q.from_date = mon - 1;
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(a.slots, 0, cc_clinic_slot_t).start,
                     ct_jun1(10, 0) - 86400);
}
END_TEST

START_TEST(test_available_notice)
{
    cc_clinic_t *m = load(model_std);
    cc_clinic_query_t q;
    cc_clinic_avail_t a;

    /* Now 07:30 local with 120 minutes' notice: 09:00 is too soon. */
    query_init(&q, 1);
    q.now = ct_jun1(7, 30);
    a = avail(m, &q);
    ck_assert_str_eq(brief(&a), "10@10:00 20@10:00 10@11:00 20@11:00");
}
END_TEST

/* London 2026-03-29: 01:00-02:00 local does not exist. */
START_TEST(test_available_dst)
{
    const char *sunday = "{\"id\":10,\"services\":[1],\"calendar_id\":null,"
                         "\"hours\":[[6,0,240]],\"exceptions\":[]}";
    const char *model = apr_pstrcat(ct_pool, "{\"version\":1,\"settings\":"
        "{\"slot_step_min\":30,\"min_notice_min\":0,\"horizon_days\":365},"
        "\"services\":{\"1\":{\"duration_min\":30,\"buffer_before_min\":0,"
        "\"buffer_after_min\":0}},\"practitioners\":[", sunday, "]}", NULL);
    cc_clinic_t *m = load(model);
    cc_clinic_query_t q;
    cc_clinic_avail_t a;
    const char *text;

    query_init(&q, 1);
    q.now = INT64_C(1767225600);        /* 2026-01-01 */
    q.from_date = cc_days_from_civil(2026, 3, 29);
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 6);
    text = cc_clinic_slots_text(ct_pool, q.tz, a.slots);
    ck_assert_ptr_nonnull(strstr(text, "\"start\":\"2026-03-29T00:00:00"
                                       "+00:00\""));
    ck_assert_ptr_nonnull(strstr(text, "\"start\":\"2026-03-29T02:00:00"
                                       "+01:00\""));
    ck_assert_ptr_nonnull(strstr(text, "\"end\":\"2026-03-29T04:00:00"
                                       "+01:00\""));
    ck_assert_ptr_null(strstr(text, "T01:"));
    /* A booking 02:00-02:30 BST (01:00Z) takes that slot only. */
    q.busy = busy1(10, cc_days_from_civil(2026, 3, 29) * 86400 + 3600,
                   cc_days_from_civil(2026, 3, 29) * 86400 + 5400);
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 5);
    ck_assert_ptr_null(strstr(cc_clinic_slots_text(ct_pool, q.tz, a.slots),
                              "\"start\":\"2026-03-29T02:00:00+01:00\""));
    /* 2026-10-25: 01:00-02:00 happens twice, both offered. */
    q.from_date = cc_days_from_civil(2026, 10, 25);
    q.busy = NULL;
    a = avail(m, &q);
    ck_assert_int_eq(a.slots->nelts, 10);
    text = cc_clinic_slots_text(ct_pool, q.tz, a.slots);
    ck_assert_ptr_nonnull(strstr(text, "2026-10-25T01:00:00+01:00"));
    ck_assert_ptr_nonnull(strstr(text, "2026-10-25T01:00:00+00:00"));
}
END_TEST

/* ---- why no slot ---------------------------------------------------------- */

START_TEST(test_no_slot_why)
{
    cc_clinic_t *m = load(model_std);
    const json_t *st = cc_clinic_settings(m);
    const cc_tz_t *tz = ct_london();
    int64_t now = ct_jun1(6, 0);
    cc_problem_t prob;

    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, ct_jun1(9, 0), now, &prob),
                     APR_SUCCESS);
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, ct_jun1(9, 30), now, &prob),
                     APR_EINVAL);
    ck_assert_int_eq(prob.status, 422);
    ck_assert_str_eq(prob.code, "misaligned_start");
    ck_assert_str_eq(prob.message, "appointments start every 60 minutes; "
                     "use a start from GET /api/slots");
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, ct_jun1(9, 0) + 1, now,
                                           &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "misaligned_start");
    /* 120 minutes' notice: 08:00 from 06:00 is just enough, 07:00 not. */
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, ct_jun1(8, 0), now, &prob),
                     APR_SUCCESS);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, ct_jun1(7, 0), now, &prob),
                     APR_EINVAL);
    ck_assert_str_eq(prob.code, "too_soon");
    ck_assert_str_eq(prob.message, "bookings need at least 120 minutes' "
                     "notice");
    /* 90 days ahead is the last; a day more is too far. */
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, now + 90 * 86400, now,
                                           &prob), APR_SUCCESS);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_clinic_no_slot_why(st, tz, now + 91 * 86400, now,
                                           &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "too_far_ahead");
    ck_assert_str_eq(prob.message, "bookings open 90 days ahead");
    /* No step in the settings: never aligned. */
    ck_assert_int_eq(cc_clinic_no_slot_why(NULL, tz, ct_jun1(9, 0), now, NULL),
                     APR_EINVAL);
}
END_TEST

START_TEST(test_start_whole_and_local_day)
{
    const cc_tz_t *tz = ct_london();

    ck_assert(cc_clinic_start_whole("2026-06-01T10:00:00+01:00"));
    ck_assert(cc_clinic_start_whole("2026-06-01T10:00:00.000+01:00"));
    ck_assert(cc_clinic_start_whole("2026-06-01T10:00:00.Z"));
    ck_assert(!cc_clinic_start_whole("2026-06-01T10:00:00.5+01:00"));
    ck_assert(!cc_clinic_start_whole("2026-06-01T10:00:00.0001Z"));
    ck_assert(cc_clinic_start_whole(NULL));
    /* 23:30Z on 1 July is already 2 July in London. */
    ck_assert_int_eq(cc_clinic_local_day(tz, cc_days_from_civil(2026, 7, 1)
                                         * 86400 + 23 * 3600 + 1800),
                     cc_days_from_civil(2026, 7, 2));
    ck_assert_int_eq(cc_clinic_local_day(tz, cc_days_from_civil(2026, 1, 1)
                                         * 86400 + 23 * 3600 + 1800),
                     cc_days_from_civil(2026, 1, 1));
}
END_TEST

Suite *suite_clinic(void)
{
    Suite *s = suite_create("clinic");
    TCase *tc = tcase_create("model");
    TCase *ta = tcase_create("availability");

    tcase_add_checked_fixture(tc, ct_setup, ct_teardown);
    tcase_add_test(tc, test_parse_valid);
    tcase_add_test(tc, test_parse_empty_clinic);
    tcase_add_test(tc, test_parse_malformed);
    tcase_add_test(tc, test_parse_null_and_no_problem);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(ta, ct_setup, ct_teardown);
    tcase_add_test(ta, test_busy_minus);
    tcase_add_test(ta, test_available_plain);
    tcase_add_test(ta, test_available_busy_text);
    tcase_add_test(ta, test_available_buffers);
    tcase_add_test(ta, test_available_calendars);
    tcase_add_test(ta, test_available_exceptions);
    tcase_add_test(ta, test_available_notice);
    tcase_add_test(ta, test_available_dst);
    tcase_add_test(ta, test_no_slot_why);
    tcase_add_test(ta, test_start_whole_and_local_day);
    suite_add_tcase(s, ta);
    return s;
}
