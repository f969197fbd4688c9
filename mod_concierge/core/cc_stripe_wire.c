/*
 * cc_stripe_wire.c - Stripe's API wire format (see cc_stripe_wire.h).
 */
#include <string.h>
#include <apr_strings.h>
#include "cc_stripe_wire.h"

#define WIRE_URL_MAX 2048

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}

static char *encode(apr_pool_t *p, const char *s, int key)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), i, o = 0;
    char *out = apr_palloc(p, n * 3 + 1);

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (unreserved(c) || (key && (c == '[' || c == ']'))) {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

char *cc_stripe_form_add(apr_pool_t *p, const char *form, const char *key,
                         const char *value)
{
    return apr_pstrcat(p, form && *form ? form : "",
                       form && *form ? "&" : "", encode(p, key, 1), "=",
                       encode(p, value, 0), NULL);
}

static int currency_ok(const char *c)
{
    int i;

    for (i = 0; i < 3; i++) {
        if (!c[i] || !((c[i] >= 'a' && c[i] <= 'z')
                       || (c[i] >= 'A' && c[i] <= 'Z'))) {
            return 0;
        }
    }
    return c[3] == '\0';
}

char *cc_stripe_checkout_form(apr_pool_t *p, const cc_stripe_checkout_t *c)
{
    char *f = NULL, *cur, *bid, *pid;
    const char *pub = c->public_url;
    size_t i;

    if (!c->currency || !currency_ok(c->currency) || c->amount_cents < 0
        || c->booking_id < 1 || c->payment_id < 1 || !c->product
        || !*c->product || !pub || strncmp(pub, "http", 4)
        || c->expires_at <= 0) {
        return NULL;
    }
    cur = apr_pstrdup(p, c->currency);
    for (i = 0; cur[i]; i++) {
        cur[i] = (char)(cur[i] | 0x20);
    }
    bid = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)c->booking_id);
    pid = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)c->payment_id);
    f = cc_stripe_form_add(p, f, "mode", "payment");
    f = cc_stripe_form_add(p, f, "line_items[0][quantity]", "1");
    f = cc_stripe_form_add(p, f, "line_items[0][price_data][currency]", cur);
    f = cc_stripe_form_add(p, f, "line_items[0][price_data][unit_amount]",
                           apr_psprintf(p, "%" APR_INT64_T_FMT,
                                        (apr_int64_t)c->amount_cents));
    f = cc_stripe_form_add(p, f,
                           "line_items[0][price_data][product_data][name]",
                           c->product);
    f = cc_stripe_form_add(p, f, "client_reference_id", bid);
    f = cc_stripe_form_add(p, f, "metadata[booking_id]", bid);
    f = cc_stripe_form_add(p, f, "metadata[payment_id]", pid);
    f = cc_stripe_form_add(p, f, "payment_intent_data[metadata][booking_id]",
                           bid);
    f = cc_stripe_form_add(p, f, "payment_intent_data[metadata][payment_id]",
                           pid);
    /* The manage token never goes into a URL: the pages keep it. */
    f = cc_stripe_form_add(p, f, "success_url",
                           apr_pstrcat(p, pub, "/book/done?booking=", bid,
                                       NULL));
    f = cc_stripe_form_add(p, f, "cancel_url",
                           apr_pstrcat(p, pub, "/book/cancelled?booking=",
                                       bid, NULL));
    f = cc_stripe_form_add(p, f, "expires_at",
                           apr_psprintf(p, "%" APR_INT64_T_FMT,
                                        (apr_int64_t)c->expires_at));
    if (c->email && *c->email) {
        f = cc_stripe_form_add(p, f, "customer_email", c->email);
    }
    return f;
}

char *cc_stripe_refund_form(apr_pool_t *p, const char *payment_intent,
                            int64_t amount_cents, const char *reason,
                            int64_t refund_id, int64_t booking_id)
{
    char *f = NULL;

    if (!cc_stripe_id_valid(payment_intent) || amount_cents < 1
        || refund_id < 1) {
        return NULL;
    }
    f = cc_stripe_form_add(p, f, "payment_intent", payment_intent);
    f = cc_stripe_form_add(p, f, "amount", apr_psprintf(
                               p, "%" APR_INT64_T_FMT,
                               (apr_int64_t)amount_cents));
    if (reason && *reason) {
        f = cc_stripe_form_add(p, f, "reason", reason);
    }
    f = cc_stripe_form_add(p, f, "metadata[refund_id]", apr_psprintf(
                               p, "%" APR_INT64_T_FMT,
                               (apr_int64_t)refund_id));
    if (booking_id > 0) {
        f = cc_stripe_form_add(p, f, "metadata[booking_id]", apr_psprintf(
                                   p, "%" APR_INT64_T_FMT,
                                   (apr_int64_t)booking_id));
    }
    return f;
}

int cc_stripe_id_valid(const char *s)
{
    size_t i;

    if (!s || !*s) {
        return 0;
    }
    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (i >= 255 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                          || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* A Stripe id at key k of o, or NULL. */
static const char *id_at(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    if (json_is_object(v)) {
        v = json_object_get(v, "id");   /* an expanded object */
    }
    return cc_stripe_id_valid(json_string_value(v))
           ? json_string_value(v) : NULL;
}

/* A word (a status or a type): 1..100 of [a-z0-9_.]. */
static const char *word_at(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    size_t i;

    if (!s || !*s) {
        return NULL;
    }
    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (i >= 100 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                          || c == '_' || c == '.')) {
            return NULL;
        }
    }
    return s;
}

/* A positive decimal of ours (1..18 digits) at key k, or 0. */
static int64_t our_id(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    int64_t v = 0;
    size_t i;

    if (!s || !*s || strlen(s) > 18) {
        return 0;
    }
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int64_t int_at(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    return json_is_integer(v) && json_integer_value(v) >= 0
           ? (int64_t)json_integer_value(v) : 0;
}

static const char *url_at(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    size_t i;

    if (!s || (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))) {
        return NULL;
    }
    for (i = 0; s[i]; i++) {
        if (i >= WIRE_URL_MAX || (unsigned char)s[i] <= ' '
            || s[i] == 0x7f || s[i] == '"' || s[i] == '<' || s[i] == '>') {
            return NULL;
        }
    }
    return s;
}

int cc_stripe_session_read(const json_t *o, cc_stripe_session_t *out)
{
    const json_t *md = json_object_get(o, "metadata");
    int64_t ref;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(o) || !(out->id = id_at(o, "id"))) {
        return -1;
    }
    out->url = url_at(o, "url");
    out->status = word_at(o, "status");
    out->payment_status = word_at(o, "payment_status");
    out->payment_intent = id_at(o, "payment_intent");
    out->expires_at = int_at(o, "expires_at");
    ref = our_id(o, "client_reference_id");
    out->booking_id = ref ? ref : our_id(md, "booking_id");
    if (ref && our_id(md, "booking_id") && our_id(md, "booking_id") != ref) {
        out->booking_id = 0;    /* they disagree: trust neither */
    }
    out->payment_id = our_id(md, "payment_id");
    return 0;
}

int cc_stripe_event_read(const json_t *ev, cc_stripe_event_t *out,
                         const char **why)
{
    const json_t *obj;
    const char *t;

    memset(out, 0, sizeof(*out));
    out->object_id = out->pay_status = out->intent = out->refund_status = "";
    if (!json_is_object(ev)) {
        *why = "not a JSON object";
        return -1;
    }
    if (!(out->id = id_at(ev, "id"))) {
        *why = "no valid event id";
        return -1;
    }
    if (!(t = out->type = word_at(ev, "type"))) {
        *why = "no valid event type";
        return -1;
    }
    obj = json_object_get(json_object_get(ev, "data"), "object");
    if (!json_is_object(obj)) {
        *why = "no data.object";
        return -1;
    }
    out->object_id = id_at(obj, "id") ? id_at(obj, "id") : "";
    out->intent = id_at(obj, "payment_intent") ? id_at(obj, "payment_intent")
                                               : "";
    if (!strncmp(t, "checkout.session.", 17)) {
        cc_stripe_session_t s;

        if (cc_stripe_session_read(obj, &s) != 0) {
            *why = "no valid session id";
            return -1;
        }
        out->booking_id = s.booking_id;
        out->payment_id = s.payment_id;
        out->pay_status = s.payment_status ? s.payment_status : "";
    }
    else if (!strncmp(t, "charge.", 7)) {
        out->amount = int_at(obj, "amount_refunded");
    }
    else if (!strncmp(t, "refund.", 7)) {
        out->amount = int_at(obj, "amount");
        out->refund_status = word_at(obj, "status") ? word_at(obj, "status")
                                                    : "";
        out->refund_id = our_id(json_object_get(obj, "metadata"),
                                "refund_id");
    }
    return 0;
}

const char *cc_stripe_error_code(const json_t *body)
{
    const json_t *e = json_object_get(body, "error");
    const char *c = word_at(e, "code");

    return c ? c : word_at(e, "type");
}
