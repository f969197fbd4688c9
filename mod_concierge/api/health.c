/*
 * api/health.c - GET /api/health, GET /api/admin/health,
 * GET /api/admin/metrics, GET /api/admin/routes.
 */
#include "apr_strings.h"
#include "apr_version.h"
#include "apu_version.h"
#include "http_core.h"
#include "ap_mpm.h"
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "mod_concierge_api.h"
#include "mod_concierge_auth.h"
#include "mod_concierge_routes.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_index.h"
#include "mod_concierge_calendar.h"
#include "mod_concierge_stripe.h"
#include "mod_concierge_safety.h"
#include "mod_concierge_escalation.h"
#include "mod_concierge_notify.h"
#include "cc_json.h"

/* Public: liveness and readiness (the database, and the safety gate
 * whole: without its editable rules every patient message is handed to
 * staff, so the host must leave the load balancer); no versions. */
static int mc_api_health(mc_ctx *c)
{
    int cached = 0;
    int ok = mc_db_healthy(c->r, 0, &cached);
    const char *degraded = ok ? mc_safety_degraded(c->r) : NULL;
    json_t *o;

    if (ok && degraded) {
        o = json_pack("{s:{s:s, s:s, s:s}, s:s, s:b, s:b, s:s, s:s}",
                      "error", "code", "safety_degraded",
                      "message", degraded,
                      "request_id", c->rid,
                      "status", "degraded", "live", 1, "ready", 0,
                      "database", "ok", "reason", degraded);
        apr_table_setn(c->r->err_headers_out, "Retry-After", "30");
        return mc_reply(c, 503, o);
    }
    if (ok) {
        static const char body[] =
            "{\"status\":\"ok\",\"live\":true,\"ready\":true,"
            "\"database\":\"ok\"}";

        return mc_reply_raw(c, 200, "application/json", body,
                            sizeof(body) - 1);
    }
    o = json_pack("{s:{s:s, s:s, s:s}, s:s, s:b, s:b, s:s}",
                  "error", "code", "db_unavailable",
                  "message", "the database is unavailable",
                  "request_id", c->rid,
                  "status", "unavailable", "live", 1, "ready", 0,
                  "database", "down");
    apr_table_setn(c->r->err_headers_out, "Retry-After", "5");
    return mc_reply(c, 503, o);
}

static int mc_api_admin_health(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_time_t t0 = apr_time_now();
    int cached = 0, ok, i, threads = 0, daemons = 0;
    json_t *o, *rates = json_object();
    const char *degraded;

    /* Bypass the cache: staff asking want the truth now. */
    ok = mc_db_healthy(r, 1, &cached);
    degraded = ok ? mc_safety_degraded(r) : "the database is unavailable";
    for (i = 0; i < MC_RL_NCLASSES; i++) {
        const cc_rate_t *rt = mc_config_rate(r->server, (mc_rl_class_e)i);

        json_object_set_new(rates, mc_rl_class_names[i],
                            json_pack("{s:i, s:i}", "limit", (int)rt->limit,
                                      "period_s", (int)rt->period_s));
    }
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s},"
                  " s:{s:b, s:f}, s:o, s:o, s:{s:s, s:i, s:i}, s:s}",
                  "status", degraded ? "degraded" : "ok",
                  "version", MC_VERSION,
                  "components",
                  "httpd", ap_get_server_description(),
                  "apr", apr_version_string(),
                  "apr_util", apu_version_string(),
                  "jansson", JANSSON_VERSION,
                  "curl", curl_version_info(CURLVERSION_NOW)->version,
                  "openssl", OpenSSL_version(OPENSSL_VERSION),
                  "database", "ok", ok,
                  "check_ms", (double)(apr_time_now() - t0) / 1000.0,
                  "shared_memory", mc_shm_health(r->pool),
                  "rate_limits", rates,
                  "server", "mpm", ap_show_mpm(),
                  "processes", daemons, "threads_per_process", threads,
                  "timezone", mc_config_timezone(r->server));
    if (degraded) {
        json_object_set_new(o, "reason", json_string(degraded));
    }
    {
        apr_uint64_t from_cache, hashed;
        cc_rate_t lock = mc_config_lockout(r->server);

        mc_shm_auth_stats(&from_cache, &hashed);
        json_object_set_new(o, "staff_logins", json_pack(
            "{s:I, s:I, s:b, s:{s:i, s:i}}", "from_cache",
            (json_int_t)from_cache, "password_checked", (json_int_t)hashed,
            "changes_pushed", mc_auth_listening(), "lockout", "failures",
            (int)lock.limit, "seconds", (int)lock.period_s));
    }
    json_object_set_new(o, "index", mc_index_health(r));
    json_object_set_new(o, "risk_rules", mc_safety_health());
    json_object_set_new(o, "notifications", mc_notify_health(r));
    json_object_set_new(o, "calendar", mc_calendar_health(r));
    json_object_set_new(o, "stripe", mc_stripe_health(r));
    {
        json_t *llm = json_pack("{s:b, s:s, s:s}", "configured",
                                mc_config_llm_enabled(r->server),
                                "base_url", mc_config_gets(r->server,
                                                           MC_CONFS_LLM_BASE),
                                "model", mc_config_gets(r->server,
                                                        MC_CONFS_LLM_MODEL));

        json_object_update(llm, cc_json_pool_own(r->pool,
                                                 mc_shm_breaker_health()));
        json_object_set_new(o, "llm", llm);
    }
    return mc_reply(c, 200, o);
}

static int mc_api_admin_metrics(mc_ctx *c)
{
    int cached = 0;
    int ok = mc_db_healthy(c->r, 0, &cached);
    const char *extra = apr_psprintf(c->r->pool,
        "# HELP concierge_db_up Whether PostgreSQL answered the last check.\n"
        "# TYPE concierge_db_up gauge\n"
        "concierge_db_up %d\n%s", ok ? 1 : 0,
        ok ? mc_escalation_metrics(c->r) : "");
    char *text = mc_shm_metrics_text(c->r->pool, extra);

    return mc_reply_raw(c, 200, "text/plain; version=0.0.4; charset=utf-8",
                        text, strlen(text));
}

static json_t *shape_json(const cc_shape_t *sh)
{
    json_t *o, *fields;
    int i;

    if (!sh) {
        return json_null();
    }
    o = json_pack("{s:s}", "name", sh->name);
    if (sh->fields) {
        fields = json_array();
        for (i = 0; sh->fields[i].name; i++) {
            const cc_field_t *f = &sh->fields[i];

            json_array_append_new(fields, json_pack("{s:s, s:s, s:b}",
                "name", f->name, "type", cc_fields_type_name(f->type),
                "required", f->required));
        }
        json_object_set_new(o, "fields", fields);
    }
    return o;
}

/* GET /api/admin/routes: the table itself, for API docs and for the tests
 * that walk every route. */
static int mc_api_admin_routes(mc_ctx *c)
{
    static const char *const roles[] = { "public", "staff", "admin" };
    json_t *a = json_array();
    int i;

    for (i = 0; i < mc_routes_count(); i++) {
        const mc_route *rt = mc_routes_get(i);

        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, "
                                           "s:o, s:o}",
            "method", rt->method, "pattern", rt->pattern,
            "role", roles[rt->role],
            "rate_class", rt->rl_class == MC_RL_NONE
                          ? "none" : mc_rl_class_names[rt->rl_class],
            "max_body", (json_int_t)rt->max_body,
            "summary", rt->summary ? rt->summary : "",
            "request", shape_json(rt->request),
            "response", shape_json(rt->response)));
    }
    return mc_reply(c, 200, json_pack("{s:o}", "routes", a));
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/health", mc_api_health, MC_ROLE_PUBLIC,
      MC_RL_NONE, 0, MC_BODY_JSON,
      "Liveness and database readiness (503 when degraded)",
      NULL, MC_SHAPE("health") },
    { "GET", "/api/admin/health", mc_api_admin_health, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Every component's state: database, index, rules, LLM, calendar, "
      "notifications",
      NULL, MC_SHAPE("admin_health") },
    { "GET", "/api/admin/metrics", mc_api_admin_metrics, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Prometheus metrics of this host",
      NULL, MC_SHAPE("prometheus_text") },
    { "GET", "/api/admin/routes", mc_api_admin_routes, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "This table: every route with its role, limits and shapes",
      NULL, MC_SHAPE("route_list") },
    { NULL }
};

MC_RESOURCE(health, routes, NULL);
