/*
 * mod_concierge_api.c - the helpers every handler uses: path, query and
 * body arguments, the database connection or 503, the audited
 * transaction, and replies with JSON that PostgreSQL built.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_audit.h"
#include "mod_concierge_db.h"
#include "util_script.h"
#include "cc_json.h"

int mc_reply_page(mc_ctx *c, const char *key, const char *rows,
                  const char *min, apr_int64_t limit)
{
    json_t *list = mc_pg_json(c->r, rows);
    json_t *o;

    if (!json_is_array(list)) {
        return mc_error(c, 500, "internal_error", "%s rows unreadable", key);
    }

    o = json_pack("{s:O}", key, list);
    json_object_set_new(o, "next_before",
                        min && (apr_int64_t)json_array_size(list) == limit
                        ? json_integer(apr_strtoi64(min, NULL, 10))
                        : json_null());
    return mc_reply(c, 200, o);
}

int mc_audit_read(mc_ctx *c, const char *action, const char *target,
                  json_t *list)
{
    json_t *ids = json_array(), *e;
    size_t i;
    mc_tx t;

    json_array_foreach(list, i, e) {
        json_t *id = json_object_get(e, "id");

        if (json_is_integer(id)) {
            json_array_append(ids, id);
        }
    }
    if (mc_tx_begin(c, &t) != OK) {
        json_decref(ids);
        return DONE;
    }
    return mc_tx_commit(&t, NULL, NULL, action, target ? target : "",
                        json_pack("{s:I, s:o}", "count",
                                  (json_int_t)json_array_size(ids), "ids",
                                  ids));
}

apr_int64_t mc_param_id(mc_ctx *c, const char *name)
{
    const char *s = cc_route_param(&c->params, name);
    char *end = NULL;
    apr_int64_t n;

    errno = 0;
    n = s ? apr_strtoi64(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || n <= 0) {
        mc_error(c, 400, "invalid_parameter", "the %s is a positive whole "
                 "number", name);
        return -1;
    }
    return n;
}

int mc_body_string(mc_ctx *c, const char *field, apr_size_t max,
                   const char **out, apr_size_t *len)
{
    json_error_t jerr;
    size_t n = 0;

    *out = NULL;
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s%}", field, out,
                       &n) != 0) {
        mc_error(c, 400, "invalid_body", "expected {\"%s\": string}: %s",
                 field, jerr.text);
        return DONE;
    }
    if (n == 0 || n > max || strlen(*out) != n) {
        mc_error(c, 422, apr_pstrcat(c->r->pool, "invalid_", field, NULL),
                 "%s is 1 to %" APR_SIZE_T_FMT " bytes of text", field, max);
        return DONE;
    }
    if (len) {
        *len = n;
    }
    return OK;
}

apr_status_t mc_arg_int(mc_ctx *c, const char *name, apr_int64_t def,
                        apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    apr_table_t *args = NULL;
    const char *v;
    char *end = NULL;
    apr_int64_t n;

    ap_args_to_table(c->r, &args);
    v = args ? apr_table_get(args, name) : NULL;
    if (!v) {
        *out = def;
        return APR_SUCCESS;
    }
    errno = 0;
    n = apr_strtoi64(v, &end, 10);
    if (!*v || errno || *end || n < min || n > max) {
        mc_error(c, 400, "invalid_parameter", "query parameter '%s' must be "
                 "a whole number from %" APR_INT64_T_FMT " to %"
                 APR_INT64_T_FMT, name, min, max);
        return APR_EINVAL;
    }
    *out = n;
    return APR_SUCCESS;
}

int mc_body_check(mc_ctx *c, const cc_field_t *fields, int create)
{
    cc_problem_t prob;

    if (cc_fields_check(c->body, fields, create, &prob) != APR_SUCCESS) {
        mc_error_problem(c, &prob);
        return DONE;
    }
    return OK;
}

/* ---- the database ----------------------------------------------------- */

ap_dbd_t *mc_api_db(mc_ctx *c)
{
    ap_dbd_t *dbd = mc_db_acquire(c->r);

    if (!dbd) {
        mc_error_db(c);
    }
    return dbd;
}

int mc_tx_begin(mc_ctx *c, mc_tx *t)
{
    t->c = c;
    t->tx = NULL;
    t->dbd = mc_db_acquire(c->r);
    if (!t->dbd || mc_db_begin(c->r, t->dbd, &t->tx) != APR_SUCCESS) {
        mc_error_db(c);
        return DONE;
    }
    return OK;
}

int mc_tx_commit(mc_tx *t, const char *bump, apr_int64_t *version,
                 const char *action, const char *target, json_t *detail)
{
    request_rec *r = t->c->r;
    apr_status_t rv = APR_SUCCESS;

    cc_json_pool_own(r->pool, detail);
    if (bump) {
        apr_dbd_results_t *res;
        const char *v = NULL;

        rv = mc_db_select(r, t->dbd, bump, &res, 0, NULL);
        if (rv == APR_SUCCESS) {
            v = mc_db_value(r, t->dbd, res, 0);
        }
        if (!v) {
            rv = APR_EGENERAL;
        }
        else if (version) {
            *version = apr_strtoi64(v, NULL, 10);
        }
    }
    if (rv == APR_SUCCESS && action) {
        rv = mc_audit_append(r, t->dbd, t->c->user, action, target,
                             detail ? cc_json_dump(r->pool, detail, NULL)
                                    : NULL);
    }
    if (mc_db_end(r, t->dbd, t->tx, rv != APR_SUCCESS) != APR_SUCCESS
        || rv != APR_SUCCESS) {
        mc_error_db(t->c);
        return DONE;
    }
    return OK;
}

void mc_tx_abort(mc_tx *t)
{
    if (t->dbd && t->tx) {
        mc_db_end(t->c->r, t->dbd, t->tx, 1);
    }
}

/* ---- replies ---------------------------------------------------------- */

json_t *mc_pg_json(request_rec *r, const char *text)
{
    json_error_t jerr;

    return text ? cc_json_pool_own(r->pool, json_loads(text, JSON_DECODE_ANY,
                                                       &jerr))
                : NULL;
}

int mc_reply_pg(mc_ctx *c, int status, const char *key, const char *text)
{
    json_t *j = mc_pg_json(c->r, text);

    if (!j) {
        return mc_error(c, 500, "internal_error", "unreadable result");
    }
    return mc_reply(c, status, key ? json_pack("{s:O}", key, j)
                                   : json_incref(j));
}

int mc_reply_select(mc_ctx *c, const char *label, int nargs,
                    const char **args, const char *key, const char *missing)
{
    int dbfail = 0;
    const char *t = mc_db_text(c->r, label, nargs, args, &dbfail);

    if (dbfail) {
        return mc_error_db(c);
    }
    if (!t && missing) {
        return mc_error(c, 404, "not_found", "%s", missing);
    }
    return mc_reply_pg(c, 200, key, t);
}

