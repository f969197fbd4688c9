/*
 * test_payments_refund.c - refunds, staff's payment routes and the
 * reconciliation job (payments.h): a cancellation within the rules
 * refunds through Stripe's Refunds API (its own Idempotency-Key, our ids
 * in metadata) and a late one keeps the payment; Stripe down or failing
 * during a refund (the outbox retries; after a 500 it looks the refund up
 * before a new key: one refund in the end); a payment whose slot went to
 * someone else (refunded, escalated, never double booked); admin list,
 * detail, partial and full refunds, refusals, and what staff may not do;
 * a lost webhook made good by reconciliation; an open session of a
 * cancelled booking expired at Stripe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "booking.h"
#include "payments.h"

/* A booking paid and confirmed through the webhook; pi out. */
static py_booking paid_booking(int day, const char *hhmm, char pi[128])
{
    py_booking b = py_book(day, hhmm);
    char *o = py_complete(b.session, pi);

    ck_assert_str_eq(o, "confirmed");
    free(o);
    return b;
}

/* Refund requests the fake received for a payment intent. */
static int refunds_at_stripe(const char *pi, json_t **last)
{
    json_t *reqs = py_requests("/v1/refunds"), *q;
    size_t i;
    int n = 0;

    json_array_foreach(json_object_get(reqs, "requests"), i, q) {
        json_t *form = json_object_get(q, "form");

        if (!strcmp(jstr(q, "method"), "POST") && form
            && !strcmp(jstr(form, "payment_intent") ? jstr(form,
                       "payment_intent") : "", pi)) {
            n++;
            if (last) {
                json_decref(*last);
                *last = json_incref(q);
            }
        }
    }
    json_decref(reqs);
    return n;
}

START_TEST(refund_on_cancel)
{
    char pi[128], want[64], *s;
    py_booking b = paid_booking(8, "09:00", pi);
    json_t *q = NULL, *form;
    it_resp *r;

    r = bk_manage("POST", b.id, "cancel", b.token, "{}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(py_wait_sql(10, "(SELECT payment_status FROM bookings "
                              "WHERE id = %ld) = 'refunded'", b.id),
                  "not refunded: %s", py_booking_field(b.id,
                                                       "payment_status"));
    s = py_payment_field(b.payment_id, "status || ' ' || refunded_cents");
    snprintf(want, sizeof(want), "refunded %d", PY_PRICE);
    ck_assert_str_eq(s, want);
    free(s);
    ck_assert_int_eq(refunds_at_stripe(pi, &q), 1);
    form = json_object_get(q, "form");
    snprintf(want, sizeof(want), "%d", PY_PRICE);
    ck_assert_str_eq(jstr(form, "amount"), want);
    ck_assert_str_eq(jstr(form, "reason"), "requested_by_customer");
    ck_assert_msg(json_is_string(json_object_get(json_object_get(form,
                                                                 "metadata"),
                                                 "refund_id")),
                  "no refund_id in metadata");
    ck_assert_msg(strstr(jstr(q, "idempotency_key"), "-refund-") != NULL,
                  "refund key %s", jstr(q, "idempotency_key"));
    json_decref(q);
    ck_assert_msg(py_wait_sql(3, "EXISTS (SELECT 1 FROM %s WHERE a.action = "
                              "'payment.refunded' AND a.target = "
                              "'payment/%ld')", bk_audit, b.payment_id),
                  "refund not audited");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                                "'payment_refunded' AND booking_id = %ld",
                                b.id), 1);
    py_booking_free(&b);
}
END_TEST

/* A refund Stripe takes as pending: refund.updated marks it succeeded. */
START_TEST(refund_pending_then_updated)
{
    char pi[128], which[200], path[200], *ev, *o, *re;
    py_booking b = paid_booking(8, "12:00", pi);
    it_resp *r;
    long rid;

    json_decref(py_ctl("POST", "/refunds_pending", "{\"on\":true}"));
    r = bk_manage("POST", b.id, "cancel", b.token, "{}");
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    rid = it_sql_num("SELECT f.id FROM refunds f JOIN payments p ON p.id = "
                     "f.payment_id WHERE p.booking_id = %ld", b.id);
    ck_assert_msg(py_wait_sql(10, "(SELECT status FROM refunds WHERE id = "
                              "%ld) = 'pending'", rid), "refund not pending");
    json_decref(py_ctl("POST", "/refunds_pending", "{\"on\":false}"));
    re = it_sql("SELECT stripe_refund_id FROM refunds WHERE id = %ld", rid);
    o = py_booking_field(b.id, "payment_status");
    ck_assert_str_eq(o, "refund_due");
    free(o);
    snprintf(path, sizeof(path), "/refunds/%s/status", re);
    json_decref(py_ctl("POST", path, "{\"status\":\"succeeded\"}"));
    snprintf(which, sizeof(which), "refund=%s", re);
    ev = py_event("refund.updated", which);
    o = py_deliver(ev);
    ck_assert_str_eq(o, "refund_succeeded");
    free(o);
    o = py_booking_field(b.id, "payment_status");
    ck_assert_str_eq(o, "refunded");
    free(o);
    free(ev);
    free(re);
    py_booking_free(&b);
}
END_TEST

/* A late cancellation keeps the payment (late_cancel = forfeit). */
START_TEST(refund_late_cancel_keeps)
{
    char pi[128], *s;
    py_booking b = paid_booking(8, "10:00", pi);
    it_resp *r;

    bk_settings("cancel_cutoff_min = 43200");
    r = bk_manage("POST", b.id, "cancel", b.token, "{}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    ck_assert_msg(json_is_true(json_object_get(r->json, "late")), "not late");
    it_free(r);
    bk_settings("cancel_cutoff_min = 1440");
    s = py_booking_field(b.id, "status || ' ' || payment_status");
    ck_assert_str_eq(s, "cancelled kept");
    free(s);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM refunds f JOIN "
                                "payments p ON p.id = f.payment_id WHERE "
                                "p.booking_id = %ld", b.id), 0);
    ck_assert_int_eq(refunds_at_stripe(pi, NULL), 0);
    py_booking_free(&b);
}
END_TEST

/* Stripe down, then answering 500 (saved under its key): the outbox keeps
 * the refund, looks it up before a new key, and one refund is made. */
START_TEST(refund_stripe_down)
{
    char pi[128], *s;
    py_booking b = paid_booking(8, "11:00", pi);
    it_resp *r;
    long rid;

    json_decref(py_ctl("POST", "/fail", "{\"mode\":\"down\",\"count\":2,"
                       "\"path\":\"/v1/refunds\"}"));
    json_decref(py_ctl("POST", "/fail", "{\"mode\":\"fail\",\"count\":1,"
                       "\"path\":\"/v1/refunds\",\"apply\":true}"));
    r = bk_manage("POST", b.id, "cancel", b.token, "{}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    it_free(r);
    rid = it_sql_num("SELECT f.id FROM refunds f JOIN payments p ON p.id = "
                     "f.payment_id WHERE p.booking_id = %ld", b.id);
    ck_assert_msg(py_wait_sql(10, "(SELECT attempts FROM refunds WHERE id = "
                              "%ld) >= 2", rid), "no retry");
    s = it_sql("SELECT status || ' ' || (last_error IS NOT NULL)::text FROM "
               "refunds WHERE id = %ld", rid);
    ck_assert_msg(!strcmp(s, "queued true") || !strcmp(s, "succeeded false"),
                  "refund while Stripe is down: %s", s);
    free(s);
    /* Backoff: made due now, until done. */
    {
        int i;

        for (i = 0; i < 60; i++) {
            char *st;

            it_sql_exec("UPDATE refunds SET next_at = now() WHERE id = %ld "
                        "AND status = 'queued'", rid);
            st = it_sql("SELECT status FROM refunds WHERE id = %ld", rid);
            if (!strcmp(st, "succeeded")) {
                free(st);
                break;
            }
            free(st);
            usleep(250000);
        }
    }
    s = it_sql("SELECT status FROM refunds WHERE id = %ld", rid);
    ck_assert_str_eq(s, "succeeded");
    free(s);
    /* The 500 came after Stripe made the refund: it was found again by
     * its metadata, not made twice. */
    {
        char path[200];
        it_resp *l;

        snprintf(path, sizeof(path), "/v1/refunds?payment_intent=%s", pi);
        l = it_req_at(py_port, "GET", path, PY_KEY ":", NULL, NULL, -1,
                      NULL);
        ck_assert_msg(l->status == 200, "refund list: %ld %s", l->status,
                      l->body);
        ck_assert_int_eq(json_array_size(json_object_get(l->json, "data")),
                         1);
        it_free(l);
    }
    ck_assert_msg(it_sql_num("SELECT key_gen FROM refunds WHERE id = %ld",
                             rid) == 1, "no new key after the 500");
    s = py_booking_field(b.id, "payment_status");
    ck_assert_str_eq(s, "refunded");
    free(s);
    py_fake_reset();
    py_booking_free(&b);
}
END_TEST

/* Paid after the hold lapsed and the slot went to someone else: the
 * payment is recorded, refunded automatically and escalated to staff;
 * the other patient keeps the slot. */
START_TEST(refund_slot_lost)
{
    py_booking a = py_book(9, "09:00"), b;
    char pi[128], *o, *s;
    it_resp *r;
    long esc;

    it_sql_exec("UPDATE bookings SET hold_until = now() - interval "
                "'1 second' WHERE id = %ld", a.id);
    b = py_book(9, "09:00");    /* lapsed holds are released first */
    ck_assert_msg(b.id != a.id, "same booking");
    o = py_complete(a.session, pi);
    ck_assert_str_eq(o, "refunding_slot_lost");
    free(o);
    s = py_booking_field(a.id, "status || ' ' || payment_status");
    ck_assert_str_eq(s, "expired refund_due");
    free(s);
    s = py_booking_field(b.id, "status");
    ck_assert_str_eq(s, "pending_payment");
    free(s);
    esc = it_sql_num("SELECT count(*) FROM escalations WHERE source = "
                     "'payment' AND categories = '{payment_slot_lost}'");
    ck_assert_msg(esc >= 1, "not escalated");
    r = it_get("/api/admin/escalations", IT_STAFF);
    ck_assert_msg(r->status == 200 && strstr(r->body, "payment_slot_lost"),
                  "staff do not see it: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(py_wait_sql(10, "(SELECT payment_status FROM bookings "
                              "WHERE id = %ld) = 'refunded'", a.id),
                  "the automatic refund was not made");
    ck_assert_int_eq(refunds_at_stripe(pi, NULL), 1);
    py_booking_free(&a);
    py_booking_free(&b);
}
END_TEST

START_TEST(refund_admin)
{
    char pi[128], path[128], *s;
    py_booking b = paid_booking(9, "11:00", pi);
    it_resp *r;

    /* Staff read payments; only admins refund. */
    r = it_get("/api/admin/payments?status=paid&limit=5", IT_STAFF);
    ck_assert_msg(r->status == 200 && json_is_array(json_object_get(
                      r->json, "payments")), "%ld %s", r->status, r->body);
    ck_assert_msg(!strstr(r->body, "bkcanary") && !strstr(r->body,
                                                          "Bkcanary"),
                  "patient details in the payments list");
    it_free(r);
    snprintf(path, sizeof(path), "/api/admin/payments?booking_id=%ld", b.id);
    r = it_get(path, IT_STAFF);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "payments")),
                     1);
    it_free(r);
    r = it_get("/api/admin/payments?status=bogus", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    snprintf(path, sizeof(path), "/api/admin/payments/%ld/refund",
             b.payment_id);
    r = it_req("POST", path, IT_STAFF, "application/json", "{}", -1, NULL);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = it_req("POST", path, IT_ADMIN, "application/json",
               "{\"amount_cents\":99999}", -1, NULL);
    it_assert_error(r, 422, "amount_too_large");
    it_free(r);
    r = it_req("POST", path, IT_ADMIN, "application/json",
               "{\"reason\":\"because\"}", -1, NULL);
    it_assert_error(r, 422, "invalid_reason");
    it_free(r);
    r = it_req("POST", path, IT_ADMIN, "application/json",
               "{\"amount_cents\":1000}", -1, NULL);
    ck_assert_msg(r->status == 202, "partial: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(py_wait_sql(10, "(SELECT refunded_cents FROM payments "
                              "WHERE id = %ld) = 1000", b.payment_id),
                  "partial refund not applied");
    s = py_payment_field(b.payment_id, "status");
    ck_assert_str_eq(s, "partially_refunded");
    free(s);
    r = it_req("POST", path, IT_ADMIN, "application/json", NULL, -1, NULL);
    ck_assert_msg(r->status == 202, "rest: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(py_wait_sql(10, "(SELECT status FROM payments WHERE id = "
                              "%ld) = 'refunded'", b.payment_id),
                  "full refund not applied");
    r = it_req("POST", path, IT_ADMIN, "application/json", NULL, -1, NULL);
    it_assert_error(r, 409, "not_refundable");
    it_free(r);
    ck_assert_int_eq(refunds_at_stripe(pi, NULL), 2);
    ck_assert_msg(py_wait_sql(3, "(SELECT count(*) FROM %s WHERE a.action = "
                              "'payment.refund_request' AND a.target = "
                              "'payment/%ld' AND a.actor = 'it-admin') = 2",
                              bk_audit, b.payment_id),
                  "admin refunds not audited");
    snprintf(path, sizeof(path), "/api/admin/payments/%ld", b.payment_id);
    r = it_get(path, IT_STAFF);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "refunds")),
                     2);
    it_free(r);
    py_booking_free(&b);
}
END_TEST

/* A lost webhook: the session is paid at Stripe and no event comes; the
 * reconciliation job applies it. */
START_TEST(refund_reconcile_lost_webhook)
{
    py_booking b = py_book(9, "13:00"), c = py_book(9, "14:00");
    char path[200], *s;
    it_resp *r;

    snprintf(path, sizeof(path), "/sessions/%s/pay", b.session);
    json_decref(py_ctl("POST", path, "{}"));
    it_sql_exec("UPDATE payments SET recon_next_at = now() WHERE id = %ld",
                b.payment_id);
    ck_assert_msg(py_wait_sql(10, "(SELECT status FROM bookings WHERE id = "
                              "%ld) = 'confirmed'", b.id),
                  "not reconciled: %s", py_booking_field(b.id, "status"));
    /* A cancelled booking's open session is expired at Stripe. */
    r = bk_manage("POST", c.id, "cancel", c.token, "{}");
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    snprintf(path, sizeof(path), "/sessions/%s", c.session);
    {
        int i;
        json_t *sess = NULL;

        for (i = 0; i < 50; i++) {
            json_decref(sess);
            sess = py_ctl("GET", path, NULL);
            if (!strcmp(jstr(sess, "status"), "expired")) {
                break;
            }
            usleep(200000);
        }
        ck_assert_str_eq(jstr(sess, "status"), "expired");
        json_decref(sess);
    }
    ck_assert_msg(py_wait_sql(5, "(SELECT status FROM payments WHERE id = "
                              "%ld) = 'expired'", c.payment_id),
                  "payment not expired: %s",
                  py_payment_field(c.payment_id, "status"));
    s = py_booking_field(c.id, "status");
    ck_assert_str_eq(s, "cancelled");
    free(s);
    py_booking_free(&b);
    py_booking_free(&c);
}
END_TEST

void py_add_refund_tests(TCase *tc)
{
    tcase_add_test(tc, refund_on_cancel);
    tcase_add_test(tc, refund_pending_then_updated);
    tcase_add_test(tc, refund_late_cancel_keeps);
    tcase_add_test(tc, refund_stripe_down);
    tcase_add_test(tc, refund_slot_lost);
    tcase_add_test(tc, refund_admin);
    tcase_add_test(tc, refund_reconcile_lost_webhook);
}
