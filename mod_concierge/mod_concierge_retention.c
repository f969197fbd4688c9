/*
 * mod_concierge_retention.c - chat logs are not kept for ever: with
 * ConciergeRetentionDays set, every child runs one bounded step of
 * concierge_chat_retention() (sql/functions/retention.sql) every
 * MC_RETENTION_TICK.  A step takes at most MC_RETENTION_BATCH
 * conversations whose last message is older than that many days and
 * deletes them with their messages, or, where an escalation refers to
 * one, empties it of patient text; conversations with an unresolved
 * escalation wait until it is resolved.
 *
 * Every child of every host may run it at once: the rows are claimed with
 * SKIP LOCKED and a processed conversation no longer qualifies, so steps
 * never do the same work twice.  A backlog (retention switched on over
 * years of logs) drains MC_RETENTION_BATCH conversations per tick and
 * child, and the next step follows at once while a step was full.  A step
 * that changed something stages one audit entry with the counts in its own
 * transaction (the chain holds no message text, so it stays whole).
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_ticker.h"
#include "mod_concierge_retention.h"
#include "cc_json.h"

#define MC_RETENTION_TICK   apr_time_from_sec(10)
#define MC_RETENTION_BATCH  200
#define MC_RETENTION_STEPS  10      /* full steps in a row, at most */

/* One step; how many conversations it took, or -1 when the database
 * could not be asked. */
static int step(apr_pool_t *p, server_rec *s, ap_dbd_t *dbd, const char *days)
{
    mc_dbx x = { NULL, s, p };
    const char *args[2] = { days, APR_STRINGIFY(MC_RETENTION_BATCH) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    json_t *out;
    json_int_t del, emp, msgs;

    if (mc_db_select_x(&x, dbd, "cc_chat_retention", &res, 2, args)
        != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, p, res, &row, -1) != 0
        || !(v = apr_dbd_get_entry(dbd->driver, row, 0))) {
        return -1;
    }
    out = cc_json_pool_own(p, json_loads(v, 0, NULL));
    del = json_integer_value(json_object_get(out, "deleted"));
    emp = json_integer_value(json_object_get(out, "emptied"));
    msgs = json_integer_value(json_object_get(out, "messages"));
    if (del + emp > 0) {
        /* Counts only: no id that could be joined to a patient. */
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01701)
                     "chat retention (%s days): %" JSON_INTEGER_FORMAT
                     " conversations deleted, %" JSON_INTEGER_FORMAT
                     " emptied, %" JSON_INTEGER_FORMAT " messages", days,
                     del, emp, msgs);
    }
    return (int)(del + emp);
}

static void tick(apr_pool_t *p, server_rec *s, void *baton)
{
    const char *days = baton;
    ap_dbd_t *dbd = mc_db_open_s(s, p);
    int i, n = MC_RETENTION_BATCH;

    if (!dbd) {
        return;                 /* the database layer logs and backs off */
    }
    for (i = 0; i < MC_RETENTION_STEPS && n >= MC_RETENTION_BATCH; i++) {
        n = step(p, s, dbd, days);
    }
    mc_db_close_s(s, dbd);
}

void mc_retention_child_init(apr_pool_t *p, server_rec *s)
{
    apr_int64_t days = mc_config_geti(s, MC_CONF_RETENTION_DAYS);

    if (days <= 0) {
        return;                 /* Off: chat logs are kept */
    }
    mc_ticker_start(p, s, "concierge-retention", MC_RETENTION_TICK, tick,
                    apr_psprintf(p, "%" APR_INT64_T_FMT, days));
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_chat_retention",
      "SELECT concierge_chat_retention(%d, %d)::text" },
    { NULL, NULL }
};
MC_RESOURCE(retention, NULL, stmts);
