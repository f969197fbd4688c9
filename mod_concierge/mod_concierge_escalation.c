/*
 * mod_concierge_escalation.c - escalations: created with the risky message
 * in one transaction, the staff queue (list, claim, reply, reassign,
 * resolve), and the SLA.
 *
 * While a conversation has an unresolved escalation the bot is silent in
 * it: patient messages are stored for staff and acknowledged, never
 * answered by the bot.  Resolving the last one gives the conversation back
 * to the bot.  Every staff action is audited; notifications go through the
 * outbox (mod_concierge_notify.c) in the same transaction, so an
 * escalation is never recorded without them, nor they without it.
 */
#include "apr_strings.h"
#include "mod_concierge.h"
#include "util_script.h"
#include "cc_json.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

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

static apr_status_t queue_notifications(request_rec *r, ap_dbd_t *dbd,
                                        apr_int64_t esc, const char *created,
                                        const mc_screen *scr,
                                        apr_int64_t conv)
{
    const char *staff = mc_config_gets(r->server, MC_CONFS_STAFF_URL);
    json_t *payload;
    const char *args[4], *text;
    apr_status_t rv = APR_SUCCESS;

    /* Ids, categories and priority only: never the patient's words. */
    payload = cc_json_pool_own(r->pool, json_pack(
        "{s:s, s:I, s:I, s:i, s:b, s:O, s:s}",
        "event", "escalation.created", "escalation_id", (json_int_t)esc,
        "conversation_id", (json_int_t)conv, "priority",
        scr->emergency ? 1 : 2, "emergency", scr->emergency,
        "categories", scr->categories, "created_at", created));
    if (staff) {
        json_object_set_new(payload, "link", json_string(apr_psprintf(
            r->pool, "%s/api/admin/escalations/%" APR_INT64_T_FMT, staff,
            esc)));
    }
    text = cc_json_dump(r->pool, payload, NULL);
    args[0] = I64(r->pool, esc);
    args[2] = "escalation.created";
    args[3] = text;
    if (mc_config_gets(r->server, MC_CONFS_NOTIFY_WEBHOOK)) {
        args[1] = "webhook";
        rv = mc_db_query(r, dbd, "cc_outbox_add", NULL, 4, args);
    }
    if (rv == APR_SUCCESS && mc_config_gets(r->server, MC_CONFS_NOTIFY_SMTP)
        && mc_config_gets(r->server, MC_CONFS_NOTIFY_TO)) {
        args[1] = "email";
        rv = mc_db_query(r, dbd, "cc_outbox_add", NULL, 4, args);
    }
    return rv;
}

apr_status_t mc_escalation_create(request_rec *r, const char *session_hash,
                                  const char *message, const char *reply,
                                  const mc_screen *scr, const char *source,
                                  apr_int64_t *escalation_id)
{
    const char *status = scr->emergency ? "emergency" : "escalated";
    const char *rid = mc_request_id(r), *args[7], *v, *cats, *created;
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_int64_t conv, msg, esc = 0;
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_status_t rv;
    json_t *detail;

    cats = pg_text_array(r->pool, scr->categories);
    if (!dbd || !cats || mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    args[0] = session_hash;
    args[1] = status;
    rv = mc_db_select(r, dbd, "cc_esc_conv", &res, 2, args);
    v = rv == APR_SUCCESS ? mc_db_value(r, dbd, res, 0) : NULL;
    if (!v) {
        goto fail;
    }
    conv = apr_strtoi64(v, NULL, 10);
    args[0] = I64(r->pool, conv);
    args[1] = "patient";
    args[2] = message;
    args[3] = "";
    args[4] = "";
    args[5] = rid;
    args[6] = "";
    if (mc_db_select(r, dbd, "cc_msg_insert", &res, 7, args) != APR_SUCCESS
        || !(v = mc_db_value(r, dbd, res, 0))) {
        goto fail;
    }
    msg = apr_strtoi64(v, NULL, 10);
    args[1] = "bot";
    args[2] = reply;
    args[3] = status;
    args[4] = "none";
    if (mc_db_select(r, dbd, "cc_msg_insert", &res, 7, args) != APR_SUCCESS) {
        goto fail;
    }
    args[0] = I64(r->pool, conv);
    args[1] = I64(r->pool, msg);
    args[2] = scr->emergency ? "1" : "2";
    args[3] = cats;
    args[4] = cc_json_dump(r->pool, scr->matches, NULL);
    args[5] = source;
    if (mc_db_select(r, dbd, "cc_esc_insert", &res, 6, args) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        goto fail;
    }
    esc = apr_strtoi64(apr_dbd_get_entry(dbd->driver, row, 0), NULL, 10);
    created = apr_dbd_get_entry(dbd->driver, row, 1);
    if (queue_notifications(r, dbd, esc, created, scr, conv) != APR_SUCCESS) {
        goto fail;
    }
    detail = cc_json_pool_own(r->pool, json_pack(
        "{s:O, s:i, s:s, s:I}", "categories", scr->categories, "priority",
        scr->emergency ? 1 : 2, "source", source, "conversation_id",
        (json_int_t)conv));
    if (mc_audit_append(r, dbd, "patient", "escalation.create",
                        I64(r->pool, esc), cc_json_dump(r->pool, detail, NULL))
        != APR_SUCCESS) {
        goto fail;
    }
    if (mc_db_end(r, dbd, tx, 0) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *escalation_id = esc;
    ap_log_rerror(APLOG_MARK, scr->emergency ? APLOG_WARNING : APLOG_INFO, 0,
                  r, CCLOGNO(01101) "escalation %" APR_INT64_T_FMT
                  " created (%s)", esc, scr->emergency ? "emergency"
                                                       : "risk");
    return APR_SUCCESS;
fail:
    mc_db_end(r, dbd, tx, 1);
    return APR_EGENERAL;
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
                                               const mc_screen *scr)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    const char *args[7], *v;

    if (!dbd || mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    /* A further risk in a conversation staff already have: one
     * escalation, its categories and matches extended (no new alert). */
    if (scr && scr->risky) {
        const char *cats = pg_text_array(r->pool, scr->categories);

        args[0] = cats ? cats : "{}";
        args[1] = cc_json_dump(r->pool, scr->matches, NULL);
        args[2] = I64(r->pool, escalation_id);
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
    if (mc_db_select(r, dbd, "cc_msg_insert", &res, 7, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return APR_EGENERAL;
    }
    return mc_db_end(r, dbd, tx, 0);
}

/* ---- the staff queue ----------------------------------------------------- */

int mc_api_admin_escalations(mc_ctx *c)
{
    static const char *const statuses[] = { "", "open", "claimed",
                                            "resolved", NULL };
    request_rec *r = c->r;
    apr_table_t *q = NULL;
    const char *status, *overdue, *argv[9], *rows, *sla;
    apr_int64_t limit, prio;
    apr_dbd_results_t *res;
    json_error_t jerr;
    ap_dbd_t *dbd;
    json_t *a;
    int i;

    if (mc_arg_int(c, "limit", 100, 1, 500, &limit) != APR_SUCCESS
        || mc_arg_int(c, "priority", 0, 0, 2, &prio) != APR_SUCCESS) {
        return OK;
    }
    ap_args_to_table(r, &q);
    status = q ? apr_table_get(q, "status") : NULL;
    overdue = q ? apr_table_get(q, "overdue") : NULL;
    status = status ? status : "";
    for (i = 0; statuses[i] && strcmp(statuses[i], status); i++) {
    }
    if (!statuses[i]) {
        return mc_error(c, 400, "invalid_parameter", "status is open, "
                        "claimed or resolved");
    }
    if (overdue && strcmp(overdue, "1") && strcmp(overdue, "0")) {
        return mc_error(c, 400, "invalid_parameter", "overdue is 1 or 0");
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
    }
    sla = I64(r->pool, mc_config_geti(r->server, MC_CONF_ESCALATION_SLA_MIN));
    argv[0] = sla;
    argv[1] = sla;
    argv[2] = status;
    argv[3] = status;
    argv[4] = overdue && !strcmp(overdue, "1") ? "1" : "";
    argv[5] = sla;
    argv[6] = I64(r->pool, prio);
    argv[7] = argv[6];
    argv[8] = I64(r->pool, limit);
    if (mc_db_select(r, dbd, "cc_esc_list", &res, 9, argv) != APR_SUCCESS
        || !(rows = mc_db_value(r, dbd, res, 0))) {
        return mc_error(c, 503, "db_error", "escalations could not be read");
    }
    a = json_loads(rows, 0, &jerr);
    if (!a) {
        return mc_error(c, 500, "internal_error", "rows unreadable");
    }
    return mc_reply(c, 200, json_pack("{s:o, s:I}", "escalations", a,
                                      "sla_minutes", (json_int_t)mc_config_geti(
                                          r->server,
                                          MC_CONF_ESCALATION_SLA_MIN)));
}

int mc_api_admin_escalation_get(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[1], *v;
    apr_dbd_results_t *res;
    json_error_t jerr;
    ap_dbd_t *dbd;
    json_t *o;

    if (id < 0) {
        return OK;
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
    }
    args[0] = I64(r->pool, id);
    if (mc_db_select(r, dbd, "cc_esc_get", &res, 1, args) != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the escalation could not be read");
    }
    if (!(v = mc_db_value(r, dbd, res, 0))) {
        return mc_error(c, 404, "not_found", "no such escalation");
    }
    o = json_loads(v, 0, &jerr);
    return o ? mc_reply(c, 200, o)
             : mc_error(c, 500, "internal_error", "escalation unreadable");
}

/* Lock the escalation row inside tx; fill status, assignee, conversation.
 * Returns OK, or DONE after replying (404). */
static int lock_escalation(mc_ctx *c, ap_dbd_t *dbd, apr_dbd_transaction_t *tx,
                           apr_int64_t id, const char **status,
                           const char **assignee, const char **conv)
{
    request_rec *r = c->r;
    const char *args[1] = { I64(r->pool, id) };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;

    if (mc_db_select(r, dbd, "cc_esc_state", &res, 1, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        mc_error(c, 503, "db_error", "the escalation could not be read");
        return DONE;
    }
    if (apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        mc_db_end(r, dbd, tx, 1);
        mc_error(c, 404, "not_found", "no such escalation");
        return DONE;
    }
    *status = apr_dbd_get_entry(dbd->driver, row, 0);
    *assignee = apr_dbd_get_entry(dbd->driver, row, 1);
    *conv = apr_dbd_get_entry(dbd->driver, row, 2);
    return OK;
}

/* Audit, commit, answer with the escalation as it now is. */
static int finish(mc_ctx *c, ap_dbd_t *dbd, apr_dbd_transaction_t *tx,
                  apr_int64_t id, const char *action, json_t *detail)
{
    request_rec *r = c->r;
    apr_status_t rv;

    cc_json_pool_own(r->pool, detail);
    rv = mc_audit_append(r, dbd, c->user, action, I64(r->pool, id),
                         cc_json_dump(r->pool, detail, NULL));
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS) != APR_SUCCESS
        || rv != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    return mc_api_admin_escalation_get(c);
}

static int begin(mc_ctx *c, ap_dbd_t **dbd, apr_dbd_transaction_t **tx)
{
    *dbd = mc_db_acquire(c->r);
    if (!*dbd || mc_db_begin(c->r, *dbd, tx) != APR_SUCCESS) {
        mc_error(c, 503, "db_unavailable", "the database is unavailable");
        return DONE;
    }
    return OK;
}

int mc_api_admin_escalation_claim(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *args[2];
    apr_dbd_transaction_t *tx = NULL;
    ap_dbd_t *dbd;

    if (id < 0) {
        return OK;
    }
    if (begin(c, &dbd, &tx) != OK
        || lock_escalation(c, dbd, tx, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    if (*assignee && strcmp(assignee, c->user)) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "claimed_by_other", "already claimed by %s; "
                        "ask them or an admin to reassign it", assignee);
    }
    args[0] = c->user;
    args[1] = I64(r->pool, id);
    if (mc_db_query(r, dbd, "cc_esc_claim", NULL, 2, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the claim was not saved");
    }
    return finish(c, dbd, tx, id, "escalation.claim", json_object());
}

int mc_api_admin_escalation_reply(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *message = NULL, *args[7];
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    ap_dbd_t *dbd;
    apr_size_t len = 0;

    if (id < 0) {
        return OK;
    }
    if (mc_body_string(c, "message", 4000, &message, &len) != OK) {
        return OK;
    }
    if (begin(c, &dbd, &tx) != OK
        || lock_escalation(c, dbd, tx, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "already_resolved", "this escalation is "
                        "resolved; the bot answers this conversation again");
    }
    if (*assignee && strcmp(assignee, c->user) && c->role != MC_ROLE_ADMIN) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "claimed_by_other", "%s is handling this "
                        "escalation; ask them or an admin to reassign it",
                        assignee);
    }
    args[0] = conv;
    args[1] = "staff";
    args[2] = message;
    args[3] = "";
    args[4] = "";
    args[5] = c->rid;
    args[6] = c->user;
    if (mc_db_select(r, dbd, "cc_msg_insert", &res, 7, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the reply was not saved");
    }
    args[0] = "1";
    args[1] = conv;
    if (mc_db_query(r, dbd, "cc_conv_add_msgs_id", NULL, 2, args)
        != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the reply was not saved");
    }
    /* Replying to an unclaimed escalation claims it. */
    if (!*assignee) {
        args[0] = c->user;
        args[1] = I64(r->pool, id);
        if (mc_db_query(r, dbd, "cc_esc_claim", NULL, 2, args)
            != APR_SUCCESS) {
            mc_db_end(r, dbd, tx, 1);
            return mc_error(c, 503, "db_error", "the reply was not saved");
        }
    }
    return finish(c, dbd, tx, id, "escalation.reply",
                  json_pack("{s:I}", "bytes", (json_int_t)len));
}

int mc_api_admin_escalation_reassign(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *to = NULL, *args[2];
    const mc_srv_conf *conf = mc_config_get(r->server);
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    json_error_t jerr;
    ap_dbd_t *dbd;

    if (id < 0) {
        return OK;
    }
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s}", "to", &to) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"to\": user}: %s",
                        jerr.text);
    }
    if (begin(c, &dbd, &tx) != OK
        || lock_escalation(c, dbd, tx, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    if (c->role != MC_ROLE_ADMIN && *assignee && strcmp(assignee, c->user)) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 403, "forbidden", "only its assignee or an admin "
                        "may reassign it");
    }
    args[0] = to;
    if (!apr_hash_get(conf->user_roles, to, APR_HASH_KEY_STRING)
        && (mc_db_select(r, dbd, "cc_user_active", &res, 1, args)
            != APR_SUCCESS || !mc_db_value(r, dbd, res, 0))) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 422, "unknown_user", "no active staff account "
                        "with that name");
    }
    args[1] = I64(r->pool, id);
    if (mc_db_query(r, dbd, "cc_esc_claim", NULL, 2, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    return finish(c, dbd, tx, id, "escalation.reassign",
                  json_pack("{s:s, s:s}", "from", assignee, "to", to));
}

int mc_api_admin_escalation_resolve(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *outcome = NULL, *args[3];
    apr_dbd_transaction_t *tx = NULL;
    ap_dbd_t *dbd;
    apr_size_t len = 0;

    if (id < 0) {
        return OK;
    }
    if (mc_body_string(c, "outcome", 500, &outcome, &len) != OK) {
        return OK;
    }
    if (begin(c, &dbd, &tx) != OK
        || lock_escalation(c, dbd, tx, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    args[0] = outcome;
    args[1] = c->user;
    args[2] = I64(r->pool, id);
    if (mc_db_query(r, dbd, "cc_esc_resolve", NULL, 3, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    args[0] = conv;
    args[1] = conv;
    if (mc_db_query(r, dbd, "cc_conv_reopen", NULL, 2, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    return finish(c, dbd, tx, id, "escalation.resolve",
                  json_pack("{s:s%}", "outcome", outcome, len));
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
    args[0] = I64(r->pool, mc_config_geti(r->server,
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
