/*
 * api/audit.c - GET /api/admin/audit (paged, newest first)
 * and GET /api/admin/audit/verify (walks the whole chain).
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "util_script.h"
#include "cc_json.h"
#include "cc_audit.h"

/* Entries per read of the verify: one batch's rows are all it holds. */
#define MC_AUDIT_VERIFY_BATCH 1000

static int mc_api_admin_audit(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t before, limit;
    apr_table_t *args = NULL;
    const char *action, *argv[4], *rows, *min;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;

    if (mc_arg_int(c, "before", APR_INT64_MAX, 1, APR_INT64_MAX, &before)
        != APR_SUCCESS
        || mc_arg_int(c, "limit", 50, 1, 500, &limit) != APR_SUCCESS) {
        return OK;
    }
    ap_args_to_table(r, &args);
    action = args ? apr_table_get(args, "action") : NULL;
    if (action && (strlen(action) > 64 || !cc_utf8_valid(action, strlen(action)))) {
        return mc_error(c, 400, "invalid_parameter",
                        "query parameter 'action' is too long or not UTF-8");
    }
    dbd = mc_api_db(c);
    if (!dbd) {
        return OK;
    }
    /* Staged entries (bookings) join the chain before anyone reads it. */
    mc_audit_seal(r, dbd);
    argv[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, before);
    argv[1] = action ? action : "";
    argv[2] = argv[1];
    argv[3] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, limit);
    if (mc_db_select(r, dbd, "cc_audit_page", &res, 4, argv) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error_db(c);
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    min = apr_dbd_get_entry(dbd->driver, row, 1);
    return mc_reply_page(c, "entries", rows, min, limit);
}

static int mc_api_admin_audit_verify(mc_ctx *c)
{
    request_rec *r = c->r;
    cc_audit_verifier_t v;
    ap_dbd_t *dbd = mc_api_db(c);
    apr_int64_t after = 0;
    apr_pool_t *scratch;
    mc_dbx x = { r, r->server, NULL };
    json_t *o;

    if (!dbd) {
        return OK;
    }
    mc_audit_seal(r, dbd);
    cc_audit_verify_init(&v);
    apr_pool_create(&scratch, r->pool);
    apr_pool_tag(scratch, "concierge-audit-verify");
    /* Bounded memory for any chain length: a batch at a time (keyset,
     * seq > the last one seen); only the verifier's running hash carries
     * over.  apr_dbd_pgsql frees a batch's PGresult when its rows are read
     * to the end; the result, rows and arguments are read into scratch,
     * cleared before the next batch, so nothing at all is left in r->pool
     * per batch (before, a small result struct was). */
    x.p = scratch;
    for (;;) {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;
        const char *argv[2];
        int n = 0;

        argv[0] = apr_psprintf(scratch, "%" APR_INT64_T_FMT, after);
        argv[1] = apr_psprintf(scratch, "%d", MC_AUDIT_VERIFY_BATCH);
        if (mc_db_select_x(&x, dbd, "cc_audit_batch", &res, 2, argv)
            != APR_SUCCESS) {
            return mc_error_db(c);
        }
        while (apr_dbd_get_row(dbd->driver, scratch, res, &row, -1) == 0) {
            cc_audit_entry_t e;
            const char *s;

            s = apr_dbd_get_entry(dbd->driver, row, 0);
            e.seq = s ? apr_strtoi64(s, NULL, 10) : 0;
            s = apr_dbd_get_entry(dbd->driver, row, 1);
            e.created_us = s ? apr_strtoi64(s, NULL, 10) : 0;
            e.actor = apr_dbd_get_entry(dbd->driver, row, 2);
            e.action = apr_dbd_get_entry(dbd->driver, row, 3);
            e.target = apr_dbd_get_entry(dbd->driver, row, 4);
            e.request_id = apr_dbd_get_entry(dbd->driver, row, 5);
            e.detail = apr_dbd_get_entry(dbd->driver, row, 6);
            cc_audit_verify_step(&v, &e, apr_dbd_get_entry(dbd->driver, row, 7),
                                 apr_dbd_get_entry(dbd->driver, row, 8),
                                 scratch);
            after = e.seq;
            n++;
        }
        if (n < MC_AUDIT_VERIFY_BATCH || v.first_bad_seq) {
            break;
        }
        apr_pool_clear(scratch);
    }
    if (v.first_bad_seq) {
        o = json_pack("{s:b, s:I, s:I, s:s}", "ok", 0,
                      "checked", (json_int_t)v.checked,
                      "first_broken_seq", (json_int_t)v.first_bad_seq,
                      "reason", v.reason ? v.reason : "broken");
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00501)
                      "audit chain broken at seq %" APR_INT64_T_FMT " (%s)",
                      (apr_int64_t)v.first_bad_seq, v.reason);
    }
    else {
        o = json_pack("{s:b, s:I, s:n, s:n}", "ok", 1,
                      "checked", (json_int_t)v.checked,
                      "first_broken_seq", "reason");
    }
    return mc_reply(c, 200, o);
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/audit", mc_api_admin_audit, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "The audit log, newest first, a page at a time",
      NULL, MC_SHAPE("audit_page") },
    { "GET", "/api/admin/audit/verify", mc_api_admin_audit_verify,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Check the audit log's hash chain end to end",
      NULL, MC_SHAPE("audit_verify") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_audit_page",
      "SELECT coalesce(json_agg(json_build_object("
      "'seq', seq, 'at', to_char(to_timestamp(created_us / 1000000.0) "
      "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "'actor', actor, 'action', action, 'target', target, "
      "'request_id', request_id, 'detail', detail::json, 'hash', hash) "
      "ORDER BY seq DESC), '[]')::text, min(seq) "
      "FROM (SELECT * FROM audit_log WHERE seq < %lld "
      "AND (%s = '' OR action = %s) ORDER BY seq DESC LIMIT %d) t" },
    { "cc_audit_batch",
      "SELECT seq, created_us, actor, action, target, request_id, detail, "
      "prev_hash, hash FROM audit_log WHERE seq > %lld ORDER BY seq "
      "LIMIT %d" },
    { NULL, NULL }
};
MC_RESOURCE(audit_log, routes, stmts);
