/*
 * api/conversations.c - chat logs for staff:
 * GET /api/admin/conversations?from=&to=&status=&limit=&before=
 * GET /api/admin/conversations/{id}  (each read is audited: patients'
 * messages are health data)
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "util_script.h"
#include "cc_json.h"

/* A real calendar date written YYYY-MM-DD (2024-02-30 is not one). */
static int valid_date(const char *s)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    int i, y, m, d;

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7 ? s[i] != '-' : !apr_isdigit(s[i])) {
            return 0;
        }
    }
    if (s[10] != '\0') {
        return 0;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || y > 9998 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return 0;
    }
    return !(m == 2 && d == 29
             && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static int mc_api_admin_conversations(mc_ctx *c)
{
    static const char *const statuses[] = {
        "", "open", "escalated", "closed", "answered", "no_answer",
        "emergency", NULL
    };
    request_rec *r = c->r;
    apr_table_t *args = NULL;
    const char *from, *to, *status, *argv[9], *rows, *min;
    apr_int64_t before, limit;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;
    int i;

    if (mc_arg_int(c, "before", APR_INT64_MAX, 1, APR_INT64_MAX, &before)
        != APR_SUCCESS
        || mc_arg_int(c, "limit", 50, 1, 200, &limit) != APR_SUCCESS) {
        return OK;
    }
    ap_args_to_table(r, &args);
    from = args ? apr_table_get(args, "from") : NULL;
    to = args ? apr_table_get(args, "to") : NULL;
    status = args ? apr_table_get(args, "status") : NULL;
    if ((from && !valid_date(from)) || (to && !valid_date(to))) {
        return mc_error(c, 400, "invalid_parameter", "from and to are dates "
                        "as YYYY-MM-DD");
    }
    status = status ? status : "";
    for (i = 0; statuses[i] && strcmp(statuses[i], status); i++) {
    }
    if (!statuses[i]) {
        return mc_error(c, 400, "invalid_parameter", "status is one of open, "
                        "escalated, closed, answered, no_answer, emergency");
    }
    dbd = mc_api_db(c);
    if (!dbd) {
        return OK;
    }
    /* Days are the clinic's days (ConciergeTimeZone), not UTC's. */
    argv[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, before);
    argv[1] = from ? from : "1970-01-01";
    argv[2] = mc_config_timezone(r->server);
    argv[3] = to ? to : "9998-12-30";
    argv[4] = argv[2];
    argv[5] = status;
    argv[6] = status;
    argv[7] = status;
    argv[8] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, limit);
    if (mc_db_select(r, dbd, "cc_conv_list", &res, 9, argv) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error_db(c);
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    min = apr_dbd_get_entry(dbd->driver, row, 1);
    /* The list shows each conversation's first message: who saw which
     * patients' words is on record, as for one conversation. */
    if (mc_audit_read(c, "conversation.list_read", r->args,
                      mc_pg_json(r, rows)) != OK) {
        return OK;
    }
    return mc_reply_page(c, "conversations", rows, min, limit);
}

static int mc_api_admin_conversation(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t n = mc_param_id(c, "id");
    const char *args[1], *conv, *msgs;
    apr_dbd_results_t *res;
    ap_dbd_t *dbd;
    json_t *o, *m;
    mc_tx t;

    if (n < 0) {
        return OK;
    }
    dbd = mc_api_db(c);
    if (!dbd) {
        return OK;
    }
    args[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, n);
    if (mc_db_select(r, dbd, "cc_conv_get", &res, 1, args) != APR_SUCCESS) {
        return mc_error_db(c);
    }
    conv = mc_db_value(r, dbd, res, 0);
    if (!conv) {
        return mc_error(c, 404, "not_found", "no such conversation");
    }
    if (mc_db_select(r, dbd, "cc_conv_messages_admin", &res, 1, args)
        != APR_SUCCESS || !(msgs = mc_db_value(r, dbd, res, 0))) {
        return mc_error_db(c);
    }
    /* Who read which patient's conversation, before it is shown. */
    if (mc_tx_begin(c, &t) != OK
        || mc_tx_commit(&t, NULL, NULL, "conversation.read", args[0],
                        json_object()) != OK) {
        return OK;
    }
    o = mc_pg_json(r, conv);
    m = mc_pg_json(r, msgs);
    if (!o || !m) {
        return mc_error(c, 500, "internal_error", "conversation unreadable");
    }
    json_object_set(o, "messages", m);
    return mc_reply(c, 200, json_incref(o));
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/conversations", mc_api_admin_conversations,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Conversations, newest first, a page at a time",
      NULL, MC_SHAPE("conversation_list") },
    { "GET", "/api/admin/conversations/{id}", mc_api_admin_conversation,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One conversation with its messages (the read is audited)",
      NULL, MC_SHAPE("conversation") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_conv_messages_admin",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'role', role, "
      "'body', body, 'status', status, 'mode', mode, 'sources', sources, "
      "'timing', timing, 'request_id', request_id, 'author', author, 'at', "
      "created_at) ORDER BY id), '[]')::text FROM messages "
      "WHERE conversation_id = %lld" },
    { "cc_conv_get",
      "SELECT json_build_object('id', id, 'status', status, 'last_status', "
      "last_status, 'message_count', messages, 'created_at', created_at, "
      "'last_message_at', last_message_at)::text FROM conversations "
      "WHERE id = %lld" },
    { "cc_conv_list",
      "SELECT coalesce(json_agg(json_build_object('id', c.id, 'status', "
      "c.status, 'last_status', c.last_status, 'message_count', c.messages, "
      "'created_at', c.created_at, 'last_message_at', c.last_message_at, "
      "'first_message', (SELECT left(m.body, 200) FROM messages m WHERE "
      "m.conversation_id = c.id ORDER BY m.id LIMIT 1)) ORDER BY c.id DESC), "
      "'[]')::text, min(c.id) FROM (SELECT * FROM conversations k "
      "WHERE k.id < %lld "
      "AND k.created_at >= (%s::date)::timestamp AT TIME ZONE %s "
      "AND k.created_at < (%s::date + 1)::timestamp AT TIME ZONE %s "
      "AND (%s = '' OR k.status = %s "
      "OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = k.id "
      "AND m.status = %s)) ORDER BY k.id DESC LIMIT %d) c" },
    { NULL, NULL }
};
MC_RESOURCE(conversations, routes, stmts);
