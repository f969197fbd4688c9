/*
 * test_calendar_events.c - the booking's event in Google Calendar: insert
 * (id derived from the booking, times, zone, summary, no attendees),
 * moves (update; delete + insert across calendars, and back) and
 * cancellation (delete; 410 on a repeated delete counts as done).  Tests
 * of the "calendar" group (test_calendar.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "calendar.h"

/* (3) A booking puts one event in the practitioner's calendar within
 * seconds: the id derived from the booking, times and zone, summary, no
 * attendees; the booking itself does not wait for Google. */
START_TEST(cal_event_insert)
{
    char *start = NULL, eid[33];
    cg_booking b;
    json_t *ev, *st, *h;
    const char *id;
    size_t i;

    cg_begin();
    start = cg_pick(D_INSERT, cg_pa, "09:30:00");
    b = cg_book(cg_pa, start, "Ada Lovelace");
    ck_assert_msg(b.secs < 2.0, "the booking took %.2f s", b.secs);
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "no event %s in %s within 10 s; events %s, "
                  "requests %.2000s", eid, CG_CAL_A,
                  cg_dump(json_object_get(st, "events")),
                  cg_dump(json_object_get(st, "requests")));
    id = cg_str(ev, "id");
    ck_assert_msg(strlen(id) == 32, "event id %s is not 32 characters", id);
    for (i = 0; i < 32; i++) {
        ck_assert_msg(strchr("0123456789abcdef", id[i]) != NULL, "event id "
                      "%s is not lowercase hex", id);
    }
    /* Google learns the service and a booking number, not the patient
     * (ConciergeCalendarPatientNames Off, the default). */
    {
        char want[128], *dump = cg_dump(ev);

        snprintf(want, sizeof(want), CG_SERVICE " - booking %lld",
                 (long long)b.id);
        ck_assert_msg(!strcmp(cg_str(ev, "summary"), want),
                      "summary '%s', expected '%s'", cg_str(ev, "summary"),
                      want);
        ck_assert_msg(!strstr(dump, "Ada") && !strstr(dump, "Lovelace"),
                      "the patient's name is in the event: %s", dump);
        free(dump);
    }
    ck_assert_msg(!strcmp(cg_str(ev, "timeZone"), CG_TZ), "timeZone '%s'",
                  cg_str(ev, "timeZone"));
    ck_assert_msg(json_integer_value(json_object_get(ev, "start_ts"))
                  == cg_ts(b.start)
                  && json_integer_value(json_object_get(ev, "end_ts"))
                     == cg_ts(b.end)
                  && cg_ts(b.end) - cg_ts(b.start) == 30 * 60,
                  "event %s - %s, booking %s - %s", cg_str(ev, "start"),
                  cg_str(ev, "end"), b.start, b.end);
    ck_assert_msg(!strcmp(cg_str(ev, "start"), b.start), "event start "
                  "'%s' is not the booking's local time '%s'",
                  cg_str(ev, "start"), b.start);
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1
                  && json_array_size(cg_events_of(st, CG_CAL_B)) == 0,
                  "events: %s", cg_dump(json_object_get(st, "events")));
    /* One insert, accepted (attendees would have got 403
     * forbiddenForServiceAccounts), with sendUpdates=none. */
    ck_assert_msg(cg_count_req(st, "POST", "/events", 0, -1) == 1
                  && cg_count_req(st, "POST", "/events", 200, 0) == 1,
                  "inserts: %.2000s", cg_dump(json_object_get(st,
                                                              "requests")));
    ck_assert_msg(cg_count_req(st, "POST", "sendUpdates=none", 200, 0) == 1,
                  "the insert did not say sendUpdates=none");
    ck_assert_msg(cg_count_req(st, NULL, "cal-a%40clinic.example", 0, -1)
                  >= 1, "the calendar id was not URL-encoded in the path");
    ck_assert_msg(cg_counter(st, "rejected") == cg_counter(st,
                                                           "unauthorized"),
                  "the fake rejected a request: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done: %s",
                  cg_outbox(b.id));
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "ok"), "health %s",
                  cg_dump(h));
    json_decref(h);
    json_decref(ev);
    cg_booking_free(&b);
    free(start);
}
END_TEST

/* (4) A reschedule moves the event (update in place, same id); the old
 * time is offered again. */
START_TEST(cal_event_move)
{
    char *s1, *s2, eid[33];
    cg_booking b;
    json_t *ev, *st, *sl;
    it_resp *r;
    long long t2;
    char body[128];

    cg_begin();
    s1 = cg_pick(D_MOVE, cg_pa, "10:00:00");
    s2 = cg_pick(D_MOVE, cg_pa, "15:00:00");
    t2 = cg_ts(s2);
    b = cg_book(cg_pa, s1, "Mo Ving");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);

    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "reschedule: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", t2, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event did not move to %s within 10 s: "
                  "events %s", s2, cg_dump(json_object_get(st, "events")));
    ck_assert_msg(json_integer_value(json_object_get(ev, "end_ts"))
                  == t2 + 30 * 60, "moved event ends at %s", cg_str(ev,
                                                                   "end"));
    ck_assert_msg(json_integer_value(json_object_get(ev, "sequence")) >= 1,
                  "the event was not updated (sequence %lld)",
                  (long long)json_integer_value(json_object_get(ev,
                                                                "sequence")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "a move left more than one event: %s",
                  cg_dump(json_object_get(st, "events")));
    ck_assert_msg(cg_count_req(st, "PUT", eid, 200, 0) == 1,
                  "the move was not one PUT (update) of %s: %.2000s", eid,
                  cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(cg_count_req(st, "DELETE", NULL, 0, -1) == 0,
                  "a move deleted an event");
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");

    sl = cg_slots(D_MOVE, cg_pa, 1, NULL);
    ck_assert_msg(cg_slot_at(sl, cg_pa, "10:00:00") != NULL, "the old time "
                  "10:00 is not offered again after the move");
    ck_assert_msg(cg_slot_at(sl, cg_pa, "15:00:00") == NULL, "the new time "
                  "is still offered");
    json_decref(sl);
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* (4) Moving a booking by 15 minutes, overlapping its own time: without
 * a calendar this is allowed (the booking's own time is excluded), and it
 * must stay allowed, with the same practitioner, when the booking's own
 * event is in the calendar.  Two bookings: one moved without naming the
 * practitioner (as a patient does), one naming A. */
START_TEST(cal_event_move_overlapping_own)
{
    char *s1, *s2, *s3, *s4, eid[33], body[160];
    cg_booking b1, b2;
    json_t *ev;
    it_resp *r1, *r2;
    long p1 = 0;
    int ok1, ok2;

    cg_begin();
    s1 = cg_pick(D_MOVE_OWN, cg_pa, "11:00:00");
    s2 = cg_pick(D_MOVE_OWN, cg_pa, "11:15:00");
    s3 = cg_pick(D_MOVE_OWN, cg_pa, "15:00:00");
    s4 = cg_pick(D_MOVE_OWN, cg_pa, "15:15:00");
    b1 = cg_book(cg_pa, s1, "Own Overlap");
    b2 = cg_book(cg_pa, s3, "Own Overlap Named");
    cg_event_id(b1.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    cg_event_id(b2.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);

    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r1 = cg_manage(&b1, "reschedule", body);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s4, (long long)cg_pa);
    r2 = cg_manage(&b2, "reschedule", body);
    if (r1->status == 200) {
        p1 = (long)json_integer_value(json_object_get(json_object_get(
                 r1->json, "booking"), "practitioner_id"));
    }
    ok1 = r1->status == 200 && p1 == cg_pa;
    ok2 = r2->status == 200;
    ck_assert_msg(ok1 && ok2, "a move that overlaps only the "
                  "booking's own appointment is treated as a clash with its "
                  "own Google event.  (a) POST /api/bookings/%lld/reschedule "
                  "{\"start\":\"%s\"} (booked with A %lld at %s) -> status "
                  "%ld, practitioner %ld (expected 200 with A: without a "
                  "calendar A keeps it; here the patient is silently moved "
                  "to B); (b) POST /api/bookings/%lld/reschedule {\"start\":"
                  "\"%s\",\"practitioner_id\":%lld} -> %ld %.300s (expected "
                  "200).  availability(exclude = the booking) leaves the "
                  "booking out of the database's busy times but not out of "
                  "freeBusy, which reports its own event as busy",
                  (long long)b1.id, s2, (long long)cg_pa, s1, r1->status, p1,
                  (long long)b2.id, s4, (long long)cg_pa, r2->status,
                  r2->body);
    it_free(r1);
    it_free(r2);
    cg_event_id(b1.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", cg_ts(s2), 10);
    if (!ev) {
        json_t *st = cg_state();

        ck_abort_msg("the event did not move to %s: outbox %s, events %s, "
                     "requests %.3000s", s2, cg_outbox(b1.id),
                     cg_dump(json_object_get(st, "events")),
                     cg_dump(json_object_get(st, "requests")));
    }
    json_decref(ev);
    cg_booking_free(&b1);
    cg_booking_free(&b2);
    free(s1);
    free(s2);
    free(s3);
    free(s4);
}
END_TEST

/* (4) A move to another practitioner: the event leaves A's calendar
 * (delete) and appears in B's, under the booking's next event id. */
START_TEST(cal_event_move_other_calendar)
{
    char *s1, *s2, eid[33], eid1[33], body[160];
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_MOVE_AB, cg_pa, "12:00:00");
    s2 = cg_pick(D_MOVE_AB, cg_pb, "16:00:00");
    b = cg_book(cg_pa, s1, "Cross Over");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s2, (long long)cg_pb);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "reschedule to B: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    cg_event_id_gen(b.id, 1, eid1);
    ev = cg_wait_event(CG_CAL_B, eid1, "confirmed", cg_ts(s2), 10);
    ck_assert_msg(ev != NULL, "no event %s in B's calendar", eid1);
    json_decref(ev);
    ev = cg_wait_event(CG_CAL_A, eid, "cancelled", 0, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event was not deleted from A's calendar: "
                  "%s", cg_dump(json_object_get(st, "events")));
    {
        char want[128];

        snprintf(want, sizeof(want), CG_SERVICE " - booking %lld",
                 (long long)b.id);
        ck_assert_msg(!strcmp(cg_str(cg_find_event(st, CG_CAL_B, eid1),
                                     "summary"), want), "summary in B");
    }
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* (4) Moved to B and back to A: a confirmed event in A's calendar at the
 * final time.  Google keeps a deleted event's id (an insert answers 409,
 * an update of the deleted event 410), so each move to another
 * practitioner takes the booking's next event id (generation 1 in B,
 * 2 back in A). */
START_TEST(cal_event_move_back)
{
    char *s1, *s2, *s3, eid[33], eid1[33], eid2[33], body[160], *ob;
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_MOVE_BACK, cg_pa, "09:00:00");
    s2 = cg_pick(D_MOVE_BACK, cg_pb, "12:00:00");
    s3 = cg_pick(D_MOVE_BACK, cg_pa, "16:00:00");
    b = cg_book(cg_pa, s1, "Back Again");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s2, (long long)cg_pb);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "move to B: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(cg_outbox_done(b.id, 10), "outbox not done after the move "
                  "to B");
    cg_event_id_gen(b.id, 1, eid1);
    cg_event_id_gen(b.id, 2, eid2);
    ev = cg_wait_event(CG_CAL_B, eid1, "confirmed", cg_ts(s2), 5);
    ck_assert_msg(ev != NULL, "no event in B");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s3, (long long)cg_pa);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "move back to A: %ld %s", r->status,
                  r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid2, "confirmed", cg_ts(s3), 10);
    if (!ev) {
        st = cg_state();
        ob = cg_outbox(b.id);
        ck_abort_msg("booking %lld moved A -> B -> A (POST "
                     "/api/bookings/%lld/reschedule twice, both 200) has no "
                     "confirmed event %s in A's calendar at %s.  Outbox "
                     "rows|pending|attempts"
                     "|errors: %s.  Events %s; requests %.2500s",
                     (long long)b.id, (long long)b.id, eid2, s3, ob,
                     cg_dump(json_object_get(st, "events")),
                     cg_dump(json_object_get(st, "requests")));
    }
    json_decref(ev);
    ev = cg_wait_event(CG_CAL_B, eid1, "cancelled", 0, 10);
    ck_assert_msg(ev != NULL, "the event was not removed from B");
    json_decref(ev);
    cg_booking_free(&b);
    free(s1);
    free(s2);
    free(s3);
}
END_TEST

/* (4) Cancelled before the calendar thread got to it: no event is left
 * behind (the change is computed from the booking as it is now). */
START_TEST(cal_event_cancel_early)
{
    char *s1, eid[33];
    cg_booking b;
    json_t *st, *ev;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_CANCEL_EARLY, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s1, "Quick Change");
    r = cg_manage(&b, "cancel", "{}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    it_free(r);
    cg_event_id(b.id, eid);
    ck_assert_msg(cg_outbox_done(b.id, 10), "outbox not done: %s",
                  cg_outbox(b.id));
    st = cg_state();
    ev = cg_find_event(st, CG_CAL_A, eid);
    ck_assert_msg(!ev || !strcmp(cg_str(ev, "status"), "cancelled"),
                  "a cancelled booking left a confirmed event: %s",
                  cg_dump(json_object_get(st, "events")));
    json_decref(st);
    cg_booking_free(&b);
    free(s1);
}
END_TEST

/* (4) Cancelling deletes the event; a delete of an event already gone
 * (410) counts as done, not as an error. */
START_TEST(cal_event_cancel)
{
    char *s1, eid[33], *o;
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_CANCEL, cg_pa, "13:00:00");
    b = cg_book(cg_pa, s1, "Can Cel");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    r = cg_manage(&b, "cancel", "{}");
    ck_assert_msg(r->status == 200, "cancel: status %ld, body %s", r->status,
                  r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid, "cancelled", 0, 10);
    ck_assert_msg(ev != NULL, "the event was not deleted after the cancel");
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "DELETE", eid, 204, 0) == 1, "no single "
                  "DELETE of %s: %.2000s", eid, cg_dump(json_object_get(
                                                    st, "requests")));
    json_decref(st);

    /* The same change again (e.g. a retry after a lost reply): 410. */
    o = it_sql_try(NULL, "INSERT INTO calendar_outbox (booking_id, "
                   "calendar_id, op) VALUES (%lld, '%s', 'sync')",
                   (long long)b.id, CG_CAL_A);
    free(o);
    ck_assert_msg(cg_outbox_done(b.id, 8), "the repeated delete was not "
                  "counted as done: %s", (o = cg_outbox(b.id)));
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "DELETE", eid, 410, 0) == 1, "the fake "
                  "did not answer 410 to a repeated delete: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                   "booking_id = %lld AND last_error IS NOT NULL",
                   (long long)b.id);
    ck_assert_msg(!strcmp(o, "0"), "a 410 on delete left an error");
    free(o);
    cg_booking_free(&b);
    free(s1);
}
END_TEST

/* The event tests, in the order the group runs them. */
void cg_add_event_tests(TCase *tc)
{
    tcase_add_test(tc, cal_event_insert);
    tcase_add_test(tc, cal_event_move);
    tcase_add_test(tc, cal_event_move_overlapping_own);
    tcase_add_test(tc, cal_event_move_other_calendar);
    tcase_add_test(tc, cal_event_move_back);
    tcase_add_test(tc, cal_event_cancel);
    tcase_add_test(tc, cal_event_cancel_early);
}
