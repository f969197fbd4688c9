/*
 * test_chat.c - the patient chat and the staff chat logs through the API:
 * extractive answers grounded in the sample knowledge, "no answer" with an
 * offer of staff for off-topic questions, session continuity, the body
 * edge cases of POST /api/chat (nothing stored on refusal), the staff
 * conversation list and reads (each read audited), and a PHI canary that
 * must never reach the error log.  No LLM is configured in this group.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "harness.h"

#define CH_PARK "Where can I park my car?"
#define CH_OFF1 "What is the capital of France?"
#define CH_OFF2 "Who won the football last night?"
#define CH_HOURS "What are your opening hours?"
#define CH_BADGE "Do you have blue badge parking?"
#define CH_UNKNOWN_SID "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"   /* 43 */

/* Set by the unchecked fixture (parent process), so every forked test and
 * the final log check share it. */
static char ch_canary[128];

/* ---- helpers ------------------------------------------------------------- */

static const char *ch_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* "%XX" everything but unreserved characters (so spaces become %20). */
static char *ch_urlenc(const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
            || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
            *o++ = (char)ch;
        }
        else {
            *o++ = '%';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        }
    }
    *o = '\0';
    return out;
}

static it_resp *ch_post_raw(const char *body, long len)
{
    return it_req("POST", "/api/chat", NULL, "application/json", body, len,
                  NULL);
}

/* POST /api/chat {"message": msg, "session_id"?: sid}. */
static it_resp *ch_post(const char *msg, const char *sid)
{
    json_t *o = json_pack("{s:s}", "message", msg);
    char *body;
    it_resp *r;

    if (sid) {
        json_object_set_new(o, "session_id", json_string(sid));
    }
    body = json_dumps(o, JSON_COMPACT);
    r = ch_post_raw(body, -1);
    free(body);
    json_decref(o);
    return r;
}

static int ch_valid_sid(const char *s)
{
    size_t i;

    if (!s || strlen(s) != 43) {
        return 0;
    }
    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Asserts the common shape of a 200 chat reply and its status. */
static void ch_assert_reply(it_resp *r, const char *what, const char *status)
{
    const char *st, *reply;

    ck_assert_msg(r->status == 200, "%s: status %ld, body %s", what,
                  r->status, r->body);
    ck_assert_msg(json_is_object(r->json), "%s: not a JSON object: %s", what,
                  r->body);
    ck_assert_msg(ch_valid_sid(ch_str(r->json, "session_id")),
                  "%s: session_id is not 43 characters of [A-Za-z0-9_-]: %s",
                  what, r->body);
    st = ch_str(r->json, "status");
    ck_assert_msg(st && !strcmp(st, status), "%s: status %s, expected %s: %s",
                  what, st ? st : "(none)", status, r->body);
    reply = ch_str(r->json, "reply");
    ck_assert_msg(reply && *reply, "%s: empty or missing reply: %s", what,
                  r->body);
    ck_assert_msg(json_is_array(json_object_get(r->json, "sources")),
                  "%s: sources is not an array: %s", what, r->body);
}

/* What the chat log holds, to prove a refused request stored nothing. */
static char *ch_snapshot(void)
{
    return it_sql_try(NULL, "SELECT (SELECT count(*) FROM messages) || ' ' || "
                      "(SELECT count(*) FROM conversations) || ' ' || (SELECT "
                      "coalesce(max(id), 0) FROM messages)");
}

/* GET /api/admin/conversations?<query> as staff, asserted 200. */
static it_resp *ch_list(const char *query)
{
    char path[512];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/conversations%s%s",
             query && *query ? "?" : "", query ? query : "");
    r = it_get(path, IT_STAFF);
    ck_assert_msg(r->status == 200, "GET %s: status %ld, body %s", path,
                  r->status, r->body);
    ck_assert_msg(json_is_array(json_object_get(r->json, "conversations")),
                  "GET %s: no conversations array in %s", path, r->body);
    ck_assert_msg(json_object_get(r->json, "next_before") != NULL,
                  "GET %s: no next_before in %s", path, r->body);
    return r;
}

static json_t *ch_convs(it_resp *r)
{
    return json_object_get(r->json, "conversations");
}

static json_t *ch_find_conv(it_resp *r, json_int_t id)
{
    json_t *a = ch_convs(r), *e;
    size_t i;

    json_array_foreach(a, i, e) {
        if (json_integer_value(json_object_get(e, "id")) == id) {
            return e;
        }
    }
    return NULL;
}

/* ---- answers ------------------------------------------------------------- */

START_TEST(chat_answered_extractive)
{
    it_resp *r = ch_post(CH_PARK, NULL), *s;
    json_t *sources, *src, *hit;
    const char *reply;
    char *q, path[1024];
    size_t i, j, plen;
    int found = 0;

    ch_assert_reply(r, "parking question", "answered");
    sources = json_object_get(r->json, "sources");
    ck_assert_msg(json_array_size(sources) > 0, "answered without sources: "
                  "%s", r->body);
    json_array_foreach(sources, i, src) {
        ck_assert_msg(ch_str(src, "id") && *ch_str(src, "id")
                      && ch_str(src, "title") && *ch_str(src, "title")
                      && json_is_number(json_object_get(src, "score")),
                      "source %zu lacks id/title/score: %s", i, r->body);
        /* The section itself, for the page's expandable source. */
        ck_assert_msg(ch_str(src, "text") && strlen(ch_str(src, "text")) > 20,
                      "source %zu without its text: %s", i, r->body);
    }
    ck_assert_msg(json_object_get(r->json, "actions") == NULL
                  || json_is_array(json_object_get(r->json, "actions")),
                  "actions is not an array: %s", r->body);

    /* Extractive: the reply's opening is copied from a cited source. */
    reply = ch_str(r->json, "reply");
    plen = strlen(reply) < 40 ? strlen(reply) : 40;
    q = ch_urlenc(CH_PARK);
    snprintf(path, sizeof(path), "/api/admin/knowledge/search?q=%s&k=5", q);
    free(q);
    s = it_get(path, IT_ADMIN);
    ck_assert_msg(s->status == 200 && json_is_array(s->json),
                  "search: status %ld, body %s", s->status, s->body);
    json_array_foreach(sources, i, src) {
        json_array_foreach(s->json, j, hit) {
            const char *text = ch_str(hit, "text");

            if (!strcmp(ch_str(hit, "id"), ch_str(src, "id")) && text
                && memmem(text, strlen(text), reply, plen)) {
                found = 1;
            }
        }
    }
    ck_assert_msg(found, "the reply's first %zu bytes are in no cited "
                  "source's text.\nreply: %s\nsources: %s\nsearch: %s", plen,
                  reply, r->body, s->body);
    it_free(s);
    it_free(r);
}
END_TEST

/* Regression: "Who won the football last night?" was once answered with
 * the dermal-filler aftercare chunk (BM25 4.52 over the 3.0 threshold on
 * the common words "last" and "night" alone); an off-topic question must
 * get no_answer and the offer of staff. */
START_TEST(chat_off_topic_no_answer)
{
    static const char *const msgs[] = { CH_OFF1, CH_OFF2 };
    size_t i, k;

    for (i = 0; i < 2; i++) {
        it_resp *r = ch_post(msgs[i], NULL);
        json_t *actions, *a;
        int staff = 0;
        char what[160];

        snprintf(what, sizeof(what), "off-topic \"%s\"", msgs[i]);
        ch_assert_reply(r, what, "no_answer");
        ck_assert_msg(json_array_size(json_object_get(r->json, "sources"))
                      == 0, "%s: no_answer with sources: %s", msgs[i],
                      r->body);
        actions = json_object_get(r->json, "actions");
        ck_assert_msg(json_is_array(actions), "%s: no actions array: %s",
                      msgs[i], r->body);
        json_array_foreach(actions, k, a) {
            const char *t = ch_str(a, "type");

            staff |= t && !strcmp(t, "contact_staff");
        }
        ck_assert_msg(staff, "%s: no contact_staff action: %s", msgs[i],
                      r->body);
        it_free(r);
    }
}
END_TEST

/* "Ask our team" after a no_answer: the question goes to a person, as an
 * escalation of its own kind (not a health one), and the bot then leaves
 * the conversation to staff. */
START_TEST(chat_ask_team)
{
    it_resp *r = ch_post(CH_OFF1, NULL), *e;
    char *sid, *body;
    json_t *o, *list, *x;
    size_t i;
    int found = 0;

    ch_assert_reply(r, "off-topic", "no_answer");
    sid = strdup(ch_str(r->json, "session_id"));
    it_free(r);
    r = ch_post_raw("{\"message\":\"x\",\"to_staff\":\"yes\"}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    o = json_pack("{s:s, s:s, s:b}", "session_id", sid, "message",
                  "Please pass my question to your team: " CH_OFF1,
                  "to_staff", 1);
    body = json_dumps(o, JSON_COMPACT);
    r = ch_post_raw(body, -1);
    ch_assert_reply(r, "asked for the team", "escalated");
    ck_assert_msg(strstr(ch_str(r->json, "reply"), "passed your question to "
                         "our team") && !strstr(ch_str(r->json, "reply"),
                                                "health"),
                  "holding reply: %s", ch_str(r->json, "reply"));
    e = it_get("/api/admin/escalations?status=open", IT_STAFF);
    ck_assert_int_eq(e->status, 200);
    list = json_object_get(e->json, "escalations");
    json_array_foreach(list, i, x) {
        json_t *cats = json_object_get(x, "categories");

        if (json_integer_value(json_object_get(x, "id"))
            == json_integer_value(json_object_get(r->json, "escalation_id"))) {
            found = json_array_size(cats) == 1
                    && !strcmp(json_string_value(json_array_get(cats, 0)),
                               "patient_request");
        }
    }
    ck_assert_msg(found, "no patient_request escalation for staff: %s",
                  e->body);
    it_free(e);
    it_free(r);
    /* The bot is silent in it now: staff answer. */
    r = ch_post("What are your opening hours?", sid);
    ch_assert_reply(r, "after the hand-over", "escalated");
    it_free(r);
    json_decref(o);
    free(body);
    free(sid);
}
END_TEST

/* ---- sessions ------------------------------------------------------------ */

START_TEST(chat_session_continuity)
{
    static const char *const sent[] = { CH_HOURS, CH_PARK };
    it_resp *r1, *r2, *g;
    char *sid, path[256];
    json_t *msgs, *m;
    size_t i;

    r1 = ch_post(CH_HOURS, NULL);
    ch_assert_reply(r1, "first message", "answered");
    sid = strdup(ch_str(r1->json, "session_id"));
    r2 = ch_post(CH_PARK, sid);
    ch_assert_reply(r2, "second message", "answered");
    ck_assert_msg(!strcmp(ch_str(r2->json, "session_id"), sid),
                  "the session changed: %s then %s", sid,
                  ch_str(r2->json, "session_id"));

    /* The token travels in a header, never in the URL. */
    snprintf(path, sizeof(path), "X-Chat-Token: %s", sid);
    {
        const char *hdrs[] = { path, NULL };

        g = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, hdrs);
    }
    ck_assert_msg(g->status == 200 && json_is_object(g->json),
                  "GET /api/chat: status %ld, body %s", g->status, g->body);
    ck_assert_msg(ch_str(g->json, "session_id")
                  && !strcmp(ch_str(g->json, "session_id"), sid),
                  "GET: session_id not echoed: %s", g->body);
    msgs = json_object_get(g->json, "messages");
    ck_assert_msg(json_is_array(msgs) && json_array_size(msgs) == 4,
                  "GET: expected 4 messages: %s", g->body);
    json_array_foreach(msgs, i, m) {
        const char *role = ch_str(m, "role");

        if (i % 2 == 0) {
            ck_assert_msg(role && !strcmp(role, "patient"),
                          "message %zu is not the patient's: %s", i, g->body);
            ck_assert_msg(ch_str(m, "body")
                          && !strcmp(ch_str(m, "body"), sent[i / 2]),
                          "message %zu body is not what was sent (%s): %s",
                          i, sent[i / 2], g->body);
        }
        else {
            ck_assert_msg(role && !strcmp(role, "bot"),
                          "message %zu is not the bot's: %s", i, g->body);
            ck_assert_msg(ch_str(m, "status")
                          && !strcmp(ch_str(m, "status"), "answered"),
                          "bot message %zu has no status answered: %s", i,
                          g->body);
            ck_assert_msg(json_is_array(json_object_get(m, "sources"))
                          && json_array_size(json_object_get(m, "sources"))
                             > 0,
                          "bot message %zu has no sources: %s", i, g->body);
            ck_assert_msg(ch_str(m, "body") && !strcmp(ch_str(m, "body"),
                          ch_str(i == 1 ? r1->json : r2->json, "reply")),
                          "bot message %zu is not the reply given: %s", i,
                          g->body);
        }
    }
    free(sid);
    it_free(r1);
    it_free(r2);
    it_free(g);
}
END_TEST

/* ---- refused input: a JSON error each, nothing stored --------------------- */

START_TEST(chat_bad_input)
{
    char *before, *after, *big, *body;
    it_resp *r;
    size_t i;

    before = ch_snapshot();

    r = ch_post_raw("{}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("{\"session_id\":\"" CH_UNKNOWN_SID "\"}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("{\"message\":5}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("{\"message\":null}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("{\"message\":\"hello\",\"extra\":1}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("[\"hello\"]", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = ch_post_raw("{\"message\":\"\"}", -1);
    it_assert_error(r, 422, "empty_message");
    it_free(r);
    r = ch_post_raw("{\"message\":\"   \"}", -1);
    it_assert_error(r, 422, "empty_message");
    it_free(r);
    r = ch_post_raw("{\"message\":\" \\n\\t \"}", -1);
    it_assert_error(r, 422, "empty_message");
    it_free(r);

    /* 1001 characters of two bytes each: counted as characters. */
    big = malloc(1001 * 2 + 1);
    for (i = 0; i < 1001; i++) {
        memcpy(big + 2 * i, "\xc3\xa9", 2);    /* é */
    }
    big[1001 * 2] = '\0';
    r = ch_post(big, NULL);
    it_assert_error(r, 422, "message_too_long");
    it_free(r);
    memset(big, 'a', 1001);
    big[1001] = '\0';
    r = ch_post(big, NULL);
    it_assert_error(r, 422, "message_too_long");
    it_free(r);

    r = ch_post(CH_PARK, "abc");
    it_assert_error(r, 400, "invalid_session");
    it_free(r);
    r = ch_post(CH_PARK, CH_UNKNOWN_SID "A");       /* 44 characters */
    it_assert_error(r, 400, "invalid_session");
    it_free(r);
    r = ch_post(CH_PARK, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+");
    it_assert_error(r, 400, "invalid_session");
    it_free(r);
    r = ch_post(CH_PARK, CH_UNKNOWN_SID);
    it_assert_error(r, 404, "session_not_found");
    it_free(r);
    r = ch_post_raw("{\"message\":\"hello\",\"session_id\":7}", -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);

    r = ch_post_raw("{\"message\":", -1);
    it_assert_error(r, 400, "invalid_json");
    it_free(r);
    r = ch_post_raw("", 0);
    it_assert_error(r, 400, "invalid_json");
    it_free(r);
    r = it_req("POST", "/api/chat", NULL, "text/plain",
               "{\"message\":\"hello\"}", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("POST", "/api/chat", NULL, NULL, "{\"message\":\"hello\"}",
               -1, NULL);
    ck_assert_msg(r->status == 415, "no content type: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    r = ch_post_raw("{\"message\":\"caf\xff\xfe here\"}", -1);
    it_assert_error(r, 400, "invalid_json");
    it_free(r);
    r = ch_post_raw("{\"message\":\"caf\xc3\"}", -1);     /* truncated é */
    it_assert_error(r, 400, "invalid_json");
    it_free(r);

    /* 20 KB: over the route's 16 KB cap. */
    body = malloc(20 * 1024 + 64);
    strcpy(body, "{\"message\":\"");
    memset(body + 12, 'x', 20 * 1024);
    strcpy(body + 12 + 20 * 1024, "\"}");
    r = ch_post_raw(body, -1);
    it_assert_error(r, 413, "body_too_large");
    it_free(r);
    free(body);

    {
        static const char *const bad[] = { "X-Chat-Token: not-a-session",
                                            NULL };
        static const char *const unknown[] = { "X-Chat-Token: "
                                               CH_UNKNOWN_SID, NULL };

        r = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, bad);
        it_assert_error(r, 404, "session_not_found");
        it_free(r);
        r = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, unknown);
        it_assert_error(r, 404, "session_not_found");
        it_free(r);
        r = it_get("/api/chat", NULL);
        it_assert_error(r, 400, "chat_token_required");
        it_free(r);
        /* The old form, token in the path: gone, and not looked up. */
        r = it_get("/api/chat/" CH_UNKNOWN_SID, NULL);
        it_assert_error(r, 410, "moved");
        it_free(r);
    }

    after = ch_snapshot();
    ck_assert_msg(!strcmp(before, after), "a refused request stored "
                  "something: before %s, after %s", before, after);
    free(after);

    /* 1000 two-byte characters: the limit itself is accepted. */
    for (i = 0; i < 1000; i++) {
        memcpy(big + 2 * i, "\xc3\xa9", 2);
    }
    big[1000 * 2] = '\0';
    r = ch_post(big, NULL);
    ck_assert_msg(r->status == 200, "1000 characters: status %ld, body %.300s",
                  r->status, r->body);
    ck_assert_msg(ch_valid_sid(ch_str(r->json, "session_id")),
                  "1000 characters: no session: %.300s", r->body);
    it_free(r);
    after = ch_snapshot();
    ck_assert_msg(strcmp(before, after) != 0, "the accepted 1000-character "
                  "message was not stored: %s", after);
    free(after);
    free(before);
    free(big);
}
END_TEST

/* ---- PHI stays out of the error log -------------------------------------- */

START_TEST(chat_phi_canary)
{
    char msg[512], body[1024];
    it_resp *r;
    char *big;

    snprintf(msg, sizeof(msg), "Hello, I am %s and I want to know where I "
             "can park my car", ch_canary);
    r = ch_post(msg, NULL);
    ck_assert_msg(r->status == 200, "canary message: status %ld, body %s",
                  r->status, r->body);
    it_free(r);

    /* And through the refusals: the canary as a field name, in broken
     * JSON, in an over-long message and with a bad session. */
    snprintf(body, sizeof(body), "{\"message\":\"hi\",\"%s\":1}", ch_canary);
    r = ch_post_raw(body, -1);
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    snprintf(body, sizeof(body), "{\"message\":\"%s", ch_canary);
    r = ch_post_raw(body, -1);
    it_assert_error(r, 400, "invalid_json");
    it_free(r);
    r = ch_post(msg, ch_canary);
    it_assert_error(r, 400, "invalid_session");
    it_free(r);
    big = malloc(1100 + strlen(ch_canary) + 1);
    memset(big, 'z', 1100);
    memcpy(big + 1100, ch_canary, strlen(ch_canary) + 1);
    r = ch_post(big, NULL);
    it_assert_error(r, 422, "message_too_long");
    it_free(r);
    free(big);
    /* The error-log check itself is in chat_log_clean, after every test. */
}
END_TEST

/* ---- chat logs for staff ------------------------------------------------- */

START_TEST(chat_admin_conversations)
{
    it_resp *a1, *a2, *b1, *l, *r, *au;
    char *sid_a, path[256], *v;
    json_int_t id_a, id_b, prev = -1;
    json_t *e, *msgs, *m;
    size_t i;
    int saw_a = 0, saw_b = 0;

    /* A: two answered turns.  B (newer): one no_answer turn. */
    a1 = ch_post(CH_PARK, NULL);
    ch_assert_reply(a1, "A1", "answered");
    sid_a = strdup(ch_str(a1->json, "session_id"));
    a2 = ch_post(CH_BADGE, sid_a);
    ch_assert_reply(a2, "A2", "answered");
    b1 = ch_post(CH_OFF1, NULL);
    ch_assert_reply(b1, "B1", "no_answer");

    /* Newest first: B, then A. */
    l = ch_list(NULL);
    ck_assert_msg(json_array_size(ch_convs(l)) >= 2, "fewer than two "
                  "conversations: %s", l->body);
    json_array_foreach(ch_convs(l), i, e) {
        json_int_t id = json_integer_value(json_object_get(e, "id"));

        ck_assert_msg(json_is_integer(json_object_get(e, "id")) && id > 0,
                      "conversation %zu has no id: %s", i, l->body);
        ck_assert_msg(prev < 0 || id < prev, "conversations are not newest "
                      "first: %s", l->body);
        prev = id;
        ck_assert_msg(ch_str(e, "status") != NULL
                      && json_object_get(e, "last_status") != NULL
                      && json_is_integer(json_object_get(e, "message_count"))
                      && json_object_get(e, "first_message") != NULL,
                      "conversation %zu lacks status, last_status, "
                      "message_count or first_message: %s", i, l->body);
    }
    e = json_array_get(ch_convs(l), 0);
    id_b = json_integer_value(json_object_get(e, "id"));
    ck_assert_msg(!strcmp(ch_str(e, "first_message"), CH_OFF1)
                  && json_integer_value(json_object_get(e, "message_count"))
                     == 2
                  && ch_str(e, "last_status")
                  && !strcmp(ch_str(e, "last_status"), "no_answer")
                  && !strcmp(ch_str(e, "status"), "open"),
                  "newest conversation is not B: %s", l->body);
    e = json_array_get(ch_convs(l), 1);
    id_a = json_integer_value(json_object_get(e, "id"));
    ck_assert_msg(!strcmp(ch_str(e, "first_message"), CH_PARK)
                  && json_integer_value(json_object_get(e, "message_count"))
                     == 4
                  && ch_str(e, "last_status")
                  && !strcmp(ch_str(e, "last_status"), "answered"),
                  "second newest conversation is not A: %s", l->body);
    ck_assert_msg(!strstr(l->body, sid_a), "the list holds a session token");
    it_free(l);

    /* status=no_answer: only conversations holding a no_answer reply. */
    l = ch_list("status=no_answer&limit=200");
    json_array_foreach(ch_convs(l), i, e) {
        json_int_t id = json_integer_value(json_object_get(e, "id"));

        v = it_sql_try(NULL, "SELECT count(*) FROM messages WHERE "
                       "conversation_id = %lld AND status = 'no_answer'",
                       (long long)id);
        ck_assert_msg(atoi(v) > 0, "status=no_answer listed conversation "
                      "%lld, which has no no_answer reply (%s)",
                      (long long)id, v);
        free(v);
        saw_a |= id == id_a;
        saw_b |= id == id_b;
    }
    ck_assert_msg(saw_b && !saw_a, "status=no_answer: B %s, A %s: %s",
                  saw_b ? "listed" : "missing", saw_a ? "listed" : "absent",
                  l->body);
    it_free(l);
    l = ch_list("status=answered&limit=200");
    ck_assert_msg(ch_find_conv(l, id_a) && !ch_find_conv(l, id_b),
                  "status=answered should list A and not B: %s", l->body);
    it_free(l);

    /* Dates. */
    l = ch_list("from=2000-01-01&to=2000-01-02");
    ck_assert_msg(json_array_size(ch_convs(l)) == 0
                  && json_is_null(json_object_get(l->json, "next_before")),
                  "a day in 2000 holds conversations: %s", l->body);
    it_free(l);
    l = ch_list("from=2000-01-01&to=2999-12-31");
    ck_assert_msg(ch_find_conv(l, id_a) && ch_find_conv(l, id_b),
                  "a wide date range misses A or B: %s", l->body);
    it_free(l);
    r = it_get("/api/admin/conversations?from=bad", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/conversations?to=2024-13", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/conversations?status=bogus", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/conversations?limit=0", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/conversations?before=x", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);

    /* Paging: limit=1 gives B and next_before; before= that gives A. */
    l = ch_list("limit=1");
    ck_assert_msg(json_array_size(ch_convs(l)) == 1
                  && json_integer_value(json_object_get(
                         json_array_get(ch_convs(l), 0), "id")) == id_b
                  && json_integer_value(json_object_get(l->json,
                                                        "next_before"))
                     == id_b,
                  "limit=1 page is not B with next_before %lld: %s",
                  (long long)id_b, l->body);
    it_free(l);
    snprintf(path, sizeof(path), "limit=1&before=%lld", (long long)id_b);
    l = ch_list(path);
    ck_assert_msg(json_array_size(ch_convs(l)) == 1
                  && json_integer_value(json_object_get(
                         json_array_get(ch_convs(l), 0), "id")) == id_a
                  && json_integer_value(json_object_get(l->json,
                                                        "next_before"))
                     == id_a,
                  "second page is not A: %s", l->body);
    it_free(l);

    /* One conversation: messages with their details, the read audited. */
    snprintf(path, sizeof(path), "/api/admin/conversations/%lld",
             (long long)id_a);
    r = it_get(path, IT_STAFF);
    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "GET %s: status %ld, body %s", path, r->status, r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "id")) == id_a
                  && json_integer_value(json_object_get(r->json,
                                                        "message_count")) == 4,
                  "GET %s: wrong id or message_count: %s", path, r->body);
    ck_assert_msg(!strstr(r->body, sid_a), "the conversation holds its "
                  "session token");
    msgs = json_object_get(r->json, "messages");
    ck_assert_msg(json_array_size(msgs) == 4, "A has %zu messages: %s",
                  json_array_size(msgs), r->body);
    json_array_foreach(msgs, i, m) {
        const char *want_role = i % 2 ? "bot" : "patient";
        const char *want_body = i == 0 ? CH_PARK : i == 1
                                ? ch_str(a1->json, "reply") : i == 2
                                ? CH_BADGE : ch_str(a2->json, "reply");

        ck_assert_msg(ch_str(m, "role") && !strcmp(ch_str(m, "role"),
                                                    want_role)
                      && ch_str(m, "body") && !strcmp(ch_str(m, "body"),
                                                       want_body),
                      "message %zu: expected %s saying %s: %s", i, want_role,
                      want_body, r->body);
        ck_assert_msg(json_is_array(json_object_get(m, "sources"))
                      && json_is_object(json_object_get(m, "timing")),
                      "message %zu lacks sources or timing: %s", i, r->body);
        if (i % 2) {
            ck_assert_msg(ch_str(m, "status")
                          && !strcmp(ch_str(m, "status"), "answered")
                          && ch_str(m, "mode")
                          && !strcmp(ch_str(m, "mode"), "extractive")
                          && json_array_size(json_object_get(m, "sources"))
                             > 0
                          && json_is_integer(json_object_get(
                                 json_object_get(m, "timing"), "total_ms")),
                          "bot message %zu: not answered/extractive with "
                          "sources and timing: %s", i, r->body);
        }
        else {
            ck_assert_msg(json_is_null(json_object_get(m, "status"))
                          && json_is_null(json_object_get(m, "mode")),
                          "patient message %zu has a status or mode: %s", i,
                          r->body);
        }
    }
    it_free(r);

    snprintf(path, sizeof(path), "/api/admin/conversations/%lld",
             (long long)id_b);
    r = it_get(path, IT_STAFF);
    ck_assert_msg(r->status == 200, "GET %s: status %ld, body %s", path,
                  r->status, r->body);
    m = json_array_get(json_object_get(r->json, "messages"), 1);
    ck_assert_msg(m && ch_str(m, "status")
                  && !strcmp(ch_str(m, "status"), "no_answer")
                  && ch_str(m, "mode") && !strcmp(ch_str(m, "mode"), "none")
                  && json_array_size(json_object_get(m, "sources")) == 0,
                  "B's reply is not no_answer/none without sources: %s",
                  r->body);
    it_free(r);

    /* Both reads are in the audit log, newest first, by it-staff. */
    au = it_get("/api/admin/audit?action=conversation.read&limit=2",
                IT_ADMIN);
    ck_assert_msg(au->status == 200, "audit: status %ld, body %s",
                  au->status, au->body);
    {
        json_t *entries = json_object_get(au->json, "entries");
        char ta[32], tb[32];

        snprintf(ta, sizeof(ta), "%lld", (long long)id_a);
        snprintf(tb, sizeof(tb), "%lld", (long long)id_b);
        ck_assert_msg(json_array_size(entries) == 2, "audit: %s", au->body);
        e = json_array_get(entries, 0);
        ck_assert_msg(!strcmp(ch_str(e, "action"), "conversation.read")
                      && !strcmp(ch_str(e, "actor"), "it-staff")
                      && !strcmp(ch_str(e, "target"), tb),
                      "newest audit entry is not it-staff reading %s: %s",
                      tb, au->body);
        e = json_array_get(entries, 1);
        ck_assert_msg(!strcmp(ch_str(e, "action"), "conversation.read")
                      && !strcmp(ch_str(e, "actor"), "it-staff")
                      && !strcmp(ch_str(e, "target"), ta),
                      "second audit entry is not it-staff reading %s: %s",
                      ta, au->body);
    }
    ck_assert_msg(!strstr(au->body, CH_PARK), "the audit holds the "
                  "patient's message: %s", au->body);
    it_free(au);

    /* Refusals. */
    r = it_get("/api/admin/conversations/999999999", IT_STAFF);
    it_assert_error(r, 404, "not_found");
    it_free(r);
    r = it_get("/api/admin/conversations/abc", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/conversations/0", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get(path, NULL);
    it_assert_error(r, 401, "authentication_required");
    it_free(r);
    r = it_get("/api/admin/conversations", NULL);
    it_assert_error(r, 401, "authentication_required");
    it_free(r);
    /* The refused reads are not audited. */
    au = it_get("/api/admin/audit?action=conversation.read&limit=1",
                IT_ADMIN);
    e = json_array_get(json_object_get(au->json, "entries"), 0);
    {
        char tb[32];

        snprintf(tb, sizeof(tb), "%lld", (long long)id_b);
        ck_assert_msg(e && !strcmp(ch_str(e, "target"), tb),
                      "a refused read was audited: %s", au->body);
    }
    it_free(au);

    free(sid_a);
    it_free(a1);
    it_free(a2);
    it_free(b1);
}
END_TEST

/* Regression: impossible calendar dates once passed the shape check and
 * failed in PostgreSQL's ::date cast (503 db_error and error-log lines for
 * a client's mistake).  They are 400 invalid_parameter; real dates, leap
 * days included, are accepted. */
START_TEST(chat_conversations_impossible_dates)
{
    static const char *const bad[] = {
        "from=2024-02-30", "to=2023-13-01", "from=0000-00-00",
        "to=2023-02-29", "from=2024-04-31", "from=2024-1-01", NULL
    };
    const char *const *q;
    char path[256];
    it_resp *r;

    for (q = bad; *q; q++) {
        snprintf(path, sizeof(path), "/api/admin/conversations?%s", *q);
        r = it_get(path, IT_STAFF);
        ck_assert_msg(r->status == 400, "GET %s: status %ld, expected 400 "
                      "invalid_parameter: %s", path, r->status, r->body);
        it_assert_error(r, 400, "invalid_parameter");
        it_free(r);
    }
    r = ch_list("from=2024-02-29&to=2024-12-31");
    it_free(r);
    r = ch_list("from=2000-02-29&to=2000-02-29");
    ck_assert_msg(json_array_size(ch_convs(r)) == 0, "conversations on "
                  "2000-02-29: %s", r->body);
    it_free(r);
}
END_TEST

START_TEST(chat_log_clean)
{
    static const char *const allowed[] = { NULL };   /* nothing */
    char *bad = it_log_unexpected(allowed);
    char *log = it_log_read();

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
    ck_assert_msg(ch_canary[0] != '\0', "no canary was set");
    ck_assert_msg(!strstr(log, ch_canary), "the PHI canary %s is in the "
                  "error log:\n%.3000s", ch_canary, log);
    ck_assert_msg(!strstr(log, "Jane-Doe") && !strstr(log, "07700900123"),
                  "part of the PHI canary is in the error log:\n%.3000s",
                  log);
    free(log);
}
END_TEST

static void chat_setup(void)
{
    snprintf(ch_canary, sizeof(ch_canary),
             "CANARY-PHI-%ld-Jane-Doe-07700900123", (long)getpid());
    /* The module at debug level, so the canary check also covers the
     * per-message debug line (lengths and ids only, never the text). */
    it_httpd_start("ConciergeRateLimit chat 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n"
                   "LogLevel warn concierge:debug\n", 2, 8);
}

Suite *it_suite_chat(void)
{
    Suite *s = suite_create("chat");
    TCase *tc = tcase_create("chat");

    tcase_add_unchecked_fixture(tc, chat_setup, it_httpd_stop);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, chat_answered_extractive);
    tcase_add_test(tc, chat_off_topic_no_answer);
    tcase_add_test(tc, chat_ask_team);
    tcase_add_test(tc, chat_session_continuity);
    tcase_add_test(tc, chat_bad_input);
    tcase_add_test(tc, chat_phi_canary);
    tcase_add_test(tc, chat_admin_conversations);
    tcase_add_test(tc, chat_conversations_impossible_dates);
    tcase_add_test(tc, chat_log_clean);
    suite_add_tcase(s, tc);
    return s;
}
