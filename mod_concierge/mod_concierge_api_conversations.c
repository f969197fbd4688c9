/*
 * mod_concierge_api_conversations.c - chat logs for staff:
 * GET /api/admin/conversations?from=&to=&status=&limit=&before=
 * GET /api/admin/conversations/{id}  (each read is audited: patients'
 * messages are health data)
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge.h"
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

int mc_api_admin_conversations(mc_ctx *c)
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
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
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
        return mc_error(c, 503, "db_error", "conversations could not be read");
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    min = apr_dbd_get_entry(dbd->driver, row, 1);
    return mc_reply_page(c, "conversations", rows, min, limit);
}

int mc_api_admin_conversation(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *id = cc_route_param(&c->params, "id");
    const char *args[1], *conv, *msgs;
    apr_dbd_results_t *res;
    json_error_t jerr;
    ap_dbd_t *dbd;
    json_t *o, *m, *d;
    char *end = NULL;
    apr_int64_t n;
    apr_dbd_transaction_t *tx = NULL;
    apr_status_t rv;

    n = apr_strtoi64(id, &end, 10);
    if (!*id || *end || n <= 0) {
        return mc_error(c, 400, "invalid_parameter", "the id is a positive "
                        "whole number");
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
    }
    args[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, n);
    if (mc_db_select(r, dbd, "cc_conv_get", &res, 1, args) != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the conversation could not be read");
    }
    conv = mc_db_value(r, dbd, res, 0);
    if (!conv) {
        return mc_error(c, 404, "not_found", "no such conversation");
    }
    if (mc_db_select(r, dbd, "cc_conv_messages_admin", &res, 1, args)
        != APR_SUCCESS || !(msgs = mc_db_value(r, dbd, res, 0))) {
        return mc_error(c, 503, "db_error", "the conversation could not be read");
    }
    /* Who read which patient's conversation, before it is shown. */
    d = cc_json_pool_own(r->pool, json_object());
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the read could not be audited");
    }
    rv = mc_audit_append(r, dbd, c->user, "conversation.read", args[0],
                         cc_json_dump(r->pool, d, NULL));
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS) != APR_SUCCESS
        || rv != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the read could not be audited");
    }
    o = json_loads(conv, 0, &jerr);
    m = json_loads(msgs, 0, &jerr);
    if (!o || !m) {
        json_decref(o);
        json_decref(m);
        return mc_error(c, 500, "internal_error", "conversation unreadable");
    }
    json_object_set_new(o, "messages", m);
    return mc_reply(c, 200, o);
}
