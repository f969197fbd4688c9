/*
 * test_events.c - the analytics record (sql/007 events, written by
 * concierge_event() and the booking functions of sql/functions/): a
 * booking created, rescheduled and cancelled through the real API, by a
 * patient and by staff, and a payment hold that runs out, each leave
 * exactly one row of the right kind, source, ids and category; refused
 * requests leave none; no row and no column carries patient details; the
 * application role may append and read, never change or delete.
 *
 * Its own clinic ("EV ..." practitioners and service, created with SQL),
 * on days no other suite books.  Every patient detail carries "evcanary".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "harness.h"

#define EV_CANARY "evcanary"
#define EV_CONF \
    "ConciergeSecret it-events-secret-0123456789-abcdefghijklmnopqrstuvwxyz\n" \
    "ConciergeTimeZone Europe/London\n" \
    "ConciergeRateLimit booking 100000/sec\n" \
    "ConciergeRateLimit browse 100000/sec\n" \
    "ConciergeRateLimit admin 100000/sec\n"

/* Set by the unchecked fixture (parent process): every forked test sees
 * them. */
static long ev_pr_a, ev_pr_b, ev_sv, ev_sv_paid;
static char ev_days[4][11];

/* The events of a booking, one line each, oldest first:
 * "kind|source|conversation|escalation|service|practitioner|category"
 * (NULL as "-"); malloc'd. */
static char *ev_rows(long booking)
{
    return it_sql("SELECT string_agg(concat_ws('|', kind, source, "
                  "coalesce(conversation_id::text, '-'), "
                  "coalesce(escalation_id::text, '-'), "
                  "coalesce(service_id::text, '-'), "
                  "coalesce(practitioner_id::text, '-'), "
                  "coalesce(category, '-')), ' ' ORDER BY id) "
                  "FROM events WHERE booking_id = %ld", booking);
}

static void ev_assert_rows(long booking, const char *want)
{
    char *got = ev_rows(booking);

    ck_assert_msg(!strcmp(got, want), "events of booking %ld:\n  got  '%s'"
                  "\n  want '%s'", booking, got, want);
    free(got);
}

/* ---- the clinic ------------------------------------------------------- */

static long ev_id(const char *table, const char *name)
{
    char *out = it_sql_try(NULL, "SELECT id FROM %s WHERE name = '%s'", table,
                           name);
    long v = strtol(out, NULL, 10);

    if (v <= 0) {
        fprintf(stderr, "test_events: no %s '%s': %s\n", table, name, out);
        exit(2);
    }
    free(out);
    return v;
}

static void events_setup(void)
{
    char *out, *line, *save = NULL;
    int n = 0, ok = 0;

    if (!ev_pr_a) {
        out = it_sql_try(&ok, "BEGIN; "
            "INSERT INTO practitioners (name) VALUES ('EV Ann'), ('EV Ben'); "
            "INSERT INTO services (name, duration_min, price_cents, "
            "requires_payment) VALUES ('EV Check-up', 30, 4000, false), "
            "('EV Paid', 30, 9000, true); "
            "INSERT INTO practitioner_services SELECT p.id, s.id FROM "
            "practitioners p, services s WHERE p.name IN ('EV Ann', "
            "'EV Ben') AND s.name IN ('EV Check-up', 'EV Paid'); "
            "INSERT INTO opening_hours (practitioner_id, weekday, start_min, "
            "end_min) SELECT p.id, d, 540, 1020 FROM practitioners p, "
            "generate_series(0, 6) d WHERE p.name IN ('EV Ann', 'EV Ben'); "
            "COMMIT;");
        if (!ok) {
            fprintf(stderr, "test_events: the clinic could not be created: "
                    "%s\n", out);
            exit(2);
        }
        free(out);
        ev_pr_a = ev_id("practitioners", "EV Ann");
        ev_pr_b = ev_id("practitioners", "EV Ben");
        ev_sv = ev_id("services", "EV Check-up");
        ev_sv_paid = ev_id("services", "EV Paid");
        /* Days well past every cut-off and inside the horizon, not a
         * clinic holiday. */
        out = it_sql_try(NULL, "SELECT to_char(d, 'YYYY-MM-DD') FROM "
                     "generate_series("
                     "(now() AT TIME ZONE 'Europe/London')::date + 8, "
                     "(now() AT TIME ZONE 'Europe/London')::date + 60, "
                     "interval '1 day') d WHERE NOT EXISTS (SELECT 1 FROM "
                     "schedule_exceptions e WHERE e.day = d::date) "
                     "ORDER BY d LIMIT 4");
        for (line = strtok_r(out, "\n", &save); line && n < 4;
             line = strtok_r(NULL, "\n", &save)) {
            if (strlen(line) == 10) {
                snprintf(ev_days[n++], 11, "%s", line);
            }
        }
        free(out);
        if (n != 4) {
            fprintf(stderr, "test_events: could not choose days\n");
            exit(2);
        }
    }
    it_httpd_start(EV_CONF, 1, 8);
}

static void events_teardown(void)
{
    it_httpd_stop();
}

/* ---- HTTP ------------------------------------------------------------- */

/* The n-th (0-based) slot start of practitioner pract on day; malloc'd. */
static char *ev_slot(long svc, const char *day, long pract, size_t nth)
{
    char path[200];
    it_resp *r;
    json_t *slots, *s;
    char *out;

    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s&days=1"
             "&practitioner_id=%ld", svc, day, pract);
    r = it_get(path, NULL);
    slots = r->json ? json_object_get(r->json, "slots") : NULL;
    ck_assert_msg(r->status == 200 && json_array_size(slots) > nth,
                  "GET %s: %ld %.2000s", path, r->status, r->body);
    s = json_array_get(slots, nth);
    out = strdup(json_string_value(json_object_get(s, "start")));
    it_free(r);
    return out;
}

/* Book (asserted 201); the id, and the manage token into tok. */
static long ev_book(long svc, const char *start, long pract, char tok[128])
{
    char body[512];
    it_resp *r;
    long id;

    snprintf(body, sizeof(body), "{\"service_id\":%ld,\"practitioner_id\":"
             "%ld,\"start\":\"%s\",\"patient\":{\"name\":\"Evcanary "
             "Patient\",\"email\":\"evcanary.%d@example.org\",\"phone\":"
             "\"+44 7700 900456\"}}", svc, pract, start, (int)getpid());
    r = it_req("POST", "/api/bookings", NULL, "application/json", body, -1,
               NULL);
    ck_assert_msg(r->status == 201, "POST /api/bookings: %ld %s", r->status,
                  r->body);
    id = (long)json_integer_value(json_object_get(r->json, "id"));
    snprintf(tok, 128, "%s", json_string_value(json_object_get(r->json,
             "manage_token")));
    it_free(r);
    ck_assert_msg(id > 0 && tok[0], "no id or manage_token");
    return id;
}

/* POST /api/bookings/{id}/{action} as the patient (token) or, with a NULL
 * token, /api/admin/bookings/{id}/{action} as staff. */
static it_resp *ev_post(long id, const char *action, const char *tok,
                        const char *body)
{
    char path[128], hdr[200];
    const char *hdrs[2] = { NULL, NULL };

    if (!tok) {
        snprintf(path, sizeof(path), "/api/admin/bookings/%ld/%s", id,
                 action);
        return it_req("POST", path, IT_STAFF, body ? "application/json"
                      : NULL, body, -1, NULL);
    }
    snprintf(path, sizeof(path), "/api/bookings/%ld/%s", id, action);
    snprintf(hdr, sizeof(hdr), "X-Manage-Token: %s", tok);
    hdrs[0] = hdr;
    return it_req("POST", path, NULL, body ? "application/json" : NULL, body,
                  -1, hdrs);
}

static void ev_expect(it_resp *r, long status, const char *what)
{
    ck_assert_msg(r->status == status, "%s: %ld %s", what, r->status,
                  r->body);
    it_free(r);
}

/* ---- tests ------------------------------------------------------------ */

/* Book, reschedule, cancel as the patient: three events, in order. */
START_TEST(events_patient_flow)
{
    char *s0 = ev_slot(ev_sv, ev_days[0], ev_pr_a, 0);
    char *s4 = ev_slot(ev_sv, ev_days[0], ev_pr_a, 4);
    char tok[128], body[200], want[600];
    long id;

    id = ev_book(ev_sv, s0, ev_pr_a, tok);
    snprintf(want, sizeof(want), "booking_created|patient|-|-|%ld|%ld|api",
             ev_sv, ev_pr_a);
    ev_assert_rows(id, want);

    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s4);
    ev_expect(ev_post(id, "reschedule", tok, body), 200, "reschedule");
    snprintf(want + strlen(want), sizeof(want) - strlen(want),
             " booking_rescheduled|patient|-|-|%ld|%ld|-", ev_sv, ev_pr_a);
    ev_assert_rows(id, want);

    ev_expect(ev_post(id, "cancel", tok, "{\"reason\":\"Evcanary cannot "
                      "come\"}"), 200, "cancel");
    snprintf(want + strlen(want), sizeof(want) - strlen(want),
             " booking_cancelled|patient|-|-|%ld|%ld|-", ev_sv, ev_pr_a);
    ev_assert_rows(id, want);

    /* Refused: no event. */
    ev_expect(ev_post(id, "cancel", tok, NULL), 409, "second cancel");
    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s0);
    ev_expect(ev_post(id, "reschedule", tok, body), 409,
              "reschedule of a cancelled booking");
    ev_assert_rows(id, want);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE booking_id = "
                            "%ld AND at > now() - interval '10 minutes'",
                            id), 3);
    free(s0);
    free(s4);
}
END_TEST

/* Staff move a booking to another practitioner and cancel it: source
 * 'staff', the new practitioner's id. */
START_TEST(events_staff_flow)
{
    char *s1 = ev_slot(ev_sv, ev_days[1], ev_pr_a, 1);
    char *s6 = ev_slot(ev_sv, ev_days[1], ev_pr_b, 6);
    char tok[128], body[200], want[600];
    long id;

    id = ev_book(ev_sv, s1, ev_pr_a, tok);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":%ld}",
             s6, ev_pr_b);
    ev_expect(ev_post(id, "reschedule", NULL, body), 200, "staff reschedule");
    ev_expect(ev_post(id, "cancel", NULL, NULL), 200, "staff cancel");
    snprintf(want, sizeof(want), "booking_created|patient|-|-|%ld|%ld|api "
             "booking_rescheduled|staff|-|-|%ld|%ld|- "
             "booking_cancelled|staff|-|-|%ld|%ld|-", ev_sv, ev_pr_a, ev_sv,
             ev_pr_b, ev_sv, ev_pr_b);
    ev_assert_rows(id, want);
    free(s1);
    free(s6);
}
END_TEST

/* A slot taken twice: the second booking is refused and records nothing. */
START_TEST(events_taken_not_recorded)
{
    char *s2 = ev_slot(ev_sv, ev_days[2], ev_pr_a, 2);
    char tok[128], body[512];
    long before, id;
    it_resp *r;

    id = ev_book(ev_sv, s2, ev_pr_a, tok);
    before = it_sql_num("SELECT count(*) FROM events WHERE kind = "
                    "'booking_created'");
    snprintf(body, sizeof(body), "{\"service_id\":%ld,\"practitioner_id\":"
             "%ld,\"start\":\"%s\",\"patient\":{\"name\":\"Evcanary Two\","
             "\"email\":\"evcanary.two@example.org\"}}", ev_sv, ev_pr_a, s2);
    r = it_req("POST", "/api/bookings", NULL, "application/json", body, -1,
               NULL);
    ck_assert_msg(r->status == 409, "double booking: %ld %s", r->status,
                  r->body);
    it_free(r);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                            "'booking_created'"), before);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE booking_id = "
                            "%ld", id), 1);
    free(s2);
}
END_TEST

/* A late cancellation (inside the cut-off, policy 'forfeit') is marked
 * 'late'; an unpaid hold that runs out is 'booking_expired' by 'system'. */
START_TEST(events_late_and_expired)
{
    char *s3 = ev_slot(ev_sv, ev_days[3], ev_pr_a, 3);
    char *p5 = ev_slot(ev_sv_paid, ev_days[3], ev_pr_b, 5);
    char tok[128], want[600], *out;
    long id, paid;

    id = ev_book(ev_sv, s3, ev_pr_a, tok);
    out = it_sql("UPDATE clinic_settings SET cancel_cutoff_min = 43200, "
                 "late_cancel = 'forfeit' WHERE id = 1");
    free(out);
    ev_expect(ev_post(id, "cancel", tok, NULL), 200, "late cancel");
    out = it_sql("UPDATE clinic_settings SET cancel_cutoff_min = 2880 "
                 "WHERE id = 1");
    free(out);
    snprintf(want, sizeof(want), "booking_created|patient|-|-|%ld|%ld|api "
             "booking_cancelled|patient|-|-|%ld|%ld|late", ev_sv, ev_pr_a,
             ev_sv, ev_pr_a);
    ev_assert_rows(id, want);

    paid = ev_book(ev_sv_paid, p5, ev_pr_b, tok);
    out = it_sql("UPDATE bookings SET hold_until = now() - interval '1 "
                 "minute' WHERE id = %ld", paid);
    free(out);
    /* What the module's ticker runs (cc_bk_expire). */
    out = it_sql("SELECT concierge_expire_holds(NULL)");
    free(out);
    snprintf(want, sizeof(want), "booking_created|patient|-|-|%ld|%ld|api "
             "booking_expired|system|-|-|%ld|%ld|payment_hold_elapsed",
             ev_sv_paid, ev_pr_b, ev_sv_paid, ev_pr_b);
    ev_assert_rows(paid, want);
    free(s3);
    free(p5);
}
END_TEST

/* No patient details anywhere in the record: its only text columns are
 * kind, source and category (closed vocabularies), and no row holds the
 * canary the patients' names, e-mails and reasons carry. */
START_TEST(events_no_patient_data)
{
    char *out;

    out = it_sql("SELECT string_agg(column_name, ',' ORDER BY column_name) "
                 "FROM information_schema.columns WHERE table_name = "
                 "'events' AND data_type NOT IN ('bigint', 'timestamp with "
                 "time zone')");
    ck_assert_str_eq(out, "category,kind,source");
    free(out);
    ck_assert_int_gt(it_sql_num("SELECT count(*) FROM events"), 0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events e WHERE e::text "
                            "ILIKE '%%" EV_CANARY "%%' OR e::text LIKE "
                            "'%%7700 900456%%'"), 0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE category "
                            "!~ '^[a-z_]+(,[a-z_]+)*$'"), 0);
}
END_TEST

/* The application role appends (through concierge_event, with 0 and ''
 * meaning none) and reads; it may not change or delete a row, and an
 * unknown kind is refused. */
START_TEST(events_app_role)
{
    char *out, *end = NULL;
    long id;
    int rc;

    out = it_sh_out("scripts/pg.sh apppsql -X -tAq -v ON_ERROR_STOP=1 -c "
                    "\"SELECT concierge_event('chat_emergency', 'patient', "
                    "424242, 0, 0, 0, 0, 'chest_pain')\" 2>&1");
    id = strtol(out, &end, 10);
    ck_assert_msg(id > 0 && end && *end == '\n', "concierge_event as the "
                  "app role: %s", out);
    free(out);
    out = it_sql("SELECT concat_ws('/', kind, source, conversation_id, "
                 "coalesce(booking_id::text, '-'), coalesce(category, '-')) "
                 "FROM events WHERE id = %ld", id);
    ck_assert_str_eq(out, "chat_emergency/patient/424242/-/chest_pain");
    free(out);
    rc = it_sh("scripts/pg.sh apppsql -X -q -v ON_ERROR_STOP=1 -c "
               "\"UPDATE events SET category = NULL\" >/dev/null 2>&1");
    ck_assert_msg(rc != 0, "the app role could update events");
    rc = it_sh("scripts/pg.sh apppsql -X -q -v ON_ERROR_STOP=1 -c "
               "\"DELETE FROM events\" >/dev/null 2>&1");
    ck_assert_msg(rc != 0, "the app role could delete events");
    rc = it_sh("scripts/pg.sh apppsql -X -q -v ON_ERROR_STOP=1 -c "
               "\"SELECT concierge_event('chat_gossip', 'patient')\" "
               ">/dev/null 2>&1");
    ck_assert_msg(rc != 0, "an unknown kind was recorded");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE "
                            "conversation_id = 424242"), 1);
}
END_TEST

START_TEST(events_log_clean)
{
    /* The chat flows escalate an emergency (logged, without text). */
    static const char *const allowed[] = { "created (emergency)", NULL };
    char *bad = it_log_unexpected(allowed), *log = it_log_read();

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
    ck_assert_msg(!strcasestr(log, EV_CANARY), "patient details in the "
                  "error log");
    free(log);
}
END_TEST

/* ---- chat flows ---------------------------------------------------------- */

/* A patient message; the session id of the reply (malloc'd), its status
 * asserted. */
static char *ev_chat(const char *message, const char *status)
{
    char body[600];
    it_resp *r;
    char *session;

    snprintf(body, sizeof(body), "{\"message\":\"%s\"}", message);
    r = it_req("POST", "/api/chat", NULL, "application/json", body, -1, NULL);
    ck_assert_msg(r->status == 200 && r->json, "chat '%s': %ld %s", message,
                  r->status, r->body);
    ck_assert_msg(!strcmp(json_string_value(json_object_get(r->json,
                  "status")), status), "chat '%s': status %s, want %s",
                  message, json_string_value(json_object_get(r->json,
                  "status")), status);
    session = strdup(json_string_value(json_object_get(r->json,
                                                       "session_id")));
    it_free(r);
    return session;
}

/* The events of a chat session's conversation, as ev_rows writes them
 * (conversation id as "c"). */
static char *ev_chat_rows(const char *session)
{
    return it_sql("SELECT string_agg(concat_ws('|', e.kind, e.source, 'c', "
                  "CASE WHEN e.escalation_id IS NULL THEN '-' ELSE 'e' END, "
                  "coalesce(e.service_id::text, '-'), "
                  "coalesce(e.category, '-')), ' ' ORDER BY e.id) "
                  "FROM events e JOIN conversations c ON c.id = "
                  "e.conversation_id WHERE c.session_hash = "
                  "encode(sha256(convert_to('%s', 'UTF8')), 'hex')", session);
}

static void ev_chat_expect(const char *message, const char *status,
                           const char *want)
{
    char *session = ev_chat(message, status);
    char *got = ev_chat_rows(session);

    ck_assert_msg(!strcmp(got, want), "events of '%s':\n  got  '%s'\n  "
                  "want '%s'", message, got, want);
    free(got);
    free(session);
}

/* Answered, not answered, a booking offer, a risk, an emergency: one
 * event each, with the conversation (and the escalation or service). */
START_TEST(events_chat_flows)
{
    char want[200];
    long peel = it_sql_num("SELECT id FROM services WHERE name = "
                       "'Chemical peel'");

    ev_chat_expect("Where can I park my car?", "answered",
                   "chat_answered|patient|c|-|-|-");
    ev_chat_expect("Who won the football last night?", "no_answer",
                   "chat_no_answer|patient|c|-|-|-");
    snprintf(want, sizeof(want), "booking_offered|patient|c|-|%ld|-", peel);
    ev_chat_expect("Can I book a chemical peel next Tuesday afternoon?",
                   "answered", want);
    ev_chat_expect("I'm pregnant, can I have anti-wrinkle injections?",
                   "escalated", "chat_escalated|patient|c|e|-|pregnancy");
    {
        /* The categories are the rules' (the emergency among them). */
        char *session = ev_chat("I can't breathe and my throat is swelling "
                                "after the injection", "emergency");
        char *got = ev_chat_rows(session);

        ck_assert_msg(!strncmp(got, "chat_emergency|patient|c|e|-|", 29)
                      && strstr(got + 29, "emergency") && !strchr(got, ' '),
                      "events of an emergency: '%s'", got);
        free(got);
        free(session);
    }
}
END_TEST

static void chat_nolog_setup(void)
{
    it_httpd_start(EV_CONF "ConciergeChatLog Off\n", 1, 8);
}

/* ConciergeChatLog Off keeps no conversation and no text, but the event
 * is still recorded, without a conversation. */
START_TEST(events_chat_nolog)
{
    long before = it_sql_num("SELECT count(*) FROM events WHERE kind = "
                         "'chat_answered' AND conversation_id IS NULL");
    char *session = ev_chat("Where can I park my car?", "answered");

    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM conversations WHERE "
                            "session_hash = encode(sha256(convert_to('%s', "
                            "'UTF8')), 'hex')", session), 0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                            "'chat_answered' AND conversation_id IS NULL"),
                     before + 1);
    free(session);
}
END_TEST

Suite *it_suite_events(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");

    tcase_add_unchecked_fixture(tc, events_setup, events_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, events_patient_flow);
    tcase_add_test(tc, events_staff_flow);
    tcase_add_test(tc, events_taken_not_recorded);
    tcase_add_test(tc, events_late_and_expired);
    tcase_add_test(tc, events_no_patient_data);
    tcase_add_test(tc, events_app_role);
    tcase_add_test(tc, events_chat_flows);
    tcase_add_test(tc, events_log_clean);
    suite_add_tcase(s, tc);

    tc = tcase_create("chat log off");
    tcase_add_unchecked_fixture(tc, chat_nolog_setup, events_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, events_chat_nolog);
    tcase_add_test(tc, events_log_clean);
    suite_add_tcase(s, tc);
    return s;
}
