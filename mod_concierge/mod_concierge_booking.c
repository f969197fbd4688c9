/*
 * mod_concierge_booking.c - the booking service: the clinic model cached
 * per process, availability, manage tokens, booking offers in the chat and
 * the sweeper (the routes: api/booking.c).
 *
 * Availability = opening hours (cc_slots, in the clinic's zone read from
 * tzdata: no TZ switching) minus active bookings with their buffers minus
 * calendar busy times, computed by cc_clinic from the clinic model this
 * file caches.  PostgreSQL has the last word: the exclusion constraint
 * bookings_no_overlap makes overlapping bookings of one practitioner
 * impossible, whatever the concurrency or number of hosts;
 * concierge_book() (sql/functions/booking.sql) does idempotency, the insert, the audit entry
 * and the calendar outbox in one transaction.
 *
 * Manage tokens are cc_manage's: HMAC-SHA256 of a stored nonce under a key
 * derived from ConciergeSecret.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_thread_mutex.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_auth.h"
#include "mod_concierge_calendar.h"
#include "mod_concierge_ticker.h"
#include "cc_clinic.h"
#include "cc_hours.h"
#include "cc_intent.h"
#include "cc_manage.h"
#include "cc_json.h"
#include "cc_time.h"
#include "cc_tz.h"

#define BK_SWEEP_TICK      apr_time_from_msec(200)

static cc_manage_key_t *bk_key;
static apr_hash_t   *bk_zones;      /* zone name -> const cc_tz_t * */
struct bk_model;
static apr_thread_mutex_t *bk_mu;
static void busy_init(apr_pool_t *p);
static void staff_init(apr_pool_t *p);
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
    busy_init(p);
    staff_init(p);
    apr_pool_cleanup_register(p, NULL, model_exit, apr_pool_cleanup_null);
    mc_ticker_start(p, s, "concierge-bookings", BK_SWEEP_TICK, sweep, n);
}

/* ---- small helpers ------------------------------------------------------ */

char *mc_booking_manage_token(apr_pool_t *p, const char *nonce)
{
    char *tok = NULL;

    cc_manage_token(&tok, p, bk_key, nonce);
    return tok;
}

static apr_int64_t jint(json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
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

/* The model at version (or newer), referenced for the request; read on
 * dbd when it must be loaded. */
static bk_model *model_get(mc_ctx *c, ap_dbd_t *dbd, apr_int64_t version)
{
    request_rec *r = c->r;
    bk_model *m, *old = NULL;
    apr_dbd_results_t *res;
    const char *text;

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
    if (mc_db_select(r, dbd, "cc_bk_model", &res, 0, NULL) != APR_SUCCESS
        || !(text = mc_db_value(r, dbd, res, 0))
        || !(m = model_parse(text))) {
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
/* ---- availability --------------------------------------------------------- *
 *
 * The busy intervals of a query (service, practitioner, window) are kept
 * per process for up to MC_BUSY_TTL, and only while the credential
 * listener also hears concierge_availability (sql/014): every change to
 * bookings or to the clinic model moves the epoch each entry carries (read
 * before the query, so a change during it is never cached as current).
 * The TTL bounds what no row change announces - a hold lapsing at its
 * time, until the sweeper marks it - and that can only hide a free slot
 * for a moment, never offer a taken one; the exclusion constraint has the
 * last word on every booking anyway. */
#define MC_BUSY_TTL apr_time_from_sec(2)
#define MC_BUSY_MAX 512

typedef struct busy_entry {
    apr_uint32_t epoch;
    apr_time_t   expires;
    apr_int64_t  version;
    char        *key;        /* malloc'd, as the entry and busy */
    char        *busy;
} busy_entry;

/* In the child pool; entries malloc'd, so clearing the table frees them
 * and the table itself recycles its nodes. */
static apr_thread_mutex_t *busy_mu;
static apr_hash_t         *busy_table;

static void busy_clear(void)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, busy_table); hi; hi = apr_hash_next(hi)) {
        busy_entry *e = apr_hash_this_val(hi);

        free(e->key);
        free(e->busy);
        free(e);
    }
    apr_hash_clear(busy_table);
}

static apr_status_t busy_exit(void *data)
{
    if (busy_table) {
        busy_clear();
        busy_table = NULL;
    }
    return APR_SUCCESS;
}

static void busy_init(apr_pool_t *p)
{
    if (apr_thread_mutex_create(&busy_mu, APR_THREAD_MUTEX_DEFAULT, p)
        == APR_SUCCESS) {
        busy_table = apr_hash_make(p);
        apr_pool_cleanup_register(p, NULL, busy_exit, apr_pool_cleanup_null);
    }
}

/* The cached busy intervals of key in epoch, copied to p, or NULL. */
static const char *busy_get(apr_pool_t *p, const char *key,
                            apr_uint32_t epoch, apr_int64_t *version)
{
    const char *v = NULL;
    busy_entry *e;

    if (!busy_table) {
        return NULL;
    }
    apr_thread_mutex_lock(busy_mu);
    e = apr_hash_get(busy_table, key, APR_HASH_KEY_STRING);
    if (e && e->epoch == epoch && e->expires > apr_time_now()) {
        v = apr_pstrdup(p, e->busy);
        *version = e->version;
    }
    apr_thread_mutex_unlock(busy_mu);
    return v;
}

static void busy_put(const char *key, apr_uint32_t epoch,
                     apr_int64_t version, const char *busy)
{
    busy_entry *e;
    char *copy;

    if (!busy_table || !(copy = strdup(busy))) {
        return;
    }
    apr_thread_mutex_lock(busy_mu);
    if (apr_hash_count(busy_table) >= MC_BUSY_MAX) {
        busy_clear();
    }
    e = apr_hash_get(busy_table, key, APR_HASH_KEY_STRING);
    if (!e) {
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
            apr_thread_mutex_unlock(busy_mu);
            free(e);
            free(copy);
            return;
        }
        apr_hash_set(busy_table, e->key, APR_HASH_KEY_STRING, e);
    }
    free(e->busy);
    e->busy = copy;
    e->epoch = epoch;
    e->version = version;
    e->expires = apr_time_now() + MC_BUSY_TTL;
    apr_thread_mutex_unlock(busy_mu);
}

/* The model at version when this process already has it (no database). */
static bk_model *model_have(mc_ctx *c, apr_int64_t version)
{
    bk_model *m;

    apr_thread_mutex_lock(bk_mu);
    m = bk_current;
    if (m && m->version == version) {
        m->refs++;
    }
    else {
        m = NULL;
    }
    apr_thread_mutex_unlock(bk_mu);
    if (m) {
        apr_pool_cleanup_register(c->r->pool, m, model_release,
                                  apr_pool_cleanup_null);
    }
    return m;
}

/* Free slots of service for local days [from, from + days).  pract 0: all
 * who do it; own: a booking whose own time does not count as busy (a
 * reschedule).  Returns APR_SUCCESS, or APR_EGENERAL for a database
 * failure. */
apr_status_t mc_booking_availability(mc_ctx *c, apr_int64_t service,
                                     apr_int64_t pract,
                                     const mc_booking_own *own,
                                     int64_t from, int days, mc_avail *out)
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
    const char *key = NULL;
    apr_uint32_t epoch = 0;
    int ncal, *calok, held, cache;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    /* The busy intervals of everyone who does the service (the query
     * selects them by service, so it does not depend on the model we
     * hold) and the model's version, in one round trip. */
    args[0] = MC_I64(r->pool, service);
    args[1] = MC_I64(r->pool, pract);
    args[2] = cc_rfc3339_utc(r->pool, busy_from);
    args[3] = cc_rfc3339_utc(r->pool, busy_to);
    args[4] = MC_I64(r->pool, own ? own->id : 0);
    /* A connection of its own, given back before Google is asked: a slow
     * calendar must not keep the pool's connections from everyone else
     * (the chat-log writer among them).  A request that already holds
     * one (a booking: its idempotency check) uses that one: waiting for
     * a second while holding the first deadlocks a busy pool. */
    m = NULL;
    cache = !own && mc_avail_epoch(&epoch);
    if (cache) {
        apr_int64_t version = 0;

        key = apr_pstrcat(r->pool, args[0], " ", args[1], " ", args[2], " ",
                          args[3], NULL);
        if ((q.busy = busy_get(r->pool, key, epoch, &version)) != NULL) {
            m = model_have(c, version);
        }
    }
    if (!m) {
        apr_int64_t version;

        held = apr_table_get(r->notes, MC_NOTE_DB_HELD) != NULL;
        dbd = held ? mc_db_acquire(r) : mc_db_open(r);
        if (!dbd || mc_db_select(r, dbd, "cc_bk_busy", &res, 5, args)
                    != APR_SUCCESS
            || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
            if (!held) {
                mc_db_close(r, dbd);
            }
            return APR_EGENERAL;
        }
        q.busy = apr_pstrdup(r->pool, apr_dbd_get_entry(dbd->driver, row,
                                                        1));
        version = apr_strtoi64(apr_dbd_get_entry(dbd->driver, row, 0), NULL,
                               10);
        m = model_get(c, dbd, version);
        if (!held) {
            mc_db_close(r, dbd);
        }
        if (!m) {
            return APR_EGENERAL;
        }
        if (cache && m->version == version) {
            busy_put(key, epoch, version, q.busy);
        }
    }
    out->service = cc_clinic_service(m->clinic, service);
    out->settings = cc_clinic_settings(m->clinic);
    if (!out->service) {
        out->slots = apr_array_make(r->pool, 1, sizeof(cc_clinic_slot_t));
        out->unavailable = cc_json_pool_own(r->pool, json_array());
        return APR_SUCCESS;
    }
    /* Only days that can have slots reach Google: a client must not make
     * the server ask about arbitrary windows.  Days before today or past
     * the horizon have no slots whatever the calendars say, so for a
     * window wholly outside them nothing is asked (and no calendar is
     * reported unavailable); one partly outside is asked about its part
     * inside. */
    {
        int64_t today = cc_clinic_local_day(mc_booking_tz(r->server),
                                            (int64_t)apr_time_sec(
                                                apr_time_now()));
        json_int_t horizon = json_integer_value(
            json_object_get(out->settings, "horizon_days"));
        int i, outside = from + days <= today || from > today + horizon;

        out->window = from < today ? -1 : from > today + horizon ? 1 : 0;
        if (from + days > today + horizon + 1) {
            busy_to = (today + horizon + 1 + 2) * 86400;
        }
        if (from < today) {
            busy_from = (today - 2) * 86400;
        }
        /* The calendars of everyone asked about, in one freeBusy query. */
        cc_clinic_calendars(&cals, &ncal, r->pool, m->clinic, service,
                            pract);
        calbusy = apr_pcalloc(r->pool,
                              sizeof(*calbusy) * (size_t)(ncal + 1));
        calok = apr_pcalloc(r->pool, sizeof(int) * (size_t)(ncal + 1));
        if (ncal && !outside) {
            mc_calendar_busy(r, cals, ncal, busy_from, busy_to, calbusy,
                             calok);
        }
        for (i = 0; outside && i < ncal; i++) {
            calok[i] = 1;
        }
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

/* ---- staff presence ------------------------------------------------------ *
 *
 * From the model's hours and exceptions (cc_hours).  Each process keeps
 * the last answer while the availability listener runs (the epoch moves
 * on any change of the model or of bookings, on any host) for at most
 * MC_STAFF_TTL, and never past the instant the answer changes (someone
 * starts or the last one stops); without the listener every call reads
 * clinic_state.version (the model itself only when it moved). */
#define MC_STAFF_TTL 5          /* seconds */

typedef struct staff_cache {
    int          valid;
    const char  *zone;          /* ConciergeTimeZone it was computed in
                                   (virtual hosts may differ); pconf */
    apr_uint32_t epoch;
    int64_t      expires;       /* UTC seconds */
    int          available;
    int64_t      next, changes_at;
    char         name[1024];
} staff_cache;

static apr_thread_mutex_t *staff_mu;
static staff_cache         staff_c;

static void staff_init(apr_pool_t *p)
{
    memset(&staff_c, 0, sizeof(staff_c));
    if (apr_thread_mutex_create(&staff_mu, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        staff_mu = NULL;
    }
}

static int staff_get(apr_pool_t *p, const char *zone, apr_uint32_t epoch,
                     int64_t now, mc_staff *out)
{
    apr_thread_mutex_lock(staff_mu);
    if (staff_c.valid && staff_c.epoch == epoch && now < staff_c.expires
        && !strcmp(staff_c.zone, zone)) {
        out->known = 1;
        out->available = staff_c.available;
        out->next = staff_c.next;
        out->changes_at = staff_c.changes_at;
        out->clinic_name = apr_pstrdup(p, staff_c.name);
    }
    apr_thread_mutex_unlock(staff_mu);
    return out->known;
}

static void staff_put(const char *zone, apr_uint32_t epoch, int64_t now,
                      const mc_staff *st)
{
    if (strlen(st->clinic_name) >= sizeof(staff_c.name)) {
        return;
    }
    apr_thread_mutex_lock(staff_mu);
    staff_c.valid = 1;
    staff_c.zone = zone;
    staff_c.epoch = epoch;
    staff_c.expires = now + MC_STAFF_TTL;
    if (st->changes_at > now && st->changes_at < staff_c.expires) {
        staff_c.expires = st->changes_at;
    }
    staff_c.available = st->available;
    staff_c.next = st->next;
    staff_c.changes_at = st->changes_at;
    apr_cpystrn(staff_c.name, st->clinic_name, sizeof(staff_c.name));
    apr_thread_mutex_unlock(staff_mu);
}

apr_status_t mc_booking_staff(mc_ctx *c, mc_staff *out)
{
    request_rec *r = c->r;
    const cc_tz_t *tz = mc_booking_tz(r->server);
    int64_t now = (int64_t)apr_time_sec(apr_time_now());
    const cc_hours_sched_t *sch;
    cc_hours_status_t hs;
    apr_dbd_results_t *res;
    apr_uint32_t epoch = 0;
    apr_int64_t version;
    const char *v;
    ap_dbd_t *dbd;
    bk_model *m;
    int cache, held, n;

    memset(out, 0, sizeof(*out));
    if (!tz) {
        return APR_EGENERAL;
    }
    /* The epoch is read before the database: a change made meanwhile is
     * never kept as current. */
    cache = staff_mu && mc_avail_epoch(&epoch);
    if (cache && staff_get(r->pool, mc_config_timezone(r->server), epoch, now,
                           out)) {
        return APR_SUCCESS;
    }
    held = apr_table_get(r->notes, MC_NOTE_DB_HELD) != NULL;
    dbd = held ? mc_db_acquire(r) : mc_db_open(r);
    if (!dbd) {
        return APR_EGENERAL;
    }
    if (mc_db_select(r, dbd, "cc_bk_version", &res, 0, NULL) != APR_SUCCESS
        || !(v = mc_db_value(r, dbd, res, 0))) {
        if (!held) {
            mc_db_close(r, dbd);
        }
        return APR_EGENERAL;
    }
    version = apr_strtoi64(v, NULL, 10);
    m = model_get(c, dbd, version);
    if (!held) {
        mc_db_close(r, dbd);
    }
    if (!m) {
        return APR_EGENERAL;
    }
    sch = cc_clinic_schedules(m->clinic, r->pool, &n);
    cc_hours_status(&hs, r->pool, tz, now, sch, n, CC_HOURS_SEARCH_DAYS);
    out->known = 1;
    out->available = hs.available;
    out->next = hs.has_next ? hs.next : 0;
    out->changes_at = cc_hours_changes_at(&hs);
    v = cc_clinic_name(m->clinic);
    out->clinic_name = apr_pstrdup(r->pool, v ? v : "");
    if (cache && m->version == version) {
        staff_put(mc_config_timezone(r->server), epoch, now, out);
    }
    return APR_SUCCESS;
}

void mc_booking_staff_json(request_rec *r, const mc_staff *st, json_t *o)
{
    if (!st || !st->known || !o) {
        return;
    }
    json_object_set_new(o, "staff_available", json_boolean(st->available));
    json_object_set_new(o, "staff_next_available_at",
                        !st->available && st->next
                        ? json_string(cc_tz_rfc3339(r->pool,
                                                    mc_booking_tz(r->server),
                                                    st->next))
                        : json_null());
}

const char *mc_booking_staff_text(request_rec *r, const mc_staff *st)
{
    if (!st || !st->known) {
        return "";
    }
    if (st->available || !st->next) {
        return st->available
               ? ",\"staff_available\":true,"
                 "\"staff_next_available_at\":null"
               : ",\"staff_available\":false,"
                 "\"staff_next_available_at\":null";
    }
    return apr_pstrcat(r->pool, ",\"staff_available\":false,"
                       "\"staff_next_available_at\":\"",
                       cc_tz_rfc3339(r->pool, mc_booking_tz(r->server),
                                     st->next), "\"", NULL);
}

/* ---- booking offers in the conversation ------------------------------------------ */

#define BK_OFFER_SLOTS 8

/* Slots of av in part (CC_PART_ANY: all), at most max, as an array. */
static apr_array_header_t *pick_slots(const cc_tz_t *tz, apr_pool_t *p,
                                      const mc_avail *av, int part, int max)
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
    int64_t today = cc_clinic_local_day(tz, (int64_t)apr_time_sec(apr_time_now()));
    cc_intent_service_t *svcs;
    cc_book_intent_t in;
    apr_array_header_t *picked;
    json_t *list, *svc, *a, *slots;
    const char *text, *when;
    size_t i;
    int dbfail, n;
    mc_avail av;

    /* Cheap first: is this a request to book at all?  (No database.) */
    if (!tz || !cc_intent_booking(r->pool, message, strlen(message), NULL, 0,
                                  today, &in)) {
        return NULL;
    }
    /* Nothing held after this read: availability may wait for Google,
     * and the chat then waits for the chat-log writer, which needs a
     * connection from the same pool (issue 12 item 3). */
    text = mc_db_text_brief(c->r, "cc_bk_offer_services", 0, NULL, &dbfail);
    if (dbfail || !(list = mc_pg_json(c->r, text)) || !json_array_size(list)) {
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
    if (mc_booking_availability(c, svcs[in.service].id, 0, NULL, in.from_day, in.days,
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

        if (mc_booking_availability(c, svcs[in.service].id, 0, NULL, next, 14, &av)
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

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    /* Availability: the busy intervals (active bookings with their
     * buffers; lapsed holds do not count) of the practitioners who do a
     * service, with the clinic model's version ... */
    { "cc_bk_busy",
      "SELECT (SELECT version FROM clinic_state WHERE id = 1)::text, "
      "coalesce(string_agg(b.practitioner_id || ' ' || extract(epoch FROM "
      "lower(b.blocked))::bigint || ' ' || extract(epoch FROM "
      "upper(b.blocked))::bigint, ' '), '') FROM bookings b JOIN "
      "practitioner_services ps ON ps.practitioner_id = b.practitioner_id "
      "AND ps.service_id = %lld WHERE b.practitioner_id = "
      "coalesce(nullif(%lld, 0), b.practitioner_id) AND b.blocked && "
      "tstzrange(%s::timestamptz, %s::timestamptz) AND b.id <> %lld AND "
      "b.status IN ('pending_payment', 'confirmed') AND (b.status = "
      "'confirmed' OR b.hold_until >= now())" },
    /* ... and the model itself when that version moved (services by id,
     * practitioners with their services, hours and exceptions from two
     * days ago on, settings), read in one snapshot. */
    { "cc_bk_model",
      "SELECT jsonb_build_object('version', (SELECT version FROM "
      "clinic_state WHERE id = 1), 'settings', (SELECT to_jsonb(c) FROM "
      "clinic_settings c WHERE id = 1), 'services', coalesce((SELECT "
      "jsonb_object_agg(id::text, jsonb_build_object('id', id, 'name', name, "
      "'duration_min', duration_min, 'buffer_before_min', buffer_before_min, "
      "'buffer_after_min', buffer_after_min, 'requires_payment', "
      "requires_payment)) FROM services WHERE active), '{}'), "
      "'practitioners', coalesce((SELECT jsonb_agg(jsonb_build_object('id', "
      "p.id, 'calendar_id', p.calendar_id, 'services', coalesce((SELECT "
      "jsonb_agg(service_id) FROM practitioner_services WHERE "
      "practitioner_id = p.id), '[]'), 'hours', coalesce((SELECT "
      "jsonb_agg(jsonb_build_array(h.weekday, h.start_min, h.end_min)) FROM "
      "opening_hours h WHERE h.practitioner_id = p.id), '[]'), "
      "'exceptions', coalesce((SELECT jsonb_agg(jsonb_build_array(e.day - "
      "date '1970-01-01', e.closed, e.start_min, e.end_min)) FROM "
      "schedule_exceptions e WHERE (e.practitioner_id = p.id OR "
      "e.practitioner_id IS NULL) AND e.day >= current_date - 2), '[]')) "
      "ORDER BY p.id) FROM practitioners p WHERE p.active), '[]'))::text" },
    /* Staff presence: the model's version (the model itself only when
     * this process does not have that one). */
    { "cc_bk_version",
      "SELECT version::text FROM clinic_state WHERE id = 1" },
    { "cc_bk_offer_services",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
      "'aliases', aliases, 'duration_min', duration_min, 'price_cents', "
      "price_cents, 'currency', currency, 'requires_payment', "
      "requires_payment) ORDER BY id), '[]')::text FROM services WHERE active "
      "AND EXISTS (SELECT 1 FROM practitioner_services ps JOIN practitioners "
      "p ON p.id = ps.practitioner_id WHERE ps.service_id = services.id AND "
      "p.active)" },
    { "cc_bk_expire", "SELECT concierge_expire_holds(NULL)" },
    { "cc_bk_idem_purge",
      "DELETE FROM idempotency_keys WHERE created_at < now() - interval "
      "'1 day'" },
    { NULL, NULL }
};
MC_RESOURCE(booking_service, NULL, stmts);
