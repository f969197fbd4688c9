/*
 * test_payments_webhook.c - POST /api/webhooks/stripe (payments.h):
 * signatures made by Stripe's npm library - valid, tampered body,
 * tampered signature, expired and future timestamps, a wrong secret, the
 * rotated (second) secret, several v1, v0 alone, no header - where every
 * refusal is 400 and writes nothing; a replayed event; 20 deliveries of
 * one event at once (applied once); and every ordered pair of the events
 * a session can produce (completed, async succeeded, async failed,
 * expired, charge refunded), each ending in the one state its set of
 * events means.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "booking.h"
#include "payments.h"

static long events_count(void)
{
    return it_sql_num("SELECT count(*) FROM stripe_events");
}

static void refused(const char *payload, const char *sig, const char *why)
{
    long before = events_count();
    it_resp *r = py_deliver_raw(payload, sig);

    ck_assert_msg(r->status == 400, "%s: %ld %s", why, r->status, r->body);
    it_assert_error(r, 400, strstr(why, "event") ? "invalid_event"
                                                 : "invalid_signature");
    it_free(r);
    ck_assert_msg(events_count() == before, "%s: something was written",
                  why);
}

static void accepted(const char *payload, const char *sig, const char *why)
{
    it_resp *r = py_deliver_raw(payload, sig);

    ck_assert_msg(r->status == 200, "%s: %ld %s", why, r->status, r->body);
    it_free(r);
}

START_TEST(hook_signatures)
{
    py_booking b = py_book(7, "09:00");
    const char *sa[] = { PY_WHSEC_A, NULL }, *sb[] = { PY_WHSEC_B, NULL };
    const char *sx[] = { PY_WHSEC_X, NULL };
    const char *sxa[] = { PY_WHSEC_X, PY_WHSEC_A, NULL };
    char which[200], *ev, *ev2, *sig, *bad, *p;
    json_t *req, *res;
    long now = (long)time(NULL);

    snprintf(which, sizeof(which), "session=%s", b.session);
    ev = py_event("checkout.session.async_payment_failed", which);
    /* Tampered body: the signature is of another body. */
    sig = py_sign(ev, sa, 0);
    ev2 = strdup(ev);
    p = strstr(ev2, "async_payment_failed");
    memcpy(p, "async_payment_passed", 20);
    refused(ev2, sig, "tampered body");
    /* Tampered signature: one hex digit of v1 changed. */
    bad = strdup(sig);
    p = strstr(bad, "v1=") + 3;
    *p = *p == 'a' ? 'b' : 'a';
    refused(ev, bad, "tampered signature");
    free(bad);
    free(sig);
    /* Timestamps beyond 300 s either way. */
    sig = py_sign(ev, sa, now - 301);
    refused(ev, sig, "expired timestamp");
    free(sig);
    /* Well beyond: the signing fake and the request take time, and by the
     * time the server reads it a timestamp 301 s ahead was once inside
     * the tolerance on a loaded machine (the full make test run). */
    sig = py_sign(ev, sa, now + 330);
    refused(ev, sig, "future timestamp");
    free(sig);
    /* A secret this endpoint does not have. */
    sig = py_sign(ev, sx, 0);
    refused(ev, sig, "wrong secret");
    free(sig);
    /* v0 alone (test-mode's scheme) is not a signature here. */
    req = json_pack("{s:s, s:[s], s:b}", "payload", ev, "secrets",
                    PY_WHSEC_A, "v0_only", 1);
    {
        char *body = json_dumps(req, JSON_COMPACT);

        res = it_fake_ctl(py_signer_port(), "POST", "/sign", body);
        free(body);
    }
    ck_assert_msg(strstr(json_string_value(json_object_get(res, "header")),
                         "v0=") != NULL, "no v0 header");
    refused(ev, json_string_value(json_object_get(res, "header")), "v0 only");
    json_decref(res);
    json_decref(req);
    refused(ev, NULL, "no header");
    refused(ev, "t=abc,v1=00", "malformed header");
    ck_assert_msg(it_sql_num("SELECT count(*) FROM stripe_events WHERE "
                             "payment_id = %ld", b.payment_id) == 0,
                  "a refused event was stored");
    /* Signed, but not an event. */
    sig = py_sign("{\"hello\":1}", sa, 0);
    refused("{\"hello\":1}", sig, "not an event");
    free(sig);
    /* Several v1 (a wrong one first), and the rotated secret alone. */
    sig = py_sign(ev, sxa, 0);
    accepted(ev, sig, "several v1");
    free(sig);
    free(ev);
    ev = py_event("checkout.session.expired", which);
    sig = py_sign(ev, sb, 0);
    accepted(ev, sig, "rotated secret");
    free(sig);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM stripe_events WHERE "
                                "payment_id = %ld", b.payment_id), 2);
    free(ev);
    /* A type this product does not use: acknowledged, ignored. */
    {
        char *o = py_deliver("{\"id\":\"evt_other_1\",\"object\":\"event\","
                             "\"type\":\"customer.created\",\"data\":"
                             "{\"object\":{\"id\":\"cus_1\"}}}");

        ck_assert_str_eq(o, "ignored");
        free(o);
    }
    free(ev2);
    py_booking_free(&b);
}
END_TEST

/* The same event again (Stripe retries): acknowledged, nothing changes. */
START_TEST(hook_replayed)
{
    py_booking b = py_book(7, "10:00");
    char which[200], *ev, *o;
    long audits;

    snprintf(which, sizeof(which), "/sessions/%s/pay", b.session);
    json_decref(py_ctl("POST", which, "{}"));
    snprintf(which, sizeof(which), "session=%s", b.session);
    ev = py_event("checkout.session.completed", which);
    o = py_deliver(ev);
    ck_assert_str_eq(o, "confirmed");
    free(o);
    ck_assert_msg(py_wait_sql(3, "(SELECT count(*) FROM %s WHERE a.action "
                              "= 'booking.paid' AND a.target = "
                              "'booking/%ld') = 1", bk_audit, b.id),
                  "no audit entry");
    audits = it_sql_num("SELECT count(*) FROM %s", bk_audit);
    o = py_deliver(ev);         /* signed again, later: same event id */
    ck_assert_str_eq(o, "duplicate");
    free(o);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s", bk_audit),
                     audits);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                                "'payment_succeeded' AND booking_id = %ld",
                                b.id), 1);
    free(ev);
    py_booking_free(&b);
}
END_TEST

typedef struct dup_job {
    const char *payload, *sig;
    long status;
    char outcome[64];
} dup_job;

static void *dup_run(void *arg)
{
    dup_job *j = arg;
    it_resp *r = py_deliver_raw(j->payload, j->sig);

    j->status = r->status;
    snprintf(j->outcome, sizeof(j->outcome), "%s",
             r->json && json_is_string(json_object_get(r->json, "outcome"))
             ? json_string_value(json_object_get(r->json, "outcome")) : "");
    it_free(r);
    return NULL;
}

/* 20 deliveries of one event at the same moment: applied once. */
START_TEST(hook_parallel_duplicates)
{
    py_booking b = py_book(7, "11:00");
    const char *sa[] = { PY_WHSEC_A, NULL };
    char path[200], *ev, *sig;
    pthread_t th[20];
    dup_job jobs[20];
    int i, confirmed = 0, dup = 0;

    snprintf(path, sizeof(path), "/sessions/%s/pay", b.session);
    json_decref(py_ctl("POST", path, "{}"));
    snprintf(path, sizeof(path), "session=%s", b.session);
    ev = py_event("checkout.session.completed", path);
    sig = py_sign(ev, sa, 0);
    for (i = 0; i < 20; i++) {
        jobs[i].payload = ev;
        jobs[i].sig = sig;
        pthread_create(&th[i], NULL, dup_run, &jobs[i]);
    }
    for (i = 0; i < 20; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(jobs[i].status == 200, "delivery %d: %ld", i,
                      jobs[i].status);
        confirmed += !strcmp(jobs[i].outcome, "confirmed");
        dup += !strcmp(jobs[i].outcome, "duplicate");
    }
    ck_assert_int_eq(confirmed, 1);
    ck_assert_int_eq(dup, 19);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM events WHERE kind = "
                                "'payment_succeeded' AND booking_id = %ld",
                                b.id), 1);
    ck_assert_msg(py_wait_sql(3, "(SELECT count(*) FROM %s WHERE a.action "
                              "= 'booking.paid' AND a.target = "
                              "'booking/%ld') = 1", bk_audit, b.id),
                  "booking.paid audited other than once");
    free(ev);
    free(sig);
    py_booking_free(&b);
}
END_TEST

/* ---- every ordered pair of a session's events ----------------------------- */

enum { E_COMPLETED, E_ASYNC_OK, E_ASYNC_FAIL, E_EXPIRED, E_REFUNDED, E_N };
static const char *const e_names[E_N] = {
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
    "charge.refunded"
};

/* A Stripe-shaped event for booking b (the shape fake_stripe.py makes). */
static char *pair_event(int e, int k, const py_booking *b, const char *pi)
{
    char id[64], bid[32], pid[32];
    json_t *obj, *ev;
    char *text;

    snprintf(id, sizeof(id), "evt_pair_%d_%d_%ld", k, e, b->id);
    snprintf(bid, sizeof(bid), "%ld", b->id);
    snprintf(pid, sizeof(pid), "%ld", b->payment_id);
    if (e == E_REFUNDED) {
        obj = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s}", "id",
                        "ch_pair", "object", "charge", "payment_intent", pi,
                        "amount", PY_PRICE, "amount_refunded", PY_PRICE,
                        "refunded", 1, "currency", "gbp");
    }
    else {
        int paid = e == E_COMPLETED || e == E_ASYNC_OK;

        obj = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:i, "
                        "s:s}", "id", b->session, "object",
                        "checkout.session", "client_reference_id", bid,
                        "metadata", "booking_id", bid, "payment_id", pid,
                        "payment_status", paid ? "paid" : "unpaid",
                        "status", e == E_EXPIRED ? "expired" : "complete",
                        "payment_intent", e == E_EXPIRED ? json_null()
                                                         : json_string(pi),
                        "amount_total", PY_PRICE, "currency", "gbp");
    }
    ev = json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:{s:o}}", "id", id,
                   "object", "event", "api_version", "2024-06-20",
                   "created", (json_int_t)time(NULL), "livemode", 0, "type",
                   e_names[e], "data", "object", obj);
    text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

START_TEST(hook_every_order)
{
    int a, c, k = 0;

    for (a = 0; a < E_N; a++) {
        for (c = 0; c < E_N; c++) {
            py_booking b;
            char hh[6], pi[64], *ea, *ec, *o, *st, want[96];
            int paid, refunded, released;

            if (a == c) {
                continue;
            }
            snprintf(hh, sizeof(hh), "%02d:00", 7 + k % 13);
            b = py_book(10 + k / 13, hh);
            snprintf(pi, sizeof(pi), "pi_pair_%ld", b.id);
            ea = pair_event(a, k, &b, pi);
            ec = pair_event(c, k, &b, pi);
            free(py_deliver(ea));
            free(py_deliver(ec));
            paid = a <= E_ASYNC_OK || c <= E_ASYNC_OK;
            refunded = paid && (a == E_REFUNDED || c == E_REFUNDED);
            released = !paid && (a == E_ASYNC_FAIL || a == E_EXPIRED
                                 || c == E_ASYNC_FAIL || c == E_EXPIRED);
            snprintf(want, sizeof(want), "%s %s",
                     paid ? "confirmed" : released ? "expired"
                                                   : "pending_payment",
                     refunded ? "refunded" : paid ? "paid" : "unpaid");
            st = py_booking_field(b.id, "status || ' ' || payment_status");
            ck_assert_msg(!strcmp(st, want), "%s then %s: booking '%s', "
                          "want '%s'", e_names[a], e_names[c], st, want);
            free(st);
            st = py_payment_field(b.payment_id, "status");
            if (paid) {
                ck_assert_msg(!strcmp(st, refunded ? "refunded" : "paid"),
                              "%s then %s: payment %s", e_names[a],
                              e_names[c], st);
            }
            else if (released) {
                ck_assert_msg(!strcmp(st, "expired") || !strcmp(st, "failed"),
                              "%s then %s: payment %s", e_names[a],
                              e_names[c], st);
            }
            free(st);
            ck_assert_msg(it_sql_num("SELECT count(*) FROM events WHERE "
                                     "kind = 'payment_succeeded' AND "
                                     "booking_id = %ld", b.id) == paid,
                          "%s then %s: payment_succeeded counted other "
                          "than %d times", e_names[a], e_names[c], paid);
            /* Applied once: the same two again change nothing. */
            o = py_deliver(ec);
            ck_assert_str_eq(o, "duplicate");
            free(o);
            free(ea);
            free(ec);
            py_booking_free(&b);
            k++;
        }
    }
    ck_assert_int_eq(k, 20);
}
END_TEST

void py_add_webhook_tests(TCase *tc)
{
    tcase_add_test(tc, hook_signatures);
    tcase_add_test(tc, hook_replayed);
    tcase_add_test(tc, hook_parallel_duplicates);
    tcase_add_test(tc, hook_every_order);
}
