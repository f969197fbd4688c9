/*
 * mc_private.h - what every glue file (a file of mod_concierge/ that
 * includes httpd headers) needs: the module declaration, the log tag, the
 * roles and rate classes, the request context and the reply and error
 * helpers.  Each service has its own header (mod_concierge_<service>.h);
 * handler files add mod_concierge_api.h.  Pure logic lives in core/.
 */
#ifndef MC_PRIVATE_H
#define MC_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include <jansson.h>

#include "cc_route.h"
#include "cc_problem.h"

#define MC_VERSION  "0.12.0"
#define MC_HANDLER  "concierge-api"

/* Our log tags: CCnnnnn, unique per call site (scripts/checksrc.sh). */
#define CCLOGNO(n) "CC" #n ": "

#ifndef MC_MODULE_MAIN   /* mod_concierge.c gets it from AP_DECLARE_MODULE */
APLOG_USE_MODULE(concierge);
#endif
extern module AP_MODULE_DECLARE_DATA concierge_module;

/* Rate-limit classes (ConciergeRateLimit <class> ...). */
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

struct mc_route;

/* One API request, from the dispatcher to its handler. */
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

/* Write a JSON reply (takes ownership of body) and return OK. */
int mc_reply(mc_ctx *c, int status, json_t *body);
/* Write a pre-serialised reply. */
int mc_reply_raw(mc_ctx *c, int status, const char *ctype, const char *text,
                 apr_size_t len);
/* The SPEC error envelope {"error":{code,message,request_id}}; returns OK. */
int mc_error(mc_ctx *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int mc_error_problem(mc_ctx *c, const cc_problem_t *prob);
/* 503 db_unavailable: the one answer for "PostgreSQL could not be asked"
 * (mc_error adds Retry-After to every db_unavailable); returns OK. */
int mc_error_db(mc_ctx *c);
/* Writes the envelope for r directly (used before a ctx exists). */
int mc_send_error(request_rec *r, int status, const char *code,
                  const char *message);
/* Request id of r (generated once per request, shared with subrequests
 * and internal redirects). */
const char *mc_request_id(request_rec *r);

#endif
