/*
 * mod_concierge_shm.c - the host-wide shared-memory segment and its lock.
 *
 * One segment, created in post_config (second pass) on pconf, inherited by
 * every child; the rate-limit table is a second, retained segment (below)
 * guarded by one global mutex.  Metrics are
 * updated with atomic adds and need no lock.  Nothing in the segment is a
 * pointer: every section is found by an offset from the segment base, so
 * it means the same in every process.
 *
 *   +---------------------------+ 0
 *   | mc_shm_hdr                |  magic, version, size, section offsets,
 *   |                           |  cached database health
 *   +---------------------------+ off_metrics (APR_ALIGN_DEFAULT)
 *   | cc_metrics region         |  cc_metrics.h: per-route counters,
 *   |                           |  histograms, 429s per class
 *   +---------------------------+ size
 *
 * The segment lives as long as one generation of the server: a restart
 * (graceful or not) builds a new one, so counters restart from zero.
 *
 * The rate-limit and login lock-out buckets are the exception: they live in
 * a segment of their own, with their mutex, kept across restarts in the
 * parent's retained data (ap_retained_data_get/create, as the MPMs keep
 * their scoreboard state).  A restart reuses it when its layout (magic,
 * version, size) still matches ConciergeRateLimitSlots; otherwise it is
 * made anew.  So a graceful restart - logrotate does one every night - no
 * longer gives every client a full bucket and every locked-out password
 * guesser ten more tries.  (A Mutex directive change for concierge-shm
 * takes effect at the next full stop and start.)
 */
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_core.h"
#include "util_mutex.h"
#include "ap_mpm.h"
#include "mod_concierge_config.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_routes.h"
#include "cc_metrics.h"

#define MC_SHM_MAGIC   0x43434d53u   /* "CCMS" */
#define MC_SHM_VERSION 1u
#define MC_MUTEX_TYPE  "concierge-shm"

typedef struct mc_shm_hdr {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_uint64_t size;
    apr_uint64_t off_buckets, len_buckets;
    apr_uint64_t off_metrics, len_metrics;
    volatile apr_uint32_t db_ok;          /* 1 up, 0 down */
    volatile apr_uint64_t db_checked_us;  /* 0: never */
    volatile apr_uint64_t rl_allowed;
    volatile apr_uint64_t rl_refused;
    volatile apr_uint32_t llm_consecutive;  /* failures in a row */
    volatile apr_uint64_t llm_open_until;   /* breaker open until (us) */
    volatile apr_uint64_t llm_ok;
    volatile apr_uint64_t llm_failed;
    volatile apr_uint64_t llm_opened;       /* times the breaker opened */
    volatile apr_uint64_t auth_cached;      /* logins from the cache */
    volatile apr_uint64_t auth_hashed;      /* logins checked by bcrypt */
} mc_shm_hdr;

/* Process-wide, written only in post_config/child_init (before threads). */
static apr_shm_t           *mc_shm;
static mc_shm_hdr          *mc_hdr;
static apr_global_mutex_t  *mc_mutex;       /* the buckets' (retained) */
static void                *mc_buckets;     /* the retained table */
static apr_size_t           mc_rl_slots;

/* Kept by the parent across restarts. */
#define MC_RETAINED_KEY "mod_concierge-buckets"
typedef struct mc_retained {
    apr_shm_t          *shm;
    apr_size_t          size;
    apr_global_mutex_t *mutex;
} mc_retained;

apr_status_t mc_shm_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, MC_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t shm_cleanup(void *unused)
{
    mc_shm = NULL;
    mc_hdr = NULL;
    mc_mutex = NULL;
    mc_buckets = NULL;
    return APR_SUCCESS;
}

apr_status_t mc_shm_segment(apr_shm_t **shm, apr_size_t size,
                            const char *name, apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = apr_shm_create(shm, size, NULL, pconf);

    if (rv == APR_ENOTIMPL) {
        /* No anonymous shared memory here: a named segment in the
         * runtime dir, removed first in case a crash left it behind. */
        const char *fname = ap_runtime_dir_relative(pconf, name);

        apr_shm_remove(fname, pconf);
        rv = apr_shm_create(shm, size, fname, pconf);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(00101)
                     "cannot create %" APR_SIZE_T_FMT " bytes of shared "
                     "memory for %s", size, name);
    }
    return rv;
}

apr_status_t mc_shm_mutex_create(apr_global_mutex_t **m, const char *type,
                                 apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = ap_global_mutex_create(m, NULL, type, NULL, s, pconf,
                                             0);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(00103)
                     "cannot create the %s mutex", type);
    }
    return rv;
}

void mc_shm_mutex_attach(apr_global_mutex_t **m, const char *type,
                         apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!*m) {
        return;
    }
    rv = apr_global_mutex_child_init(m, apr_global_mutex_lockfile(*m), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(00104)
                     "cannot attach the %s mutex", type);
    }
}

static void *section(apr_uint64_t off)
{
    return (char *)mc_hdr + off;
}

/* The bucket table and its mutex: this generation's, or the ones kept
 * from the last (same layout). */
static apr_status_t buckets_attach(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    mc_retained *rt = ap_retained_data_get(MC_RETAINED_KEY);
    apr_size_t need = cc_buckets_size((uint32_t)mc_rl_slots);
    apr_status_t rv;

    if (!rt) {
        rt = ap_retained_data_create(MC_RETAINED_KEY, sizeof(*rt));
    }
    if (rt->shm && rt->size == need
        && cc_buckets_check(apr_shm_baseaddr_get(rt->shm), need) == 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, CCLOGNO(00107)
                     "rate-limit and lock-out buckets kept across the "
                     "restart");
    }
    else {
        if (rt->shm) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, CCLOGNO(00108)
                         "ConciergeRateLimitSlots changed: rate-limit and "
                         "lock-out buckets start afresh");
            apr_shm_destroy(rt->shm);
            rt->shm = NULL;
        }
        rv = mc_shm_segment(&rt->shm, need, "concierge-buckets.shm", pp, s);
        if (rv != APR_SUCCESS) {
            rt->shm = NULL;
            return rv;
        }
        if (cc_buckets_init(apr_shm_baseaddr_get(rt->shm), need,
                            (uint32_t)mc_rl_slots) != 0) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(00109)
                         "cannot lay out the rate-limit table");
            return APR_EGENERAL;
        }
        rt->size = need;
    }
    if (!rt->mutex) {
        rv = mc_shm_mutex_create(&rt->mutex, MC_MUTEX_TYPE, pp, s);
        if (rv != APR_SUCCESS) {
            rt->mutex = NULL;
            return rv;
        }
    }
    mc_buckets = apr_shm_baseaddr_get(rt->shm);
    mc_mutex = rt->mutex;
    return APR_SUCCESS;
}

apr_status_t mc_shm_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_size_t off_b, len_b, off_m, len_m, total;
    apr_status_t rv;

    mc_rl_slots = (apr_size_t)mc_config_geti(s, MC_CONF_RL_SLOTS);
    off_b = APR_ALIGN_DEFAULT(sizeof(mc_shm_hdr));
    len_b = 0;                  /* the buckets: a segment of their own */
    off_m = off_b + len_b;
    len_m = APR_ALIGN_DEFAULT(cc_metrics_size((uint32_t)mc_routes_count() + 1,
                                              MC_RL_NCLASSES));
    total = off_m + len_m;

    rv = mc_shm_segment(&mc_shm, total, "concierge.shm", pconf, s);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    mc_hdr = apr_shm_baseaddr_get(mc_shm);
    memset(mc_hdr, 0, total);
    mc_hdr->magic = MC_SHM_MAGIC;
    mc_hdr->version = MC_SHM_VERSION;
    mc_hdr->size = total;
    mc_hdr->off_buckets = off_b;
    mc_hdr->len_buckets = len_b;
    mc_hdr->off_metrics = off_m;
    mc_hdr->len_metrics = len_m;
    if (cc_metrics_init(section(off_m), len_m, (uint32_t)mc_routes_count() + 1,
                        MC_RL_NCLASSES) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(00102)
                     "cannot lay out shared memory");
        return APR_EGENERAL;
    }
    rv = buckets_attach(s);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(pconf, NULL, shm_cleanup,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

void mc_shm_child_init(apr_pool_t *p, server_rec *s)
{
    mc_shm_mutex_attach(&mc_mutex, MC_MUTEX_TYPE, p, s);
}

int mc_shm_rate_take(request_rec *r, mc_rl_class_e cls, const char *key,
                     cc_bucket_result_t *res)
{
    const cc_rate_t *rate = mc_config_rate(r->server, cls);
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    if (!mc_hdr || !rate) {
        res->allowed = 1;
        return 1;
    }
    rv = apr_global_mutex_lock(mc_mutex);
    if (rv != APR_SUCCESS) {
        /* Fail open on a broken lock: a rate limiter must not take the
         * clinic offline; the failure is logged for the operator. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, CCLOGNO(00105)
                      "rate limiter lock failed");
        res->allowed = 1;
        return 1;
    }
    cc_buckets_take(mc_buckets, cls, key, rate,
                    (int64_t)apr_time_now(), res);
    apr_global_mutex_unlock(mc_mutex);
    if (res->allowed) {
        apr_atomic_inc64(&mc_hdr->rl_allowed);
    }
    else {
        apr_atomic_inc64(&mc_hdr->rl_refused);
    }
    return res->allowed;
}

static void bucket_op(request_rec *r, int take, int cls, const char *key,
                      const cc_rate_t *rate, cc_bucket_result_t *res)
{
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    res->allowed = 1;
    if (!mc_hdr || !rate) {
        return;
    }
    rv = apr_global_mutex_lock(mc_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, CCLOGNO(00106)
                      "lock-out table lock failed");
        return;
    }
    if (take) {
        cc_buckets_take(mc_buckets, cls, key, rate,
                        (int64_t)apr_time_now(), res);
    }
    else {
        cc_buckets_peek(mc_buckets, cls, key, rate,
                        (int64_t)apr_time_now(), res);
    }
    apr_global_mutex_unlock(mc_mutex);
}

void mc_shm_bucket_peek(request_rec *r, int cls, const char *key,
                        const cc_rate_t *rate, cc_bucket_result_t *res)
{
    bucket_op(r, 0, cls, key, rate, res);
}

void mc_shm_bucket_take(request_rec *r, int cls, const char *key,
                        const cc_rate_t *rate, cc_bucket_result_t *res)
{
    bucket_op(r, 1, cls, key, rate, res);
}

const char *mc_client_key(request_rec *r)
{
    char *k = apr_palloc(r->pool, CC_BUCKET_KEY_MAX);

    cc_client_key(r->useragent_ip, k, CC_BUCKET_KEY_MAX);
    return k;
}

void mc_shm_auth_count(int cached)
{
    if (mc_hdr) {
        apr_atomic_inc64(cached ? &mc_hdr->auth_cached : &mc_hdr->auth_hashed);
    }
}

void mc_shm_auth_stats(apr_uint64_t *cached, apr_uint64_t *hashed)
{
    *cached = mc_hdr ? apr_atomic_read64(&mc_hdr->auth_cached) : 0;
    *hashed = mc_hdr ? apr_atomic_read64(&mc_hdr->auth_hashed) : 0;
}

void mc_shm_observe(int route, int status, apr_int64_t dur_us)
{
    if (mc_hdr && route >= 0) {
        cc_metrics_observe(section(mc_hdr->off_metrics), (uint32_t)route,
                           status, dur_us);
    }
}

void mc_shm_ratelimited(mc_rl_class_e cls)
{
    if (mc_hdr && cls >= 0) {
        cc_metrics_ratelimited(section(mc_hdr->off_metrics), (uint32_t)cls);
    }
}

char *mc_shm_metrics_text(apr_pool_t *p, const char *extra)
{
    if (!mc_hdr) {
        return apr_pstrdup(p, extra ? extra : "");
    }
    return cc_metrics_render(p, section(mc_hdr->off_metrics),
                             mc_route_labels(p), mc_rl_class_names, extra);
}

json_t *mc_shm_health(apr_pool_t *p)
{
    cc_buckets_stats_t st;
    json_t *o;

    if (!mc_hdr) {
        return json_pack("{s:b}", "attached", 0);
    }
    memset(&st, 0, sizeof(st));
    if (apr_global_mutex_lock(mc_mutex) == APR_SUCCESS) {
        cc_buckets_stats(mc_buckets,
                         (int64_t)apr_time_now(), &st);
        apr_global_mutex_unlock(mc_mutex);
    }
    o = json_pack("{s:b, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}}",
                  "attached", 1,
                  "bytes", (json_int_t)mc_hdr->size,
                  "rate_limiter",
                  "slots", (json_int_t)st.nslots,
                  "used", (json_int_t)st.used,
                  "evictions", (json_int_t)st.evictions,
                  "overflows", (json_int_t)st.overflows,
                  "expirations", (json_int_t)st.expirations,
                  "allowed", (json_int_t)apr_atomic_read64(&mc_hdr->rl_allowed),
                  "refused", (json_int_t)apr_atomic_read64(&mc_hdr->rl_refused),
                  "mutex", apr_global_mutex_name(mc_mutex));
    return o;
}

int mc_shm_db_health_get(apr_int64_t max_age_us)
{
    apr_uint64_t at;

    if (!mc_hdr || max_age_us <= 0) {
        return -1;
    }
    at = apr_atomic_read64(&mc_hdr->db_checked_us);
    if (at == 0 || (apr_int64_t)(apr_time_now() - (apr_time_t)at) > max_age_us) {
        return -1;
    }
    return apr_atomic_read32(&mc_hdr->db_ok) ? 1 : 0;
}

void mc_shm_db_health_set(int ok)
{
    if (mc_hdr) {
        apr_atomic_set32(&mc_hdr->db_ok, ok ? 1 : 0);
        apr_atomic_set64(&mc_hdr->db_checked_us, (apr_uint64_t)apr_time_now());
    }
}

/* ---- LLM circuit breaker ------------------------------------------------
 * Closed: calls go through.  After `threshold` failures in a row it opens
 * for the cool-down; then exactly one trial call is let through (the
 * caller that wins the compare-and-swap pushes open_until forward), and
 * its result closes or re-opens the breaker. */
int mc_shm_breaker_allow(apr_int64_t cooldown_us)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now(), until;

    if (!mc_hdr) {
        return 1;
    }
    until = apr_atomic_read64(&mc_hdr->llm_open_until);
    if (until == 0) {
        return 1;
    }
    if (now < until) {
        return 0;
    }
    return apr_atomic_cas64(&mc_hdr->llm_open_until,
                            now + (apr_uint64_t)cooldown_us, until) == until;
}

void mc_shm_breaker_result(int ok, int threshold, apr_int64_t cooldown_us)
{
    if (!mc_hdr) {
        return;
    }
    if (ok) {
        apr_atomic_inc64(&mc_hdr->llm_ok);
        apr_atomic_set32(&mc_hdr->llm_consecutive, 0);
        apr_atomic_set64(&mc_hdr->llm_open_until, 0);
        return;
    }
    apr_atomic_inc64(&mc_hdr->llm_failed);
    if (apr_atomic_inc32(&mc_hdr->llm_consecutive) + 1 >= (apr_uint32_t)threshold) {
        apr_uint64_t now = (apr_uint64_t)apr_time_now();
        apr_uint64_t until = now + (apr_uint64_t)cooldown_us;
        apr_uint64_t prev = apr_atomic_read64(&mc_hdr->llm_open_until);

        /* Open it once: failures that finish while it is already open
         * (concurrent calls) neither count again nor extend it. */
        while (prev == 0 || prev <= now) {
            apr_uint64_t seen = apr_atomic_cas64(&mc_hdr->llm_open_until,
                                                 until, prev);

            if (seen == prev) {
                apr_atomic_inc64(&mc_hdr->llm_opened);
                break;
            }
            prev = seen;
        }
    }
}

json_t *mc_shm_breaker_health(void)
{
    apr_uint64_t until, now = (apr_uint64_t)apr_time_now();

    if (!mc_hdr) {
        return json_null();
    }
    until = apr_atomic_read64(&mc_hdr->llm_open_until);
    return json_pack("{s:s, s:i, s:I, s:I, s:I}",
                     "breaker", until == 0 ? "closed"
                                : (now < until ? "open" : "half_open"),
                     "consecutive_failures",
                     (int)apr_atomic_read32(&mc_hdr->llm_consecutive),
                     "calls_ok", (json_int_t)apr_atomic_read64(&mc_hdr->llm_ok),
                     "calls_failed",
                     (json_int_t)apr_atomic_read64(&mc_hdr->llm_failed),
                     "breaker_opened",
                     (json_int_t)apr_atomic_read64(&mc_hdr->llm_opened));
}
