/*
 * mod_concierge_db.h - PostgreSQL through mod_dbd: the statements every
 * resource declares, prepared at configuration time, and helpers around
 * apr_dbd for requests and background threads.
 */
#ifndef MOD_CONCIERGE_DB_H
#define MOD_CONCIERGE_DB_H

#include "mc_private.h"
#include "apr_dbd.h"       /* before mod_dbd.h, which uses apr_dbd_t */
#include "mod_dbd.h"

/* r->notes key set when a database call of this request failed. */
#define MC_NOTE_DB_FAILED "concierge-db-failed"
/* r->notes key set once the request holds a pooled connection
 * (mc_db_acquire): code that would otherwise open a second one of its own
 * uses that one, since waiting for a second connection while holding one
 * deadlocks a busy pool. */
#define MC_NOTE_DB_HELD "concierge-db-held"

void mc_db_register(apr_pool_t *pconf, server_rec *s);
int  mc_db_ready(void);    /* mod_dbd optional functions present */
/* A pooled connection for r, or NULL when the database is unreachable
 * (the caller answers 503 db_unavailable). */
ap_dbd_t *mc_db_acquire(request_rec *r);
/* A connection held only until mc_db_close (for work around slow calls
 * such as the LLM, which must never hold a database connection). */
ap_dbd_t *mc_db_open(request_rec *r);
void mc_db_close(request_rec *r, ap_dbd_t *dbd);
/* The same for background threads (no request): server s, pool p.  While
 * the database cannot be reached these back off together (1 to 5 s),
 * returning NULL without trying.  mc_db_child_init sets that up. */
void mc_db_child_init(apr_pool_t *p);
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
/* Where database work runs: a request, or (r == NULL) a background
 * thread of server s with its own pool p.  Code that serves both (the
 * index and the risk rules, built by the first request or by the warm-up
 * thread at child start) takes one of these. */
typedef struct mc_dbx {
    request_rec *r;
    server_rec  *s;
    apr_pool_t  *p;
} mc_dbx;

#define MC_DBX_LOG(x, lvl, ...)                                           \
    do {                                                                  \
        if ((x)->r) {                                                     \
            ap_log_rerror(APLOG_MARK, lvl, 0, (x)->r, __VA_ARGS__);      \
        }                                                                 \
        else {                                                            \
            ap_log_error(APLOG_MARK, lvl, 0, (x)->s, __VA_ARGS__);       \
        }                                                                 \
    } while (0)

apr_status_t mc_db_select_x(const mc_dbx *x, ap_dbd_t *dbd,
                            const char *label, apr_dbd_results_t **res,
                            int nargs, const char **args);
ap_dbd_t *mc_db_open_x(const mc_dbx *x);
void mc_db_close_x(const mc_dbx *x, ap_dbd_t *dbd);

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
/* The same on a connection given back at once (or the one the request
 * already holds): for reads before a slow call - Google, or waiting for
 * the chat-log writer, which needs a connection from the same pool. */
const char *mc_db_text_brief(request_rec *r, const char *label, int nargs,
                             const char **args, int *dbfail);
/* First column of first row, or NULL when no row. */
const char *mc_db_value(request_rec *r, ap_dbd_t *dbd, apr_dbd_results_t *res,
                        int col);
apr_status_t mc_db_begin(request_rec *r, ap_dbd_t *dbd,
                         apr_dbd_transaction_t **tx);
/* Commits unless a statement failed or rollback is asked. */
apr_status_t mc_db_end(request_rec *r, ap_dbd_t *dbd,
                       apr_dbd_transaction_t *tx, int rollback);
/* A repeated error logged at most once per 10 s per process, with the
 * count of those not logged (a static mc_lograte per call site, zeroed). */
typedef struct mc_lograte {
    apr_time_t   next;          /* atomic */
    apr_uint32_t dropped;       /* atomic */
} mc_lograte;
/* 1 when this call site may log now; *dropped: how many it did not log
 * since it last did. */
int mc_lograte_ok(mc_lograte *lr, apr_uint32_t *dropped);
/* Readiness with caching in shared memory (ConciergeHealthCache). */
int mc_db_healthy(request_rec *r, int force, int *cached);
#endif
