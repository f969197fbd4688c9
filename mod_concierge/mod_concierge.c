/*
 * mod_concierge.c - the module record and its hooks.
 *
 *   pre_config        assemble the route and statement tables from the
 *                     resources (refusing duplicates); register the
 *                     shared-memory mutex type
 *   check_config      settings that must agree (e-mail), for configtest too
 *   post_config       (FIRST) hand every SQL statement to mod_dbd;
 *                     (MIDDLE) create shared memory, init libraries
 *   child_init        attach the mutex; start the warm-up thread (index
 *                     and risk rules ready before the first request)
 *   generate_log_id   the request id, so error-log lines carry it (%L)
 *   handler           "concierge-api": the route table (routes.c)
 *   insert_error_filter  httpd's own error pages under /api/ become JSON
 *   fixups            security and cache headers of the site's pages
 *                     (mod_concierge_webhdr.c)
 *   log_transaction   metrics; audit of refused staff logins
 */
#define MC_MODULE_MAIN
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "apr_strings.h"
#include "apr_hash.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include <curl/curl.h>
#include "mod_concierge_config.h"
#include "mod_concierge_safety.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_audit.h"
#include "mod_concierge_index.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_calendar.h"
#include "mod_concierge_stripe.h"
#include "mod_concierge_chatlog.h"
#include "mod_concierge_retention.h"
#include "mod_concierge_notify.h"
#include "mod_concierge_http.h"
#include "mod_concierge_ticker.h"
#include "mod_concierge_auth.h"
#include "mod_concierge_routes.h"
#include "mod_concierge_webhdr.h"
#include "cc_json.h"

#define MC_ERROR_FILTER "CONCIERGE_JSON_ERROR"

static int mc_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    /* The route and statement tables first: shared memory sizes its
     * metrics by the number of routes. */
    return mc_routes_assemble(pconf, NULL) == APR_SUCCESS
           && mc_shm_pre_config(pconf) == APR_SUCCESS
           && mc_index_pre_config(pconf) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* Runs before mod_dbd's post_config, which collects prepared statements. */
static int mc_post_config_sql(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    server_rec *sp;

    if (!mc_db_ready()) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(00001)
                     "mod_dbd is not loaded: LoadModule dbd_module before "
                     "concierge_module");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Once per distinct mod_dbd configuration: a virtual host without DBD
     * directives of its own shares the main server's, and preparing the
     * same labels there again logged one AH02653 "conflicting SQL
     * statements" warning per statement and vhost, on every start and
     * graceful restart. */
    {
        module *dbd = ap_find_linked_module("mod_dbd.c");
        apr_hash_t *seen = apr_hash_make(ptemp);

        for (sp = s; sp; sp = sp->next) {
            void *cfg = dbd ? ap_get_module_config(sp->module_config, dbd)
                            : NULL;

            if (cfg && apr_hash_get(seen, &cfg, sizeof(cfg))) {
                continue;
            }
            if (cfg) {
                void **key = apr_palloc(ptemp, sizeof(*key));

                *key = cfg;
                apr_hash_set(seen, key, sizeof(*key), sp);
            }
            mc_db_register(pconf, sp);
        }
    }
    return OK;
}

/* Settings that must agree with each other; runs for apachectl
 * configtest too (which stops before post_config). */
static int mc_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    return mc_notify_check_config(pconf, s) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static int mc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;      /* first, dry pass */
    }
    /* Before any worker thread exists: libraries' global state. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    json_object_seed(0);
    if (mc_shm_post_config(pconf, s) != APR_SUCCESS
        || mc_index_post_config(pconf, s) != APR_SUCCESS
        || mc_booking_post_config(pconf, s) != APR_SUCCESS
        || mc_calendar_post_config(pconf, s) != APR_SUCCESS
        || mc_stripe_post_config(pconf, s) != APR_SUCCESS
        || mc_safety_post_config(pconf, s) != APR_SUCCESS
        || mc_webhdr_post_config(pconf, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(00002)
                 "mod_concierge %s ready, %d routes", MC_VERSION, mc_routes_count());
    return OK;
}

/* The warm-up thread: the index and the risk rules are built as soon as a
 * process starts (and after every graceful restart, which empties the
 * index), not by the first patient's request; then, once a second, it
 * notices knowledge or rules changed by another process or host, so
 * requests seldom ask the database for versions themselves. */
static void warm_tick(apr_pool_t *p, server_rec *s, void *baton)
{
    static __thread int niced;

    /* Below the request threads: building the index and compiling the
     * rules must not take the cores from requests a graceful restart has
     * kept waiting (Linux: the nice value of this thread only). */
    if (!niced) {
        niced = 1;
        if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0) {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, errno, s, CCLOGNO(00007)
                         "warm-up thread keeps its priority");
        }
    }
    mc_index_warm(s, p);
    mc_safety_warm(s, p);
}

static void mc_child_init(apr_pool_t *p, server_rec *s)
{
    server_rec *v;

    /* Before any thread that calls out. */
    mc_http_set_cafile(mc_config_gets(s, MC_CONFS_OUTBOUND_CA));
    mc_db_child_init(p);
    mc_auth_child_init(p, s);
    mc_shm_child_init(p, s);
    mc_index_child_init(p, s);
    mc_request_id_child_init();
    mc_chatlog_child_init(p, s);
    mc_notify_child_init(p, s);
    mc_booking_child_init(p, s);
    mc_calendar_child_init(p, s);
    mc_stripe_child_init(p, s);
    /* The first site that serves the API (its database settings). */
    for (v = s; v && !mc_config_geti(v, MC_CONF_API); v = v->next) {
    }
    if (v) {
        mc_ticker_start(p, v, "concierge-warm", apr_time_from_sec(1),
                        warm_tick, NULL);
        mc_retention_child_init(p, v);
    }
}

static int mc_generate_log_id(const conn_rec *c, const request_rec *r,
                              const char **id)
{
    if (!r) {
        return DECLINED;
    }
    *id = mc_request_id((request_rec *)r);
    return OK;
}

static int mc_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, MC_HANDLER)) {
        return DECLINED;
    }
    return mc_dispatch(r);
}

/* ---- httpd's own error answers under /api/ as JSON --------------------- */

/* A request for the API: under /api/ on a server (or virtual host) that
 * serves it (ConciergeAPI On, set by conf/vhost.conf).  Another site of
 * the same httpd keeps its own /api/: its files, its error pages, its
 * logins - none of them reach this module's filters or audit log. */
static int is_api(const request_rec *r)
{
    const char *uri = r->uri;

    if (!uri && r->parsed_uri.path) {
        uri = r->parsed_uri.path;
    }
    return uri && !strncmp(uri, "/api/", 5)
           && mc_config_geti(r->server, MC_CONF_API);
}

int mc_is_api(const request_rec *r)
{
    return is_api(r);
}

/* /api/ names no file: skip the core's directory and file walk (stat
 * calls, <Directory> merging) for it.  <Location> sections, where the
 * handler and the staff authentication are configured, still apply: the
 * location walk runs after this hook. */
static int mc_map_to_storage(request_rec *r)
{
    return is_api(r) ? OK : DECLINED;
}


static const char *status_code_name(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "authentication_required";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 411: return "length_required";
    case 413: return "body_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 417: return "expectation_failed";
    case 429: return "rate_limited";
    case 431: return "headers_too_large";
    case 501: return "not_implemented";
    case 503: return "db_unavailable";
    default:  return status >= 500 ? "internal_error" : "bad_request";
    }
}

static apr_status_t mc_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    apr_bucket *b, *next;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);
        if (APR_BUCKET_IS_EOS(b)) {
            const char *rid = mc_request_id(r);
            const char *msg = ap_get_status_line(r->status);
            const char *code = apr_table_get(r->notes, MC_NOTE_ERROR_CODE);
            const char *body = cc_json_error_body(
                r->pool, code ? code : status_code_name(r->status),
                code && !strcmp(code, "login_locked")
                ? "too many failed logins; retry after the time in "
                  "Retry-After" : msg ? msg + 4 : "error", rid);
            apr_bucket *j = apr_bucket_pool_create(body, strlen(body), r->pool,
                                                   f->c->bucket_alloc);

            ap_set_content_type(r, "application/json");
            apr_table_unset(r->headers_out, "Content-Length");
            apr_table_setn(r->headers_out, "Cache-Control", "no-store");
            apr_table_setn(r->err_headers_out, "X-Request-Id", rid);
            APR_BUCKET_INSERT_BEFORE(b, j);
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        apr_bucket_delete(b);   /* httpd's HTML body */
    }
    return APR_SUCCESS;
}

static void mc_insert_error_filter(request_rec *r)
{
    if (is_api(r)) {
        /* mod_authn_dbd answers 500 when PostgreSQL is down; say what it
         * is: a dependency outage (503), as every other route does. */
        if (r->status == HTTP_INTERNAL_SERVER_ERROR) {
            int cached = 0;

            if (apr_table_get(r->notes, MC_NOTE_DB_FAILED)
                || !mc_db_healthy(r, 1, &cached)) {
                r->status = HTTP_SERVICE_UNAVAILABLE;
                r->status_line = NULL;
                apr_table_setn(r->err_headers_out, "Retry-After", "5");
            }
        }
        if (r->status >= 500) {
            static mc_lograte lr;
            apr_uint32_t dropped = 0;

            if (mc_lograte_ok(&lr, &dropped)) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00003)
                              "answering %d (%u more such answer%s since the "
                              "last such line, not logged)", r->status,
                              dropped, dropped == 1 ? "" : "s");
            }
        }
        ap_add_output_filter(MC_ERROR_FILTER, NULL, r, r->connection);
    }
}

/* ---- after the response ------------------------------------------------ */

/* Who a refused login is recorded as: the typed name only when it is an
 * account's (MC_NOTE_UNKNOWN_USER: often a mistyped password) and
 * printable. */
static const char *audit_actor(const request_rec *r)
{
    return !r->user || apr_table_get(r->notes, MC_NOTE_UNKNOWN_USER)
           || strlen(r->user) > 128
           || !cc_utf8_valid(r->user, strlen(r->user))
           ? "(unknown user)" : r->user;
}

static int mc_log_transaction(request_rec *r)
{
    int route;

    if (!is_api(r) || r->main) {
        return DECLINED;
    }
    route = mc_route_index(r);
    mc_shm_observe(route, r->status, (apr_int64_t)(apr_time_now() -
                                                   r->request_time));
    /* A staff login that Apache refused: audit it (by address, within the
     * "login" rate so a password-guessing flood cannot flood the log).  A
     * typed name that matches no account is not kept: it is often a
     * mistyped password. */
    if ((r->status == HTTP_UNAUTHORIZED
         && apr_table_get(r->headers_in, "Authorization") && r->user)
        || (r->status == HTTP_FORBIDDEN && r->user
            && !strncmp(r->uri, "/api/admin/", 11))) {
        cc_bucket_result_t res;
        const char *key = mc_client_key(r);

        if (mc_shm_rate_take(r, MC_RL_LOGIN, key, &res)) {
            json_t *d = cc_json_pool_own(r->pool,
                json_pack("{s:s, s:s, s:s}", "client", r->useragent_ip,
                          "method", r->method, "uri", r->uri));
            const char *action = r->status == HTTP_UNAUTHORIZED
                                 ? "auth.login_failed"
                                 : apr_table_get(r->notes, MC_NOTE_CROSS_SITE)
                                 ? "auth.cross_site" : "auth.forbidden";
            const char *who = audit_actor(r);

            if (mc_audit_append_tx(r, who, action, r->uri,
                                   cc_json_dump(r->pool, d, NULL))
                != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00004)
                              "could not audit a refused login");
            }
        }
        else {
            mc_shm_ratelimited(MC_RL_LOGIN);
        }
    }
    /* The failure that locked an address or an account: once, always. */
    if (apr_table_get(r->notes, MC_NOTE_LOCKED_OUT)) {
        const cc_rate_t lock = mc_config_lockout(r->server);
        const char *what = apr_table_get(r->notes, MC_NOTE_LOCKED_OUT);
        json_t *d = cc_json_pool_own(r->pool,
            json_pack("{s:s, s:s, s:i, s:i}", "client", r->useragent_ip,
                      "locked", what, "failures", (int)lock.limit,
                      "seconds", (int)lock.period_s));
        const char *who = audit_actor(r);

        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00005)
                      "staff logins locked out for this %s after %u "
                      "failures", what, lock.limit);
        if (mc_audit_append_tx(r, who, "auth.locked_out", r->useragent_ip,
                               cc_json_dump(r->pool, d, NULL))
            != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00006)
                          "could not audit a lock-out");
        }
    }
    return OK;
}

static void mc_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };

    mc_auth_register(p);
    ap_hook_pre_config(mc_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(mc_post_config_sql, NULL, before_dbd,
                        APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(mc_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(mc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_dbd's: the background threads started here open
     * connections at once. */
    ap_hook_child_init(mc_child_init, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_generate_log_id(mc_generate_log_id, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(mc_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(mc_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(mc_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_log_transaction(mc_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    mc_webhdr_register(p);
    ap_register_output_filter(MC_ERROR_FILTER, mc_error_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}

AP_DECLARE_MODULE(concierge) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config */
    NULL,
    mc_config_create_srv,
    mc_config_merge_srv,
    mc_cmds,
    mc_register_hooks
};
