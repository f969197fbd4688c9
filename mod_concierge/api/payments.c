/*
 * api/payments.c - payments with Stripe.
 *
 *   POST /api/payments                  {"booking_id"} + X-Manage-Token
 *   POST /api/webhooks/stripe           Stripe's events (signed)
 *   GET  /api/admin/payments[/{id}]     staff
 *   POST /api/admin/payments/{id}/refund  admin
 *
 * The webhook verifies the raw body against Stripe-Signature under every
 * configured secret before anything else (cc_stripe_verify), then applies
 * the event in one statement (concierge_stripe_event): its id is stored
 * in the same transaction as every change it makes, so a redelivery,
 * however concurrent, changes nothing.  It makes no outbound call.
 * Checkout Sessions, refunds and reconciliation: mod_concierge_stripe.c.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "util_script.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_escalation.h"
#include "mod_concierge_stripe.h"
#include "cc_json.h"
#include "cc_manage.h"
#include "cc_stripe.h"
#include "cc_stripe_wire.h"
#include "cc_tz.h"

#define PAY_WEBHOOK_MAX (512 * KB)
#define PAY_JSON_DEPTH  32

static apr_int64_t jint(const json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
}

/* Epoch-second fields of o as RFC 3339 in the clinic's zone (null stays
 * null). */
static void times(request_rec *r, json_t *o, const char *const *keys)
{
    const cc_tz_t *tz = mc_booking_tz(r->server);

    for (; *keys; keys++) {
        json_t *v = json_object_get(o, *keys);

        if (json_is_integer(v)) {
            json_object_set_new(o, *keys, json_string(cc_tz_rfc3339(
                r->pool, tz, (int64_t)json_integer_value(v))));
        }
    }
}

static const char *const pay_times[] = { "expires_at", "paid_at",
                                         "created_at", NULL };

/* A payment for staff: times written out, refunds' too; not the
 * Idempotency-Key. */
static json_t *staff_view(request_rec *r, json_t *p)
{
    size_t i;
    json_t *f;

    times(r, p, pay_times);
    json_array_foreach(json_object_get(p, "refunds"), i, f) {
        times(r, f, pay_times);
    }
    json_object_del(p, "idempotency_key");
    return p;
}

/* ---- POST /api/payments ---------------------------------------------------- */

static int mc_api_payment_create(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *tok = apr_table_get(r->headers_in, "X-Manage-Token");
    const char *args[1], *text, *want;
    json_int_t id = 0;
    json_error_t jerr;
    json_t *b;
    mc_pay_out out;
    int dbfail;

    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:I}", "booking_id",
                       &id) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"booking_id\": "
                        "int}: %s", jerr.text);
    }
    if (id < 1) {
        return mc_error(c, 422, "invalid_id", "booking_id is a positive "
                        "whole number");
    }
    if (!tok || !*tok) {
        return mc_error(c, 401, "manage_token_required", "send the "
                        "booking's manage token in the X-Manage-Token "
                        "header");
    }
    /* Read and given back: Stripe is called with no connection held. */
    args[0] = MC_I64(r->pool, id);
    text = mc_db_text_brief(r, "cc_bk_get", 1, args, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "payments cannot be "
                        "started right now; please try again");
    }
    b = mc_pg_json(r, text);
    want = b ? json_string_value(json_object_get(b, "token_hash")) : NULL;
    if (!cc_manage_token_check(tok, want)) {
        return mc_error(c, 404, "booking_not_found", "no booking with that "
                        "id and manage token");
    }
    switch (mc_stripe_checkout(r, id, &out)) {
    case MC_PAY_OPEN:
        return mc_reply(c, 200, mc_stripe_payment_view(r, out.payment));
    case MC_PAY_NOT_CONFIGURED:
        return mc_error(c, 503, "payments_not_configured", "online payment "
                        "is not set up at this clinic; please call the "
                        "clinic to pay");
    case MC_PAY_UNAVAILABLE:
        apr_table_setn(r->err_headers_out, "Retry-After", "30");
        return mc_error(c, 503, "payment_unavailable", "the payment service "
                        "is not answering; your booking is still held - "
                        "please try again in a minute");
    case MC_PAY_DB:
        return mc_error(c, 503, "db_unavailable", "payments cannot be "
                        "started right now; please try again");
    default:
        break;
    }
    if (!strcmp(out.outcome, "paid")) {
        return mc_error(c, 409, "already_paid", "this booking is paid");
    }
    if (!strcmp(out.outcome, "not_required")) {
        return mc_error(c, 409, "payment_not_required", "this booking "
                        "needs no payment");
    }
    if (!strcmp(out.outcome, "processing")) {
        return mc_error(c, 409, "payment_processing", "a payment for this "
                        "booking is being processed");
    }
    if (!strcmp(out.outcome, "not_active")) {
        return mc_error(c, 409, "booking_not_active", "this booking is %s; "
                        "please book again", out.status ? out.status
                                                        : "not active");
    }
    return mc_error(c, 404, "booking_not_found", "no booking with that id "
                    "and manage token");
}

/* ---- POST /api/webhooks/stripe ------------------------------------------------- */

static int mc_api_stripe_webhook(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *hdr = apr_table_get(r->headers_in, "Stripe-Signature");
    const char *const *secrets;
    const char *args[12], *why = NULL, *text, *outcome, *staff;
    cc_json_limits_t lim = { PAY_WEBHOOK_MAX, PAY_JSON_DEPTH };
    cc_stripe_event_t ev;
    cc_problem_t prob;
    cc_stripe_rc rc;
    json_t *body, *res;
    int n, dbfail;

    secrets = mc_stripe_webhook_secrets(&n);
    if (n == 0) {
        return mc_error(c, 503, "webhooks_not_configured", "no "
                        "ConciergeStripeWebhookSecret is set");
    }
    rc = cc_stripe_verify(hdr, c->raw ? c->raw : "", c->raw_len, secrets, n,
                          (int64_t)apr_time_sec(apr_time_now()),
                          CC_STRIPE_TOLERANCE);
    if (rc != CC_STRIPE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(01909)
                      "Stripe webhook refused: %s", cc_stripe_rc_text(rc));
        return mc_error(c, 400, "invalid_signature", "the Stripe-Signature "
                        "does not verify: %s", cc_stripe_rc_text(rc));
    }
    if (cc_json_decode(&body, r->pool, c->raw, c->raw_len, &lim, &prob)
        != APR_SUCCESS) {
        return mc_error_problem(c, &prob);
    }
    if (cc_stripe_event_read(body, &ev, &why) != 0) {
        return mc_error(c, 400, "invalid_event", "not a Stripe event: %s",
                        why);
    }
    staff = mc_config_gets(r->server, MC_CONFS_STAFF_URL);
    args[0] = ev.id;
    args[1] = ev.type;
    args[2] = ev.object_id;
    args[3] = MC_I64(r->pool, ev.booking_id);
    args[4] = MC_I64(r->pool, ev.payment_id);
    args[5] = ev.pay_status;
    args[6] = ev.intent;
    args[7] = MC_I64(r->pool, ev.amount);
    args[8] = ev.refund_status;
    args[9] = MC_I64(r->pool, ev.refund_id);
    args[10] = mc_escalation_channels(r->server, r->pool);
    args[11] = staff ? staff : "";
    text = mc_db_text(r, "cc_pay_event", 12, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(r, text))) {
        /* Stripe delivers it again (for up to three days). */
        return mc_error(c, 503, "db_unavailable", "the event could not be "
                        "stored; deliver it again");
    }
    outcome = json_string_value(json_object_get(res, "outcome"));
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CCLOGNO(01910)
                  "Stripe event %s (%s): %s", ev.id, ev.type,
                  outcome ? outcome : "?");
    return mc_reply(c, 200, json_pack("{s:b, s:s}", "received", 1,
                                      "outcome", outcome ? outcome : ""));
}

/* ---- staff ---------------------------------------------------------------------- */

static int mc_api_admin_payments(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_table_t *t = NULL;
    const char *status, *args[4], *text;
    apr_int64_t booking, limit, before;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;
    json_t *rows, *p;
    size_t i;
    static const char *const ok[] = { "creating", "open", "processing",
        "paid", "partially_refunded", "refunded", "expired", "failed",
        NULL };
    const char *const *s;

    ap_args_to_table(r, &t);
    status = t ? apr_table_get(t, "status") : NULL;
    for (s = ok; status && *s && strcmp(*s, status); s++) {
    }
    if (status && !*s) {
        return mc_error(c, 400, "invalid_parameter", "status is one of "
                        "creating, open, processing, paid, "
                        "partially_refunded, refunded, expired, failed");
    }
    if (mc_arg_int(c, "booking_id", 0, 1, APR_INT64_MAX, &booking)
            != APR_SUCCESS
        || mc_arg_int(c, "limit", 50, 1, 500, &limit) != APR_SUCCESS
        || mc_arg_int(c, "before", 0, 1, APR_INT64_MAX, &before)
            != APR_SUCCESS) {
        return OK;      /* answered by mc_arg_int */
    }
    args[0] = status ? status : "";
    args[1] = MC_I64(r->pool, booking);
    args[2] = MC_I64(r->pool, before);
    args[3] = MC_I64(r->pool, limit);
    dbd = mc_db_acquire(r);
    if (!dbd || mc_db_select(r, dbd, "cc_pay_list", &res, 4, args)
                != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error(c, 503, "db_unavailable", "payments cannot be read");
    }
    text = apr_dbd_get_entry(dbd->driver, row, 0);
    if (!(rows = mc_pg_json(r, text))) {
        return mc_error(c, 500, "internal_error", "payments unreadable");
    }
    json_array_foreach(rows, i, p) {
        staff_view(r, p);
    }
    return mc_reply_page(c, "payments", cc_json_dump(r->pool, rows, NULL),
                         apr_dbd_get_entry(dbd->driver, row, 1), limit);
}

static int mc_api_admin_payment(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[1], *text;
    json_t *p;
    int dbfail;

    if (id < 0) {
        return OK;
    }
    args[0] = MC_I64(c->r->pool, id);
    text = mc_db_text(c->r, "cc_pay_get", 1, args, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "payments cannot be read");
    }
    if (!(p = mc_pg_json(c->r, text))) {
        return mc_error(c, 404, "not_found", "no payment with that id");
    }
    return mc_reply(c, 200, json_incref(staff_view(c->r, p)));
}

static int mc_api_admin_refund(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *reason = "requested_by_customer", *args[5], *text, *o;
    json_int_t amount = 0;
    json_error_t jerr;
    json_t *res;
    int dbfail;

    if (id < 0) {
        return OK;
    }
    if (c->body && json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s?I, s?s}",
                                  "amount_cents", &amount, "reason",
                                  &reason) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"amount_cents\"?: "
                        "int, \"reason\"?: string}: %s", jerr.text);
    }
    if (c->body && json_object_get(c->body, "amount_cents")
        && (amount < 1 || amount > 100000000)) {
        return mc_error(c, 422, "invalid_amount", "amount_cents is a whole "
                        "number of the currency's smallest unit, at least "
                        "1");
    }
    if (strcmp(reason, "requested_by_customer") && strcmp(reason, "duplicate")
        && strcmp(reason, "fraudulent")) {
        return mc_error(c, 422, "invalid_reason", "reason is one of "
                        "requested_by_customer, duplicate, fraudulent");
    }
    if (!mc_stripe_configured(r->server)) {
        return mc_error(c, 503, "payments_not_configured", "Stripe is not "
                        "configured");
    }
    args[0] = MC_I64(r->pool, id);
    args[1] = amount ? MC_I64(r->pool, amount) : "";
    args[2] = reason;
    args[3] = c->user;
    args[4] = c->rid;
    text = mc_db_text(r, "cc_refund_admin", 5, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(r, text))) {
        return mc_error(c, 503, "db_unavailable", "the refund could not be "
                        "recorded; nothing was changed");
    }
    o = json_string_value(json_object_get(res, "outcome"));
    if (!o || !strcmp(o, "not_found")) {
        return mc_error(c, 404, "not_found", "no payment with that id");
    }
    if (!strcmp(o, "not_refundable")) {
        return mc_error(c, 409, "not_refundable", "a %s payment cannot be "
                        "refunded", json_string_value(json_object_get(
                                        res, "status")));
    }
    if (!strcmp(o, "nothing_left")) {
        return mc_error(c, 409, "nothing_left", "this payment is refunded "
                        "in full (or its refunds are on their way)");
    }
    if (!strcmp(o, "too_large")) {
        return mc_error(c, 422, "amount_too_large", "at most %"
                        APR_INT64_T_FMT " can still be refunded",
                        jint(res, "left_cents"));
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(01911)
                  "refund %" APR_INT64_T_FMT " of payment %" APR_INT64_T_FMT
                  " queued", jint(res, "refund_id"), id);
    return mc_reply(c, 202, json_pack("{s:I, s:O}", "refund_id",
                                      (json_int_t)jint(res, "refund_id"),
                                      "payment", staff_view(
                                          r, json_object_get(res,
                                                             "payment"))));
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "POST", "/api/payments", mc_api_payment_create, MC_ROLE_PUBLIC,
      MC_RL_PAYMENT, 1 * KB, MC_BODY_JSON,
      "Pay for a booking: its Stripe Checkout Session (manage token)",
      MC_SHAPE("payment_request"), MC_SHAPE("payment") },
    { "POST", "/api/webhooks/stripe", mc_api_stripe_webhook, MC_ROLE_PUBLIC,
      MC_RL_NONE, PAY_WEBHOOK_MAX, MC_BODY_RAW_JSON,
      "Stripe's events, signed (Stripe-Signature)",
      MC_SHAPE("stripe_event"), MC_SHAPE("webhook_ack") },
    { "GET", "/api/admin/payments", mc_api_admin_payments, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Payments, newest first (status, booking_id, before, limit)",
      NULL, MC_SHAPE("payment_list") },
    { "GET", "/api/admin/payments/{id}", mc_api_admin_payment,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One payment with its refunds",
      NULL, MC_SHAPE("payment_admin") },
    { "POST", "/api/admin/payments/{id}/refund", mc_api_admin_refund,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 1 * KB, MC_BODY_JSON_OPT,
      "Refund a payment, in full or in part (through the refund outbox)",
      MC_SHAPE("refund_request"), MC_SHAPE("payment_admin") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_pay_list",
      "SELECT coalesce(json_agg(concierge_payment_json(x.id) ORDER BY x.id "
      "DESC), '[]')::text, min(x.id)::text FROM (SELECT id FROM payments "
      "WHERE status = coalesce(nullif(%s, ''), status) AND booking_id = "
      "coalesce(nullif(%lld, 0), booking_id) AND id < coalesce(nullif(%lld, "
      "0), 9223372036854775807) ORDER BY id DESC LIMIT %lld) x" },
    { "cc_pay_get", "SELECT concierge_payment_json(%lld)::text" },
    { "cc_refund_admin",
      "SELECT concierge_refund_admin(%lld, nullif(%s, '')::int, %s, %s, "
      "%s)::text" },
    { NULL, NULL }
};
MC_RESOURCE(payments, routes, stmts);
