/*
 * mod_concierge_booking.c - services, availability and bookings.
 *
 *   GET  /api/services                       active services
 *   GET  /api/slots?service_id=&from=&days=[&practitioner_id=]
 *   POST /api/bookings          (Idempotency-Key)
 *   GET  /api/bookings/{id}                   \
 *   POST /api/bookings/{id}/cancel             > X-Manage-Token
 *   POST /api/bookings/{id}/reschedule        /
 *   GET  /api/admin/bookings, POST /api/admin/bookings/{id}/cancel|reschedule
 *
 * Availability = opening hours (cc_slots, in the clinic's zone read from
 * tzdata: no TZ switching) minus active bookings with their buffers minus
 * calendar busy times, computed by cc_clinic from the clinic model this
 * file caches.  PostgreSQL has the last word: the exclusion constraint
 * bookings_no_overlap makes overlapping bookings of one practitioner
 * impossible, whatever the concurrency or number of hosts;
 * concierge_book() (sql/006) does idempotency, the insert, the audit entry
 * and the calendar outbox in one transaction.
 *
 * Manage tokens are cc_manage's: HMAC-SHA256 of a stored nonce under a key
 * derived from ConciergeSecret.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_thread_mutex.h"
#include "apr_lib.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_calendar.h"
#include "mod_concierge_ticker.h"
#include "util_script.h"
#include "cc_clinic.h"
#include "cc_intent.h"
#include "cc_manage.h"
#include "cc_token.h"
#include "cc_json.h"
#include "cc_time.h"
#include "cc_tz.h"
#include "cc_valid.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

#define BK_MAX_DAYS        31
#define BK_ALTERNATIVES    5
#define BK_SWEEP_TICK      apr_time_from_msec(200)

static cc_manage_key_t *bk_key;
static apr_hash_t   *bk_zones;      /* zone name -> const cc_tz_t * */
struct bk_model;
static apr_thread_mutex_t *bk_mu;
static struct bk_model    *bk_current;
static apr_status_t model_exit(void *data);

/* ---- set-up ----------------------------------------------------------------- */

apr_status_t mc_booking_post_config(apr_pool_t *pconf, server_rec *s)
{
    const char *secret = mc_config_gets(s, MC_CONFS_SECRET);
    server_rec *sp;

    bk_zones = apr_hash_make(pconf);
    for (sp = s; sp; sp = sp->next) {
        const char *zone = mc_config_timezone(sp);
        cc_problem_t prob;
        cc_tz_t *tz;

        if (apr_hash_get(bk_zones, zone, APR_HASH_KEY_STRING)) {
            continue;
        }
        memset(&prob, 0, sizeof(prob));
        tz = cc_tz_load(pconf, NULL, zone, &prob);
        if (!tz) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, CCLOGNO(01301)
                         "ConciergeTimeZone %s: cannot read its tzdata (%s)",
                         zone, prob.message[0] ? prob.message : "unknown");
            return APR_EGENERAL;
        }
        apr_hash_set(bk_zones, zone, APR_HASH_KEY_STRING, tz);
    }
    /* Before the children fork: every process derives the same tokens. */
    if (secret) {
        return cc_manage_key_derive(&bk_key, pconf, secret);
    }
    if (cc_manage_key_random(&bk_key, pconf) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01302)
                 "ConciergeSecret is not set: manage tokens still work, "
                 "but an Idempotency-Key replay after a restart (or on "
                 "another host) cannot return the booking's token");
    return APR_SUCCESS;
}

const cc_tz_t *mc_booking_tz(const server_rec *s)
{
    return bk_zones ? apr_hash_get(bk_zones, mc_config_timezone(s),
                                   APR_HASH_KEY_STRING) : NULL;
}


/* Seals staged audit entries into the chain (every 200 ms), releases
 * lapsed payment holds (every 5 s) and forgets day-old idempotency keys
 * (every 10 min), whatever traffic there is (no external cron). */
static void sweep(apr_pool_t *p, server_rec *s, void *baton)
{
    static const char *const seal[2] = { "5000", "false" };
    apr_uint64_t *n = baton;
    ap_dbd_t *dbd = mc_db_open_s(s, p);

    if (dbd) {
        mc_db_query_s(s, p, dbd, "cc_audit_seal", NULL, 2,
                      (const char **)seal);
        if (*n % 25 == 0) {
            mc_db_query_s(s, p, dbd, "cc_bk_expire", NULL, 0, NULL);
        }
        if (*n % 3000 == 0) {
            mc_db_query_s(s, p, dbd, "cc_bk_idem_purge", NULL, 0, NULL);
        }
        mc_db_close_s(s, dbd);
    }
    (*n)++;
}

void mc_booking_child_init(apr_pool_t *p, server_rec *s)
{
    apr_uint64_t *n = apr_pcalloc(p, sizeof(*n));

    bk_current = NULL;
    apr_thread_mutex_create(&bk_mu, APR_THREAD_MUTEX_DEFAULT, p);
    apr_pool_cleanup_register(p, NULL, model_exit, apr_pool_cleanup_null);
    mc_ticker_start(p, s, "concierge-bookings", BK_SWEEP_TICK, sweep, n);
}

/* ---- small helpers ------------------------------------------------------ */

static char *manage_token(apr_pool_t *p, const char *nonce)
{
    char *tok = NULL;

    cc_manage_token(&tok, p, bk_key, nonce);
    return tok;
}

static apr_int64_t jint(json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
}

static const char *rfc3339(request_rec *r, int64_t t)
{
    return cc_tz_rfc3339(r->pool, mc_booking_tz(r->server), t);
}

static int64_t local_day(const cc_tz_t *tz, int64_t t)
{
    return cc_clinic_local_day(tz, t);
}

static const char *day_string(apr_pool_t *p, int64_t day)
{
    int y, m, d;

    cc_civil_from_days(day, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

static json_t *load_json(mc_ctx *c, const char *text)
{
    json_error_t jerr;
    json_t *j = text ? json_loads(text, 0, &jerr) : NULL;

    return j ? cc_json_pool_own(c->r->pool, j) : NULL;
}

/* ---- the clinic model, cached per process ----------------------------------
 *
 * Services, practitioners, hours, exceptions and settings change rarely;
 * bookings change all the time.  So each process keeps the model (parsed
 * once by cc_clinic_parse) and every availability request asks PostgreSQL
 * only for the busy intervals and clinic_state.version (one simple
 * query); when the version moved (a trigger bumps it on any change of the
 * model, on any host) the model is reloaded first.  Requests hold a
 * reference; an old model's pool goes when its last request ends. */

typedef struct bk_model {
    apr_pool_t  *pool;
    cc_clinic_t *clinic;
    apr_int64_t  version;
    int          refs;
    int          retired;
} bk_model;

static void model_free(bk_model *m)
{
    apr_pool_destroy(m->pool);
}

static apr_status_t model_release(void *data)
{
    bk_model *m = data;
    int gone;

    apr_thread_mutex_lock(bk_mu);
    gone = --m->refs == 0 && m->retired;
    apr_thread_mutex_unlock(bk_mu);
    if (gone) {
        model_free(m);
    }
    return APR_SUCCESS;
}

static bk_model *model_parse(const char *text)
{
    apr_pool_t *p;
    cc_clinic_t *clinic;
    bk_model *m;

    if (!text) {
        return NULL;
    }
    apr_pool_create(&p, NULL);
    apr_pool_tag(p, "concierge-clinic-model");
    if (cc_clinic_parse(&clinic, p, text, strlen(text), NULL)
        != APR_SUCCESS) {
        apr_pool_destroy(p);
        return NULL;
    }
    m = apr_pcalloc(p, sizeof(*m));
    m->pool = p;
    m->clinic = clinic;
    m->version = cc_clinic_version(clinic);
    return m;
}

/* The model at version (or newer), referenced for the request. */
static bk_model *model_get(mc_ctx *c, apr_int64_t version)
{
    request_rec *r = c->r;
    bk_model *m, *old = NULL;
    const char *text;
    int dbfail;

    apr_thread_mutex_lock(bk_mu);
    m = bk_current;
    if (m && m->version >= version) {
        m->refs++;
        apr_thread_mutex_unlock(bk_mu);
        apr_pool_cleanup_register(r->pool, m, model_release,
                                  apr_pool_cleanup_null);
        return m;
    }
    apr_thread_mutex_unlock(bk_mu);
    /* Load outside the lock (a few requests may load at once; the newest
     * wins). */
    text = mc_db_text(c->r, "cc_bk_model", 0, NULL, &dbfail);
    if (dbfail || !(m = model_parse(text))) {
        return NULL;
    }
    m->refs = 1;
    apr_thread_mutex_lock(bk_mu);
    if (!bk_current || bk_current->version < m->version) {
        old = bk_current;
        bk_current = m;
        m->refs++;
        if (old) {
            old->retired = 1;
            if (--old->refs != 0) {
                old = NULL;     /* its last request frees it */
            }
        }
    }
    else {
        m->retired = 1;         /* a newer one won: ours is per request */
    }
    apr_thread_mutex_unlock(bk_mu);
    if (old) {
        model_free(old);
    }
    apr_pool_cleanup_register(r->pool, m, model_release,
                              apr_pool_cleanup_null);
    return m;
}

static apr_status_t model_exit(void *data)
{
    if (bk_current) {
        if (--bk_current->refs == 0) {
            model_free(bk_current);
        }
        else {
            bk_current->retired = 1;
        }
        bk_current = NULL;
    }
    return APR_SUCCESS;
}
/* ---- availability --------------------------------------------------------- */

typedef struct bk_avail {
    json_t             *service;     /* NULL: no such active service */
    json_t             *settings;
    apr_array_header_t *slots;       /* cc_clinic_slot_t, by start then
                                        practitioner */
    json_t             *unavailable; /* practitioner ids: calendar unknown */
    int                 npract;
} bk_avail;

/* A booking being moved: its own time is not busy, in the database nor in
 * its practitioner's calendar (where its event is). */
typedef struct bk_own {
    apr_int64_t id, practitioner;
    int64_t     start, end;
} bk_own;

/* Free slots of service for local days [from, from + days).  pract 0: all
 * who do it; own: a booking whose own time does not count as busy (a
 * reschedule).  Returns APR_SUCCESS, or APR_EGENERAL for a database
 * failure. */
static apr_status_t availability(mc_ctx *c, apr_int64_t service,
                                 apr_int64_t pract, const bk_own *own,
                                 int64_t from, int days, bk_avail *out)
{
    request_rec *r = c->r;
    int64_t busy_from = (from - 2) * 86400, busy_to = (from + days + 2) * 86400;
    apr_array_header_t **calbusy;
    const char *args[5], **cals;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    cc_clinic_query_t q;
    cc_clinic_avail_t a;
    ap_dbd_t *dbd;
    bk_model *m;
    int ncal, *calok;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    /* The busy intervals of everyone who does the service (the query
     * selects them by service, so it does not depend on the model we
     * hold) and the model's version, in one round trip. */
    args[0] = I64(r->pool, service);
    args[1] = I64(r->pool, pract);
    args[2] = cc_rfc3339_utc(r->pool, busy_from);
    args[3] = cc_rfc3339_utc(r->pool, busy_to);
    args[4] = I64(r->pool, own ? own->id : 0);
    dbd = mc_db_acquire(r);
    if (!dbd || mc_db_select(r, dbd, "cc_bk_busy", &res, 5, args)
                != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return APR_EGENERAL;
    }
    q.busy = apr_dbd_get_entry(dbd->driver, row, 1);
    m = model_get(c, apr_strtoi64(apr_dbd_get_entry(dbd->driver, row, 0),
                                  NULL, 10));
    if (!m) {
        return APR_EGENERAL;
    }
    out->service = cc_clinic_service(m->clinic, service);
    out->settings = cc_clinic_settings(m->clinic);
    if (!out->service) {
        out->slots = apr_array_make(r->pool, 1, sizeof(cc_clinic_slot_t));
        out->unavailable = cc_json_pool_own(r->pool, json_array());
        return APR_SUCCESS;
    }
    /* The calendars of everyone asked about, in one freeBusy query. */
    cc_clinic_calendars(&cals, &ncal, r->pool, m->clinic, service, pract);
    calbusy = apr_pcalloc(r->pool, sizeof(*calbusy) * (size_t)(ncal + 1));
    calok = apr_pcalloc(r->pool, sizeof(int) * (size_t)(ncal + 1));
    if (ncal) {
        mc_calendar_busy(r, cals, ncal, busy_from, busy_to, calbusy, calok);
    }
    q.tz = mc_booking_tz(r->server);
    q.now = (int64_t)apr_time_sec(apr_time_now());
    q.service = service;
    q.practitioner = pract;
    q.from_date = from;
    q.days = days;
    q.calbusy = calbusy;
    q.calok = calok;
    if (own) {
        q.own_practitioner = own->practitioner;
        q.own.start = own->start;
        q.own.end = own->end;
    }
    cc_clinic_available(&a, r->pool, m->clinic, &q, NULL);
    out->slots = a.slots;
    out->unavailable = a.unavailable;
    out->npract = a.npract;
    return APR_SUCCESS;
}

/* ---- GET /api/services --------------------------------------------------- */

int mc_api_services(mc_ctx *c)
{
    int dbfail;
    const char *text = mc_db_text(c->r, "cc_bk_services", 0, NULL, &dbfail);
    json_t *a;

    if (dbfail || !(a = load_json(c, text))) {
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

    *day = local_day(mc_booking_tz(c->r->server),
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

int mc_api_slots(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t service, pract, days;
    int64_t from;
    bk_avail av;

    /* mc_arg_int answers 400 itself when a value is bad. */
    if (mc_arg_int(c, "service_id", -1, 1, APR_INT64_MAX, &service)
        != APR_SUCCESS
        || mc_arg_int(c, "practitioner_id", 0, 1, APR_INT64_MAX, &pract)
           != APR_SUCCESS
        || mc_arg_int(c, "days", 7, 1, BK_MAX_DAYS, &days) != APR_SUCCESS) {
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
    if (availability(c, service, pract, NULL, from, (int)days, &av)
        != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "availability cannot be "
                        "read right now");
    }
    if (!av.service) {
        return mc_error(c, 404, "unknown_service", "no active service with "
                        "that id");
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

    return cc_clinic_booking_view(r->pool, mc_booking_tz(r->server),
                                  mc_config_timezone(r->server), b,
                                  settings);
}

static int reply_slot_taken(mc_ctx *c, apr_int64_t service,
                            apr_int64_t pract, int64_t start)
{
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    json_t *body;
    bk_avail av;

    body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "slot_taken",
                     "message", "that time is no longer available; here are "
                     "the nearest free times", "request_id", c->rid);
    if (availability(c, service, pract, NULL, local_day(tz, start), 7, &av)
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
static int reply_no_slot(mc_ctx *c, const bk_avail *av, apr_int64_t service,
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
        tok = manage_token(r->pool, nonce);
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
    text = mc_db_text(c->r, "cc_bk_idem_get", 1, kargs, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "bookings cannot be made "
                        "right now; please try again");
    }
    if (!text || !*text) {
        return DECLINED;
    }
    k = load_json(c, text);
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

int mc_api_bookings_create(mc_ctx *c)
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
    bk_avail av;
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
    if (availability(c, service, pract, NULL, local_day(tz, start), 1, &av)
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
    token = manage_token(r->pool, nonce);
    if (!token) {
        return mc_error(c, 500, "internal_error", "no manage token");
    }
    args[0] = key ? key : "";
    args[1] = req_hash;
    args[2] = I64(r->pool, service);
    args[3] = I64(r->pool, slot->practitioner);
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
    text = mc_db_text(c->r, "cc_bk_book", 16, args, &dbfail);
    if (dbfail || !(res = load_json(c, text))) {
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
    args[0] = I64(r->pool, *id);
    text = mc_db_text(c->r, "cc_bk_get", 1, args, &dbfail);
    if (dbfail) {
        mc_error(c, 503, "db_unavailable", "bookings cannot be read right "
                 "now");
        return NULL;
    }
    b = load_json(c, text);
    want = b ? json_string_value(json_object_get(b, "token_hash")) : NULL;
    if (!cc_manage_token_check(tok, want)) {
        mc_error(c, 404, "booking_not_found", "no booking with that id and "
                 "manage token");
        return NULL;
    }
    text = mc_db_text(c->r, "cc_bk_settings", 0, NULL, &dbfail);
    st = dbfail ? NULL : load_json(c, text);
    *settings = st;
    return b;
}

int mc_api_booking_get(mc_ctx *c)
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
    args[0] = I64(r->pool, id);
    args[1] = reason;
    args[2] = staff ? c->user : "patient";
    args[3] = c->rid;
    args[4] = staff ? "true" : "false";
    text = mc_db_text(c->r, "cc_bk_cancel", 5, args, &dbfail);
    if (dbfail || !(res = load_json(c, text))) {
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

int mc_api_booking_cancel(mc_ctx *c)
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
    bk_own own;
    const cc_clinic_slot_t *slot;
    json_error_t jerr;
    json_t *res;
    int64_t start;
    bk_avail av;
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
    if (availability(c, service, pract, &own, local_day(tz, start), 1, &av)
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
    args[0] = I64(r->pool, id);
    args[1] = I64(r->pool, slot->practitioner);
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
    if (dbfail || !(res = load_json(c, text))) {
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

int mc_api_booking_reschedule(mc_ctx *c)
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
    args[0] = I64(r->pool, *id);
    text = mc_db_text(c->r, "cc_bk_get", 1, args, &dbfail);
    if (dbfail) {
        mc_error(c, 503, "db_unavailable", "bookings cannot be read now");
        return NULL;
    }
    if (!(b = load_json(c, text))) {
        mc_error(c, 404, "booking_not_found", "no booking with that id");
        return NULL;
    }
    text = mc_db_text(c->r, "cc_bk_settings", 0, NULL, &dbfail);
    *st = dbfail ? NULL : load_json(c, text);
    return b;
}

int mc_api_admin_booking_get(mc_ctx *c)
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

int mc_api_admin_booking_cancel(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;

    if (!staff_booking(c, &id, &st)) {
        return OK;
    }
    return do_cancel(c, id, st, 1);
}

int mc_api_admin_booking_reschedule(mc_ctx *c)
{
    apr_int64_t id;
    json_t *st = NULL;
    json_t *b = staff_booking(c, &id, &st);

    return b ? do_move(c, id, b, st, 1) : OK;
}

/* GET /api/admin/bookings?from=&to=&status=&practitioner_id=&limit=&before= */
int mc_api_admin_bookings(mc_ctx *c)
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
    from = local_day(tz, (int64_t)apr_time_sec(apr_time_now())) - 30;
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
    args[4] = I64(r->pool, pract);
    args[5] = I64(r->pool, before);
    args[6] = I64(r->pool, limit);
    dbd = mc_db_acquire(r);
    if (!dbd || mc_db_select(r, dbd, "cc_bk_list", &res, 7, args)
                != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error(c, 503, "db_unavailable", "bookings cannot be read");
    }
    text = apr_dbd_get_entry(dbd->driver, row, 0);
    rows = load_json(c, text);
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

/* ---- booking offers in the conversation ------------------------------------------ */

#define BK_OFFER_SLOTS 8

/* Slots of av in part (CC_PART_ANY: all), at most max, as an array. */
static apr_array_header_t *pick_slots(const cc_tz_t *tz, apr_pool_t *p,
                                      const bk_avail *av, int part, int max)
{
    int from = 0, to = 24;      /* CC_PART_ANY */

    if (part == CC_PART_MORNING) {
        to = 12;
    }
    else if (part == CC_PART_AFTERNOON) {
        from = 12;
        to = 17;
    }
    else if (part == CC_PART_EVENING) {
        from = 17;
    }
    else if (part != CC_PART_ANY) {
        to = 0;                 /* no such part: nothing */
    }
    return cc_clinic_slots_pick(p, tz, av->slots, from, to, max);
}

json_t *mc_booking_offer(mc_ctx *c, const char *message, const char **reply)
{
    static const char *const parts[] = { "", " in the morning",
                                         " in the afternoon",
                                         " in the evening" };
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    int64_t today = local_day(tz, (int64_t)apr_time_sec(apr_time_now()));
    cc_intent_service_t *svcs;
    cc_book_intent_t in;
    apr_array_header_t *picked;
    json_t *list, *svc, *a, *slots;
    const char *text, *when;
    size_t i;
    int dbfail, n;
    bk_avail av;

    /* Cheap first: is this a request to book at all?  (No database.) */
    if (!tz || !cc_intent_booking(r->pool, message, strlen(message), NULL, 0,
                                  today, &in)) {
        return NULL;
    }
    text = mc_db_text(c->r, "cc_bk_offer_services", 0, NULL, &dbfail);
    if (dbfail || !(list = load_json(c, text)) || !json_array_size(list)) {
        return NULL;            /* no services: the knowledge answers */
    }
    n = (int)json_array_size(list);
    svcs = apr_pcalloc(r->pool, sizeof(*svcs) * (size_t)n);
    json_array_foreach(list, i, svc) {
        svcs[i].id = jint(svc, "id");
        svcs[i].name = json_string_value(json_object_get(svc, "name"));
        svcs[i].aliases = json_string_value(json_object_get(svc, "aliases"));
    }
    cc_intent_booking(r->pool, message, strlen(message), svcs, n, today, &in);
    if (in.service < 0) {
        a = json_array();
        json_array_foreach(list, i, svc) {
            json_array_append_new(a, json_pack("{s:I, s:O, s:O, s:O}",
                "id", (json_int_t)jint(svc, "id"), "name",
                json_object_get(svc, "name"), "duration_min",
                json_object_get(svc, "duration_min"), "price_cents",
                json_object_get(svc, "price_cents")));
        }
        *reply = in.ambiguous
                 ? "I can book that for you - which of these treatments do "
                   "you mean?"
                 : "I can book an appointment for you. Which treatment would "
                   "you like?";
        return json_pack("[{s:s, s:s, s:o}]", "type", "choose_service",
                         "label", "Choose a treatment", "services", a);
    }
    svc = json_array_get(list, (size_t)in.service);
    if (availability(c, svcs[in.service].id, 0, NULL, in.from_day, in.days,
                     &av)
        != APR_SUCCESS || !av.service) {
        return NULL;
    }
    picked = pick_slots(tz, r->pool, &av, in.part, BK_OFFER_SLOTS);
    when = cc_clinic_days_words(r->pool, in.from_day, in.days,
                                in.date_given);
    if (picked->nelts == 0) {
        /* Nothing then: the next free times in the following two weeks. */
        int64_t next = in.from_day + in.days;

        if (availability(c, svcs[in.service].id, 0, NULL, next, 14, &av)
            == APR_SUCCESS && av.service) {
            picked = pick_slots(tz, r->pool, &av, CC_PART_ANY,
                                BK_OFFER_SLOTS);
        }
        *reply = apr_psprintf(r->pool, "There is no free time for %s %s%s. "
                              "%s", svcs[in.service].name, when,
                              parts[in.part], picked->nelts
                              ? "These are the next free times - choose one "
                                "to book:"
                              : "Please call the clinic and we will find a "
                                "time for you.");
    }
    else {
        *reply = apr_psprintf(r->pool, "These are the free times for %s "
                              "%s%s. Choose one to book:",
                              svcs[in.service].name, when, parts[in.part]);
    }
    if (picked->nelts == 0) {
        return json_pack("[{s:s, s:s}]", "type", "contact_staff", "label",
                         "Ask our team");
    }
    slots = cc_clinic_slots_json(r->pool, tz, picked, INT64_MIN, 0);
    return json_pack("[{s:s, s:s, s:{s:I, s:O, s:O, s:O, s:O, s:O}, s:o, "
                     "s:s, s:s}]", "type", "book", "label",
                     "Book an appointment", "service", "id",
                     (json_int_t)svcs[in.service].id, "name",
                     json_object_get(svc, "name"), "duration_min",
                     json_object_get(svc, "duration_min"), "price_cents",
                     json_object_get(svc, "price_cents"), "currency",
                     json_object_get(svc, "currency"), "requires_payment",
                     json_object_get(svc, "requires_payment"),
                     "slots", slots, "method", "POST", "url", "/api/bookings");
}
