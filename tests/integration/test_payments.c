/*
 * test_payments.c - payments with Stripe through the real server, against
 * a fake Stripe (tests/fakes/fake_stripe.py) that checks every request as
 * Stripe documents it, with webhooks signed by Stripe's own npm library:
 * chat offer -> booking -> pay link -> signed completed -> confirmed
 * (visible to staff, audited); the same with expired; Stripe down or hung
 * during checkout; the booking and payment routes' refusals; health.
 * Signatures, duplicates and event order: test_payments_webhook.c;
 * refunds, admin payments and reconciliation: test_payments_refund.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "booking.h"
#include "payments.h"

/* The form field of the newest request to a path prefix. */
static const char *form_of(json_t *reqs, const char *key)
{
    json_t *list = json_object_get(reqs, "requests");
    json_t *last = json_array_get(list, json_array_size(list) - 1);

    return json_string_value(json_object_get(json_object_get(last, "form"),
                                             key));
}

/* The nested form value of a Stripe bracket path, e.g.
 * line_items / 0 / price_data / currency. */
static json_t *form_path(json_t *reqs, const char *const *path)
{
    json_t *list = json_object_get(reqs, "requests");
    json_t *v = json_object_get(json_array_get(list, json_array_size(list)
                                               - 1), "form");

    for (; *path && v; path++) {
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(*path))
                             : json_object_get(v, *path);
    }
    return v;
}

START_TEST(pay_checkout_to_confirmed)
{
    py_booking b;
    json_t *pay, *reqs, *acts, *v;
    const char *li_cur[] = { "line_items", "0", "price_data", "currency",
                             NULL };
    const char *li_amt[] = { "line_items", "0", "price_data",
                             "unit_amount", NULL };
    const char *li_name[] = { "line_items", "0", "price_data",
                              "product_data", "name", NULL };
    const char *md[] = { "metadata", "booking_id", NULL };
    char want[256], pi[128], *o, *s, *hold, *exp;
    long exp_at;
    it_resp *r;

    json_decref(py_ctl("POST", "/reset", "{}"));
    b = py_book(0, "09:00");
    pay = json_object_get(b.reply, "payment");
    /* The booking answers with the pay link at once. */
    ck_assert_str_eq(jstr(b.reply, "status"), "pending_payment");
    ck_assert_msg(b.payment_id > 0 && !strncmp(b.session, "cs_test_", 8),
                  "no payment in %s", json_dumps(b.reply, 0));
    ck_assert_str_eq(jstr(pay, "status"), "open");
    acts = json_object_get(b.reply, "actions");
    ck_assert_str_eq(jstr(json_array_get(acts, 0), "type"), "pay");
    ck_assert_str_eq(jstr(json_array_get(acts, 0), "url"), b.url);
    /* What Stripe was asked: exactly as documented. */
    reqs = py_requests("/v1/checkout/sessions");
    ck_assert_str_eq(form_of(reqs, "mode"), "payment");
    ck_assert_str_eq(json_string_value(form_path(reqs, li_cur)), "gbp");
    ck_assert_str_eq(json_string_value(form_path(reqs, li_amt)), "4500");
    ck_assert_msg(strstr(json_string_value(form_path(reqs, li_name)),
                         "PY Radiance facial") != NULL, "product name");
    snprintf(want, sizeof(want), "%ld", b.id);
    ck_assert_str_eq(form_of(reqs, "client_reference_id"), want);
    ck_assert_str_eq(json_string_value(form_path(reqs, md)), want);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/book/done?booking=%ld",
             it_port, b.id);
    ck_assert_str_eq(form_of(reqs, "success_url"), want);
    snprintf(want, sizeof(want),
             "http://127.0.0.1:%d/book/cancelled?booking=%ld", it_port,
             b.id);
    ck_assert_str_eq(form_of(reqs, "cancel_url"), want);
    ck_assert_msg(!strstr(json_dumps(reqs, 0), b.token),
                  "the manage token went to Stripe");
    v = json_array_get(json_object_get(reqs, "requests"),
                       json_array_size(json_object_get(reqs, "requests"))
                       - 1);
    ck_assert_msg(strstr(jstr(v, "idempotency_key"), "-booking-") != NULL,
                  "idempotency key %s", jstr(v, "idempotency_key"));
    /* Its expiry is the booking's hold, at least 30 minutes away. */
    exp_at = strtol(form_of(reqs, "expires_at"), NULL, 10);
    ck_assert_msg(exp_at >= time(NULL) + 1800, "expires_at %ld too soon",
                  exp_at);
    hold = py_booking_field(b.id, "extract(epoch FROM hold_until)::bigint");
    ck_assert_msg(strtol(hold, NULL, 10) == exp_at, "hold %s, session %ld",
                  hold, exp_at);
    free(hold);
    json_decref(reqs);
    /* Asking again gives the same session (no second one at Stripe). */
    r = py_pay(b.id, b.token);
    ck_assert_msg(r->status == 200, "pay: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "url"), b.url);
    ck_assert_int_eq(jint(r->json, "payment_id"), b.payment_id);
    exp = strdup(jstr(r->json, "expires_at"));
    ck_assert_msg(strlen(exp) >= 20 && exp[10] == 'T', "expires_at %s", exp);
    it_free(r);
    reqs = py_requests("/v1/checkout/sessions");
    ck_assert_int_eq(json_array_size(json_object_get(reqs, "requests")), 1);
    json_decref(reqs);
    /* Paid at Stripe, the signed event confirms it. */
    o = py_complete(b.session, pi);
    ck_assert_str_eq(o, "confirmed");
    free(o);
    s = py_booking_field(b.id, "status || ' ' || payment_status || ' ' || "
                         "coalesce(hold_until::text, 'none')");
    ck_assert_str_eq(s, "confirmed paid none");
    free(s);
    s = py_payment_field(b.payment_id, "status || ' ' || payment_intent");
    snprintf(want, sizeof(want), "paid %s", pi);
    ck_assert_str_eq(s, want);
    free(s);
    /* Visible to staff, audited, counted. */
    snprintf(want, sizeof(want), "/api/admin/payments/%ld", b.payment_id);
    r = it_get(want, IT_STAFF);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "paid");
    ck_assert_str_eq(jstr(r->json, "booking_status"), "confirmed");
    ck_assert_msg(!json_object_get(r->json, "idempotency_key"),
                  "staff see the idempotency key");
    it_free(r);
    ck_assert_msg(py_wait_sql(3, "EXISTS (SELECT 1 FROM %s WHERE a.action = "
                              "'booking.paid' AND a.target = 'booking/%ld' "
                              "AND a.actor = 'stripe')", bk_audit, b.id),
                  "no audit entry booking.paid");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                                "'payment_succeeded' AND booking_id = %ld",
                                b.id), 1);
    free(exp);
    py_booking_free(&b);
}
END_TEST

/* An expired session releases the slot: it is offered again. */
START_TEST(pay_expired_releases)
{
    py_booking b = py_book(1, "09:00");
    char which[200], path[200], *ev, *o, *s;
    it_resp *r;

    r = bk_slots(py_svc, py_day(1), 1, py_pract);
    ck_assert_int_eq(bk_count_at(r, "09:00", py_pract), 0);
    it_free(r);
    snprintf(path, sizeof(path), "/sessions/%s/expire", b.session);
    json_decref(py_ctl("POST", path, "{}"));
    snprintf(which, sizeof(which), "session=%s", b.session);
    ev = py_event("checkout.session.expired", which);
    o = py_deliver(ev);
    ck_assert_str_eq(o, "expired");
    s = py_booking_field(b.id, "status || ' ' || payment_status");
    ck_assert_str_eq(s, "expired unpaid");
    free(s);
    ck_assert_msg(py_wait_sql(3, "EXISTS (SELECT 1 FROM %s WHERE a.action = "
                              "'booking.expire' AND a.target = "
                              "'booking/%ld')", bk_audit, b.id),
                  "no audit entry booking.expire");
    r = bk_slots(py_svc, py_day(1), 1, py_pract);
    ck_assert_int_eq(bk_count_at(r, "09:00", py_pract), 1);
    it_free(r);
    /* Paying for it now is refused, clearly. */
    r = py_pay(b.id, b.token);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);
    free(ev);
    free(o);
    py_booking_free(&b);
}
END_TEST

/* From the chat's offer: the booking made with the chat session answers
 * with the "pay" action. */
START_TEST(pay_from_chat_offer)
{
    char msg[256], *o;
    json_t *body, *act, *slot;
    it_resp *r;
    const char *tok, *start;

    snprintf(msg, sizeof(msg), "{\"message\":\"Can I book a radiance "
             "facial on %s?\"}", py_day(2));
    r = it_req("POST", "/api/chat", NULL, "application/json", msg, -1,
               NULL);
    ck_assert_msg(r->status == 200, "chat: %ld %s", r->status, r->body);
    act = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(act && !strcmp(jstr(act, "type"), "book"),
                  "no booking offer: %s", r->body);
    ck_assert_msg(json_is_true(json_object_get(json_object_get(act,
                                                               "service"),
                                               "requires_payment")),
                  "offer does not say it needs payment");
    slot = json_array_get(json_object_get(act, "slots"), 0);
    start = jstr(slot, "start");
    tok = jstr(r->json, "session_id");
    ck_assert_msg(start && tok, "offer without slot or session: %s",
                  r->body);
    body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}, s:s}", "service_id",
                     (json_int_t)py_svc, "start", start, "practitioner_id",
                     (json_int_t)jint(slot, "practitioner_id"), "patient",
                     "name", "Bkcanary Chatter", "email",
                     "bkcanary.chat@example.org", "session_id", tok);
    o = json_dumps(body, JSON_COMPACT);
    it_free(r);
    r = it_req("POST", "/api/bookings", NULL, "application/json", o, -1,
               NULL);
    ck_assert_msg(r->status == 201, "booking: %ld %s", r->status, r->body);
    act = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_str_eq(jstr(act, "type"), "pay");
    ck_assert_msg(!strncmp(jstr(act, "url"), "http://127.0.0.1:", 17),
                  "pay url %s", jstr(act, "url"));
    it_free(r);
    json_decref(body);
    free(o);
}
END_TEST

/* Stripe down: the booking stands (201, manage token, held), the
 * payment says unavailable, POST /api/payments answers 503 until Stripe
 * is back, then the link. */
START_TEST(pay_stripe_down_at_checkout)
{
    it_resp *r;
    json_t *reqs;
    char *s;
    long id;
    char tok[128];

    json_decref(py_ctl("POST", "/reset", "{}"));
    json_decref(py_ctl("POST", "/fail", "{\"mode\":\"down\",\"count\":0}"));
    r = py_book_raw(3, "09:00", NULL);
    ck_assert_msg(r->status == 201, "booking: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(json_object_get(r->json, "payment"), "status"),
                     "unavailable");
    ck_assert_msg(json_is_string(json_object_get(r->json, "manage_token")),
                  "no manage token");
    id = jint(r->json, "id");
    snprintf(tok, sizeof(tok), "%s", jstr(r->json, "manage_token"));
    it_free(r);
    s = py_booking_field(id, "status || ' ' || (hold_until > now() + "
                         "interval '25 minutes')::text");
    ck_assert_str_eq(s, "pending_payment true");
    free(s);
    r = py_pay(id, tok);
    it_assert_error(r, 503, "payment_unavailable");
    ck_assert_msg(it_header(r, "Retry-After") != NULL, "no Retry-After");
    it_free(r);
    py_fake_reset();
    r = py_pay(id, tok);
    ck_assert_msg(r->status == 200, "pay after outage: %ld %s", r->status,
                  r->body);
    ck_assert_msg(strstr(jstr(r->json, "url"), "/checkout/cs_test_") != NULL,
                  "url %s", jstr(r->json, "url"));
    it_free(r);
    /* Stripe answered nothing while down: the same attempt (same key)
     * was retried, one session made. */
    reqs = py_requests("/v1/checkout/sessions");
    {
        json_t *list = json_object_get(reqs, "requests"), *q;
        size_t i, made = 0;
        const char *key0 = NULL;

        json_array_foreach(list, i, q) {
            if (jint(q, "status") == 200) {
                made++;
            }
            if (!key0) {
                key0 = jstr(q, "idempotency_key");
            }
            else {
                ck_assert_str_eq(jstr(q, "idempotency_key"), key0);
            }
        }
        ck_assert_int_eq(made, 1);
    }
    json_decref(reqs);
}
END_TEST

/* Stripe's 500 is saved under the key: the next try is a new attempt
 * with a new key, and succeeds. */
START_TEST(pay_stripe_500_new_attempt)
{
    it_resp *r;
    json_t *reqs, *list;
    long id;
    char tok[128];

    json_decref(py_ctl("POST", "/reset", "{}"));
    json_decref(py_ctl("POST", "/fail", "{\"mode\":\"fail\",\"count\":1,"
                       "\"path\":\"/v1/checkout\"}"));
    r = py_book_raw(4, "09:00", NULL);
    ck_assert_msg(r->status == 201, "booking: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(json_object_get(r->json, "payment"), "status"),
                     "unavailable");
    id = jint(r->json, "id");
    snprintf(tok, sizeof(tok), "%s", jstr(r->json, "manage_token"));
    it_free(r);
    r = py_pay(id, tok);
    ck_assert_msg(r->status == 200, "pay: %ld %s", r->status, r->body);
    it_free(r);
    reqs = py_requests("/v1/checkout/sessions");
    list = json_object_get(reqs, "requests");
    ck_assert_int_eq(json_array_size(list), 2);
    ck_assert_msg(strcmp(jstr(json_array_get(list, 0), "idempotency_key"),
                         jstr(json_array_get(list, 1), "idempotency_key")),
                  "a saved 500 was retried with its key");
    json_decref(reqs);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM payments WHERE "
                                "booking_id = %ld AND status = 'failed'", id),
                     1);
}
END_TEST

/* A hung Stripe: the booking answers within ConciergeStripeTimeout. */
START_TEST(pay_stripe_hung)
{
    double t0 = bk_now();
    it_resp *r;

    json_decref(py_ctl("POST", "/fail", "{\"mode\":\"hang\",\"count\":1,"
                       "\"seconds\":20}"));
    r = py_book_raw(5, "09:00", NULL);
    ck_assert_msg(r->status == 201, "booking: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(json_object_get(r->json, "payment"), "status"),
                     "unavailable");
    ck_assert_msg(bk_now() - t0 < 5.0, "booking took %.1f s with Stripe "
                  "hung (timeout 1.5 s)", bk_now() - t0);
    it_free(r);
    /* While it hangs, the database is free: health answers. */
    r = it_get("/api/health", NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    py_fake_reset();
}
END_TEST

START_TEST(pay_refusals)
{
    py_booking b = py_book(6, "09:00");
    it_resp *r;
    char *o;

    r = py_pay(b.id, NULL);
    it_assert_error(r, 401, "manage_token_required");
    it_free(r);
    r = py_pay(b.id, "not-the-token");
    it_assert_error(r, 404, "booking_not_found");
    it_free(r);
    r = it_req("POST", "/api/payments", NULL, "application/json",
               "{\"booking_id\":\"x\"}", -1, NULL);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = it_req("POST", "/api/payments", NULL, "text/plain",
               "{\"booking_id\":1}", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    o = py_complete(b.session, NULL);
    ck_assert_str_eq(o, "confirmed");
    free(o);
    r = py_pay(b.id, b.token);
    it_assert_error(r, 409, "already_paid");
    it_free(r);
    py_booking_free(&b);
}
END_TEST

START_TEST(pay_health)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *st;

    ck_assert_int_eq(r->status, 200);
    st = json_object_get(r->json, "stripe");
    ck_assert_msg(json_is_true(json_object_get(st, "configured")),
                  "stripe: %s", json_dumps(st, 0));
    ck_assert_int_eq(jint(st, "webhook_secrets"), 2);
    ck_assert_str_eq(jstr(st, "status"), "ok");
    ck_assert_msg(!strstr(r->body, PY_KEY) && !strstr(r->body, "whsec_"),
                  "a secret in health");
    it_free(r);
}
END_TEST

/* Where Stripe sends the patient back: pages that exist (the patient
 * pages issue gives them their state). */
START_TEST(pay_return_pages)
{
    const char *pages[] = { "/book/done", "Thank you", "/book/cancelled",
                            "No payment was taken", NULL };
    int i;

    for (i = 0; pages[i]; i += 2) {
        char path[128];
        it_resp *r;

        snprintf(path, sizeof(path), "%s?booking=12", pages[i]);
        r = it_get(path, NULL);
        ck_assert_msg(r->status == 301 && it_header(r, "Location")
                      && strstr(it_header(r, "Location"), "/?booking=12"),
                      "%s: %ld %s", path, r->status,
                      it_header(r, "Location"));
        it_free(r);
        snprintf(path, sizeof(path), "%s/?booking=12", pages[i]);
        r = it_get(path, NULL);
        ck_assert_msg(r->status == 200 && strstr(r->body, pages[i + 1]),
                      "%s: %ld", path, r->status);
        ck_assert_msg(strstr(it_header(r, "Content-Type"), "text/html"),
                      "%s: %s", path, it_header(r, "Content-Type"));
        it_free(r);
    }
}
END_TEST

START_TEST(pay_log_clean)
{
    const char *allowed[] = { "not created", "not sent", "refused by Stripe",
                              "session not read", "503 payment_unavailable",
                              NULL };
    char *bad = it_log_unexpected(allowed), *log = it_log_read();

    ck_assert_msg(!strstr(log, PY_KEY) && !strstr(log, "whsec_it"),
                  "a Stripe secret in the error log");
    ck_assert_msg(!strstr(log, "bkcanary") && !strstr(log, "Bkcanary"),
                  "patient details in the error log");
    ck_assert_msg(bad == NULL, "unexpected log lines:\n%s", bad);
    free(log);
}
END_TEST

Suite *it_suite_payments(void)
{
    Suite *s = suite_create("payments");
    TCase *tc = tcase_create("payments");

    tcase_add_unchecked_fixture(tc, py_setup, py_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pay_checkout_to_confirmed);
    tcase_add_test(tc, pay_expired_releases);
    tcase_add_test(tc, pay_from_chat_offer);
    tcase_add_test(tc, pay_stripe_down_at_checkout);
    tcase_add_test(tc, pay_stripe_500_new_attempt);
    tcase_add_test(tc, pay_stripe_hung);
    tcase_add_test(tc, pay_refusals);
    tcase_add_test(tc, pay_health);
    tcase_add_test(tc, pay_return_pages);
    py_add_webhook_tests(tc);
    py_add_refund_tests(tc);
    tcase_add_test(tc, pay_log_clean);
    suite_add_tcase(s, tc);
    return s;
}
