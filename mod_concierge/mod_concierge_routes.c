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
#include "util_script.h"
#include "mod_concierge.h"
#include "cc_json.h"

#define KB 1024
#define MB (1024 * 1024)

/* method, pattern, handler, role, rate-limit class, body cap */
const mc_route mc_routes[] = {
    { "GET", "/api/health", mc_api_health, MC_ROLE_PUBLIC, MC_RL_NONE, 0 },
    { "GET", "/api/admin/health", mc_api_admin_health, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/metrics", mc_api_admin_metrics, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/me", mc_api_admin_me, MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/audit", mc_api_admin_audit, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/audit/verify", mc_api_admin_audit_verify,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/users", mc_api_admin_users_list, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0 },
    { "PUT", "/api/admin/users/{username}", mc_api_admin_user_put,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 4 * KB },
    { "GET", "/api/admin/routes", mc_api_admin_routes, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0 },
    /* knowledge (admin) */
    { "GET", "/api/admin/knowledge", mc_api_admin_knowledge_list,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "PUT", "/api/admin/knowledge", mc_api_admin_knowledge_replace,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 12 * MB, MC_BODY_TEXT },
    { "POST", "/api/admin/knowledge/documents", mc_api_admin_knowledge_create,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 2 * MB },
    { "GET", "/api/admin/knowledge/documents/{slug}",
      mc_api_admin_knowledge_get, MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "PUT", "/api/admin/knowledge/documents/{slug}",
      mc_api_admin_knowledge_put, MC_ROLE_ADMIN, MC_RL_ADMIN, 2 * MB },
    { "DELETE", "/api/admin/knowledge/documents/{slug}",
      mc_api_admin_knowledge_delete, MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/knowledge/search", mc_api_admin_knowledge_search,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/knowledge/synonyms", mc_api_admin_synonyms_get,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "PUT", "/api/admin/knowledge/synonyms", mc_api_admin_synonyms_put,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 256 * KB, MC_BODY_TEXT },
    /* chat (patients) and chat logs (staff) */
    /* booking */
    { "GET", "/api/services", mc_api_services, MC_ROLE_PUBLIC, MC_RL_BROWSE,
      0 },
    { "GET", "/api/slots", mc_api_slots, MC_ROLE_PUBLIC, MC_RL_BROWSE, 0 },
    { "POST", "/api/bookings", mc_api_bookings_create, MC_ROLE_PUBLIC,
      MC_RL_BOOKING, 8 * KB },
    { "GET", "/api/bookings/{id}", mc_api_booking_get, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0 },
    { "POST", "/api/bookings/{id}/cancel", mc_api_booking_cancel,
      MC_ROLE_PUBLIC, MC_RL_BOOKING, 2 * KB, MC_BODY_JSON_OPT },
    { "POST", "/api/bookings/{id}/reschedule", mc_api_booking_reschedule,
      MC_ROLE_PUBLIC, MC_RL_BOOKING, 2 * KB },
    { "GET", "/api/admin/bookings", mc_api_admin_bookings, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/bookings/{id}", mc_api_admin_booking_get,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/bookings/{id}/cancel", mc_api_admin_booking_cancel,
      MC_ROLE_STAFF, MC_RL_ADMIN, 2 * KB, MC_BODY_JSON_OPT },
    { "POST", "/api/admin/bookings/{id}/reschedule",
      mc_api_admin_booking_reschedule, MC_ROLE_STAFF, MC_RL_ADMIN, 2 * KB },
    /* the clinic model: admins set services, practitioners and settings;
     * staff keep schedules (hours, holidays, time off) */
    { "GET", "/api/admin/services", mc_api_admin_services, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/services", mc_api_admin_service_create,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB },
    { "PUT", "/api/admin/services/{id}", mc_api_admin_service_update,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB },
    { "GET", "/api/admin/practitioners", mc_api_admin_practitioners,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/practitioners", mc_api_admin_practitioner_create,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB },
    { "PUT", "/api/admin/practitioners/{id}",
      mc_api_admin_practitioner_update, MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB },
    { "PUT", "/api/admin/practitioners/{id}/hours", mc_api_admin_hours_put,
      MC_ROLE_STAFF, MC_RL_ADMIN, 8 * KB },
    { "GET", "/api/admin/exceptions", mc_api_admin_exceptions, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/exceptions", mc_api_admin_exception_create,
      MC_ROLE_STAFF, MC_RL_ADMIN, 4 * KB },
    { "DELETE", "/api/admin/exceptions/{id}", mc_api_admin_exception_delete,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/settings", mc_api_admin_settings_get, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0 },
    { "PUT", "/api/admin/settings", mc_api_admin_settings_put, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 4 * KB },
    { "POST", "/api/chat", mc_api_chat_post, MC_ROLE_PUBLIC, MC_RL_CHAT,
      16 * KB },
    { "GET", "/api/chat/{session_id}", mc_api_chat_get, MC_ROLE_PUBLIC,
      MC_RL_NONE, 0 },
    { "GET", "/api/admin/conversations", mc_api_admin_conversations,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/conversations/{id}", mc_api_admin_conversation,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    /* clinical safety (staff: check and the queue; admin: the rules) */
    { "POST", "/api/admin/compliance/check", mc_api_admin_compliance_check,
      MC_ROLE_STAFF, MC_RL_ADMIN, 32 * KB },
    { "GET", "/api/admin/compliance/rules", mc_api_admin_rules_list,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/compliance/rules", mc_api_admin_rules_create,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 4 * KB },
    { "PUT", "/api/admin/compliance/rules/{id}", mc_api_admin_rules_update,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 4 * KB },
    { "DELETE", "/api/admin/compliance/rules/{id}", mc_api_admin_rules_delete,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/escalations", mc_api_admin_escalations,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "GET", "/api/admin/escalations/{id}", mc_api_admin_escalation_get,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/escalations/{id}/claim",
      mc_api_admin_escalation_claim, MC_ROLE_STAFF, MC_RL_ADMIN, 0 },
    { "POST", "/api/admin/escalations/{id}/reply",
      mc_api_admin_escalation_reply, MC_ROLE_STAFF, MC_RL_ADMIN, 16 * KB },
    { "POST", "/api/admin/escalations/{id}/reassign",
      mc_api_admin_escalation_reassign, MC_ROLE_STAFF, MC_RL_ADMIN, 1 * KB },
    { "POST", "/api/admin/escalations/{id}/resolve",
      mc_api_admin_escalation_resolve, MC_ROLE_STAFF, MC_RL_ADMIN, 4 * KB },
};
const int mc_nroutes = (int)(sizeof(mc_routes) / sizeof(mc_routes[0]));

const char *const *mc_route_labels(apr_pool_t *p)
{
    const char **labels = apr_palloc(p, sizeof(char *) * (mc_nroutes + 1));
    int i;

    for (i = 0; i < mc_nroutes; i++) {
        labels[i] = apr_pstrcat(p, mc_routes[i].method, " ",
                                mc_routes[i].pattern, NULL);
    }
    labels[mc_nroutes] = "unmatched";
    return labels;
}

/* GET /api/admin/routes: the table itself, for API docs and for the tests
 * that walk every route. */
int mc_api_admin_routes(mc_ctx *c)
{
    static const char *const roles[] = { "public", "staff", "admin" };
    json_t *a = json_array();
    int i;

    for (i = 0; i < mc_nroutes; i++) {
        const mc_route *rt = &mc_routes[i];

        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I}",
            "method", rt->method, "pattern", rt->pattern,
            "role", roles[rt->role],
            "rate_class", rt->rl_class == MC_RL_NONE
                          ? "none" : mc_rl_class_names[rt->rl_class],
            "max_body", (json_int_t)rt->max_body));
    }
    return mc_reply(c, 200, json_pack("{s:o}", "routes", a));
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
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
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
    if (status >= 500) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, CCLOGNO(00301)
                      "%d %s", status, code);
    }
    return send_error_raw(c->r, status, code, msg);
}

int mc_error_problem(mc_ctx *c, const cc_problem_t *prob)
{
    return mc_error(c, prob->status ? prob->status : 400, prob->code, "%s",
                    prob->message);
}

int mc_reply_page(mc_ctx *c, const char *key, const char *rows,
                  const char *min, apr_int64_t limit)
{
    json_error_t jerr;
    json_t *list = rows ? json_loads(rows, 0, &jerr) : NULL;
    json_t *o;

    if (!json_is_array(list)) {
        json_decref(list);
        return mc_error(c, 500, "internal_error", "%s rows unreadable", key);
    }
    o = json_pack("{s:o}", key, list);
    json_object_set_new(o, "next_before",
                        min && (apr_int64_t)json_array_size(list) == limit
                        ? json_integer(apr_strtoi64(min, NULL, 10))
                        : json_null());
    return mc_reply(c, 200, o);
}

apr_int64_t mc_param_id(mc_ctx *c, const char *name)
{
    const char *s = cc_route_param(&c->params, name);
    char *end = NULL;
    apr_int64_t n;

    errno = 0;
    n = s ? apr_strtoi64(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || n <= 0) {
        mc_error(c, 400, "invalid_parameter", "the %s is a positive whole "
                 "number", name);
        return -1;
    }
    return n;
}

int mc_body_string(mc_ctx *c, const char *field, apr_size_t max,
                   const char **out, apr_size_t *len)
{
    json_error_t jerr;
    size_t n = 0;

    *out = NULL;
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s%}", field, out,
                       &n) != 0) {
        mc_error(c, 400, "invalid_body", "expected {\"%s\": string}: %s",
                 field, jerr.text);
        return DONE;
    }
    if (n == 0 || n > max || strlen(*out) != n) {
        mc_error(c, 422, apr_pstrcat(c->r->pool, "invalid_", field, NULL),
                 "%s is 1 to %" APR_SIZE_T_FMT " bytes of text", field, max);
        return DONE;
    }
    if (len) {
        *len = n;
    }
    return OK;
}

apr_status_t mc_arg_int(mc_ctx *c, const char *name, apr_int64_t def,
                        apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    apr_table_t *args = NULL;
    const char *v;
    char *end = NULL;
    apr_int64_t n;

    ap_args_to_table(c->r, &args);
    v = args ? apr_table_get(args, name) : NULL;
    if (!v) {
        *out = def;
        return APR_SUCCESS;
    }
    errno = 0;
    n = apr_strtoi64(v, &end, 10);
    if (!*v || errno || *end || n < min || n > max) {
        mc_error(c, 400, "invalid_parameter", "query parameter '%s' must be "
                 "a whole number from %" APR_INT64_T_FMT " to %"
                 APR_INT64_T_FMT, name, min, max);
        return APR_EINVAL;
    }
    *out = n;
    return APR_SUCCESS;
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
        ap_dbd_t *dbd = mc_db_acquire(r);
        apr_dbd_results_t *res;
        const char *args[1] = { r->user };

        if (!dbd) {
            mc_error(c, 503, "db_unavailable", "the database is unavailable");
            return DONE;
        }
        if (mc_db_select(r, dbd, "cc_user_role", &res, 1, args)
            != APR_SUCCESS) {
            mc_error(c, 503, "db_unavailable", "the database is unavailable");
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
                  : apr_pstrcat(r->pool, "ip:", r->useragent_ip, NULL);
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

static int read_body(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_size_t cap = c->route->max_body;
    apr_int64_t conf_cap = mc_config_geti(r->server, MC_CONF_MAX_BODY);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    apr_size_t len = 0;
    int seen_eos = 0;
    cc_problem_t prob;
    cc_json_limits_t lim;

    /* ConciergeMaxBody caps what the public may send; staff routes keep
     * their own caps (a knowledge document may be megabytes). */
    if (c->route->role == MC_ROLE_PUBLIC && (apr_int64_t)cap > conf_cap) {
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
    if (c->route->body == MC_BODY_TEXT) {
        if (!content_type_is_text(apr_table_get(r->headers_in,
                                                "Content-Type"))) {
            mc_error(c, 415, "unsupported_media_type",
                     "send the body as text/markdown or text/plain (UTF-8)");
            return DONE;
        }
    }
    else if (!content_type_is_json(apr_table_get(r->headers_in,
                                                  "Content-Type"))) {
        mc_error(c, 415, "unsupported_media_type",
                 "send the body as application/json (UTF-8)");
        return DONE;
    }
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
    }
    buf = apr_palloc(r->pool, cap + 1);
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
            if (n > cap - len) {
                r->connection->keepalive = AP_CONN_CLOSE;
                mc_error(c, 413, "body_too_large", "the body exceeds %"
                         APR_SIZE_T_FMT " bytes", cap);
                return DONE;
            }
            memcpy(buf + len, data, n);
            len += n;
        }
        apr_brigade_cleanup(bb);
    }
    buf[len] = '\0';
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
    for (i = 0; i < mc_nroutes; i++) {
        cc_route_result_e m = cc_route_match(mc_routes[i].pattern, r->uri,
                                             r->pool, params);
        if (m == CC_ROUTE_NOMATCH) {
            continue;
        }
        if (strcmp(mc_routes[i].method, method)) {
            *allow = *allow ? apr_pstrcat(r->pool, *allow, ", ",
                                          mc_routes[i].method, NULL)
                            : apr_pstrdup(r->pool, mc_routes[i].method);
            continue;
        }
        *idx = i;
        if (m == CC_ROUTE_BADPARAM) {
            *badparam = 1;
        }
        return &mc_routes[i];
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
    return idx < 0 ? mc_nroutes : idx;
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

        *known = idx < 0 ? mc_nroutes : idx;
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
    if (check_identity(c) != OK || check_rate(c) != OK
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
