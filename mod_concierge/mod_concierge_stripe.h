/*
 * mod_concierge_stripe.h - payments with Stripe: the directives, Checkout
 * Sessions for bookings, the refund outbox and the reconciliation job.
 * The webhook and the admin routes are api/payments.c.
 */
#ifndef MOD_CONCIERGE_STRIPE_H
#define MOD_CONCIERGE_STRIPE_H

#include "mc_private.h"

/* Directive handlers (the table is mod_concierge_config.c's). */
const char *mc_stripe_set_key(cmd_parms *cmd, void *dc, const char *arg);
const char *mc_stripe_set_whsec(cmd_parms *cmd, void *dc, const char *arg);
const char *mc_stripe_set_url(cmd_parms *cmd, void *dc, const char *arg);

apr_status_t mc_stripe_post_config(apr_pool_t *pconf, server_rec *s);
void mc_stripe_child_init(apr_pool_t *p, server_rec *s);

/* Payments can be taken: a secret key and ConciergePublicURL. */
int mc_stripe_configured(const server_rec *s);
/* The webhook signing secrets (NULL-free array of n). */
const char *const *mc_stripe_webhook_secrets(int *n);

typedef enum {
    MC_PAY_OPEN = 0,        /* a session to pay: out->payment */
    MC_PAY_NOT_CONFIGURED,
    MC_PAY_UNAVAILABLE,     /* Stripe down, slow or refusing: out->error */
    MC_PAY_DB,              /* the database could not be asked */
    MC_PAY_NOTHING          /* nothing to pay: out->outcome says why
                               (paid, not_required, not_active,
                               processing, not_found) */
} mc_pay_rc;

typedef struct mc_pay_out {
    json_t     *payment;    /* concierge_payment_json (MC_PAY_OPEN) */
    const char *outcome;
    const char *status;     /* the booking's status, for not_active */
    const char *error;      /* a short code, never a key or a body */
} mc_pay_out;

/* The Checkout Session of a pending booking: an open one again, or a new
 * one (the booking's hold extended to its expiry).  Stripe is called with
 * no database connection held, within ConciergeStripeTimeout. */
mc_pay_rc mc_stripe_checkout(request_rec *r, apr_int64_t booking_id,
                             mc_pay_out *out);

/* {"payment_id","url","expires_at","status"} of a payment for patients
 * (times RFC 3339 in the clinic's zone). */
json_t *mc_stripe_payment_view(request_rec *r, json_t *payment);

/* /api/admin/health's "stripe". */
json_t *mc_stripe_health(request_rec *r);

#endif
