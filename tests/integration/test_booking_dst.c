/*
 * test_booking_dst.c - slots on the days the clocks change: London's in
 * the "booking" group (test_booking.c), and the booking-dst group:
 * America/New_York.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "booking.h"

/* ---- DST ---------------------------------------------------------------- */

/* The date (days) of the nth (n > 0) or last (n = 0) Sunday of month m in
 * year y. */
static long long bk_sunday(int y, int m, int n)
{
    long long d;

    if (n > 0) {
        d = bk_days_from_civil(y, m, 1);
        while (bk_weekday(d) != 0) {
            d++;
        }
        return d + 7 * (n - 1);
    }
    d = bk_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    while (bk_weekday(d) != 0) {
        d--;
    }
    return d;
}

/* The next such Sunday at least two days ahead, or -1 when it is beyond a
 * 365-day horizon this year (then the check is skipped, said so). */
static long long bk_next_sunday(int m, int n)
{
    long long today = bk_parse_date(bk_today), d;
    int y, mm, dd;

    bk_civil_from_days(today, &y, &mm, &dd);
    d = bk_sunday(y, m, n);
    if (d < today + 2) {
        d = bk_sunday(y + 1, m, n);
    }
    if (d > today + 363) {
        fprintf(stderr, "test_booking: %d/%d is %lld days away: beyond the "
                "365-day horizon, not checked this run\n", m, n, d - today);
        return -1;
    }
    return d;
}

/* Every slot of the reply has this offset (e.g. "+01:00"). */
static void bk_assert_offsets(it_resp *r, const char *off, int count,
                              const char *what)
{
    json_t *s;
    size_t i;

    ck_assert_msg(bk_count_of(r, 0) == count, "%s: %d slots, expected %d: "
                  "%.3000s", what, bk_count_of(r, 0), count, r->body);
    json_array_foreach(bk_slot_list(r), i, s) {
        ck_assert_msg(!strcmp(jstr(s, "start") + 19, off)
                      && !strcmp(jstr(s, "end") + 19, off), "%s: slot %s..%s "
                      "is not at %s", what, jstr(s, "start"), jstr(s, "end"),
                      off);
    }
}

/* The slots' starts as "hh:mm+hh:mm" joined by spaces. */
static char *bk_starts(it_resp *r)
{
    char *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    json_t *s;
    size_t i;

    json_array_foreach(bk_slot_list(r), i, s) {
        const char *st = jstr(s, "start");

        fprintf(m, "%s%.5s%s", i ? " " : "", st + 11, st + 19);
    }
    fclose(m);
    return out;
}

/* Day slots 09:00-17:00 (30 minutes, step 15): 09:00 .. 16:30. */
static void bk_check_day(long long day, const char *off, const char *what)
{
    char d[11], first[40];
    it_resp *r;
    json_t *s;

    bk_date(day, d);
    r = bk_slots(sv_dst, d, 1, 0);
    bk_assert_slot_shape(r, d, 1, 15, 30);
    bk_assert_offsets(r, off, 31, what);
    s = json_array_get(bk_slot_list(r), 0);
    snprintf(first, sizeof(first), "%sT09:00:00%s", d, off);
    ck_assert_msg(!strcmp(jstr(s, "start"), first), "%s: first slot %s, "
                  "expected %s", what, jstr(s, "start"), first);
    it_free(r);
}

static void bk_check_night(long svc, long long day, const char *want,
                           const char *what)
{
    char d[11], *got;
    it_resp *r;
    json_t *s;
    size_t i;

    bk_date(day, d);
    r = bk_slots(svc, d, 1, 0);
    got = bk_starts(r);
    ck_assert_msg(!strcmp(got, want), "%s (%s): slots\n  %s\nexpected\n  %s",
                  what, d, got, want);
    /* each is 30 real minutes, in time order */
    json_array_foreach(bk_slot_list(r), i, s) {
        ck_assert_msg(bk_t(jstr(s, "end")) - bk_t(jstr(s, "start")) == 1800,
                      "%s: %s..%s is not 30 minutes", what, jstr(s, "start"),
                      jstr(s, "end"));
    }
    bk_assert_slot_shape(r, d, 1, 15, 30);
    free(got);
    it_free(r);
}

START_TEST(booking_dst_london)
{
    long long spring = bk_next_sunday(3, 0), autumn = bk_next_sunday(10, 0);

    bk_settings("horizon_days = 365");
    if (spring > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(spring - 1, "+00:00", "London, the Saturday before "
                     "summer time");
        bk_check_day(spring, "+01:00", "London, the first day of summer "
                     "time");
        /* 00:00-03:00 local: 01:00-02:00 does not exist. */
        bk_check_night(sv_ldnn, spring, "00:00+00:00 00:15+00:00 00:30+00:00 "
                       "00:45+00:00 02:00+01:00 02:15+01:00 02:30+01:00",
                       "London night, clocks forward");
        /* Booked in UTC, answered in local time. */
        bk_date(spring, d);
        snprintf(when, sizeof(when), "%sT01:00:00Z", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201, "book %s: %ld %s", when, r->status,
                      r->body);
        ck_assert_msg(!strcmp(jstr(r->json, "start") + 10, "T02:00:00+01:00")
                      && !strcmp(jstr(r->json, "end") + 10,
                                 "T02:30:00+01:00"),
                      "01:00Z on the spring day: %s", r->body);
        it_free(r);
        free(body);
        /* 00:45 GMT lasts until 02:15 BST: the slot is offered (30 real
         * minutes) and bookable. */
        snprintf(when, sizeof(when), "%sT00:45:00+00:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 409, "00:45 overlaps the booking at "
                      "01:00Z: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    if (autumn > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(autumn - 1, "+01:00", "London, the last day of summer "
                     "time");
        bk_check_day(autumn, "+00:00", "London, clocks back");
        /* 01:00-02:00 local happens twice. */
        bk_check_night(sv_ldnn, autumn, "00:00+01:00 00:15+01:00 00:30+01:00 "
                       "00:45+01:00 01:00+01:00 01:15+01:00 01:30+01:00 "
                       "01:45+01:00 01:00+00:00 01:15+00:00 01:30+00:00 "
                       "01:45+00:00 02:00+00:00 02:15+00:00 02:30+00:00",
                       "London night, clocks back");
        /* Both 01:30s are bookable: two different instants. */
        bk_date(autumn, d);
        snprintf(when, sizeof(when), "%sT01:30:00+01:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"),
                      when), "first 01:30: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
        snprintf(when, sizeof(when), "%sT01:30:00+00:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"),
                      when), "second 01:30: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    bk_settings(NULL);
}
END_TEST

/* London's DST days, in the "booking" group. */
void bk_add_dst_tests(TCase *tc)
{
    tcase_add_test(tc, booking_dst_london);
}

/* ---- America/New_York --------------------------------------------------- */

static void dst_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON BK_CONF_FAST
                   "ConciergeTimeZone America/New_York\n", 1, 8);
}

START_TEST(booking_dst_new_york)
{
    long long spring = bk_next_sunday(3, 2), autumn = bk_next_sunday(11, 1);
    char *out;
    int ok;

    /* The brief asked for a 400-day horizon; the schema caps it at 365,
     * which still reaches both days. */
    {
        out = it_sql_try(NULL, "UPDATE clinic_settings SET horizon_days = "
                         "400 WHERE id = 1");
        ok = strstr(out, "violates check constraint") != NULL;
        free(out);
        ck_assert_msg(ok, "horizon_days = 400 was accepted");
    }
    bk_settings("horizon_days = 365");
    if (spring > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(spring - 1, "-05:00", "New York, the Saturday before "
                     "daylight time");
        bk_check_day(spring, "-04:00", "New York, clocks forward");
        bk_date(spring - 1, d);
        r = bk_slots(sv_dst, d, 2, 0);
        ck_assert_int_eq(bk_count_of(r, 0), 62);
        it_free(r);
        /* 01:00-04:00 local: 02:00-03:00 does not exist. */
        bk_check_night(sv_nyn, spring, "01:00-05:00 01:15-05:00 01:30-05:00 "
                       "01:45-05:00 03:00-04:00 03:15-04:00 03:30-04:00",
                       "New York night, clocks forward");
        bk_date(spring, d);
        snprintf(when, sizeof(when), "%sT13:00:00Z", d);
        body = bk_body(sv_dst, when, pr_dst);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201, "book %s: %ld %s", when, r->status,
                      r->body);
        ck_assert_msg(!strcmp(jstr(r->json, "start") + 10, "T09:00:00-04:00")
                      && !strcmp(jstr(r->json, "end") + 10, "T09:30:00-04:00")
                      && !strcmp(jstr(r->json, "timezone"),
                                 "America/New_York"), "13:00Z on the "
                      "spring day: %s", r->body);
        it_free(r);
        free(body);
    }
    if (autumn > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(autumn - 1, "-04:00", "New York, the last day of "
                     "daylight time");
        bk_check_day(autumn, "-05:00", "New York, clocks back");
        bk_check_night(sv_nyn, autumn, "01:00-04:00 01:15-04:00 01:30-04:00 "
                       "01:45-04:00 01:00-05:00 01:15-05:00 01:30-05:00 "
                       "01:45-05:00 02:00-05:00 02:15-05:00 02:30-05:00 "
                       "02:45-05:00 03:00-05:00 03:15-05:00 03:30-05:00",
                       "New York night, clocks back");
        bk_date(autumn, d);
        snprintf(when, sizeof(when), "%sT14:00:00Z", d);
        body = bk_body(sv_dst, when, pr_dst);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start")
                      + 10, "T09:00:00-05:00"), "14:00Z on the autumn day: "
                      "%ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_dst_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "");
}
END_TEST

Suite *it_suite_booking_dst(void)
{
    Suite *s = suite_create("booking-dst");
    TCase *dst = tcase_create("booking-dst");

    tcase_add_unchecked_fixture(dst, dst_setup, bk_httpd_teardown);
    tcase_set_timeout(dst, 60);
    tcase_add_test(dst, booking_dst_new_york);
    tcase_add_test(dst, booking_dst_log_clean);
    suite_add_tcase(s, dst);
    return s;
}
