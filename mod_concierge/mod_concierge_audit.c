/*
 * mod_concierge_audit.c - appending to the hash-chained audit log.
 *
 * Within the caller's transaction: take the chain lock
 * (pg_advisory_xact_lock, released at commit or rollback), read the last
 * entry, hash the new one with cc_audit (core), insert.  Concurrent writers
 * on any host queue on the lock, so the chain never forks; if the action's
 * transaction rolls back, its audit entry goes with it.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "cc_audit.h"

apr_status_t mc_audit_append(request_rec *r, ap_dbd_t *dbd, const char *actor,
                             const char *action, const char *target,
                             const char *detail)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    cc_audit_entry_t e;
    const char *prev = CC_AUDIT_GENESIS;
    char hash[CC_AUDIT_HASH_HEX];
    const char *args[9];
    apr_int64_t last = 0;

    if (mc_db_select(r, dbd, "cc_audit_lock", &res, 0, NULL) != APR_SUCCESS
        || mc_db_select(r, dbd, "cc_audit_last", &res, 0, NULL)
           != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) == 0) {
        const char *seq = apr_dbd_get_entry(dbd->driver, row, 0);
        const char *h = apr_dbd_get_entry(dbd->driver, row, 1);

        last = seq ? apr_strtoi64(seq, NULL, 10) : 0;
        prev = h ? h : CC_AUDIT_GENESIS;
    }
    memset(&e, 0, sizeof(e));
    e.seq = last + 1;
    e.created_us = (int64_t)apr_time_now();
    e.actor = actor ? actor : "system";
    e.action = action;
    e.target = target ? target : "";
    e.request_id = mc_request_id(r);
    e.detail = detail ? detail : "{}";
    if (cc_audit_hash(hash, prev, &e, r->pool) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00401)
                      "audit hash failed");
        return APR_EGENERAL;
    }
    args[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)e.seq);
    args[1] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                           (apr_int64_t)e.created_us);
    args[2] = e.actor;
    args[3] = e.action;
    args[4] = e.target;
    args[5] = e.request_id;
    args[6] = e.detail;
    args[7] = prev;
    args[8] = hash;
    return mc_db_query(r, dbd, "cc_audit_insert", NULL, 9, args);
}

apr_status_t mc_audit_append_tx(request_rec *r, const char *actor,
                                const char *action, const char *target,
                                const char *detail)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_transaction_t *tx = NULL;
    apr_status_t rv;

    if (!dbd || mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    rv = mc_audit_append(r, dbd, actor, action, target, detail);
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS) != APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    return rv;
}

/* Move staged entries (audit_pending, sql/006; written by the booking
 * functions in their own transactions) into the chain; best effort (the
 * sweeper of every process retries a few times a second). */
void mc_audit_seal(request_rec *r, ap_dbd_t *dbd)
{
    const char *args[2] = { "100000", "true" };
    apr_dbd_results_t *res;

    mc_db_select(r, dbd, "cc_audit_seal", &res, 2, args);
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_audit_lock", "SELECT pg_advisory_xact_lock(7302100001)" },
    { "cc_audit_last",
      "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1" },
    { "cc_audit_insert",
      "INSERT INTO audit_log (seq, created_us, actor, action, target, "
      "request_id, detail, prev_hash, hash) "
      "VALUES (%lld, %lld, %s, %s, %s, %s, %s, %s, %s)" },
    { "cc_audit_seal", "SELECT concierge_audit_seal(%d, %s::boolean)" },
    { NULL, NULL }
};
MC_RESOURCE(audit, NULL, stmts);
