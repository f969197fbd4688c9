/*
 * mod_concierge_db.c - the statements every resource declares (assembled
 * by mod_concierge_routes.c), prepared through mod_dbd at configuration
 * time, and small helpers around apr_dbd.
 *
 * Placeholders are apr_dbd's: %s text, %d integer, %lld bigint; a literal
 * percent sign is written %%.  Results are opened random-access (so row
 * counts are known and connections never stay busy with undrained rows).
 * Statements that feed a JSON reply build the JSON in PostgreSQL
 * (json_build_object / json_agg) and return it as one text value.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_config.h"
#include "apr_thread_cond.h"
#include "mod_concierge_db.h"
#include "mod_concierge_routes.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_config.h"
#include <libpq-fe.h>

/* The connection check (mc_db_healthy). */
static const mc_stmt stmts[] = {
    { "cc_ping", "SELECT 1" },
    { NULL, NULL }
};
MC_RESOURCE(db, NULL, stmts);

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close;

int mc_db_ready(void)
{
    if (!dbd_prepare || !dbd_acquire) {
        dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
        dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
        dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
        dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    }
    return dbd_prepare && dbd_acquire && dbd_open && dbd_close;
}

/* Called from post_config (before mod_dbd's) for every server. */
void mc_db_register(apr_pool_t *pconf, server_rec *s)
{
    int i;

    for (i = 0; i < mc_stmts_count(); i++) {
        dbd_prepare(s, mc_stmts_get(i)->sql, mc_stmts_get(i)->label);
    }
}

/* ---- an outage is logged, not echoed ------------------------------------ *
 *
 * A 10 s PostgreSQL outage under load once wrote 224,523 error-log lines:
 * every request asked mod_dbd for a connection (two lines per failed
 * connect) and logged its own refusal.  Now, per process:
 *   - after a request finds no connection, requests in the next
 *     MC_DB_REQ_GATE answer 503 without asking mod_dbd (one probe per
 *     gate interval still finds the database back);
 *   - each of our repeated errors is logged at most once per
 *     MC_LOG_INTERVAL, with the count of those not logged since. */
#define MC_DB_REQ_GATE  apr_time_from_msec(250)
#define MC_LOG_INTERVAL apr_time_from_sec(10)

int mc_lograte_ok(mc_lograte *lr, apr_uint32_t *dropped)
{
    apr_time_t now = apr_time_now();
    apr_time_t next = __atomic_load_n(&lr->next, __ATOMIC_ACQUIRE);

    if (now < next
        || !__atomic_compare_exchange_n(&lr->next, &next,
                                        now + MC_LOG_INTERVAL, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&lr->dropped, 1, __ATOMIC_RELAXED);
        return 0;
    }
    *dropped = __atomic_exchange_n(&lr->dropped, 0, __ATOMIC_ACQ_REL);
    return 1;
}

static apr_time_t req_gate_until;   /* atomic */

static int req_gated(void)
{
    return apr_time_now() < __atomic_load_n(&req_gate_until,
                                            __ATOMIC_ACQUIRE);
}

static void req_failed(request_rec *r, mc_lograte *lr, int gated)
{
    apr_uint32_t dropped = 0;

    if (!gated) {
        __atomic_store_n(&req_gate_until, apr_time_now() + MC_DB_REQ_GATE,
                         __ATOMIC_RELEASE);
    }
    mc_shm_db_health_set(0);
    apr_table_setn(r->notes, MC_NOTE_DB_FAILED, "1");
    if (mc_lograte_ok(lr, &dropped)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00201)
                      "database unavailable (%u more request%s refused "
                      "since the last such line, not logged)", dropped,
                      dropped == 1 ? "" : "s");
    }
}

static mc_lograte lr_acquire, lr_open, lr_stmt, lr_busy;

/* ---- a bounded wait for a pooled connection ------------------------------ *
 *
 * mod_dbd's pool (apr_reslist, no timeout) makes a request wait for a
 * free connection for as long as it takes: when slow statements held every
 * connection (a lock on bookings), every worker thread queued behind them
 * and even /api/health stopped answering.  Here each process counts the
 * connections it has out - requests' and background threads' - against
 * DBDMax (read from the configuration), and a request that finds none
 * free within MC_DB_ACQUIRE_WAIT is answered 503 instead.  (Background
 * threads wait without bound: they are few and always give theirs back.) */
#define MC_DB_ACQUIRE_WAIT apr_time_from_sec(5)

static apr_thread_mutex_t *slot_mu;
static apr_thread_cond_t  *slot_cv;
static int slot_max = 10;           /* mod_dbd's DEFAULT_NMAX */
static int slot_used;

/* DBDMax as configured (the smallest, if several servers set one). */
static void slot_max_from_config(const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "DBDMax") && d->args) {
            int n = (int)apr_strtoi64(d->args, NULL, 10);

            if (n > 0 && (slot_max == 10 || n < slot_max)) {
                slot_max = n;
            }
        }
        if (d->first_child) {
            slot_max_from_config(d->first_child);
        }
    }
}

/* 1 when a slot was taken; bounded only when r is given. */
static int slot_take(request_rec *r)
{
    apr_time_t until = apr_time_now() + MC_DB_ACQUIRE_WAIT;
    int ok = 1;

    if (!slot_mu) {
        return 1;
    }
    apr_thread_mutex_lock(slot_mu);
    while (slot_used >= slot_max) {
        apr_time_t left = until - apr_time_now();

        if (r && left <= 0) {
            ok = 0;
            break;
        }
        if (r) {
            apr_thread_cond_timedwait(slot_cv, slot_mu, left);
        }
        else {
            apr_thread_cond_wait(slot_cv, slot_mu);
        }
    }
    if (ok) {
        slot_used++;
    }
    apr_thread_mutex_unlock(slot_mu);
    if (!ok) {
        apr_uint32_t dropped = 0;

        apr_table_setn(r->notes, MC_NOTE_DB_FAILED, "1");
        if (mc_lograte_ok(&lr_busy, &dropped)) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00210)
                          "no database connection free within %d s (all %d "
                          "of DBDMax in use): answering 503 (%u more since "
                          "the last such line, not logged)",
                          (int)apr_time_sec(MC_DB_ACQUIRE_WAIT), slot_max,
                          dropped);
        }
    }
    return ok;
}

static void slot_give(void)
{
    if (slot_mu) {
        apr_thread_mutex_lock(slot_mu);
        slot_used--;
        apr_thread_cond_signal(slot_cv);
        apr_thread_mutex_unlock(slot_mu);
    }
}

static apr_status_t slot_give_cleanup(void *data)
{
    slot_give();
    return APR_SUCCESS;
}

ap_dbd_t *mc_db_acquire(request_rec *r)
{
    int gated = req_gated(), first;
    ap_dbd_t *dbd;

    if (gated) {
        req_failed(r, &lr_acquire, gated);
        return NULL;
    }
    /* The request keeps its connection until it ends (mod_dbd's cleanup
     * on r->pool gives it back); so does its slot. */
    first = !apr_table_get(r->notes, MC_NOTE_DB_HELD);
    if (first && !slot_take(r)) {
        return NULL;
    }
    dbd = dbd_acquire(r);
    if (dbd) {
        if (first) {
            apr_pool_cleanup_register(r->pool, NULL, slot_give_cleanup,
                                      apr_pool_cleanup_null);
        }
        apr_table_setn(r->notes, MC_NOTE_DB_HELD, "1");
    }
    else {
        if (first) {
            slot_give();
        }
        req_failed(r, &lr_acquire, gated);
    }
    return dbd;
}

ap_dbd_t *mc_db_open(request_rec *r)
{
    int gated = req_gated();
    ap_dbd_t *dbd = NULL;

    if (gated) {
        req_failed(r, &lr_open, gated);
        return NULL;
    }
    if (!slot_take(r)) {
        return NULL;
    }
    dbd = dbd_open(r->pool, r->server);
    if (!dbd) {
        slot_give();
        req_failed(r, &lr_open, gated);
    }
    return dbd;
}

void mc_db_close(request_rec *r, ap_dbd_t *dbd)
{
    if (dbd) {
        dbd_close(r->server, dbd);
        slot_give();
    }
}

#define DBX_LOG(x, lvl, ...) MC_DBX_LOG(x, lvl, __VA_ARGS__)

static apr_dbd_prepared_t *stmt(const mc_dbx *x, ap_dbd_t *dbd,
                                const char *label)
{
    apr_dbd_prepared_t *st = apr_hash_get(dbd->prepared, label,
                                          APR_HASH_KEY_STRING);

    if (!st) {
        DBX_LOG(x, APLOG_ERR, CCLOGNO(00202) "prepared statement %s missing",
                label);
    }
    return st;
}

static void log_db_error(const mc_dbx *x, ap_dbd_t *dbd, const char *label,
                         int rv)
{
    const char *msg = apr_dbd_error(dbd->driver, dbd->handle, rv);

    apr_uint32_t dropped = 0;

    /* The driver's message can quote values (PHI): only at DEBUG. */
    if (mc_lograte_ok(&lr_stmt, &dropped)) {
        DBX_LOG(x, APLOG_ERR, CCLOGNO(00203) "statement %s failed (%d; %u "
                "more failed statement%s since the last such line, not "
                "logged)", label, rv, dropped, dropped == 1 ? "" : "s");
    }
    if (x->r ? APLOGrdebug(x->r) : APLOGdebug(x->s)) {
        DBX_LOG(x, APLOG_DEBUG, CCLOGNO(00204) "statement %s: %s", label,
                msg ? msg : "");
    }
}

static int prepare_all(const mc_dbx *x, ap_dbd_t *dbd)
{
    int i;

    for (i = 0; i < mc_stmts_count(); i++) {
        const mc_stmt *m = mc_stmts_get(i);
        apr_dbd_prepared_t *st = NULL;

        if (apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle,
                            m->sql, m->label, &st) != 0) {
            DBX_LOG(x, APLOG_ERR, CCLOGNO(00205) "re-preparing %s failed",
                    m->label);
            return 0;
        }
        apr_hash_set(dbd->prepared, m->label, APR_HASH_KEY_STRING, st);
    }
    return 1;
}

/* A statement failed: can this connection be repaired so that the
 * statement is worth one more try?  Two cases, both after PostgreSQL
 * restarted under a pooled connection:
 *   - the connection is dead: reconnect it (PQreset through
 *     apr_dbd_check_conn) and prepare every statement again;
 *   - apr_dbd_pgsql already reconnected it in place, and the new session
 *     has no prepared statements ("prepared statement ... does not exist").
 * Never inside a transaction: its earlier statements are gone too. */
static int recover(const mc_dbx *x, ap_dbd_t *dbd, int rv)
{
    PGconn *pc = apr_dbd_native_handle(dbd->driver, dbd->handle);
    const char *msg;

    if (!pc || PQtransactionStatus(pc) == PQTRANS_INTRANS
        || PQtransactionStatus(pc) == PQTRANS_INERROR) {
        return 0;
    }
    if (PQstatus(pc) == CONNECTION_BAD) {
        if (apr_dbd_check_conn(dbd->driver, x->p, dbd->handle)
            != APR_SUCCESS) {
            return 0;
        }
    }
    else {
        msg = apr_dbd_error(dbd->driver, dbd->handle, rv);
        if (!msg || !strstr(msg, "prepared statement")
            || !strstr(msg, "does not exist")) {
            return 0;
        }
    }
    if (!prepare_all(x, dbd)) {
        return 0;
    }
    DBX_LOG(x, APLOG_WARNING, CCLOGNO(00206) "database session was reset: "
            "statements prepared again");
    return 1;
}

apr_status_t mc_db_select_x(const mc_dbx *x, ap_dbd_t *dbd,
                            const char *label, apr_dbd_results_t **res,
                            int nargs, const char **args)
{
    apr_dbd_prepared_t *st = stmt(x, dbd, label);
    int rv;

    *res = NULL;
    if (!st) {
        return APR_EGENERAL;
    }
    rv = apr_dbd_pselect(dbd->driver, x->p, dbd->handle, res, st, 1,
                         nargs, args);
    if (rv != 0 && recover(x, dbd, rv)) {
        st = stmt(x, dbd, label);
        rv = apr_dbd_pselect(dbd->driver, x->p, dbd->handle, res, st, 1,
                             nargs, args);
    }
    if (rv != 0) {
        log_db_error(x, dbd, label, rv);
        if (x->r) {
            apr_table_setn(x->r->notes, MC_NOTE_DB_FAILED, "1");
        }
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t mc_db_select(request_rec *r, ap_dbd_t *dbd, const char *label,
                          apr_dbd_results_t **res, int nargs,
                          const char **args)
{
    mc_dbx x = { r, r->server, r->pool };

    return mc_db_select_x(&x, dbd, label, res, nargs, args);
}

/* A request that holds a pooled connection already uses it (see
 * MC_NOTE_DB_HELD); close is then a no-op. */
ap_dbd_t *mc_db_open_x(const mc_dbx *x)
{
    if (x->r && apr_table_get(x->r->notes, MC_NOTE_DB_HELD)) {
        return mc_db_acquire(x->r);
    }
    return x->r ? mc_db_open(x->r) : mc_db_open_s(x->s, x->p);
}

void mc_db_close_x(const mc_dbx *x, ap_dbd_t *dbd)
{
    if (x->r && apr_table_get(x->r->notes, MC_NOTE_DB_HELD)) {
        return;
    }
    mc_db_close_s(x->s, dbd);
}

static apr_status_t query(const mc_dbx *x, ap_dbd_t *dbd, const char *label,
                          int *nrows, int nargs, const char **args)
{
    apr_dbd_prepared_t *st = stmt(x, dbd, label);
    int n = 0, rv;

    if (!st) {
        return APR_EGENERAL;
    }
    rv = apr_dbd_pquery(dbd->driver, x->p, dbd->handle, &n, st, nargs, args);
    if (rv != 0 && recover(x, dbd, rv)) {
        st = stmt(x, dbd, label);
        rv = apr_dbd_pquery(dbd->driver, x->p, dbd->handle, &n, st, nargs,
                            args);
    }
    if (rv != 0) {
        log_db_error(x, dbd, label, rv);
        return APR_EGENERAL;
    }
    if (nrows) {
        *nrows = n;
    }
    return APR_SUCCESS;
}

apr_status_t mc_db_query(request_rec *r, ap_dbd_t *dbd, const char *label,
                         int *nrows, int nargs, const char **args)
{
    mc_dbx x = { r, r->server, r->pool };

    return query(&x, dbd, label, nrows, nargs, args);
}

/* Background threads (the warm-up, outbox, sweep and chat-log threads of
 * every process) back off together while the database cannot be
 * reached: 1, 2, 4, then every 5 s, instead of each asking mod_dbd (which
 * logs two lines per failed connection) several times a second.
 * Requests are not held back: they try every time. */
#define MC_DB_BG_BACKOFF_MAX apr_time_from_sec(5)
static apr_thread_mutex_t *bg_mu;
static apr_time_t bg_retry_at;
static int bg_fails;

void mc_db_child_init(apr_pool_t *p)
{
    apr_thread_mutex_create(&bg_mu, APR_THREAD_MUTEX_DEFAULT, p);
    slot_max_from_config(ap_conftree);
    if (apr_thread_mutex_create(&slot_mu, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || apr_thread_cond_create(&slot_cv, p) != APR_SUCCESS) {
        slot_mu = NULL;         /* unbounded, as mod_dbd alone */
    }
    slot_used = 0;
}

ap_dbd_t *mc_db_open_s(server_rec *s, apr_pool_t *p)
{
    apr_time_t now = apr_time_now(), wait;
    ap_dbd_t *dbd;

    if (bg_mu) {
        apr_thread_mutex_lock(bg_mu);
        wait = bg_retry_at - now;
        apr_thread_mutex_unlock(bg_mu);
        if (wait > 0) {
            return NULL;
        }
    }
    slot_take(NULL);
    dbd = dbd_open(p, s);
    if (!dbd) {
        slot_give();
    }
    if (bg_mu) {
        apr_thread_mutex_lock(bg_mu);
        if (dbd) {
            if (bg_fails > 0) {
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, CCLOGNO(00209)
                             "database reachable again from background "
                             "work");
            }
            bg_fails = 0;
            bg_retry_at = 0;
        }
        else {
            wait = apr_time_from_sec(1) << (bg_fails < 3 ? bg_fails : 3);
            wait = wait < MC_DB_BG_BACKOFF_MAX ? wait : MC_DB_BG_BACKOFF_MAX;
            if (bg_fails++ == 0) {
                mc_shm_db_health_set(0);
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(00208)
                             "database unavailable to background work; "
                             "retrying every few seconds");
            }
            bg_retry_at = now + wait;
        }
        apr_thread_mutex_unlock(bg_mu);
    }
    return dbd;
}

void mc_db_close_s(server_rec *s, ap_dbd_t *dbd)
{
    if (dbd) {
        dbd_close(s, dbd);
        slot_give();
    }
}

apr_status_t mc_db_query_s(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                           const char *label, int *nrows, int nargs,
                           const char **args)
{
    mc_dbx x = { NULL, s, p };

    return query(&x, dbd, label, nrows, nargs, args);
}

const char *mc_db_value(request_rec *r, ap_dbd_t *dbd, apr_dbd_results_t *res,
                        int col)
{
    apr_dbd_row_t *row = NULL;

    if (!res || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return NULL;
    }
    return apr_dbd_get_entry(dbd->driver, row, col);
}

apr_status_t mc_db_begin(request_rec *r, ap_dbd_t *dbd,
                         apr_dbd_transaction_t **tx)
{
    int rv = apr_dbd_transaction_start(dbd->driver, r->pool, dbd->handle, tx);
    mc_dbx x = { r, r->server, r->pool };

    if (rv != 0) {
        log_db_error(&x, dbd, "BEGIN", rv);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t mc_db_end(request_rec *r, ap_dbd_t *dbd,
                       apr_dbd_transaction_t *tx, int rollback)
{
    mc_dbx x = { r, r->server, r->pool };
    int rv;

    if (rollback) {
        apr_dbd_transaction_mode_set(dbd->driver, tx,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    rv = apr_dbd_transaction_end(dbd->driver, r->pool, tx);
    if (rv != 0) {
        log_db_error(&x, dbd, "COMMIT", rv);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

int mc_db_healthy(request_rec *r, int force, int *cached)
{
    apr_int64_t max_age = mc_config_geti(r->server, MC_CONF_HEALTH_CACHE_MS);
    apr_dbd_results_t *res;
    ap_dbd_t *dbd;
    int ok;

    ok = force ? -1 : mc_shm_db_health_get(max_age * 1000);
    if (ok >= 0) {
        *cached = 1;
        return ok;
    }
    *cached = 0;
    dbd = dbd_acquire(r);
    ok = dbd && mc_db_select(r, dbd, "cc_ping", &res, 0, NULL) == APR_SUCCESS
         && mc_db_value(r, dbd, res, 0) != NULL;
    mc_shm_db_health_set(ok);
    return ok;
}

const char *mc_db_text(request_rec *r, const char *label, int nargs,
                       const char **args, int *dbfail)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;

    *dbfail = 1;
    if (!dbd || mc_db_select(r, dbd, label, &res, nargs, args)
                != APR_SUCCESS) {
        return NULL;
    }
    *dbfail = 0;
    return mc_db_value(r, dbd, res, 0);
}

const char *mc_db_text_brief(request_rec *r, const char *label, int nargs,
                             const char **args, int *dbfail)
{
    ap_dbd_t *dbd;
    apr_dbd_results_t *res;
    const char *v;

    if (apr_table_get(r->notes, MC_NOTE_DB_HELD)) {
        return mc_db_text(r, label, nargs, args, dbfail);
    }
    *dbfail = 1;
    if (!(dbd = mc_db_open(r))) {
        return NULL;
    }
    if (mc_db_select(r, dbd, label, &res, nargs, args) != APR_SUCCESS) {
        mc_db_close(r, dbd);
        return NULL;
    }
    *dbfail = 0;
    v = mc_db_value(r, dbd, res, 0);
    v = v ? apr_pstrdup(r->pool, v) : NULL;
    mc_db_close(r, dbd);
    return v;
}

apr_array_header_t *mc_db_rows_s(server_rec *s, apr_pool_t *p,
                                 const char *label, int ncols)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_dbd_prepared_t *st;
    apr_array_header_t *rows;
    ap_dbd_t *dbd = mc_db_open_s(s, p);
    int i;

    if (!dbd) {
        return NULL;
    }
    st = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
    if (!st || apr_dbd_pselect(dbd->driver, p, dbd->handle, &res, st, 1, 0,
                               NULL) != 0) {
        mc_db_close_s(s, dbd);
        return NULL;
    }
    rows = apr_array_make(p, 10, sizeof(const char **));
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char **f = apr_palloc(p, (apr_size_t)ncols * sizeof(char *));

        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(dbd->driver, row, i);

            f[i] = apr_pstrdup(p, v ? v : "");
        }
        APR_ARRAY_PUSH(rows, const char **) = f;
    }
    mc_db_close_s(s, dbd);
    return rows;
}
