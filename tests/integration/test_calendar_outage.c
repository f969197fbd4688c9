/*
 * test_calendar_outage.c - Google failing: outages (503, 429, 403 rate
 * limits, a lost reply: the booking is made at once and the outbox
 * retries with backoff, one event in the end; a 403 permission error is
 * parked for hours), a hung Google (freeBusy, several calendars, the
 * token endpoint under concurrency) bounded by ConciergeGoogleTimeout,
 * and the token cache.  Tests of the "calendar" group (test_calendar.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "calendar.h"

/* (5) Google failing the next `count` event calls with status/reason:
 * the booking is made at once, the outbox retries with backoff, and the
 * event arrives exactly once. */
static void cg_outage(int day, const char *hhmm, int status,
                      const char *reason, int count)
{
    char *s, eid[33], *o;
    cg_booking b;
    json_t *ev, *st, *r;
    double first = -1, last = -1, prev = -1, gap_last = 0;
    double t0;
    int n_inj, n_ok, seen_err = 0;
    size_t i;

    cg_begin();
    s = cg_pick(day, cg_pa, hhmm);
    cg_ctlf("/__fail", "{\"status\":%d,\"count\":%d,\"method\":\"POST\","
            "\"path_prefix\":\"" CG_EVENTS "\"%s%s%s}", status, count,
            reason ? ",\"reason\":\"" : "", reason ? reason : "",
            reason ? "\"" : "");
    b = cg_book(cg_pa, s, "Out Age");
    ck_assert_msg(b.secs < 2.0, "the booking waited for Google: %.2f s",
                  b.secs);
    cg_event_id(b.id, eid);

    /* While it fails: the row waits with its error; health counts it. */
    t0 = cg_now();
    while (cg_now() - t0 < 8 && !seen_err) {
        o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                       "booking_id = %lld AND done_at IS NULL AND last_error "
                       "IS NOT NULL AND last_error NOT LIKE 'permanent:%%' "
                       "AND next_at > now()",
                       (long long)b.id);
        seen_err = !strcmp(o, "1");
        free(o);
        if (!seen_err) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(seen_err, "the outbox row never showed a retryable error "
                  "after %d: %s", status, cg_outbox(b.id));

    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 40);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event did not arrive after %d x %d: "
                  "outbox %s, requests %.3000s", count, status,
                  (o = cg_outbox(b.id)), cg_dump(json_object_get(st,
                                                                 "requests")));
    n_inj = cg_count_req(st, "POST", "/events", status, 1);
    n_ok = cg_count_req(st, "POST", "/events", 200, 0);
    ck_assert_msg(n_inj == count && n_ok == 1, "%d injected %d and %d good "
                  "inserts (expected %d and 1): %.3000s", n_inj, status, n_ok,
                  count, cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "duplicate events: %s", cg_dump(json_object_get(st,
                                                                  "events")));
    /* Backoff: the attempts spread out (waits of 0.5-1 s, then 1-2 s,
     * then 2-4 s ..., rounded up to seconds, on a 1 s tick). */
    json_array_foreach(json_object_get(st, "requests"), i, r) {
        const char *m = cg_str(r, "method"), *p = cg_str(r, "path");
        double t = json_real_value(json_object_get(r, "time"));

        if (strcmp(m, "POST") || !strstr(p, "/events")) {
            continue;
        }
        if (first < 0) {
            first = t;
        }
        if (prev >= 0) {
            gap_last = t - prev;
        }
        prev = last = t;
    }
    ck_assert_msg(last - first >= 0.9 * count, "%d retries within %.2f s: "
                  "no backoff", count, last - first);
    if (count >= 3) {
        ck_assert_msg(gap_last >= 1.5, "the last wait was %.2f s: the "
                      "backoff does not grow", gap_last);
    }
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    o = cg_outbox(b.id);
    ck_assert_msg(!strcmp(strrchr(o, '|'), "|"), "the done row kept an "
                  "error: %s", o);
    free(o);
    cg_booking_free(&b);
    free(s);
}

START_TEST(cal_outage_503)
{
    cg_outage(D_503, "09:00:00", 503, NULL, 3);
}
END_TEST

START_TEST(cal_outage_429)
{
    cg_outage(D_429, "09:00:00", 429, NULL, 3);
}
END_TEST

START_TEST(cal_outage_403_rate)
{
    cg_outage(D_403RATE, "09:00:00", 403, "rateLimitExceeded", 2);
}
END_TEST

/* (5) 403 forbidden (no permission on the calendar): not retried
 * quickly; parked for hours as "permanent:"; health shows it. */
START_TEST(cal_outage_403_permission)
{
    char *s, eid[33], *o;
    cg_booking b;
    json_t *st, *h;
    double t0;
    int parked = 0;

    cg_begin();
    s = cg_pick(D_403PERM, cg_pa, "09:00:00");
    cg_state_ok(D_403PERM);
    cg_ctlf("/__fail", "{\"status\":403,\"count\":1,\"reason\":\"forbidden\","
            "\"method\":\"POST\",\"path_prefix\":\"" CG_EVENTS "\"}");
    b = cg_book(cg_pa, s, "Perm Denied");
    ck_assert_msg(b.secs < 2.0, "the booking waited for Google");
    cg_event_id(b.id, eid);
    t0 = cg_now();
    while (cg_now() - t0 < 8 && !parked) {
        o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                       "booking_id = %lld AND done_at IS NULL AND last_error "
                       "LIKE 'permanent:%%' AND next_at > now() + "
                       "interval '5 hours'", (long long)b.id);
        parked = !strcmp(o, "1");
        free(o);
        if (!parked) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(parked, "a 403 forbidden was not parked as permanent: %s",
                  (o = cg_outbox(b.id)));
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error")
                  && strstr(cg_str(h, "last_error"), "permanent:")
                  && json_integer_value(json_object_get(h, "retrying")) >= 1,
                  "health after a permanent failure: %s", cg_dump(h));
    json_decref(h);
    cg_sleep_ms(3000);
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "POST", "/events", 0, -1) == 1,
                  "a 403 forbidden was retried: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 0,
                  "an event was written");
    json_decref(st);
    o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                   "booking_id = %lld", (long long)b.id);
    free(o);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (5) The insert reached Google but the reply was lost (503 after
 * applying it): the retry uses the same event id (409), updates it, and
 * there is still one event. */
START_TEST(cal_outage_reply_lost)
{
    char *s, eid[33];
    cg_booking b;
    json_t *ev, *st, *r;
    size_t i;
    int posts = 0;

    cg_begin();
    s = cg_pick(D_APPLY, cg_pa, "09:00:00");
    cg_ctlf("/__fail", "{\"status\":503,\"count\":1,\"apply\":true,"
            "\"method\":\"POST\",\"path_prefix\":\"" CG_EVENTS "\"}");
    b = cg_book(cg_pa, s, "Lost Reply");
    cg_event_id(b.id, eid);
    ck_assert_msg(cg_outbox_done(b.id, 15), "outbox not done after a lost "
                  "reply");
    st = cg_state();
    ev = cg_find_event(st, CG_CAL_A, eid);
    ck_assert_msg(ev && !strcmp(cg_str(ev, "status"), "confirmed"),
                  "no event %s: %s", eid, cg_dump(json_object_get(st,
                                                                  "events")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "duplicate events after a lost reply: %s",
                  cg_dump(json_object_get(st, "events")));
    json_array_foreach(json_object_get(st, "requests"), i, r) {
        if (!strcmp(cg_str(r, "method"), "POST")
            && strstr(cg_str(r, "path"), "/events")) {
            posts++;
            ck_assert_msg(!strcmp(cg_str(r, "event"), eid), "an insert "
                          "carried event id %s, not %s", cg_str(r, "event"),
                          eid);
        }
    }
    ck_assert_msg(posts == 2 && cg_count_req(st, "POST", "/events", 409, 0)
                  == 1, "expected the lost insert and one 409: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (6) freeBusy hanging longer than ConciergeGoogleTimeout: GET /api/slots
 * answers within about the timeout, using the last busy times seen, and a
 * booking still goes through. */
START_TEST(cal_hang_slots)
{
    char *s10, *s11;
    json_t *sl, *h;
    double secs;
    long long b0, b1;

    cg_begin();
    s10 = cg_pick(D_HANG, cg_pa, "10:00:00");
    s11 = cg_pick(D_HANG, cg_pa, "11:00:00");
    b0 = cg_ts(s10);
    b1 = cg_ts(s11);
    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s10, s11);
    sl = cg_slots(D_HANG, cg_pa, 1, NULL);
    ck_assert_msg(cg_noverlap(sl, cg_pa, b0, b1) == 0, "busy not applied");
    json_decref(sl);

    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":1,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_HANG, cg_pa, 1, &secs);
    ck_assert_msg(secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "GET /api/slots took "
                  "%.2f s with freeBusy hanging (timeout %d ms)", secs,
                  CG_TIMEOUT_MS);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "an outage must not hide the practitioner: %.500s",
                  cg_dump(sl));
    ck_assert_msg(cg_noverlap(sl, cg_pa, b0, b1) == 0, "during the outage "
                  "the last known busy times were not used: %.1500s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error"), "health during a "
                  "freeBusy outage: %s", cg_dump(h));
    json_decref(h);
    cg_drain_hangs();
    free(s10);
    free(s11);
}
END_TEST

START_TEST(cal_hang_booking)
{
    char *s, eid[33];
    cg_booking b;
    json_t *ev;

    cg_begin();
    s = cg_pick(D_HANG_BOOK, cg_pa, "10:00:00");
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":1,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    b = cg_book(cg_pa, s, "Hang Booking");
    ck_assert_msg(b.secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "the booking took "
                  "%.2f s with freeBusy hanging (timeout %d ms)", b.secs,
                  CG_TIMEOUT_MS);
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after a booking made during a hang");
    json_decref(ev);
    cg_drain_hangs();
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (6) Every calendar hanging: GET /api/slots of a service with two
 * calendar practitioners must still answer within about the timeout. */
START_TEST(cal_hang_all_calendars)
{
    json_t *sl;
    double secs;

    cg_begin();
    json_decref(cg_slots(D_HANG_ALL, 0, 1, NULL));
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":10,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_HANG_ALL, 0, 1, &secs);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && cg_nslots(sl, cg_pb) > 0,
                  "practitioners hidden by an outage");
    json_decref(sl);
    cg_drain_hangs();
    ck_assert_msg(secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "GET "
                  "/api/slots took %.2f s with Google hanging, for a service "
                  "with 2 calendar practitioners (ConciergeGoogleTimeout %d "
                  "ms): one freeBusy query per practitioner, one after the "
                  "other, so the wait is the timeout times the number of "
                  "practitioners (freeBusy takes up to 50 calendars in one "
                  "query)", secs, CG_TIMEOUT_MS);
}
END_TEST

typedef struct cg_par {
    int    day;
    double secs;
    long   status;
} cg_par;

static void *cg_par_slots(void *arg)
{
    cg_par *p = arg;
    char path[256];
    double t0 = cg_now();
    it_resp *r;

    snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=%s&days=1"
             "&practitioner_id=%lld", (long long)cg_service, cg_days[p->day],
             (long long)cg_pa);
    r = it_get(path, NULL);
    p->secs = cg_now() - t0;
    p->status = r->status;
    it_free(r);
    return NULL;
}

/* (6) The token endpoint hanging while several patients look at slots at
 * once: each request is bounded by the timeout, not by the number of
 * requests waiting for the token. */
START_TEST(cal_hang_token_concurrent)
{
    enum { N = 4 };
    pthread_t th[N];
    cg_par par[N];
    double worst = 0;
    int i;

    cg_begin();     /* the module's cached token is now unknown: 401 */
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":20,\"path_prefix\":"
            "\"/token\"}");
    for (i = 0; i < N; i++) {
        par[i].day = D_HANG_TOKEN;
        par[i].secs = 0;
        par[i].status = 0;
        ck_assert(pthread_create(&th[i], NULL, cg_par_slots, &par[i]) == 0);
    }
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(par[i].status == 200, "slots request %d: status %ld",
                      i, par[i].status);
        if (par[i].secs > worst) {
            worst = par[i].secs;
        }
    }
    cg_drain_hangs();
    ck_assert_msg(worst < 2 * CG_TIMEOUT_MS / 1000.0 + 0.8, "with "
                  "the token endpoint hanging, %d concurrent GET /api/slots "
                  "(one calendar practitioner) took up to %.2f s "
                  "(ConciergeGoogleTimeout %d ms): token() holds the "
                  "process-wide cal_mu during the token HTTP request, so "
                  "every other request (even a cache lookup) waits for it "
                  "and then makes its own timed-out attempt in turn", N,
                  worst, CG_TIMEOUT_MS);
}
END_TEST

/* A slow Google must not hold the database pool: with two connections
 * (DBDMax 2) and freeBusy hanging past the timeout, ten patients asking
 * for slots at once are each answered within about the timeout.  When
 * availability kept its pooled connection through the Google call, they
 * queued two at a time behind it (about five timeouts for the last). */
/* A chat message asking to book (the booking offer runs availability,
 * then waits for the chat-log writer, which needs a pooled connection). */
static void *cg_par_offer(void *arg)
{
    cg_par *p = arg;
    double t0 = cg_now();
    it_resp *r = it_req("POST", "/api/chat", NULL, "application/json",
                        "{\"message\":\"Can I book a calendar check-up "
                        "tomorrow?\"}", -1, NULL);

    p->secs = cg_now() - t0;
    p->status = r->status == 200 && json_object_get(r->json, "actions")
                ? 200 : r->status == 200 ? 299 : r->status;
    it_free(r);
    return NULL;
}

START_TEST(cal_pool_not_held)
{
    enum { N = 10, NO = 6 };
    pthread_t th[N], tho[NO];
    cg_par par[N], paro[NO];
    double worst = 0;
    int i, ok = 0, oko = 0;

    setenv("CC_DBD_POOL", "2", 1);
    cg_httpd_restart(1);
    unsetenv("CC_DBD_POOL");
    cg_begin();
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":40,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    for (i = 0; i < N; i++) {
        par[i].day = D_NDAYS + 6;
        par[i].secs = 0;
        par[i].status = 0;
        ck_assert(pthread_create(&th[i], NULL, cg_par_slots, &par[i]) == 0);
    }
    for (i = 0; i < NO; i++) {
        paro[i].secs = 0;
        paro[i].status = 0;
        ck_assert(pthread_create(&tho[i], NULL, cg_par_offer, &paro[i]) == 0);
    }
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += par[i].status == 200;
        worst = par[i].secs > worst ? par[i].secs : worst;
    }
    for (i = 0; i < NO; i++) {
        pthread_join(tho[i], NULL);
        oko += paro[i].status == 200;
        worst = paro[i].secs > worst ? paro[i].secs : worst;
    }
    cg_drain_hangs();
    cg_httpd_restart(1);
    ck_assert_msg(ok == N, "%d of %d slot requests answered with 2 database "
                  "connections and Google hanging", ok, N);
    ck_assert_msg(oko == NO, "%d of %d chat booking offers answered with 2 "
                  "database connections and Google hanging (first: %ld)", oko,
                  NO, (long)paro[0].status);
    ck_assert_msg(worst < 2 * CG_TIMEOUT_MS / 1000.0 + 0.8, "with 2 "
                  "database connections and freeBusy hanging, %d concurrent "
                  "GET /api/slots took up to %.2f s (ConciergeGoogleTimeout "
                  "%d ms): the pool was held across the Google call", N,
                  worst, CG_TIMEOUT_MS);
}
END_TEST

/* freeBusy failing (503) right after a restart, before any busy times of
 * the calendar were seen: nothing is known about it, so its practitioner
 * is not offered (the other, asked about while Google answered, is
 * offered from the last busy times it had). */
START_TEST(cal_outage_nothing_known)
{
    json_t *sl;

    cg_httpd_restart(1);
    cg_begin();
    cg_ctlf("/__fail", "{\"status\":503,\"count\":50,\"method\":\"POST\","
            "\"path_prefix\":\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_NDAYS + 4, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0 && cg_nslots(sl, cg_pb) == 0
                  && cg_listed(json_object_get(sl, "calendar_unavailable"),
                               cg_pa),
                  "slots offered with Google down and no busy times known: "
                  "%.800s", cg_dump(sl));
    json_decref(sl);
    json_decref(cg_ctl("POST", "/__reset", "{}"));
    /* Known once Google answers; then an outage uses what was known. */
    sl = cg_slots(D_NDAYS + 4, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0, "not offered once Google "
                  "answered: %.500s", cg_dump(sl));
    json_decref(sl);
    cg_ctlf("/__fail", "{\"status\":503,\"count\":50,\"method\":\"POST\","
            "\"path_prefix\":\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_NDAYS + 4, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0, "the last known busy times "
                  "were not used in an outage: %.500s", cg_dump(sl));
    json_decref(sl);
    json_decref(cg_ctl("POST", "/__reset", "{}"));
}
END_TEST

/* Several patients at once while the first token is being fetched (a
 * slow but working token endpoint): the others wait for that fetch and
 * see the calendar, instead of reading "a token request is under way"
 * as an outage (which, with nothing known yet, hides the practitioner). */
static void *cg_par_slots_all(void *arg)
{
    cg_par *p = arg;
    json_t *sl = cg_slots(p->day, 0, 1, NULL);

    p->status = cg_nslots(sl, cg_pa);
    json_decref(sl);
    return NULL;
}

START_TEST(cal_token_fetch_waited_for)
{
    enum { N = 4 };
    pthread_t th[N];
    cg_par par[N];
    int i;

    cg_httpd_restart(1);
    cg_begin();
    cg_ctlf("/__hang", "{\"seconds\":0.5,\"count\":1,\"path_prefix\":"
            "\"/token\"}");
    for (i = 0; i < N; i++) {
        par[i].day = D_NDAYS + 3;
        par[i].status = 0;
        ck_assert(pthread_create(&th[i], NULL, cg_par_slots_all, &par[i])
                  == 0);
    }
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
    }
    cg_drain_hangs();
    for (i = 0; i < N; i++) {
        ck_assert_msg(par[i].status > 0, "request %d saw no slots of the "
                      "calendar practitioner while the token was fetched",
                      i);
    }
}
END_TEST

/* (7) The access token is cached across requests, refreshed once after a
 * 401, and the fake accepted every JWT (RS256, iss, aud, scope, times). */
START_TEST(cal_token_cache)
{
    char *s, eid[33];
    cg_booking b;
    json_t *st, *sl, *ev;
    json_int_t treq, unauth;
    int i;

    cg_begin();
    for (i = 0; i < 5; i++) {
        json_decref(cg_slots(D_TOKEN, 0, 1, NULL));
    }
    s = cg_pick(D_TOKEN, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Token Cache");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event");
    json_decref(ev);
    st = cg_state();
    treq = cg_counter(st, "token_requests");
    unauth = cg_counter(st, "unauthorized");
    ck_assert_msg(treq == 1 && cg_counter(st, "tokens_issued") == 1
                  && cg_counter(st, "token_refused") == 0,
                  "token requests %lld (issued %lld, refused %lld) for 7 "
                  "slot queries, a booking and an insert: expected one",
                  (long long)treq, (long long)cg_counter(st, "tokens_issued"),
                  (long long)cg_counter(st, "token_refused"));
    ck_assert_msg(unauth <= 1, "%lld 401s", (long long)unauth);
    ck_assert_msg(cg_count_req(st, "POST", "/calendar/v3/freeBusy", 200, 0)
                  >= 7, "freeBusy not queried on each request (cache 0)");
    json_decref(st);

    /* Every token expires: one 401, one new token, the request works. */
    json_decref(cg_ctl("POST", "/__expire_tokens", "{}"));
    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s, b.end);
    sl = cg_slots(D_TOKEN, 0, 1, NULL);
    ck_assert_msg(json_array_size(json_object_get(sl, "calendar_unavailable"))
                  == 0, "calendar unavailable after a token refresh: %s",
                  cg_dump(sl));
    json_decref(sl);
    json_decref(cg_slots(D_TOKEN, 0, 1, NULL));
    st = cg_state();
    ck_assert_msg(cg_counter(st, "token_requests") == treq + 1
                  && cg_counter(st, "unauthorized") == unauth + 1,
                  "after expiry: %lld token requests (before %lld), %lld "
                  "401s (before %lld); expected one more of each",
                  (long long)cg_counter(st, "token_requests"),
                  (long long)treq, (long long)cg_counter(st, "unauthorized"),
                  (long long)unauth);
    ck_assert_msg(cg_counter(st, "token_refused") == 0, "a JWT was refused");
    json_decref(st);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (8) The token endpoint unavailable (503) is an outage, not a refusal:
 * booking goes on with the last known busy times (compare
 * calendar_badkey, where Google refuses the token and the practitioners
 * are hidden). */
START_TEST(cal_token_unavailable)
{
    json_t *sl, *h;

    cg_begin();     /* the cached token is unknown now: a new one is asked */
    cg_ctlf("/__fail", "{\"status\":503,\"count\":1,\"path_prefix\":"
            "\"/token\"}");
    sl = cg_slots(D_TOKEN, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && cg_nslots(sl, cg_pb) > 0
                  && json_array_size(json_object_get(sl,
                                                     "calendar_unavailable"))
                     == 0,
                  "a token endpoint outage hid practitioners: %.800s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(strstr(cg_str(h, "last_error"), "503"), "health does not "
                  "show the token outage: %s", cg_dump(h));
    json_decref(h);
    /* The next request gets a token: nothing of the outage is left. */
    sl = cg_slots(D_TOKEN, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0, "%.500s", cg_dump(sl));
    json_decref(sl);
}
END_TEST

/* The outage tests, in the order the group runs them. */
void cg_add_outage_tests(TCase *tc)
{
    tcase_add_test(tc, cal_outage_503);
    tcase_add_test(tc, cal_outage_429);
    tcase_add_test(tc, cal_outage_403_rate);
    tcase_add_test(tc, cal_outage_403_permission);
    tcase_add_test(tc, cal_outage_reply_lost);
    tcase_add_test(tc, cal_hang_slots);
    tcase_add_test(tc, cal_hang_booking);
    tcase_add_test(tc, cal_hang_all_calendars);
    tcase_add_test(tc, cal_hang_token_concurrent);
    tcase_add_test(tc, cal_pool_not_held);
    tcase_add_test(tc, cal_outage_nothing_known);
    tcase_add_test(tc, cal_token_fetch_waited_for);
    tcase_add_test(tc, cal_token_cache);
    tcase_add_test(tc, cal_token_unavailable);
}
