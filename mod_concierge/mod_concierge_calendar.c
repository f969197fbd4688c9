/*
 * mod_concierge_calendar.c - Google Calendar through a service account.
 *
 *   ConciergeGoogleKeyFile  service-account JSON key (read at start-up)
 *   ConciergeGoogleTokenURL / ConciergeGoogleAPIBase  (tests: a fake)
 *
 * Access token: an RS256 JWT assertion (cc_gcal_jwt, OpenSSL) exchanged at
 * the token endpoint; cached per process under a mutex until five minutes
 * before it expires, dropped on a 401.
 *
 * Busy times (freeBusy) are cached per process for ConciergeFreeBusyCache
 * seconds.  A per-calendar error inside a 200 (the calendar is unknown or
 * not shared with the service account) makes that practitioner's
 * availability unknown: their slots are not offered.  So does a token
 * that Google refuses (invalid_grant, a revoked or deleted key: every
 * calendar's busy times are unknown then, and "none" would offer every
 * slot of a practitioner whose real calendar is full); a refusal is asked
 * again at most once a minute.  An outage (no answer, 429, 5xx, of the
 * token endpoint or the API) does not block booking: the last busy times
 * seen for that calendar are used, or none, and the event waits in the
 * outbox.
 *
 * The JWT's iat is a minute in the past: Google refuses an iat in its
 * future, and this host's clock may run ahead of Google's.
 *
 * Events: calendar_outbox rows are written in the transaction that changes
 * a booking (sql/functions/booking.sql).  One thread per process claims due rows (FOR UPDATE
 * SKIP LOCKED), makes the event match the booking (update, else insert with
 * the event id derived from the booking, or delete when the booking is no
 * longer active; 404/410 on delete and 409 on insert count as done) and
 * retries with exponential backoff on 429, 5xx, rate-limit 403s and
 * network errors.  /api/admin/health shows the connection state.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"
#include "apr_file_io.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_calendar.h"
#include "mod_concierge_http.h"
#include "mod_concierge_ticker.h"
#include "cc_gcal.h"
#include "cc_json.h"
#include "cc_slots.h"
#include "cc_time.h"
#include "cc_tz.h"

#define CAL_TICK            apr_time_from_sec(1)
#define CAL_TOKEN_MARGIN    300          /* s: refresh this early */
#define CAL_MAX_BODY        (4 * 1024 * 1024)
#define CAL_CONNECT_MS      2000L
#define CAL_CACHE_MAX       512
#define CAL_FAIL_RETRY_S    21600        /* permanent failures: 6 h */

static cc_gcal_key_t        *cal_key;       /* NULL: not configured */
static apr_thread_mutex_t   *cal_mu;
static char                 *cal_token;     /* malloc'd */
static apr_int64_t           cal_token_exp; /* epoch s */
static apr_hash_t           *cal_cache;     /* "cal\nfrom\nto" -> entry */
static apr_pool_t           *cal_cache_pool;
static apr_hash_t           *cal_last;      /* cal -> last good entry */
static apr_pool_t           *cal_last_pool, *cal_last_parent;
static int                   cal_last_writes;
static int                   cal_state = -1; /* last state written: 1 ok */

typedef struct cal_entry {
    apr_int64_t         at;     /* epoch s */
    apr_array_header_t *busy;   /* cc_interval_t */
} cal_entry;

int mc_calendar_configured(void)
{
    return cal_key != NULL;
}

/* ---- start-up ------------------------------------------------------------------ */

apr_status_t mc_calendar_post_config(apr_pool_t *pconf, server_rec *s)
{
    const char *path = mc_config_gets(s, MC_CONFS_GOOGLE_KEY_FILE);
    cc_problem_t prob;
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    cal_key = NULL;
    if (!path) {
        return APR_SUCCESS;
    }
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, pconf) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS
        || fi.size <= 0 || fi.size > CC_GCAL_KEY_MAX_BYTES) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01401)
                     "ConciergeGoogleKeyFile %s: cannot be read (or is "
                     "empty or over 64 KiB)", path);
        return APR_EGENERAL;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(pconf, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return APR_EGENERAL;
    }
    apr_file_close(f);
    buf[n] = '\0';
    memset(&prob, 0, sizeof(prob));
    cal_key = cc_gcal_key_parse(pconf, buf, n, &prob);
    memset(buf, 0, n);          /* the private key's text */
    if (!cal_key) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01402)
                     "ConciergeGoogleKeyFile %s: %s", path,
                     prob.message[0] ? prob.message : "not a service-account "
                     "key");
        return APR_EGENERAL;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01403)
                 "Google Calendar: service account %s",
                 cc_gcal_key_email(cal_key));
    return APR_SUCCESS;
}

/* ---- HTTP ------------------------------------------------------------------------ */

/* One request through the outbound layer (https only; http only to a
 * loopback fake); *status 0 on a transport error, including a reply over
 * CAL_MAX_BODY.  The reply body is in p (NUL-terminated, "" when none). */
static long http(apr_pool_t *p, server_rec *s, const char *method,
                 const char *url, const char *ctype, const char *bearer,
                 const char *body, const char **reply,
                 apr_size_t *rlen)
{
    const char *hdrs[3];
    mc_http_req hr;
    mc_http_resp rs;

    hdrs[0] = "Accept: application/json";
    hdrs[1] = bearer ? apr_pstrcat(p, "Authorization: Bearer ", bearer, NULL)
                     : NULL;
    hdrs[2] = NULL;
    memset(&hr, 0, sizeof(hr));
    hr.method = method;
    hr.url = url;
    hr.headers = hdrs;
    hr.body = body;
    hr.ctype = ctype;
    hr.connect_ms = CAL_CONNECT_MS;
    hr.timeout_ms = (long)mc_config_geti(s, MC_CONF_GOOGLE_TIMEOUT_MS);
    hr.max_response = CAL_MAX_BODY;
    mc_http_request(p, &hr, &rs);
    *reply = rs.body;
    *rlen = rs.len;
    return rs.status;
}

/* ---- health (every host sees it: calendar_status) ------------------------------ *
 *
 * The state is per calendar (and "" for the connection itself: token,
 * outbox): one calendar in error keeps the whole connection in error
 * until that calendar answers again, whatever the others do. */

static apr_hash_t *cal_errs;         /* calendar ("" = connection) -> err */
static apr_pool_t *cal_errs_pool;
static apr_time_t  cal_state_written;

static void set_state(server_rec *s, apr_pool_t *p, const char *cal,
                      int ok, const char *err)
{
    apr_time_t now = apr_time_now();
    const char *args[2], *first = NULL;
    apr_hash_index_t *hi;
    ap_dbd_t *dbd;
    int all_ok, changed;

    apr_thread_mutex_lock(cal_mu);
    changed = ok != !apr_hash_get(cal_errs, cal, APR_HASH_KEY_STRING);
    if (ok) {
        apr_hash_set(cal_errs, cal, APR_HASH_KEY_STRING, NULL);
    }
    else if (changed) {
        if (apr_hash_count(cal_errs) > 256) {
            apr_hash_clear(cal_errs);           /* bounded */
        }
        apr_hash_set(cal_errs, apr_pstrdup(cal_errs_pool, cal),
                     APR_HASH_KEY_STRING, "error");
    }
    all_ok = apr_hash_count(cal_errs) == 0;
    for (hi = apr_hash_first(p, cal_errs); hi && !first;
         hi = apr_hash_next(hi)) {
        first = apr_hash_this_key(hi);
    }
    if (all_ok == cal_state && (all_ok || now - cal_state_written
                                          < apr_time_from_sec(30))
        && !(changed && !ok)) {
        apr_thread_mutex_unlock(cal_mu);
        return;
    }
    cal_state = all_ok;
    cal_state_written = now;
    apr_thread_mutex_unlock(cal_mu);
    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01404)
                     "Google Calendar%s%s: %s", *cal ? " " : "", cal, err);
    }
    dbd = mc_db_open_s(s, p);
    if (!dbd) {
        return;
    }
    args[0] = all_ok ? "true" : "false";
    args[1] = all_ok ? "" : !ok ? apr_pstrcat(p, *cal ? cal : "connection",
                                              ": ", err, NULL)
                     : apr_pstrcat(p, first && *first ? first : "connection",
                                   ": still failing", NULL);
    mc_db_query_s(s, p, dbd, "cc_cal_state", NULL, 2, args);
    mc_db_close_s(s, dbd);
}

/* A calendar in error that no active practitioner uses any more (its id
 * was corrected, the practitioner deactivated) must not keep the
 * connection in error until a restart: every few seconds, while some
 * calendar is in error, the ids in use are read and the others dropped. */
#define CAL_PRUNE_EVERY apr_time_from_sec(5)
static apr_time_t cal_pruned;

static void prune_state(apr_pool_t *p, server_rec *s)
{
    apr_time_t now = apr_time_now();
    apr_array_header_t *rows, *stale;
    apr_hash_t *used;
    apr_hash_index_t *hi;
    int i, n;

    if (now - cal_pruned < CAL_PRUNE_EVERY) {
        return;
    }
    cal_pruned = now;
    apr_thread_mutex_lock(cal_mu);
    n = (int)apr_hash_count(cal_errs)
        - (apr_hash_get(cal_errs, "", APR_HASH_KEY_STRING) != NULL);
    apr_thread_mutex_unlock(cal_mu);
    if (n <= 0 || !(rows = mc_db_rows_s(s, p, "cc_cal_ids", 1))) {
        return;
    }
    used = apr_hash_make(p);
    for (i = 0; i < rows->nelts; i++) {
        const char *id = APR_ARRAY_IDX(rows, i, const char **)[0];

        apr_hash_set(used, id, APR_HASH_KEY_STRING, "");
    }
    stale = apr_array_make(p, 4, sizeof(const char *));
    apr_thread_mutex_lock(cal_mu);
    for (hi = apr_hash_first(p, cal_errs); hi; hi = apr_hash_next(hi)) {
        const char *cal = apr_hash_this_key(hi);

        if (*cal && !apr_hash_get(used, cal, APR_HASH_KEY_STRING)) {
            APR_ARRAY_PUSH(stale, const char *) = apr_pstrdup(p, cal);
        }
    }
    apr_thread_mutex_unlock(cal_mu);
    for (i = 0; i < stale->nelts; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01406)
                     "Google Calendar %s is no longer used: its error is "
                     "forgotten", APR_ARRAY_IDX(stale, i, const char *));
        set_state(s, p, APR_ARRAY_IDX(stale, i, const char *), 1, NULL);
    }
}

/* ---- the access token ------------------------------------------------------------ */

static int cal_fetching;             /* a token fetch is under way */
static apr_thread_cond_t *cal_fetched;
static apr_int64_t cal_refused_until;    /* s: Google refused the token */
static char        cal_refused_why[256];

#define CAL_REFUSAL_RETRY_S 60
#define CAL_IAT_SKEW_S      60

/* A valid access token (copied into p), fetching one when needed; NULL
 * with *why when none can be had.  One fetch at a time per process, done
 * without holding cal_mu (the caches stay usable).  wait = 0 (requests):
 * if another thread is fetching, give up at once, so a hanging token
 * endpoint costs one request one timeout, not every request one each. */
static const char *token(apr_pool_t *p, server_rec *s, int force, int wait,
                         const char **why, int *refused)
{
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    const char *url = mc_config_gets(s, MC_CONFS_GOOGLE_TOKEN_URL);
    const char *jwt, *form, *out = NULL;
    const char *reply;
    char *tok = NULL;
    apr_size_t rlen;
    cc_problem_t prob;
    int64_t expires = 0;
    long status;

    *refused = 0;
    apr_thread_mutex_lock(cal_mu);
    if (force && cal_token) {
        free(cal_token);
        cal_token = NULL;
    }
    /* Refused a moment ago: the same answer, without asking again. */
    if (!cal_token && cal_refused_until > now) {
        *why = apr_pstrdup(p, cal_refused_why);
        *refused = 1;
        apr_thread_mutex_unlock(cal_mu);
        return NULL;
    }
    while (cal_fetching && wait) {
        apr_thread_cond_wait(cal_fetched, cal_mu);
    }
    /* A request finding another thread's fetch under way waits for it,
     * at most one Google timeout: giving up at once would read as an
     * outage and offer slots on stale (or no) busy times. */
    if (cal_fetching && !wait) {
        apr_time_t until = apr_time_now() + apr_time_from_msec(
            mc_config_geti(s, MC_CONF_GOOGLE_TIMEOUT_MS));

        while (cal_fetching && apr_time_now() < until) {
            apr_thread_cond_timedwait(cal_fetched, cal_mu,
                                      until - apr_time_now());
        }
        now = (apr_int64_t)apr_time_sec(apr_time_now());
    }
    if (cal_token && cal_token_exp - CAL_TOKEN_MARGIN > now) {
        out = apr_pstrdup(p, cal_token);
        apr_thread_mutex_unlock(cal_mu);
        return out;
    }
    if (cal_fetching) {
        apr_thread_mutex_unlock(cal_mu);
        *why = "a token request is under way";
        return NULL;
    }
    cal_fetching = 1;
    apr_thread_mutex_unlock(cal_mu);

    jwt = cc_gcal_jwt(p, cal_key, CC_GCAL_SCOPE_CALENDAR, url,
                      now - CAL_IAT_SKEW_S, 3600);
    form = jwt ? cc_gcal_token_form(p, jwt) : NULL;
    status = form ? http(p, s, "POST", url,
                         "application/x-www-form-urlencoded", NULL, form,
                         &reply, &rlen) : -1;
    memset(&prob, 0, sizeof(prob));
    apr_thread_mutex_lock(cal_mu);
    if (status == 200 && cc_gcal_token_parse(p, reply, rlen, &tok, &expires,
                                             &prob)) {
        free(cal_token);
        cal_token = strdup(tok);
        cal_token_exp = now + expires;
        out = cal_token ? apr_pstrdup(p, cal_token) : NULL;
    }
    else if (status > 0) {
        cc_gcal_token_parse(p, reply, rlen, &tok, &expires, &prob);
    }
    if (!out) {
        *why = status < 0 ? "cannot sign the token request"
               : status == 0 ? "token endpoint unreachable"
               : apr_psprintf(p, "token endpoint answered %ld (%s)", status,
                              prob.code[0] ? prob.code : "no usable token");
        /* Refused, not unreachable: no busy times can be had until the
         * key is fixed. */
        *refused = status < 0
                   || (status > 0 && status != 200
                       && cc_gcal_classify(CC_GCAL_OP_TOKEN, status, reply,
                                           rlen) == CC_GCAL_FAIL);
        if (*refused) {
            cal_refused_until = now + CAL_REFUSAL_RETRY_S;
            apr_cpystrn(cal_refused_why, *why, sizeof(cal_refused_why));
        }
    }
    else {
        cal_refused_until = 0;
    }
    cal_fetching = 0;
    apr_thread_cond_broadcast(cal_fetched);
    apr_thread_mutex_unlock(cal_mu);
    return out;
}

/* One authorised call, with one re-authorisation on 401. */
/* -1 when no token could be had (*refused: Google refused it). */
static long call(apr_pool_t *p, server_rec *s, int op, const char *method,
                 const char *url, const char *body, const char **reply,
                 apr_size_t *rlen, const char **why, int wait, int *refused)
{
    int attempt, no = 0;
    long status = 0;

    if (!refused) {
        refused = &no;
    }
    *refused = 0;
    for (attempt = 0; attempt < 2; attempt++) {
        const char *tok = token(p, s, attempt > 0, wait, why, refused);

        if (!tok) {
            return -1;
        }
        status = http(p, s, method, url, body ? "application/json" : NULL,
                      tok, body, reply, rlen);
        if (cc_gcal_classify(op, status, *reply, *rlen) != CC_GCAL_REAUTH) {
            break;
        }
    }
    return status;
}

/* ---- busy times ------------------------------------------------------------------ */

static apr_array_header_t *copy_busy(apr_pool_t *p,
                                     const apr_array_header_t *a)
{
    apr_array_header_t *c = apr_array_make(p, a ? a->nelts : 0,
                                           sizeof(cc_interval_t));

    if (a && a->nelts) {
        memcpy(c->elts, a->elts, sizeof(cc_interval_t) * (size_t)a->nelts);
        c->nelts = a->nelts;
    }
    return c;
}

static void cache_put(apr_int64_t now, const char *key, const char *cal,
                      const apr_array_header_t *busy)
{
    cal_entry *e;

    cal_entry *last;

    apr_thread_mutex_lock(cal_mu);
    if (apr_hash_count(cal_cache) >= CAL_CACHE_MAX) {
        apr_hash_clear(cal_cache);
        apr_pool_clear(cal_cache_pool);
    }
    e = apr_palloc(cal_cache_pool, sizeof(*e));
    e->at = now;
    e->busy = copy_busy(cal_cache_pool, busy);
    apr_hash_set(cal_cache, apr_pstrdup(cal_cache_pool, key),
                 APR_HASH_KEY_STRING, e);
    /* The last known busy times per calendar live apart from the cache,
     * so evicting the cache never forgets them (they are what an outage
     * falls back on).  Their pool is compacted now and then: one entry
     * per calendar is kept. */
    if (++cal_last_writes > CAL_CACHE_MAX) {
        apr_pool_t *np;
        apr_hash_t *nh;
        apr_hash_index_t *hi;

        apr_pool_create(&np, cal_last_parent);
        nh = apr_hash_make(np);
        for (hi = apr_hash_first(NULL, cal_last); hi;
             hi = apr_hash_next(hi)) {
            const cal_entry *o = apr_hash_this_val(hi);
            cal_entry *c = apr_palloc(np, sizeof(*c));

            c->at = o->at;
            c->busy = copy_busy(np, o->busy);
            apr_hash_set(nh, apr_pstrdup(np, apr_hash_this_key(hi)),
                         APR_HASH_KEY_STRING, c);
        }
        apr_pool_destroy(cal_last_pool);
        cal_last_pool = np;
        cal_last = nh;
        cal_last_writes = 0;
    }
    last = apr_palloc(cal_last_pool, sizeof(*last));
    last->at = now;
    last->busy = copy_busy(cal_last_pool, busy);
    apr_hash_set(cal_last, apr_pstrdup(cal_last_pool, cal),
                 APR_HASH_KEY_STRING, last);
    apr_thread_mutex_unlock(cal_mu);
}

/* One freeBusy query for up to CC_GCAL_FREEBUSY_MAX_CALENDARS calendars
 * (idx[] into cals/busy/ok). */
static void freebusy(request_rec *r, const char *const *cals,
                     const int *idx, int n, apr_int64_t from,
                     apr_int64_t to, apr_array_header_t **busy, int *ok)
{
    server_rec *s = r->server;
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    const char **ids = apr_palloc(r->pool, sizeof(char *) * (size_t)n);
    const char *body, *why = NULL;
    const char *reply = "";
    apr_size_t rlen = 0;
    cc_problem_t prob;
    long status;
    int i, refused = 0;

    for (i = 0; i < n; i++) {
        ids[i] = cals[idx[i]];
    }
    body = cc_gcal_freebusy_body(r->pool, from, to, ids, n);
    status = body ? call(r->pool, s, CC_GCAL_OP_FREEBUSY, "POST",
                         apr_pstrcat(r->pool, mc_config_gets(
                             s, MC_CONFS_GOOGLE_API_BASE), "/freeBusy", NULL),
                         body, &reply, &rlen, &why, 0, &refused) : -2;
    if (refused) {
        set_state(s, r->pool, "", 0, why);
    }
    for (i = 0; i < n; i++) {
        const char *cal = cals[idx[i]];
        apr_array_header_t *got = NULL;

        memset(&prob, 0, sizeof(prob));
        if (status == 200 && cc_gcal_freebusy_parse(r->pool, reply, rlen, cal,
                                                    &got, &prob)) {
            cache_put(now, apr_psprintf(r->pool, "%s\n%" APR_INT64_T_FMT
                                        "\n%" APR_INT64_T_FMT, cal, from, to),
                      cal, got);
            busy[idx[i]] = got;
            set_state(s, r->pool, cal, 1, NULL);
            set_state(s, r->pool, "", 1, NULL);
        }
        else if (status == 200 || status == -2 || refused
                 || (status > 0 && cc_gcal_classify(CC_GCAL_OP_FREEBUSY,
                                                    status, reply, rlen)
                                   == CC_GCAL_FAIL)) {
            /* The calendar itself is in error (inside a 200, or refused),
             * or Google refused the service account's token: its
             * availability is unknown and nothing of it is offered. */
            ok[idx[i]] = 0;
            set_state(s, r->pool, cal, 0, status == 200
                      ? apr_psprintf(r->pool, "freeBusy: %s", prob.code[0]
                                     ? prob.code : "bad reply")
                      : refused
                      ? apr_psprintf(r->pool, "%s: availability unknown",
                                     why)
                      : apr_psprintf(r->pool, "freeBusy refused (%ld)",
                                     status));
        }
        else {
            /* An outage: the last busy times seen; booking goes on (the
             * events wait in the outbox).  With none seen since start,
             * nothing is known about that calendar: its practitioner is
             * not offered (never slots over real appointments). */
            cal_entry *e;

            set_state(s, r->pool, "", 0, why ? why : apr_psprintf(
                          r->pool, "freeBusy unavailable (%ld): using the "
                          "last known busy times", status));
            apr_thread_mutex_lock(cal_mu);
            e = apr_hash_get(cal_last, cal, APR_HASH_KEY_STRING);
            busy[idx[i]] = e ? copy_busy(r->pool, e->busy) : NULL;
            apr_thread_mutex_unlock(cal_mu);
            if (!e) {
                ok[idx[i]] = 0;
            }
        }
    }
}

void mc_calendar_busy(request_rec *r, const char *const *cals, int n,
                      apr_int64_t from, apr_int64_t to,
                      apr_array_header_t **busy, int *ok)
{
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    apr_int64_t ttl = mc_config_geti(r->server, MC_CONF_FREEBUSY_CACHE_S);
    int *miss = apr_palloc(r->pool, sizeof(int) * (size_t)(n + 1));
    int i, nmiss = 0;

    for (i = 0; i < n; i++) {
        busy[i] = NULL;
        ok[i] = 1;
    }
    if (!cal_key) {
        return;                 /* no calendar sync configured */
    }
    apr_thread_mutex_lock(cal_mu);
    for (i = 0; i < n; i++) {
        const char *key = apr_psprintf(r->pool, "%s\n%" APR_INT64_T_FMT "\n%"
                                       APR_INT64_T_FMT, cals[i], from, to);
        cal_entry *e = apr_hash_get(cal_cache, key, APR_HASH_KEY_STRING);

        if (e && now - e->at < ttl) {
            busy[i] = copy_busy(r->pool, e->busy);
        }
        else {
            miss[nmiss++] = i;
        }
    }
    apr_thread_mutex_unlock(cal_mu);
    /* Every calendar not cached in one query (Google takes up to 50), so
     * a slow Google costs one timeout, not one per practitioner. */
    for (i = 0; i < nmiss; i += CC_GCAL_FREEBUSY_MAX_CALENDARS) {
        int k = nmiss - i < CC_GCAL_FREEBUSY_MAX_CALENDARS
                ? nmiss - i : CC_GCAL_FREEBUSY_MAX_CALENDARS;

        freebusy(r, cals, miss + i, k, from, to, busy, ok);
    }
}

/* ---- the outbox ------------------------------------------------------------------ */

/* Make the event of one booking match it.  Returns the outcome. */
static cc_gcal_outcome sync_one(apr_pool_t *p, server_rec *s,
                                const char *booking_json, const char *op,
                                const char *calendar, const char *salt,
                                int gen, const char **err)
{
    const char *base = mc_config_gets(s, MC_CONFS_GOOGLE_API_BASE);
    const cc_tz_t *tz = mc_booking_tz(s);
    json_error_t jerr;
    json_t *b = json_loads(booking_json, 0, &jerr);
    const char *status, *eid, *cal, *url, *body, *why = NULL;
    const char *reply;
    apr_size_t rlen;
    apr_int64_t id;
    long st;
    int active, gop;
    cc_gcal_outcome o;

    if (!b) {
        *err = "booking unreadable";
        return CC_GCAL_FAIL;
    }
    cc_json_pool_own(p, b);
    id = (apr_int64_t)json_integer_value(json_object_get(b, "id"));
    status = json_string_value(json_object_get(b, "status"));
    active = status && (!strcmp(status, "confirmed")
                        || !strcmp(status, "pending_payment"));
    /* Generation 0 (never moved to another practitioner): the booking's
     * plain id; later ones salt it further (see bookings.calendar_gen). */
    eid = cc_gcal_event_id(p, gen ? apr_psprintf(p, "%s/%d", salt, gen)
                                  : salt, id);
    cal = mc_http_escape(p, calendar);
    if (!eid || !cal) {
        *err = "bad calendar id";
        return CC_GCAL_FAIL;
    }
    url = apr_pstrcat(p, base, "/calendars/", cal, "/events/", eid, NULL);
    if (!active || !strcmp(op, "delete")) {
        st = call(p, s, CC_GCAL_OP_DELETE, "DELETE", apr_pstrcat(
                      p, url, "?sendUpdates=none", NULL), NULL, &reply, &rlen,
                  &why, 1, NULL);
        gop = CC_GCAL_OP_DELETE;
    }
    else {
        /* The calendar is Google's copy: by default it learns the
         * service and a booking number, not who the patient is. */
        const char *who = mc_config_geti(s, MC_CONF_CAL_NAMES)
            ? json_string_value(json_object_get(json_object_get(b,
                                                                "patient"),
                                                "name"))
            : apr_psprintf(p, "booking %" APR_INT64_T_FMT, id);
        const char *summary = apr_psprintf(p, "%s - %s%s",
            json_string_value(json_object_get(b, "service_name")), who,
            !strcmp(status, "pending_payment") ? " (awaiting payment)" : "");

        body = cc_gcal_event_body(p, eid, summary, apr_psprintf(
            p, "Booked through mod_concierge, booking %" APR_INT64_T_FMT
            ". Manage it in the staff dashboard.", id),
            cc_tz_rfc3339(p, tz, json_integer_value(json_object_get(b,
                                                                   "start"))),
            cc_tz_rfc3339(p, tz, json_integer_value(json_object_get(b,
                                                                   "end"))),
            mc_config_timezone(s));
        if (!body) {
            *err = "event body could not be built";
            return CC_GCAL_FAIL;
        }
        /* Insert first (a new booking: one call); an id that exists
         * already (409: an earlier attempt, or a move) is updated. */
        st = call(p, s, CC_GCAL_OP_INSERT, "POST", apr_pstrcat(
                      p, base, "/calendars/", cal, "/events?sendUpdates=none",
                      NULL), body, &reply, &rlen, &why, 1, NULL);
        gop = CC_GCAL_OP_INSERT;
        if (st == 409) {
            st = call(p, s, CC_GCAL_OP_UPDATE, "PUT", apr_pstrcat(
                          p, url, "?sendUpdates=none", NULL), body, &reply,
                      &rlen, &why, 1, NULL);
            gop = CC_GCAL_OP_UPDATE;
        }
    }
    if (st < 0) {
        *err = why ? why : "no access token";
        return CC_GCAL_RETRY;
    }
    o = cc_gcal_classify(gop, st, reply, rlen);
    if (o != CC_GCAL_DONE) {
        *err = st == 0 ? "Google unreachable"
               : apr_psprintf(p, "%s answered %ld", gop == CC_GCAL_OP_DELETE
                              ? "delete" : gop == CC_GCAL_OP_INSERT
                              ? "insert" : "update", st);
    }
    return o == CC_GCAL_REAUTH ? CC_GCAL_RETRY : o;
}

static void tick(apr_pool_t *p, server_rec *s, void *baton)
{
    apr_array_header_t *due;
    const char *salt;
    ap_dbd_t *dbd;
    int i, any_ok = 0, any_fail = 0;
    const char *last_err = NULL;

    prune_state(p, s);
    due = mc_db_rows_s(s, p, "cc_cal_claim", 7);
    if (!due) {
        return;
    }
    /* Google with no connection held. */
    for (i = 0; i < due->nelts; i++) {
        const char **f = APR_ARRAY_IDX(due, i, const char **);
        /* id, op, calendar_id, attempts, booking json, salt, gen */
        const char *err = NULL, *args[3];
        int attempts = (int)apr_strtoi64(f[3], NULL, 10);
        cc_gcal_outcome o;

        salt = f[5];
        o = sync_one(p, s, f[4], f[1], f[2], salt,
                     (int)apr_strtoi64(f[6], NULL, 10), &err);
        dbd = mc_db_open_s(s, p);
        if (!dbd) {
            return;     /* the claim expires; retried later */
        }
        args[0] = f[0];
        if (o == CC_GCAL_DONE) {
            mc_db_query_s(s, p, dbd, "cc_cal_done", NULL, 1, args);
            any_ok = 1;
        }
        else {
            apr_int64_t wait = o == CC_GCAL_FAIL ? CAL_FAIL_RETRY_S * 1000
                               : cc_gcal_backoff_ms(attempts - 1,
                                                    (apr_uint32_t)
                                                    apr_time_now());

            args[0] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                                   (wait + 999) / 1000);
            args[1] = apr_pstrcat(p, o == CC_GCAL_FAIL ? "permanent: " : "",
                                  err ? err : "failed", NULL);
            args[2] = f[0];
            mc_db_query_s(s, p, dbd, "cc_cal_retry", NULL, 3, args);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01405)
                         "calendar change %s (%s) not applied, attempt %d: "
                         "%s; next try in %s s", f[0], f[1], attempts,
                         args[1], args[0]);
            any_fail = 1;
            last_err = args[1];
        }
        mc_db_close_s(s, dbd);
    }
    if (any_fail) {
        set_state(s, p, "", 0, last_err);
    }
    else if (any_ok) {
        set_state(s, p, "", 1, NULL);
    }
}

static apr_status_t cal_child_exit(void *data)
{
    /* A plain cleanup: it runs after the ticker's pre-cleanup stopped the
     * outbox thread. */
    apr_thread_mutex_lock(cal_mu);
    free(cal_token);
    cal_token = NULL;
    apr_thread_mutex_unlock(cal_mu);
    return APR_SUCCESS;
}

void mc_calendar_child_init(apr_pool_t *p, server_rec *s)
{
    cal_token = NULL;
    cal_state = -1;
    apr_thread_mutex_create(&cal_mu, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_cond_create(&cal_fetched, p);
    cal_fetching = 0;
    apr_pool_create(&cal_cache_pool, p);
    apr_pool_create(&cal_errs_pool, p);
    cal_errs = apr_hash_make(cal_errs_pool);
    cal_cache = apr_hash_make(cal_cache_pool);
    cal_last_parent = p;
    apr_pool_create(&cal_last_pool, p);
    cal_last = apr_hash_make(cal_last_pool);
    cal_last_writes = 0;
    if (!cal_key) {
        return;
    }
    apr_pool_cleanup_register(p, NULL, cal_child_exit, apr_pool_cleanup_null);
    mc_ticker_start(p, s, "concierge-calendar", CAL_TICK, tick, NULL);
}

json_t *mc_calendar_health(request_rec *r)
{
    ap_dbd_t *dbd;
    apr_dbd_results_t *res;
    const char *v;
    json_t *o = NULL;

    dbd = mc_db_acquire(r);
    if (dbd && mc_db_select(r, dbd, "cc_cal_health", &res, 0, NULL)
               == APR_SUCCESS && (v = mc_db_value(r, dbd, res, 0))) {
        json_error_t jerr;

        o = json_loads(v, 0, &jerr);
    }
    if (!o) {
        o = json_object();
    }
    json_object_set_new(o, "configured", json_boolean(cal_key != NULL));
    if (cal_key) {
        json_object_set_new(o, "service_account",
                            json_string(cc_gcal_key_email(cal_key)));
    }
    else {
        json_object_set_new(o, "status", json_string("not_configured"));
    }
    return o;
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_cal_claim",
      "WITH c AS (UPDATE calendar_outbox SET locked_until = now() + interval "
      "'60 seconds', attempts = attempts + 1 WHERE id IN (SELECT id FROM "
      "calendar_outbox WHERE done_at IS NULL AND next_at <= now() AND "
      "(locked_until IS NULL OR locked_until < now()) ORDER BY id LIMIT 10 "
      "FOR UPDATE SKIP LOCKED) RETURNING id, op, calendar_id, attempts, "
      "booking_id, gen) SELECT c.id, c.op, c.calendar_id, c.attempts, "
      "concierge_booking_json(c.booking_id)::text, s.event_salt, "
      "coalesce(c.gen, b.calendar_gen)::text FROM c JOIN bookings b ON b.id "
      "= c.booking_id, calendar_status s WHERE s.id = 1 ORDER BY c.id" },
    { "cc_cal_done",
      "UPDATE calendar_outbox SET done_at = now(), locked_until = NULL, "
      "last_error = NULL WHERE id = %lld" },
    { "cc_cal_retry",
      "UPDATE calendar_outbox SET next_at = now() + make_interval(secs => "
      "%s::int), locked_until = NULL, last_error = %s WHERE id = %lld" },
    { "cc_cal_ids",
      "SELECT DISTINCT calendar_id FROM practitioners WHERE calendar_id IS "
      "NOT NULL AND active" },
    { "cc_cal_state",
      "UPDATE calendar_status SET ok = v.ok, last_ok_at = CASE WHEN v.ok THEN "
      "now() ELSE last_ok_at END, last_error = CASE WHEN v.ok THEN last_error "
      "ELSE nullif(v.err, '') END, last_error_at = CASE WHEN v.ok THEN "
      "last_error_at ELSE now() END FROM (SELECT %s::boolean AS ok, %s::text "
      "AS err) v WHERE id = 1" },
    { "cc_cal_health",
      "SELECT json_build_object('status', CASE WHEN s.ok IS NULL THEN "
      "'unknown' WHEN s.ok THEN 'ok' ELSE 'error' END, 'last_ok_at', "
      "s.last_ok_at, 'last_error', s.last_error, 'last_error_at', "
      "s.last_error_at, 'pending', (SELECT count(*) FROM calendar_outbox "
      "WHERE done_at IS NULL), 'retrying', (SELECT count(*) FROM "
      "calendar_outbox WHERE done_at IS NULL AND last_error IS NOT NULL), "
      "'oldest_pending_s', (SELECT coalesce(floor(extract(epoch FROM now() - "
      "min(created_at))), 0) FROM calendar_outbox WHERE done_at IS NULL))"
      "::text FROM calendar_status s WHERE s.id = 1" },
    { NULL, NULL }
};
MC_RESOURCE(calendar, NULL, stmts);
