/*
 * payments.h - what the payment tests share (payments.c): a fake Stripe
 * (tests/fakes/fake_stripe.py), webhook signatures made by Stripe's own
 * npm library (tests/node/stripe_sign.js, run as a small server), the
 * test clinic's paid service, and the requests of a patient, of Stripe
 * and of staff.
 *
 * The suite books its own practitioner and service ("PY ..."), each test
 * on a day and hour of its own, so it depends on no other suite's data.
 */
#ifndef IT_PAYMENTS_H
#define IT_PAYMENTS_H

#include <check.h>
#include <jansson.h>
#include "harness.h"

#define PY_KEY      "sk_test_it0123456789abcdefghijklmn"
#define PY_WHSEC_A  "whsec_itAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define PY_WHSEC_B  "whsec_itBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define PY_WHSEC_X  "whsec_itXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"   /* unknown */
#define PY_PRICE    4500
#define PY_SECRET   "it-payments-secret-0123456789-abcdefghijklmnopqrstuv"
#define PY_NDAYS    16

extern int py_port, py_cport;   /* the fake Stripe: API, control */
extern long py_svc, py_pract;

/* A booking of the paid service. */
typedef struct py_booking {
    long    id;
    char    token[128];
    long    payment_id;
    char    url[512];
    char    session[128];   /* cs_... (from the fake) */
    json_t *reply;          /* the 201 body */
} py_booking;

/* ---- fixture ------------------------------------------------------------ */
void py_setup(void);            /* fake, signer, clinic, httpd */
void py_teardown(void);
/* (Re)start httpd with the suite's Stripe configuration plus extra. */
void py_httpd(const char *extra);
void py_fake_reset(void);

/* The nth day of the suite (YYYY-MM-DD, London): chosen as it starts,
 * free of closures of the clinic and of its practitioner. */
const char *py_day(int n);

/* ---- patient ------------------------------------------------------------- */
/* Book the paid service on test day `day` at hh:mm (London); asserted
 * 201.  The session is the one the fake holds for its payment. */
py_booking py_book(int day, const char *hhmm);
it_resp *py_book_raw(int day, const char *hhmm, const char *session_id);
void py_booking_free(py_booking *b);
it_resp *py_pay(long booking, const char *token);   /* POST /api/payments */

/* ---- Stripe ------------------------------------------------------------- */
json_t *py_ctl(const char *method, const char *path, const char *body);
/* An event the fake makes from its current state: type and
 * "session=cs_..", "refund=re_.." or "payment_intent=pi_..". */
char *py_event(const char *type, const char *which);
/* Stripe-Signature for payload, by Stripe's library: secrets NULL-ended;
 * ts 0 for now. */
char *py_sign(const char *payload, const char *const *secrets, long ts);
it_resp *py_deliver_raw(const char *payload, const char *sig);
int py_signer_port(void);
/* Sign with PY_WHSEC_A and deliver; asserted 200; the outcome (malloc'd). */
char *py_deliver(const char *payload);
/* The session is paid at the fake (its payment intent into pi) and its
 * completed event delivered; returns the outcome (malloc'd). */
char *py_complete(const char *session, char pi[128]);
/* Requests the fake received on a path prefix (own reference). */
json_t *py_requests(const char *prefix);

/* ---- reading the database ------------------------------------------------ */
char *py_booking_field(long id, const char *col);
char *py_payment_field(long id, const char *col);
/* Wait up to `secs` until SQL (a boolean) holds. */
int py_wait_sql(int secs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void py_add_webhook_tests(TCase *tc);   /* test_payments_webhook.c */
void py_add_refund_tests(TCase *tc);    /* test_payments_refund.c */
Suite *it_suite_payments(void);

#endif
