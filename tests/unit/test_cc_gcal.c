/* Unit tests: cc_gcal, calendar calls (event ids and bodies, freeBusy
 * bodies and parsing, retry decision, backoff).  The service-account key,
 * JWT and token reply: test_cc_gcal_auth.c.
 *
 * Known-answer event ids come from
 *   printf 'concierge-booking:42' | openssl dgst -sha256 -hmac clinic-salt
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include "cc_gcal.h"
#include "cc_slots.h"
#include "cc_time.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* ---- event ids ----------------------------------------------------------- */

START_TEST(test_event_id_known)
{
    apr_pool_t *p = new_pool();

    ck_assert_str_eq(cc_gcal_event_id(p, "clinic-salt", 42),
                     "7c9525fd8718753c3494eabe1509caf1");
    ck_assert_str_eq(cc_gcal_event_id(p, "k", -7),
                     "84cd9018708f7a7ebd00d5e5e17625de");
    ck_assert_str_eq(cc_gcal_event_id(p, "clinic-salt", 42),
                     cc_gcal_event_id(p, "clinic-salt", 42));
    ck_assert_str_ne(cc_gcal_event_id(p, "clinic-salt", 42),
                     cc_gcal_event_id(p, "clinic-salt2", 42));
    ck_assert_str_ne(cc_gcal_event_id(p, "clinic-salt", 42),
                     cc_gcal_event_id(p, "clinic-salt", 43));
    ck_assert_ptr_null(cc_gcal_event_id(p, NULL, 42));
    ck_assert_ptr_null(cc_gcal_event_id(p, "", 42));
    ck_assert_ptr_null(cc_gcal_event_id(NULL, "s", 42));
    ck_assert_ptr_nonnull(cc_gcal_event_id(p, "s", INT64_MAX));
    ck_assert_ptr_nonnull(cc_gcal_event_id(p, "s", INT64_MIN));
    apr_pool_destroy(p);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(test_event_id_distinct)
{
    enum { M = 3000 };
    apr_pool_t *p = new_pool();
    char **ids = apr_palloc(p, sizeof(char *) * M);
    int i;

    for (i = 0; i < M; i++) {
        ids[i] = cc_gcal_event_id(p, i % 2 ? "salt-a" : "salt-b", i / 2);
        ck_assert_ptr_nonnull(ids[i]);
        ck_assert_int_eq(strlen(ids[i]), 32);
        ck_assert_msg(cc_gcal_event_id_valid(ids[i]), "%s", ids[i]);
    }
    qsort(ids, M, sizeof(char *), cmp_str);
    for (i = 1; i < M; i++) {
        ck_assert_str_ne(ids[i - 1], ids[i]);
    }
    apr_pool_destroy(p);
}
END_TEST

typedef struct id_case_t {
    const char *id;
    int ok;
} id_case_t;

static const id_case_t id_cases[] = {
    { "abcde", 1 },
    { "0123456789abcdefghijklmnopqrstuv", 1 },
    { "00000", 1 },
    { "abcd", 0 },
    { "", 0 },
    { "abcdw", 0 },                 /* w is past base32hex */
    { "abcdz", 0 },
    { "ABCDE", 0 },
    { "abc-de", 0 },
    { "abc_de", 0 },
    { "abc de", 0 },
    { "abcde\n", 0 },
    { "abc\xc3\xa9" "de", 0 },
};

START_TEST(test_event_id_valid)
{
    ck_assert_msg(cc_gcal_event_id_valid(id_cases[_i].id) == id_cases[_i].ok,
                  "%s", id_cases[_i].id);
}
END_TEST

START_TEST(test_event_id_valid_length)
{
    char buf[1027];

    memset(buf, 'v', sizeof(buf));
    buf[1024] = '\0';
    ck_assert_int_eq(cc_gcal_event_id_valid(buf), 1);
    buf[1024] = 'v';
    buf[1025] = '\0';
    ck_assert_int_eq(cc_gcal_event_id_valid(buf), 0);
    ck_assert_int_eq(cc_gcal_event_id_valid(NULL), 0);
}
END_TEST

/* ---- event body ---------------------------------------------------------- */

#define EID "7c9525fd8718753c3494eabe1509caf1"
#define T1 "2026-03-29T09:00:00+01:00"
#define T2 "2026-03-29T09:30:00+01:00"
#define TZ "Europe/London"

START_TEST(test_event_body_exact)
{
    apr_pool_t *p = new_pool();

    ck_assert_str_eq(cc_gcal_event_body(p, EID, "Consultation",
                                        "Booking 42", T1, T2, TZ),
                     "{\"id\":\"" EID "\",\"summary\":\"Consultation\","
                     "\"description\":\"Booking 42\","
                     "\"start\":{\"dateTime\":\"" T1 "\","
                     "\"timeZone\":\"Europe/London\"},"
                     "\"end\":{\"dateTime\":\"" T2 "\","
                     "\"timeZone\":\"Europe/London\"}}");
    /* Optional members left out. */
    ck_assert_str_eq(cc_gcal_event_body(p, NULL, NULL, NULL,
                                        "2026-11-26T13:00:00Z",
                                        "2026-11-26T13:45:00Z", "UTC"),
                     "{\"start\":{\"dateTime\":\"2026-11-26T13:00:00Z\","
                     "\"timeZone\":\"UTC\"},"
                     "\"end\":{\"dateTime\":\"2026-11-26T13:45:00Z\","
                     "\"timeZone\":\"UTC\"}}");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_event_body_escaping)
{
    apr_pool_t *p = new_pool();
    const char *summary = "Dr \"Who\" \\ back\nslash \xc3\xa9t\xc3\xa9 \x01";
    char *body = cc_gcal_event_body(p, EID, summary, "</script>", T1, T2,
                                    "America/Argentina/Buenos_Aires");
    json_error_t err;
    json_t *j;

    ck_assert_ptr_nonnull(body);
    j = json_loads(body, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(j != NULL, "not JSON: %s", err.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "summary")),
                     summary);
    ck_assert_str_eq(json_string_value(json_object_get(j, "description")),
                     "</script>");
    ck_assert_ptr_null(json_object_get(j, "attendees"));
    ck_assert_int_eq(json_object_size(j), 5);
    json_decref(j);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_event_body_refusals)
{
    apr_pool_t *p = new_pool();
    char *big = apr_palloc(p, CC_GCAL_DESCRIPTION_MAX + 2);

    ck_assert_ptr_null(cc_gcal_event_body(p, "ABCDE", NULL, NULL, T1, T2, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, "abc", NULL, NULL, T1, T2, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T1, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T2, T1, TZ));
    /* same instant written with two offsets: still empty */
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1,
                                          "2026-03-29T08:00:00Z", TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL,
                                          "2026-03-29T09:00:00", T2, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, NULL, T2, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, NULL, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T2, NULL));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T2, ""));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T2,
                                          "Europe/London\""));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T2,
                                          "/etc/passwd"));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, NULL, T1, T2,
                                          "Europe/London "));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, "\xff", NULL, T1, T2, TZ));
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, "ok \xc3", T1, T2,
                                          TZ));
    ck_assert_ptr_null(cc_gcal_event_body(NULL, EID, NULL, NULL, T1, T2, TZ));

    memset(big, 'a', CC_GCAL_DESCRIPTION_MAX + 1);
    big[CC_GCAL_DESCRIPTION_MAX] = '\0';
    ck_assert_ptr_nonnull(cc_gcal_event_body(p, EID, NULL, big, T1, T2, TZ));
    big[CC_GCAL_DESCRIPTION_MAX] = 'a';
    big[CC_GCAL_DESCRIPTION_MAX + 1] = '\0';
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, NULL, big, T1, T2, TZ));
    big[CC_GCAL_SUMMARY_MAX] = '\0';
    ck_assert_ptr_nonnull(cc_gcal_event_body(p, EID, big, NULL, T1, T2, TZ));
    big[CC_GCAL_SUMMARY_MAX] = 'a';
    big[CC_GCAL_SUMMARY_MAX + 1] = '\0';
    ck_assert_ptr_null(cc_gcal_event_body(p, EID, big, NULL, T1, T2, TZ));
    apr_pool_destroy(p);
}
END_TEST

/* ---- freeBusy body ------------------------------------------------------- */

#define FB_T0 INT64_C(1795651200)       /* 2026-11-26T00:00:00Z */
#define DAYS(n) ((int64_t)(n) * 86400)

START_TEST(test_freebusy_body)
{
    apr_pool_t *p = new_pool();
    const char *ids[] = { "clinic@group.calendar.google.com",
                          "dr.smith@clinic.example" };
    const char *bad[] = { "ok@x", NULL };
    const char *empty[] = { "" };
    const char *nonutf8[] = { "a\xff" };
    const char *many[CC_GCAL_FREEBUSY_MAX_CALENDARS + 1];
    char *longid = apr_palloc(p, CC_GCAL_CALENDAR_ID_MAX + 2);
    const char *longids[1];
    int i;

    ck_assert_str_eq(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + DAYS(7), ids, 2),
                     "{\"timeMin\":\"2026-11-26T00:00:00Z\","
                     "\"timeMax\":\"2026-12-03T00:00:00Z\","
                     "\"timeZone\":\"UTC\","
                     "\"items\":[{\"id\":\"clinic@group.calendar.google.com\"},"
                     "{\"id\":\"dr.smith@clinic.example\"}]}");
    /* range limits */
    ck_assert_ptr_nonnull(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + DAYS(90),
                                                ids, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + DAYS(90) + 1,
                                             ids, 1));
    ck_assert_ptr_nonnull(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 1, ids, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0, ids, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 - 60, ids, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, INT64_MIN, INT64_MAX, ids, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, INT64_C(253402300000),
                                             INT64_C(253402300000) + DAYS(2),
                                             ids, 1));
    /* calendars */
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, ids, 0));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, ids, -1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, NULL, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, bad, 2));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, empty, 1));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, nonutf8,
                                             1));
    for (i = 0; i <= CC_GCAL_FREEBUSY_MAX_CALENDARS; i++) {
        many[i] = "c@x";
    }
    ck_assert_ptr_nonnull(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, many,
                                        CC_GCAL_FREEBUSY_MAX_CALENDARS));
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, many,
                                     CC_GCAL_FREEBUSY_MAX_CALENDARS + 1));
    memset(longid, 'c', CC_GCAL_CALENDAR_ID_MAX + 1);
    longid[CC_GCAL_CALENDAR_ID_MAX] = '\0';
    longids[0] = longid;
    ck_assert_ptr_nonnull(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60,
                                                longids, 1));
    longid[CC_GCAL_CALENDAR_ID_MAX] = 'c';
    longid[CC_GCAL_CALENDAR_ID_MAX + 1] = '\0';
    ck_assert_ptr_null(cc_gcal_freebusy_body(p, FB_T0, FB_T0 + 60, longids,
                                             1));
    apr_pool_destroy(p);
}
END_TEST

/* ---- freeBusy reply ------------------------------------------------------ */

#define CAL "clinic@group.calendar.google.com"

static int64_t at(const char *s)
{
    int64_t t = 0;

    ck_assert_msg(cc_rfc3339_parse(s, &t), "%s", s);
    return t;
}

START_TEST(test_freebusy_parse_ok)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    apr_array_header_t *busy = NULL;
    const cc_interval_t *iv;
    const char *body =
        "{\"kind\":\"calendar#freeBusy\","
        "\"timeMin\":\"2026-11-26T00:00:00.000Z\","
        "\"timeMax\":\"2026-12-03T00:00:00.000Z\","
        "\"calendars\":{"
        "\"other@x\":{\"errors\":[{\"domain\":\"global\","
        "\"reason\":\"notFound\"}],\"busy\":[]},"
        "\"" CAL "\":{\"busy\":["
        "{\"start\":\"2026-11-26T09:00:00Z\",\"end\":\"2026-11-26T09:30:00Z\"},"
        "{\"start\":\"2026-11-27T10:00:00+01:00\","
        "\"end\":\"2026-11-27T11:15:00.500+01:00\"}]}}}";

    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, body, strlen(body), CAL, &busy,
                                            &prob), 1);
    ck_assert_ptr_nonnull(busy);
    ck_assert_int_eq(busy->nelts, 2);
    iv = (const cc_interval_t *)busy->elts;
    ck_assert_int_eq(iv[0].start, at("2026-11-26T09:00:00Z"));
    ck_assert_int_eq(iv[0].end, at("2026-11-26T09:30:00Z"));
    ck_assert_int_eq(iv[1].start, at("2026-11-27T09:00:00Z"));
    ck_assert_int_eq(iv[1].end, at("2026-11-27T10:15:00Z"));

    /* The other calendar in the same reply carries an error. */
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, body, strlen(body), "other@x",
                                            &busy, &prob), 0);
    ck_assert_ptr_null(busy);
    ck_assert_str_eq(prob.code, "gcal_calendar_error");
    ck_assert_ptr_nonnull(strstr(prob.message, "notFound"));
    apr_pool_destroy(p);
}
END_TEST

typedef struct fb_case_t {
    const char *name;
    const char *cal;            /* the calendar entry, "" for none */
    int         ok;
    int         nbusy;
    const char *code;
    const char *msg_has;
} fb_case_t;

static const fb_case_t fb_cases[] = {
    { "empty busy", "{\"busy\":[]}", 1, 0, NULL, NULL },
    { "empty errors", "{\"errors\":[],\"busy\":[{\"start\":"
      "\"2026-11-26T09:00:00Z\",\"end\":\"2026-11-26T10:00:00Z\"}]}", 1, 1,
      NULL, NULL },
    { "notFound", "{\"errors\":[{\"domain\":\"global\",\"reason\":"
      "\"notFound\"}],\"busy\":[]}", 0, 0, "gcal_calendar_error", "notFound" },
    { "internalError with busy", "{\"errors\":[{\"domain\":\"calendar\","
      "\"reason\":\"internalError\"}],\"busy\":[{\"start\":"
      "\"2026-11-26T09:00:00Z\",\"end\":\"2026-11-26T10:00:00Z\"}]}", 0, 0,
      "gcal_calendar_error", "internalError" },
    { "error without reason", "{\"errors\":[{}],\"busy\":[]}", 0, 0,
      "gcal_calendar_error", "no reason" },
    { "error reason sanitised", "{\"errors\":[{\"reason\":"
      "\"<img src=x>\"}]}", 0, 0, "gcal_calendar_error", "?img src?x?" },
    { "errors not array", "{\"errors\":{\"reason\":\"notFound\"},"
      "\"busy\":[]}", 0, 0, "gcal_bad_response", NULL },
    { "no busy", "{}", 0, 0, "gcal_bad_response", "busy" },
    { "busy not array", "{\"busy\":{}}", 0, 0, "gcal_bad_response", NULL },
    { "calendar not object", "[]", 0, 0, "gcal_bad_response", NULL },
    { "item not object", "{\"busy\":[\"2026-11-26T09:00:00Z\"]}", 0, 0,
      "gcal_bad_response", NULL },
    { "start missing", "{\"busy\":[{\"end\":\"2026-11-26T10:00:00Z\"}]}", 0,
      0, "gcal_bad_response", "busy[0]" },
    { "start number", "{\"busy\":[{\"start\":1,"
      "\"end\":\"2026-11-26T10:00:00Z\"}]}", 0, 0, "gcal_bad_response", NULL },
    { "start no offset", "{\"busy\":[{\"start\":\"2026-11-26T09:00:00\","
      "\"end\":\"2026-11-26T10:00:00Z\"}]}", 0, 0, "gcal_bad_response", NULL },
    { "end Feb 30", "{\"busy\":[{\"start\":\"2026-02-27T09:00:00Z\","
      "\"end\":\"2026-02-30T10:00:00Z\"}]}", 0, 0, "gcal_bad_response", NULL },
    { "second item bad", "{\"busy\":[{\"start\":\"2026-11-26T09:00:00Z\","
      "\"end\":\"2026-11-26T10:00:00Z\"},{\"start\":\"tomorrow\","
      "\"end\":\"2026-11-26T10:00:00Z\"}]}", 0, 0, "gcal_bad_response",
      "busy[1]" },
    { "end equals start", "{\"busy\":[{\"start\":\"2026-11-26T09:00:00Z\","
      "\"end\":\"2026-11-26T10:00:00+01:00\"}]}", 0, 0, "gcal_bad_response",
      "not after" },
    { "end before start", "{\"busy\":[{\"start\":\"2026-11-26T09:00:00Z\","
      "\"end\":\"2026-11-26T08:00:00Z\"}]}", 0, 0, "gcal_bad_response",
      "not after" },
    { "missing", "", 0, 0, "gcal_calendar_missing", NULL },
};

START_TEST(test_freebusy_parse_table)
{
    const fb_case_t *c = &fb_cases[_i];
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    apr_array_header_t *busy = (apr_array_header_t *)&prob;  /* not NULL */
    char *body;
    int rc;

    if (*c->cal) {
        body = apr_psprintf(p, "{\"kind\":\"calendar#freeBusy\","
                            "\"calendars\":{\"" CAL "\":%s}}", c->cal);
    } else {
        body = apr_pstrdup(p, "{\"kind\":\"calendar#freeBusy\","
                           "\"calendars\":{\"someone@else\":{\"busy\":[]}}}");
    }
    memset(&prob, 0, sizeof(prob));
    rc = cc_gcal_freebusy_parse(p, body, strlen(body), CAL, &busy, &prob);
    ck_assert_msg(rc == c->ok, "%s: rc %d (%s %s)", c->name, rc, prob.code,
                  prob.message);
    if (c->ok) {
        ck_assert_ptr_nonnull(busy);
        ck_assert_int_eq(busy->nelts, c->nbusy);
    } else {
        ck_assert_ptr_null(busy);
        ck_assert_int_eq(prob.status, 502);
        ck_assert_msg(strcmp(prob.code, c->code) == 0, "%s: code %s",
                      c->name, prob.code);
        if (c->msg_has) {
            ck_assert_msg(strstr(prob.message, c->msg_has) != NULL,
                          "%s: message %s", c->name, prob.message);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

static const char *const fb_bad_bodies[] = {
    "",
    "not json",
    "[]",
    "{}",
    "{\"calendars\":[]}",
    "{\"calendars\":null}",
    "{\"calendars\":{\"" CAL "\":{\"busy\":[]},\"" CAL "\":{\"busy\":[]}}}",
    "{\"error\":{\"code\":404,\"message\":\"Not Found\"}}",
};

START_TEST(test_freebusy_parse_bad_bodies)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    apr_array_header_t *busy = NULL;
    const char *b = fb_bad_bodies[_i];

    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, b, strlen(b), CAL, &busy,
                                            &prob), 0);
    ck_assert_ptr_null(busy);
    ck_assert_str_eq(prob.code, "gcal_bad_response");
    apr_pool_destroy(p);
}
END_TEST

static char *fb_body_n(apr_pool_t *p, int n)
{
    size_t cap = (size_t)n * 96 + 256, o;
    char *b = apr_palloc(p, cap);
    int i;

    o = (size_t)apr_snprintf(b, cap, "{\"calendars\":{\"" CAL "\":{\"busy\":[");
    for (i = 0; i < n; i++) {
        char *s = cc_rfc3339_utc(p, FB_T0 + (int64_t)i * 600);
        char *e = cc_rfc3339_utc(p, FB_T0 + (int64_t)i * 600 + 300);

        o += (size_t)apr_snprintf(b + o, cap - o,
                                  "%s{\"start\":\"%s\",\"end\":\"%s\"}",
                                  i ? "," : "", s, e);
    }
    apr_snprintf(b + o, cap - o, "]}}}");
    return b;
}

START_TEST(test_freebusy_parse_limits)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    apr_array_header_t *busy = NULL;
    char *body;
    const cc_interval_t *iv;

    body = fb_body_n(p, CC_GCAL_FREEBUSY_MAX_BUSY);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, body, strlen(body), CAL, &busy,
                                            &prob), 1);
    ck_assert_int_eq(busy->nelts, CC_GCAL_FREEBUSY_MAX_BUSY);
    iv = (const cc_interval_t *)busy->elts;
    ck_assert_int_eq(iv[CC_GCAL_FREEBUSY_MAX_BUSY - 1].start,
                     FB_T0 + (int64_t)(CC_GCAL_FREEBUSY_MAX_BUSY - 1) * 600);

    body = fb_body_n(p, CC_GCAL_FREEBUSY_MAX_BUSY + 1);
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, body, strlen(body), CAL, &busy,
                                            &prob), 0);
    ck_assert_ptr_null(busy);
    ck_assert_str_eq(prob.code, "gcal_too_many_busy");

    /* body size cap */
    body = apr_palloc(p, CC_GCAL_FREEBUSY_MAX_BYTES + 1);
    memset(body, ' ', CC_GCAL_FREEBUSY_MAX_BYTES + 1);
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, body,
                                            CC_GCAL_FREEBUSY_MAX_BYTES + 1,
                                            CAL, &busy, &prob), 0);
    ck_assert_str_eq(prob.code, "gcal_bad_response");

    /* misuse */
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, "{}", 2, NULL, &busy, &prob),
                     0);
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, "{}", 2, "", &busy, &prob), 0);
    ck_assert_int_eq(cc_gcal_freebusy_parse(p, "{}", 2, CAL, NULL, &prob), 0);
    apr_pool_destroy(p);
}
END_TEST

/* The body we build and a reply shaped like Google's agree on times. */
START_TEST(test_freebusy_roundtrip)
{
    apr_pool_t *p = new_pool();
    const char *ids[] = { CAL };
    char *req = cc_gcal_freebusy_body(p, FB_T0, FB_T0 + DAYS(1), ids, 1);
    json_t *j = json_loads(req, 0, NULL);
    int64_t tmin = 0, tmax = 0;

    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(cc_rfc3339_parse(json_string_value(
                         json_object_get(j, "timeMin")), &tmin), 1);
    ck_assert_int_eq(cc_rfc3339_parse(json_string_value(
                         json_object_get(j, "timeMax")), &tmax), 1);
    ck_assert_int_eq(tmin, FB_T0);
    ck_assert_int_eq(tmax, FB_T0 + DAYS(1));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(j, "items"), 0),
                         "id")), CAL);
    json_decref(j);
    apr_pool_destroy(p);
}
END_TEST

/* ---- classify ------------------------------------------------------------ */

#define RL_BODY(reason) \
    "{\"error\":{\"code\":403,\"message\":\"m\",\"errors\":[{\"domain\":" \
    "\"usageLimits\",\"reason\":\"" reason "\",\"message\":\"m\"}]}}"

typedef struct cls_case_t {
    int op;
    long status;
    const char *body;
    cc_gcal_outcome want;
} cls_case_t;

static const cls_case_t cls_cases[] = {
    { CC_GCAL_OP_INSERT, 200, "{}", CC_GCAL_DONE },
    { CC_GCAL_OP_INSERT, 201, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_UPDATE, 200, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_DELETE, 204, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_FREEBUSY, 200, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_TOKEN, 200, NULL, CC_GCAL_DONE },
    /* idempotent equivalents */
    { CC_GCAL_OP_DELETE, 410, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_DELETE, 404, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_INSERT, 409, NULL, CC_GCAL_DONE },
    { CC_GCAL_OP_UPDATE, 409, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_UPDATE, 404, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_UPDATE, 410, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 404, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 410, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_FREEBUSY, 404, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_DELETE, 409, NULL, CC_GCAL_FAIL },
    /* auth */
    { CC_GCAL_OP_INSERT, 401, NULL, CC_GCAL_REAUTH },
    { CC_GCAL_OP_UPDATE, 401, NULL, CC_GCAL_REAUTH },
    { CC_GCAL_OP_DELETE, 401, NULL, CC_GCAL_REAUTH },
    { CC_GCAL_OP_FREEBUSY, 401, NULL, CC_GCAL_REAUTH },
    { CC_GCAL_OP_TOKEN, 401, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_TOKEN, 400, "{\"error\":\"invalid_grant\"}", CC_GCAL_FAIL },
    /* 403: rate limits retry, permissions do not */
    { CC_GCAL_OP_INSERT, 403, RL_BODY("rateLimitExceeded"), CC_GCAL_RETRY },
    { CC_GCAL_OP_FREEBUSY, 403, RL_BODY("userRateLimitExceeded"),
      CC_GCAL_RETRY },
    { CC_GCAL_OP_DELETE, 403, RL_BODY("quotaExceeded"), CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 403, RL_BODY("forbidden"), CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, RL_BODY("forbiddenForServiceAccounts"),
      CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, RL_BODY("insufficientPermissions"),
      CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, RL_BODY("RateLimitExceeded"), CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, "{\"error\":{\"code\":403,\"errors\":["
      "{\"reason\":\"forbidden\"},{\"reason\":\"rateLimitExceeded\"}]}}",
      CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 403, "{\"error\":{\"message\":\"rateLimitExceeded\""
      "}}", CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, "{\"reason\":\"rateLimitExceeded\"}",
      CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, "rateLimitExceeded", CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, "", CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 403, NULL, CC_GCAL_FAIL },
    /* transient */
    { CC_GCAL_OP_INSERT, 429, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_TOKEN, 429, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 500, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_UPDATE, 502, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_DELETE, 503, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_FREEBUSY, 504, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_TOKEN, 503, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 599, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 408, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_INSERT, 0, NULL, CC_GCAL_RETRY },
    { CC_GCAL_OP_TOKEN, 0, NULL, CC_GCAL_RETRY },
    /* permanent */
    { CC_GCAL_OP_INSERT, 400, "{\"error\":{\"errors\":[{\"reason\":"
      "\"timeRangeEmpty\"}]}}", CC_GCAL_FAIL },
    { CC_GCAL_OP_FREEBUSY, 400, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_UPDATE, 412, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 301, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 100, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, 600, NULL, CC_GCAL_FAIL },
    { CC_GCAL_OP_INSERT, -1, NULL, CC_GCAL_FAIL },
    { 99, 404, NULL, CC_GCAL_FAIL },
};

START_TEST(test_classify_table)
{
    const cls_case_t *c = &cls_cases[_i];
    cc_gcal_outcome got = cc_gcal_classify(c->op, c->status, c->body,
                                           c->body ? strlen(c->body) : 0);

    ck_assert_msg(got == c->want, "case %d (op %d, %ld): got %d want %d", _i,
                  c->op, c->status, (int)got, (int)c->want);
}
END_TEST

START_TEST(test_classify_big_body)
{
    size_t n = CC_GCAL_TOKEN_MAX_BYTES + 64;
    char *b = malloc(n + 1);
    const char *rl = RL_BODY("rateLimitExceeded");

    ck_assert_ptr_nonnull(b);
    memset(b, ' ', n);
    memcpy(b, rl, strlen(rl));
    b[n] = '\0';
    /* Past the parse limit: treated as a permission error, not parsed. */
    ck_assert_int_eq(cc_gcal_classify(CC_GCAL_OP_INSERT, 403, b, n),
                     CC_GCAL_FAIL);
    ck_assert_int_eq(cc_gcal_classify(CC_GCAL_OP_INSERT, 403, b,
                                      CC_GCAL_TOKEN_MAX_BYTES), CC_GCAL_RETRY);
    /* The length is honoured: no reading past it. */
    ck_assert_int_eq(cc_gcal_classify(CC_GCAL_OP_INSERT, 403, rl, 10),
                     CC_GCAL_FAIL);
    free(b);
}
END_TEST

/* ---- backoff ------------------------------------------------------------- */

typedef struct bo_case_t {
    int attempt;
    uint32_t rnd;
    int64_t want;
} bo_case_t;

static const bo_case_t bo_cases[] = {
    { 0, 0, 500 },
    { 0, 500, 1000 },
    { 0, 501, 500 },
    { 0, UINT32_MAX, 500 + (int64_t)(UINT32_MAX % 501) },
    { 1, 0, 1000 },
    { 1, 1000, 2000 },
    { 2, 0, 2000 },
    { 3, 4000, 8000 },
    { 11, 0, 1024000 },
    { 12, 0, 1800000 },                 /* 4096 s capped to 3600 s */
    { 12, 1800000, 3600000 },
    { 40, 0, 1800000 },
    { INT_MAX, 1800000, 3600000 },
    { -1, 0, 500 },
    { INT_MIN, 500, 1000 },
};

START_TEST(test_backoff_table)
{
    const bo_case_t *c = &bo_cases[_i];

    ck_assert_int_eq(cc_gcal_backoff_ms(c->attempt, c->rnd), c->want);
}
END_TEST

START_TEST(test_backoff_bounds)
{
    static const uint32_t rnds[] = { 0, 1, 7, 499, 12345, 65535, 1u << 31,
                                     UINT32_MAX - 1, UINT32_MAX };
    int a;
    size_t r;
    int64_t prev_hi = 0;

    for (a = 0; a <= 200; a++) {
        int64_t d = a >= 12 ? 3600000 : (int64_t)1000 << a;

        if (d > 3600000) {
            d = 3600000;
        }
        for (r = 0; r < sizeof(rnds) / sizeof(rnds[0]); r++) {
            int64_t v = cc_gcal_backoff_ms(a, rnds[r]);

            ck_assert_msg(v >= d / 2 && v <= d, "attempt %d rnd %u: %lld",
                          a, rnds[r], (long long)v);
            ck_assert_int_le(v, CC_GCAL_BACKOFF_CAP_MS);
            ck_assert_int_ge(v, 500);
        }
        ck_assert_int_ge(d, prev_hi);
        prev_hi = d;
    }
}
END_TEST

Suite *suite_gcal(void)
{
    Suite *s = suite_create("gcal");
    TCase *tc = tcase_create("event");
    tcase_add_test(tc, test_event_id_known);
    tcase_add_test(tc, test_event_id_distinct);
    tcase_add_loop_test(tc, test_event_id_valid, 0, N(id_cases));
    tcase_add_test(tc, test_event_id_valid_length);
    tcase_add_test(tc, test_event_body_exact);
    tcase_add_test(tc, test_event_body_escaping);
    tcase_add_test(tc, test_event_body_refusals);
    suite_add_tcase(s, tc);

    tc = tcase_create("freebusy");
    tcase_add_test(tc, test_freebusy_body);
    tcase_add_test(tc, test_freebusy_parse_ok);
    tcase_add_loop_test(tc, test_freebusy_parse_table, 0, N(fb_cases));
    tcase_add_loop_test(tc, test_freebusy_parse_bad_bodies, 0,
                        N(fb_bad_bodies));
    tcase_add_test(tc, test_freebusy_parse_limits);
    tcase_add_test(tc, test_freebusy_roundtrip);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("classify");
    tcase_add_loop_test(tc, test_classify_table, 0, N(cls_cases));
    tcase_add_test(tc, test_classify_big_body);
    tcase_add_loop_test(tc, test_backoff_table, 0, N(bo_cases));
    tcase_add_test(tc, test_backoff_bounds);
    suite_add_tcase(s, tc);
    return s;
}
