/*
 * cc_stripe_wire.h - Stripe's API wire format, pure (FIELD_NOTES D1):
 * request bodies form-encoded with bracket notation, the Checkout Session
 * and Refund requests this product sends, and what it reads from Stripe's
 * answers and events.  The transport (libcurl) and the database are glue
 * (mod_concierge_stripe.c, api/payments.c).
 *
 * Everything read from Stripe is checked before use: ids are 1..255
 * characters of [A-Za-z0-9_], numbers of ours are positive decimals, a
 * URL is http(s) without control characters.  Anything else is treated as
 * absent, so a value never reaches SQL or a log in a shape we did not
 * expect.
 */
#ifndef CC_STRIPE_WIRE_H
#define CC_STRIPE_WIRE_H

#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>

/* form + "&" + key=value, x-www-form-urlencoded (every byte but
 * A-Z a-z 0-9 - . _ ~ percent-encoded; '[' and ']' kept in keys, as
 * Stripe's own libraries send them).  form may be NULL or "". */
char *cc_stripe_form_add(apr_pool_t *p, const char *form, const char *key,
                         const char *value);

/* The Checkout Session of one booking attempt. */
typedef struct cc_stripe_checkout_t {
    int64_t     booking_id;
    int64_t     payment_id;
    int64_t     amount_cents;
    const char *currency;       /* ISO 4217, any case: sent lower-case */
    const char *product;        /* the line item's name */
    const char *public_url;     /* ConciergePublicURL, no trailing '/' */
    int64_t     expires_at;     /* epoch seconds */
    const char *email;          /* customer_email, or NULL */
} cc_stripe_checkout_t;

/* The body of POST /v1/checkout/sessions (mode=payment, one line item with
 * inline price_data, client_reference_id and metadata naming the booking
 * and payment, success and cancel URLs under public_url, expires_at); NULL
 * when an argument is unusable. */
char *cc_stripe_checkout_form(apr_pool_t *p, const cc_stripe_checkout_t *c);

/* The body of POST /v1/refunds: payment_intent, amount, reason, and our
 * refund and booking ids in metadata. */
char *cc_stripe_refund_form(apr_pool_t *p, const char *payment_intent,
                            int64_t amount_cents, const char *reason,
                            int64_t refund_id, int64_t booking_id);

/* 1 when s is a Stripe id: 1..255 characters of [A-Za-z0-9_]. */
int cc_stripe_id_valid(const char *s);

/* What this product reads from a Checkout Session object (an API answer
 * or an event's data.object). */
typedef struct cc_stripe_session_t {
    const char *id;             /* cs_... (NULL when invalid) */
    const char *url;            /* NULL when absent (not open) or invalid */
    const char *status;         /* open | complete | expired, or NULL */
    const char *payment_status; /* paid | unpaid | no_payment_required */
    const char *payment_intent; /* NULL until there is one */
    int64_t     booking_id;     /* client_reference_id / metadata, or 0 */
    int64_t     payment_id;     /* metadata payment_id, or 0 */
    int64_t     expires_at;
} cc_stripe_session_t;

/* 0 when o is a session with a valid id (the rest as available). */
int cc_stripe_session_read(const json_t *o, cc_stripe_session_t *out);

/* An event, as concierge_stripe_event() takes it ('' and 0 for none). */
typedef struct cc_stripe_event_t {
    const char *id;             /* evt_... */
    const char *type;           /* e.g. checkout.session.completed */
    const char *object_id;      /* data.object.id */
    int64_t     booking_id;
    int64_t     payment_id;
    const char *pay_status;     /* a session's payment_status */
    const char *intent;         /* payment_intent */
    int64_t     amount;         /* charge: amount_refunded; refund: amount */
    const char *refund_status;  /* refund: status */
    int64_t     refund_id;      /* refund: metadata refund_id (ours) */
} cc_stripe_event_t;

/* Read an event.  0 on success; else -1 with *why a static reason (no id,
 * no type, no data.object, ...). */
int cc_stripe_event_read(const json_t *ev, cc_stripe_event_t *out,
                         const char **why);

/* Stripe's error code of an error answer ({"error":{"code"|"type"}}),
 * checked to be a short word; NULL when none. */
const char *cc_stripe_error_code(const json_t *body);

#endif
