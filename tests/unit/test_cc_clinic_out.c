/* Unit tests: cc_clinic output (the slot writer, checked against
 * jansson across DST; slot picking; booking views; refusals; words). */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_clinic.h"
#include "cc_json.h"
#include "suites.h"
#include "test_cc_clinic.h"

/* ---- writing slots ------------------------------------------------------ */

static apr_array_header_t *slot_list(const int64_t *v, int n)
{
    apr_array_header_t *a = apr_array_make(ct_pool, n + 1,
                                           sizeof(cc_clinic_slot_t));
    int i;

    for (i = 0; i < n; i++) {
        cc_clinic_slot_t *s = apr_array_push(a);

        s->start = v[3 * i];
        s->end = v[3 * i + 1];
        s->practitioner = v[3 * i + 2];
    }
    return a;
}

START_TEST(test_slots_text_exact)
{
    const cc_tz_t *tz = ct_london();
    const cc_tz_t *ny = cc_tz_load(ct_pool, NULL, "America/New_York", NULL);
    int64_t nye = cc_days_from_civil(2027, 1, 1) * 86400 + 5 * 3600;
    int64_t v[9];

    ck_assert_str_eq(cc_clinic_slots_text(ct_pool, tz, slot_list(v, 0)), "[]");
    v[0] = ct_jun1(9, 0);
    v[1] = ct_jun1(10, 0);
    v[2] = 10;
    ck_assert_str_eq(cc_clinic_slots_text(ct_pool, tz, slot_list(v, 1)),
                     "[{\"start\":\"2026-06-01T09:00:00+01:00\",\"end\":"
                     "\"2026-06-01T10:00:00+01:00\",\"practitioner_id\":10}]");
    /* Ids: the largest, zero, and a negative one written as 0. */
    v[2] = INT64_MAX;
    v[3] = ct_jun1(10, 0) + 7;
    v[4] = ct_jun1(11, 0);
    v[5] = 0;
    v[6] = ct_jun1(11, 0);
    v[7] = ct_jun1(12, 0);
    v[8] = -5;
    ck_assert_str_eq(cc_clinic_slots_text(ct_pool, tz, slot_list(v, 3)),
                     "[{\"start\":\"2026-06-01T09:00:00+01:00\",\"end\":"
                     "\"2026-06-01T10:00:00+01:00\",\"practitioner_id\":"
                     "9223372036854775807},{\"start\":\"2026-06-01T10:00:07"
                     "+01:00\",\"end\":\"2026-06-01T11:00:00+01:00\","
                     "\"practitioner_id\":0},{\"start\":\"2026-06-01T11:00:00"
                     "+01:00\",\"end\":\"2026-06-01T12:00:00+01:00\","
                     "\"practitioner_id\":0}]");
    /* A negative offset, across midnight and the new year. */
    ck_assert_ptr_nonnull(ny);
    v[0] = nye - 1800;
    v[1] = nye + 1800;
    v[2] = 3;
    ck_assert_str_eq(cc_clinic_slots_text(ct_pool, ny, slot_list(v, 1)),
                     "[{\"start\":\"2026-12-31T23:30:00-05:00\",\"end\":"
                     "\"2027-01-01T00:30:00-05:00\",\"practitioner_id\":3}]");
}
END_TEST

/* The hand-written text equals what jansson writes from the same slots,
 * across days and both DST changes, in zones either side of UTC. */
START_TEST(test_slots_text_matches_json)
{
    static const char *const zones[] = { "Europe/London", "America/New_York",
                                         "Australia/Sydney", "UTC" };
    static const int dates[][3] = { { 2026, 3, 27 }, { 2026, 10, 23 },
                                    { 2026, 4, 3 }, { 2026, 3, 6 },
                                    { 2026, 10, 30 } };
    size_t z, d;

    for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        const cc_tz_t *tz = cc_tz_load(ct_pool, NULL, zones[z], NULL);

        ck_assert_msg(tz != NULL, "%s", zones[z]);
        for (d = 0; d < sizeof(dates) / sizeof(dates[0]); d++) {
            apr_array_header_t *a = apr_array_make(ct_pool, 256,
                                                   sizeof(cc_clinic_slot_t));
            int64_t t = cc_days_from_civil(dates[d][0], dates[d][1],
                                           dates[d][2]) * 86400;
            const char *text, *json;
            json_t *j;
            int i;

            for (i = 0; i < 240; i++) {
                cc_clinic_slot_t *s = apr_array_push(a);

                /* 37 min 13 s apart: every minute and second, sorted;
                 * some slots run backwards in local time (DST end). */
                s->start = t + (int64_t)i * 2233;
                s->end = s->start + (i % 5 + 1) * 900;
                s->practitioner = i % 3 ? i : (apr_int64_t)i * 1000003;
            }
            text = cc_clinic_slots_text(ct_pool, tz, a);
            j = cc_json_pool_own(ct_pool, cc_clinic_slots_json(ct_pool, tz, a,
                                                          INT64_MIN, 0));
            json = cc_json_dump(ct_pool, j, NULL);
            ck_assert_msg(!strcmp(text, json), "%s %d-%d-%d", zones[z],
                          dates[d][0], dates[d][1], dates[d][2]);
        }
    }
}
END_TEST

/* cc_clinic_slots_json, released with the test's pool. */
static json_t *sj(const apr_array_header_t *a, int64_t after, int max)
{
    return cc_json_pool_own(ct_pool, cc_clinic_slots_json(ct_pool,
                                                          ct_london(), a,
                                                          after, max));
}

START_TEST(test_slots_json_after_max)
{
    int64_t v[12] = { ct_jun1(9, 0), ct_jun1(10, 0), 10, ct_jun1(10, 0),
                      ct_jun1(11, 0), 10, ct_jun1(10, 0), ct_jun1(11, 0), 20,
                      ct_jun1(11, 0), ct_jun1(12, 0), 10 };
    apr_array_header_t *a = slot_list(v, 4);
    json_t *j;

    j = sj(a, INT64_MIN, 0);
    ck_assert_uint_eq(json_array_size(j), 4);
    j = sj(a, ct_jun1(10, 0), 0);
    ck_assert_uint_eq(json_array_size(j), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0),
                                                       "start")),
                     "2026-06-01T10:00:00+01:00");
    j = sj(a, ct_jun1(10, 0), 2);
    ck_assert_uint_eq(json_array_size(j), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 1),
                                                        "practitioner_id")),
                     20);
    j = sj(a, ct_jun1(13, 0), 5);
    ck_assert_uint_eq(json_array_size(j), 0);
    ck_assert_str_eq(cc_json_dump(ct_pool, sj(a, ct_jun1(11, 0), 1), NULL),
        "[{\"start\":\"2026-06-01T11:00:00+01:00\",\"end\":"
        "\"2026-06-01T12:00:00+01:00\",\"practitioner_id\":10}]");
}
END_TEST

START_TEST(test_slots_pick)
{
    const cc_tz_t *tz = ct_london();
    int64_t v[18] = { ct_jun1(9, 0), ct_jun1(10, 0), 10,
                      ct_jun1(9, 0), ct_jun1(10, 0), 20,
                      ct_jun1(11, 30), ct_jun1(12, 30), 20,
                      ct_jun1(12, 0), ct_jun1(13, 0), 10,
                      ct_jun1(16, 59), ct_jun1(17, 59), 10,
                      ct_jun1(17, 0), ct_jun1(18, 0), 20 };
    apr_array_header_t *a = slot_list(v, 6), *o;

    /* All day: one per start time, the first practitioner's. */
    o = cc_clinic_slots_pick(ct_pool, tz, a, 0, 24, 8);
    ck_assert_int_eq(o->nelts, 5);
    ck_assert_int_eq(APR_ARRAY_IDX(o, 0, cc_clinic_slot_t).practitioner, 10);
    ck_assert_int_eq(APR_ARRAY_IDX(o, 1, cc_clinic_slot_t).start,
                     ct_jun1(11, 30));
    /* Morning, afternoon, evening. */
    o = cc_clinic_slots_pick(ct_pool, tz, a, 0, 12, 8);
    ck_assert_int_eq(o->nelts, 2);
    o = cc_clinic_slots_pick(ct_pool, tz, a, 12, 17, 8);
    ck_assert_int_eq(o->nelts, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(o, 1, cc_clinic_slot_t).start,
                     ct_jun1(16, 59));
    o = cc_clinic_slots_pick(ct_pool, tz, a, 17, 24, 8);
    ck_assert_int_eq(o->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(o, 0, cc_clinic_slot_t).practitioner, 20);
    /* At most max; an empty range picks nothing. */
    o = cc_clinic_slots_pick(ct_pool, tz, a, 0, 24, 2);
    ck_assert_int_eq(o->nelts, 2);
    o = cc_clinic_slots_pick(ct_pool, tz, a, 0, 0, 8);
    ck_assert_int_eq(o->nelts, 0);
    o = cc_clinic_slots_pick(ct_pool, tz, a, 0, 24, 0);
    ck_assert_int_eq(o->nelts, 0);
}
END_TEST

/* ---- a booking ------------------------------------------------------------ */

/* cc_clinic_booking_view in London, released with the test's pool. */
static json_t *view(const json_t *b, const json_t *st)
{
    return cc_json_pool_own(ct_pool, cc_clinic_booking_view(
        ct_pool, ct_london(), "Europe/London", b, st));
}

START_TEST(test_booking_view)
{
    json_t *st = cc_json_pool_own(ct_pool, json_loads(
        "{\"slot_step_min\":60,\"cancel_cutoff_min\":1440,\"late_cancel\":"
        "\"refuse\",\"reschedule_cutoff_min\":60,\"max_reschedules\":2}",
        0, NULL));
    const char *row = apr_psprintf(ct_pool, "{\"id\":5,\"service_id\":1,"
        "\"status\":\"confirmed\",\"start\":%" APR_INT64_T_FMT ",\"end\":%"
        APR_INT64_T_FMT ",\"hold_until\":null,\"token_hash\":\"ab\","
        "\"token_nonce\":\"n\",\"calendar_gen\":3,\"payment_status\":"
        "\"none\"}", (apr_int64_t)ct_jun1(9, 0), (apr_int64_t)ct_jun1(10, 0));
    json_t *b = cc_json_pool_own(ct_pool, json_loads(row, 0, NULL));
    json_t *v;

    ck_assert_ptr_nonnull(b);
    v = view(b, NULL);
    ck_assert_str_eq(cc_json_dump(ct_pool, v, NULL),
                     "{\"id\":5,\"service_id\":1,\"status\":\"confirmed\","
                     "\"start\":\"2026-06-01T09:00:00+01:00\",\"end\":"
                     "\"2026-06-01T10:00:00+01:00\",\"hold_until\":null,"
                     "\"payment_status\":\"none\",\"timezone\":"
                     "\"Europe/London\"}");
    /* The row itself is not changed. */
    ck_assert_ptr_nonnull(json_object_get(b, "token_hash"));
    ck_assert(json_is_integer(json_object_get(b, "start")));
    /* With the policy, a hold, and unpaid. */
    json_object_set_new(b, "hold_until", json_integer(ct_jun1(8, 30)));
    json_object_set_new(b, "payment_status", json_string("unpaid"));
    v = view(b, st);
    ck_assert_str_eq(json_string_value(json_object_get(v, "hold_until")),
                     "2026-06-01T08:30:00+01:00");
    ck_assert_str_eq(cc_json_dump(ct_pool, json_object_get(v, "policy"), NULL),
                     "{\"cancel_cutoff_min\":1440,\"late_cancel\":\"refuse\","
                     "\"reschedule_cutoff_min\":60,\"max_reschedules\":2}");
    ck_assert(json_is_true(json_object_get(json_object_get(v, "payment"),
                                           "required")));
    ck_assert(json_is_null(json_object_get(json_object_get(v, "payment"),
                                           "url")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(v,
                     "payment"), "status")), "unpaid");
    ck_assert_ptr_null(json_object_get(v, "token_nonce"));
    ck_assert_ptr_null(json_object_get(v, "calendar_gen"));
}
END_TEST

/* ---- refusals and words --------------------------------------------------- */

static const struct {
    const char *res;
    int         cancel, status;
    const char *code, *message;
} refusals[] = {
    { "{\"outcome\":\"not_found\"}", 1, 404, "booking_not_found",
      "no such booking" },
    { "{\"outcome\":\"not_active\",\"status\":\"cancelled\"}", 1, 409,
      "booking_not_active", "the booking is cancelled" },
    { "{\"outcome\":\"not_active\"}", 0, 409, "booking_not_active",
      "the booking is no longer active" },
    { "{\"outcome\":\"past\"}", 0, 409, "booking_in_past",
      "the appointment has already started" },
    { "{\"outcome\":\"cutoff\",\"cutoff_min\":1440}", 1, 422,
      "cancellation_cutoff", "bookings can be cancelled online until 1440 "
      "minutes before the start; please call the clinic" },
    { "{\"outcome\":\"cutoff\",\"cutoff_min\":60}", 0, 422,
      "reschedule_cutoff", "bookings can be moved online until 60 minutes "
      "before the start; please call the clinic" },
    { "{\"outcome\":\"limit\",\"max_reschedules\":2}", 0, 422,
      "reschedule_limit", "this booking has been moved the most times "
      "allowed (2); please call the clinic" },
    { "{\"outcome\":\"surprise\"}", 0, 500, "internal_error",
      "unexpected outcome" },
    { "{}", 1, 500, "internal_error", "unexpected outcome" },
};

START_TEST(test_refusal)
{
    cc_problem_t prob;
    size_t i;

    for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        memset(&prob, 0, sizeof(prob));
        cc_clinic_refusal(&prob, cc_json_pool_own(ct_pool, json_loads(
            refusals[i].res, 0, NULL)), refusals[i].cancel);
        ck_assert_int_eq(prob.status, refusals[i].status);
        ck_assert_str_eq(prob.code, refusals[i].code);
        ck_assert_str_eq(prob.message, refusals[i].message);
    }
    cc_clinic_refusal(&prob, NULL, 0);
    ck_assert_str_eq(prob.code, "internal_error");
}
END_TEST

START_TEST(test_days_words)
{
    int64_t mon = cc_days_from_civil(2026, 6, 1);

    ck_assert_str_eq(cc_clinic_days_words(ct_pool, mon, 1, 1),
                     "on Monday 1 June");
    ck_assert_str_eq(cc_clinic_days_words(ct_pool, mon, 1, 0),
                     "on Monday 1 June");
    ck_assert_str_eq(cc_clinic_days_words(ct_pool, mon - 1, 7, 1),
                     "between Sunday 31 May and Saturday 6 June");
    ck_assert_str_eq(cc_clinic_days_words(ct_pool, mon, 7, 0),
                     "in the next week");
    ck_assert_str_eq(cc_clinic_days_words(ct_pool, cc_days_from_civil(2026, 12,
                                                                 31), 2, 1),
                     "between Thursday 31 December and Friday 1 January");
}
END_TEST

Suite *suite_clinic_out(void)
{
    Suite *s = suite_create("clinic_out");
    TCase *to = tcase_create("output");

    tcase_add_checked_fixture(to, ct_setup, ct_teardown);
    tcase_add_test(to, test_slots_text_exact);
    tcase_add_test(to, test_slots_text_matches_json);
    tcase_add_test(to, test_slots_json_after_max);
    tcase_add_test(to, test_slots_pick);
    tcase_add_test(to, test_booking_view);
    tcase_add_test(to, test_refusal);
    tcase_add_test(to, test_days_words);
    suite_add_tcase(s, to);
    return s;
}
