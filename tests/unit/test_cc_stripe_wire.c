/* Unit tests: cc_stripe_wire (Stripe's form encoding, the Checkout Session
 * and Refund requests, and what is read from Stripe's objects and
 * events).  What a request must hold is Stripe's API reference
 * (FIELD_NOTES D1); the integration tests send them to a fake that checks
 * them again. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <apr_general.h>
#include "cc_stripe_wire.h"
#include "suites.h"

static apr_pool_t *pool;

static void setup(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    apr_terminate();
}

START_TEST(test_wire_form_encoding)
{
    char *f = cc_stripe_form_add(pool, NULL, "a[b][0]", "x y&z=é/~.-_");

    ck_assert_str_eq(f, "a[b][0]=x%20y%26z%3D%C3%A9%2F~.-_");
    f = cc_stripe_form_add(pool, f, "k", "");
    ck_assert_str_eq(f, "a[b][0]=x%20y%26z%3D%C3%A9%2F~.-_&k=");
    /* A key is encoded too, but keeps its brackets. */
    ck_assert_str_eq(cc_stripe_form_add(pool, "", "m[a b]", "1"),
                     "m[a%20b]=1");
}
END_TEST

START_TEST(test_wire_checkout_form)
{
    cc_stripe_checkout_t c = { 42, 7, 4500, "GBP", "Peel, 2026-12-10 09:00",
                               "https://clinic.example", 1796690000,
                               "pat@example.org" };
    char *f = cc_stripe_checkout_form(pool, &c);

    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f,
        "mode=payment&line_items[0][quantity]=1"
        "&line_items[0][price_data][currency]=gbp"
        "&line_items[0][price_data][unit_amount]=4500"
        "&line_items[0][price_data][product_data][name]="
        "Peel%2C%202026-12-10%2009%3A00"
        "&client_reference_id=42&metadata[booking_id]=42"
        "&metadata[payment_id]=7"
        "&payment_intent_data[metadata][booking_id]=42"
        "&payment_intent_data[metadata][payment_id]=7"
        "&success_url=https%3A%2F%2Fclinic.example%2Fbook%2Fdone%3Fbooking%3D42"
        "&cancel_url=https%3A%2F%2Fclinic.example%2Fbook%2Fcancelled%3F"
        "booking%3D42&expires_at=1796690000"
        "&customer_email=pat%40example.org");
    /* Unusable arguments give no request. */
    c.currency = "GB";
    ck_assert_ptr_null(cc_stripe_checkout_form(pool, &c));
    c.currency = "gbp";
    c.public_url = "ftp://x";
    ck_assert_ptr_null(cc_stripe_checkout_form(pool, &c));
    c.public_url = "https://clinic.example";
    c.booking_id = 0;
    ck_assert_ptr_null(cc_stripe_checkout_form(pool, &c));
    c.booking_id = 42;
    c.email = NULL;
    ck_assert_ptr_null(strstr(cc_stripe_checkout_form(pool, &c),
                              "customer_email"));
}
END_TEST

START_TEST(test_wire_refund_form)
{
    ck_assert_str_eq(cc_stripe_refund_form(pool, "pi_123", 1000,
                                           "requested_by_customer", 9, 42),
                     "payment_intent=pi_123&amount=1000"
                     "&reason=requested_by_customer&metadata[refund_id]=9"
                     "&metadata[booking_id]=42");
    ck_assert_ptr_null(cc_stripe_refund_form(pool, "pi_1&amount=1", 1000,
                                             NULL, 9, 42));
    ck_assert_ptr_null(cc_stripe_refund_form(pool, "pi_1", 0, NULL, 9, 42));
}
END_TEST

START_TEST(test_wire_ids)
{
    char long_id[300];

    ck_assert(cc_stripe_id_valid("cs_test_a1B2"));
    ck_assert(!cc_stripe_id_valid(""));
    ck_assert(!cc_stripe_id_valid(NULL));
    ck_assert(!cc_stripe_id_valid("cs_1'; DROP"));
    ck_assert(!cc_stripe_id_valid("evt-1"));
    memset(long_id, 'a', 255);
    long_id[255] = '\0';
    ck_assert(cc_stripe_id_valid(long_id));
    long_id[255] = 'a';
    long_id[256] = '\0';
    ck_assert(!cc_stripe_id_valid(long_id));
}
END_TEST

static json_t *load(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);

    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(test_wire_session)
{
    json_t *o = load("{\"id\":\"cs_test_1\",\"object\":\"checkout.session\","
                     "\"url\":\"https://checkout.stripe.com/c/pay/cs_test_1\","
                     "\"status\":\"complete\",\"payment_status\":\"paid\","
                     "\"payment_intent\":{\"id\":\"pi_9\"},"
                     "\"client_reference_id\":\"42\",\"metadata\":"
                     "{\"booking_id\":\"42\",\"payment_id\":\"7\"},"
                     "\"expires_at\":1796690000}");
    cc_stripe_session_t s;

    ck_assert_int_eq(cc_stripe_session_read(o, &s), 0);
    ck_assert_str_eq(s.id, "cs_test_1");
    ck_assert_str_eq(s.status, "complete");
    ck_assert_str_eq(s.payment_status, "paid");
    ck_assert_str_eq(s.payment_intent, "pi_9");     /* expanded object */
    ck_assert_int_eq(s.booking_id, 42);
    ck_assert_int_eq(s.payment_id, 7);
    ck_assert_int_eq(s.expires_at, 1796690000);
    /* Booking ids that disagree are trusted neither. */
    json_object_set_new(json_object_get(o, "metadata"), "booking_id",
                        json_string("43"));
    cc_stripe_session_read(o, &s);
    ck_assert_int_eq(s.booking_id, 0);
    /* A URL with a quote or a space is not a URL we pass on. */
    json_object_set_new(o, "url", json_string("https://x/\"><script>"));
    cc_stripe_session_read(o, &s);
    ck_assert_ptr_null(s.url);
    json_object_set_new(o, "url", json_string("javascript:alert(1)"));
    cc_stripe_session_read(o, &s);
    ck_assert_ptr_null(s.url);
    json_object_set_new(o, "id", json_string("cs 1"));
    ck_assert_int_eq(cc_stripe_session_read(o, &s), -1);
    json_decref(o);
}
END_TEST

START_TEST(test_wire_events)
{
    cc_stripe_event_t e;
    const char *why = NULL;
    json_t *ev = load("{\"id\":\"evt_1\",\"type\":\"charge.refunded\","
                      "\"data\":{\"object\":{\"id\":\"ch_1\",\"payment_intent\""
                      ":\"pi_1\",\"amount_refunded\":1500}}}");

    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), 0);
    ck_assert_str_eq(e.type, "charge.refunded");
    ck_assert_str_eq(e.intent, "pi_1");
    ck_assert_int_eq(e.amount, 1500);
    json_decref(ev);
    ev = load("{\"id\":\"evt_2\",\"type\":\"refund.updated\",\"data\":"
              "{\"object\":{\"id\":\"re_1\",\"status\":\"succeeded\","
              "\"amount\":900,\"metadata\":{\"refund_id\":\"12\"}}}}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), 0);
    ck_assert_str_eq(e.refund_status, "succeeded");
    ck_assert_int_eq(e.refund_id, 12);
    ck_assert_str_eq(e.object_id, "re_1");
    json_decref(ev);
    ev = load("{\"id\":\"evt_3\",\"type\":\"checkout.session.completed\","
              "\"data\":{\"object\":{\"id\":\"cs_1\",\"payment_status\":"
              "\"paid\",\"client_reference_id\":\"5\",\"payment_intent\":"
              "null}}}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), 0);
    ck_assert_int_eq(e.booking_id, 5);
    ck_assert_str_eq(e.pay_status, "paid");
    ck_assert_str_eq(e.intent, "");
    json_decref(ev);
    /* Not events. */
    ev = load("{\"type\":\"charge.refunded\",\"data\":{\"object\":{}}}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), -1);
    json_decref(ev);
    ev = load("{\"id\":\"evt_4\",\"type\":\"Charge Refunded\",\"data\":"
              "{\"object\":{}}}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), -1);
    json_decref(ev);
    ev = load("{\"id\":\"evt_5\",\"type\":\"charge.refunded\",\"data\":[]}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), -1);
    ck_assert_str_eq(why, "no data.object");
    json_decref(ev);
    ev = load("{\"id\":\"evt_6\",\"type\":\"checkout.session.expired\","
              "\"data\":{\"object\":{\"id\":\"cs/../x\"}}}");
    ck_assert_int_eq(cc_stripe_event_read(ev, &e, &why), -1);
    json_decref(ev);
}
END_TEST

START_TEST(test_wire_error_code)
{
    json_t *j = load("{\"error\":{\"type\":\"invalid_request_error\","
                     "\"code\":\"amount_too_large\",\"message\":\"x\"}}");

    ck_assert_str_eq(cc_stripe_error_code(j), "amount_too_large");
    json_object_del(json_object_get(j, "error"), "code");
    ck_assert_str_eq(cc_stripe_error_code(j), "invalid_request_error");
    json_object_set_new(json_object_get(j, "error"), "type",
                        json_string("<b>bad</b>"));
    ck_assert_ptr_null(cc_stripe_error_code(j));
    json_decref(j);
}
END_TEST

Suite *suite_stripe_wire(void)
{
    Suite *s = suite_create("stripe_wire");
    TCase *tc = tcase_create("wire");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_wire_form_encoding);
    tcase_add_test(tc, test_wire_checkout_form);
    tcase_add_test(tc, test_wire_refund_form);
    tcase_add_test(tc, test_wire_ids);
    tcase_add_test(tc, test_wire_session);
    tcase_add_test(tc, test_wire_events);
    tcase_add_test(tc, test_wire_error_code);
    suite_add_tcase(s, tc);
    return s;
}
