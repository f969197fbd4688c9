/*
 * mod_concierge_config.c - Concierge* directives, per-server create/merge,
 * and the getters that apply defaults (so "unset" survives merging).
 */
#include <sys/stat.h>
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_hash.h"
#include "apr_file_io.h"
#include <math.h>
#include <stdlib.h>
#include "http_core.h"
#include "mod_concierge_config.h"
#include "mod_concierge_http.h"
#include "mod_concierge_stripe.h"
#include "cc_http.h"
#include "cc_risk.h"

const char *const mc_rl_class_names[MC_RL_NCLASSES] = {
    "chat", "booking", "payment", "admin", "login", "browse"
};

static const cc_rate_t mc_rate_defaults[MC_RL_NCLASSES] = {
    { 10, 60 },     /* chat */
    { 5, 60 },      /* booking */
    { 3, 60 },      /* payment */
    { 60, 60 },     /* admin */
    { 10, 60 },     /* login */
    { 120, 60 },    /* browse */
};

/* Defaults, applied by the getters so "unset" survives merging. */
static const apr_int64_t mc_int_defaults[MC_CONF_NINTS] = {
    8192,               /* MC_CONF_RL_SLOTS */
    64 * 1024,          /* MC_CONF_MAX_BODY */
    16,                 /* MC_CONF_JSON_DEPTH */
    1000,               /* MC_CONF_HEALTH_CACHE_MS */
    32 * 1024 * 1024,   /* MC_CONF_INDEX_SIZE */
    1200,               /* MC_CONF_CHUNK_CHARS */
    2000,               /* MC_CONF_LLM_CONNECT_MS */
    8000,               /* MC_CONF_LLM_TIMEOUT_MS */
    5,                  /* MC_CONF_BREAKER_FAILURES */
    30,                 /* MC_CONF_BREAKER_COOLDOWN_S */
    1000,               /* MC_CONF_CHAT_MAX_CHARS */
    1,                  /* MC_CONF_CHAT_LOG */
    15,                 /* MC_CONF_ESCALATION_SLA_MIN */
    60,                 /* MC_CONF_FREEBUSY_CACHE_S */
    5000,               /* MC_CONF_GOOGLE_TIMEOUT_MS */
    0,                  /* MC_CONF_API */
    10,                 /* MC_CONF_LOCKOUT_FAILS */
    900,                /* MC_CONF_LOCKOUT_SECS */
    0,                  /* MC_CONF_CAL_NAMES */
    86400,              /* MC_CONF_CHAT_IDLE_S */
    0,                  /* MC_CONF_RETENTION_DAYS (off) */
    10000,              /* MC_CONF_STRIPE_TIMEOUT_MS */
    1,                  /* MC_CONF_PAGE_HEADERS */
};

static const double mc_dbl_defaults[MC_CONF_NDBLS] = {
    1.2,                /* MC_CONFD_BM25_K1 */
    0.75,               /* MC_CONFD_BM25_B */
    2.0,                /* MC_CONFD_TITLE_WEIGHT */
    0.6,                /* MC_CONFD_SYNONYM_WEIGHT */
    3.0,                /* MC_CONFD_MIN_SCORE */
    0.5,                /* MC_CONFD_MIN_OVERLAP */
    0.50,               /* MC_CONFD_MIN_COVERAGE */
};

static const char *const mc_str_defaults[MC_CONF_NSTRS] = {
    "Europe/London",                    /* MC_CONFS_TIMEZONE */
    "https://api.groq.com/openai/v1",   /* MC_CONFS_LLM_BASE */
    "llama-3.1-8b-instant",             /* MC_CONFS_LLM_MODEL */
    NULL,                               /* MC_CONFS_LLM_KEY */
    CC_RISK_LANGS,                      /* MC_CONFS_RISK_LANGS */
    "999",                              /* MC_CONFS_EMERGENCY_NUMBER */
    NULL,                               /* MC_CONFS_NOTIFY_WEBHOOK */
    NULL,                               /* MC_CONFS_NOTIFY_SECRET */
    NULL,                               /* MC_CONFS_NOTIFY_SMTP */
    NULL,                               /* MC_CONFS_NOTIFY_FROM */
    NULL,                               /* MC_CONFS_NOTIFY_TO */
    NULL,                               /* MC_CONFS_STAFF_URL */
    NULL,                               /* MC_CONFS_SMTP_USER */
    NULL,                               /* MC_CONFS_SMTP_PASSWORD */
    NULL,                               /* MC_CONFS_SECRET */
    NULL,                               /* MC_CONFS_GOOGLE_KEY_FILE */
    "https://oauth2.googleapis.com/token",  /* MC_CONFS_GOOGLE_TOKEN_URL */
    "https://www.googleapis.com/calendar/v3", /* MC_CONFS_GOOGLE_API_BASE */
    NULL,                               /* MC_CONFS_RISK_VOCAB */
    NULL,                               /* MC_CONFS_RISK_MODEL */
    NULL,                               /* MC_CONFS_SMTP_HELO */
    NULL,                               /* MC_CONFS_SMTP_BEARER_FILE */
    NULL,                               /* MC_CONFS_OUTBOUND_CA */
    NULL,                               /* MC_CONFS_STRIPE_KEY */
    NULL,                               /* MC_CONFS_STRIPE_WHSEC */
    "https://api.stripe.com",           /* MC_CONFS_STRIPE_API_BASE */
    NULL,                               /* MC_CONFS_PUBLIC_URL */
};

void *mc_config_create_srv(apr_pool_t *p, server_rec *s)
{
    mc_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

    for (i = 0; i < MC_CONF_NINTS; i++) {
        c->ints[i] = -1;
    }
    for (i = 0; i < MC_CONF_NDBLS; i++) {
        c->dbls[i] = NAN;
    }
    c->user_roles = apr_hash_make(p);
    c->allowed_origins = apr_hash_make(p);
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
    for (i = 0; i < MC_CONF_NINTS; i++) {
        c->ints[i] = add->ints[i] != -1 ? add->ints[i] : base->ints[i];
    }
    for (i = 0; i < MC_CONF_NDBLS; i++) {
        c->dbls[i] = !isnan(add->dbls[i]) ? add->dbls[i] : base->dbls[i];
    }
    for (i = 0; i < MC_CONF_NSTRS; i++) {
        c->strs[i] = add->strs[i] ? add->strs[i] : base->strs[i];
    }
    c->user_roles = apr_hash_overlay(p, add->user_roles, base->user_roles);
    c->allowed_origins = apr_hash_overlay(p, add->allowed_origins,
                                          base->allowed_origins);
    return c;
}

const mc_srv_conf *mc_config_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &concierge_module);
}

apr_int64_t mc_config_geti(const server_rec *s, mc_conf_int_e which)
{
    const mc_srv_conf *c = mc_config_get(s);

    return c->ints[which] != -1 ? c->ints[which] : mc_int_defaults[which];
}

double mc_config_getd(const server_rec *s, mc_conf_dbl_e which)
{
    const mc_srv_conf *c = mc_config_get(s);

    return !isnan(c->dbls[which]) ? c->dbls[which] : mc_dbl_defaults[which];
}

const char *mc_config_gets(const server_rec *s, mc_conf_str_e which)
{
    const mc_srv_conf *c = mc_config_get(s);

    return c->strs[which] ? c->strs[which] : mc_str_defaults[which];
}

const char *mc_config_timezone(const server_rec *s)
{
    return mc_config_gets(s, MC_CONFS_TIMEZONE);
}

int mc_config_llm_enabled(const server_rec *s)
{
    const char *key = mc_config_gets(s, MC_CONFS_LLM_KEY);

    return key && *key;
}

const cc_rate_t *mc_config_rate(const server_rec *s, mc_rl_class_e cls)
{
    const mc_srv_conf *c = mc_config_get(s);

    if (cls < 0 || cls >= MC_RL_NCLASSES) {
        return NULL;
    }
    return c->rate_set[cls] ? &c->rate[cls] : &mc_rate_defaults[cls];
}

/* ---- directive handlers ------------------------------------------------ */

static mc_srv_conf *srv_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &concierge_module);
}

mc_srv_conf *mc_config_for(cmd_parms *cmd)
{
    return srv_conf(cmd);
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

/* Integer directives: one table row each (cmd->info points at it). */
typedef enum { MC_UNIT_PLAIN, MC_UNIT_BYTES, MC_UNIT_FLAG, MC_UNIT_SECONDS,
               MC_UNIT_OFF } mc_unit_e;

typedef struct mc_int_directive {
    mc_conf_int_e which;
    apr_int64_t   min, max;
    mc_unit_e     unit;
    int           main_only;     /* shared memory sizes: main server only */
} mc_int_directive;

static const mc_int_directive d_rl_slots = { MC_CONF_RL_SLOTS, 64, 1048576,
                                             MC_UNIT_PLAIN, 1 };
static const mc_int_directive d_max_body = { MC_CONF_MAX_BODY, 1024,
                                             10 * 1024 * 1024, MC_UNIT_BYTES, 0 };
static const mc_int_directive d_json_depth = { MC_CONF_JSON_DEPTH, 2, 64,
                                               MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_health_cache = { MC_CONF_HEALTH_CACHE_MS, 0,
                                                 1000, MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_index_size = { MC_CONF_INDEX_SIZE, 1024 * 1024,
                                               APR_INT64_C(1024) * 1024 * 1024,
                                               MC_UNIT_BYTES, 1 };
static const mc_int_directive d_chunk_chars = { MC_CONF_CHUNK_CHARS, 200, 8000,
                                                MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_llm_connect = { MC_CONF_LLM_CONNECT_MS, 100,
                                                30000, MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_llm_timeout = { MC_CONF_LLM_TIMEOUT_MS, 500,
                                                120000, MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_breaker_fail = { MC_CONF_BREAKER_FAILURES, 1,
                                                 100, MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_breaker_cool = { MC_CONF_BREAKER_COOLDOWN_S, 1,
                                                 3600, MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_chat_chars = { MC_CONF_CHAT_MAX_CHARS, 10, 8000,
                                               MC_UNIT_PLAIN, 0 };
static const mc_int_directive d_chat_log = { MC_CONF_CHAT_LOG, 0, 1,
                                             MC_UNIT_FLAG, 0 };
static const mc_int_directive d_api = { MC_CONF_API, 0, 1, MC_UNIT_FLAG, 0 };
static const mc_int_directive d_cal_names = { MC_CONF_CAL_NAMES, 0, 1,
                                              MC_UNIT_FLAG, 0 };
static const mc_int_directive d_page_headers = { MC_CONF_PAGE_HEADERS, 0, 1,
                                                 MC_UNIT_FLAG, 0 };
static const mc_int_directive d_freebusy_cache = { MC_CONF_FREEBUSY_CACHE_S, 0,
                                                   3600, MC_UNIT_PLAIN };
static const mc_int_directive d_google_timeout = { MC_CONF_GOOGLE_TIMEOUT_MS,
                                                   500, 60000, MC_UNIT_PLAIN };
static const mc_int_directive d_stripe_timeout = { MC_CONF_STRIPE_TIMEOUT_MS,
                                                   500, 60000, MC_UNIT_PLAIN };
/* Seconds, with an optional unit: 90, 90s, 15m, 24h, 7d. */
static const mc_int_directive d_chat_idle = { MC_CONF_CHAT_IDLE_S, 1,
                                              365 * 86400, MC_UNIT_SECONDS,
                                              0 };
/* Days, or Off (0); one retention job per host: main server only. */
static const mc_int_directive d_retention = { MC_CONF_RETENTION_DAYS, 1,
                                              36500, MC_UNIT_OFF, 1 };
static const mc_int_directive d_sla = { MC_CONF_ESCALATION_SLA_MIN, 1, 10080,
                                        MC_UNIT_PLAIN, 0 };

static const char *set_int(cmd_parms *cmd, void *dc, const char *arg)
{
    const mc_int_directive *d = cmd->info;
    apr_int64_t v = 0, mult = 1;
    char *num = apr_pstrdup(cmd->temp_pool, arg);
    apr_size_t n = strlen(num);
    const char *err;

    if (d->main_only && cmd->server->is_virtual) {
        return apr_psprintf(cmd->pool, "%s: only valid in the main server "
                            "(%s)", cmd->cmd->name,
                            d->unit == MC_UNIT_OFF
                            ? "one retention job per host"
                            : "shared memory is sized once per host");
    }
    if (d->unit == MC_UNIT_OFF && !strcasecmp(arg, "off")) {
        srv_conf(cmd)->ints[d->which] = 0;
        return NULL;
    }
    if (d->unit == MC_UNIT_FLAG) {
        if (!strcasecmp(arg, "on")) {
            srv_conf(cmd)->ints[d->which] = 1;
            return NULL;
        }
        if (!strcasecmp(arg, "off")) {
            srv_conf(cmd)->ints[d->which] = 0;
            return NULL;
        }
        return apr_psprintf(cmd->pool, "%s: '%s' must be On or Off",
                            cmd->cmd->name, arg);
    }
    if (d->unit == MC_UNIT_BYTES && n > 1) {
        switch (num[n - 1]) {
        case 'k': case 'K': mult = 1024; break;
        case 'm': case 'M': mult = 1024 * 1024; break;
        case 'g': case 'G': mult = 1024 * 1024 * 1024; break;
        default: break;
        }
        if (mult > 1) {
            num[n - 1] = '\0';
        }
    }
    if (d->unit == MC_UNIT_SECONDS && n > 1) {
        static const char units[] = "smhd";
        static const apr_int64_t secs[] = { 1, 60, 3600, 86400 };
        const char *u = strchr(units, num[n - 1]);

        if (u && *u) {
            mult = secs[u - units];
            num[n - 1] = '\0';
        }
    }
    err = parse_int(cmd, num, 0, d->max, &v);
    if (err) {
        return err;
    }
    if (v > d->max / mult || v * mult < d->min) {
        return apr_psprintf(cmd->pool, "%s: '%s' is out of range %"
                            APR_INT64_T_FMT "..%" APR_INT64_T_FMT "%s",
                            cmd->cmd->name, arg, d->min, d->max,
                            d->unit == MC_UNIT_BYTES ? " bytes"
                            : d->unit == MC_UNIT_SECONDS ? " seconds" : "");
    }
    srv_conf(cmd)->ints[d->which] = v * mult;
    return NULL;
}

/* Real-valued directives. */
typedef struct mc_dbl_directive {
    mc_conf_dbl_e which;
    double        min, max;
} mc_dbl_directive;

static const mc_dbl_directive d_k1 = { MC_CONFD_BM25_K1, 0.0, 3.0 };
static const mc_dbl_directive d_b = { MC_CONFD_BM25_B, 0.0, 1.0 };
static const mc_dbl_directive d_title_w = { MC_CONFD_TITLE_WEIGHT, 0.0, 10.0 };
static const mc_dbl_directive d_syn_w = { MC_CONFD_SYNONYM_WEIGHT, 0.0, 1.0 };
static const mc_dbl_directive d_min_score = { MC_CONFD_MIN_SCORE, 0.0, 1000.0 };
static const mc_dbl_directive d_min_overlap = { MC_CONFD_MIN_OVERLAP, 0.0, 1.0 };
static const mc_dbl_directive d_min_coverage = { MC_CONFD_MIN_COVERAGE, 0.0,
                                                 1.0 };

static const char *set_dbl(cmd_parms *cmd, void *dc, const char *arg)
{
    const mc_dbl_directive *d = cmd->info;
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (!*arg || errno || *end || isnan(v)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number",
                            cmd->cmd->name, arg);
    }
    if (v < d->min || v > d->max) {
        return apr_psprintf(cmd->pool, "%s: %s is out of range %g..%g",
                            cmd->cmd->name, arg, d->min, d->max);
    }
    srv_conf(cmd)->dbls[d->which] = v;
    return NULL;
}

/* A URL a secure scheme must be used for, except towards loopback (local
 * fakes and proxies): https/http, or smtps/smtp for mail.  The rule the
 * outbound layer applies to every call (mc_http_url_check).  The value is
 * not echoed: a URL may carry a key. */
const char *mc_config_check_url(cmd_parms *cmd, const char *arg,
                                const char *secure, const char *plain)
{
    switch (mc_http_url_check(cmd->temp_pool, arg, secure, plain,
                              MC_HTTP_URL_BASE)) {
    case MC_HTTP_URL_OK:
        return NULL;
    case MC_HTTP_URL_INSECURE:
        return apr_psprintf(cmd->pool, "%s: must be %s (%s is allowed only "
                            "to a loopback host: 127.0.0.0/8, ::1 or "
                            "localhost)", cmd->cmd->name, secure, plain);
    default:
        return apr_psprintf(cmd->pool, "%s: not an absolute URL without "
                            "query or credentials", cmd->cmd->name);
    }
}

static const char *set_llm_base(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = mc_config_check_url(cmd, arg, "https", "http");
    apr_size_t n = strlen(arg);

    if (err) {
        return err;
    }
    while (n > 0 && arg[n - 1] == '/') {
        n--;
    }
    srv_conf(cmd)->strs[MC_CONFS_LLM_BASE] = apr_pstrndup(cmd->pool, arg, n);
    return NULL;
}

/* Notifications are delivered by one thread per process with the main
 * server's settings: they are main-server directives. */
const char *mc_config_main_only(cmd_parms *cmd)
{
    return cmd->server->is_virtual
           ? apr_psprintf(cmd->pool, "%s: only valid in the main server "
                          "(one notifier per host)", cmd->cmd->name)
           : NULL;
}

static const char *set_notify_url(cmd_parms *cmd, void *dc, const char *arg)
{
    int smtp = cmd->info != NULL;
    const char *err = mc_config_main_only(cmd);

    if (!err && smtp) {
        err = mc_http_mail_url_check(cmd->temp_pool, arg)
              ? NULL
              : apr_psprintf(cmd->pool, "%s: must be smtps://host[:port] "
                             "(port 465) or smtp://host[:port] (STARTTLS, "
                             "required unless the host is loopback; port "
                             "587), without a path or credentials",
                             cmd->cmd->name);
    }
    else if (!err) {
        err = mc_config_check_url(cmd, arg, "https", "http");
    }
    if (err) {
        return err;
    }
    srv_conf(cmd)->strs[smtp ? MC_CONFS_NOTIFY_SMTP : MC_CONFS_NOTIFY_WEBHOOK]
        = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Secrets: never echoed in errors. */
static const char *set_notify_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);
    }
    if (strstr(arg, "${")) {
        return "ConciergeNotifyWebhookSecret: the value is an unexpanded "
               "${VARIABLE}; set it in httpd's environment";
    }
    if (strlen(arg) < 16 || strlen(arg) > 512) {
        return "ConciergeNotifyWebhookSecret: the secret must be 16..512 "
               "characters";
    }
    srv_conf(cmd)->strs[MC_CONFS_NOTIFY_SECRET] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* ConciergeSecret: the key manage tokens are derived with (from ${ENV}).
 * Main server only: bookings are one per host's database. */
static const char *set_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);
    }
    if (strstr(arg, "${")) {
        return "ConciergeSecret: the value is an unexpanded ${VARIABLE}; set "
               "it in httpd's environment";
    }
    if (strlen(arg) < 32 || strlen(arg) > 512) {
        return "ConciergeSecret: the secret must be 32..512 characters";
    }
    srv_conf(cmd)->strs[MC_CONFS_SECRET] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Google Calendar: the service-account key file (read and checked at
 * start-up), and the two base URLs (tests point them at a fake). */
static const char *set_google(cmd_parms *cmd, void *dc, const char *arg)
{
    int which = (int)(apr_uintptr_t)cmd->info;
    const char *err = mc_config_main_only(cmd);
    struct stat st;

    if (err) {
        return err;
    }
    if (which == MC_CONFS_GOOGLE_KEY_FILE) {
        const char *path = ap_server_root_relative(cmd->pool, arg);

        if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            return apr_psprintf(cmd->pool, "ConciergeGoogleKeyFile: '%s' is "
                                "not a readable file", arg);
        }
        srv_conf(cmd)->strs[which] = path;
        return NULL;
    }
    if ((err = mc_config_check_url(cmd, arg, "https", "http")) != NULL) {
        return err;
    }
    srv_conf(cmd)->strs[which] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* ConciergeRiskVocabulary / ConciergeRiskModel: data files the safety
 * gate reads at start-up (mod_concierge_safety.c checks them). */
static const char *set_risk_file(cmd_parms *cmd, void *dc, const char *arg)
{
    int which = (int)(apr_uintptr_t)cmd->info;
    const char *err = mc_config_main_only(cmd);
    const char *path;
    struct stat st;

    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file",
                            cmd->cmd->name, arg);
    }
    srv_conf(cmd)->strs[which] = path;
    return NULL;
}

/* The EHLO name of mail submissions: a fully qualified domain name
 * (submission servers refuse a bare host name). */
static const char *set_smtp_helo(cmd_parms *cmd, void *dc, const char *arg)
{
    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);
    }
    if (!cc_http_fqdn(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a fully qualified "
                            "domain name (host.example.org)", cmd->cmd->name,
                            arg);
    }
    srv_conf(cmd)->strs[MC_CONFS_SMTP_HELO] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* A file read later, by the child processes (not the root parent): an
 * XOAUTH2 token that a token job renews, or the trust anchors of outbound
 * TLS.  It must exist; a token file must not be readable by others. */
static const char *set_runtime_file(cmd_parms *cmd, void *dc, const char *arg)
{
    int which = (int)(apr_uintptr_t)cmd->info;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    struct stat st;

    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);     /* one notifier, one curl setup */
    }
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file",
                            cmd->cmd->name, arg);
    }
    if (which == MC_CONFS_SMTP_BEARER_FILE
        && (st.st_mode & (S_IROTH | S_IWOTH))) {
        return apr_psprintf(cmd->pool, "%s: '%s' is readable or writable by "
                            "others (mode %04o); chmod o-rwx it",
                            cmd->cmd->name, arg,
                            (unsigned)(st.st_mode & 07777));
    }
    srv_conf(cmd)->strs[which] = path;
    return NULL;
}

/* SMTP AUTH: the user, and the password (a secret: from ${ENV}, never
 * echoed). */
static const char *set_smtp_auth(cmd_parms *cmd, void *dc, const char *arg)
{
    int password = cmd->info != NULL;

    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);
    }
    if (strstr(arg, "${")) {
        return apr_psprintf(cmd->pool, "%s: the value is an unexpanded "
                            "${VARIABLE}; set it in httpd's environment",
                            cmd->cmd->name);
    }
    if (!*arg || strlen(arg) > 256 || strpbrk(arg, "\r\n")) {
        return apr_psprintf(cmd->pool, "%s: 1..256 characters on one line",
                            cmd->cmd->name);
    }
    srv_conf(cmd)->strs[password ? MC_CONFS_SMTP_PASSWORD : MC_CONFS_SMTP_USER]
        = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_address(cmd_parms *cmd, void *dc, const char *arg)
{
    if (mc_config_main_only(cmd)) {
        return mc_config_main_only(cmd);
    }
    /* local@fully.qualified.domain: mail servers refuse anything else
     * (Postfix reject_non_fqdn_sender / _recipient). */
    if (strlen(arg) > 254 || !cc_http_mail_address(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an e-mail address "
                            "with a fully qualified domain (name@host."
                            "example)", cmd->cmd->name, arg);
    }
    srv_conf(cmd)->strs[cmd->info ? MC_CONFS_NOTIFY_TO : MC_CONFS_NOTIFY_FROM]
        = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_risk_langs(cmd_parms *cmd, void *dc, const char *arg)
{
    char *copy = apr_pstrdup(cmd->temp_pool, arg), *tok, *last = NULL;

    for (tok = apr_strtok(copy, ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last)) {
        if (!cc_risk_lang_known(tok, strlen(tok))) {
            return apr_psprintf(cmd->pool, "ConciergeRiskLanguages: '%s' is "
                                "not one of " CC_RISK_LANGS, tok);
        }
    }
    srv_conf(cmd)->strs[MC_CONFS_RISK_LANGS] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_emergency_number(cmd_parms *cmd, void *dc,
                                        const char *arg)
{
    const char *p;

    for (p = arg; *p; p++) {
        if (!apr_isdigit(*p) && *p != '+' && *p != ' ') {
            break;
        }
    }
    if (!*arg || *p || strlen(arg) > 20) {
        return "ConciergeEmergencyNumber: digits (and + or spaces), e.g. 999";
    }
    srv_conf(cmd)->strs[MC_CONFS_EMERGENCY_NUMBER] = apr_pstrdup(cmd->pool,
                                                                 arg);
    return NULL;
}

static const char *set_staff_url(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = mc_config_check_url(cmd, arg, "https", "http");

    if (err) {
        return err;
    }
    srv_conf(cmd)->strs[MC_CONFS_STAFF_URL] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_llm_model(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *p;

    for (p = arg; *p; p++) {
        if (!apr_isalnum(*p) && !strchr("-_./:", *p)) {
            break;
        }
    }
    if (!*arg || *p || strlen(arg) > 128) {
        return "ConciergeLLMModel: a model name is 1..128 of A-Z a-z 0-9 - _ . / :";
    }
    srv_conf(cmd)->strs[MC_CONFS_LLM_MODEL] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* The key is a secret: errors never echo it. */
static const char *set_llm_key(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *p;

    if (strstr(arg, "${")) {
        return "ConciergeLLMKey: the value is an unexpanded ${VARIABLE}; set "
               "that environment variable for httpd, or remove the directive";
    }
    for (p = arg; *p; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            return "ConciergeLLMKey: the key contains spaces or control "
                   "characters";
        }
    }
    if (p - arg < 8 || p - arg > 512) {
        return "ConciergeLLMKey: the key must be 8..512 characters";
    }
    srv_conf(cmd)->strs[MC_CONFS_LLM_KEY] = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* The ...File form of a secret directive (ConciergeSecretFile,
 * ConciergeLLMKeyFile, ConciergeNotifyWebhookSecretFile,
 * ConciergeNotifySMTPPasswordFile): the secret is the file's content, one
 * line (a final newline is dropped), read when the configuration is read
 * - at start-up and on every graceful restart, by the parent process
 * (root), so the environment need not hold it and a graceful restart
 * never meets an unexpanded ${VAR}.  The file must be a regular file that
 * others cannot read or write (0600 or 0640); it is checked as the
 * directive would check the value, and no error quotes it. */
#define MC_SECRET_FILE_MAX 4096

static const char *set_secret_file(cmd_parms *cmd, void *dc, const char *arg)
{
    int which = (int)(apr_uintptr_t)cmd->info;
    const char *path = ap_server_root_relative(cmd->pool, arg), *err;
    cmd_parms sub = *cmd;
    apr_file_t *f;
    apr_size_t n = 0;
    struct stat st;
    char *buf;

    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file",
                            cmd->cmd->name, arg);
    }
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is readable or writable by "
                            "others (mode %04o); chmod o-rwx it",
                            cmd->cmd->name, arg,
                            (unsigned)(st.st_mode & 07777));
    }
    if (st.st_size <= 0 || st.st_size > MC_SECRET_FILE_MAX) {
        return apr_psprintf(cmd->pool, "%s: '%s' must hold one secret of at "
                            "most %d bytes", cmd->cmd->name, arg,
                            MC_SECRET_FILE_MAX);
    }
    buf = apr_palloc(cmd->temp_pool, (apr_size_t)st.st_size + 1);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                      APR_OS_DEFAULT, cmd->temp_pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file",
                            cmd->cmd->name, arg);
    }
    apr_file_read_full(f, buf, (apr_size_t)st.st_size, &n);
    apr_file_close(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';
    if (n == 0 || memchr(buf, '\n', n) || memchr(buf, '\r', n)
        || strlen(buf) != n) {
        return apr_psprintf(cmd->pool, "%s: '%s' must hold the secret on one "
                            "line", cmd->cmd->name, arg);
    }
    sub.info = which == MC_CONFS_SMTP_PASSWORD ? (void *)1 : NULL;
    err = which == MC_CONFS_STRIPE_KEY ? mc_stripe_set_key(&sub, dc, buf)
          : which == MC_CONFS_STRIPE_WHSEC ? mc_stripe_set_whsec(&sub, dc,
                                                                 buf)
          : which == MC_CONFS_SECRET ? set_secret(&sub, dc, buf)
          : which == MC_CONFS_LLM_KEY ? set_llm_key(&sub, dc, buf)
          : which == MC_CONFS_NOTIFY_SECRET ? set_notify_secret(&sub, dc, buf)
          : set_smtp_auth(&sub, dc, buf);
    /* The value's own check, named after the file (never the value). */
    return err ? apr_psprintf(cmd->pool, "%s '%s': %s", cmd->cmd->name, arg,
                              err) : NULL;
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
    srv_conf(cmd)->strs[MC_CONFS_TIMEZONE] = apr_pstrdup(cmd->pool, arg);
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

/* ConciergeAllowedOrigin https://www.clinic.example ...: another origin
 * whose pages may send state-changing requests (and staff reads) to this
 * API, as browsers write an Origin header: scheme://host[:port], no path. */
static const char *add_allowed_origin(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    const char *host, *p;

    if (!strncasecmp(arg, "https://", 8)) {
        host = arg + 8;
    }
    else if (!strncasecmp(arg, "http://", 7)) {
        host = arg + 7;
    }
    else {
        host = NULL;
    }
    for (p = host; p && *p; p++) {
        if (!apr_isalnum(*p) && *p != '.' && *p != '-' && *p != ':'
            && *p != '[' && *p != ']') {
            break;
        }
    }
    if (!host || !*host || (p && *p) || strlen(arg) > 300) {
        return apr_psprintf(cmd->pool, "ConciergeAllowedOrigin: '%s' is not "
                            "an origin (https://host[:port], no path)", arg);
    }
    {
        char *low = apr_pstrdup(cmd->pool, arg);

        ap_str_tolower(low);
        apr_hash_set(srv_conf(cmd)->allowed_origins, low,
                     APR_HASH_KEY_STRING, "");
    }
    return NULL;
}

/* ConciergeLoginLockout <failures> <seconds> */
static const char *set_lockout(cmd_parms *cmd, void *dc, const char *n,
                               const char *secs)
{
    char *end;
    apr_int64_t f = apr_strtoi64(n, &end, 10), t;

    if (*end || f < 1 || f > 1000) {
        return "ConciergeLoginLockout: failures must be 1..1000";
    }
    t = apr_strtoi64(secs, &end, 10);
    if (*end || t < 1 || t > 86400) {
        return "ConciergeLoginLockout: seconds must be 1..86400";
    }
    srv_conf(cmd)->ints[MC_CONF_LOCKOUT_FAILS] = f;
    srv_conf(cmd)->ints[MC_CONF_LOCKOUT_SECS] = t;
    return NULL;
}

cc_rate_t mc_config_lockout(const server_rec *s)
{
    cc_rate_t r;

    r.limit = (uint32_t)mc_config_geti(s, MC_CONF_LOCKOUT_FAILS);
    r.period_s = (uint32_t)mc_config_geti(s, MC_CONF_LOCKOUT_SECS);
    return r;
}

#define INT_CMD(name, d, help) \
    AP_INIT_TAKE1(name, set_int, (void *)&(d), RSRC_CONF, help)
#define DBL_CMD(name, d, help) \
    AP_INIT_TAKE1(name, set_dbl, (void *)&(d), RSRC_CONF, help)

const command_rec mc_cmds[] = {
    AP_INIT_TAKE2("ConciergeRateLimit", set_rate_limit, NULL, RSRC_CONF,
                  "<class> <count>/<sec|min|hour>: token-bucket limit per "
                  "client for a route class"),
    INT_CMD("ConciergeRateLimitSlots", d_rl_slots,
            "number of rate-limit buckets kept in shared memory"),
    INT_CMD("ConciergeMaxBody", d_max_body,
            "largest request body accepted (bytes, k or M)"),
    INT_CMD("ConciergeJSONMaxDepth", d_json_depth,
            "deepest JSON nesting accepted"),
    INT_CMD("ConciergeHealthCache", d_health_cache,
            "milliseconds /api/health may reuse its database check"),
    INT_CMD("ConciergeIndexSize", d_index_size,
            "bytes of shared memory per retrieval-index slot (two slots)"),
    INT_CMD("ConciergeChunkChars", d_chunk_chars,
            "largest knowledge chunk, in characters"),
    DBL_CMD("ConciergeBM25K1", d_k1, "BM25 term-frequency saturation k1"),
    DBL_CMD("ConciergeBM25B", d_b, "BM25 length normalisation b"),
    DBL_CMD("ConciergeTitleWeight", d_title_w,
            "weight of a section title against its text"),
    DBL_CMD("ConciergeSynonymWeight", d_syn_w,
            "weight of synonym-expanded query terms (0 disables)"),
    DBL_CMD("ConciergeGroundingMinScore", d_min_score,
            "below this retrieval score the answer is no_answer"),
    DBL_CMD("ConciergeGroundingMinCoverage", d_min_coverage,
            "share of the question (idf-weighted) a source must cover"),
    DBL_CMD("ConciergeGroundingMinOverlap", d_min_overlap,
            "share of a generated sentence's terms its sources must hold"),
    AP_INIT_TAKE1("ConciergeLLMBaseURL", set_llm_base, NULL, RSRC_CONF,
                  "OpenAI-compatible API base URL"),
    AP_INIT_TAKE1("ConciergeLLMModel", set_llm_model, NULL, RSRC_CONF,
                  "LLM model name"),
    AP_INIT_TAKE1("ConciergeLLMKey", set_llm_key, NULL, RSRC_CONF,
                  "LLM API key (from the environment: ${GROQ_API_KEY})"),
    AP_INIT_TAKE1("ConciergeLLMKeyFile", set_secret_file,
                  (void *)MC_CONFS_LLM_KEY, RSRC_CONF,
                  "file holding the LLM API key (not readable by others)"),
    INT_CMD("ConciergeLLMConnectTimeout", d_llm_connect,
            "LLM connect timeout, milliseconds"),
    INT_CMD("ConciergeLLMTimeout", d_llm_timeout,
            "LLM total timeout per attempt, milliseconds"),
    INT_CMD("ConciergeLLMBreakerFailures", d_breaker_fail,
            "consecutive LLM failures that open the circuit breaker"),
    INT_CMD("ConciergeLLMBreakerCooldown", d_breaker_cool,
            "seconds the breaker stays open before one trial call"),
    INT_CMD("ConciergeChatMaxChars", d_chat_chars,
            "longest patient message, in characters"),
    INT_CMD("ConciergeCalendarPatientNames", d_cal_names,
            "On: Google Calendar events carry the patient's name (default "
            "Off: the service and the booking number only)"),
    INT_CMD("ConciergeAPI", d_api,
            "On: this server (or virtual host) serves the API under /api/ "
            "(conf/vhost.conf); elsewhere /api/ is left to the site"),
    INT_CMD("ConciergePageHeaders", d_page_headers,
            "On (default): on a site with ConciergeAPI On, everything "
            "served outside /api/ gets a Content-Security-Policy, nosniff, "
            "Referrer-Policy and Cache-Control; Off: the site sets its own"),
    INT_CMD("ConciergeChatLog", d_chat_log,
            "On: store every conversation and message (chat logs); Off: "
            "no routine chat text, but an escalated conversation keeps its "
            "escalating message and every later message for staff"),
    INT_CMD("ConciergeChatIdleExpiry", d_chat_idle,
            "how long a conversation may stay idle before its token "
            "expires (seconds, or with s, m, h or d; default 24h); never "
            "while an escalation of it is unresolved"),
    INT_CMD("ConciergeRetentionDays", d_retention,
            "days chat logs are kept after a conversation's last message "
            "(then deleted, or emptied of text where an escalation refers "
            "to them); Off (default) keeps them"),
    AP_INIT_TAKE1("ConciergeRiskLanguages", set_risk_langs, NULL, RSRC_CONF,
                  "languages whose risk rules are used (" CC_RISK_LANGS ")"),
    AP_INIT_TAKE1("ConciergeRiskVocabulary", set_risk_file,
                  (void *)MC_CONFS_RISK_VOCAB, RSRC_CONF,
                  "the medical vocabulary image (make: build/risk-vocab.bin)"),
    AP_INIT_TAKE1("ConciergeRiskModel", set_risk_file,
                  (void *)MC_CONFS_RISK_MODEL, RSRC_CONF,
                  "the risk classifier's weights (make: build/risk-model.bin)"),
    AP_INIT_TAKE1("ConciergeEmergencyNumber", set_emergency_number, NULL,
                  RSRC_CONF, "the emergency number patients are told to call"),
    INT_CMD("ConciergeEscalationSLA", d_sla,
            "minutes an escalation may wait before it is overdue"),
    AP_INIT_TAKE1("ConciergeNotifyWebhook", set_notify_url, NULL, RSRC_CONF,
                  "URL staff notifications are POSTed to (HMAC-signed)"),
    AP_INIT_TAKE1("ConciergeNotifyWebhookSecret", set_notify_secret, NULL,
                  RSRC_CONF, "HMAC key of the webhook (from ${ENV})"),
    AP_INIT_TAKE1("ConciergeNotifyWebhookSecretFile", set_secret_file,
                  (void *)MC_CONFS_NOTIFY_SECRET, RSRC_CONF,
                  "file holding the webhook's HMAC key"),
    AP_INIT_TAKE2("ConciergeLoginLockout", set_lockout, NULL, RSRC_CONF,
                  "<failures> <seconds>: failed staff logins per client "
                  "address and per user name before further attempts get "
                  "429 (default 10 900)"),
    AP_INIT_ITERATE("ConciergeAllowedOrigin", add_allowed_origin, NULL,
                    RSRC_CONF, "origins (https://host[:port]) whose pages "
                    "may call this API besides its own"),
    AP_INIT_TAKE1("ConciergeNotifySMTP", set_notify_url, (void *)1,
                  RSRC_CONF, "smtps:// or smtp:// (STARTTLS) server staff "
                  "e-mail goes through"),
    AP_INIT_TAKE1("ConciergeNotifySMTPHelo", set_smtp_helo, NULL, RSRC_CONF,
                  "fully qualified name sent in EHLO (default: ServerName)"),
    AP_INIT_TAKE1("ConciergeNotifySMTPBearerFile", set_runtime_file,
                  (void *)MC_CONFS_SMTP_BEARER_FILE, RSRC_CONF,
                  "file holding an OAuth 2.0 access token for SMTP AUTH "
                  "XOAUTH2, re-read for each message"),
    AP_INIT_TAKE1("ConciergeOutboundCAFile", set_runtime_file,
                  (void *)MC_CONFS_OUTBOUND_CA, RSRC_CONF,
                  "PEM bundle outbound TLS is verified against (instead of "
                  "the system's)"),
    AP_INIT_TAKE1("ConciergeNotifySMTPUser", set_smtp_auth, NULL, RSRC_CONF,
                  "SMTP AUTH user"),
    AP_INIT_TAKE1("ConciergeNotifySMTPPassword", set_smtp_auth, (void *)1,
                  RSRC_CONF, "SMTP AUTH password (from ${ENV})"),
    AP_INIT_TAKE1("ConciergeNotifySMTPPasswordFile", set_secret_file,
                  (void *)MC_CONFS_SMTP_PASSWORD, RSRC_CONF,
                  "file holding the SMTP AUTH password"),
    AP_INIT_TAKE1("ConciergeNotifyFrom", set_address, NULL, RSRC_CONF,
                  "sender address of staff e-mail"),
    AP_INIT_TAKE1("ConciergeNotifyTo", set_address, (void *)1, RSRC_CONF,
                  "staff address notifications are sent to"),
    AP_INIT_TAKE1("ConciergeStaffURL", set_staff_url, NULL, RSRC_CONF,
                  "base URL of the staff dashboard (links in notifications)"),
    AP_INIT_TAKE1("ConciergeSecret", set_secret, NULL, RSRC_CONF,
                  "key manage tokens are derived with (from ${ENV}, 32+ "
                  "characters)"),
    AP_INIT_TAKE1("ConciergeSecretFile", set_secret_file,
                  (void *)MC_CONFS_SECRET, RSRC_CONF,
                  "file holding ConciergeSecret (not readable by others)"),
    AP_INIT_TAKE1("ConciergeGoogleKeyFile", set_google,
                  (void *)MC_CONFS_GOOGLE_KEY_FILE, RSRC_CONF,
                  "Google service-account JSON key file (enables calendar "
                  "sync)"),
    AP_INIT_TAKE1("ConciergeGoogleTokenURL", set_google,
                  (void *)MC_CONFS_GOOGLE_TOKEN_URL, RSRC_CONF,
                  "OAuth token endpoint (default Google's)"),
    AP_INIT_TAKE1("ConciergeGoogleAPIBase", set_google,
                  (void *)MC_CONFS_GOOGLE_API_BASE, RSRC_CONF,
                  "Calendar API v3 base URL (default Google's)"),
    INT_CMD("ConciergeGoogleTimeout", d_google_timeout,
            "Google request timeout, milliseconds"),
    AP_INIT_TAKE1("ConciergeStripeSecretKey", mc_stripe_set_key, NULL,
                  RSRC_CONF, "Stripe secret key (${STRIPE_SECRET_KEY})"),
    AP_INIT_TAKE1("ConciergeStripeSecretKeyFile", set_secret_file,
                  (void *)MC_CONFS_STRIPE_KEY, RSRC_CONF,
                  "file holding the Stripe secret key"),
    AP_INIT_ITERATE("ConciergeStripeWebhookSecret", mc_stripe_set_whsec, NULL,
                    RSRC_CONF, "Stripe webhook signing secrets (whsec_...; "
                    "several, or repeated, while a secret is rolled)"),
    AP_INIT_TAKE1("ConciergeStripeWebhookSecretFile", set_secret_file,
                  (void *)MC_CONFS_STRIPE_WHSEC, RSRC_CONF,
                  "file holding the webhook signing secrets (one line)"),
    AP_INIT_TAKE1("ConciergeStripeAPIBase", mc_stripe_set_url,
                  (void *)MC_CONFS_STRIPE_API_BASE, RSRC_CONF,
                  "Stripe API base URL (default https://api.stripe.com)"),
    AP_INIT_TAKE1("ConciergePublicURL", mc_stripe_set_url,
                  (void *)MC_CONFS_PUBLIC_URL, RSRC_CONF,
                  "the public base URL of this site (payment return pages)"),
    INT_CMD("ConciergeStripeTimeout", d_stripe_timeout,
            "Stripe request timeout, milliseconds"),
    INT_CMD("ConciergeFreeBusyCache", d_freebusy_cache,
            "seconds a calendar's busy times are reused"),
    AP_INIT_TAKE1("ConciergeTimeZone", set_timezone, NULL, RSRC_CONF,
                  "the clinic's IANA time zone"),
    AP_INIT_TAKE2("ConciergeUserRole", set_user_role, NULL, RSRC_CONF,
                  "<user> <staff|admin>: role for a user authenticated "
                  "outside the staff_users table (e.g. htpasswd)"),
    { NULL }
};
