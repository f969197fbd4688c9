/*
 * mod_concierge_config.c - Concierge* directives, per-server create/merge,
 * and the getters that apply defaults (so "unset" survives merging).
 */
#include <sys/stat.h>
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_hash.h"
#include "http_core.h"
#include "mod_concierge.h"

const char *const mc_rl_class_names[MC_RL_NCLASSES] = {
    "chat", "booking", "payment", "admin", "login"
};

static const cc_rate_t mc_rate_defaults[MC_RL_NCLASSES] = {
    { 10, 60 },     /* chat */
    { 5, 60 },      /* booking */
    { 3, 60 },      /* payment */
    { 60, 60 },     /* admin */
    { 10, 60 },     /* login */
};

#define MC_DEF_RL_SLOTS        8192
#define MC_DEF_MAX_BODY        (64 * 1024)
#define MC_DEF_JSON_DEPTH      16
#define MC_DEF_HEALTH_CACHE_MS 1000
#define MC_DEF_TIMEZONE        "Europe/London"

void *mc_config_create_srv(apr_pool_t *p, server_rec *s)
{
    mc_srv_conf *c = apr_pcalloc(p, sizeof(*c));

    c->rl_slots = -1;
    c->max_body = -1;
    c->json_depth = -1;
    c->health_cache_ms = -1;
    c->timezone = NULL;
    c->user_roles = apr_hash_make(p);
    return c;
}

void *mc_config_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    const mc_srv_conf *base = basev, *add = addv;
    mc_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

    for (i = 0; i < MC_RL_NCLASSES; i++) {
        c->rate_set[i] = add->rate_set[i] || base->rate_set[i];
        c->rate[i] = add->rate_set[i] ? add->rate[i] : base->rate[i];
    }
    c->rl_slots = add->rl_slots != -1 ? add->rl_slots : base->rl_slots;
    c->max_body = add->max_body != -1 ? add->max_body : base->max_body;
    c->json_depth = add->json_depth != -1 ? add->json_depth : base->json_depth;
    c->health_cache_ms = add->health_cache_ms != -1 ? add->health_cache_ms
                                                    : base->health_cache_ms;
    c->timezone = add->timezone ? add->timezone : base->timezone;
    c->user_roles = apr_hash_overlay(p, add->user_roles, base->user_roles);
    return c;
}

const mc_srv_conf *mc_config_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &concierge_module);
}

apr_int64_t mc_config_geti(const server_rec *s, mc_conf_int_e which)
{
    const mc_srv_conf *c = mc_config_get(s);

    switch (which) {
    case MC_CONF_RL_SLOTS:
        return c->rl_slots != -1 ? c->rl_slots : MC_DEF_RL_SLOTS;
    case MC_CONF_MAX_BODY:
        return c->max_body != -1 ? c->max_body : MC_DEF_MAX_BODY;
    case MC_CONF_JSON_DEPTH:
        return c->json_depth != -1 ? c->json_depth : MC_DEF_JSON_DEPTH;
    case MC_CONF_HEALTH_CACHE_MS:
        return c->health_cache_ms != -1 ? c->health_cache_ms
                                        : MC_DEF_HEALTH_CACHE_MS;
    }
    return 0;
}

const cc_rate_t *mc_config_rate(const server_rec *s, mc_rl_class_e cls)
{
    const mc_srv_conf *c = mc_config_get(s);

    if (cls < 0 || cls >= MC_RL_NCLASSES) {
        return NULL;
    }
    return c->rate_set[cls] ? &c->rate[cls] : &mc_rate_defaults[cls];
}

const char *mc_config_timezone(const server_rec *s)
{
    const mc_srv_conf *c = mc_config_get(s);

    return c->timezone ? c->timezone : MC_DEF_TIMEZONE;
}

/* ---- directive handlers ------------------------------------------------ */

static mc_srv_conf *srv_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &concierge_module);
}

/* Parse a decimal integer in [min, max]; NULL on success, else an error. */
static const char *parse_int(cmd_parms *cmd, const char *arg, apr_int64_t min,
                             apr_int64_t max, apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v;

    if (!arg || !*arg || !apr_isdigit(*arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number",
                            cmd->cmd->name, arg ? arg : "");
    }
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || *end) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number",
                            cmd->cmd->name, arg);
    }
    if (v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: %" APR_INT64_T_FMT " is out of "
                            "range %" APR_INT64_T_FMT "..%" APR_INT64_T_FMT,
                            cmd->cmd->name, v, min, max);
    }
    *out = v;
    return NULL;
}

static const char *set_rate_limit(cmd_parms *cmd, void *dc, const char *cls,
                                  const char *spec)
{
    mc_srv_conf *c = srv_conf(cmd);
    const char *err = NULL;
    cc_rate_t rate;
    int i;

    for (i = 0; i < MC_RL_NCLASSES; i++) {
        if (!strcmp(cls, mc_rl_class_names[i])) {
            break;
        }
    }
    if (i == MC_RL_NCLASSES) {
        return apr_psprintf(cmd->pool, "ConciergeRateLimit: unknown class "
                            "'%s' (expected chat, booking, payment, admin or "
                            "login)", cls);
    }
    if (cc_rate_parse(&rate, spec, &err) != 0) {
        return apr_psprintf(cmd->pool, "ConciergeRateLimit %s: '%s': %s "
                            "(expected <count>/<sec|min|hour>, e.g. 10/min)",
                            cls, spec, err);
    }
    c->rate[i] = rate;
    c->rate_set[i] = 1;
    return NULL;
}

static const char *set_rl_slots(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *err;

    if (cmd->server->is_virtual) {
        return "ConciergeRateLimitSlots: only valid in the main server "
               "(the table is shared by every virtual host)";
    }
    err = parse_int(cmd, arg, 64, 1048576, &v);
    if (!err) {
        srv_conf(cmd)->rl_slots = (int)v;
    }
    return err;
}

static const char *set_max_body(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v, mult = 1;
    char *num = apr_pstrdup(cmd->temp_pool, arg);
    apr_size_t n = strlen(num);
    const char *err;

    if (n > 1 && (num[n - 1] == 'k' || num[n - 1] == 'K')) {
        mult = 1024;
        num[n - 1] = '\0';
    }
    else if (n > 1 && (num[n - 1] == 'm' || num[n - 1] == 'M')) {
        mult = 1024 * 1024;
        num[n - 1] = '\0';
    }
    err = parse_int(cmd, num, 1, 10 * 1024 * 1024, &v);
    if (err) {
        return err;
    }
    v *= mult;
    if (v < 1024 || v > 10 * 1024 * 1024) {
        return apr_psprintf(cmd->pool, "ConciergeMaxBody: '%s' is out of "
                            "range 1k..10M", arg);
    }
    srv_conf(cmd)->max_body = v;
    return NULL;
}

static const char *set_json_depth(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *err = parse_int(cmd, arg, 2, 64, &v);

    if (!err) {
        srv_conf(cmd)->json_depth = (int)v;
    }
    return err;
}

static const char *set_health_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *err = parse_int(cmd, arg, 0, 1000, &v);

    if (!err) {
        srv_conf(cmd)->health_cache_ms = (int)v;
    }
    return err;
}

static const char *set_timezone(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *p;
    struct stat st;
    char *path;

    /* IANA names: letters, digits, '/', '_', '-', '+'; no "..". */
    for (p = arg; *p; p++) {
        if (!apr_isalnum(*p) && !strchr("/_-+", *p)) {
            break;
        }
    }
    if (!*arg || *p || strstr(arg, "..") || *arg == '/') {
        return apr_psprintf(cmd->pool, "ConciergeTimeZone: '%s' is not an "
                            "IANA time zone name (e.g. Europe/London)", arg);
    }
    path = apr_pstrcat(cmd->temp_pool, "/usr/share/zoneinfo/", arg, NULL);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return apr_psprintf(cmd->pool, "ConciergeTimeZone: unknown time zone "
                            "'%s' (not in /usr/share/zoneinfo)", arg);
    }
    srv_conf(cmd)->timezone = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_user_role(cmd_parms *cmd, void *dc, const char *user,
                                 const char *role)
{
    if (strcmp(role, "staff") && strcmp(role, "admin")) {
        return apr_psprintf(cmd->pool, "ConciergeUserRole: role '%s' must be "
                            "staff or admin", role);
    }
    if (!*user || strlen(user) > 64) {
        return "ConciergeUserRole: user name must be 1..64 characters";
    }
    apr_hash_set(srv_conf(cmd)->user_roles, apr_pstrdup(cmd->pool, user),
                 APR_HASH_KEY_STRING, apr_pstrdup(cmd->pool, role));
    return NULL;
}

const command_rec mc_cmds[] = {
    AP_INIT_TAKE2("ConciergeRateLimit", set_rate_limit, NULL, RSRC_CONF,
                  "<class> <count>/<sec|min|hour>: token-bucket limit per "
                  "client for a route class"),
    AP_INIT_TAKE1("ConciergeRateLimitSlots", set_rl_slots, NULL, RSRC_CONF,
                  "number of rate-limit buckets kept in shared memory"),
    AP_INIT_TAKE1("ConciergeMaxBody", set_max_body, NULL, RSRC_CONF,
                  "largest JSON request body accepted (bytes, k or M)"),
    AP_INIT_TAKE1("ConciergeJSONMaxDepth", set_json_depth, NULL, RSRC_CONF,
                  "deepest JSON nesting accepted"),
    AP_INIT_TAKE1("ConciergeHealthCache", set_health_cache, NULL, RSRC_CONF,
                  "milliseconds /api/health may reuse its database check"),
    AP_INIT_TAKE1("ConciergeTimeZone", set_timezone, NULL, RSRC_CONF,
                  "the clinic's IANA time zone"),
    AP_INIT_TAKE2("ConciergeUserRole", set_user_role, NULL, RSRC_CONF,
                  "<user> <staff|admin>: role for a user authenticated "
                  "outside the staff_users table (e.g. htpasswd)"),
    { NULL }
};
