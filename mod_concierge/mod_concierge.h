/*
 * mod_concierge.h - declarations shared by the glue files (the files of
 * mod_concierge/ that include httpd headers).  Pure logic lives in core/.
 */
#ifndef MOD_CONCIERGE_H
#define MOD_CONCIERGE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "apr_dbd.h"       /* before mod_dbd.h, which uses apr_dbd_t */
#include "mod_dbd.h"
#include <jansson.h>

#include "cc_route.h"
#include "cc_bucket.h"
#include "cc_problem.h"

#define MC_VERSION  "0.1.0"
#define MC_HANDLER  "concierge-api"

/* Our log tags: CCnnnnn, unique per call site (scripts/checksrc.sh). */
#define CCLOGNO(n) "CC" #n ": "

#ifndef MC_MODULE_MAIN   /* mod_concierge.c gets it from AP_DECLARE_MODULE */
APLOG_USE_MODULE(concierge);
#endif
extern module AP_MODULE_DECLARE_DATA concierge_module;

/* ---- configuration (mod_concierge_config.c) ---------------------------- */

typedef enum {
    MC_RL_CHAT = 0,
    MC_RL_BOOKING,
    MC_RL_PAYMENT,
    MC_RL_ADMIN,
    MC_RL_LOGIN,
    MC_RL_BROWSE,        /* patients reading services, slots, bookings */
    MC_RL_NCLASSES,
    MC_RL_NONE = -1
} mc_rl_class_e;

extern const char *const mc_rl_class_names[MC_RL_NCLASSES];

typedef enum {
    MC_ROLE_PUBLIC = 0,
    MC_ROLE_STAFF  = 1,
    MC_ROLE_ADMIN  = 2
} mc_role_e;

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
    MC_CONF_NSTRS
} mc_conf_str_e;

typedef struct mc_srv_conf {
    cc_rate_t    rate[MC_RL_NCLASSES];
    int          rate_set[MC_RL_NCLASSES];
    apr_int64_t  ints[MC_CONF_NINTS];
    double       dbls[MC_CONF_NDBLS];
    const char  *strs[MC_CONF_NSTRS];
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
const char *mc_config_timezone(const server_rec *s);
/* The LLM is configured (base URL, model and key all set). */
int mc_config_llm_enabled(const server_rec *s);

/* ---- request context and replies (mod_concierge_routes.c) -------------- */

struct mc_route;

typedef struct mc_ctx {
    request_rec            *r;
    const struct mc_route  *route;
    cc_route_params_t       params;
    const char             *rid;       /* request id */
    const char             *user;      /* authenticated user or NULL */
    mc_role_e               role;
    json_t                 *body;      /* decoded JSON body (pool-owned) */
    const char             *raw;       /* raw body bytes */
    apr_size_t              raw_len;
    int                     replied;
} mc_ctx;

typedef int (*mc_handler_fn)(mc_ctx *c);

typedef enum {
    MC_BODY_JSON = 0,   /* application/json, decoded into ctx->body; capped
                           by min(max_body, ConciergeMaxBody) */
    MC_BODY_TEXT,       /* text/markdown or text/plain, UTF-8, in ctx->raw;
                           capped by max_body */
    MC_BODY_JSON_OPT    /* as MC_BODY_JSON, but an empty request (no
                           Content-Length or 0, not chunked) leaves
                           ctx->body NULL */
} mc_body_e;

typedef struct mc_route {
    const char   *method;
    const char   *pattern;
    mc_handler_fn fn;
    mc_role_e     role;
    mc_rl_class_e rl_class;
    apr_size_t    max_body;     /* 0: no body accepted */
    mc_body_e     body;
} mc_route;

extern const mc_route mc_routes[];
extern const int mc_nroutes;
/* Labels "METHOD pattern" for metrics, plus "unmatched" at mc_nroutes. */
const char *const *mc_route_labels(apr_pool_t *p);

/* Write a JSON reply (takes ownership of body) and return OK. */
int mc_reply(mc_ctx *c, int status, json_t *body);
/* Write a pre-serialised JSON text reply. */
int mc_reply_raw(mc_ctx *c, int status, const char *ctype, const char *text,
                 apr_size_t len);
/* The SPEC error envelope; returns OK. */
int mc_error(mc_ctx *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int mc_error_problem(mc_ctx *c, const cc_problem_t *prob);
/* Request id of r (generated once per request, shared with subrequests
 * and internal redirects). */
const char *mc_request_id(request_rec *r);
void mc_request_id_child_init(void);
/* Writes the envelope for r directly (used before a ctx exists). */
int mc_send_error(request_rec *r, int status, const char *code,
                  const char *message);
int mc_dispatch(request_rec *r);
/* Route index of r for metrics (mc_nroutes when none matches). */
int mc_route_index(request_rec *r);

/* A path parameter that must be a positive whole number: its value, or
 * -1 after answering 400 invalid_parameter. */
apr_int64_t mc_param_id(mc_ctx *c, const char *name);
/* The body {"<field>": string} with 1..max bytes and no NUL: OK, or DONE
 * after answering (400 invalid_body / 422 invalid_<field>). */
int mc_body_string(mc_ctx *c, const char *field, apr_size_t max,
                   const char **out, apr_size_t *len);

/* A page of a list newest first: {"<key>": rows, "next_before": the
 * smallest id when the page is full, else null}.  rows is JSON text as
 * PostgreSQL built it (json_agg); min the page's smallest id or NULL. */
int mc_reply_page(mc_ctx *c, const char *key, const char *rows,
                  const char *min, apr_int64_t limit);

/* Query argument helpers: integers with bounds; APR_EINVAL when bad. */
apr_status_t mc_arg_int(mc_ctx *c, const char *name, apr_int64_t def,
                        apr_int64_t min, apr_int64_t max, apr_int64_t *out);

/* ---- database (mod_concierge_db.c) ------------------------------------- */

/* r->notes key set when a database call of this request failed. */
#define MC_NOTE_DB_FAILED "concierge-db-failed"

void mc_db_register(apr_pool_t *pconf, server_rec *s);
int  mc_db_ready(void);    /* mod_dbd optional functions present */
/* A pooled connection for r, or NULL when the database is unreachable
 * (the caller answers 503 db_unavailable). */
ap_dbd_t *mc_db_acquire(request_rec *r);
/* A connection held only until mc_db_close (for work around slow calls
 * such as the LLM, which must never hold a database connection). */
ap_dbd_t *mc_db_open(request_rec *r);
void mc_db_close(request_rec *r, ap_dbd_t *dbd);
/* The same for background threads (no request): server s, pool p. */
ap_dbd_t *mc_db_open_s(server_rec *s, apr_pool_t *p);
void mc_db_close_s(server_rec *s, ap_dbd_t *dbd);
apr_status_t mc_db_query_s(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                           const char *label, int *nrows, int nargs,
                           const char **args);
/* Every row of a prepared select without arguments (an outbox claim), as
 * arrays of ncols strings ("" for NULL) in p, on a connection given back
 * before returning; NULL when the database could not be asked. */
apr_array_header_t *mc_db_rows_s(server_rec *s, apr_pool_t *p,
                                 const char *label, int ncols);
/* Run a prepared select; on success *res is the result (random access). */
apr_status_t mc_db_select(request_rec *r, ap_dbd_t *dbd, const char *label,
                          apr_dbd_results_t **res, int nargs,
                          const char **args);
/* Run a prepared statement without rows; *nrows may be NULL. */
apr_status_t mc_db_query(request_rec *r, ap_dbd_t *dbd, const char *label,
                         int *nrows, int nargs, const char **args);
/* The first column of the first row of a prepared select on the
 * request's connection (NULL when no row); *dbfail = 1 when the database
 * could not be asked. */
const char *mc_db_text(request_rec *r, const char *label, int nargs,
                       const char **args, int *dbfail);
/* First column of first row, or NULL when no row. */
const char *mc_db_value(request_rec *r, ap_dbd_t *dbd, apr_dbd_results_t *res,
                        int col);
apr_status_t mc_db_begin(request_rec *r, ap_dbd_t *dbd,
                         apr_dbd_transaction_t **tx);
/* Commits unless a statement failed or rollback is asked. */
apr_status_t mc_db_end(request_rec *r, ap_dbd_t *dbd,
                       apr_dbd_transaction_t *tx, int rollback);
/* Readiness with caching in shared memory (ConciergeHealthCache). */
int mc_db_healthy(request_rec *r, int force, int *cached);

/* ---- shared memory (mod_concierge_shm.c) ------------------------------- */

/* An anonymous shared segment (named under the runtime dir where the
 * platform has no anonymous shm), living as long as pconf. */
apr_status_t mc_shm_segment(apr_shm_t **shm, apr_size_t size,
                            const char *name, apr_pool_t *pconf,
                            server_rec *s);
/* A global mutex of a registered type (post_config, logged on failure),
 * and its attachment in a child (child_init; no-op when it was never
 * created). */
apr_status_t mc_shm_mutex_create(apr_global_mutex_t **m, const char *type,
                                 apr_pool_t *pconf, server_rec *s);
void mc_shm_mutex_attach(apr_global_mutex_t **m, const char *type,
                         apr_pool_t *p, server_rec *s);
apr_status_t mc_shm_pre_config(apr_pool_t *pconf);
apr_status_t mc_shm_post_config(apr_pool_t *pconf, server_rec *s);
void mc_shm_child_init(apr_pool_t *p, server_rec *s);
/* Rate limiting: returns 1 when allowed; fills res. */
int mc_shm_rate_take(request_rec *r, mc_rl_class_e cls, const char *key,
                     cc_bucket_result_t *res);
void mc_shm_observe(int route, int status, apr_int64_t dur_us);
void mc_shm_ratelimited(mc_rl_class_e cls);
char *mc_shm_metrics_text(apr_pool_t *p, const char *extra);
json_t *mc_shm_health(apr_pool_t *p);
/* Cached database health: returns 1 ok / 0 down / -1 stale. */
int mc_shm_db_health_get(apr_int64_t max_age_us);
void mc_shm_db_health_set(int ok);

/* LLM circuit breaker, host-wide: may a call be tried now? */
int mc_shm_breaker_allow(apr_int64_t cooldown_us);
void mc_shm_breaker_result(int ok, int threshold, apr_int64_t cooldown_us);
json_t *mc_shm_breaker_health(void);

/* ---- audit (mod_concierge_audit.c) ------------------------------------- */

/* Append an entry inside the caller's transaction on dbd (the caller
 * commits).  detail: compact JSON text or NULL. */
apr_status_t mc_audit_append(request_rec *r, ap_dbd_t *dbd, const char *actor,
                             const char *action, const char *target,
                             const char *detail);
/* Seal staged entries (audit_pending) into the chain before reading it. */
void mc_audit_seal(request_rec *r, ap_dbd_t *dbd);
/* Append in its own transaction. */
apr_status_t mc_audit_append_tx(request_rec *r, const char *actor,
                                const char *action, const char *target,
                                const char *detail);

/* ---- retrieval index (mod_concierge_index.c) -------------------------- */

typedef struct mc_index_ref {
    const void   *img;
    apr_size_t    len;
    apr_uint32_t  slot;
    apr_uint32_t  generation;
    apr_int64_t   kversion;
} mc_index_ref;

typedef struct mc_hit {
    const char *id;
    const char *title;
    const char *text;
    apr_size_t  len;
    double      score;
    double      coverage;   /* cc_index_coverage of the query */
    const void *sents;      /* the text's sentence table (for
                               cc_source_t.sents), or NULL */
    apr_size_t  sents_len;
} mc_hit;

apr_status_t mc_index_pre_config(apr_pool_t *pconf);
apr_status_t mc_index_post_config(apr_pool_t *pconf, server_rec *s);
void mc_index_child_init(apr_pool_t *p, server_rec *s);
/* Rebuild from the database now (force: even if the version is the one
 * served).  Returns once the new generation is live on this host. */
apr_status_t mc_index_rebuild(request_rec *r, ap_dbd_t *dbd, int force);
apr_status_t mc_index_acquire(request_rec *r, mc_index_ref *ref);
void mc_index_release(mc_index_ref *ref);
/* Search; hits are copied into r->pool (hits has room for k). */
apr_status_t mc_index_query(request_rec *r, const char *q, apr_size_t qlen,
                            int k, mc_hit *hits, int *nhits,
                            apr_uint32_t *generation);
json_t *mc_index_health(void);

/* ---- booking (mod_concierge_booking.c) ---------------------------------- */

struct cc_tz_t;
apr_status_t mc_booking_post_config(apr_pool_t *pconf, server_rec *s);
void mc_booking_child_init(apr_pool_t *p, server_rec *s);
/* The clinic's zone (ConciergeTimeZone), parsed once at start-up. */
const struct cc_tz_t *mc_booking_tz(const server_rec *s);
int mc_api_services(mc_ctx *c);
int mc_api_slots(mc_ctx *c);
int mc_api_bookings_create(mc_ctx *c);
int mc_api_booking_get(mc_ctx *c);
int mc_api_booking_cancel(mc_ctx *c);
int mc_api_booking_reschedule(mc_ctx *c);
int mc_api_admin_bookings(mc_ctx *c);
int mc_api_admin_booking_get(mc_ctx *c);
int mc_api_admin_booking_cancel(mc_ctx *c);
int mc_api_admin_booking_reschedule(mc_ctx *c);
/* A patient asking to book in the chat: the actions (a "book" offer with
 * free slots of the matching service, or a "choose_service" list) and
 * the reply text, or NULL when the message is not a booking request. */
json_t *mc_booking_offer(mc_ctx *c, const char *message, const char **reply);

/* ---- the clinic model (mod_concierge_api_clinic.c) ------------------- */

int mc_api_admin_services(mc_ctx *c);
int mc_api_admin_service_create(mc_ctx *c);
int mc_api_admin_service_update(mc_ctx *c);
int mc_api_admin_practitioners(mc_ctx *c);
int mc_api_admin_practitioner_create(mc_ctx *c);
int mc_api_admin_practitioner_update(mc_ctx *c);
int mc_api_admin_hours_put(mc_ctx *c);
int mc_api_admin_exceptions(mc_ctx *c);
int mc_api_admin_exception_create(mc_ctx *c);
int mc_api_admin_exception_delete(mc_ctx *c);
int mc_api_admin_settings_get(mc_ctx *c);
int mc_api_admin_settings_put(mc_ctx *c);

/* ---- Google Calendar (mod_concierge_calendar.c) ------------------------- */

/* Busy intervals (cc_interval_t, UTC seconds) of n calendars over
 * [from, to): busy[i] (NULL or empty when none, or when no calendar sync
 * is configured) and ok[i] = 0 when that calendar's availability is
 * unknown (the caller then offers none of its slots).  One freeBusy query
 * for all calendars not cached. */
void mc_calendar_busy(request_rec *r, const char *const *cals, int n,
                      apr_int64_t from, apr_int64_t to,
                      apr_array_header_t **busy, int *ok);
apr_status_t mc_calendar_post_config(apr_pool_t *pconf, server_rec *s);
void mc_calendar_child_init(apr_pool_t *p, server_rec *s);
int mc_calendar_configured(void);
json_t *mc_calendar_health(request_rec *r);

/* ---- background work (mod_concierge_ticker.c) -------------------------- */

typedef struct mc_ticker mc_ticker;
typedef void mc_tick_fn(apr_pool_t *p, server_rec *s, void *baton);
/* Run tick every `every` in a thread of this child until the child exits
 * (stopped in a pre-cleanup of p); NULL (logged) when the thread cannot
 * start. */
mc_ticker *mc_ticker_start(apr_pool_t *p, server_rec *s, const char *name,
                           apr_interval_time_t every, mc_tick_fn *tick,
                           void *baton);

/* ---- chat log writer (mod_concierge_chatlog.c) ------------------------- */

void mc_chatlog_child_init(apr_pool_t *p, server_rec *s);
/* Queue one turn (a JSON object text) and wait until it is stored. */
apr_status_t mc_chatlog_store(request_rec *r, const char *row);

/* ---- LLM client (mod_concierge_llm.c) ----------------------------------- */

typedef struct mc_llm_result {
    int         ok;          /* an answer text was received */
    const char *answer;      /* raw answer (with [Sn] citations) */
    const char *error;       /* why not: "breaker_open", "timeout",
                                "http_429", "http_500", "bad_response",
                                "connect" ... */
    int         attempts;
    apr_int64_t ms;
} mc_llm_result;

struct cc_source_t;
void mc_llm_answer(request_rec *r, const char *question,
                   const struct cc_source_t *src, int nsrc,
                   mc_llm_result *out);

/* ---- clinical safety (mod_concierge_safety.c) -------------------------- */

typedef struct mc_screen {
    int     risky;
    int     emergency;
    json_t *categories;     /* ["pregnancy", ...] (pool-owned) */
    json_t *matches;        /* [{category, rule, start, end, text, ...}] */
} mc_screen;

/* Screen a patient message (reply = 0) or a generated reply (reply = 1).
 * APR_EINIT when no rules could be loaded: the caller must not answer. */
apr_status_t mc_safety_screen(request_rec *r, const char *text, int reply,
                              mc_screen *out);
json_t *mc_safety_health(void);

/* ---- escalations and notifications -------------------------------------- */

/* Record a risky message: conversation (escalated), the patient message,
 * the holding reply, the escalation, the notifications and the audit
 * entry, in one transaction.  *escalation_id receives the new id. */
apr_status_t mc_escalation_create(request_rec *r, const char *session_hash,
                                  const char *message, const char *reply,
                                  const mc_screen *scr, const char *source,
                                  apr_int64_t *escalation_id);
/* The open escalation of a conversation (bot silent), or 0. */
apr_int64_t mc_escalation_open_for(request_rec *r, const char *session_hash);
/* Add a patient message to an escalated conversation (no bot reply);
 * with scr (a risky message), merge its categories into the open
 * escalation escalation_id. */
apr_status_t mc_escalation_add_patient_message(request_rec *r,
                                               const char *session_hash,
                                               const char *message,
                                               apr_int64_t escalation_id,
                                               const mc_screen *scr);
char *mc_escalation_metrics(request_rec *r);
void mc_notify_child_init(apr_pool_t *p, server_rec *s);
json_t *mc_notify_health(request_rec *r);

/* ---- authentication (mod_concierge_auth.c) ---------------------------- */

void mc_auth_register(apr_pool_t *p);

/* ---- handlers (one file per resource) ---------------------------------- */

int mc_api_health(mc_ctx *c);
int mc_api_admin_health(mc_ctx *c);
int mc_api_admin_metrics(mc_ctx *c);
int mc_api_admin_audit(mc_ctx *c);
int mc_api_admin_audit_verify(mc_ctx *c);
int mc_api_admin_me(mc_ctx *c);
int mc_api_admin_users_list(mc_ctx *c);
int mc_api_admin_user_put(mc_ctx *c);
int mc_api_admin_routes(mc_ctx *c);
int mc_api_admin_knowledge_list(mc_ctx *c);
int mc_api_admin_knowledge_replace(mc_ctx *c);
int mc_api_admin_knowledge_create(mc_ctx *c);
int mc_api_admin_knowledge_get(mc_ctx *c);
int mc_api_admin_knowledge_put(mc_ctx *c);
int mc_api_admin_knowledge_delete(mc_ctx *c);
int mc_api_admin_knowledge_search(mc_ctx *c);
int mc_api_admin_synonyms_get(mc_ctx *c);
int mc_api_admin_synonyms_put(mc_ctx *c);
int mc_api_chat_post(mc_ctx *c);
int mc_api_chat_get(mc_ctx *c);
int mc_api_admin_conversations(mc_ctx *c);
int mc_api_admin_conversation(mc_ctx *c);
int mc_api_admin_compliance_check(mc_ctx *c);
int mc_api_admin_rules_list(mc_ctx *c);
int mc_api_admin_rules_create(mc_ctx *c);
int mc_api_admin_rules_update(mc_ctx *c);
int mc_api_admin_rules_delete(mc_ctx *c);
int mc_api_admin_escalations(mc_ctx *c);
int mc_api_admin_escalation_get(mc_ctx *c);
int mc_api_admin_escalation_claim(mc_ctx *c);
int mc_api_admin_escalation_reply(mc_ctx *c);
int mc_api_admin_escalation_reassign(mc_ctx *c);
int mc_api_admin_escalation_resolve(mc_ctx *c);

#endif
