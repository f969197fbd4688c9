/*
 * test_booking_refused.c - what the booking API refuses: every bad input
 * with nothing stored, one error body per reply, fractions of a second,
 * bookings in the past, the audit read while sealing; and the
 * booking-limit group: the default "booking 5/min" rate limit (429).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "booking.h"

/* ---- refused requests --------------------------------------------------- */

typedef struct bk_bad {
    const char *tmpl;       /* body, with $NAME tokens */
    const char *ctype;      /* NULL: application/json; "-": none */
    const char *hdr;        /* one more header, or NULL */
    long        status;
    const char *code;
} bk_bad;

typedef struct bk_var {
    const char *name;
    char       *value;
} bk_var;

/* tmpl with every $NAME replaced by its value.  malloc'd. */
static char *bk_expand(const char *tmpl, const bk_var *vars)
{
    char *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    const char *p = tmpl;

    while (*p) {
        const bk_var *v = NULL;

        if (*p == '$') {
            for (v = vars; v->name; v++) {
                size_t n = strlen(v->name);

                if (!strncmp(p + 1, v->name, n)
                    && !(p[1 + n] >= 'A' && p[1 + n] <= 'Z')
                    && !(p[1 + n] >= '0' && p[1 + n] <= '9')) {
                    fputs(v->value, m);
                    p += 1 + n;
                    break;
                }
            }
            if (v && v->name) {
                continue;
            }
        }
        fputc(*p++, m);
    }
    fclose(m);
    return out;
}

#define PAT "\"patient\":{\"name\":\"Bkcanary Bad\"," \
            "\"email\":\"bkcanary.bad@example.org\"}"
#define B_START(s) "{\"service_id\":$SVC,\"start\":\"" s "\"," \
                   "\"practitioner_id\":$PR," PAT "}"
#define B_PAT(p) "{\"service_id\":$SVC,\"start\":\"$START\"," \
                 "\"practitioner_id\":$PR,\"patient\":" p "}"
#define B_NAME(n) B_PAT("{\"name\":" n "," \
                        "\"email\":\"bkcanary.b@example.org\"}")
#define B_EMAIL(e) B_PAT("{\"name\":\"Bkcanary B\",\"email\":" e "}")
#define B_PHONE(ph) B_PAT("{\"name\":\"Bkcanary B\",\"email\":" \
                          "\"bkcanary.b@example.org\",\"phone\":" ph "}")
#define B_OK B_START("$START")

static const bk_bad bk_bad_requests[] = {
    /* the time */
    { B_START("$MIS"), NULL, NULL, 422, "misaligned_start" },
    { B_START("$SEC"), NULL, NULL, 422, "misaligned_start" },
    { B_START("$SOON"), NULL, NULL, 422, "too_soon" },
    { B_START("$FAR"), NULL, NULL, 422, "too_far_ahead" },
    { B_START("2020-01-06T10:00:00Z"), NULL, NULL, 422, "start_in_past" },
    { B_START("tomorrow at ten"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT10:00:00"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAY 10:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("2027-02-30T10:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT25:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT10:00:00+25:00"), NULL, NULL, 422, "invalid_start" },
    { B_START(""), NULL, NULL, 422, "invalid_start" },
    /* times nobody works: no slot there */
    { B_START("$EARLY"), NULL, NULL, 409, "slot_taken" },
    { B_START("$LATE"), NULL, NULL, 409, "slot_taken" },
    /* the patient */
    { B_NAME("\"\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"   \""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\u0001\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\nBad\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\u0085\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"$NAME201\""), NULL, NULL, 422, "invalid_name" },
    { B_EMAIL("\"bkcanary-no-at\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bkcanary@\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"@example.org\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bk canary@example.org\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"bkcanary@@example.org\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"bkcanary@localhost\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bkcanary@example.org\\n\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"$EMAIL255\""), NULL, NULL, 422, "invalid_email" },
    { B_PHONE("\"abc\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"12\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"+44 7700 <script>\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"07700900+123\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"$PHONE41\""), NULL, NULL, 422, "invalid_phone" },
    /* ids and the session */
    { "{\"service_id\":0,\"start\":\"$START\"," PAT "}", NULL, NULL, 422,
      "invalid_id" },
    { "{\"service_id\":-1,\"start\":\"$START\"," PAT "}", NULL, NULL, 422,
      "invalid_id" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":-5,"
      PAT "}", NULL, NULL, 422, "invalid_id" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":\"short\","
      PAT "}", NULL, NULL, 422, "invalid_session" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":"
      "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!\"," PAT "}", NULL, NULL,
      422, "invalid_session" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":"
      "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"," PAT "}", NULL,
      NULL, 422, "invalid_session" },
    /* the shape (strict) */
    { "{\"start\":\"$START\"," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\"}", NULL, NULL, 400,
      "invalid_body" },
    { B_PAT("{\"email\":\"bkcanary.b@example.org\"}"), NULL, NULL, 400,
      "invalid_body" },
    { B_PAT("{\"name\":\"Bkcanary B\"}"), NULL, NULL, 400, "invalid_body" },
    { B_PAT("\"Bkcanary B\""), NULL, NULL, 400, "invalid_body" },
    { B_PAT("null"), NULL, NULL, 400, "invalid_body" },
    { B_NAME("null"), NULL, NULL, 400, "invalid_body" },
    { B_NAME("42"), NULL, NULL, 400, "invalid_body" },
    { B_PHONE("447700900123"), NULL, NULL, 400, "invalid_body" },
    { B_PAT("{\"name\":\"Bkcanary B\",\"email\":\"bkcanary.b@example.org\","
            "\"dob\":\"1990-01-01\"}"), NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":\"$SVC\",\"start\":\"$START\"," PAT "}", NULL, NULL,
      400, "invalid_body" },
    { "{\"service_id\":$SVC.0,\"start\":\"$START\"," PAT "}", NULL, NULL,
      400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":1900000000," PAT "}", NULL, NULL, 400,
      "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":"
      "\"$PR\"," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":5," PAT "}",
      NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"status\":\"confirmed\","
      PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"price_cents\":0," PAT "}",
      NULL, NULL, 400, "invalid_body" },
    { "{}", NULL, NULL, 400, "invalid_body" },
    { "[]", NULL, NULL, 400, "invalid_body" },
    { "\"book me\"", NULL, NULL, 400, "invalid_json" },  /* not {} or [] */
    /* not JSON at all */
    { "service_id=1&start=now", NULL, NULL, 400, "invalid_json" },
    { "{\"service_id\":$SVC,", NULL, NULL, 400, "invalid_json" },
    { "", NULL, NULL, 400, "invalid_json" },
    { "{\"service_id\":$SVC,\"service_id\":$SVC,\"start\":\"$START\"," PAT
      "}", NULL, NULL, 400, "invalid_json" },
    /* headers */
    { B_OK, NULL, "Idempotency-Key: two words", 400,
      "invalid_idempotency_key" },
    { B_OK, "text/plain", NULL, 415, "unsupported_media_type" },
    { B_OK, "application/x-www-form-urlencoded", NULL, 415,
      "unsupported_media_type" },
    { B_OK, "application/json; charset=latin1", NULL, 415,
      "unsupported_media_type" },
    { B_OK, "-", NULL, 415, "unsupported_media_type" },
    /* what does not exist */
    { "{\"service_id\":99999999,\"start\":\"$START\"," PAT "}", NULL, NULL,
      404, "unknown_service" },
    { "{\"service_id\":$RETIRED,\"start\":\"$START\"," PAT "}", NULL, NULL,
      404, "unknown_service" },
    { "{\"service_id\":$OTHER,\"start\":\"$START\",\"practitioner_id\":$PR,"
      PAT "}", NULL, NULL, 422, "unknown_practitioner" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":"
      "99999999," PAT "}", NULL, NULL, 422, "unknown_practitioner" },
    /* the size cap (8 KB): at the cap it is read (and judged) */
    { "$PAD8192", NULL, NULL, 422, "invalid_name" },
    { "$PAD8193", NULL, NULL, 413, "body_too_large" },
    { "$PAD20000", NULL, NULL, 413, "body_too_large" },
};

/* Rows that any accepted booking request would add. */
static char *bk_snapshot(void)
{
    return it_sql("SELECT (SELECT count(*) FROM bookings) || ' ' || "
                  "(SELECT count(*) FROM idempotency_keys) || ' ' || "
                  "(SELECT count(*) FROM %s WHERE action IN "
                  "('booking.create', 'booking.cancel', "
                  "'booking.reschedule')) || ' ' || "
                  "(SELECT count(*) FROM calendar_outbox)", bk_audit);
}

/* A body of exactly n bytes: a valid request but for an empty name,
 * padded with spaces. */
static char *bk_padded(long svc, const char *start, long pract, size_t n)
{
    char *head = NULL, *out;
    size_t hl;

    if (asprintf(&head, "{\"service_id\":%ld,\"start\":\"%s\","
                 "\"practitioner_id\":%ld,\"patient\":{\"name\":\"\","
                 "\"email\":\"bkcanary.pad@example.org\"}", svc, start,
                 pract) < 0) {
        abort();
    }
    hl = strlen(head);
    ck_assert(n > hl + 1);
    out = malloc(n + 1);
    memcpy(out, head, hl);
    memset(out + hl, ' ', n - hl - 1);
    out[n - 1] = '}';
    out[n] = '\0';
    free(head);
    return out;
}

START_TEST(booking_bad_requests)
{
    const char *day = bk_day(10);
    char *start, *before, *after, svc[32], pr[32], other[32], retired[32];
    char soon[32], far[32], name201[256], email255[300], phone41[64];
    double now = bk_now();
    size_t i;
    long long t;

    bk_settings(NULL);
    start = bk_start(sv_basic, day, "10:00", pr_alice);
    snprintf(svc, sizeof(svc), "%ld", sv_basic);
    snprintf(pr, sizeof(pr), "%ld", pr_alice);
    snprintf(other, sizeof(other), "%ld", sv_other);
    snprintf(retired, sizeof(retired), "%ld", sv_retired);
    /* aligned, in the future, inside the 120 minutes' notice */
    t = ((long long)now / 900 + 2) * 900;
    bk_utc(t, soon);
    /* aligned, beyond the 90-day horizon */
    t = ((long long)now / 86400 + 95) * 86400 + 10 * 3600;
    bk_utc(t, far);
    memset(name201, 'n', 201);
    name201[201] = '\0';
    memcpy(name201, "Bkcanary", 8);
    snprintf(email255, sizeof(email255), "bkcanary.%.50s@%.63s.%.63s.%.63s."
             "org", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
             "cc");
    ck_assert_msg(strlen(email255) == 255, "email255 is %zu",
                  strlen(email255));
    memset(phone41, '1', 41);
    phone41[41] = '\0';
    {
        char *mis = bk_at(start, "10:07:00"), *sec = bk_at(start, "10:00:30");
        char *early = bk_at(start, "08:00:00"), *late = bk_at(start,
                                                             "17:00:00");
        char *p8192 = bk_padded(sv_basic, start, pr_alice, 8192);
        char *p8193 = bk_padded(sv_basic, start, pr_alice, 8193);
        char *p20000 = bk_padded(sv_basic, start, pr_alice, 20000);
        char dayv[11];
        const bk_var vars[] = {
            { "SVC", svc }, { "PR", pr }, { "OTHER", other },
            { "RETIRED", retired }, { "START", start }, { "MIS", mis },
            { "SEC", sec }, { "SOON", soon }, { "FAR", far },
            { "EARLY", early }, { "LATE", late }, { "DAY", dayv },
            { "NAME201", name201 }, { "EMAIL255", email255 },
            { "PHONE41", phone41 }, { "PAD8192", p8192 },
            { "PAD8193", p8193 }, { "PAD20000", p20000 }, { NULL, NULL }
        };

        snprintf(dayv, sizeof(dayv), "%s", day);
        before = bk_snapshot();
        for (i = 0; i < sizeof(bk_bad_requests) / sizeof(bk_bad_requests[0]);
             i++) {
            const bk_bad *b = &bk_bad_requests[i];
            char *body = bk_expand(b->tmpl, vars);
            const char *hdrs[3] = { NULL, NULL, NULL };
            const char *ct = b->ctype ? b->ctype : "application/json";
            int nh = 0;
            it_resp *r;

            if (b->ctype && !strcmp(b->ctype, "-")) {
                ct = NULL;
                hdrs[nh++] = "Content-Type:";
            }
            if (b->hdr) {
                hdrs[nh++] = b->hdr;
            }
            r = it_req("POST", "/api/bookings", NULL, ct, body, -1, hdrs);
            ck_assert_msg(r->status == b->status && r->json
                          && jstr(json_object_get(r->json, "error"), "code")
                          && !strcmp(jstr(json_object_get(r->json, "error"),
                                          "code"), b->code), "case %zu "
                          "(%.120s): status %ld, expected %ld %s; body "
                          "%.300s", i, b->tmpl, r->status, b->status, b->code,
                          r->body);
            it_assert_error(r, b->status, b->code);
            it_free(r);
            free(body);
        }
        after = bk_snapshot();
        ck_assert_msg(!strcmp(before, after), "refused requests changed the "
                      "database: bookings, keys, audit entries, outbox "
                      "%s -> %s", before, after);
        free(mis);
        free(sec);
        free(early);
        free(late);
        free(p8192);
        free(p8193);
        free(p20000);
    }
    /* ... and the slot they all aimed at is still there. */
    {
        char *again = bk_start(sv_basic, day, "10:00", pr_alice);

        free(again);
    }
    free(before);
    free(after);
    free(start);
}
END_TEST

/* practitioner_id 0 is not a positive id: it should be refused
 * like -5
 * ("service_id and practitioner_id are positive whole numbers"). */
START_TEST(booking_practitioner_id_zero)
{
    char *start = bk_start(sv_basic, bk_day(10), "15:00", 0);
    char *body = NULL;
    it_resp *r;

    bk_settings(NULL);
    if (asprintf(&body, "{\"service_id\":%ld,\"start\":\"%s\","
                 "\"practitioner_id\":0," PAT "}", sv_basic, start) < 0) {
        abort();
    }
    r = bk_post(body, NULL);
    if (r->status == 201) {
        /* undo, so the rest of the suite is unaffected */
        it_resp *c = bk_staff("POST", jint(r->json, "id"), "cancel", NULL);

        it_free(c);
    }
    ck_assert_msg(r->status == 422, "POST /api/bookings with "
                  "\"practitioner_id\":0 answered %ld (booked with "
                  "practitioner %ld) instead of 422 invalid_id", r->status,
                  jint(r->json, "practitioner_id"));
    it_assert_error(r, 422, "invalid_id");
    it_free(r);
    free(body);
    free(start);
}
END_TEST

/* a bad whole-number query parameter of GET /api/slots or GET
 * /api/admin/bookings is answered twice: mc_arg_int() already sends its
 * 400, and the handler then sends another, so the body is two JSON
 * objects one after the other. */
START_TEST(booking_one_error_body)
{
    static const char *const paths[] = {
        "/api/slots?service_id=abc", "/api/slots?service_id=0",
        "/api/slots?service_id=%ld&days=0",
        "/api/slots?service_id=%ld&practitioner_id=abc",
        "/api/admin/bookings?limit=0", "/api/admin/bookings?before=-1",
        "/api/admin/bookings?practitioner_id=abc", NULL
    };
    char path[160], found[2000] = "";
    const char *const *p;
    int bad = 0;

    for (p = paths; *p; p++) {
        it_resp *r;

        snprintf(path, sizeof(path), *p, sv_basic);
        r = it_get(path, strstr(path, "/admin/") ? IT_STAFF : NULL);
        if (r->status != 400 || !r->json) {
            const char *cl = it_header(r, "Content-Length");

            bad++;
            snprintf(found + strlen(found), sizeof(found) - strlen(found),
                     "\n  GET %s -> %ld, Content-Length %s, %zu bytes: "
                     "%.220s", path, r->status, cl ? cl : "(none)", r->len,
                     r->body);
        }
        it_free(r);
    }
    ck_assert_msg(bad == 0, "%d bad query parameters answered "
                  "with two error bodies (mc_arg_int replies, then the "
                  "handler replies again):%s", bad, found);
}
END_TEST

/* a start with a fraction of a second is not a slot start:
 * 10:00:00.5 must not quietly become 10:00:00 (".000" names the slot
 * itself). */
START_TEST(booking_fractional_seconds)
{
    char *start = bk_start(sv_basic, bk_day(22), "10:00", pr_bob);
    char when[40], *body;
    it_resp *r;

    bk_settings(NULL);
    snprintf(when, sizeof(when), "%.19s.5%s", start, start + 19);
    body = bk_body(sv_basic, when, pr_bob);
    r = bk_post(body, NULL);
    if (r->status == 201) {
        it_resp *c = bk_staff("POST", jint(r->json, "id"), "cancel", NULL);

        it_free(c);
    }
    ck_assert_msg(r->status == 422, "start %s was answered %ld "
                  "(booked at %s) instead of 422 misaligned_start", when,
                  r->status, jstr(r->json, "start"));
    it_assert_error(r, 422, "misaligned_start");
    it_free(r);
    free(body);
    snprintf(when, sizeof(when), "%.19s.000%s", start, start + 19);
    body = bk_body(sv_basic, when, pr_bob);
    r = bk_post(body, NULL);
    ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"), start),
                  "start %s: %ld %s", when, r->status, r->body);
    it_free(r);
    free(body);
    free(start);
}
END_TEST

/* A booking whose time has come: the patient can neither cancel nor move
 * it (staff can). */
START_TEST(booking_in_the_past)
{
    char *s16 = bk_start(sv_basic, bk_day(22), "16:00", pr_bob);
    char *s09 = bk_start(sv_basic, bk_day(22), "09:00", pr_bob);
    char tok[128];
    it_resp *r;
    long id;

    bk_settings("cancel_cutoff_min = 0, reschedule_cutoff_min = 0");
    id = bk_book(sv_basic, s16, pr_bob, tok);
    it_sql_exec("UPDATE bookings SET start_at = now() - interval '20 "
                "minutes', end_at = now() + interval '10 minutes', blocked = "
                "tstzrange(now() - interval '20 minutes', now() + interval "
                "'20 minutes') WHERE id = %ld", id);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 409, "booking_in_past");
    it_free(r);
    r = bk_resched(id, tok, s09, 0);
    it_assert_error(r, 409, "booking_in_past");
    it_free(r);
    r = bk_staff("POST", id, "cancel", "{\"reason\":\"no-show\"}");
    ck_assert_msg(r->status == 200, "staff cancel of a started booking: %ld "
                  "%s", r->status, r->body);
    it_free(r);
    bk_settings(NULL);
    free(s16);
    free(s09);
}
END_TEST

/* GET /api/admin/audit seals the staged entries before it
 * reads ("before every audit read or verify", sql/006), but through
 * pg_try_advisory_xact_lock(7302100002): while another process's sweeper
 * is sealing, the read skips sealing and does not show the entries of
 * bookings that committed before the request was sent.  Seen as flaky
 * audit checks; made deterministic here by holding that lock from psql
 * for 3 s, as a sealing sweeper would for a moment. */
#define BK_SEAL_LOCK "((classid::bigint << 32) | objid::bigint) = 7302100002"

START_TEST(booking_audit_read_while_sealing)
{
    char *start, target[64];
    it_resp *r;
    json_t *e;
    size_t i;
    long id;
    int k, found = 0;

    bk_settings(NULL);
    start = bk_start(sv_paid, bk_day(23), "10:00", pr_alice);
    it_sh("(scripts/pg.sh psql -tAq -c \"BEGIN; SELECT "
          "pg_advisory_xact_lock(7302100002); SELECT pg_sleep(3); COMMIT;\" "
          ">/dev/null 2>&1 &)");
    for (k = 0; k < 50 && it_sql_num("SELECT count(*) FROM pg_locks WHERE "
                                     "locktype = 'advisory' AND granted AND "
                                     BK_SEAL_LOCK) == 0; k++) {
        usleep(100 * 1000);
    }
    ck_assert_msg(k < 50, "could not hold the sealing lock");
    id = bk_book(sv_paid, start, pr_alice, NULL);
    snprintf(target, sizeof(target), "booking/%ld", id);
    r = it_get("/api/admin/audit?action=booking.create&limit=20", IT_ADMIN);
    ck_assert_msg(r->status == 200, "audit: %ld %s", r->status, r->body);
    json_array_foreach(json_object_get(r->json, "entries"), i, e) {
        found |= jstr(e, "target") && !strcmp(jstr(e, "target"), target);
    }
    it_free(r);
    /* Let the lock go; the entry is sealed then. */
    for (k = 0; k < 60 && it_sql_num("SELECT count(*) FROM pg_locks WHERE "
                                     "locktype = 'advisory' AND " BK_SEAL_LOCK)
                          > 0; k++) {
        usleep(100 * 1000);
    }
    e = bk_audit_wait("booking.create", target);
    ck_assert_msg(e != NULL, "the booking.create entry of %s never came",
                  target);
    json_decref(e);
    free(start);
    ck_assert_msg(found, "GET /api/admin/audit sent after POST "
                  "/api/bookings answered 201 (%s) does not list its "
                  "booking.create entry while another session holds the "
                  "sealing lock: the read's own seal gives up "
                  "(pg_try_advisory_xact_lock) instead of waiting", target);
}
END_TEST

/* The refused-request tests, in the order the group runs them. */
void bk_add_refused_tests(TCase *tc)
{
    tcase_add_test(tc, booking_bad_requests);
    tcase_add_test(tc, booking_practitioner_id_zero);
    tcase_add_test(tc, booking_one_error_body);
    tcase_add_test(tc, booking_audit_read_while_sealing);
    tcase_add_test(tc, booking_fractional_seconds);
    tcase_add_test(tc, booking_in_the_past);
}

/* ---- the booking rate limit (defaults: 5/min per client) ---------------- */

static void limit_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON "ConciergeRateLimit admin 100000/sec\n", 1,
                   8);
}

START_TEST(booking_rate_limit)
{
    char *start = bk_start(sv_basic, bk_day(20), "10:00", pr_alice);
    char *before = bk_snapshot(), *after;
    const char *ra, *pol;
    it_resp *r;
    int i, n429 = 0, first429 = -1;

    bk_settings(NULL);
    /* Refused bookings (an empty name) still count against the limit. */
    for (i = 0; i < 8; i++) {
        char *body = bk_padded(sv_basic, start, pr_alice, 300);

        r = bk_post(body, NULL);
        free(body);
        if (r->status == 429) {
            n429++;
            if (first429 < 0) {
                first429 = i;
                it_assert_error(r, 429, "rate_limited");
                ra = it_header(r, "Retry-After");
                ck_assert_msg(ra && strtol(ra, NULL, 10) >= 1
                              && strtol(ra, NULL, 10) <= 60, "Retry-After: "
                              "%s", ra ? ra : "(none)");
                pol = it_header(r, "RateLimit-Policy");
                ck_assert_msg(pol && !strncmp(pol, "5;w=60", 6),
                              "RateLimit-Policy: %s", pol ? pol : "(none)");
            }
        }
        else {
            it_assert_error(r, 422, "invalid_name");
        }
        it_free(r);
    }
    ck_assert_msg(first429 == 5 && n429 == 3, "429 from request %d (%d of "
                  "8); expected from the 6th", first429 + 1, n429);
    /* The same class guards cancel and reschedule ... */
    r = bk_manage("POST", 1, "cancel", "x", NULL);
    it_assert_error(r, 429, "rate_limited");
    it_free(r);
    /* ... but not browsing. */
    r = it_get("/api/services", NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    after = bk_snapshot();
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    free(start);
}
END_TEST

START_TEST(booking_limit_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "");
}
END_TEST

Suite *it_suite_booking_limit(void)
{
    Suite *s = suite_create("booking-limit");
    TCase *lim = tcase_create("booking-limit");

    tcase_add_unchecked_fixture(lim, limit_setup, bk_httpd_teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, booking_rate_limit);
    tcase_add_test(lim, booking_limit_log_clean);
    suite_add_tcase(s, lim);
    return s;
}
