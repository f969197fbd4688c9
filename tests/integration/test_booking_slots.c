/*
 * test_booking_slots.c - what a patient can book: the services, the slots
 * (order, step alignment, hours, buffers, notice, horizon, exceptions,
 * practitioner filter, bad parameters) and the slots the chat offers.
 * Tests of the "booking" group (test_booking.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "booking.h"

/* ---- services ----------------------------------------------------------- */

START_TEST(booking_services)
{
    it_resp *r = it_get("/api/services", NULL);
    json_t *a, *s, *basic = NULL, *paid = NULL;
    long prev = 0;
    size_t i;

    ck_assert_msg(r->status == 200, "GET /api/services: %ld %s", r->status,
                  r->body);
    a = json_object_get(r->json, "services");
    ck_assert_msg(json_is_array(a) && json_array_size(a) >= 8, "services: "
                  "%s", r->body);
    json_array_foreach(a, i, s) {
        long id = jint(s, "id");

        ck_assert_msg(json_object_size(s) == 9 && jstr(s, "name")
                      && jstr(s, "description") && jstr(s, "currency")
                      && json_is_integer(json_object_get(s, "duration_min"))
                      && json_is_integer(json_object_get(s, "price_cents"))
                      && json_is_integer(json_object_get(s,
                                                        "buffer_before_min"))
                      && json_is_integer(json_object_get(s,
                                                         "buffer_after_min"))
                      && json_is_boolean(json_object_get(s,
                                                         "requires_payment")),
                      "service %zu has not the documented fields: %s", i,
                      json_dumps(s, JSON_COMPACT));
        ck_assert_msg(id > prev, "services not in id order: %s", r->body);
        prev = id;
        ck_assert_msg(id != sv_retired, "the inactive service is listed: %s",
                      r->body);
        basic = id == sv_basic ? s : basic;
        paid = id == sv_paid ? s : paid;
    }
    ck_assert_msg(basic && paid, "test services missing: %s", r->body);
    ck_assert_str_eq(jstr(basic, "name"), "BK Consultation");
    ck_assert_str_eq(jstr(basic, "description"), "Test consultation");
    ck_assert_int_eq(jint(basic, "duration_min"), 30);
    ck_assert_int_eq(jint(basic, "price_cents"), 5000);
    ck_assert_str_eq(jstr(basic, "currency"), "GBP");
    ck_assert_int_eq(jint(basic, "buffer_before_min"), 0);
    ck_assert_int_eq(jint(basic, "buffer_after_min"), 10);
    ck_assert(json_is_false(json_object_get(basic, "requires_payment")));
    ck_assert(json_is_true(json_object_get(paid, "requires_payment")));
    ck_assert_int_eq(jint(paid, "price_cents"), 12000);
    it_free(r);
}
END_TEST

/* ---- slots -------------------------------------------------------------- */

START_TEST(booking_slots_basic)
{
    const char *day = bk_day(0);
    it_resp *r;
    json_t *s;

    bk_settings(NULL);
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_str_eq(jstr(r->json, "timezone"), "Europe/London");
    ck_assert_int_eq(jint(r->json, "service_id"), sv_basic);
    ck_assert_str_eq(jstr(r->json, "from"), day);
    ck_assert_int_eq(jint(r->json, "days"), 1);
    ck_assert_msg(json_is_array(json_object_get(r->json,
                  "calendar_unavailable")) && json_array_size(json_object_get(
                  r->json, "calendar_unavailable")) == 0,
                  "calendar_unavailable: %s", r->body);
    bk_assert_slot_shape(r, day, 1, 15, 30);
    /* 30 minutes + 10 after, inside 09:00-17:00: 09:00 .. 16:15 */
    ck_assert_msg(bk_count_of(r, pr_alice) == 30 && bk_count_of(r, pr_bob)
                  == 30 && bk_count_of(r, 0) == 60, "expected 30 slots each "
                  "for Alice and Bob: %.3000s", r->body);
    ck_assert_int_eq(bk_count_at(r, "09:00", pr_alice), 1);
    ck_assert_int_eq(bk_count_at(r, "16:15", pr_alice), 1);
    ck_assert_int_eq(bk_count_at(r, "16:30", 0), 0);
    ck_assert_int_eq(bk_count_at(r, "08:45", 0), 0);
    s = json_array_get(bk_slot_list(r), 0);
    ck_assert_msg(!strncmp(jstr(s, "start") + 11, "09:00:00", 8)
                  && jint(s, "practitioner_id") == pr_alice, "first slot: %s",
                  r->body);
    it_free(r);

    /* The practitioner filter. */
    r = bk_slots(sv_basic, day, 1, pr_bob);
    ck_assert_msg(bk_count_of(r, pr_bob) == 30 && bk_count_of(r, 0) == 30,
                  "practitioner_id=Bob: %.2000s", r->body);
    it_free(r);
    r = bk_slots(sv_basic, day, 1, pr_carol);   /* does not do it */
    ck_assert_msg(bk_count_of(r, 0) == 0, "Carol does not do the "
                  "consultation: %.2000s", r->body);
    it_free(r);

    /* Several days: still one sorted list. */
    r = bk_slots(sv_basic, day, 3, 0);
    bk_assert_slot_shape(r, day, 3, 15, 30);
    ck_assert_msg(bk_count_of(r, 0) >= 60, "3 days: %.1000s", r->body);
    it_free(r);

    /* Another step: starts are multiples of it after local midnight. */
    bk_settings("slot_step_min = 20");
    r = bk_slots(sv_basic, day, 1, pr_alice);
    bk_assert_slot_shape(r, day, 1, 20, 30);
    ck_assert_msg(bk_count_of(r, 0) == 23 && bk_count_at(r, "09:00", 0) == 1
                  && bk_count_at(r, "16:20", 0) == 1, "step 20: 09:00 .. "
                  "16:20 expected: %.3000s", r->body);
    it_free(r);
    bk_settings("slot_step_min = 25");     /* 09:00 is not a multiple */
    r = bk_slots(sv_basic, day, 1, pr_alice);
    bk_assert_slot_shape(r, day, 1, 25, 30);
    ck_assert_msg(bk_count_of(r, 0) == 18 && bk_count_at(r, "09:10", 0) == 1
                  && bk_count_at(r, "16:15", 0) == 1, "step 25: 09:10 .. "
                  "16:15 expected: %.3000s", r->body);
    it_free(r);
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_slots_buffers)
{
    const char *day = bk_day(1);
    char *s12, *s10;
    it_resp *r;

    bk_settings(NULL);
    /* 45 minutes with 15 before and 15 after, inside 09:00-17:00. */
    r = bk_slots(sv_buf, day, 1, 0);
    bk_assert_slot_shape(r, day, 1, 15, 45);
    ck_assert_msg(bk_count_of(r, pr_carol) == 28
                  && bk_count_at(r, "09:00", 0) == 0
                  && bk_count_at(r, "09:15", 0) == 1
                  && bk_count_at(r, "16:00", 0) == 1
                  && bk_count_at(r, "16:15", 0) == 0, "buffered service: "
                  "09:15 .. 16:00 expected: %.3000s", r->body);
    it_free(r);
    s12 = bk_start(sv_buf, day, "12:00", pr_carol);
    bk_book(sv_buf, s12, pr_carol, NULL);
    /* Blocked 11:45-13:00: a new window [s - 15, s + 60) may touch it. */
    r = bk_slots(sv_buf, day, 1, 0);
    ck_assert_msg(bk_count_of(r, 0) == 19
                  && bk_count_at(r, "10:45", 0) == 1
                  && bk_count_at(r, "11:00", 0) == 0
                  && bk_count_at(r, "12:00", 0) == 0
                  && bk_count_at(r, "13:00", 0) == 0
                  && bk_count_at(r, "13:15", 0) == 1, "after a booking at "
                  "12:00: %.3000s", r->body);
    it_free(r);

    /* Across services of one practitioner: a consultation at 10:00 (10
     * after) blocks 10:00-10:40 for the paid treatment (no buffers). */
    s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    bk_book(sv_basic, s10, pr_alice, NULL);
    r = bk_slots(sv_paid, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "09:30", 0) == 1
                  && bk_count_at(r, "09:45", 0) == 0
                  && bk_count_at(r, "10:00", 0) == 0
                  && bk_count_at(r, "10:30", 0) == 0
                  && bk_count_at(r, "10:45", 0) == 1, "paid slots around a "
                  "consultation at 10:00: %.3000s", r->body);
    it_free(r);
    /* The new booking's own buffer: a consultation at 09:30 would end its
     * buffer at 10:10. */
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_msg(bk_count_at(r, "09:15", pr_alice) == 1
                  && bk_count_at(r, "09:30", pr_alice) == 0
                  && bk_count_at(r, "10:00", pr_bob) == 1, "consultation "
                  "slots around 10:00: %.3000s", r->body);
    it_free(r);
    free(s12);
    free(s10);
}
END_TEST

/* Slots are cached per process for a moment (mod_concierge_booking.c),
 * forgotten on every change PostgreSQL announces (sql/014) - also a change
 * made by SQL behind the module's back, and at once. */
START_TEST(booking_slots_cache_follows_sql)
{
    const char *day = bk_day(1);
    char *s15 = bk_start(sv_buf, day, "15:00", pr_carol);
    it_resp *r;
    long id;
    int i;

    it_free(bk_book_r(sv_buf, s15, pr_carol, &id, NULL));
    for (i = 0; i < 6; i++) {       /* seen (and cached) by both processes */
        r = bk_slots(sv_buf, day, 1, pr_carol);
        ck_assert_msg(bk_count_at(r, "15:00", pr_carol) == 0, "booked 15:00 "
                      "offered: %.2000s", r->body);
        it_free(r);
    }
    it_sql_exec("UPDATE bookings SET status = 'cancelled' WHERE id = %ld", id);
    for (i = 0; i < 4; i++) {
        r = bk_slots(sv_buf, day, 1, pr_carol);
        ck_assert_msg(bk_count_at(r, "15:00", pr_carol) == 1, "15:00 not "
                      "offered again right after a cancellation by SQL "
                      "(request %d): %.2000s", i, r->body);
        it_free(r);
    }
    free(s15);
}
END_TEST

START_TEST(booking_slots_notice_horizon)
{
    double now;
    long long first = -1, last = -1;
    json_t *s;
    size_t i;
    it_resp *r;

    bk_settings("min_notice_min = 5760");       /* 4 days */
    now = bk_now();
    r = bk_slots(sv_basic, bk_today, 8, pr_alice);
    json_array_foreach(bk_slot_list(r), i, s) {
        long long t = bk_t(jstr(s, "start"));

        first = first < 0 || t < first ? t : first;
    }
    ck_assert_msg(first > 0, "no slots after 4 days' notice: %s", r->body);
    ck_assert_msg(first >= (long long)now + 5760 * 60 - 5, "a slot at %lld "
                  "is inside 4 days' notice (now %.0f)", first, now);
    ck_assert_msg(first <= (long long)now + 5760 * 60 + 3 * 86400, "the "
                  "first slot is days after the notice: %lld", first);
    it_free(r);

    bk_settings("horizon_days = 5");
    now = bk_now();
    r = bk_slots(sv_basic, bk_today, 10, pr_alice);
    json_array_foreach(bk_slot_list(r), i, s) {
        long long t = bk_t(jstr(s, "start"));

        last = t > last ? t : last;
    }
    ck_assert_msg(last > 0 && last <= (long long)now + 5 * 86400 + 5,
                  "a slot beyond the 5-day horizon: %lld (now %.0f)", last,
                  now);
    ck_assert_msg(last >= (long long)now + 3 * 86400, "the last slot is "
                  "well before the horizon: %lld", last);
    it_free(r);
    {
        char far[11], path[160];

        /* Beyond the horizon or before today: refused (issue 12: a client
         * must not make the server ask Google about arbitrary windows). */
        bk_date(bk_parse_date(bk_today) + 7, far);
        snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s"
                 "&days=3", sv_basic, far);
        r = it_get(path, NULL);
        it_assert_error(r, 400, "invalid_parameter");
        ck_assert_msg(strstr(r->body, "horizon of 5 days") != NULL, "%s",
                      r->body);
        it_free(r);
        snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from="
                 "2020-01-01&days=5", sv_basic);
        r = it_get(path, NULL);
        it_assert_error(r, 400, "invalid_parameter");
        ck_assert_msg(strstr(r->body, "before today") != NULL, "%s",
                      r->body);
        it_free(r);
        /* The last day inside the horizon is still asked about. */
        bk_date(bk_parse_date(bk_today) + 5, far);
        r = bk_slots(sv_basic, far, 3, 0);
        it_free(r);
    }
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_slots_exceptions)
{
    it_resp *r;
    char *s;

    bk_settings(NULL);
    /* Alice's time off 12:00-14:00. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', true, 720, 840, 'time off', "
                "'it')", pr_alice, bk_day(2));
    r = bk_slots(sv_basic, bk_day(2), 1, 0);
    ck_assert_msg(bk_count_of(r, pr_alice) == 20
                  && bk_count_at(r, "11:15", pr_alice) == 1
                  && bk_count_at(r, "11:30", pr_alice) == 0
                  && bk_count_at(r, "13:45", pr_alice) == 0
                  && bk_count_at(r, "14:00", pr_alice) == 1
                  && bk_count_of(r, pr_bob) == 30, "time off 12-14: "
                  "%.3000s", r->body);
    it_free(r);

    /* A clinic holiday (every practitioner), the whole day. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, note, created_by) VALUES (NULL, '%s', true, "
                "'holiday', 'it')",
                bk_day(3));
    r = bk_slots(sv_basic, bk_day(3), 1, 0);
    ck_assert_msg(bk_count_of(r, 0) == 0, "slots on a holiday: %.1000s",
                  r->body);
    it_free(r);
    r = bk_slots(sv_buf, bk_day(3), 1, 0);
    ck_assert_int_eq(bk_count_of(r, 0), 0);
    it_free(r);
    /* Booking on it: no such slot. */
    {
        char *s0 = bk_start(sv_basic, bk_day(2), "10:00", pr_alice);
        long long shift = bk_parse_date(bk_day(3)) - bk_parse_date(bk_day(2));
        char when[32], *body;
        it_resp *b;

        /* 10:00 on the holiday (a day's shift of another 10:00) */
        bk_utc(bk_t(s0) + shift * 86400, when);
        body = bk_body(sv_basic, when, pr_alice);
        b = bk_post(body, NULL);
        it_assert_error(b, 409, "slot_taken");
        it_free(b);
        free(body);
        free(s0);
    }
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "(start_at AT TIME ZONE "
                                "'Europe/London')::date = "
                                "'%s'", bk_day(3)), 0);

    /* Closing early (from 13:00) for everyone. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (NULL, "
                "'%s', true, 780, 1440, 'closing at 1pm', 'it')", bk_day(4));
    r = bk_slots(sv_basic, bk_day(4), 1, 0);
    ck_assert_msg(bk_count_of(r, pr_alice) == 14 && bk_count_of(r, pr_bob)
                  == 14 && bk_count_at(r, "12:15", 0) == 2
                  && bk_count_at(r, "12:30", 0) == 0, "closing at 13:00: "
                  "%.3000s", r->body);
    it_free(r);

    /* Extra opening for someone without weekly hours. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', false, 600, 720, 'extra clinic', "
                "'it')", pr_extra, bk_day(5));
    r = bk_slots(sv_basic, bk_day(5), 2, pr_extra);
    bk_assert_slot_shape(r, bk_day(5), 1, 15, 30);
    ck_assert_msg(bk_count_of(r, 0) == 6 && bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "11:15", 0) == 1, "extra opening "
                  "10-12: %.2000s", r->body);
    it_free(r);
    s = bk_start(sv_basic, bk_day(5), "10:00", pr_extra);
    {
        long id;
        it_resp *b = bk_book_r(sv_basic, s, pr_extra, &id, NULL);

        ck_assert_str_eq(jstr(b->json, "practitioner_name"), "BK Extra");
        it_free(b);
    }
    free(s);
    /* A closure wins over an opening the same day. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', false, 600, 720, 'extra', 'it'), (%ld, '%s', true, "
                "660, 720, 'off', "
                "'it')", pr_extra, bk_day(6), pr_extra, bk_day(6));
    r = bk_slots(sv_basic, bk_day(6), 1, pr_extra);
    ck_assert_msg(bk_count_of(r, 0) == 2 && bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "10:15", 0) == 1, "opening 10-12 closed "
                  "11-12: %.2000s", r->body);
    it_free(r);
}
END_TEST

/* Every bad query: 400 invalid_parameter (a JSON error), 404 for a
 * service that is unknown or no longer offered. */
START_TEST(booking_slots_bad_params)
{
    static const char *const bad[] = {
        "", "service_id=", "service_id=0", "service_id=-1", "service_id=abc",
        "service_id=1.5", "service_id=99999999999999999999",
        "service_id=%ld&days=0", "service_id=%ld&days=32",
        "service_id=%ld&days=-1", "service_id=%ld&days=x",
        "service_id=%ld&from=2027-02-30", "service_id=%ld&from=2027-2-3",
        "service_id=%ld&from=today", "service_id=%ld&from=2027-13-01",
        "service_id=%ld&practitioner_id=abc",
        "service_id=%ld&practitioner_id=0", NULL
    };
    const char *const *q;
    char path[256], qs[160];
    it_resp *r;

    for (q = bad; *q; q++) {
        snprintf(qs, sizeof(qs), *q, sv_basic);
        snprintf(path, sizeof(path), "/api/slots?%s", qs);
        r = it_get(path, NULL);
        ck_assert_msg(r->status == 400, "GET %s: %ld, expected 400; body: "
                      "%s", path, r->status, r->body);
        bk_assert_error_first(r, 400, "invalid_parameter");
        it_free(r);
    }
    snprintf(path, sizeof(path), "/api/slots?service_id=99999999&from=%s",
             bk_day(0));
    r = it_get(path, NULL);
    it_assert_error(r, 404, "unknown_service");
    it_free(r);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s",
             sv_retired, bk_day(0));
    r = it_get(path, NULL);
    it_assert_error(r, 404, "unknown_service");
    it_free(r);
    /* The edges that are allowed. */
    r = bk_slots(sv_basic, bk_day(0), 31, pr_alice);
    it_free(r);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld", sv_basic);
    r = it_get(path, NULL);
    ck_assert_msg(r->status == 200 && jint(r->json, "days") == 7
                  && jstr(r->json, "from")
                  && !strcmp(jstr(r->json, "from"), bk_today),
                  "defaults (today, 7 days): %.500s", r->body);
    it_free(r);
}
END_TEST


/* Booking in the conversation: a request to book gets a "book" action with
 * free slots of the matching service on the day and part of day asked for
 * (each one GET /api/slots offers), a policy question gets none, an
 * unclear one a choice of services, a risky one no offer at all.  (The
 * offered day is left unbooked: other tests own their days.) */
static it_resp *bk_chat(const char *msg, const char *session)
{
    char body[512];

    if (session) {
        snprintf(body, sizeof(body), "{\"session_id\":\"%s\",\"message\":"
                 "\"%s\"}", session, msg);
    }
    else {
        snprintf(body, sizeof(body), "{\"message\":\"%s\"}", msg);
    }
    return it_req("POST", "/api/chat", NULL, "application/json", body, -1,
                  NULL);
}

START_TEST(booking_chat_offer)
{
    char *tue, *peel_s, path[256];
    long peel;
    json_t *a, *slots, *sl, *offered;
    it_resp *r, *s2;
    size_t i;

    tue = it_sql_try(NULL, "SELECT d::date FROM generate_series((now() AT "
                     "TIME ZONE 'Europe/London')::date + 1, (now() AT TIME "
                     "ZONE 'Europe/London')::date + 7, interval '1 day') d "
                     "WHERE extract(isodow FROM d) = 2");
    tue[strcspn(tue, "\n")] = '\0';
    ck_assert_msg(strlen(tue) == 10, "next Tuesday: %s", tue);
    peel_s = it_sql_try(NULL, "SELECT id FROM services WHERE name = "
                        "'Chemical peel'");
    peel = strtol(peel_s, NULL, 10);
    ck_assert_msg(peel > 0, "the sample clinic's peel: %s", peel_s);

    r = bk_chat("Can I book a chemical peel next Tuesday afternoon?", NULL);
    ck_assert_msg(r->status == 200 && r->json, "chat: %ld %s", r->status,
                  r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "answered");
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(a && !strcmp(jstr(a, "type"), "book"), "no book action: %s",
                  r->body);
    ck_assert_int_eq(jint(json_object_get(a, "service"), "id"), peel);
    slots = json_object_get(a, "slots");
    ck_assert_msg(json_array_size(slots) > 0, "no slots offered: %s",
                  r->body);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s&days=1",
             peel, tue);
    s2 = it_get(path, NULL);
    ck_assert_int_eq(s2->status, 200);
    offered = json_object_get(s2->json, "slots");
    json_array_foreach(slots, i, sl) {
        const char *st = jstr(sl, "start");
        int hour = atoi(st + 11), found = 0;
        size_t k;
        json_t *o;

        ck_assert_msg(!strncmp(st, tue, 10), "slot %s is not on %s", st, tue);
        ck_assert_msg(hour >= 12 && hour < 17, "slot %s is not in the "
                      "afternoon", st);
        json_array_foreach(offered, k, o) {
            found |= !strcmp(jstr(o, "start"), st);
        }
        ck_assert_msg(found, "slot %s is not one GET /api/slots offers", st);
    }
    it_free(s2);
    it_free(r);

    /* A question about booking policy is answered, not offered slots. */
    r = bk_chat("How do I cancel my booking?", NULL);
    ck_assert_int_eq(r->status, 200);
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(!a || strcmp(jstr(a, "type"), "book"), "a policy question "
                  "got a booking offer: %s", r->body);
    it_free(r);

    /* No treatment named: a choice. */
    r = bk_chat("I'd like to book an appointment please", NULL);
    ck_assert_int_eq(r->status, 200);
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(a && !strcmp(jstr(a, "type"), "choose_service")
                  && json_array_size(json_object_get(a, "services")) > 0,
                  "no choice of services: %s", r->body);
    it_free(r);

    /* Safety first: a risky request to book is escalated, with no offer. */
    r = bk_chat("Can I book a peel next Tuesday? I am 12 weeks pregnant",
                NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "escalated");
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(!a || strcmp(jstr(a, "type"), "book"), "a risky message "
                  "got a booking offer: %s", r->body);
    it_free(r);
    free(tue);
    free(peel_s);
}
END_TEST

/* The slot tests, in the order the group runs them. */
void bk_add_slot_tests(TCase *tc)
{
    tcase_add_test(tc, booking_services);
    tcase_add_test(tc, booking_chat_offer);
    tcase_add_test(tc, booking_slots_basic);
    tcase_add_test(tc, booking_slots_buffers);
    tcase_add_test(tc, booking_slots_cache_follows_sql);
    tcase_add_test(tc, booking_slots_notice_horizon);
    tcase_add_test(tc, booking_slots_exceptions);
    tcase_add_test(tc, booking_slots_bad_params);
}
