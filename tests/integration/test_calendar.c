/*
 * test_calendar.c - Google Calendar sync against a fake Google
 * (tests/fakes/fake_google.py): the service-account token (RS256 JWT,
 * cached, refreshed after a 401, refused for a wrong key), freeBusy busy
 * times taken out of GET /api/slots, a per-calendar error inside a 200
 * (that practitioner not offered, listed in calendar_unavailable, health
 * "error"), the booking's event (id derived from the booking, times,
 * zone, summary, no attendees), moves (update; delete + insert across
 * calendars, and back), cancellation (delete; 410 on a repeated delete
 * counts as done), outages (503, 429, 403 rate limits, a lost reply: the
 * booking is made at once and the outbox retries with backoff, one event
 * in the end; a 403 permission error is parked for hours), a hung Google
 * (freeBusy, several calendars, the token endpoint under concurrency)
 * bounded by ConciergeGoogleTimeout, a graceful restart while Google is
 * slow, health without a calendar, a bad key file stopping httpd, and no
 * token, JWT or key in the error log.
 *
 * Tests whose failure message starts with "MODULE BUG" document a defect
 * of the module found by this suite (expected behaviour asserted; see the
 * message for the request, what happened and the cause).
 *
 * Three groups, each with its own fake and httpd (one process, so the
 * per-process token and busy caches are observable):
 *   calendar         the fake trusts the module's key: here, and the
 *                    tests of test_calendar_events.c and
 *                    test_calendar_outage.c
 *   calendar_badkey  the fake checks signatures with another key
 *                    (test_calendar_keys.c)
 *   calendar_off     no ConciergeGoogleKeyFile (test_calendar_keys.c)
 * The shared helpers and fixtures are in calendar.c/calendar.h.
 * The RSA keys are made at test time (openssl genpkey) in the run's
 * folder; none is committed.  The suite books its own service and
 * practitioners (created through the admin API) on days without clinic
 * exceptions, one day per test, so it does not depend on the sample
 * clinic or on other suites' bookings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "calendar.h"

/* ---- group: calendar (the fake trusts our key) ------------------------- */

START_TEST(cal_health_configured)
{
    json_t *h;

    cg_begin();
    cg_state_ok(D_BUSY);
    h = cg_health();
    ck_assert_msg(json_is_true(json_object_get(h, "configured")),
                  "calendar not configured: %s", cg_dump(h));
    ck_assert_msg(!strcmp(cg_str(h, "service_account"), CG_EMAIL),
                  "service_account %s", cg_str(h, "service_account"));
    ck_assert_msg(json_is_integer(json_object_get(h, "pending"))
                  && json_is_integer(json_object_get(h, "retrying")),
                  "health without pending/retrying: %s", cg_dump(h));
    ck_assert_msg(json_is_string(json_object_get(h, "last_ok_at")),
                  "no last_ok_at after a good call: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

/* (1) Busy times from freeBusy are taken out of the offered slots, for
 * that practitioner only, and come back when the calendar frees up
 * (ConciergeFreeBusyCache 0). */
START_TEST(cal_busy_removed)
{
    json_t *before, *during, *after, *st;
    char *s10, *s11;
    long long b0, b1;
    int nb_before;

    cg_begin();
    s10 = cg_pick(D_BUSY, cg_pa, "10:00:00");
    s11 = cg_pick(D_BUSY, cg_pa, "11:00:00");
    b0 = cg_ts(s10);
    b1 = cg_ts(s11);
    before = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(before, cg_pa, b0, b1) >= 4, "A had no slots "
                  "in 10:00-11:00 to begin with");
    nb_before = cg_nslots(before, cg_pb);

    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s10, s11);
    during = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(during, cg_pa, b0, b1) == 0, "slots of A "
                  "overlap its busy time %s-%s: %.1500s", s10, s11,
                  cg_dump(during));
    ck_assert_msg(cg_nslots(during, cg_pa) > 0, "A lost every slot, not "
                  "just the busy hour");
    ck_assert_msg(cg_nslots(during, cg_pb) == nb_before
                  && cg_slot_at(during, cg_pb, "10:00:00"), "B's slots "
                  "changed with A's calendar");
    ck_assert_msg(json_array_size(json_object_get(during,
                                                  "calendar_unavailable"))
                  == 0, "calendar_unavailable not empty: %s",
                  cg_dump(during));
    /* Booking into A's busy hour is refused; B is still free then. */
    {
        json_t *body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}",
                                 "service_id", cg_service, "start", s10,
                                 "practitioner_id", cg_pa, "patient", "name",
                                 "Busy Test", "email", "busy@example.org");
        char *js = json_dumps(body, JSON_COMPACT);
        it_resp *r = it_req("POST", "/api/bookings", NULL,
                            "application/json", js, -1, NULL);

        ck_assert_msg(r->status == 409, "booking into A's busy time: "
                      "status %ld, body %s", r->status, r->body);
        it_free(r);
        free(js);
        json_decref(body);
    }

    st = cg_state();
    ck_assert_msg(cg_count_req(st, "POST", "/calendar/v3/freeBusy", 200, 0)
                  >= 2, "the fake saw no freeBusy queries");
    ck_assert_msg(cg_counter(st, "rejected") == cg_counter(st,
                                                           "unauthorized"),
                  "the fake rejected requests other than the stale token's "
                  "401: %s", cg_dump(json_object_get(st, "requests")));
    json_decref(st);

    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[]}");
    after = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(after, cg_pa, b0, b1)
                  == cg_noverlap(before, cg_pa, b0, b1),
                  "A's slots did not come back once the calendar was free "
                  "(ConciergeFreeBusyCache 0)");
    json_decref(before);
    json_decref(during);
    json_decref(after);
    free(s10);
    free(s11);
}
END_TEST

/* (2) A per-calendar error inside a 200: that practitioner is not offered
 * and is listed in calendar_unavailable; health says error (also when
 * another practitioner's calendar answered fine in the same request);
 * booking that practitioner is refused while the other one is still
 * bookable. */
START_TEST(cal_calendar_error)
{
    json_t *sl, *h;
    char *sa, *sb, *mixed_health;

    cg_begin();
    sa = cg_pick(D_CALERR, cg_pa, "14:00:00");
    sb = cg_pick(D_CALERR, cg_pb, "14:00:00");
    cg_state_ok(D_CALERR);
    cg_ctlf("/__calendar_error", "{\"calendar\":\"" CG_CAL_A "\","
            "\"reason\":\"notFound\"}");

    /* Only A asked for: A unavailable, health error. */
    sl = cg_slots(D_CALERR, cg_pa, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0 && cg_listed(json_object_get(
                      sl, "calendar_unavailable"), cg_pa),
                  "A is offered although its calendar is in error: %.800s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error"), "health status "
                  "%s, expected error: %s", cg_str(h, "status"), cg_dump(h));
    ck_assert_msg(strstr(cg_str(h, "last_error"), "freeBusy")
                  && json_is_string(json_object_get(h, "last_error_at")),
                  "health has no last_error: %s", cg_dump(h));
    json_decref(h);

    /* Everyone: A unavailable, B offered. */
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0, "A is offered although its "
                  "calendar is in error: %.800s", cg_dump(sl));
    ck_assert_msg(cg_nslots(sl, cg_pb) > 0, "B is not offered");
    ck_assert_msg(cg_listed(json_object_get(sl, "calendar_unavailable"),
                            cg_pa)
                  && !cg_listed(json_object_get(sl, "calendar_unavailable"),
                                cg_pb), "calendar_unavailable %s, expected "
                  "[%lld]", cg_dump(json_object_get(sl,
                                                    "calendar_unavailable")),
                  (long long)cg_pa);
    json_decref(sl);
    h = cg_health();
    mixed_health = cg_dump(h);
    json_decref(h);

    {
        json_t *body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}",
                                 "service_id", cg_service, "start", sa,
                                 "practitioner_id", cg_pa, "patient", "name",
                                 "Unknown Calendar", "email",
                                 "unknown@example.org");
        char *js = json_dumps(body, JSON_COMPACT);
        it_resp *r = it_req("POST", "/api/bookings", NULL,
                            "application/json", js, -1, NULL);

        ck_assert_msg(r->status == 409 || r->status == 422, "booking A "
                      "while its availability is unknown: status %ld, body "
                      "%s", r->status, r->body);
        it_free(r);
        free(js);
        json_decref(body);
    }
    {
        cg_booking b = cg_book(cg_pb, sb, "Bea Calendar");

        cg_booking_free(&b);
    }

    cg_ctlf("/__calendar_error", "{\"calendar\":\"" CG_CAL_A "\","
            "\"reason\":null}");
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "A did not come back after the error cleared: %.500s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "ok"), "health did not "
                  "return to ok: %s", cg_dump(h));
    json_decref(h);

    ck_assert_msg(strstr(mixed_health, "\"status\":\"error\"") != NULL,
                  "GET /api/slots?service_id=%lld (A's calendar "
                  "%s answers freeBusy with errors [notFound] inside a 200, "
                  "B's calendar is fine) -> A is hidden and listed in "
                  "calendar_unavailable, yet GET /api/admin/health says "
                  "calendar %s.  Expected status error.  The connection "
                  "state is one flag: set_state(ok) for B's good freeBusy "
                  "right after set_state(error) for A's overwrites it, so a "
                  "practitioner whose calendar is not shared with the "
                  "service account stays invisible to admins",
                  (long long)cg_service, CG_CAL_A, mixed_health);
    free(mixed_health);
    free(sa);
    free(sb);
}
END_TEST

START_TEST(cal_log_clean)
{
    cg_log_checks();
}
END_TEST

/* A graceful restart (log rotation does one) while the calendar thread
 * is busy with a slow Google: the old child exits cleanly.  Four changes
 * are queued and each event call hangs past ConciergeGoogleTimeout, so
 * the thread is inside one tick for about four seconds when the child
 * is told to go. */
START_TEST(cal_graceful_restart)
{
    char *s, eid[33], *o, *log;
    cg_booking b;
    json_t *ev, *st;
    double t0;
    int hung = 0, crashed = 0;

    cg_begin();
    s = cg_pick(D_RESTART, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Restart Test");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event");
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    cg_ctlf("/__hang", "{\"seconds\":3,\"count\":8,\"path_prefix\":\""
            CG_EVENTS "\"}");
    o = it_sql_try(NULL, "INSERT INTO calendar_outbox (booking_id, "
                   "calendar_id, op) SELECT %lld, '%s', 'sync' FROM "
                   "generate_series(1, 4)",
                   (long long)b.id, CG_CAL_A);
    free(o);
    for (t0 = cg_now(); cg_now() - t0 < 5 && !hung;) {
        st = cg_state();
        hung = cg_counter(st, "hung") > 0;
        json_decref(st);
        if (!hung) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(hung, "the calendar thread did not call Google");
    ck_assert_msg(it_sh("scripts/httpd.sh graceful >/dev/null 2>&1") == 0,
                  "httpd.sh graceful failed");
    for (t0 = cg_now(); cg_now() - t0 < 10 && !crashed;) {
        log = it_log_read();
        crashed = strstr(log, "exit signal") != NULL;
        free(log);
        if (!crashed) {
            cg_sleep_ms(250);
        }
    }
    log = it_log_read();
    if (strstr(log, "exit signal")) {
        char *line = strstr(log, "exit signal"), *eol;

        while (line > log && line[-1] != '\n') {
            line--;
        }
        eol = strchr(line, '\n');
        if (eol) {
            *eol = '\0';
        }
        memmove(log, line, strlen(line) + 1);
    }
    o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                   "booking_id = %lld", (long long)b.id);
    free(o);
    ck_assert_msg(!crashed, "a graceful restart while the "
                  "calendar thread waits for Google kills the old child "
                  "with SIGSEGV (%.300s).  mc_calendar_child_init and "
                  "mc_booking_child_init stop their threads in ordinary "
                  "cleanups of the child pool; APR destroys a pool's "
                  "subpools (mod_dbd's connection pool among them) before "
                  "it runs its cleanups, and cal_child_exit blocks in "
                  "apr_thread_join until the calendar thread's tick ends, "
                  "so the booking sweeper (every 200 ms) and the calendar "
                  "thread keep calling ap_dbd_open on freed memory (core: "
                  "sweeper -> ap_dbd_open -> apr_dbd_check_conn).  The "
                  "same happens on every stop of a host with calendar "
                  "sync.  Threads using mod_dbd must be stopped in "
                  "apr_pool_pre_cleanup_register cleanups", log);
    free(log);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* ---- fixture --------------------------------------------------------------- */

static void cal_setup(void)
{
    cg_make_keys();
    cg_fake_start("calendar", "sa.pub");
    cg_httpd(1);
}

/* (2b) A calendar the clinic never shared with the service account: Google
 * answers notFound (it is not created by writing to it), so that
 * practitioner is not offered until the calendar is shared or corrected;
 * the other is. */
START_TEST(cal_calendar_not_shared)
{
    json_t *sl, *h;
    char path[128];
    int i, ok = 0;

    cg_begin();
    snprintf(path, sizeof(path), "/api/admin/practitioners/%lld",
             (long long)cg_pb);
    json_decref(cg_admin("PUT", path, "{\"calendar_id\":"
                         "\"not-shared@clinic.example\"}"));
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pb) == 0
                  && cg_listed(json_object_get(sl, "calendar_unavailable"),
                               cg_pb)
                  && cg_nslots(sl, cg_pa) > 0,
                  "an unshared calendar's practitioner is offered: %.800s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error")
                  && strstr(cg_str(h, "last_error"),
                            "not-shared@clinic.example"),
                  "health does not name the unshared calendar: %s",
                  cg_dump(h));
    json_decref(h);
    json_decref(cg_admin("PUT", path, "{\"calendar_id\":\"" CG_CAL_B
                         "\"}"));
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pb) > 0, "B did not come back: %.500s",
                  cg_dump(sl));
    json_decref(sl);
    /* The corrected id's old error leaves health without a restart: no
     * practitioner uses that calendar any more (checked every 5 s). */
    for (i = 0; i < 40; i++) {
        h = cg_health();
        ok = !strcmp(cg_str(h, "status"), "ok");
        if (ok || i == 39) {
            break;
        }
        json_decref(h);
        usleep(250 * 1000);
    }
    ck_assert_msg(ok, "the unshared calendar's error stays after its id "
                  "was corrected: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

/* Availability outside today .. the horizon (365 days here) never reaches
 * Google: /api/slots refuses it, and a booking for such a day is refused
 * without a freeBusy query. */
START_TEST(cal_no_google_outside_window)
{
    json_t *st, *body;
    char path[200], *js;
    it_resp *r;
    int before;

    cg_begin();
    st = cg_state();
    before = cg_count_req(st, NULL, "freeBusy", 0, -1);
    json_decref(st);
    snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=2031-01-06"
             "&days=7", (long long)cg_service);
    r = it_get(path, NULL);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=2021-01-06"
             "&days=7", (long long)cg_service);
    r = it_get(path, NULL);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                     cg_service, "start", "2031-01-07T10:00:00Z",
                     "practitioner_id", cg_pa, "patient", "name", "Far Away",
                     "email", "far@example.org");
    js = json_dumps(body, JSON_COMPACT);
    r = it_req("POST", "/api/bookings", NULL, "application/json", js, -1,
               NULL);
    it_assert_error(r, 422, "too_far_ahead");
    it_free(r);
    free(js);
    json_decref(body);
    st = cg_state();
    ck_assert_msg(cg_count_req(st, NULL, "freeBusy", 0, -1) == before,
                  "Google was asked about days no slot can be on");
    json_decref(st);
    /* The control: a day inside the window is asked about. */
    json_decref(cg_slots(D_NDAYS + 7, 0, 1, NULL));
    st = cg_state();
    ck_assert_msg(cg_count_req(st, NULL, "freeBusy", 0, -1) > before,
                  "no freeBusy query for a day inside the window");
    json_decref(st);
}
END_TEST

/* ConciergeCalendarPatientNames On: a clinic that wants names in its
 * calendar opts back in. */
START_TEST(cal_patient_names_opt_in)
{
    char *s, eid[33], want[128];
    cg_booking b;
    json_t *ev;

    setenv("CG_EXTRA_CONF", "ConciergeCalendarPatientNames On\n", 1);
    cg_httpd_restart(1);
    unsetenv("CG_EXTRA_CONF");
    cg_begin();
    s = cg_pick(D_NDAYS + 5, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Grace Hopper");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event");
    snprintf(want, sizeof(want), CG_SERVICE " - Grace Hopper");
    ck_assert_msg(!strcmp(cg_str(ev, "summary"), want), "summary '%s'",
                  cg_str(ev, "summary"));
    json_decref(ev);
    cg_booking_free(&b);
    free(s);
    cg_httpd_restart(1);
}
END_TEST

Suite *it_suite_calendar(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("calendar");

    tcase_add_unchecked_fixture(tc, cal_setup, cg_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cal_health_configured);
    tcase_add_test(tc, cal_busy_removed);
    tcase_add_test(tc, cal_calendar_error);
    tcase_add_test(tc, cal_no_google_outside_window);
    tcase_add_test(tc, cal_patient_names_opt_in);
    cg_add_event_tests(tc);
    cg_add_outage_tests(tc);
    tcase_add_test(tc, cal_log_clean);
    tcase_add_test(tc, cal_graceful_restart);
    tcase_add_test(tc, cal_calendar_not_shared);
    suite_add_tcase(s, tc);
    return s;
}
