/*
 * api/escalations.c - the staff queue of escalations.
 *
 *   GET  /api/admin/escalations?status=&overdue=&priority=&limit=
 *   GET  /api/admin/escalations/{id}
 *   POST /api/admin/escalations/{id}/claim
 *   POST /api/admin/escalations/{id}/reply      {"message"}
 *   POST /api/admin/escalations/{id}/reassign   {"to"}
 *   POST /api/admin/escalations/{id}/resolve    {"outcome"}
 *
 * Every action locks the escalation row, changes it and is audited in one
 * transaction, then answers with the escalation as it now is.  Resolving
 * gives the conversation back to the bot.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "util_script.h"
#include "cc_json.h"

static int escalations_list(mc_ctx *c)
{
    static const char *const statuses[] = { "", "open", "claimed",
                                            "resolved", NULL };
    request_rec *r = c->r;
    apr_int64_t sla_min = mc_config_geti(r->server,
                                         MC_CONF_ESCALATION_SLA_MIN);
    apr_table_t *q = NULL;
    const char *status, *overdue, *argv[9], *rows, *sla;
    apr_int64_t limit, prio;
    json_t *a;
    int i, dbfail = 0;

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
    sla = MC_I64(r->pool, sla_min);
    argv[0] = sla;
    argv[1] = sla;
    argv[2] = status;
    argv[3] = status;
    argv[4] = overdue && !strcmp(overdue, "1") ? "1" : "";
    argv[5] = sla;
    argv[6] = MC_I64(r->pool, prio);
    argv[7] = argv[6];
    argv[8] = MC_I64(r->pool, limit);
    rows = mc_db_text(r, "cc_esc_list", 9, argv, &dbfail);
    if (dbfail || !rows) {
        return mc_error_db(c);
    }
    a = mc_pg_json(r, rows);
    if (!a) {
        return mc_error(c, 500, "internal_error", "rows unreadable");
    }
    /* The queue shows each escalation's first message: audited. */
    if (mc_audit_read(c, "escalation.list_read", r->args, a) != OK) {
        return OK;
    }
    return mc_reply(c, 200, json_pack("{s:O, s:I}", "escalations", a,
                                      "sla_minutes", (json_int_t)sla_min));
}

static int escalation_get(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[1];

    if (id < 0) {
        return OK;
    }
    args[0] = MC_I64(c->r->pool, id);
    return mc_reply_select(c, "cc_esc_get", 1, args, NULL,
                           "no such escalation");
}

/* GET /api/admin/escalations/{id}: it returns the conversation, so the
 * read is audited like GET /api/admin/conversations/{id}, before it is
 * shown.  (After a change, finish() answers with escalation_get: that
 * change's own audit entry covers it.) */
static int escalation_read(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[1], *text;
    int dbfail = 0;
    mc_tx t;

    if (id < 0) {
        return OK;
    }
    args[0] = MC_I64(c->r->pool, id);
    text = mc_db_text(c->r, "cc_esc_get", 1, args, &dbfail);
    if (dbfail) {
        return mc_error_db(c);
    }
    if (!text) {
        return mc_error(c, 404, "not_found", "no such escalation");
    }
    if (mc_tx_begin(c, &t) != OK
        || mc_tx_commit(&t, NULL, NULL, "escalation.read", args[0],
                        json_object()) != OK) {
        return OK;
    }
    return mc_reply_pg(c, 200, NULL, text);
}

/* Begin, and lock the escalation row; fill status, assignee,
 * conversation.  OK, or DONE after rolling back and answering. */
static int lock_escalation(mc_ctx *c, mc_tx *t, apr_int64_t id,
                           const char **status, const char **assignee,
                           const char **conv)
{
    request_rec *r = c->r;
    const char *args[1] = { MC_I64(r->pool, id) };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;

    if (mc_tx_begin(c, t) != OK) {
        return DONE;
    }
    if (mc_db_select(r, t->dbd, "cc_esc_state", &res, 1, args)
        != APR_SUCCESS) {
        mc_tx_abort(t);
        mc_error_db(c);
        return DONE;
    }
    if (apr_dbd_get_row(t->dbd->driver, r->pool, res, &row, 1) != 0) {
        mc_tx_abort(t);
        mc_error(c, 404, "not_found", "no such escalation");
        return DONE;
    }
    *status = apr_dbd_get_entry(t->dbd->driver, row, 0);
    *assignee = apr_dbd_get_entry(t->dbd->driver, row, 1);
    *conv = apr_dbd_get_entry(t->dbd->driver, row, 2);
    return OK;
}

/* Audit, commit, answer with the escalation as it now is. */
static int finish(mc_tx *t, apr_int64_t id, const char *action,
                  json_t *detail)
{
    if (mc_tx_commit(t, NULL, NULL, action, MC_I64(t->c->r->pool, id),
                     detail) != OK) {
        return OK;
    }
    return escalation_get(t->c);
}

/* A statement of the change failed: roll back, answer 503. */
static int failed(mc_tx *t)
{
    mc_tx_abort(t);
    return mc_error_db(t->c);
}

/* Roll back and refuse with msg (already written). */
static int conflict(mc_tx *t, int status, const char *code, const char *msg)
{
    mc_tx_abort(t);
    return mc_error(t->c, status, code, "%s", msg);
}

static int escalation_claim(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *args[2];
    mc_tx t;

    if (id < 0 || lock_escalation(c, &t, id, &status, &assignee, &conv)
                  != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        return conflict(&t, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    if (*assignee && strcmp(assignee, c->user)) {
        return conflict(&t, 409, "claimed_by_other", apr_psprintf(c->r->pool,
                        "already claimed by %s; ask them or an admin to "
                        "reassign it", assignee));
    }
    args[0] = c->user;
    args[1] = MC_I64(c->r->pool, id);
    if (mc_db_query(c->r, t.dbd, "cc_esc_claim", NULL, 2, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    return finish(&t, id, "escalation.claim", json_object());
}

static int escalation_reply(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *message = NULL, *args[8];
    apr_dbd_results_t *res;
    apr_size_t len = 0;
    mc_tx t;

    if (id < 0 || mc_body_string(c, "message", 4000, &message, &len) != OK
        || lock_escalation(c, &t, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        return conflict(&t, 409, "already_resolved", "this escalation is "
                        "resolved; the bot answers this conversation "
                        "again");
    }
    if (*assignee && strcmp(assignee, c->user) && c->role != MC_ROLE_ADMIN) {
        return conflict(&t, 409, "claimed_by_other", apr_psprintf(r->pool,
                        "%s is handling this escalation; ask them or an "
                        "admin to reassign it", assignee));
    }
    args[0] = conv;
    args[1] = "staff";
    args[2] = message;
    args[3] = "";
    args[4] = "";
    args[5] = c->rid;
    args[6] = c->user;
    args[7] = "";
    if (mc_db_select(r, t.dbd, "cc_msg_insert", &res, 8, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    args[0] = "1";
    args[1] = conv;
    if (mc_db_query(r, t.dbd, "cc_conv_add_msgs_id", NULL, 2, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    /* Replying to an unclaimed escalation claims it. */
    if (!*assignee) {
        args[0] = c->user;
        args[1] = MC_I64(r->pool, id);
        if (mc_db_query(r, t.dbd, "cc_esc_claim", NULL, 2, args)
            != APR_SUCCESS) {
            return failed(&t);
        }
    }
    return finish(&t, id, "escalation.reply",
                  json_pack("{s:I}", "bytes", (json_int_t)len));
}

static int escalation_reassign(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *to = NULL, *args[2];
    const mc_srv_conf *conf = mc_config_get(r->server);
    apr_dbd_results_t *res;
    json_error_t jerr;
    int known = 1;      /* a ConciergeUserRole user */
    mc_tx t;

    if (id < 0) {
        return OK;
    }
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s}", "to", &to) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"to\": user}: %s",
                        jerr.text);
    }
    if (lock_escalation(c, &t, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        return conflict(&t, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    if (c->role != MC_ROLE_ADMIN && *assignee && strcmp(assignee, c->user)) {
        return conflict(&t, 403, "forbidden", "only its assignee or an admin "
                        "may reassign it");
    }
    args[0] = to;
    if (!apr_hash_get(conf->user_roles, to, APR_HASH_KEY_STRING)) {
        if (mc_db_select(r, t.dbd, "cc_user_active", &res, 1, args)
            != APR_SUCCESS) {
            return failed(&t);
        }
        known = mc_db_value(r, t.dbd, res, 0) != NULL;
    }
    if (!known) {
        return conflict(&t, 422, "unknown_user", "no active staff account "
                        "with that name");
    }
    args[1] = MC_I64(r->pool, id);
    if (mc_db_query(r, t.dbd, "cc_esc_claim", NULL, 2, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    return finish(&t, id, "escalation.reassign",
                  json_pack("{s:s, s:s}", "from", assignee, "to", to));
}

static int escalation_resolve(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *status, *assignee, *conv, *outcome = NULL, *args[3];
    apr_size_t len = 0;
    mc_tx t;

    if (id < 0 || mc_body_string(c, "outcome", 500, &outcome, &len) != OK
        || lock_escalation(c, &t, id, &status, &assignee, &conv) != OK) {
        return OK;
    }
    if (!strcmp(status, "resolved")) {
        return conflict(&t, 409, "already_resolved", "this escalation is "
                        "resolved");
    }
    /* As for a reply: the staff member handling it, or an admin. */
    if (*assignee && strcmp(assignee, c->user) && c->role != MC_ROLE_ADMIN) {
        return conflict(&t, 409, "claimed_by_other", apr_psprintf(r->pool,
                        "%s is handling this escalation; ask them or an "
                        "admin to reassign it", assignee));
    }
    args[0] = outcome;
    args[1] = c->user;
    args[2] = MC_I64(r->pool, id);
    if (mc_db_query(r, t.dbd, "cc_esc_resolve", NULL, 3, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    args[0] = conv;
    args[1] = conv;
    if (mc_db_query(r, t.dbd, "cc_conv_reopen", NULL, 2, args)
        != APR_SUCCESS) {
        return failed(&t);
    }
    return finish(&t, id, "escalation.resolve",
                  json_pack("{s:s%}", "outcome", outcome, len));
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/escalations", escalations_list, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "The escalation queue, most urgent first",
      NULL, MC_SHAPE("escalation_list") },
    { "GET", "/api/admin/escalations/{id}", escalation_read, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One escalation with its conversation (the read is audited)", NULL,
      MC_SHAPE("escalation") },
    { "POST", "/api/admin/escalations/{id}/claim", escalation_claim,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Take an escalation (the patient is told staff are on it)",
      NULL, MC_SHAPE("escalation") },
    { "POST", "/api/admin/escalations/{id}/reply", escalation_reply,
      MC_ROLE_STAFF, MC_RL_ADMIN, 16 * KB, MC_BODY_JSON,
      "Answer the patient in the conversation",
      MC_SHAPE("message"), MC_SHAPE("escalation") },
    { "POST", "/api/admin/escalations/{id}/reassign", escalation_reassign,
      MC_ROLE_STAFF, MC_RL_ADMIN, 1 * KB, MC_BODY_JSON,
      "Hand an escalation to another staff member",
      MC_SHAPE("reassign"), MC_SHAPE("escalation") },
    { "POST", "/api/admin/escalations/{id}/resolve", escalation_resolve,
      MC_ROLE_STAFF, MC_RL_ADMIN, 4 * KB, MC_BODY_JSON,
      "Close an escalation; the bot answers the conversation again",
      MC_SHAPE("outcome"), MC_SHAPE("escalation") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_esc_list",
      "SELECT coalesce(json_agg(json_build_object('id', e.id, "
      "'conversation_id', e.conversation_id, 'priority', e.priority, "
      "'emergency', e.priority = 1, 'categories', e.categories, 'status', "
      "e.status, 'assigned_to', e.assigned_to, 'source', e.source, "
      "'created_at', e.created_at, 'age_s', floor(extract(epoch FROM now() - "
      "e.created_at)), 'sla_s', %d * 60, 'overdue', e.status <> 'resolved' "
      "AND e.created_at < now() - make_interval(mins => %d), "
      "'first_message', left(m.body, 200)) ORDER BY e.priority, "
      "e.created_at, e.id), '[]')::text FROM (SELECT * FROM escalations "
      "WHERE ((%s = '' AND status <> 'resolved') OR status = %s) "
      "AND (%s = '' OR (status <> 'resolved' AND created_at < now() - "
      "make_interval(mins => %d))) AND (%d = 0 OR priority = %d) "
      "ORDER BY priority, created_at, id LIMIT %d) e "
      "LEFT JOIN messages m ON m.id = e.message_id" },
    { "cc_esc_get",
      "SELECT json_build_object('id', e.id, 'conversation_id', "
      "e.conversation_id, 'priority', e.priority, 'emergency', e.priority = "
      "1, 'categories', e.categories, 'matches', e.matches, 'source', "
      "e.source, 'status', e.status, 'assigned_to', e.assigned_to, "
      "'outcome', e.outcome, 'created_at', e.created_at, 'claimed_at', "
      "e.claimed_at, 'resolved_at', e.resolved_at, 'resolved_by', "
      "e.resolved_by, 'messages', (SELECT coalesce(json_agg(json_build_object("
      "'id', m.id, 'role', m.role, 'body', m.body, 'status', m.status, "
      "'author', m.author, 'at', m.created_at) ORDER BY m.id), '[]') FROM "
      "messages m WHERE m.conversation_id = e.conversation_id))::text "
      "FROM escalations e WHERE e.id = %lld" },
    { "cc_esc_state",
      "SELECT status, coalesce(assigned_to, ''), conversation_id FROM "
      "escalations WHERE id = %lld FOR UPDATE" },
    { "cc_esc_claim",
      "UPDATE escalations SET status = 'claimed', assigned_to = %s, "
      "claimed_at = coalesce(claimed_at, now()) WHERE id = %lld" },
    { "cc_esc_resolve",
      "UPDATE escalations SET status = 'resolved', outcome = %s, "
      "resolved_at = now(), resolved_by = %s WHERE id = %lld" },
    { "cc_conv_reopen",
      "UPDATE conversations SET status = 'open' WHERE id = %lld AND NOT "
      "EXISTS (SELECT 1 FROM escalations WHERE conversation_id = %lld AND "
      "status <> 'resolved')" },
    { "cc_user_active",
      "SELECT 1 FROM staff_users WHERE username = %s AND active" },
    { NULL, NULL }
};
MC_RESOURCE(escalations, routes, stmts);
