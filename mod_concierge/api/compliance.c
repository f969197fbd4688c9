/*
 * api/compliance.c - clinical safety for staff: checking a text against
 * the risk rules, and (admins) listing and editing the rules.
 *
 *   POST   /api/admin/compliance/check       {"text"}
 *   GET    /api/admin/compliance/rules
 *   POST   /api/admin/compliance/rules       {"category","lang","kind",
 *   PUT    /api/admin/compliance/rules/{id}   "pattern","enabled"?,"note"?}
 *   DELETE /api/admin/compliance/rules/{id}
 *
 * Every change bumps safety_state.version in the same audited transaction;
 * every host recompiles within a second, this one at once.
 *
 * The locked rules (built into the module: the emergency rules and "*"
 * negators) are listed first, with ids -1, -2, ... and "locked": true;
 * changing or deleting one is refused (403 rule_locked), and so is adding
 * or editing a rule into a copy of one (409 rule_locked).
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_safety.h"
#include "cc_json.h"
#include "cc_risk.h"

static int compliance_check(mc_ctx *c)
{
    const char *text = NULL;
    json_error_t jerr;
    mc_screen scr;
    size_t len = 0;

    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s%}", "text", &text,
                       &len) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"text\": "
                        "string}: %s", jerr.text);
    }
    if (len > 16384) {
        return mc_error(c, 422, "text_too_long", "text is at most 16384 "
                        "bytes");
    }
    if (mc_safety_screen(c->r, text, 0, &scr) != APR_SUCCESS) {
        return mc_error(c, 503, "rules_unavailable", "the risk rules could "
                        "not be loaded");
    }
    return mc_reply(c, 200, json_pack("{s:b, s:b, s:O, s:O}",
                                      "risk", scr.risky || scr.emergency,
                                      "emergency", scr.emergency,
                                      "categories", scr.categories,
                                      "matches", scr.matches));
}

static int rules_list(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_api_db(c);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *rows, *version;
    json_t *a;

    if (!dbd) {
        return OK;
    }
    if (mc_db_select(r, dbd, "cc_rules_list", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error_db(c);
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    version = apr_dbd_get_entry(dbd->driver, row, 1);
    a = mc_pg_json(r, rows);
    if (!a) {
        return mc_error(c, 500, "internal_error", "rule rows unreadable");
    }
    {
        json_t *all = cc_json_pool_own(r->pool, mc_safety_locked_json());
        json_t *rule;
        size_t i;

        json_array_foreach(a, i, rule) {
            /* A copy of a locked rule (seeded before rules were locked):
             * compiled once, as the locked rule. */
            if (mc_safety_is_locked(json_string_value(json_object_get(
                                        rule, "category")),
                                    json_string_value(json_object_get(
                                        rule, "lang")),
                                    json_string_value(json_object_get(
                                        rule, "kind")),
                                    json_string_value(json_object_get(
                                        rule, "pattern")))) {
                json_object_set_new(rule, "shadowed_by_locked",
                                    json_true());
            }
        }
        json_array_extend(all, a);
        a = all;
    }
    return mc_reply(c, 200, json_pack("{s:I, s:o, s:o}", "version",
                                      (json_int_t)(version ? apr_strtoi64(
                                          version, NULL, 10) : 0),
                                      "rules", json_incref(a),
                                      "loaded", mc_safety_health()));
}

typedef struct rule_body {
    const char *cat, *lang, *kind, *pattern, *note;
    int         enabled;
} rule_body;

/* {"category","lang","kind","pattern","enabled"?,"note"?}: the rule must
 * compile on its own (the same compiler the chat uses). */
static int parse_rule(mc_ctx *c, rule_body *b)
{
    json_error_t jerr;
    cc_problem_t prob;
    const char *line;

    b->enabled = 1;
    b->note = "";
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT,
                       "{s:s, s:s, s:s, s:s, s?b, s?s}", "category", &b->cat,
                       "lang", &b->lang, "kind", &b->kind, "pattern",
                       &b->pattern, "enabled", &b->enabled, "note", &b->note)
        != 0) {
        mc_error(c, 400, "invalid_body", "expected {\"category\", \"lang\", "
                 "\"kind\", \"pattern\", \"enabled\"?, \"note\"?}: %s",
                 jerr.text);
        return DONE;
    }
    if (strchr(b->pattern, '\n') || strchr(b->pattern, '\r')
        || strlen(b->pattern) > 200 || strlen(b->note) > 500) {
        mc_error(c, 422, "invalid_rule", "a pattern is one line of at most "
                 "200 bytes; a note at most 500");
        return DONE;
    }
    if (mc_safety_is_locked(b->cat, b->lang, b->kind, b->pattern)) {
        mc_error(c, 409, "rule_locked", "this rule is built into the module "
                 "and always applies");
        return DONE;
    }
    line = apr_pstrcat(c->r->pool, b->cat, " ", b->lang, " ", b->kind, " ",
                       b->pattern, "\n", NULL);
    memset(&prob, 0, sizeof(prob));
    if (!cc_risk_compile(c->r->pool, line, strlen(line), NULL, &prob)) {
        mc_error(c, 422, "invalid_rule", "%s", prob.message);
        return DONE;
    }
    return OK;
}

/* Bump the version, audit, commit, reload here, answer the rule. */
static int rules_commit(mc_tx *t, const char *action, const char *target,
                        json_t *rule, int status)
{
    apr_int64_t version = 0;

    cc_json_pool_own(t->c->r->pool, rule);
    if (mc_tx_commit(t, "cc_safety_bump", &version, action, target,
                     json_incref(rule)) != OK) {
        return OK;
    }
    mc_safety_reload(t->c->r);
    json_object_set_new(rule, "version", json_integer(version));
    return mc_reply(t->c, status, json_incref(rule));
}

static void rule_args(mc_ctx *c, const rule_body *b, const char **args)
{
    args[0] = b->cat;
    args[1] = b->lang;
    args[2] = b->kind;
    args[3] = b->pattern;
    args[4] = b->enabled ? "true" : "false";
    args[5] = b->note;
    args[6] = c->user;
}

static json_t *rule_json(apr_int64_t id, const rule_body *b)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)id,
                     "category", b->cat, "lang", b->lang, "kind", b->kind,
                     "pattern", b->pattern, "enabled", b->enabled);
}

static int rules_create(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[7], *id = NULL;
    apr_dbd_results_t *res;
    rule_body b;
    mc_tx t;

    if (parse_rule(c, &b) != OK || mc_tx_begin(c, &t) != OK) {
        return OK;
    }
    rule_args(c, &b, args);
    if (mc_db_select(r, t.dbd, "cc_rule_insert", &res, 7, args)
        == APR_SUCCESS) {
        id = mc_db_value(r, t.dbd, res, 0);
    }
    if (!id) {
        mc_tx_abort(&t);
        return mc_error_db(c);
    }
    return rules_commit(&t, "safety.rule.create", id,
                        rule_json(apr_strtoi64(id, NULL, 10), &b), 201);
}

/* The {id} of a locked rule (-1 .. -n): refused with 403 (nonzero). */
static int refuse_locked(mc_ctx *c)
{
    const char *s = cc_route_param(&c->params, "id");
    char *end = NULL;
    apr_int64_t n;

    if (!s || *s != '-') {
        return 0;
    }
    n = apr_strtoi64(s, &end, 10);
    if (*end || n >= 0 || n < -(apr_int64_t)mc_safety_locked_count()) {
        return 0;       /* mc_param_id answers 400 */
    }
    mc_error(c, 403, "rule_locked", "rule %s is built into the module: it "
             "cannot be changed or deleted", s);
    return 1;
}

/* Run a rule's UPDATE or DELETE in t: OK, or DONE after rolling back
 * and answering (503, or 404 when no rule has that id). */
static int rule_change(mc_tx *t, const char *label, int nargs,
                       const char **args)
{
    int n = 0;

    if (mc_db_query(t->c->r, t->dbd, label, &n, nargs, args)
        != APR_SUCCESS) {
        mc_tx_abort(t);
        mc_error_db(t->c);
        return DONE;
    }
    if (n == 0) {
        mc_tx_abort(t);
        mc_error(t->c, 404, "not_found", "no rule with that id");
        return DONE;
    }
    return OK;
}

static int rules_update(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id;
    const char *args[8];
    rule_body b;
    mc_tx t;

    if (refuse_locked(c)) {
        return OK;
    }
    id = mc_param_id(c, "id");
    if (id < 0 || parse_rule(c, &b) != OK || mc_tx_begin(c, &t) != OK) {
        return OK;
    }
    rule_args(c, &b, args);
    args[7] = MC_I64(r->pool, id);
    if (rule_change(&t, "cc_rule_update", 8, args) != OK) {
        return OK;
    }
    return rules_commit(&t, "safety.rule.update", args[7], rule_json(id, &b),
                        200);
}

static int rules_delete(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id;
    const char *args[1];
    mc_tx t;

    if (refuse_locked(c)) {
        return OK;
    }
    id = mc_param_id(c, "id");
    if (id < 0 || mc_tx_begin(c, &t) != OK) {
        return OK;
    }
    args[0] = MC_I64(r->pool, id);
    if (rule_change(&t, "cc_rule_delete", 1, args) != OK) {
        return OK;
    }
    return rules_commit(&t, "safety.rule.delete", args[0],
                        json_pack("{s:I, s:b}", "id", (json_int_t)id,
                                  "deleted", 1), 200);
}

/* ---- routes and statements ---------------------------------------------- */

static const cc_shape_t rule_shape = { "risk_rule", NULL };

static const mc_route routes[] = {
    { "POST", "/api/admin/compliance/check", compliance_check, MC_ROLE_STAFF,
      MC_RL_ADMIN, 32 * KB, MC_BODY_JSON,
      "Screen a text with the risk rules, as the chat would",
      MC_SHAPE("text"), MC_SHAPE("screening") },
    { "GET", "/api/admin/compliance/rules", rules_list, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0, MC_BODY_JSON, "The risk rules and the loaded version",
      NULL, MC_SHAPE("risk_rules") },
    { "POST", "/api/admin/compliance/rules", rules_create, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 4 * KB, MC_BODY_JSON, "Add a risk rule",
      &rule_shape, &rule_shape },
    { "PUT", "/api/admin/compliance/rules/{id}", rules_update, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 4 * KB, MC_BODY_JSON, "Replace a risk rule",
      &rule_shape, &rule_shape },
    { "DELETE", "/api/admin/compliance/rules/{id}", rules_delete,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON, "Delete a risk rule",
      NULL, MC_SHAPE("deleted") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_safety_bump",
      "UPDATE safety_state SET version = version + 1, updated_at = now() "
      "WHERE id = 1 RETURNING version" },
    { "cc_rules_list",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'category', "
      "category, 'lang', lang, 'kind', kind, 'pattern', pattern, 'enabled', "
      "enabled, 'locked', false, 'note', note, 'updated_by', updated_by, "
      "'updated_at', updated_at) ORDER BY id), '[]')::text, "
      "(SELECT version FROM safety_state WHERE id = 1) FROM risk_rules" },
    { "cc_rule_insert",
      "INSERT INTO risk_rules (category, lang, kind, pattern, enabled, note, "
      "updated_by) VALUES (%s, %s, %s, %s, %s::boolean, %s, %s) RETURNING id" },
    { "cc_rule_update",
      "UPDATE risk_rules SET category = %s, lang = %s, kind = %s, pattern = "
      "%s, enabled = %s::boolean, note = %s, updated_by = %s, updated_at = "
      "now() WHERE id = %lld" },
    { "cc_rule_delete", "DELETE FROM risk_rules WHERE id = %lld" },
    { NULL, NULL }
};
MC_RESOURCE(compliance, routes, stmts);
