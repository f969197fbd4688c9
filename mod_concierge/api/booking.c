/*
 * api/booking.c - booking for patients and staff.
 *
 *   GET  /api/services                       active services
 *   GET  /api/slots?service_id=&from=&days=[&practitioner_id=]
 *   POST /api/bookings          (Idempotency-Key)
 *   GET  /api/bookings/{id}                   \
 *   POST /api/bookings/{id}/cancel             > X-Manage-Token
 *   POST /api/bookings/{id}/reschedule        /
 *   GET  /api/admin/bookings[/{id}], POST /api/admin/bookings/{id}/cancel|reschedule
 *
 * Availability comes from the booking service (mod_concierge_booking.c);
 * PostgreSQL has the last word: the exclusion constraint
 * bookings_no_overlap makes overlapping bookings of one practitioner
 * impossible, whatever the concurrency or number of hosts, and
 * concierge_book() (sql/functions/booking.sql) does idempotency, the
 * insert, the audit entry, the event and the calendar outbox in one
 * transaction.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_stripe.h"
#include "util_script.h"
#include "cc_clinic.h"
#include "cc_manage.h"
#include "cc_token.h"
#include "cc_json.h"
#include "cc_time.h"
#include "cc_tz.h"
#include "cc_valid.h"

#define BK_ALTERNATIVES    5

static apr_int64_t jint(json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
}

static const char *rfc3339(request_rec *r, int64_t t)
{
    return cc_tz_rfc3339(r->pool, mc_booking_tz(r->server), t);
}

static const char *day_string(apr_pool_t *p, int64_t day)
{
    int y, m, d;

    cc_civil_from_days(day, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

/* ---- GET /api/services --------------------------------------------------- */

static int mc_api_services(mc_ctx *c)
{
    int dbfail;
    const char *text = mc_db_text(c->r, "cc_bk_services", 0, NULL, &dbfail);
    json_t *a;

    if (dbfail || !(a = mc_pg_json(c->r, text))) {
        return mc_error(c, 503, "db_unavailable",
                        "the clinic's services cannot be read right now");
    }
    return mc_reply(c, 200, json_pack("{s:O}", "services", a));
}

/* ---- GET /api/slots ---------------------------------------------------------- */

/* from=YYYY-MM-DD (default: today in the clinic's zone). */
static apr_status_t arg_day(mc_ctx *c, int64_t *day)
{
    const char *from = NULL;
    const char *q = c->r->args;

    *day = cc_clinic_local_day(mc_booking_tz(c->r->server),
                     (int64_t)apr_time_sec(apr_time_now()));
    if (q) {
        apr_table_t *t = NULL;

        ap_args_to_table(c->r, &t);
        from = t ? apr_table_get(t, "from") : NULL;
    }
    if (from && !cc_date_parse(from, day)) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static int mc_api_slots(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t service, pract, days;
    int64_t from;
    mc_avail av;

    /* mc_arg_int answers 400 itself when a value is bad. */
    if (mc_arg_int(c, "service_id", -1, 1, APR_INT64_MAX, &service)
        != APR_SUCCESS
        || mc_arg_int(c, "practitioner_id", 0, 1, APR_INT64_MAX, &pract)
           != APR_SUCCESS
        || mc_arg_int(c, "days", 7, 1, MC_BOOKING_MAX_DAYS, &days) != APR_SUCCESS) {
        return OK;
    }
    if (service < 0) {
        return mc_error(c, 400, "invalid_parameter", "service_id is required "
                        "(GET /api/services lists them)");
    }
    if (arg_day(c, &from) != APR_SUCCESS) {
        return mc_error(c, 400, "invalid_parameter", "from must be a date "
                        "YYYY-MM-DD");
    }
    if (mc_booking_availability(c, service, pract, NULL, from, (int)days, &av)
        != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "availability cannot be "
                        "read right now");
    }
    if (!av.service) {
        return mc_error(c, 404, "unknown_service", "no active service with "
                        "that id");
    }
    if (av.window) {
        return mc_error(c, 400, "invalid_parameter", av.window < 0
                        ? "from is before today (in the clinic's time zone)"
                        : "from is beyond the booking horizon of %d days",
                        (int)json_integer_value(json_object_get(
                            av.settings, "horizon_days")));
    }
    {
        const char *unavail = cc_json_dump(r->pool, av.unavailable, NULL);
        const char *text = apr_pstrcat(r->pool, "{\"timezone\":\"",
            mc_config_timezone(r->server), "\",\"service_id\":",
            apr_psprintf(r->pool, "%" APR_INT64_T_FMT, service),
            ",\"from\":\"", day_string(r->pool, from), "\",\"days\":",
            apr_psprintf(r->pool, "%" APR_INT64_T_FMT, days),
            ",\"slots\":", cc_clinic_slots_text(r->pool, mc_booking_tz(r->server),
                                                  av.slots),
            ",\"calendar_unavailable\":", unavail, "}", NULL);

        return mc_reply_raw(c, 200, "application/json", text, strlen(text));
    }
}

/* ---- booking replies ---------------------------------------------------------- */

/* The public view of a booking row (concierge_booking_json). */
static json_t *booking_view(mc_ctx *c, json_t *b, json_t *settings)
{
    request_rec *r = c->r;
    json_t *v = cc_clinic_booking_view(r->pool, mc_booking_tz(r->server),
                                       mc_config_timezone(r->server), b,
                                       settings);
    json_t *pay = json_object_get(v, "payment");

    if (json_is_object(pay) && mc_stripe_configured(r->server)) {
        json_object_set_new(pay, "message", json_string(
            "This treatment is paid when booking: pay with POST "
            "/api/payments (the booking's pay link) before hold_until, or "
            "the slot is released."));
    }
    return v;
}

static int reply_slot_taken(mc_ctx *c, apr_int64_t service,
                            apr_int64_t pract, int64_t start)
{
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    json_t *body;
    mc_avail av;

    body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "slot_taken",
                     "message", "that time is no longer available; here are "
                     "the nearest free times", "request_id", c->rid);
    if (mc_booking_availability(c, service, pract, NULL, cc_clinic_local_day(tz, start), 7, &av)
        == APR_SUCCESS && av.service) {
        json_object_set_new(body, "alternatives",
                            cc_clinic_slots_json(r->pool, tz, av.slots,
                                                 start - 3600,
                                                 BK_ALTERNATIVES));
    }
    else {
        json_object_set_new(body, "alternatives", json_array());
    }
    return mc_reply(c, 409, body);
}

/* Why requested start has no slot: 422 with the reason, or 409 taken. */
static int reply_no_slot(mc_ctx *c, const mc_avail *av, apr_int64_t service,
                         apr_int64_t pract, int64_t start)
{
    request_rec *r = c->r;
    cc_problem_t prob;

    memset(&prob, 0, sizeof(prob));
    if (cc_clinic_no_slot_why(av->settings, mc_booking_tz(r->server), start,
                              (int64_t)apr_time_sec(apr_time_now()), &prob)
        != APR_SUCCESS) {
        return mc_error_problem(c, &prob);
    }
    return reply_slot_taken(c, service, pract, start);
}

/* A booking waiting for payment: its Checkout Session at once (the chat
 * offers it as a "pay" action).  Stripe down, slow or not configured
 * changes nothing: the booking stands, its hold is kept, and
 * POST /api/payments tries again. */
static void add_payment(mc_ctx *c, json_t *view, json_t *b)
{
    const char *st = json_string_value(json_object_get(b, "status"));
    json_t *pay = json_object_get(view, "payment"), *v;
    mc_pay_out out;

    if (!st || strcmp(st, "pending_payment") || !json_is_object(pay)) {
        return;
    }
    switch (mc_stripe_checkout(c->r, jint(b, "id"), &out)) {
    case MC_PAY_OPEN:
        v = mc_stripe_payment_view(c->r, out.payment);
        json_object_update(pay, v);
        json_decref(v);
        json_object_set_new(pay, "message", json_string(
            "Pay with the link to confirm the booking; the slot is held "
            "until expires_at."));
        json_object_set_new(view, "actions", json_pack(
            "[{s:s, s:s, s:O}]", "type", "pay", "label", "Pay now", "url",
            json_object_get(pay, "url")));
        return;
    case MC_PAY_NOT_CONFIGURED:
        json_object_set_new(pay, "status", json_string("not_configured"));
        return;
    case MC_PAY_NOTHING:
        json_object_set_new(pay, "status", json_string(out.outcome
                                                       ? out.outcome
                                                       : "none"));
        return;
    default:
        json_object_set_new(pay, "status", json_string("unavailable"));
        json_object_set_new(pay, "message", json_string(
            "The payment service is not answering. Your booking is held "
            "until hold_until: pay with POST /api/payments in a minute."));
        return;
    }
}

/* 201 with the booking and its manage token: tok when the caller just made
 * it, else derived again from the stored nonce, so a replay gets it too
 * (unless the key changed since, e.g. no ConciergeSecret and a restart:
 * then null). */
static int reply_created(mc_ctx *c, json_t *b, json_t *settings, int replay,
                         const char *tok)
{
    request_rec *r = c->r;
    json_t *view = booking_view(c, b, settings);
    const char *nonce = json_string_value(json_object_get(b, "token_nonce"));
    const char *want = json_string_value(json_object_get(b, "token_hash"));

    if (!tok && nonce) {
        tok = mc_booking_manage_token(r->pool, nonce);
    }
    if (cc_manage_token_check(tok, want)) {
        json_object_set_new(view, "manage_token", json_string(tok));
    }
    else {
        json_object_set_new(view, "manage_token", json_null());
    }
    if (replay) {
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    }
    add_payment(c, view, b);
    apr_table_setn(r->headers_out, "Location",
                   apr_psprintf(r->pool, "/api/bookings/%" APR_INT64_T_FMT,
                                jint(b, "id")));
    return mc_reply(c, 201, view);
}

/* The first outcome of an Idempotency-Key, answered (OK); DECLINED when
 * the key is new. */
static int idem_replay(mc_ctx *c, const char *key, const char *req_hash,
                       apr_int64_t service, apr_int64_t pract, int64_t start)
{
    const char *kargs[1], *text, *h;
    json_t *k;
    int dbfail;

    kargs[0] = key;
    /* Given back at once: availability (Google) comes next, and the
     * booking's own statement acquires after it (issue 12 item 3). */
    text = mc_db_text_brief(c->r, "cc_bk_idem_get", 1, kargs, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "bookings cannot be made "
                        "right now; please try again");
    }
    if (!text || !*text) {
        return DECLINED;
    }
    k = mc_pg_json(c->r, text);
    h = k ? json_string_value(json_object_get(k, "request_hash")) : NULL;
    if (!h || strcmp(h, req_hash)) {
        return mc_error(c, 422, "idempotency_key_reused", "this "
                        "Idempotency-Key was used for a different request");
    }
    if (json_is_object(json_object_get(k, "booking"))) {
        return reply_created(c, json_object_get(k, "booking"), NULL, 1, NULL);
    }
    return reply_slot_taken(c, service, pract, start);
}

/* ---- POST /api/bookings ---------------------------------------------------------- */

static int mc_api_bookings_create(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *start_s = NULL, *name = NULL, *email = NULL, *phone = "";
    const char *session = NULL, *key, *args[16], *text, *outcome, *nonce;
    const char *req_hash, *token;
    json_int_t service = 0, pract = 0;
    json_error_t jerr;
    json_t *res, *b;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    const cc_clinic_slot_t *slot;
    int64_t start;
    mc_avail av;
    int dbfail;

    if (json_unpack_ex(c->body, &jerr, JSON_STRICT,
                       "{s:I, s:s, s?I, s:{s:s, s:s, s?s}, s?s}",
                       "service_id", &service, "start", &start_s,
                       "practitioner_id", &pract, "patient", "name", &name,
                       "email", &email, "phone", &phone,
                       "session_id", &session) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"service_id\": "
                        "int, \"start\": RFC 3339, \"practitioner_id\"?: int, "
                        "\"patient\": {\"name\", \"email\", \"phone\"?}, "
                        "\"session_id\"?}: %s", jerr.text);
    }
    if (service < 1
        || (json_object_get(c->body, "practitioner_id") && pract < 1)) {
        return mc_error(c, 422, "invalid_id", "service_id and practitioner_id "
                        "are positive whole numbers");
    }                                   /* pract 0 from here on: anyone */
    if (!cc_rfc3339_parse(start_s, &start)) {
        return mc_error(c, 422, "invalid_start", "start must be an RFC 3339 "
                        "date-time with an offset, as GET /api/slots gives");
    }
    if (!cc_clinic_start_whole(start_s)) {
        return mc_error(c, 422, "misaligned_start", "appointments start on "
                        "whole minutes; use a start from GET /api/slots");
    }
    if (!cc_name_valid(name, 200)) {
        return mc_error(c, 422, "invalid_name", "patient.name must be 1..200 "
                        "characters without control characters");
    }
    if (!cc_email_valid(email)) {
        return mc_error(c, 422, "invalid_email", "patient.email is not a "
                        "valid e-mail address");
    }
    if (*phone && !cc_phone_valid(phone)) {
        return mc_error(c, 422, "invalid_phone", "patient.phone must be a "
                        "phone number (digits, spaces, + ( ) - .)");
    }
    if (session && !cc_token_valid(session)) {
        return mc_error(c, 422, "invalid_session", "session_id is not one "
                        "this service issued");
    }
    key = apr_table_get(r->headers_in, "Idempotency-Key");
    if (key && !cc_idem_key_valid(key)) {
        return mc_error(c, 400, "invalid_idempotency_key", "Idempotency-Key "
                        "must be 1..255 printable ASCII characters");
    }
    if (start <= (int64_t)apr_time_sec(apr_time_now())) {
        return mc_error(c, 422, "start_in_past", "that time has passed");
    }
    {
        /* The request hash: canonical JSON (sorted keys, compact), so a
         * retry with other whitespace or key order is the same request. */
        char *canon = json_dumps(c->body, JSON_COMPACT | JSON_SORT_KEYS);

        if (!canon) {
            return mc_error(c, 500, "internal_error", "out of memory");
        }
        req_hash = cc_sha256_hex(r->pool, canon, strlen(canon));
        free(canon);
    }
    /* A key seen before: its first outcome, before anything else (the
     * slot it took is of course no longer free). */
    if (key && idem_replay(c, key, req_hash, service, pract, start)
               != DECLINED) {
        return OK;
    }
    /* The slot must be one GET /api/slots offers right now. */
    if (mc_booking_availability(c, service, pract, NULL, cc_clinic_local_day(tz, start), 1, &av)
        != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "bookings cannot be made "
                        "right now; please try again or call the clinic");
    }
    if (!av.service) {
        return mc_error(c, 404, "unknown_service", "no active service with "
                        "that id");
    }
    if (pract && av.npract == 0) {
        return mc_error(c, 422, "unknown_practitioner", "that practitioner "
                        "does not offer this service");
    }
    slot = cc_clinic_slot_find(av.slots, start, pract);
    if (!slot) {
        /* The same key may have just taken this very slot (a concurrent
         * retry): its result, not a refusal. */
        if (key && idem_replay(c, key, req_hash, service, pract, start)
                   != DECLINED) {
            return OK;
        }
        return reply_no_slot(c, &av, service, pract, start);
    }
    if (!(nonce = cc_token_new(r->pool))) {
        return mc_error(c, 500, "internal_error", "no random source");
    }
    token = mc_booking_manage_token(r->pool, nonce);
    if (!token) {
        return mc_error(c, 500, "internal_error", "no manage token");
    }
    args[0] = key ? key : "";
    args[1] = req_hash;
    args[2] = MC_I64(r->pool, service);
    args[3] = MC_I64(r->pool, slot->practitioner);
    args[4] = cc_rfc3339_utc(r->pool, slot->start);
    args[5] = cc_rfc3339_utc(r->pool, slot->end);
    args[6] = cc_rfc3339_utc(r->pool, slot->start
                             - jint(av.service, "buffer_before_min") * 60);
    args[7] = cc_rfc3339_utc(r->pool, slot->end
                             + jint(av.service, "buffer_after_min") * 60);
    args[8] = name;
    args[9] = email;
    args[10] = phone;
    args[11] = session ? cc_sha256_hex(r->pool, session, strlen(session)) : "";
    args[12] = cc_sha256_hex(r->pool, token, strlen(token));
    args[13] = nonce;
    args[14] = c->rid;
    args[15] = session ? "chat" : "api";
    /* Given back at once: a paid service calls Stripe next. */
    text = mc_db_text_brief(c->r, "cc_bk_book", 16, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(c->r, text))) {
        return mc_error(c, 503, "db_unavailable", "the booking could not be "
                        "saved; nothing was booked - please try again");
    }
    outcome = json_string_value(json_object_get(res, "outcome"));
    outcome = outcome ? outcome : "";
    if (!strcmp(outcome, "key_mismatch")) {
        return mc_error(c, 422, "idempotency_key_reused", "this "
                        "Idempotency-Key was used for a different request");
    }
    if (!strcmp(outcome, "taken") || !strcmp(outcome, "replay_taken")) {
        return reply_slot_taken(c, service, pract, start);
    }
    b = json_object_get(res, "booking");
    if (!json_is_object(b)) {
        return mc_error(c, 500, "internal_error", "booking not readable");
    }
    /* Created now: the token made above; a replay (a concurrent retry
     * with this key won): derived again from the stored nonce. */
    return reply_created(c, b, av.settings, !strcmp(outcome, "replay"),
                         strcmp(outcome, "created") ? NULL : token);
}

/* ---- managing a booking ---------------------------------------------------------- */

/* The booking when X-Manage-Token matches it; otherwise answers (401 no
 * token, 404 unknown or wrong token: the same answer, so ids cannot be
 * probed) and returns NULL. */
static json_t *authorised_booking(mc_ctx *c, apr_int64_t *id,
                                  json_t **settings)
{
    request_rec *r = c->r;
    const char *tok = apr_table_get(r->headers_in, "X-Manage-Token");
    const char *args[1], *text, *want;
    json_t *b, *st;
    int dbfail;

    *id = mc_param_id(c, "id");
    if (*id < 0) {
        return NULL;
    }
    if (!tok || !*tok) {
        mc_error(c, 401, "manage_token_required", "send the booking's "
                 "manage token in the X-Manage-Token header");
        return NULL;
    }
    args[0] = MC_I64(r->pool, *id);
    text = mc_db_text(c->r, "cc_bk_get", 1, args, &dbfail);
    if (dbfail) {
        mc_error(c, 503, "db_unavailable", "bookings cannot be read right "
                 "now");
        return NULL;
    }
    b = mc_pg_json(c->r, text);
    want = b ? json_string_value(json_object_get(b, "token_hash")) : NULL;
    if (!cc_manage_token_check(tok, want)) {
        mc_error(c, 404, "booking_not_found", "no booking with that id and "
                 "manage token");
        return NULL;
    }
    text = mc_db_text(c->r, "cc_bk_settings", 0, NULL, &dbfail);
    st = dbfail ? NULL : mc_pg_json(c->r, text);
    *settings = st;
    return b;
}

static int mc_api_booking_get(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;
    json_t *b = authorised_booking(c, &id, &st);

    if (!b) {
        return OK;
    }
    return mc_reply(c, 200, booking_view(c, b, st));
}

/* Outcomes of concierge_booking_cancel / _move that are refusals. */
static int refuse(mc_ctx *c, json_t *res, const char *what)
{
    cc_problem_t prob;

    cc_clinic_refusal(&prob, res, !strcmp(what, "cancel"));
    return mc_error_problem(c, &prob);
}

static int do_cancel(mc_ctx *c, apr_int64_t id, json_t *st, int staff)
{
    request_rec *r = c->r;
    const char *reason = "", *args[5], *text, *o;
    json_error_t jerr;
    json_t *res;
    int dbfail;

    if (c->body && json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s?s}",
                                  "reason", &reason) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"reason\"?: "
                        "string}: %s", jerr.text);
    }
    if (strlen(reason) > 500 || (*reason && !cc_name_valid(reason, 500))) {
        return mc_error(c, 422, "invalid_reason", "reason: at most 500 "
                        "characters, no control characters");
    }
    args[0] = MC_I64(r->pool, id);
    args[1] = reason;
    args[2] = staff ? c->user : "patient";
    args[3] = c->rid;
    args[4] = staff ? "true" : "false";
    text = mc_db_text(c->r, "cc_bk_cancel", 5, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(c->r, text))) {
        return mc_error(c, 503, "db_unavailable", "the booking could not be "
                        "cancelled right now; it is unchanged");
    }
    o = json_string_value(json_object_get(res, "outcome"));
    if (!o || strcmp(o, "cancelled")) {
        return refuse(c, res, "cancel");
    }
    return mc_reply(c, 200, json_pack("{s:o, s:O}", "booking",
        booking_view(c, json_object_get(res, "booking"), st), "late",
        json_object_get(res, "late")));
}

static int mc_api_booking_cancel(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;

    if (!authorised_booking(c, &id, &st)) {
        return OK;
    }
    return do_cancel(c, id, st, 0);
}

static int do_move(mc_ctx *c, apr_int64_t id, json_t *b, json_t *st,
                   int staff)
{
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    const char *start_s = NULL, *args[9], *text, *o;
    json_int_t pract = 0;
    apr_int64_t service = jint(b, "service_id");
    mc_booking_own own;
    const cc_clinic_slot_t *slot;
    json_error_t jerr;
    json_t *res;
    int64_t start;
    mc_avail av;
    int dbfail;

    if (!c->body || json_unpack_ex(c->body, &jerr, JSON_STRICT,
                                   "{s:s, s?I}", "start", &start_s,
                                   "practitioner_id", &pract) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"start\": RFC "
                        "3339, \"practitioner_id\"?: int}%s%s",
                        c->body ? ": " : "", c->body ? jerr.text : "");
    }
    if (json_object_get(c->body, "practitioner_id") && pract < 1) {
        return mc_error(c, 422, "invalid_id", "practitioner_id must be "
                        "positive");
    }
    if (!cc_rfc3339_parse(start_s, &start)) {
        return mc_error(c, 422, "invalid_start", "start must be an RFC 3339 "
                        "date-time with an offset");
    }
    if (!cc_clinic_start_whole(start_s)) {
        return mc_error(c, 422, "misaligned_start", "appointments start on "
                        "whole minutes; use a start from GET /api/slots");
    }
    if (start <= (int64_t)apr_time_sec(apr_time_now())) {
        return mc_error(c, 422, "start_in_past", "that time has passed");
    }
    own.id = id;
    own.practitioner = jint(b, "practitioner_id");
    own.start = jint(b, "start");
    own.end = jint(b, "end");
    if (mc_booking_availability(c, service, pract, &own, cc_clinic_local_day(tz, start), 1, &av)
        != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "the booking cannot be "
                        "moved right now; it is unchanged");
    }
    if (!av.service) {
        return mc_error(c, 409, "service_unavailable", "this service is no "
                        "longer offered; please call the clinic");
    }
    /* Without a practitioner asked for, the booking keeps its own when
     * they are free then. */
    slot = cc_clinic_slot_find(av.slots, start,
                               pract ? pract : own.practitioner);
    if (!pract && !slot) {
        slot = cc_clinic_slot_find(av.slots, start, 0);
    }
    if (!slot) {
        return reply_no_slot(c, &av, service, pract, start);
    }
    args[0] = MC_I64(r->pool, id);
    args[1] = MC_I64(r->pool, slot->practitioner);
    args[2] = cc_rfc3339_utc(r->pool, slot->start);
    args[3] = cc_rfc3339_utc(r->pool, slot->end);
    args[4] = cc_rfc3339_utc(r->pool, slot->start
                             - jint(av.service, "buffer_before_min") * 60);
    args[5] = cc_rfc3339_utc(r->pool, slot->end
                             + jint(av.service, "buffer_after_min") * 60);
    args[6] = staff ? c->user : "patient";
    args[7] = c->rid;
    args[8] = staff ? "true" : "false";
    text = mc_db_text(c->r, "cc_bk_move", 9, args, &dbfail);
    if (dbfail || !(res = mc_pg_json(c->r, text))) {
        return mc_error(c, 503, "db_unavailable", "the booking cannot be "
                        "moved right now; it is unchanged");
    }
    o = json_string_value(json_object_get(res, "outcome"));
    if (o && !strcmp(o, "taken")) {
        return reply_slot_taken(c, service, pract, start);
    }
    if (!o || strcmp(o, "moved")) {
        return refuse(c, res, "reschedule");
    }
    return mc_reply(c, 200, json_pack("{s:o}", "booking", booking_view(
        c, json_object_get(res, "booking"), st)));
}

static int mc_api_booking_reschedule(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;
    json_t *b = authorised_booking(c, &id, &st);

    if (!b) {
        return OK;
    }
    return do_move(c, id, b, st, 0);
}

/* ---- staff ------------------------------------------------------------------------ */

static json_t *staff_booking(mc_ctx *c, apr_int64_t *id, json_t **st)
{
    request_rec *r = c->r;
    const char *args[1], *text;
    json_t *b;
    int dbfail;

    *id = mc_param_id(c, "id");
    if (*id < 0) {
        return NULL;
    }
    args[0] = MC_I64(r->pool, *id);
    text = mc_db_text(c->r, "cc_bk_get", 1, args, &dbfail);
    if (dbfail) {
        mc_error(c, 503, "db_unavailable", "bookings cannot be read now");
        return NULL;
    }
    if (!(b = mc_pg_json(c->r, text))) {
        mc_error(c, 404, "booking_not_found", "no booking with that id");
        return NULL;
    }
    text = mc_db_text(c->r, "cc_bk_settings", 0, NULL, &dbfail);
    *st = dbfail ? NULL : mc_pg_json(c->r, text);
    return b;
}

static int mc_api_admin_booking_get(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;
    json_t *b = staff_booking(c, &id, &st);

    if (!b) {
        return OK;
    }
    /* A patient's details read by staff: recorded, like conversations. */
    if (mc_audit_append_tx(c->r, c->user, "booking.read",
                           apr_psprintf(c->r->pool, "booking/%"
                                        APR_INT64_T_FMT, id), NULL)
        != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "the read could not be "
                        "recorded; try again");
    }
    return mc_reply(c, 200, booking_view(c, b, st));
}

static int mc_api_admin_booking_cancel(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;

    if (!staff_booking(c, &id, &st)) {
        return OK;
    }
    return do_cancel(c, id, st, 1);
}

static int mc_api_admin_booking_reschedule(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;
    json_t *b = staff_booking(c, &id, &st);

    return b ? do_move(c, id, b, st, 1) : OK;
}

/* GET /api/admin/bookings?from=&to=&status=&practitioner_id=&limit=&before= */
static int mc_api_admin_bookings(mc_ctx *c)
{
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    apr_table_t *t = NULL;
    const char *from_s, *to_s, *status, *args[7], *text;
    apr_int64_t pract, limit, before;
    int64_t from, to;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;
    json_t *rows;

    ap_args_to_table(r, &t);
    from_s = t ? apr_table_get(t, "from") : NULL;
    to_s = t ? apr_table_get(t, "to") : NULL;
    status = t ? apr_table_get(t, "status") : NULL;
    from = cc_clinic_local_day(tz, (int64_t)apr_time_sec(apr_time_now())) - 30;
    to = from + 30 + 90;
    if ((from_s && !cc_date_parse(from_s, &from))
        || (to_s && !cc_date_parse(to_s, &to)) || to < from) {
        return mc_error(c, 400, "invalid_parameter", "from and to are dates "
                        "YYYY-MM-DD, from <= to");
    }
    if (status && strcmp(status, "pending_payment")
        && strcmp(status, "confirmed") && strcmp(status, "cancelled")
        && strcmp(status, "expired")) {
        return mc_error(c, 400, "invalid_parameter", "status is one of "
                        "pending_payment, confirmed, cancelled, expired");
    }
    if (mc_arg_int(c, "practitioner_id", 0, 1, APR_INT64_MAX, &pract)
            != APR_SUCCESS
        || mc_arg_int(c, "limit", 50, 1, 500, &limit) != APR_SUCCESS
        || mc_arg_int(c, "before", 0, 1, APR_INT64_MAX, &before)
            != APR_SUCCESS) {
        return OK;      /* answered by mc_arg_int */
    }
    args[0] = mc_config_timezone(r->server);
    args[1] = day_string(r->pool, from);
    args[2] = day_string(r->pool, to + 1);
    args[3] = status ? status : "";
    args[4] = MC_I64(r->pool, pract);
    args[5] = MC_I64(r->pool, before);
    args[6] = MC_I64(r->pool, limit);
    dbd = mc_db_acquire(r);
    if (!dbd || mc_db_select(r, dbd, "cc_bk_list", &res, 7, args)
                != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error(c, 503, "db_unavailable", "bookings cannot be read");
    }
    text = apr_dbd_get_entry(dbd->driver, row, 0);
    rows = mc_pg_json(c->r, text);
    if (!rows) {
        return mc_error(c, 500, "internal_error", "bookings unreadable");
    }
    if (json_array_size(rows)
        && mc_audit_append_tx(r, c->user, "booking.list", "bookings",
                              cc_json_dump(r->pool, cc_json_pool_own(
                                  r->pool, json_pack("{s:s, s:s, s:s, s:I}",
                                  "from", args[1], "to", args[2], "status",
                                  args[3], "count",
                                  (json_int_t)json_array_size(rows))), NULL))
           != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "the read could not be "
                        "recorded; try again");
    }
    {
        size_t i;
        json_t *b;

        json_array_foreach(rows, i, b) {
            json_object_set_new(b, "start",
                                json_string(rfc3339(r, jint(b, "start"))));
            json_object_set_new(b, "end",
                                json_string(rfc3339(r, jint(b, "end"))));
        }
    }
    return mc_reply_page(c, "bookings", cc_json_dump(r->pool, rows, NULL),
                         apr_dbd_get_entry(dbd->driver, row, 1), limit);
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/services", mc_api_services, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "The services patients can book",
      NULL, MC_SHAPE("public_service_list") },
    { "GET", "/api/slots", mc_api_slots, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "Free slots of a service over a date range",
      NULL, MC_SHAPE("slot_list") },
    { "POST", "/api/bookings", mc_api_bookings_create, MC_ROLE_PUBLIC,
      MC_RL_BOOKING, 8 * KB, MC_BODY_JSON,
      "Book a slot (idempotent with Idempotency-Key)",
      MC_SHAPE("booking_request"), MC_SHAPE("booking") },
    { "GET", "/api/bookings/{id}", mc_api_booking_get, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "A booking, with its manage token",
      NULL, MC_SHAPE("booking") },
    { "POST", "/api/bookings/{id}/cancel", mc_api_booking_cancel,
      MC_ROLE_PUBLIC, MC_RL_BOOKING, 2 * KB, MC_BODY_JSON_OPT,
      "Cancel a booking (manage token)",
      MC_SHAPE("cancel"), MC_SHAPE("booking") },
    { "POST", "/api/bookings/{id}/reschedule", mc_api_booking_reschedule,
      MC_ROLE_PUBLIC, MC_RL_BOOKING, 2 * KB, MC_BODY_JSON,
      "Move a booking to another free slot (manage token)",
      MC_SHAPE("reschedule"), MC_SHAPE("booking") },
    { "GET", "/api/admin/bookings", mc_api_admin_bookings, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Bookings in a date range, newest first",
      NULL, MC_SHAPE("booking_list") },
    { "GET", "/api/admin/bookings/{id}", mc_api_admin_booking_get,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One booking (the read is audited)",
      NULL, MC_SHAPE("booking") },
    { "POST", "/api/admin/bookings/{id}/cancel", mc_api_admin_booking_cancel,
      MC_ROLE_STAFF, MC_RL_ADMIN, 2 * KB, MC_BODY_JSON_OPT,
      "Cancel a booking for the patient",
      MC_SHAPE("cancel"), MC_SHAPE("booking") },
    { "POST", "/api/admin/bookings/{id}/reschedule", mc_api_admin_booking_reschedule,
      MC_ROLE_STAFF, MC_RL_ADMIN, 2 * KB, MC_BODY_JSON,
      "Move a booking for the patient",
      MC_SHAPE("reschedule"), MC_SHAPE("booking") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_bk_services",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
      "'description', description, 'duration_min', duration_min, "
      "'price_cents', price_cents, 'currency', currency, "
      "'buffer_before_min', buffer_before_min, 'buffer_after_min', "
      "buffer_after_min, 'requires_payment', requires_payment) ORDER BY id), "
      "'[]')::text FROM services WHERE active" },
    { "cc_bk_book",
      "SELECT concierge_book(nullif(%s, ''), %s, %lld, %lld, %s::timestamptz, "
      "%s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s, %s, "
      "nullif(%s, ''), %s, %s, %s, %s)::text" },
    { "cc_bk_get", "SELECT concierge_booking_json(%lld)::text" },
    { "cc_bk_idem_get",
      "SELECT json_build_object('request_hash', request_hash, 'booking', "
      "CASE WHEN booking_id IS NOT NULL THEN "
      "concierge_booking_json(booking_id) END)::text FROM idempotency_keys "
      "WHERE key = %s" },
    { "cc_bk_settings",
      "SELECT row_to_json(c)::text FROM clinic_settings c WHERE id = 1" },
    { "cc_bk_cancel",
      "SELECT concierge_booking_cancel(%lld, %s, %s, %s, %s::boolean)::text" },
    { "cc_bk_move",
      "SELECT concierge_booking_move(%lld, %lld, %s::timestamptz, "
      "%s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s, "
      "%s::boolean)::text" },
    { "cc_bk_list",
      "SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]')::text, "
      "min(x.id)::text FROM (SELECT b.id, b.status, b.service_id, s.name AS "
      "service_name, b.practitioner_id, p.name AS practitioner_name, "
      "extract(epoch FROM b.start_at)::bigint AS start, extract(epoch FROM "
      "b.end_at)::bigint AS \"end\", b.patient_name, b.patient_email, "
      "b.patient_phone, b.payment_status, b.hold_until, b.reschedules, "
      "b.late_cancel, b.source, b.created_at FROM bookings b JOIN services s "
      "ON s.id = b.service_id JOIN practitioners p ON p.id = "
      "b.practitioner_id, (SELECT %s::text AS name) z WHERE b.start_at >= %s::date::timestamp "
      "AT TIME ZONE z.name AND b.start_at < %s::date::timestamp AT TIME ZONE "
      "z.name AND b.status = coalesce(nullif(%s, ''), b.status) AND "
      "b.practitioner_id = coalesce(nullif(%lld, 0), b.practitioner_id) AND "
      "b.id < coalesce(nullif(%lld, 0), 9223372036854775807) ORDER BY b.id "
      "DESC LIMIT %lld) x" },
    { NULL, NULL }
};
MC_RESOURCE(booking, routes, stmts);
