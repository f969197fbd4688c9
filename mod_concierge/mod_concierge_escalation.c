/*
 * mod_concierge_escalation.c - escalations: created with the risky message
 * in one transaction, patient messages while one is open, and the SLA
 * figures (the staff queue's routes: api/escalations.c).
 *
 * While a conversation has an unresolved escalation the bot is silent in
 * it: patient messages are stored for staff and acknowledged, never
 * answered by the bot.  Resolving the last one gives the conversation back
 * to the bot.  Every staff action is audited; notifications go through the
 * outbox (mod_concierge_notify.c) in the same transaction, so an
 * escalation is never recorded without them, nor they without it.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_safety.h"
#include "mod_concierge_escalation.h"
#include "cc_json.h"

/* '{a,b}' - category names are fixed identifiers, safe in an array
 * literal; anything else is refused. */
static const char *pg_text_array(apr_pool_t *p, json_t *cats)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    size_t i;
    json_t *v;

    json_array_foreach(cats, i, v) {
        const char *s = json_string_value(v), *q;

        for (q = s; q && *q; q++) {
            if (!((*q >= 'a' && *q <= 'z') || *q == '_')) {
                return NULL;
            }
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p, i ? "," : "",
                                                          s, NULL);
    }
    return apr_pstrcat(p, "{", apr_array_pstrcat(p, parts, 0), "}", NULL);
}

/* '{webhook,email}': the channels configured to alert staff. */
const char *mc_escalation_channels(server_rec *s, apr_pool_t *p)
{
    int hook = mc_config_gets(s, MC_CONFS_NOTIFY_WEBHOOK) != NULL;
    int mail = mc_config_gets(s, MC_CONFS_NOTIFY_SMTP)
               && mc_config_gets(s, MC_CONFS_NOTIFY_TO);

    return apr_pstrcat(p, "{", hook ? "webhook" : "",
                       hook && mail ? "," : "", mail ? "email" : "", "}",
                       NULL);
}

/* One statement, one transaction (concierge_escalation_create,
 * sql/functions/escalation.sql): conversation, both messages, the
 * escalation, its outbox rows, its staged audit entry and its event.  It
 * takes no chain lock, so escalations arriving together commit together
 * rather than one WAL flush after another. */
apr_status_t mc_escalation_create(request_rec *r, const char *session_hash,
                                  const char *message, const char *reply,
                                  const mc_screen *scr, const char *source,
                                  const char *client_id,
                                  apr_int64_t *escalation_id)
{
    const char *staff = mc_config_gets(r->server, MC_CONFS_STAFF_URL);
    const char *args[11], *v, *cats;
    apr_dbd_results_t *res;
    ap_dbd_t *dbd;
    json_t *ids;
    apr_int64_t esc;

    cats = pg_text_array(r->pool, scr->categories);
    if (!cats || !(dbd = mc_db_acquire(r))) {
        return APR_EGENERAL;
    }
    args[0] = session_hash;
    args[1] = scr->emergency ? "true" : "false";
    args[2] = message;
    args[3] = reply;
    args[4] = mc_request_id(r);
    args[5] = cats;
    args[6] = cc_json_dump(r->pool, scr->matches, NULL);
    args[7] = source;
    args[8] = mc_escalation_channels(r->server, r->pool);
    args[9] = staff ? staff : "";
    args[10] = client_id ? client_id : "";
    if (mc_db_select(r, dbd, "cc_esc_create", &res, 11, args) != APR_SUCCESS
        || !(v = mc_db_value(r, dbd, res, 0))) {
        return APR_EGENERAL;
    }
    ids = cc_json_pool_own(r->pool, json_loads(v, 0, NULL));
    esc = (apr_int64_t)json_integer_value(json_object_get(ids,
                                                          "escalation_id"));
    if (esc <= 0) {
        return APR_EGENERAL;
    }
    *escalation_id = esc;
    ap_log_rerror(APLOG_MARK, scr->emergency ? APLOG_WARNING : APLOG_INFO, 0,
                  r, CCLOGNO(01101) "escalation %" APR_INT64_T_FMT
                  " created (%s)", esc, scr->emergency ? "emergency"
                                                       : "risk");
    return APR_SUCCESS;
}

apr_int64_t mc_escalation_open_for(request_rec *r, const char *session_hash)
{
    ap_dbd_t *dbd = mc_db_open(r);
    apr_dbd_results_t *res;
    const char *args[1] = { session_hash }, *v = NULL;
    apr_int64_t id = 0;

    if (!dbd) {
        return 0;
    }
    if (mc_db_select(r, dbd, "cc_esc_open_for", &res, 1, args)
        == APR_SUCCESS && (v = mc_db_value(r, dbd, res, 0))) {
        id = apr_strtoi64(v, NULL, 10);
    }
    mc_db_close(r, dbd);
    return id;
}

apr_status_t mc_escalation_add_patient_message(request_rec *r,
                                               const char *session_hash,
                                               const char *message,
                                               apr_int64_t escalation_id,
                                               const mc_screen *scr,
                                               const char *client_id)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    const char *args[8], *v;

    if (!dbd || mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    /* A further risk in a conversation staff already have: one
     * escalation, its categories and matches extended (no new alert). */
    if (scr && scr->risky) {
        const char *cats = pg_text_array(r->pool, scr->categories);

        args[0] = cats ? cats : "{}";
        args[1] = cc_json_dump(r->pool, scr->matches, NULL);
        args[2] = MC_I64(r->pool, escalation_id);
        if (mc_db_query(r, dbd, "cc_esc_merge", NULL, 3, args)
            != APR_SUCCESS) {
            mc_db_end(r, dbd, tx, 1);
            return APR_EGENERAL;
        }
    }
    args[0] = "1";
    args[1] = session_hash;
    if (mc_db_select(r, dbd, "cc_conv_add_msgs", &res, 2, args) != APR_SUCCESS
        || !(v = mc_db_value(r, dbd, res, 0))) {
        mc_db_end(r, dbd, tx, 1);
        return APR_EGENERAL;
    }
    args[0] = v;
    args[1] = "patient";
    args[2] = message;
    args[3] = "";
    args[4] = "";
    args[5] = mc_request_id(r);
    args[6] = "";
    args[7] = client_id ? client_id : "";
    if (mc_db_select(r, dbd, "cc_msg_insert", &res, 8, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return APR_EGENERAL;
    }
    return mc_db_end(r, dbd, tx, 0);
}

/* For /api/admin/metrics: open, emergency and overdue escalations. */
char *mc_escalation_metrics(request_rec *r)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *args[1];

    if (!dbd) {
        return "";
    }
    args[0] = MC_I64(r->pool, mc_config_geti(r->server,
                                          MC_CONF_ESCALATION_SLA_MIN));
    if (mc_db_select(r, dbd, "cc_esc_stats", &res, 1, args) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return "";
    }
    return apr_psprintf(r->pool,
        "# HELP concierge_escalations_open Unresolved escalations.\n"
        "# TYPE concierge_escalations_open gauge\n"
        "concierge_escalations_open %s\n"
        "# HELP concierge_escalations_emergency_open Unresolved emergencies.\n"
        "# TYPE concierge_escalations_emergency_open gauge\n"
        "concierge_escalations_emergency_open %s\n"
        "# HELP concierge_escalations_overdue Unresolved escalations older "
        "than ConciergeEscalationSLA.\n"
        "# TYPE concierge_escalations_overdue gauge\n"
        "concierge_escalations_overdue %s\n",
        apr_dbd_get_entry(dbd->driver, row, 0),
        apr_dbd_get_entry(dbd->driver, row, 1),
        apr_dbd_get_entry(dbd->driver, row, 2));
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_esc_create",
      "SELECT concierge_escalation_create(%s, %s::boolean, %s, %s, %s, "
      "%s::text[], %s::jsonb, %s, %s::text[], %s, nullif(%s, '')::uuid)" },
    { "cc_msg_insert",
      "INSERT INTO messages (conversation_id, role, body, status, mode, "
      "request_id, author, client_id) VALUES (%lld, %s, %s, nullif(%s, ''), "
      "nullif(%s, ''), %s, nullif(%s, ''), nullif(%s, '')::uuid) "
      "RETURNING id" },
    { "cc_esc_open_for",
      "SELECT e.id FROM escalations e JOIN conversations c ON c.id = "
      "e.conversation_id WHERE c.session_hash = %s AND e.status <> "
      "'resolved' ORDER BY e.id LIMIT 1" },
    { "cc_conv_add_msgs",
      "UPDATE conversations SET messages = messages + %d, last_message_at = "
      "now() WHERE session_hash = %s RETURNING id" },
    { "cc_conv_add_msgs_id",
      "UPDATE conversations SET messages = messages + %d, last_message_at = "
      "now() WHERE id = %lld" },
    { "cc_esc_merge",
      "UPDATE escalations SET categories = ARRAY(SELECT DISTINCT unnest("
      "categories || %s::text[]) ORDER BY 1), matches = matches || "
      "%s::jsonb WHERE id = %lld" },
    { "cc_esc_stats",
      "SELECT count(*), count(*) FILTER (WHERE priority = 1), count(*) "
      "FILTER (WHERE created_at < now() - make_interval(mins => %d)) "
      "FROM escalations WHERE status <> 'resolved'" },
    { NULL, NULL }
};
MC_RESOURCE(escalation, NULL, stmts);
