/*
 * test_safety_rules.c - the compliance check (what a risky text would
 * trigger, with nothing stored) and the admin rules API (a rule change
 * takes effect without a restart).  Tests of the "safety" group
 * (test_safety.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "safety.h"

static json_t *sf_check(const char *text)
{
    json_t *b = json_pack("{s:s}", "text", text);
    char *js = json_dumps(b, JSON_COMPACT);
    it_resp *r = sf_post("/api/admin/compliance/check", IT_STAFF, js);
    json_t *o;

    free(js);
    json_decref(b);
    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "compliance check \"%s\": %ld %s", text, r->status,
                  r->body);
    ck_assert_msg(json_is_boolean(json_object_get(r->json, "risk"))
                  && json_is_boolean(json_object_get(r->json, "emergency"))
                  && json_is_array(json_object_get(r->json, "categories"))
                  && json_is_array(json_object_get(r->json, "matches")),
                  "compliance check shape: %s", r->body);
    o = json_incref(r->json);
    it_free(r);
    return o;
}

START_TEST(safety_compliance_check)
{
    long esc0 = sf_db_count("escalations");
    long conv0 = sf_db_count("conversations");
    json_t *o, *m;
    char *big;
    it_resp *r;
    size_t i;
    int hit = 0;

    o = sf_check(SF_M_PREG);
    ck_assert_msg(json_is_true(json_object_get(o, "risk"))
                  && json_is_false(json_object_get(o, "emergency"))
                  && sf_has_string(json_object_get(o, "categories"),
                                   "pregnancy"),
                  "risky text: %s", json_dumps(o, JSON_COMPACT));
    json_array_foreach(json_object_get(o, "matches"), i, m) {
        hit |= sf_streq(sf_str(m, "text"), "pregnant")
               && sf_streq(sf_str(m, "category"), "pregnancy")
               && json_is_integer(json_object_get(m, "start"))
               && json_is_integer(json_object_get(m, "end"));
    }
    ck_assert_msg(hit, "matches: %s", json_dumps(o, JSON_COMPACT));
    json_decref(o);

    o = sf_check(SF_M_EMERG2);
    ck_assert_msg(json_is_true(json_object_get(o, "risk"))
                  && json_is_true(json_object_get(o, "emergency"))
                  && sf_has_string(json_object_get(o, "categories"),
                                   "emergency"),
                  "emergency text: %s", json_dumps(o, JSON_COMPACT));
    json_decref(o);

    o = sf_check(SF_M_PARK2);
    ck_assert_msg(json_is_false(json_object_get(o, "risk"))
                  && json_is_false(json_object_get(o, "emergency"))
                  && json_array_size(json_object_get(o, "categories")) == 0,
                  "benign text: %s", json_dumps(o, JSON_COMPACT));
    json_decref(o);

    o = sf_check(SF_M_NEG);
    ck_assert_msg(json_is_false(json_object_get(o, "risk")), "a negated "
                  "pregnancy: %s", json_dumps(o, JSON_COMPACT));
    json_decref(o);

    /* A check is only a check. */
    ck_assert_msg(sf_db_count("escalations") == esc0
                  && sf_db_count("conversations") == conv0,
                  "the compliance check created escalations or "
                  "conversations");

    r = sf_post("/api/admin/compliance/check", IT_STAFF, "{}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = sf_post("/api/admin/compliance/check", IT_STAFF, "{\"text\":1}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = sf_post("/api/admin/compliance/check", IT_STAFF,
                "{\"text\":\"a\",\"extra\":true}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);

    /* Over 16384 bytes of text: 422 when the body fits the route's cap,
     * 413 when it does not. */
    big = malloc(40100);
    memcpy(big, "{\"text\":\"", 9);
    memset(big + 9, 'a', 17000);
    memcpy(big + 9 + 17000, "\"}", 3);
    r = sf_post("/api/admin/compliance/check", IT_STAFF, big);
    ck_assert_msg(r->status == 422 || r->status == 413, "17000 bytes of "
                  "text: %ld %s", r->status, r->body);
    it_assert_error(r, r->status, r->status == 422 ? "text_too_long"
                                                   : "body_too_large");
    it_free(r);
    memset(big + 9, 'a', 40000);
    memcpy(big + 9 + 40000, "\"}", 3);
    r = sf_post("/api/admin/compliance/check", IT_STAFF, big);
    it_assert_error(r, 413, "body_too_large");
    it_free(r);
    free(big);

    r = sf_post("/api/admin/compliance/check", NULL, "{\"text\":\"hello\"}");
    it_assert_error(r, 401, "authentication_required");
    it_free(r);
    ck_assert_msg(sf_db_count("escalations") == esc0, "escalations changed");
}
END_TEST

/* ---- the rules --------------------------------------------------------------- */

#define SF_RULE_TEXT   "Can I eat marmalade before my appointment?"
#define SF_RULE_TEXT2  "I react badly to marmalade"

/* Whether the check of text has (want 1) or lacks (want 0) an allergy
 * match by the rule "marmalade" and, with risk_too, whether its risk is
 * exactly want.  *why (if given) gets the check's reply. */
static int sf_rule_ok(const char *text, int want, int risk_too, char **why)
{
    json_t *o = sf_check(text), *m;
    size_t i;
    int has = 0, ok;

    json_array_foreach(json_object_get(o, "matches"), i, m) {
        has |= sf_streq(sf_str(m, "rule"), "marmalade")
               && sf_streq(sf_str(m, "category"), "allergy")
               && json_is_false(json_object_get(m, "negated"));
    }
    ok = has == want
         && (!risk_too || json_is_true(json_object_get(o, "risk")) == want)
         && (!want || sf_has_string(json_object_get(o, "categories"),
                                    "allergy"));
    if (why) {
        *why = json_dumps(o, JSON_COMPACT);
    }
    json_decref(o);
    return ok;
}

/* A rule change is compiled at once by the process that made it; the
 * other processes compare the version at most once a second.  So: poll
 * until it shows (up to 5 s), then, 1.2 s later, every process must agree
 * (several checks on fresh connections). */
static void sf_expect_rule(const char *text, int want, int risk_too)
{
    double t0 = sf_now();
    char *why = NULL;
    int k;

    while (!sf_rule_ok(text, want, risk_too, NULL)) {
        ck_assert_msg(sf_now() - t0 < 5, "\"%s\": the rule change did not "
                      "take effect in 5 s (want %d)", text, want);
        usleep(100 * 1000);
    }
    usleep(1200 * 1000);
    for (k = 0; k < 6; k++) {
        int ok = sf_rule_ok(text, want, risk_too, &why);

        ck_assert_msg(ok, "\"%s\": the rule change is not in use in every "
                      "process 1.2 s later (want %d): %s", text, want, why);
        free(why);
    }
}

static void sf_rule_invalid(const char *body, long status, const char *code)
{
    it_resp *r = sf_post("/api/admin/compliance/rules", IT_ADMIN, body);

    it_assert_error(r, status, code);
    it_free(r);
}

START_TEST(safety_rules_admin)
{
    it_resp *r;
    json_t *rule;
    json_int_t id, v0, v1, v2, v3;
    char path[96];
    size_t i;
    int listed = 0;

    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    ck_assert_msg(r->status == 200, "rules: %ld %s", r->status,
                  r->status == 200 ? "" : r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "version"))
                  && json_array_size(json_object_get(r->json, "rules")) > 100,
                  "rules: version %lld, %zu rules", (long long)
                  json_integer_value(json_object_get(r->json, "version")),
                  json_array_size(json_object_get(r->json, "rules")));
    v0 = json_integer_value(json_object_get(r->json, "version"));
    it_free(r);

    /* Benign before the rule exists. */
    sf_expect_rule(SF_RULE_TEXT, 0, 1);

    r = sf_post("/api/admin/compliance/rules", IT_ADMIN,
                "{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":\"word\","
                "\"pattern\":\"marmalade\"}");
    ck_assert_msg(r->status == 201, "create: %ld %s", r->status, r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "id"))
                  && json_is_integer(json_object_get(r->json, "version")),
                  "create reply: %s", r->body);
    id = json_integer_value(json_object_get(r->json, "id"));
    v1 = json_integer_value(json_object_get(r->json, "version"));
    ck_assert_msg(v1 > v0, "version %lld after the create, was %lld",
                  (long long)v1, (long long)v0);
    it_free(r);

    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    json_array_foreach(json_object_get(r->json, "rules"), i, rule) {
        listed += json_integer_value(json_object_get(rule, "id")) == id
                  && sf_streq(sf_str(rule, "pattern"), "marmalade")
                  && json_is_true(json_object_get(rule, "enabled"))
                  && sf_streq(sf_str(rule, "updated_by"), "it-admin");
    }
    ck_assert_msg(listed == 1, "the new rule is not listed");
    it_free(r);

    sf_expect_rule(SF_RULE_TEXT, 1, 1);
    sf_expect_rule(SF_RULE_TEXT2, 1, 0);

    /* Disabled: no longer flags. */
    snprintf(path, sizeof(path), "/api/admin/compliance/rules/%lld",
             (long long)id);
    r = it_put_json(path, IT_ADMIN, "{\"category\":\"allergy\",\"lang\":"
                    "\"en\",\"kind\":\"word\",\"pattern\":\"marmalade\","
                    "\"enabled\":false}");
    ck_assert_msg(r->status == 200
                  && json_is_false(json_object_get(r->json, "enabled")),
                  "disable: %ld %s", r->status, r->body);
    v2 = json_integer_value(json_object_get(r->json, "version"));
    ck_assert_msg(v2 > v1, "version %lld after the update, was %lld",
                  (long long)v2, (long long)v1);
    it_free(r);
    sf_expect_rule(SF_RULE_TEXT, 0, 1);
    sf_expect_rule(SF_RULE_TEXT2, 0, 0);

    r = it_req("DELETE", path, IT_ADMIN, NULL, NULL, -1, NULL);
    ck_assert_msg(r->status == 200, "delete: %ld %s", r->status, r->body);
    v3 = json_integer_value(json_object_get(r->json, "version"));
    ck_assert_msg(v3 > v2, "version %lld after the delete, was %lld",
                  (long long)v3, (long long)v2);
    it_free(r);
    r = it_req("DELETE", path, IT_ADMIN, NULL, NULL, -1, NULL);
    it_assert_error(r, 404, "not_found");
    it_free(r);
    r = it_put_json(path, IT_ADMIN, "{\"category\":\"allergy\",\"lang\":"
                    "\"en\",\"kind\":\"word\",\"pattern\":\"marmalade\"}");
    it_assert_error(r, 404, "not_found");
    it_free(r);
    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    json_array_foreach(json_object_get(r->json, "rules"), i, rule) {
        ck_assert_msg(json_integer_value(json_object_get(rule, "id")) != id,
                      "the deleted rule is still listed");
    }
    ck_assert_msg(json_integer_value(json_object_get(r->json, "version"))
                  >= v3, "listed version below the delete's");
    it_free(r);

    /* Invalid rules: the rule compiler's verdict (422), JSON types (400). */
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":"
                    "\"regex\",\"pattern\":\"marm.*\"}", 422, "invalid_rule");
    sf_rule_invalid("{\"category\":\"nonsense\",\"lang\":\"en\",\"kind\":"
                    "\"word\",\"pattern\":\"marmalade\"}", 422,
                    "invalid_rule");
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":"
                    "\"word\",\"pattern\":\"\"}", 422, "invalid_rule");
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":"
                    "\"word\",\"pattern\":\"two\\nlines\"}", 422,
                    "invalid_rule");
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"xx\",\"kind\":"
                    "\"word\",\"pattern\":\"marmalade\"}", 422,
                    "invalid_rule");
    sf_rule_invalid("{\"category\":1,\"lang\":\"en\",\"kind\":\"word\","
                    "\"pattern\":\"marmalade\"}", 400, "invalid_body");
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":"
                    "\"word\",\"pattern\":\"marmalade\",\"enabled\":\"no\"}",
                    400, "invalid_body");
    sf_rule_invalid("{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":"
                    "\"word\"}", 400, "invalid_body");
    sf_rule_invalid("[\"allergy\",\"en\",\"word\",\"marmalade\"]", 400,
                    "invalid_body");

    /* Staff may check text but not see or edit the rules. */
    r = it_get("/api/admin/compliance/rules", IT_STAFF);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = sf_post("/api/admin/compliance/rules", IT_STAFF,
                "{\"category\":\"allergy\",\"lang\":\"en\",\"kind\":\"word\","
                "\"pattern\":\"marmalade\"}");
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = it_req("DELETE", "/api/admin/compliance/rules/1", IT_STAFF, NULL,
               NULL, -1, NULL);
    it_assert_error(r, 403, "forbidden");
    it_free(r);

    /* Unchanged by the refused requests. */
    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "version"))
                  == v3, "the version moved without a change");
    it_free(r);

    ck_assert_msg(sf_audit_has("safety.rule.create", id), "no "
                  "safety.rule.create audit entry");
    ck_assert_msg(sf_audit_has("safety.rule.update", id), "no "
                  "safety.rule.update audit entry");
    ck_assert_msg(sf_audit_has("safety.rule.delete", id), "no "
                  "safety.rule.delete audit entry");
}
END_TEST

/* The compliance-check and rules tests, in the order the group runs
 * them. */
void sf_add_rule_tests(TCase *tc)
{
    tcase_add_test(tc, safety_compliance_check);
    tcase_add_test(tc, safety_rules_admin);
}

/* ---- the locked rules and the degraded gate (issue 11) ------------------ */

/* The locked rules: built into the module, listed with negative ids, never
 * changed, deleted or copied through the API; they apply to every check. */
START_TEST(safety_locked_rules)
{
    json_int_t v0, first = 0;
    json_t *rule, *o, *m;
    it_resp *r;
    char path[96], *body;
    size_t i;
    int locked = 0, editable = 0, emergency_db = 0, hit = 0;

    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    ck_assert_msg(r->status == 200, "rules: %ld", r->status);
    v0 = json_integer_value(json_object_get(r->json, "version"));
    json_array_foreach(json_object_get(r->json, "rules"), i, rule) {
        json_int_t id = json_integer_value(json_object_get(rule, "id"));

        if (json_is_true(json_object_get(rule, "locked"))) {
            ck_assert_msg(id == -(json_int_t)(locked + 1),
                          "locked rule %zu has id %lld", i, (long long)id);
            ck_assert_msg(sf_streq(sf_str(rule, "category"), "emergency")
                          || (sf_streq(sf_str(rule, "category"), "*")
                              && sf_streq(sf_str(rule, "kind"), "negator")),
                          "a locked rule that is neither an emergency rule "
                          "nor a '*' negator: %s",
                          json_dumps(rule, JSON_COMPACT));
            ck_assert_msg(locked == (int)i, "locked rules are not listed "
                          "first");
            locked++;
        }
        else {
            ck_assert_msg(json_is_false(json_object_get(rule, "locked"))
                          && id > 0, "an editable rule: %s",
                          json_dumps(rule, JSON_COMPACT));
            editable++;
            emergency_db += sf_streq(sf_str(rule, "category"), "emergency");
        }
    }
    ck_assert_msg(locked > 1000 && editable > 1000, "%d locked and %d "
                  "editable rules listed", locked, editable);
    /* The seed stores only the editable part. */
    ck_assert_msg(emergency_db == 0, "%d emergency rules in the database",
                  emergency_db);
    rule = json_array_get(json_object_get(r->json, "rules"), 5);
    first = json_integer_value(json_object_get(rule, "id"));
    o = json_pack("{s:s, s:s, s:s, s:s}", "category",
                  sf_str(rule, "category"), "lang", sf_str(rule, "lang"),
                  "kind", sf_str(rule, "kind"), "pattern",
                  sf_str(rule, "pattern"));
    body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    it_free(r);

    /* Neither changed nor deleted; an attacker's copy is refused too. */
    snprintf(path, sizeof(path), "/api/admin/compliance/rules/%lld",
             (long long)first);
    r = it_put_json(path, IT_ADMIN, "{\"category\":\"emergency\",\"lang\":"
                    "\"en\",\"kind\":\"word\",\"pattern\":\"zzzz\","
                    "\"enabled\":false}");
    it_assert_error(r, 403, "rule_locked");
    it_free(r);
    r = it_req("DELETE", path, IT_ADMIN, "application/json", NULL, -1,
               NULL);
    it_assert_error(r, 403, "rule_locked");
    it_free(r);
    r = sf_post("/api/admin/compliance/rules", IT_ADMIN, body);
    it_assert_error(r, 409, "rule_locked");
    it_free(r);
    free(body);
    /* Out of the locked range: the ordinary 400. */
    r = it_req("DELETE", "/api/admin/compliance/rules/-999999", IT_ADMIN,
               "application/json", NULL, -1, NULL);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/compliance/rules", IT_ADMIN);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "version"))
                  == v0 && json_array_size(json_object_get(r->json, "rules"))
                  == (size_t)(locked + editable), "a refused change "
                  "changed the rules");
    it_free(r);

    /* A match of a locked rule names it. */
    o = sf_check(SF_M_EMERG1);
    ck_assert_msg(json_is_true(json_object_get(o, "emergency")), "%s",
                  json_dumps(o, JSON_COMPACT));
    json_array_foreach(json_object_get(o, "matches"), i, m) {
        hit |= sf_streq(sf_str(m, "category"), "emergency")
               && sf_streq(sf_str(m, "source"), "rule")
               && json_integer_value(json_object_get(m, "rule_id")) < 0;
    }
    ck_assert_msg(hit, "no locked rule named in %s",
                  json_dumps(o, JSON_COMPACT));
    json_decref(o);
}
END_TEST

/* Puts the editable rules back if a test left them out (also the
 * group's teardown, so that a failed test cannot leave the gate
 * degraded for the groups after it). */
void sf_rules_restore(void)
{
    int ok = 0;
    char *out = it_sql_try(&ok, "SELECT to_regclass('it_rules_backup') IS "
                           "NOT NULL");

    if (ok && out && !strcmp(out, "t")) {
        free(it_sql_try(NULL, "BEGIN; DELETE FROM risk_rules; INSERT INTO "
                        "risk_rules SELECT * FROM it_rules_backup; DROP "
                        "TABLE it_rules_backup; UPDATE safety_state SET "
                        "version = version + 1; COMMIT;"));
    }
    free(out);
}

static it_resp *sf_health_after_change(long want)
{
    it_resp *r = NULL;
    int i;

    /* Each process looks at the rules' version at most once a second. */
    usleep(1200 * 1000);
    for (i = 0; i < 20; i++) {
        r = it_get("/api/health", NULL);
        if (r->status == want) {
            return r;
        }
        it_free(r);
        usleep(250 * 1000);
    }
    r = it_get("/api/health", NULL);
    ck_assert_msg(r->status == want, "health: %ld, expected %ld: %s",
                  r->status, want, r->body);
    return r;
}

static void sf_expect_degraded(const char *why)
{
    it_resp *r = sf_health_after_change(503);
    json_t *rr;

    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "degraded")
                  && sf_str(r->json, "reason")
                  && strstr(sf_str(r->json, "reason"), why)
                  && json_is_false(json_object_get(r->json, "ready"))
                  && it_header(r, "Retry-After"),
                  "degraded health: %s", r->body);
    it_assert_error(r, 503, "safety_degraded");
    it_free(r);
    r = it_get("/api/admin/health", IT_ADMIN);
    rr = json_object_get(r->json, "risk_rules");
    ck_assert_msg(r->status == 200
                  && sf_streq(sf_str(r->json, "status"), "degraded")
                  && strstr(sf_str(r->json, "reason"), why)
                  && json_is_true(json_object_get(rr, "degraded"))
                  && json_integer_value(json_object_get(rr, "locked")) > 1000
                  && json_integer_value(json_object_get(rr, "editable")) == 0,
                  "admin health: %s", r->body);
    it_free(r);
}

/* Every message to staff while degraded: the benign one escalated with
 * the holding reply, the emergency with the call instruction first. */
static void sf_expect_all_escalated(void)
{
    it_resp *r = sf_chat(NULL, SF_M_PARK2);
    json_t *a;

    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "escalated")
                  && json_array_size(json_object_get(r->json, "sources")) == 0
                  && sf_has_string(json_object_get(json_object_get(
                         r->json, "risk"), "categories"), "unscreened"),
                  "degraded gate answered a benign question: %s", r->body);
    it_free(r);
    r = sf_chat(NULL, "I have chest pain and cannot breathe");
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "emergency")
                  && sf_streq(sf_str(a, "type"), "call_emergency"),
                  "degraded gate, emergency: %s", r->body);
    it_free(r);
}

START_TEST(safety_degraded_without_rules)
{
    it_resp *r;
    char *log;

    r = sf_health_after_change(200);
    it_free(r);

    /* An install with no editable rules (the database seeded without
     * them, or every one deleted). */
    it_sql_exec("BEGIN; CREATE TABLE it_rules_backup AS SELECT * FROM "
                "risk_rules; DELETE FROM risk_rules; UPDATE safety_state SET "
                "version = version + 1; COMMIT;");
    sf_expect_degraded("no editable risk rule is enabled");
    sf_expect_all_escalated();
    sf_rules_restore();
    r = sf_health_after_change(200);
    it_free(r);
    r = sf_chat(NULL, SF_M_PARK2);
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "answered"),
                  "rules back, the question is not answered: %s", r->body);
    it_free(r);

    /* Editable rules that do not compile (written by SQL, past the API's
     * check): the locked ones alone, degraded, until they are fixed. */
    it_sql_exec("BEGIN; INSERT INTO risk_rules (category, lang, kind, "
                "pattern, updated_by) VALUES ('no_such_category', 'en', "
                "'word', 'zzzz', 'it'); UPDATE safety_state SET version = "
                "version + 1; COMMIT;");
    sf_expect_degraded("do not compile");
    sf_expect_all_escalated();
    it_sql_exec("BEGIN; DELETE FROM risk_rules WHERE category = "
                "'no_such_category'; UPDATE safety_state SET version = "
                "version + 1; COMMIT;");
    r = sf_health_after_change(200);
    it_free(r);

    /* The operator is told, without any patient's words. */
    log = it_log_read();
    ck_assert_msg(log && strstr(log, "CC01009")
                  && strstr(log, "no editable risk rule is enabled")
                  && !strstr(log, "chest pain"),
                  "error log: %.3000s", log ? log : "(none)");
    free(log);
}
END_TEST

/* After safety_log_clean: these log the degraded gate at error on
 * purpose. */
void sf_add_locked_tests(TCase *tc)
{
    tcase_add_test(tc, safety_locked_rules);
    tcase_add_test(tc, safety_degraded_without_rules);
}
