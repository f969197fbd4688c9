/*
 * mod_concierge_config.h - the directives (conf/concierge.conf lists and
 * documents every one) and their per-server values, read through getters
 * that apply the defaults, so that "unset" survives merging.
 */
#ifndef MOD_CONCIERGE_CONFIG_H
#define MOD_CONCIERGE_CONFIG_H

#include "mc_private.h"
#include "apr_hash.h"
#include "cc_bucket.h"

/* Integer settings (mc_config_geti); every value is >= 0, -1 is "unset". */
typedef enum {
    MC_CONF_RL_SLOTS = 0,    /* bucket table slots */
    MC_CONF_MAX_BODY,        /* bytes */
    MC_CONF_JSON_DEPTH,
    MC_CONF_HEALTH_CACHE_MS,
    MC_CONF_INDEX_SIZE,      /* bytes per index slot (two slots) */
    MC_CONF_CHUNK_CHARS,     /* chunk size cap */
    MC_CONF_LLM_CONNECT_MS,
    MC_CONF_LLM_TIMEOUT_MS,
    MC_CONF_BREAKER_FAILURES,
    MC_CONF_BREAKER_COOLDOWN_S,
    MC_CONF_CHAT_MAX_CHARS,
    MC_CONF_CHAT_LOG,        /* 0/1: store conversations */
    MC_CONF_ESCALATION_SLA_MIN,
    MC_CONF_FREEBUSY_CACHE_S, /* seconds a freeBusy answer is reused */
    MC_CONF_GOOGLE_TIMEOUT_MS,
    MC_CONF_API,             /* 0/1: this server answers /api/ (vhost.conf) */
    MC_CONF_LOCKOUT_FAILS,   /* failed logins before a lock-out */
    MC_CONF_LOCKOUT_SECS,    /* ... within this many seconds */
    MC_CONF_CAL_NAMES,       /* 0/1: patient names in calendar events */
    MC_CONF_CHAT_IDLE_S,     /* seconds idle before a conversation expires */
    MC_CONF_RETENTION_DAYS,  /* chat logs kept this many days; 0: forever */
    MC_CONF_STRIPE_TIMEOUT_MS, /* one Stripe call, milliseconds */
    MC_CONF_PAGE_HEADERS,    /* 0/1: security and cache headers on the
                                site's pages (mod_concierge_webhdr.c) */
    MC_CONF_NINTS
} mc_conf_int_e;

/* Real-valued settings (mc_config_getd); NaN is "unset". */
typedef enum {
    MC_CONFD_BM25_K1 = 0,
    MC_CONFD_BM25_B,
    MC_CONFD_TITLE_WEIGHT,
    MC_CONFD_SYNONYM_WEIGHT,
    MC_CONFD_MIN_SCORE,      /* grounding threshold on the top score */
    MC_CONFD_MIN_OVERLAP,    /* LLM answer sentence support, 0..1 */
    MC_CONFD_MIN_COVERAGE,   /* share of the question a source must cover */
    MC_CONF_NDBLS
} mc_conf_dbl_e;

/* String settings (mc_config_gets); NULL is "unset". */
typedef enum {
    MC_CONFS_TIMEZONE = 0,
    MC_CONFS_LLM_BASE,
    MC_CONFS_LLM_MODEL,
    MC_CONFS_LLM_KEY,        /* secret: never logged or echoed */
    MC_CONFS_RISK_LANGS,     /* "en,es,fr" */
    MC_CONFS_EMERGENCY_NUMBER,
    MC_CONFS_NOTIFY_WEBHOOK,
    MC_CONFS_NOTIFY_SECRET,  /* secret */
    MC_CONFS_NOTIFY_SMTP,
    MC_CONFS_NOTIFY_FROM,
    MC_CONFS_NOTIFY_TO,
    MC_CONFS_STAFF_URL,
    MC_CONFS_SMTP_USER,
    MC_CONFS_SMTP_PASSWORD,  /* secret */
    MC_CONFS_SECRET,         /* secret: manage-token HMAC key */
    MC_CONFS_GOOGLE_KEY_FILE,
    MC_CONFS_GOOGLE_TOKEN_URL,
    MC_CONFS_GOOGLE_API_BASE,
    MC_CONFS_RISK_VOCAB,     /* file: the medical vocabulary image */
    MC_CONFS_RISK_MODEL,     /* file: the risk classifier's weights */
    MC_CONFS_SMTP_HELO,      /* EHLO name (FQDN); default: ServerName */
    MC_CONFS_SMTP_BEARER_FILE, /* file: XOAUTH2 token, read at each send */
    MC_CONFS_OUTBOUND_CA,    /* file: PEM trust anchors of outbound TLS */
    MC_CONFS_STRIPE_KEY,     /* secret: sk_... / rk_... */
    MC_CONFS_STRIPE_WHSEC,   /* secrets: the webhook signing secrets,
                                space-separated (rotation) */
    MC_CONFS_STRIPE_API_BASE,
    MC_CONFS_PUBLIC_URL,     /* base of the pages patients return to */
    MC_CONF_NSTRS
} mc_conf_str_e;

typedef struct mc_srv_conf {
    cc_rate_t    rate[MC_RL_NCLASSES];
    int          rate_set[MC_RL_NCLASSES];
    apr_int64_t  ints[MC_CONF_NINTS];
    double       dbls[MC_CONF_NDBLS];
    const char  *strs[MC_CONF_NSTRS];
    apr_hash_t  *allowed_origins;  /* ConciergeAllowedOrigin: lower-case
                                      "scheme://host[:port]" -> "" */
    apr_hash_t  *user_roles;       /* ConciergeUserRole, case-sensitive
                                      as user names are; never NULL */
} mc_srv_conf;

extern const command_rec mc_cmds[];
void *mc_config_create_srv(apr_pool_t *p, server_rec *s);
void *mc_config_merge_srv(apr_pool_t *p, void *basev, void *addv);
const mc_srv_conf *mc_config_get(const server_rec *s);
apr_int64_t mc_config_geti(const server_rec *s, mc_conf_int_e which);
double mc_config_getd(const server_rec *s, mc_conf_dbl_e which);
const char *mc_config_gets(const server_rec *s, mc_conf_str_e which);
const cc_rate_t *mc_config_rate(const server_rec *s, mc_rl_class_e cls);
/* ConciergeLoginLockout as a rate: failures per period (a bucket that
 * refills one failure every period/failures seconds). */
cc_rate_t mc_config_lockout(const server_rec *s);
const char *mc_config_timezone(const server_rec *s);
/* For directive handlers in other files (mod_concierge_stripe.c): the
 * server's configuration being built, the main-server rule and the URL
 * rule of the other directives. */
mc_srv_conf *mc_config_for(cmd_parms *cmd);
const char *mc_config_main_only(cmd_parms *cmd);
const char *mc_config_check_url(cmd_parms *cmd, const char *arg,
                                const char *secure, const char *plain);
/* The LLM is configured (base URL, model and key all set). */
int mc_config_llm_enabled(const server_rec *s);

#endif
