/*
 * test_security_privacy.c - less patient data leaves the clinic (issue 12
 * item 8), through the real server; part of the `security` suite.
 *
 *   privacy               idle conversations expire (not while staff hold
 *                         them); retention deletes or empties old chat
 *                         logs, bounded per step, the audit chain intact
 *   privacy chat log off  ConciergeChatLog Off: the bot stays silent in an
 *                         escalated conversation; retention bounded
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

/* ---- privacy ------------------------------------------------------------- */

#define PV_RISKY   "I'm pregnant, can I have anti-wrinkle injections?"
#define PV_PARK    "Where can I park my car?"
#define PV_HOURS   "What are your opening hours?"

static char pv_canary[96];      /* in patient messages that must not stay */

/* POST /api/chat, asserted 200; the reply. */
static it_resp *pv_chat(const char *token, const char *msg)
{
    json_t *o = json_pack("{s:s}", "message", msg);
    char *body;
    it_resp *r;

    if (token) {
        json_object_set_new(o, "session_id", json_string(token));
    }
    body = json_dumps(o, JSON_COMPACT);
    r = it_req("POST", "/api/chat", NULL, "application/json", body, -1,
               NULL);
    free(body);
    json_decref(o);
    ck_assert_msg(r->status == 200, "chat: %ld %s", r->status, r->body);
    return r;
}

static const char *pv_str(it_resp *r, const char *key)
{
    const char *v = json_string_value(json_object_get(r->json, key));

    ck_assert_msg(v != NULL, "no %s in %s", key, r->body);
    return v;
}

static char *pv_token(it_resp *r)
{
    return strdup(pv_str(r, "session_id"));
}

/* GET /api/chat with the token in X-Chat-Token. */
static it_resp *pv_read(const char *token)
{
    char h[128];
    const char *hdrs[] = { h, NULL };

    snprintf(h, sizeof(h), "X-Chat-Token: %s", token);
    return it_req("GET", "/api/chat", NULL, NULL, NULL, -1, hdrs);
}

/* The conversation stored under a token, or 0. */
static long pv_conv(const char *token)
{
    return it_sql_num("SELECT coalesce((SELECT id FROM conversations WHERE "
                      "session_hash = encode(sha256(convert_to('%s', "
                      "'UTF8')), 'hex')), 0)", token);
}

/* The conversation's last message `ago` (an SQL interval) ago. */
static void pv_idle(long conv, const char *ago)
{
    it_sql_exec("UPDATE conversations SET last_message_at = now() - "
                "interval '%s' WHERE id = %ld", ago, conv);
}

/* Everything of a conversation `ago` old. */
static void pv_age(long conv, const char *ago)
{
    it_sql_exec("UPDATE conversations SET created_at = now() - interval "
                "'%s', last_message_at = now() - interval '%s' WHERE id = "
                "%ld; UPDATE messages SET created_at = now() - interval '%s' "
                "WHERE conversation_id = %ld", ago, ago, conv, ago, conv);
}

static void pv_resolve(long esc)
{
    char path[96];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/escalations/%ld/resolve", esc);
    r = it_req("POST", path, IT_ADMIN, "application/json",
               "{\"outcome\":\"called back\"}", -1, NULL);
    ck_assert_msg(r->status == 200, "resolve: %ld %s", r->status, r->body);
    it_free(r);
}

static long pv_messages(it_resp *g)
{
    json_t *m = json_object_get(g->json, "messages");

    ck_assert_msg(g->status == 200 && json_is_array(m), "GET /api/chat: "
                  "%ld %s", g->status, g->body);
    return (long)json_array_size(m);
}

/* Idle past ConciergeChatIdleExpiry (2h): the token reads 404 and a new
 * message starts a new conversation under a new token; idle less, it
 * continues.  (The default, 24h, would not expire either.) */
START_TEST(privacy_idle_expiry)
{
    it_resp *r = pv_chat(NULL, PV_PARK), *g;
    char *tok = pv_token(r), *tok2;
    long conv = pv_conv(tok), conv2, n;

    it_free(r);
    ck_assert_msg(conv > 0, "conversation not stored");
    pv_idle(conv, "1 hour");
    g = pv_read(tok);
    ck_assert_int_eq(pv_messages(g), 2);
    it_free(g);
    r = pv_chat(tok, PV_HOURS);
    ck_assert_str_eq(pv_str(r, "session_id"), tok);
    it_free(r);

    pv_idle(conv, "3 hours");
    g = pv_read(tok);
    it_assert_error(g, 404, "session_not_found");
    it_free(g);
    n = it_sql_num("SELECT messages FROM conversations WHERE id = %ld", conv);
    r = pv_chat(tok, PV_HOURS);
    tok2 = pv_token(r);
    it_free(r);
    ck_assert_msg(strcmp(tok, tok2) != 0, "an expired conversation was "
                  "continued under its old token");
    conv2 = pv_conv(tok2);
    ck_assert_msg(conv2 > 0 && conv2 != conv, "no new conversation (%ld, "
                  "old %ld)", conv2, conv);
    ck_assert_int_eq(it_sql_num("SELECT messages FROM conversations WHERE "
                                "id = %ld", conv), n);
    g = pv_read(tok2);
    ck_assert_int_eq(pv_messages(g), 2);
    it_free(g);
    g = pv_read(tok);
    it_assert_error(g, 404, "session_not_found");
    it_free(g);
    free(tok);
    free(tok2);
}
END_TEST

/* A conversation staff have not resolved never expires under the
 * patient; once resolved, it expires like any other. */
START_TEST(privacy_escalated_not_expired)
{
    it_resp *r = pv_chat(NULL, PV_RISKY), *g;
    char *tok = pv_token(r), *tok2;
    long esc, conv = pv_conv(tok);

    ck_assert_str_eq(pv_str(r, "status"), "escalated");
    esc = (long)json_integer_value(json_object_get(r->json, "escalation_id"));
    it_free(r);
    ck_assert_msg(conv > 0 && esc > 0, "no escalation");
    pv_idle(conv, "3 hours");
    g = pv_read(tok);
    ck_assert_int_eq(pv_messages(g), 2);
    it_free(g);
    r = pv_chat(tok, PV_PARK);
    ck_assert_str_eq(pv_str(r, "session_id"), tok);
    ck_assert_str_eq(pv_str(r, "status"), "escalated");
    it_free(r);

    pv_resolve(esc);
    pv_idle(conv, "3 hours");
    g = pv_read(tok);
    it_assert_error(g, 404, "session_not_found");
    it_free(g);
    r = pv_chat(tok, PV_PARK);
    tok2 = pv_token(r);
    ck_assert_msg(strcmp(tok, tok2) != 0, "an expired, resolved "
                  "conversation was continued");
    it_free(r);
    free(tok);
    free(tok2);
}
END_TEST

static long pv_retention_audits(void)
{
    return it_sql_num("SELECT (SELECT count(*) FROM audit_log WHERE action = "
                      "'chat.retention') + (SELECT count(*) FROM "
                      "audit_pending WHERE action = 'chat.retention')");
}

/* ConciergeRetentionDays 30: the job (a ticker in every child) deletes a
 * routine conversation older than that with its messages; empties one an
 * escalation refers to (the escalation, its message reference and its
 * audit entries stay; the risk matches lose the words); leaves a recent
 * one and an old one whose escalation is still open; audits its counts;
 * and the audit chain still verifies. */
START_TEST(privacy_retention)
{
    char msg[256], *old_tok, *esc_tok, *open_tok, *new_tok;
    long old_conv, esc_conv, open_conv, new_conv, esc, n_esc_msgs;
    it_resp *r;
    int i;

    snprintf(msg, sizeof(msg), "Where can I park? %s", pv_canary);
    r = pv_chat(NULL, msg);
    old_tok = pv_token(r);
    it_free(r);
    r = pv_chat(old_tok, PV_HOURS);
    it_free(r);
    snprintf(msg, sizeof(msg), "%s %s", PV_RISKY, pv_canary);
    r = pv_chat(NULL, msg);
    esc_tok = pv_token(r);
    esc = (long)json_integer_value(json_object_get(r->json, "escalation_id"));
    it_free(r);
    ck_assert_msg(esc > 0, "no escalation");
    r = pv_chat(esc_tok, PV_PARK);
    it_free(r);
    pv_resolve(esc);
    r = pv_chat(NULL, PV_RISKY);
    open_tok = pv_token(r);
    it_free(r);
    r = pv_chat(NULL, PV_PARK);
    new_tok = pv_token(r);
    it_free(r);
    old_conv = pv_conv(old_tok);
    esc_conv = pv_conv(esc_tok);
    open_conv = pv_conv(open_tok);
    new_conv = pv_conv(new_tok);
    ck_assert_msg(old_conv > 0 && esc_conv > 0 && open_conv > 0
                  && new_conv > 0, "conversations not stored");
    n_esc_msgs = it_sql_num("SELECT count(*) FROM messages WHERE "
                            "conversation_id = %ld", esc_conv);
    ck_assert_msg(it_sql_num("SELECT count(*) FROM escalations, "
                             "jsonb_array_elements(matches) m WHERE id = %ld "
                             "AND m ? 'text'", esc) > 0,
                  "the risk matches hold no words to remove");

    pv_age(old_conv, "40 days");
    pv_age(esc_conv, "40 days");
    pv_age(open_conv, "40 days");
    for (i = 0; i < 60; i++) {
        if (it_sql_num("SELECT count(*) FROM conversations WHERE id = %ld",
                       old_conv) == 0
            && it_sql_num("SELECT count(*) FROM conversations WHERE id = %ld "
                          "AND purged_at IS NOT NULL", esc_conv) == 1) {
            break;
        }
        usleep(500 * 1000);
    }
    /* The routine conversation is gone, messages and all. */
    ck_assert_msg(i < 60, "the retention job did not run within 30 s");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE "
                                "conversation_id = %ld", old_conv), 0);
    /* The escalated one is a shell without text. */
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE "
                                "conversation_id = %ld AND body = ''",
                                esc_conv), n_esc_msgs);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE body "
                                "LIKE '%%%s%%'", pv_canary), 0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM escalations e JOIN "
                                "messages m ON m.id = e.message_id AND "
                                "m.conversation_id = e.conversation_id "
                                "WHERE e.id = %ld", esc), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM escalations, "
                                "jsonb_array_elements(matches) m WHERE id = "
                                "%ld AND m ? 'text'", esc), 0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM escalations WHERE "
                                "matches::text LIKE '%%%s%%'", pv_canary), 0);
    /* Neither token finds anything. */
    r = pv_read(old_tok);
    it_assert_error(r, 404, "session_not_found");
    it_free(r);
    r = pv_read(esc_tok);
    it_assert_error(r, 404, "session_not_found");
    it_free(r);
    /* Staff still see the escalation. */
    snprintf(msg, sizeof(msg), "/api/admin/escalations/%ld", esc);
    r = it_get(msg, IT_ADMIN);
    ck_assert_msg(r->status == 200, "escalation read: %ld %s", r->status,
                  r->body);
    it_free(r);
    /* Open escalation and recent conversation untouched. */
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE "
                                "conversation_id = %ld AND body <> ''",
                                open_conv), 2);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE "
                                "conversation_id = %ld AND body <> ''",
                                new_conv), 2);
    r = pv_read(new_tok);
    ck_assert_int_eq(pv_messages(r), 2);
    it_free(r);

    /* Audited with counts, no text; the chain verifies. */
    ck_assert_msg(pv_retention_audits() >= 1, "the retention run is not "
                  "audited");
    ck_assert_int_eq(it_sql_num("SELECT (SELECT count(*) FROM audit_log "
                                "WHERE detail LIKE '%%%s%%') + (SELECT "
                                "count(*) FROM audit_pending WHERE detail "
                                "LIKE '%%%s%%')", pv_canary, pv_canary), 0);
    r = it_get("/api/admin/audit/verify", IT_ADMIN);
    ck_assert_msg(r->status == 200 && json_is_true(json_object_get(r->json,
                                                                   "ok")),
                  "audit verify after retention: %ld %s", r->status,
                  r->body);
    it_free(r);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM audit_log WHERE action "
                                "= 'chat.retention' AND (detail::jsonb ->> "
                                "'deleted')::int + (detail::jsonb ->> "
                                "'emptied')::int > 0"),
                     pv_retention_audits());
    free(old_tok);
    free(esc_tok);
    free(open_tok);
    free(new_tok);
}
END_TEST

/* A step takes at most its limit, a second run changes nothing, and a run
 * that changed nothing is not audited (retention is Off in this group, so
 * no ticker runs alongside). */
START_TEST(privacy_retention_bounded)
{
    long audits = pv_retention_audits(), i;
    char *out;

    for (i = 0; i < 3; i++) {
        it_sql_exec("WITH c AS (INSERT INTO conversations (session_hash, "
                    "created_at, last_message_at, messages) VALUES "
                    "(encode(sha256(convert_to('pv-bounded-%ld-%ld', "
                    "'UTF8')), 'hex'), now() - interval '50 days', now() - "
                    "interval '50 days', 1) RETURNING id) INSERT INTO "
                    "messages (conversation_id, role, body) SELECT id, "
                    "'patient', 'old text' FROM c", (long)getpid(), i);
    }
    out = it_sql("SELECT concierge_chat_retention(45, 2)->>'deleted'");
    ck_assert_str_eq(out, "2");
    free(out);
    out = it_sql("SELECT concierge_chat_retention(45, 2)->>'deleted'");
    ck_assert_str_eq(out, "1");
    free(out);
    out = it_sql("SELECT concierge_chat_retention(45, 2)->>'deleted'");
    ck_assert_str_eq(out, "0");
    free(out);
    ck_assert_int_eq(pv_retention_audits(), audits + 2);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE body = "
                                "'old text'"), 0);
}
END_TEST

/* ConciergeChatLog Off: nothing of a routine turn is kept, but once a
 * message is escalated the conversation is stored from that message on;
 * the bot stays silent in it until staff resolve it, and the later
 * messages are kept for staff. */
START_TEST(privacy_nolog_escalated_silent)
{
    char msg[256], *tok;
    it_resp *r, *g;
    long esc;

    snprintf(msg, sizeof(msg), "Where can I park? %s", pv_canary);
    r = pv_chat(NULL, msg);
    tok = pv_token(r);
    it_free(r);
    ck_assert_int_eq(pv_conv(tok), 0);

    r = pv_chat(tok, PV_RISKY);
    ck_assert_str_eq(pv_str(r, "status"), "escalated");
    ck_assert_str_eq(pv_str(r, "session_id"), tok);
    esc = (long)json_integer_value(json_object_get(r->json, "escalation_id"));
    it_free(r);
    ck_assert_msg(esc > 0 && pv_conv(tok) > 0, "escalation not stored");

    /* Staff have it: the bot does not answer. */
    r = pv_chat(tok, PV_HOURS);
    ck_assert_msg(!strcmp(pv_str(r, "status"), "escalated")
                  && json_integer_value(json_object_get(r->json,
                                                        "escalation_id"))
                     == esc,
                  "the bot answered in an escalated conversation with "
                  "ConciergeChatLog Off: %s", r->body);
    it_free(r);
    g = pv_read(tok);
    ck_assert_int_eq(pv_messages(g), 3);
    ck_assert_msg(!strstr(g->body, pv_canary), "a routine message before "
                  "the escalation was kept: %s", g->body);
    it_free(g);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM messages WHERE body "
                                "LIKE '%%%s%%'", pv_canary), 0);

    /* Resolved: the bot answers again, and the conversation stays whole
     * for staff (every later message). */
    pv_resolve(esc);
    r = pv_chat(tok, PV_HOURS);
    ck_assert_msg(strcmp(pv_str(r, "status"), "escalated") != 0,
                  "the bot is still silent after resolve: %s", r->body);
    ck_assert_str_eq(pv_str(r, "session_id"), tok);
    it_free(r);
    g = pv_read(tok);
    ck_assert_int_eq(pv_messages(g), 5);
    it_free(g);
    free(tok);
}
END_TEST

START_TEST(privacy_log_clean)
{
    static const char *const allowed[] = { NULL };
    char *bad = it_log_unexpected(allowed), *log = it_log_read();

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
    ck_assert_msg(!strstr(log, pv_canary), "the canary is in the error "
                  "log:\n%.3000s", log);
    free(log);
}
END_TEST

static void privacy_setup(void)
{
    snprintf(pv_canary, sizeof(pv_canary), "PVCANARY%ldXQ", (long)getpid());
    it_httpd_start("ConciergeRateLimit chat 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n"
                   "ConciergeChatIdleExpiry 2h\n"
                   "ConciergeRetentionDays 30\n", 2, 8);
}

static void privacy_nolog_setup(void)
{
    snprintf(pv_canary, sizeof(pv_canary), "PVCANARY%ldXN", (long)getpid());
    it_httpd_start("ConciergeRateLimit chat 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n"
                   "ConciergeChatLog Off\n", 2, 8);
}


static void pv_teardown(void)
{
    it_httpd_stop();
}

void it_security_privacy_tcases(Suite *s)
{
    TCase *tc = tcase_create("privacy");

    tcase_add_unchecked_fixture(tc, privacy_setup, pv_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, privacy_idle_expiry);
    tcase_add_test(tc, privacy_escalated_not_expired);
    tcase_add_test(tc, privacy_retention);
    tcase_add_test(tc, privacy_log_clean);
    suite_add_tcase(s, tc);

    tc = tcase_create("privacy chat log off");
    tcase_add_unchecked_fixture(tc, privacy_nolog_setup, pv_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, privacy_nolog_escalated_silent);
    tcase_add_test(tc, privacy_retention_bounded);
    tcase_add_test(tc, privacy_log_clean);
    suite_add_tcase(s, tc);
}
