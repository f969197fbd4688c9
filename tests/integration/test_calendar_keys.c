/*
 * test_calendar_keys.c - the calendar groups without a working key:
 *   calendar_badkey  the fake checks signatures with another key: the
 *                    token is refused, and that practitioner's slots are
 *                    hidden (a refusal is not an outage);
 *   calendar_off     no ConciergeGoogleKeyFile: health and booking
 *                    without a calendar, and a bad key file stopping
 *                    httpd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "calendar.h"

/* ---- group: calendar_badkey (the fake knows another public key) -------- */

START_TEST(badkey_token_refused)
{
    char *o, *start;
    json_t *sl, *st, *h, *body;
    it_resp *r;
    char *js;
    int i;

    /* Google refusing the service account's token (a revoked or deleted
     * key: invalid_grant) is not an outage.  No busy times can be had, so
     * "none" would offer every slot of a practitioner whose real calendar
     * may be full: both calendars' practitioners are hidden instead, and
     * listed as calendar_unavailable. */
    cg_begin();
    sl = cg_slots(D_BADKEY, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0 && cg_nslots(sl, cg_pb) == 0
                  && cg_listed(json_object_get(sl, "calendar_unavailable"),
                               cg_pa)
                  && cg_listed(json_object_get(sl, "calendar_unavailable"),
                               cg_pb),
                  "slots offered while Google refuses the token: %.800s",
                  cg_dump(sl));
    json_decref(sl);

    /* Nor can such a slot be booked by asking for it directly. */
    start = it_sql("SELECT to_char(('%s 10:00'::timestamp AT TIME ZONE "
                   "'Europe/London') AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", cg_days[D_BADKEY]);
    body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                     cg_service, "start", start, "practitioner_id", cg_pa,
                     "patient", "name", "Bad Key", "email",
                     "badkey@example.org");
    js = json_dumps(body, JSON_COMPACT);
    r = it_req("POST", "/api/bookings", NULL, "application/json", js, -1,
               NULL);
    ck_assert_msg(r->status == 409 || r->status == 422, "booking while the "
                  "calendar cannot be read: %ld %s", r->status, r->body);
    it_free(r);
    free(js);
    json_decref(body);
    free(start);

    /* A refusal is asked again at most once a minute per process. */
    for (i = 0; i < 5; i++) {
        json_decref(cg_slots(D_BADKEY, 0, 1, NULL));
    }
    st = cg_state();
    ck_assert_msg(cg_counter(st, "token_refused") >= 1
                  && cg_counter(st, "token_refused") <= 4
                  && cg_counter(st, "tokens_issued") == 0,
                  "token requests while refused: %s",
                  cg_dump(json_object_get(st, "counters")));
    ck_assert_msg(json_object_size(json_object_get(st, "events")) == 0
                  || (json_array_size(cg_events_of(st, CG_CAL_A)) == 0
                      && json_array_size(cg_events_of(st, CG_CAL_B)) == 0),
                  "an event was written: %s",
                  cg_dump(json_object_get(st, "events")));
    json_decref(st);
    o = it_sql_try(NULL, "SELECT count(*) FROM bookings WHERE "
                   "patient_email = 'badkey@example.org'");
    ck_assert_msg(!strcmp(o, "0"), "a booking was stored: %s", o);
    free(o);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error")
                  && strstr(cg_str(h, "last_error"), "token"),
                  "health does not show the token error: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

START_TEST(badkey_log_clean)
{
    cg_log_checks();
}
END_TEST

/* ---- group: calendar_off (no key file) --------------------------------- */

START_TEST(off_health)
{
    json_t *h = cg_health();

    ck_assert_msg(json_is_false(json_object_get(h, "configured"))
                  && !strcmp(cg_str(h, "status"), "not_configured"),
                  "health without a calendar: %s", cg_dump(h));
    ck_assert_msg(json_object_get(h, "service_account") == NULL,
                  "a service account without a key: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

START_TEST(off_booking)
{
    json_t *sl;
    char *s;
    cg_booking b;

    sl = cg_slots(D_OFF, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "a practitioner with a calendar id but no calendar sync is "
                  "not offered: %.500s", cg_dump(sl));
    json_decref(sl);
    s = cg_pick(D_OFF, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "No Calendar");
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* The control for cal_event_move_overlapping_own: without a calendar, a
 * move overlapping only the booking's own time is allowed and keeps the
 * practitioner. */
START_TEST(off_move_overlapping_own)
{
    char *s1, *s2, body[128];
    cg_booking b;
    it_resp *r;

    s1 = cg_pick(D_OFF_MOVE, cg_pa, "11:00:00");
    s2 = cg_pick(D_OFF_MOVE, cg_pa, "11:15:00");
    b = cg_book(cg_pa, s1, "Own Overlap Control");
    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200 && json_integer_value(json_object_get(
                      json_object_get(r->json, "booking"),
                      "practitioner_id")) == cg_pa,
                  "move by 15 minutes without a calendar: %ld %s",
                  r->status, r->body);
    it_free(r);
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* A key file that is not a usable service-account key stops httpd at
 * start-up (CC01402), without its contents in the log. */
START_TEST(off_bad_key_file)
{
    char var2[400], conf[500], key[500], *port, *log;
    FILE *f;
    int rc;

    snprintf(var2, sizeof(var2), "%s/calbadkey", it_var);
    snprintf(conf, sizeof(conf), "%s/extra.conf", var2);
    snprintf(key, sizeof(key), "%s/bad-sa.json", var2);
    ck_assert(it_sh("mkdir -p '%s/httpd' && ln -sfn '%s/pg' '%s/pg'", var2,
                    it_var, var2) == 0);
    f = fopen(key, "w");
    ck_assert(f != NULL);
    fputs("{\"type\":\"service_account\",\"client_email\":\"" CG_EMAIL "\","
          "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq"
          "hkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcanaryKeyData\\n-----END "
          "PRIVATE KEY-----\\n\",\"token_uri\":\"http://127.0.0.1:9/token\"}",
          f);
    fclose(f);
    f = fopen(conf, "w");
    ck_assert(f != NULL);
    fprintf(f, "ConciergeGoogleKeyFile %s\n", key);
    fclose(f);
    port = it_sh_out("bash -c '. scripts/env.sh && free_port'");
    rc = it_sh("CC_VAR='%s' CC_PORT=%d CC_EXTRA_CONF='%s' CC_SERVERS=1 "
               "CC_THREADS=4 scripts/httpd.sh start >/dev/null 2>&1", var2,
               (int)strtol(port, NULL, 10), conf);
    if (rc == 0) {
        it_sh("CC_VAR='%s' scripts/httpd.sh stop >/dev/null 2>&1", var2);
    }
    free(port);
    snprintf(conf, sizeof(conf), "%s/httpd/error.log", var2);
    f = fopen(conf, "r");
    log = calloc(1, 65536);
    if (f) {
        size_t n = fread(log, 1, 65535, f);

        log[n] = '\0';
        fclose(f);
    }
    ck_assert_msg(rc != 0, "httpd started with an unusable key file");
    ck_assert_msg(strstr(log, "ConciergeGoogleKeyFile") != NULL, "the error "
                  "log does not name ConciergeGoogleKeyFile:\n%.2000s", log);
    ck_assert_msg(!strstr(log, "canaryKeyData") && !strstr(log, "MIIEv"),
                  "key material is in the error log:\n%.2000s", log);
    free(log);
}
END_TEST

START_TEST(off_log_clean)
{
    static const char *const allowed[] = { NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

/* ---- fixtures -------------------------------------------------------------- */

static void badkey_setup(void)
{
    cg_make_keys();
    cg_fake_start("badkey", "other.pub");
    cg_httpd(1);
}

static void off_setup(void)
{
    cg_httpd(0);
}

Suite *it_suite_calendar_keys(void)
{
    Suite *s = suite_create("calendar-keys");
    TCase *bad = tcase_create("calendar_badkey");
    TCase *off = tcase_create("calendar_off");

    tcase_add_unchecked_fixture(bad, badkey_setup, cg_teardown);
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, badkey_token_refused);
    tcase_add_test(bad, badkey_log_clean);
    suite_add_tcase(s, bad);

    tcase_add_unchecked_fixture(off, off_setup, cg_teardown);
    tcase_set_timeout(off, 60);
    tcase_add_test(off, off_health);
    tcase_add_test(off, off_booking);
    tcase_add_test(off, off_move_overlapping_own);
    tcase_add_test(off, off_bad_key_file);
    tcase_add_test(off, off_log_clean);
    suite_add_tcase(s, off);
    return s;
}
