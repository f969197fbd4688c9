/*
 * mod_concierge_routes.c - the one route table and its dispatcher.
 *
 * Request flow (docs/INTERNALS.md has the picture):
 *   match route (404 / 405+Allow / 400 bad parameter)
 *   -> identity and role (401 / 403; /api/admin/ always needs a user)
 *   -> rate limit (429 + Retry-After + RateLimit headers)
 *   -> body: content type (415), size cap (413), JSON limits (400)
 *   -> handler (thin: decode, call core, encode)
 * Every answer under /api/ is JSON; errors carry the request id.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_atomic.h"
#include <unistd.h>
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_concierge_routes.h"
#include "mod_concierge_auth.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "util_script.h"
#include "cc_json.h"
#include "cc_buf.h"

/* ---- the tables, assembled from the resources ------------------------- */

static mc_route *routes;        /* in pconf; rebuilt on every restart */
static int nroutes;
static const mc_stmt **stmts;
static int nstmts;

apr_status_t mc_routes_assemble(apr_pool_t *pconf, server_rec *s)
{
    const mc_resource *const *res;
    int nr = 0, ns = 0, i, j;

    for (res = mc_resources; *res; res++) {
        for (i = 0; (*res)->routes && (*res)->routes[i].method; i++) {
            nr++;
        }
        for (i = 0; (*res)->stmts && (*res)->stmts[i].label; i++) {
            ns++;
        }
    }
    routes = apr_pcalloc(pconf, sizeof(*routes) * (nr + 1));
    stmts = apr_pcalloc(pconf, sizeof(*stmts) * (ns + 1));
    nroutes = nstmts = 0;
    for (res = mc_resources; *res; res++) {
        for (i = 0; (*res)->routes && (*res)->routes[i].method; i++) {
            const mc_route *rt = &(*res)->routes[i];

            for (j = 0; j < nroutes; j++) {
                if (!strcmp(routes[j].method, rt->method)
                    && cc_route_same(routes[j].pattern, rt->pattern)) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(00304)
                                 "route %s %s of '%s' is declared twice",
                                 rt->method, rt->pattern, (*res)->name);
                    return APR_EINVAL;
                }
            }
            routes[nroutes++] = *rt;
        }
        for (i = 0; (*res)->stmts && (*res)->stmts[i].label; i++) {
            const mc_stmt *st = &(*res)->stmts[i];

            for (j = 0; j < nstmts; j++) {
                if (!strcmp(stmts[j]->label, st->label)) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(00305)
                                 "statement %s of '%s' is declared twice",
                                 st->label, (*res)->name);
                    return APR_EINVAL;
                }
            }
            stmts[nstmts++] = st;
        }
    }
    return APR_SUCCESS;
}

int mc_routes_count(void)
{
    return nroutes;
}

const mc_route *mc_routes_get(int i)
{
    return i >= 0 && i < nroutes ? &routes[i] : NULL;
}

int mc_stmts_count(void)
{
    return nstmts;
}

const mc_stmt *mc_stmts_get(int i)
{
    return i >= 0 && i < nstmts ? stmts[i] : NULL;
}

const char *const *mc_route_labels(apr_pool_t *p)
{
    const char **labels = apr_palloc(p, sizeof(char *) * (nroutes + 1));
    int i;

    for (i = 0; i < nroutes; i++) {
        labels[i] = apr_pstrcat(p, routes[i].method, " ",
                                routes[i].pattern, NULL);
    }
    labels[nroutes] = "unmatched";
    return labels;
}

/* ---- request id -------------------------------------------------------- */

#define MC_NOTE_RID "concierge-request-id"

/* Request ids: a random per-process prefix (from child_init) and a
 * per-process counter; unique across processes and restarts without a
 * system call per request.  They identify, they do not authorise. */
static apr_uint64_t rid_prefix;
static volatile apr_uint64_t rid_counter;

void mc_request_id_child_init(void)
{
    if (apr_generate_random_bytes((unsigned char *)&rid_prefix,
                                  sizeof(rid_prefix)) != APR_SUCCESS) {
        rid_prefix = (apr_uint64_t)apr_time_now() ^ ((apr_uint64_t)getpid() << 40);
    }
}

const char *mc_request_id(request_rec *r)
{
    static const char hexd[] = "0123456789abcdef";
    request_rec *top = r;
    const char *rid;
    apr_uint64_t n, p;
    char *hex;
    int i;

    while (top->prev) {
        top = top->prev;
    }
    while (top->main) {
        top = top->main;
    }
    rid = apr_table_get(top->notes, MC_NOTE_RID);
    if (rid) {
        return rid;
    }
    n = apr_atomic_add64(&rid_counter, 1);
    p = rid_prefix;
    hex = apr_palloc(top->pool, 25);
    for (i = 0; i < 12; i++) {      /* 48 bits of prefix */
        hex[i] = hexd[(p >> (44 - 4 * i)) & 15];
    }
    for (i = 0; i < 12; i++) {      /* 48 bits of counter */
        hex[12 + i] = hexd[(n >> (44 - 4 * i)) & 15];
    }
    hex[24] = '\0';
    apr_table_setn(top->notes, MC_NOTE_RID, hex);
    return hex;
}

/* ---- replies ----------------------------------------------------------- */

int mc_reply_raw(mc_ctx *c, int status, const char *ctype, const char *text,
                 apr_size_t len)
{
    request_rec *r = c->r;

    r->status = status;
    ap_set_content_type(r, ctype);
    /* No API answer is stored, unless its handler said otherwise before
     * replying (GET /api/status: a few seconds). */
    if (!apr_table_get(r->headers_out, "Cache-Control")) {
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    }
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
    }
    c->replied = 1;
    return OK;
}

int mc_reply(mc_ctx *c, int status, json_t *body)
{
    apr_size_t len = 0;
    char *text;

    cc_json_pool_own(c->r->pool, body);
    text = cc_json_dump(c->r->pool, body, &len);
    if (!text) {
        text = "{}";
        len = 2;
    }
    return mc_reply_raw(c, status, "application/json", text, len);
}

static int send_error_raw(request_rec *r, int status, const char *code,
                          const char *message)
{
    const char *rid = mc_request_id(r);
    const char *body = cc_json_error_body(r->pool, code, message, rid);
    apr_size_t len = strlen(body);

    apr_table_setn(r->err_headers_out, "X-Request-Id", rid);
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

int mc_send_error(request_rec *r, int status, const char *code,
                  const char *message)
{
    return send_error_raw(r, status, code, message);
}

int mc_error(mc_ctx *c, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(c->r->pool, fmt, ap);
    va_end(ap);
    c->replied = 1;
    if (status == 503 && !strcmp(code, "db_unavailable")) {
        /* Every database outage, whatever its message: come back soon. */
        apr_table_setn(c->r->err_headers_out, "Retry-After", "5");
    }
    if (status >= 500) {
        /* An outage answers every request 503: logged once per 10 s with
         * a count (mc_lograte), apart from other server errors. */
        static mc_lograte lr_503, lr_5xx;
        apr_uint32_t dropped = 0;

        if (mc_lograte_ok(status == 503 ? &lr_503 : &lr_5xx, &dropped)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, CCLOGNO(00301)
                          "%d %s (%u more %s answer%s since the last such "
                          "line, not logged)", status, code, dropped,
                          status == 503 ? "503" : "5xx",
                          dropped == 1 ? "" : "s");
        }
    }
    return send_error_raw(c->r, status, code, msg);
}

int mc_error_db(mc_ctx *c)
{
    return mc_error(c, 503, "db_unavailable", "the database is unavailable");
}

int mc_error_problem(mc_ctx *c, const cc_problem_t *prob)
{
    return mc_error(c, prob->status ? prob->status : 400, prob->code, "%s",
                    prob->message);
}

/* ---- the pipeline ------------------------------------------------------ */

static int is_admin_path(const char *uri)
{
    return !strncmp(uri, "/api/admin/", 11) || !strcmp(uri, "/api/admin");
}

static int check_identity(mc_ctx *c)
{
    request_rec *r = c->r;
    const mc_srv_conf *conf = mc_config_get(r->server);
    const char *role = NULL;

    c->user = r->user;
    c->role = MC_ROLE_PUBLIC;
    if (c->route->role == MC_ROLE_PUBLIC && !is_admin_path(r->uri)) {
        return OK;
    }
    if (!r->user || !*r->user) {
        /* Fail closed: the httpd config may have forgotten the auth block. */
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       "Basic realm=\"mod_concierge staff\"");
        mc_error(c, 401, "authentication_required",
                 "this route needs an authenticated staff account");
        return DONE;
    }
    role = apr_hash_get(conf->user_roles, r->user, APR_HASH_KEY_STRING);
    if (!role) {
        /* Read with the password by our authn provider, this request. */
        role = apr_table_get(r->notes, MC_NOTE_ROLE);
    }
    if (!role) {
        ap_dbd_t *dbd = mc_db_acquire(r);
        apr_dbd_results_t *res;
        const char *args[1] = { r->user };

        if (!dbd) {
            mc_error_db(c);
            return DONE;
        }
        if (mc_db_select(r, dbd, "cc_user_role", &res, 1, args)
            != APR_SUCCESS) {
            mc_error_db(c);
            return DONE;
        }
        role = mc_db_value(r, dbd, res, 0);
    }
    if (role && !strcmp(role, "admin")) {
        c->role = MC_ROLE_ADMIN;
    }
    else if (role && !strcmp(role, "staff")) {
        c->role = MC_ROLE_STAFF;
    }
    if (!role || c->role < c->route->role
        || (is_admin_path(r->uri) && c->role < MC_ROLE_STAFF)) {
        mc_error(c, 403, "forbidden", "your role may not use this route");
        return DONE;
    }
    return OK;
}

static int check_rate(mc_ctx *c)
{
    request_rec *r = c->r;
    mc_rl_class_e cls = c->route->rl_class;
    cc_bucket_result_t res;
    const cc_rate_t *rate;
    const char *key;

    if (cls == MC_RL_NONE) {
        return OK;
    }
    rate = mc_config_rate(r->server, cls);
    key = c->user ? apr_pstrcat(r->pool, "u:", c->user, NULL)
                  : mc_client_key(r);
    mc_shm_rate_take(r, cls, key, &res);
    apr_table_setn(r->err_headers_out, "RateLimit-Policy",
                   apr_psprintf(r->pool, "%u;w=%u", rate->limit,
                                rate->period_s));
    apr_table_setn(r->err_headers_out, "RateLimit",
                   apr_psprintf(r->pool, "limit=%u, remaining=%u, reset=%u",
                                rate->limit, res.remaining, res.reset_s));
    if (res.allowed) {
        return OK;
    }
    mc_shm_ratelimited(cls);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%u", res.retry_after_s));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(00302)
                  "rate limit %s exceeded", mc_rl_class_names[cls]);
    mc_error(c, 429, "rate_limited", "too many requests; retry in %u s",
             res.retry_after_s);
    return DONE;
}

static int content_type_is_json(const char *ct)
{
    const char *p;

    if (!ct) {
        return 0;
    }
    if (strncasecmp(ct, "application/json", 16)) {
        return 0;
    }
    p = ct + 16;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!*p) {
        return 1;
    }
    if (*p != ';') {
        return 0;
    }
    /* Only UTF-8 is accepted; a charset parameter must say so. */
    p++;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!strncasecmp(p, "charset=", 8)) {
        p += 8;
        if (*p == '"') {
            p++;
        }
        return !strncasecmp(p, "utf-8", 5);
    }
    return 1;
}

static int content_type_is_text(const char *ct)
{
    const char *p;

    if (!ct) {
        return 0;
    }
    if (!strncasecmp(ct, "text/markdown", 13)) {
        p = ct + 13;
    }
    else if (!strncasecmp(ct, "text/plain", 10)) {
        p = ct + 10;
    }
    else {
        return 0;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!*p) {
        return 1;
    }
    if (*p != ';') {
        return 0;
    }
    p = ap_strcasestr(p, "charset=");
    if (!p) {
        return 1;
    }
    p += 8;
    if (*p == '"') {
        p++;
    }
    return !strncasecmp(p, "utf-8", 5);
}

/* ---- cross-site requests ------------------------------------------------ *
 *
 * A hostile page can make a staff member's browser send, with the staff
 * credentials the browser holds: a form POST (urlencoded, multipart or
 * text/plain), a GET by <img> or link, and a no-cors fetch limited to
 * those same content types.  So:
 *   1. Sec-Fetch-Site, when the browser sends it, must be same-origin (or
 *      none: typed by the user), and Origin, when sent, must be this host
 *      or a ConciergeAllowedOrigin; else 403 cross_site.  For every
 *      state-changing request, and for every request under /api/admin/
 *      (a staff read writes an audit entry).
 *   2. A state-changing request must carry a content type no cross-site
 *      form or simple request can: application/json - even with no body
 *      - or, on the Markdown routes, text/markdown (text/plain too on a
 *      PUT, which no form can send).  Else 415.
 * Clients that are not browsers (curl, the staff's scripts) send neither
 * header and pass 1. */

static int is_state_changing(const request_rec *r)
{
    return r->method_number != M_GET && r->method_number != M_OPTIONS
           && strcmp(r->method, "HEAD");
}

/* 1 when origin (as browsers send it) is this request's own host. */
static int origin_is_self(request_rec *r, const char *origin)
{
    const char *host = apr_table_get(r->headers_in, "Host");
    const char *sep = ap_strstr_c(origin, "://");

    return sep && host && *host && !strcasecmp(sep + 3, host);
}

static int check_cross_site(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *sfs = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const mc_srv_conf *conf = mc_config_get(r->server);
    int ok = 1;

    if (!is_state_changing(r) && !is_admin_path(r->uri)) {
        return OK;
    }
    if (origin && strcmp(origin, "null")) {
        char *low = apr_pstrdup(r->pool, origin);

        ap_str_tolower(low);
        if (apr_hash_get(conf->allowed_origins, low, APR_HASH_KEY_STRING)) {
            return OK;              /* a site the clinic named */
        }
        ok = origin_is_self(r, origin);
    }
    else if (origin) {
        ok = 0;                     /* "null": a sandboxed or file page */
    }
    if (sfs && strcasecmp(sfs, "same-origin") && strcasecmp(sfs, "none")) {
        ok = 0;
    }
    if (ok) {
        return OK;
    }
    apr_table_setn(r->notes, MC_NOTE_CROSS_SITE, "1");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(00306)
                  "cross-site %s refused (Sec-Fetch-Site %s)", r->method,
                  sfs ? sfs : "absent");
    mc_error(c, 403, "cross_site", "requests from another site are not "
             "accepted here");
    return DONE;
}

static int check_form_proof(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");

    if (!is_state_changing(r)) {
        return OK;
    }
    if (c->route->body == MC_BODY_TEXT) {
        if (ct && (!strncasecmp(ct, "text/markdown", 13)
                   || (r->method_number != M_POST
                       && !strncasecmp(ct, "text/plain", 10)))
            && content_type_is_text(ct)) {
            return OK;
        }
        mc_error(c, 415, "unsupported_media_type",
                 "send the body as text/markdown (UTF-8)");
        return DONE;
    }
    if (content_type_is_json(ct)) {
        return OK;
    }
    mc_error(c, 415, "unsupported_media_type",
             "send Content-Type: application/json (UTF-8), also when the "
             "request has no body");
    return DONE;
}

static int read_body(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_size_t cap = c->route->max_body;
    apr_int64_t conf_cap = mc_config_geti(r->server, MC_CONF_MAX_BODY);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    cc_limbuf_t *body;
    apr_size_t len = 0, announced = 0;
    int seen_eos = 0, oom = 0;
    cc_problem_t prob;
    cc_json_limits_t lim;

    /* ConciergeMaxBody caps what the public may send; staff routes keep
     * their own caps (a knowledge document may be megabytes). */
    if (c->route->role == MC_ROLE_PUBLIC && c->route->body != MC_BODY_RAW_JSON
        && (apr_int64_t)cap > conf_cap) {
        cap = (apr_size_t)conf_cap;
    }
    if (c->route->max_body == 0) {
        return OK;      /* this route takes no body; httpd discards any */
    }
    if (c->route->body == MC_BODY_JSON_OPT
        && !apr_table_get(r->headers_in, "Transfer-Encoding")
        && (!cl || !strcmp(cl, "0"))) {
        return OK;      /* an optional body, not sent */
    }
    /* The content type was checked by check_form_proof: every route that
     * takes a body is a POST, PUT or DELETE. */
    if (cl) {
        char *end = NULL;
        apr_off_t n = 0;

        if (apr_strtoff(&n, cl, &end, 10) != APR_SUCCESS || *end || n < 0) {
            mc_error(c, 400, "bad_request", "invalid Content-Length");
            return DONE;
        }
        if ((apr_uint64_t)n > cap) {
            r->connection->keepalive = AP_CONN_CLOSE;
            mc_error(c, 413, "body_too_large", "the body exceeds %"
                     APR_SIZE_T_FMT " bytes", cap);
            return DONE;
        }
        announced = (apr_size_t)n;
    }
    /* The body grows as it arrives (from Content-Length when announced
     * within the cap): the cap bounds what a body may reach, and
     * allocating it up front made every small request on the knowledge
     * upload cost 12 MB. */
    body = cc_limbuf_init(r->pool, cap, announced);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);

        if (rv != APR_SUCCESS) {
            int st = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);

            r->connection->keepalive = AP_CONN_CLOSE;
            if (st == AP_FILTER_ERROR) {
                /* httpd has already answered (e.g. LimitRequestBody). */
                c->replied = 1;
                return DONE;
            }
            mc_error(c, st, st == 413 ? "body_too_large" : "bad_request",
                     "the request body could not be read");
            return DONE;
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            rv = apr_bucket_read(b, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                mc_error(c, 400, "bad_request",
                         "the request body could not be read");
                return DONE;
            }
            if (cc_limbuf_add(body, data, n, &oom) != 0) {
                r->connection->keepalive = AP_CONN_CLOSE;
                if (oom) {
                    mc_error(c, 503, "out_of_memory", "the body could not "
                             "be held");
                    return DONE;
                }
                mc_error(c, 413, "body_too_large", "the body exceeds %"
                         APR_SIZE_T_FMT " bytes", cap);
                return DONE;
            }
        }
        apr_brigade_cleanup(bb);
    }
    buf = body->d;
    len = body->n;
    c->raw = buf;
    c->raw_len = len;
    if (c->route->body == MC_BODY_TEXT) {
        if (!cc_utf8_valid(buf, len) || memchr(buf, '\0', len)) {
            mc_error(c, 400, "invalid_text", "the body is not valid UTF-8 "
                     "text");
            return DONE;
        }
        return OK;
    }
    if (c->route->body == MC_BODY_RAW_JSON) {
        return OK;      /* the handler checks and decodes it */
    }
    lim.max_bytes = cap;
    lim.max_depth = (int)mc_config_geti(r->server, MC_CONF_JSON_DEPTH);
    if (cc_json_decode(&c->body, r->pool, buf, len, &lim, &prob)
        != APR_SUCCESS) {
        mc_error_problem(c, &prob);
        return DONE;
    }
    return OK;
}

static const mc_route *find_route(request_rec *r, cc_route_params_t *params,
                                  int *idx, int *badparam, char **allow)
{
    const char *method = r->method_number == M_GET ? "GET" : r->method;
    int i;

    *idx = -1;
    *badparam = 0;
    *allow = NULL;
    for (i = 0; i < nroutes; i++) {
        cc_route_result_e m = cc_route_match(routes[i].pattern, r->uri,
                                             r->pool, params);
        if (m == CC_ROUTE_NOMATCH) {
            continue;
        }
        if (strcmp(routes[i].method, method)) {
            *allow = *allow ? apr_pstrcat(r->pool, *allow, ", ",
                                          routes[i].method, NULL)
                            : apr_pstrdup(r->pool, routes[i].method);
            continue;
        }
        *idx = i;
        if (m == CC_ROUTE_BADPARAM) {
            *badparam = 1;
        }
        return &routes[i];
    }
    return NULL;
}

/* Route index for metrics: remembered by the dispatcher, found again for
 * requests refused before the handler ran (authentication). */
int mc_route_index(request_rec *r)
{
    const int *known = ap_get_module_config(r->request_config,
                                            &concierge_module);
    cc_route_params_t params;
    int idx, bad;
    char *allow;

    if (known) {
        return *known;
    }
    find_route(r, &params, &idx, &bad, &allow);
    return idx < 0 ? nroutes : idx;
}

int mc_dispatch(request_rec *r)
{
    mc_ctx *c = apr_pcalloc(r->pool, sizeof(*c));
    char *allow = NULL;
    int idx, badparam, rv;

    c->r = r;
    c->rid = mc_request_id(r);
    apr_table_setn(r->err_headers_out, "X-Request-Id", c->rid);
    c->route = find_route(r, &c->params, &idx, &badparam, &allow);
    {
        int *known = apr_palloc(r->pool, sizeof(int));

        *known = idx < 0 ? nroutes : idx;
        ap_set_module_config(r->request_config, &concierge_module, known);
    }
    if (!c->route) {
        if (allow) {
            apr_table_setn(r->err_headers_out, "Allow", allow);
            return mc_error(c, 405, "method_not_allowed",
                            "%s is not allowed here; allowed: %s",
                            ap_escape_html(r->pool, r->method), allow);
        }
        return mc_error(c, 404, "not_found", "no such API route");
    }
    if (badparam) {
        return mc_error(c, 400, "invalid_parameter",
                        "a path parameter holds characters that are not "
                        "allowed");
    }
    /* Cross-site first: a hostile page's request goes no further (no
     * role lookup, no rate-limit token); then who, how often, and what
     * the body is. */
    if (check_cross_site(c) != OK || check_identity(c) != OK
        || check_rate(c) != OK || check_form_proof(c) != OK
        || read_body(c) != OK) {
        return OK;
    }
    rv = c->route->fn(c);
    if (!c->replied) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00303)
                      "handler for %s %s gave no reply (%d)",
                      c->route->method, c->route->pattern, rv);
        return mc_error(c, 500, "internal_error",
                        "the request could not be completed");
    }
    return OK;
}
