/*
 * mod_concierge_stripe.c - payments with Stripe (issue 13).
 *
 *   ConciergeStripeSecretKey[File]      sk_... / rk_... (HTTP Basic user)
 *   ConciergeStripeWebhookSecret[File]  whsec_..., one or more (rotation)
 *   ConciergeStripeAPIBase              default https://api.stripe.com
 *   ConciergePublicURL                  base of /book/done, /book/cancelled
 *   ConciergeStripeTimeout              one call, milliseconds
 *
 * Checkout: concierge_payment_begin (sql/functions/payments.sql) finds the
 * booking's open session or makes an attempt row (its expiry is the
 * booking's hold, at least 31 minutes away; the hold moves with it); then
 * POST /v1/checkout/sessions with no database connection held, the
 * attempt's Idempotency-Key and the same parameters on every retry of that
 * attempt, so a retry never makes a second session.  Stripe keeps the
 * first answer under a key, errors included: an attempt Stripe answered
 * with an error is over (the next try is a new attempt and key); one that
 * got no answer is retried as it is.
 *
 * One thread per process (every host may run it: rows are claimed with
 * FOR UPDATE SKIP LOCKED) works the refund outbox and reconciles sessions
 * whose webhook may have been lost: an open session is asked about 10
 * minutes after it was made and again after its expiry; whatever Stripe
 * says is applied through concierge_stripe_event under an event id of its
 * own ("reconcile:<session>:<state>"), so it is applied once.  An open
 * session whose booking is no longer pending (cancelled, or its hold
 * lapsed) is expired at Stripe, so it cannot be paid.
 *
 * Health: stripe_status (every host), written when this process's view
 * changes.  Error texts are cc_http codes or Stripe's error codes: never
 * a key, a header or a body.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "apr_base64.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_escalation.h"
#include "mod_concierge_http.h"
#include "mod_concierge_ticker.h"
#include "mod_concierge_stripe.h"
#include "cc_json.h"
#include "cc_stripe_wire.h"
#include "cc_tz.h"

#define ST_VERSION      "2024-06-20"    /* Stripe-Version sent */
#define ST_CONNECT_MS   3000L
#define ST_MAX_BODY     (1024 * 1024)
#define ST_MIN_EXPIRY_S 1860            /* Stripe's 30 min + a minute */
#define ST_TICK         apr_time_from_sec(1)
#define ST_SECRETS_MAX  8

static const char *st_secrets[ST_SECRETS_MAX];
static int st_nsecrets;
static int st_state = -1;               /* last health state written */
static char st_last_err[128];

/* ---- directives ----------------------------------------------------------- */

static int printable_token(const char *s, apr_size_t min, apr_size_t max)
{
    apr_size_t n = 0;

    for (; s[n]; n++) {
        if ((unsigned char)s[n] <= ' ' || s[n] == 0x7f) {
            return 0;
        }
    }
    return n >= min && n <= max;
}

const char *mc_stripe_set_key(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = mc_config_main_only(cmd);

    if (err) {
        return err;
    }
    if (strstr(arg, "${")) {
        return "ConciergeStripeSecretKey: the value is an unexpanded "
               "${VARIABLE}; set it in httpd's environment";
    }
    if ((strncmp(arg, "sk_", 3) && strncmp(arg, "rk_", 3))
        || !printable_token(arg, 8, 512)) {
        return "ConciergeStripeSecretKey: not a Stripe secret key (sk_... "
               "or a restricted rk_..., without spaces)";
    }
    mc_config_for(cmd)->strs[MC_CONFS_STRIPE_KEY] = apr_pstrdup(cmd->pool,
                                                                arg);
    return NULL;
}

/* Each argument may hold several secrets separated by spaces (a ${VAR}
 * with both secrets of a roll); repeated directives add to the list. */
const char *mc_stripe_set_whsec(cmd_parms *cmd, void *dc, const char *arg)
{
    mc_srv_conf *conf = mc_config_for(cmd);
    const char *err = mc_config_main_only(cmd);
    char *copy, *tok, *last = NULL;
    const char *list = conf->strs[MC_CONFS_STRIPE_WHSEC];
    int n = 0;

    if (err) {
        return err;
    }
    if (strstr(arg, "${")) {
        return "ConciergeStripeWebhookSecret: the value is an unexpanded "
               "${VARIABLE}; set it in httpd's environment";
    }
    copy = apr_pstrdup(cmd->temp_pool, arg);
    for (tok = apr_strtok(copy, " \t", &last); tok;
         tok = apr_strtok(NULL, " \t", &last)) {
        if (strncmp(tok, "whsec_", 6) || !printable_token(tok, 16, 512)) {
            return "ConciergeStripeWebhookSecret: not a webhook signing "
                   "secret (whsec_..., 16..512 characters)";
        }
        list = list ? apr_pstrcat(cmd->pool, list, " ", tok, NULL)
                    : apr_pstrdup(cmd->pool, tok);
        n++;
    }
    if (n == 0) {
        return "ConciergeStripeWebhookSecret: no secret given";
    }
    conf->strs[MC_CONFS_STRIPE_WHSEC] = list;
    return NULL;
}

const char *mc_stripe_set_url(cmd_parms *cmd, void *dc, const char *arg)
{
    int which = (int)(apr_uintptr_t)cmd->info;
    const char *err = mc_config_main_only(cmd);
    char *v;
    apr_size_t n;

    if (!err) {
        err = mc_config_check_url(cmd, arg, "https", "http");
    }
    if (err) {
        return err;
    }
    v = apr_pstrdup(cmd->pool, arg);
    n = strlen(v);
    while (n > 0 && v[n - 1] == '/') {
        v[--n] = '\0';
    }
    mc_config_for(cmd)->strs[which] = v;
    return NULL;
}

apr_status_t mc_stripe_post_config(apr_pool_t *pconf, server_rec *s)
{
    const char *list = mc_config_gets(s, MC_CONFS_STRIPE_WHSEC);
    char *copy, *tok, *last = NULL;

    st_nsecrets = 0;
    if (list) {
        copy = apr_pstrdup(pconf, list);
        for (tok = apr_strtok(copy, " ", &last); tok;
             tok = apr_strtok(NULL, " ", &last)) {
            if (st_nsecrets == ST_SECRETS_MAX) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01901)
                             "ConciergeStripeWebhookSecret: at most %d "
                             "secrets", ST_SECRETS_MAX);
                return APR_EGENERAL;
            }
            st_secrets[st_nsecrets++] = tok;
        }
    }
    if (mc_config_gets(s, MC_CONFS_STRIPE_KEY)
        && !mc_config_gets(s, MC_CONFS_PUBLIC_URL)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01902)
                     "ConciergeStripeSecretKey needs ConciergePublicURL "
                     "(the base of the pages Stripe sends patients back "
                     "to)");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

int mc_stripe_configured(const server_rec *s)
{
    return mc_config_gets(s, MC_CONFS_STRIPE_KEY)
           && mc_config_gets(s, MC_CONFS_PUBLIC_URL);
}

const char *const *mc_stripe_webhook_secrets(int *n)
{
    *n = st_nsecrets;
    return st_secrets;
}

/* ---- the API ------------------------------------------------------------------ */

/* One call: the HTTP status (0: no answer) and the JSON answer (or NULL)
 * in p; *err a short code when not 2xx. */
static long call(apr_pool_t *p, server_rec *s, const char *method,
                 const char *path, const char *form, const char *key,
                 json_t **body, const char **err)
{
    const char *sk = mc_config_gets(s, MC_CONFS_STRIPE_KEY);
    const char *hdrs[5], *user = apr_pstrcat(p, sk, ":", NULL);
    char *b64 = apr_palloc(p, apr_base64_encode_len((int)strlen(user)));
    mc_http_req hr;
    mc_http_resp rs;
    json_t *j = NULL;

    apr_base64_encode(b64, user, (int)strlen(user));
    hdrs[0] = apr_pstrcat(p, "Authorization: Basic ", b64, NULL);
    hdrs[1] = "Stripe-Version: " ST_VERSION;
    hdrs[2] = "Accept: application/json";
    hdrs[3] = key ? apr_pstrcat(p, "Idempotency-Key: ", key, NULL) : NULL;
    hdrs[4] = NULL;
    memset(&hr, 0, sizeof(hr));
    hr.method = method;
    hr.url = apr_pstrcat(p, mc_config_gets(s, MC_CONFS_STRIPE_API_BASE),
                         path, NULL);
    hr.headers = hdrs;
    hr.body = form;
    hr.ctype = form ? "application/x-www-form-urlencoded" : NULL;
    hr.connect_ms = ST_CONNECT_MS;
    hr.timeout_ms = (long)mc_config_geti(s, MC_CONF_STRIPE_TIMEOUT_MS);
    hr.max_response = ST_MAX_BODY;
    mc_http_request(p, &hr, &rs);
    if (rs.status > 0 && rs.len > 0) {
        j = cc_json_pool_own(p, json_loadb(rs.body, rs.len, 0, NULL));
    }
    *body = j;
    *err = NULL;
    if (rs.status == 0) {
        *err = rs.error ? rs.error : "transport";
    }
    else if (rs.status < 200 || rs.status > 299) {
        const char *code = j ? cc_stripe_error_code(j) : NULL;

        *err = apr_psprintf(p, "http_%ld%s%s", rs.status, code ? " " : "",
                            code ? code : "");
    }
    return rs.status;
}

/* First column of the first row of a prepared select, outside a request
 * (a connection of its own, given back). */
static const char *text_s(server_rec *s, apr_pool_t *p, const char *label,
                          int nargs, const char **args, int *fail)
{
    mc_dbx x = { NULL, s, p };
    ap_dbd_t *dbd = mc_db_open_x(&x);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;

    *fail = 1;
    if (!dbd) {
        return NULL;
    }
    if (mc_db_select_x(&x, dbd, label, &res, nargs, args) == APR_SUCCESS) {
        *fail = 0;
        if (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
            v = apr_dbd_get_entry(dbd->driver, row, 0);
            v = v ? apr_pstrdup(p, v) : NULL;
            while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
            }
        }
    }
    mc_db_close_x(&x, dbd);
    return v;
}

/* This process's view of Stripe, written to stripe_status when it
 * changes (ok, or a different error). */
static void set_state(server_rec *s, apr_pool_t *p, int ok, const char *err)
{
    const char *args[2];
    int fail;

    if (ok == st_state && (ok || !strcmp(st_last_err, err ? err : ""))) {
        return;
    }
    st_state = ok;
    apr_cpystrn(st_last_err, err ? err : "", sizeof(st_last_err));
    args[0] = ok ? "true" : "false";
    args[1] = err ? err : "";
    text_s(s, p, "cc_pay_state", 2, args, &fail);
}

static apr_int64_t jint(const json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
}

/* ---- Checkout ----------------------------------------------------------------- */

json_t *mc_stripe_payment_view(request_rec *r, json_t *pay)
{
    const cc_tz_t *tz = mc_booking_tz(r->server);

    return json_pack("{s:I, s:O?, s:s, s:O}", "payment_id",
                     (json_int_t)jint(pay, "id"), "url",
                     json_object_get(pay, "url"), "expires_at",
                     cc_tz_rfc3339(r->pool, tz, jint(pay, "expires_at")),
                     "status", json_object_get(pay, "status"));
}

mc_pay_rc mc_stripe_checkout(request_rec *r, apr_int64_t booking,
                             mc_pay_out *out)
{
    server_rec *s = r->server;
    const char *args[3], *text, *outcome, *form, *err, *start;
    json_t *res, *pay, *body;
    cc_stripe_checkout_t co;
    cc_stripe_session_t ss;
    int dbfail;
    long st;

    memset(out, 0, sizeof(*out));
    if (!mc_stripe_configured(s)) {
        out->outcome = "not_configured";
        return MC_PAY_NOT_CONFIGURED;
    }
    args[0] = MC_I64(r->pool, booking);
    args[1] = apr_itoa(r->pool, ST_MIN_EXPIRY_S);
    text = mc_db_text_brief(r, "cc_pay_begin", 2, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(r, text))) {
        return MC_PAY_DB;
    }
    outcome = json_string_value(json_object_get(res, "outcome"));
    out->outcome = outcome ? outcome : "";
    out->status = json_string_value(json_object_get(res, "status"));
    pay = json_object_get(res, "payment");
    if (!strcmp(out->outcome, "open")) {
        out->payment = pay;
        return MC_PAY_OPEN;
    }
    if (strcmp(out->outcome, "create") || !json_is_object(pay)) {
        return MC_PAY_NOTHING;
    }
    memset(&co, 0, sizeof(co));
    co.booking_id = booking;
    co.payment_id = jint(pay, "id");
    co.amount_cents = jint(pay, "amount_cents");
    co.currency = json_string_value(json_object_get(pay, "currency"));
    start = cc_tz_rfc3339(r->pool, mc_booking_tz(s),
                          jint(res, "start"));
    co.product = apr_psprintf(r->pool, "%s, %.10s %.5s",
                              json_string_value(json_object_get(
                                  pay, "service_name")),
                              start, start + 11);
    co.public_url = mc_config_gets(s, MC_CONFS_PUBLIC_URL);
    co.expires_at = jint(pay, "expires_at");
    co.email = json_string_value(json_object_get(res, "email"));
    form = cc_stripe_checkout_form(r->pool, &co);
    if (!form) {
        out->error = "bad_payment";
        return MC_PAY_UNAVAILABLE;
    }
    st = call(r->pool, s, "POST", "/v1/checkout/sessions", form,
              json_string_value(json_object_get(pay, "idempotency_key")),
              &body, &err);
    if (st >= 200 && st <= 299 && cc_stripe_session_read(body, &ss) == 0
        && ss.url) {
        set_state(s, r->pool, 1, NULL);
        args[0] = MC_I64(r->pool, co.payment_id);
        args[1] = ss.id;
        args[2] = ss.url;
        text = mc_db_text_brief(r, "cc_pay_opened", 3, args, &dbfail);
        if (dbfail || !(out->payment = mc_pg_json(r, text))) {
            /* The session exists; the next try gets it again under the
             * same key. */
            return MC_PAY_DB;
        }
        return MC_PAY_OPEN;
    }
    if (!err) {
        err = "unreadable_session";
    }
    out->error = err;
    set_state(s, r->pool, 0, err);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(01903)
                  "Stripe Checkout Session for booking %" APR_INT64_T_FMT
                  " (payment %" APR_INT64_T_FMT ") not created: %s",
                  booking, (apr_int64_t)co.payment_id, err);
    /* An answer Stripe saved under the key ends the attempt; none (or a
     * 409 for a concurrent request, or a 429) leaves it to retry. */
    args[0] = MC_I64(r->pool, co.payment_id);
    args[1] = err;
    args[2] = st > 0 && st != 409 && st != 429 ? "true" : "false";
    mc_db_text_brief(r, "cc_pay_create_failed", 3, args, &dbfail);
    return MC_PAY_UNAVAILABLE;
}

/* ---- the refund outbox -------------------------------------------------------- */

static apr_int64_t backoff_s(int attempts)
{
    apr_int64_t d = 2;

    while (attempts-- > 1 && d < 3600) {
        d *= 2;
    }
    return d > 3600 ? 3600 : d;
}

/* A refund of ours that Stripe already has (found by its metadata), or
 * NULL. */
static const json_t *find_refund(apr_pool_t *p, server_rec *s,
                                 const char *intent, const char *id,
                                 const char **err)
{
    json_t *body, *r;
    size_t i;
    long st = call(p, s, "GET", apr_pstrcat(p, "/v1/refunds?limit=100&"
                                            "payment_intent=", intent, NULL),
                   NULL, NULL, &body, err);

    if (st != 200) {
        return NULL;
    }
    json_array_foreach(json_object_get(body, "data"), i, r) {
        const char *m = json_string_value(json_object_get(
            json_object_get(r, "metadata"), "refund_id"));

        if (m && !strcmp(m, id)) {
            return r;
        }
    }
    return NULL;
}

/* Claimed row f: id, payment_intent, amount, reason, key_gen, attempts,
 * booking, salt.  The refund as Stripe has it - looked up by its metadata
 * when an earlier try got a 5xx (Stripe replays that answer for its key),
 * else made under the key of this generation - or NULL with *err (and
 * *st, Stripe's status, 0 when none). */
static const json_t *stripe_refund(apr_pool_t *p, server_rec *s,
                                   const char **f, long *st,
                                   const char **err)
{
    const json_t *known;
    const char *form;
    json_t *body = NULL;

    *st = 0;
    *err = NULL;
    if (!*f[1]) {
        *err = "payment_intent_unknown";
        return NULL;
    }
    if (apr_atoi64(f[4]) > 0) {
        known = find_refund(p, s, f[1], f[0], err);
        if (known || *err) {
            return known;
        }
    }
    form = cc_stripe_refund_form(p, f[1], apr_atoi64(f[2]), f[3],
                                 apr_atoi64(f[0]), apr_atoi64(f[6]));
    if (!form) {
        *err = "bad_refund";
        return NULL;
    }
    *st = call(p, s, "POST", "/v1/refunds", form,
               apr_pstrcat(p, "concierge-", f[7], "-refund-", f[0], "-", f[4],
                           NULL), &body, err);
    return *st >= 200 && *st <= 299 ? body : NULL;
}

static void refund_one(apr_pool_t *p, server_rec *s, const char **f)
{
    const char *args[4], *err, *rid = f[0];
    int attempts = (int)apr_atoi64(f[5]), fail;
    long st;
    const json_t *known = stripe_refund(p, s, f, &st, &err);

    if (known && cc_stripe_id_valid(json_string_value(json_object_get(
                                        known, "id")))) {
        const char *status = json_string_value(json_object_get(known,
                                                               "status"));

        set_state(s, p, 1, NULL);
        args[0] = rid;
        args[1] = json_string_value(json_object_get(known, "id"));
        args[2] = status && (!strcmp(status, "succeeded")
                             || !strcmp(status, "pending")
                             || !strcmp(status, "requires_action")
                             || !strcmp(status, "failed")
                             || !strcmp(status, "canceled"))
                  ? status : "pending";
        text_s(s, p, "cc_refund_state", 3, args, &fail);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01904)
                     "refund %s accepted by Stripe (%s)", rid, args[2]);
        return;
    }
    if (!err) {
        err = "unreadable_refund";
    }
    if (st >= 400 && st < 500 && st != 409 && st != 429) {
        /* Refused for good (e.g. charge_already_refunded): staff see it
         * in the payment and in health. */
        args[0] = err;
        args[1] = rid;
        text_s(s, p, "cc_refund_failed", 2, args, &fail);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CCLOGNO(01905)
                     "refund %s refused by Stripe: %s", rid, err);
        set_state(s, p, 1, NULL);
        return;
    }
    set_state(s, p, 0, err);
    args[0] = apr_psprintf(p, "%" APR_INT64_T_FMT, backoff_s(attempts));
    args[1] = err;
    /* After a 5xx: a new key next time, after looking the refund up
     * (stripe_refund). */
    args[2] = st >= 500 ? "1" : "0";
    args[3] = rid;
    text_s(s, p, "cc_refund_retry", 4, args, &fail);
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01906)
                 "refund %s not sent (attempt %d): %s; next try in %s s",
                 rid, attempts, err, args[0]);
}

/* ---- reconciliation ------------------------------------------------------------ */

/* Apply what Stripe says about a session, once per state. */
static void apply_session(apr_pool_t *p, server_rec *s, const char *pid,
                          const json_t *obj)
{
    cc_stripe_session_t ss;
    const char *type, *args[12];
    int fail;

    if (cc_stripe_session_read(obj, &ss) != 0 || !ss.status) {
        return;
    }
    if (!strcmp(ss.status, "complete")) {
        type = "checkout.session.completed";
    }
    else if (!strcmp(ss.status, "expired")) {
        type = "checkout.session.expired";
    }
    else {
        return;
    }
    args[0] = apr_pstrcat(p, "reconcile:", ss.id, ":", ss.status, ":",
                          ss.payment_status ? ss.payment_status : "", NULL);
    args[1] = type;
    args[2] = ss.id;
    args[3] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)ss.booking_id);
    args[4] = pid;
    args[5] = ss.payment_status ? ss.payment_status : "";
    args[6] = ss.payment_intent ? ss.payment_intent : "";
    args[7] = "0";
    args[8] = "";
    args[9] = "0";
    args[10] = mc_escalation_channels(s, p);
    args[11] = mc_config_gets(s, MC_CONFS_STAFF_URL)
               ? mc_config_gets(s, MC_CONFS_STAFF_URL) : "";
    text_s(s, p, "cc_pay_event", 12, args, &fail);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01907)
                 "payment %s reconciled: session %s", pid, ss.status);
}

static void reconcile_one(apr_pool_t *p, server_rec *s, const char **f)
{
    /* payment id, session id, booking still pending (t/f) */
    const char *err, *args[1];
    json_t *body;
    long st;
    int fail;

    if (!strcmp(f[2], "f")) {
        /* The booking is no longer waiting for this payment. */
        st = call(p, s, "POST", apr_pstrcat(p, "/v1/checkout/sessions/",
                                            f[1], "/expire", NULL), "",
                  apr_pstrcat(p, "concierge-expire-", f[1], NULL), &body,
                  &err);
        if (st < 200 || st > 299) {
            body = NULL;
        }
    }
    else {
        body = NULL;
    }
    if (!body) {
        st = call(p, s, "GET", apr_pstrcat(p, "/v1/checkout/sessions/",
                                           f[1], NULL), NULL, NULL, &body,
                  &err);
        if (st < 200 || st > 299) {
            if (st == 0 || st >= 500 || st == 429) {
                set_state(s, p, 0, err);
            }
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01908)
                         "payment %s: session not read: %s", f[0], err);
            body = NULL;
        }
    }
    if (body) {
        set_state(s, p, 1, NULL);
        apply_session(p, s, f[0], body);
    }
    args[0] = f[0];
    text_s(s, p, "cc_pay_recon_next", 1, args, &fail);
}

static void tick(apr_pool_t *p, server_rec *s, void *baton)
{
    apr_array_header_t *due;
    int i;

    due = mc_db_rows_s(s, p, "cc_refund_claim", 8);
    for (i = 0; due && i < due->nelts; i++) {
        refund_one(p, s, APR_ARRAY_IDX(due, i, const char **));
    }
    due = mc_db_rows_s(s, p, "cc_pay_recon_claim", 3);
    for (i = 0; due && i < due->nelts; i++) {
        reconcile_one(p, s, APR_ARRAY_IDX(due, i, const char **));
    }
}

void mc_stripe_child_init(apr_pool_t *p, server_rec *s)
{
    st_state = -1;
    st_last_err[0] = '\0';
    if (mc_stripe_configured(s)) {
        mc_ticker_start(p, s, "concierge-stripe", ST_TICK, tick, NULL);
    }
}

json_t *mc_stripe_health(request_rec *r)
{
    const char *text;
    json_t *o = NULL;
    int dbfail, n;

    text = mc_db_text(r, "cc_pay_health", 0, NULL, &dbfail);
    if (!dbfail && text) {
        o = mc_pg_json(r, text);
        if (o) {
            json_incref(o);
        }
    }
    if (!o) {
        o = json_object();
    }
    mc_stripe_webhook_secrets(&n);
    json_object_set_new(o, "configured",
                        json_boolean(mc_stripe_configured(r->server)));
    json_object_set_new(o, "webhook_secrets", json_integer(n));
    if (!mc_stripe_configured(r->server)) {
        json_object_set_new(o, "status", json_string("not_configured"));
    }
    return o;
}

/* ---- statements ------------------------------------------------------------ */

static const mc_stmt stmts[] = {
    { "cc_pay_begin",
      "SELECT (r || CASE WHEN r->>'outcome' = 'create' THEN (SELECT "
      "jsonb_build_object('email', b.patient_email, 'start', extract(epoch "
      "FROM b.start_at)::bigint) FROM bookings b WHERE b.id = "
      "(r->'payment'->>'booking_id')::bigint) ELSE '{}' END)::text FROM "
      "concierge_payment_begin(%lld, %d) r" },
    { "cc_pay_opened",
      "SELECT concierge_payment_opened(%lld, %s, %s)::text" },
    { "cc_pay_create_failed",
      "SELECT concierge_payment_create_failed(%lld, %s, %s::boolean)::text" },
    { "cc_pay_state",
      "UPDATE stripe_status SET ok = v.ok, last_ok_at = CASE WHEN v.ok THEN "
      "now() ELSE last_ok_at END, last_error = CASE WHEN v.ok THEN "
      "last_error ELSE nullif(v.err, '') END, last_error_at = CASE WHEN v.ok "
      "THEN last_error_at ELSE now() END FROM (SELECT %s::boolean AS ok, "
      "%s::text AS err) v WHERE id = 1 RETURNING 1" },
    { "cc_pay_event",
      "SELECT concierge_stripe_event(%s, %s, %s, %lld, %lld, %s, %s, %lld, "
      "%s, %lld, %s::text[], %s)::text" },
    { "cc_refund_claim",
      "WITH c AS (UPDATE refunds SET locked_until = now() + interval "
      "'60 seconds', attempts = attempts + 1 WHERE id IN (SELECT id FROM "
      "refunds WHERE status = 'queued' AND next_at <= now() AND "
      "(locked_until IS NULL OR locked_until < now()) ORDER BY id LIMIT 10 "
      "FOR UPDATE SKIP LOCKED) RETURNING *) SELECT c.id, "
      "coalesce(p.payment_intent, ''), c.amount_cents, c.reason, c.key_gen, "
      "c.attempts, p.booking_id, s.key_salt FROM c JOIN payments p ON p.id "
      "= c.payment_id, stripe_status s WHERE s.id = 1 ORDER BY c.id" },
    { "cc_refund_state",
      "SELECT concierge_refund_state(%lld, %s, %s)" },
    { "cc_refund_failed",
      "UPDATE refunds SET status = 'failed', last_error = left(%s, 300), "
      "locked_until = NULL, updated_at = now() WHERE id = %lld RETURNING 1" },
    { "cc_refund_retry",
      "UPDATE refunds SET next_at = now() + make_interval(secs => %s::int), "
      "last_error = left(%s, 300), key_gen = key_gen + %s::int, "
      "locked_until = NULL, updated_at = now() WHERE id = %lld RETURNING 1" },
    /* Open sessions due a look, and open sessions whose booking stopped
     * waiting for them (to be expired at Stripe). */
    { "cc_pay_recon_claim",
      "WITH c AS (UPDATE payments SET recon_locked_until = now() + interval "
      "'60 seconds' WHERE id IN (SELECT p.id FROM payments p JOIN bookings "
      "b ON b.id = p.booking_id WHERE p.status IN ('open', 'processing') "
      "AND p.session_id IS NOT NULL AND (p.recon_next_at <= now() OR "
      "(p.status = 'open' AND b.status <> 'pending_payment')) AND "
      "(p.recon_locked_until IS NULL OR p.recon_locked_until < now()) "
      "ORDER BY p.id LIMIT 10 FOR UPDATE OF p SKIP LOCKED) RETURNING id, "
      "session_id, booking_id) SELECT c.id, c.session_id, CASE WHEN "
      "b.status = 'pending_payment' THEN 't' ELSE 'f' END FROM c JOIN "
      "bookings b ON b.id = c.booking_id ORDER BY c.id" },
    /* Next look: open - at its expiry (and every 10 minutes before);
     * processing - hourly; past expiry - every 5 minutes. */
    { "cc_pay_recon_next",
      "UPDATE payments SET recon_locked_until = NULL, recon_next_at = CASE "
      "WHEN status = 'processing' THEN now() + interval '1 hour' WHEN "
      "status = 'open' AND expires_at > now() THEN least(expires_at + "
      "interval '1 minute', now() + interval '10 minutes') WHEN status = "
      "'open' THEN now() + interval '5 minutes' END WHERE id = %lld "
      "RETURNING 1" },
    { "cc_pay_health",
      "SELECT json_build_object('status', CASE WHEN s.ok IS NULL THEN "
      "'unknown' WHEN s.ok THEN 'ok' ELSE 'error' END, 'reachable', s.ok, "
      "'last_ok_at', s.last_ok_at, 'last_error', s.last_error, "
      "'last_error_at', s.last_error_at, 'last_webhook_at', (SELECT "
      "max(received_at) FROM stripe_events), 'refunds_queued', (SELECT count(*) FROM refunds "
      "WHERE status = 'queued'), 'refunds_failed', (SELECT count(*) FROM "
      "refunds WHERE status = 'failed'), 'oldest_refund_queued_s', (SELECT "
      "coalesce(floor(extract(epoch FROM now() - min(created_at))), 0) FROM "
      "refunds WHERE status = 'queued'), 'sessions_open', (SELECT count(*) "
      "FROM payments WHERE status IN ('creating', 'open')))::text FROM "
      "stripe_status s WHERE s.id = 1" },
    { NULL, NULL }
};
MC_RESOURCE(stripe, NULL, stmts);
