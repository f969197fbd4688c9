/*
 * cc_stripe.h - Stripe's webhook signature (the Stripe-Signature header).
 *
 * Stripe signs "<t>.<raw body>" with HMAC-SHA256 keyed by the endpoint's
 * whole signing secret ("whsec_..." as bytes, prefix included) and sends
 *   Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]
 * Several v1 values appear while a rolled secret is still active; other
 * schemes are ignored.  The clock is the caller's (tests inject it).
 */
#ifndef CC_STRIPE_H
#define CC_STRIPE_H

#include <stddef.h>
#include <stdint.h>

#define CC_STRIPE_HEADER_MAX 4096   /* longer headers are refused */
#define CC_STRIPE_V1_MAX     16     /* v1 values considered */
#define CC_STRIPE_TOLERANCE  300    /* seconds, as Stripe's libraries */

typedef enum {
    CC_STRIPE_OK = 0,
    CC_STRIPE_MALFORMED,    /* no header, too long, no or bad t= */
    CC_STRIPE_NO_V1,        /* no v1 signature in it */
    CC_STRIPE_TOO_OLD,      /* t before now - tolerance */
    CC_STRIPE_TOO_NEW,      /* t after now + tolerance */
    CC_STRIPE_MISMATCH      /* no v1 matches under any secret */
} cc_stripe_rc;

/* Verify the raw body against the header under any of nsecrets secrets
 * (constant-time comparison of every candidate).  now and tolerance in
 * seconds. */
cc_stripe_rc cc_stripe_verify(const char *header, const char *body,
                              size_t len, const char *const *secrets,
                              int nsecrets, int64_t now, int64_t tolerance);

/* A short English reason for rc (static). */
const char *cc_stripe_rc_text(cc_stripe_rc rc);

#endif
