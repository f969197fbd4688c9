/*
 * test_booking.c - the booking API as a patient, a member of staff and an
 * attacker see it, against the real module and PostgreSQL.  The groups:
 *
 *   booking          Europe/London, two httpd hosts on one database: the
 *                    tests of test_booking_slots.c, _create.c,
 *                    _refused.c, _manage.c and _dst.c (in that order),
 *                    then the staff list and a clean error log without
 *                    patient details (here).
 *   booking-dst      America/New_York: slots on the DST days
 *                    (test_booking_dst.c).
 *   booking-limit    the default "booking 5/min" rate limit (429)
 *                    (test_booking_refused.c).
 *
 * The shared fixture and helpers are in booking.c/booking.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "booking.h"

static void booking_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON BK_CONF_FAST
                   "ConciergeTimeZone Europe/London\n", 2, 32);
    it_httpd2_start(BK_CONF_COMMON BK_CONF_FAST
                    "ConciergeTimeZone Europe/London\n", 2, 16);
}

static void booking_teardown(void)
{
    it_httpd2_stop();
    it_httpd_stop();
    bk_settings_parent(BK_SEED_SETTINGS);
}

/* ---- staff list --------------------------------------------------------- */

static it_resp *bk_admin_list(const char *query)
{
    char path[400];

    snprintf(path, sizeof(path), "/api/admin/bookings?%s", query);
    return it_get(path, IT_STAFF);
}

START_TEST(booking_admin_list)
{
    const char *day = bk_day(18);
    char *s10a = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s12 = bk_start(sv_paid, day, "12:00", pr_alice);
    char q[256], tok[128];
    long a, b, c, ids[3], before = 0;
    json_t *list, *e;
    it_resp *r;
    size_t i;
    int k;

    bk_settings(NULL);
    a = bk_book(sv_basic, s10a, pr_alice, NULL);
    b = bk_book(sv_basic, s10a, pr_bob, tok);
    r = bk_manage("POST", b, "cancel", tok, NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    c = bk_book(sv_paid, s12, pr_alice, NULL);

    r = it_req("GET", "/api/admin/bookings", NULL, NULL, NULL, -1, NULL);
    it_assert_error(r, 401, "authentication_required");
    it_free(r);

    snprintf(q, sizeof(q), "from=%s&to=%s", day, day);
    r = bk_admin_list(q);
    ck_assert_msg(r->status == 200, "list: %ld %s", r->status, r->body);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 3
                  && jint(json_array_get(list, 0), "id") == c
                  && jint(json_array_get(list, 1), "id") == b
                  && jint(json_array_get(list, 2), "id") == a
                  && json_is_null(json_object_get(r->json, "next_before")),
                  "the day's bookings, newest first: %s", r->body);
    json_array_foreach(list, i, e) {
        ck_assert_msg(bk_parse(jstr(e, "start"), &(bk_tm){ 0 })
                      && bk_parse(jstr(e, "end"), &(bk_tm){ 0 })
                      && jstr(e, "patient_name") && jstr(e, "patient_email")
                      && jstr(e, "status") && jstr(e, "service_name")
                      && jstr(e, "practitioner_name")
                      && !json_object_get(e, "token_hash")
                      && !json_object_get(e, "token_nonce"), "list entry: %s",
                      r->body);
    }
    ck_assert_str_eq(jstr(json_array_get(list, 2), "start"), s10a);
    it_free(r);

    snprintf(q, sizeof(q), "from=%s&to=%s&status=cancelled", day, day);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == b,
                  "status=cancelled: %s", r->body);
    it_free(r);
    snprintf(q, sizeof(q), "from=%s&to=%s&status=pending_payment", day, day);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == c,
                  "status=pending_payment: %s", r->body);
    it_free(r);
    snprintf(q, sizeof(q), "from=%s&to=%s&practitioner_id=%ld", day, day,
             pr_bob);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == b,
                  "practitioner_id=Bob: %s", r->body);
    it_free(r);

    /* Paging, one at a time. */
    for (k = 0; k < 3; k++) {
        json_t *nb;

        snprintf(q, sizeof(q), "from=%s&to=%s&limit=1", day, day);
        if (before) {
            snprintf(q + strlen(q), sizeof(q) - strlen(q), "&before=%ld",
                     before);
        }
        r = bk_admin_list(q);
        list = json_object_get(r->json, "bookings");
        ck_assert_msg(r->status == 200 && json_array_size(list) == 1,
                      "page %d: %s", k, r->body);
        ids[k] = jint(json_array_get(list, 0), "id");
        nb = json_object_get(r->json, "next_before");
        ck_assert_msg(json_is_integer(nb) && json_integer_value(nb) == ids[k],
                      "next_before on page %d: %s", k, r->body);
        before = ids[k];
        it_free(r);
    }
    ck_assert_msg(ids[0] == c && ids[1] == b && ids[2] == a, "pages %ld %ld "
                  "%ld", ids[0], ids[1], ids[2]);
    snprintf(q, sizeof(q), "from=%s&to=%s&limit=1&before=%ld", day, day, a);
    r = bk_admin_list(q);
    ck_assert_msg(json_array_size(json_object_get(r->json, "bookings")) == 0,
                  "after the last page: %s", r->body);
    it_free(r);

    /* Bad filters: one JSON 400 each. */
    {
        char prev[11];
        const char *bad[10];
        char b2[64];

        bk_date(bk_parse_date(day) - 1, prev);
        snprintf(b2, sizeof(b2), "from=%s&to=%s", day, prev);
        bad[0] = "status=bogus";
        bad[1] = "from=2027-02-30";
        bad[2] = b2;
        bad[3] = "limit=0";
        bad[4] = "limit=501";
        bad[5] = "practitioner_id=abc";
        bad[6] = "before=-1";
        bad[7] = "to=tomorrow";
        bad[8] = NULL;
        for (k = 0; bad[k]; k++) {
            r = bk_admin_list(bad[k]);
            ck_assert_msg(r->status == 400, "GET /api/admin/bookings?%s: "
                          "%ld, expected 400; body: %s", bad[k], r->status,
                          r->body);
            bk_assert_error_first(r, 400, "invalid_parameter");
            it_free(r);
        }
    }
    r = bk_staff("GET", 99999999, NULL, NULL);
    it_assert_error(r, 404, "booking_not_found");
    it_free(r);
    r = it_get("/api/admin/bookings/abc", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    free(s10a);
    free(s12);
}
END_TEST

/* ---- the error log ------------------------------------------------------ */

START_TEST(booking_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "first "
                        "host's");
    bk_assert_log_clean(it_log2_unexpected(allowed), it_log2_read(),
                        "second host's");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE detail "
                                "ILIKE '%%" BK_CANARY "%%' OR target ILIKE '%%"
                                BK_CANARY "%%'", bk_audit), 0);
}
END_TEST

Suite *it_suite_booking(void)
{
    Suite *s = suite_create("booking");
    TCase *tc = tcase_create("booking");

    tcase_add_unchecked_fixture(tc, booking_setup, booking_teardown);
    tcase_set_timeout(tc, 120);
    bk_add_slot_tests(tc);
    bk_add_create_tests(tc);
    bk_add_refused_tests(tc);
    bk_add_manage_tests(tc);
    bk_add_race_tests(tc);
    tcase_add_test(tc, booking_admin_list);
    bk_add_dst_tests(tc);
    tcase_add_test(tc, booking_log_clean);
    suite_add_tcase(s, tc);
    return s;
}
