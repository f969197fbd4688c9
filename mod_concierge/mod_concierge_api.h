/*
 * mod_concierge_api.h - for the handler files (mod_concierge/api/): how a
 * resource declares its routes and statements, and the helpers every
 * handler uses.
 *
 * A resource file ends with
 *     MC_RESOURCE(name, routes, stmts);
 * (either table may be NULL).  make collects every MC_RESOURCE line into a
 * generated list (build/.../mc_resources.c); at start-up the route table
 * and the statement table are assembled from it, refusing duplicates.
 * Adding a route touches one C file (plus its test).
 */
#ifndef MOD_CONCIERGE_API_H
#define MOD_CONCIERGE_API_H

#include "mc_private.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "cc_fields.h"

#define KB 1024
#define MB (1024 * 1024)

/* A text of a 64-bit integer in pool p (SQL arguments, audit targets). */
#define MC_I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

typedef int (*mc_handler_fn)(mc_ctx *c);

typedef enum {
    MC_BODY_JSON = 0,   /* application/json, decoded into ctx->body; capped
                           by min(max_body, ConciergeMaxBody) */
    MC_BODY_TEXT,       /* text/markdown or text/plain, UTF-8, in ctx->raw;
                           capped by max_body */
    MC_BODY_JSON_OPT,   /* as MC_BODY_JSON, but an empty request (no
                           Content-Length or 0, not chunked) leaves
                           ctx->body NULL */
    MC_BODY_RAW_JSON    /* application/json kept as bytes in ctx->raw, not
                           decoded (a signed body is verified first: the
                           Stripe webhook); capped by max_body alone */
} mc_body_e;

typedef struct mc_route {
    const char       *method;
    const char       *pattern;
    mc_handler_fn     fn;
    mc_role_e         role;
    mc_rl_class_e     rl_class;
    apr_size_t        max_body;     /* 0: no body accepted */
    mc_body_e         body;
    const char       *summary;      /* one line, for the API docs */
    const cc_shape_t *request;      /* NULL: no body */
    const cc_shape_t *response;
} mc_route;

/* A prepared statement: apr_dbd placeholders (%s text, %d integer, %lld
 * bigint; a literal percent sign is %%).  Labels are "cc_<name>". */
typedef struct mc_stmt {
    const char *label;
    const char *sql;
} mc_stmt;

typedef struct mc_resource {
    const char     *name;
    const mc_route *routes;         /* ended by { NULL } */
    const mc_stmt  *stmts;          /* ended by { NULL } */
} mc_resource;

/* A shape known by name only (no field table): MC_SHAPE("booking"). */
#define MC_SHAPE(name) (&(const cc_shape_t){ (name), NULL })

#define MC_RESOURCE(name, routes, stmts) \
    const mc_resource mc_resource_##name = { #name, routes, stmts }

/* ---- path, query and body -------------------------------------------- */

/* A path parameter that must be a positive whole number: its value, or
 * -1 after answering 400 invalid_parameter. */
apr_int64_t mc_param_id(mc_ctx *c, const char *name);
/* Query argument: a whole number in [min, max], def when absent;
 * APR_EINVAL after answering 400 invalid_parameter. */
apr_status_t mc_arg_int(mc_ctx *c, const char *name, apr_int64_t def,
                        apr_int64_t min, apr_int64_t max, apr_int64_t *out);
/* The body {"<field>": string} with 1..max bytes and no NUL: OK, or DONE
 * after answering (400 invalid_body / 422 invalid_<field>). */
int mc_body_string(mc_ctx *c, const char *field, apr_size_t max,
                   const char **out, apr_size_t *len);
/* The body checked against a field table (cc_fields_check): OK, or DONE
 * after answering. */
int mc_body_check(mc_ctx *c, const cc_field_t *fields, int create);

/* ---- the database ----------------------------------------------------- */

/* The request's pooled connection, or NULL after answering 503
 * db_unavailable. */
ap_dbd_t *mc_api_db(mc_ctx *c);

/* A write in one transaction, ended by mc_tx_commit or mc_tx_abort. */
typedef struct mc_tx {
    mc_ctx                *c;
    ap_dbd_t              *dbd;
    apr_dbd_transaction_t *tx;
} mc_tx;

/* Connection and BEGIN: OK, or DONE after answering 503. */
int mc_tx_begin(mc_ctx *c, mc_tx *t);
/* The audited ending of a change: bump a version with the single-value
 * select bump (NULL: none; its value in *version), append the audit entry
 * (action, target, detail: JSON, taken), commit.  OK, or DONE after
 * rolling back and answering 503 db_unavailable.  The caller refreshes
 * what the version guards (index, rules) and answers. */
int mc_tx_commit(mc_tx *t, const char *bump, apr_int64_t *version,
                 const char *action, const char *target, json_t *detail);
/* Roll back (the handler answers). */
void mc_tx_abort(mc_tx *t);
/* A staff read of patient data, audited before it is shown: action (e.g.
 * "conversation.list_read"), the filter as target, and the ids of the
 * rows (each row's "id" in list, a JSON array) in the detail.  OK, or
 * DONE after answering 503. */
int mc_audit_read(mc_ctx *c, const char *action, const char *target,
                  json_t *list);

/* ---- replies ---------------------------------------------------------- */

/* JSON text that PostgreSQL built (json_build_object, json_agg), parsed
 * into a value r->pool owns (callers that keep it incref it); NULL when
 * text is NULL or unreadable. */
json_t *mc_pg_json(request_rec *r, const char *text);
/* Reply with JSON text that PostgreSQL built (json_build_object,
 * json_agg), as it is or as {"<key>": value}; 500 when unreadable. */
int mc_reply_pg(mc_ctx *c, int status, const char *key, const char *text);
/* Run a single-value prepared select on the request's connection and
 * reply with its JSON (mc_reply_pg); 503 when the database could not be
 * asked, 404 not_found with the message missing when there is no row
 * (missing NULL: no row is an internal error). */
int mc_reply_select(mc_ctx *c, const char *label, int nargs,
                    const char **args, const char *key, const char *missing);
/* A page of a list newest first: {"<key>": rows, "next_before": the
 * smallest id when the page is full, else null}.  rows is JSON text as
 * PostgreSQL built it (json_agg); min the page's smallest id or NULL. */
int mc_reply_page(mc_ctx *c, const char *key, const char *rows,
                  const char *min, apr_int64_t limit);

#endif
