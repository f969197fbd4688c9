/*
 * test_llm.c - the LLM paths of POST /api/chat against a fake
 * OpenAI-compatible server (tests/fakes/fake_llm.py): a grounded answer,
 * ungrounded and NO_ANSWER replies, a malformed body, 429 with retry-after,
 * 5xx with one retry, a hung server and the timeout, the host-wide circuit
 * breaker (open, refused calls, half-open trial, closed again), and that
 * patients' words never reach the error log.
 *
 * The chat reply does not say how it was made; the bot message stored in
 * the conversation log does (GET /api/admin/conversations/{id}: "mode" and
 * "timing": llm_attempts, llm_error, llm_ms).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include "harness.h"

#define LLM_KEY     "test-key-0123456789"
#define LLM_MODEL   "test-model"
#define LLM_Q_PARK  "Where can I park my car?"
#define LLM_Q_LIPS  "How much does lip filler cost?"
/* Sent inside patient questions; must never appear in the error log. */
#define LLM_CANARY  "zqxcanary7781"

static pid_t llm_fake_pid = -1;
static int llm_fake_port;

/* ---- the fake ------------------------------------------------------------ */

/* A control request to the fake; the parsed JSON reply (asserted 200). */
static json_t *llm_ctl(const char *method, const char *path,
                       const char *body)
{
    ck_assert_msg(llm_fake_port > 0, "the fake LLM did not start (see "
                  "%s/fake_llm.log)", it_var);
    return it_fake_ctl(llm_fake_port, method, path, body);
}

static void llm_mode(const char *mode, int reset)
{
    char body[64];

    if (reset) {
        json_decref(llm_ctl("POST", "/__reset", "{}"));
    }
    snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", mode);
    json_decref(llm_ctl("POST", "/__mode", body));
}

static json_t *llm_stats(void)
{
    return llm_ctl("GET", "/__stats", NULL);
}

/* Chat requests the fake has seen since the reset; every one of them must
 * have been well formed (key, model, system then user message, [S1]). */
static json_int_t llm_requests(void)
{
    json_t *s = llm_stats();
    json_int_t n = json_integer_value(json_object_get(s, "requests"));

    ck_assert_msg(json_is_integer(json_object_get(s, "requests")),
                  "fake stats without requests");
    ck_assert_msg(json_array_size(json_object_get(s, "violations")) == 0,
                  "the fake recorded violations: %s",
                  json_dumps(json_object_get(s, "violations"), JSON_COMPACT));
    json_decref(s);
    return n;
}

/* ---- chats and what the log says about them ------------------------------ */

static double llm_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct llm_turn {
    it_resp *r;         /* the chat reply */
    double   secs;      /* how long POST /api/chat took */
    json_t  *bot;       /* the stored bot message (own reference) */
    json_t  *timing;    /* borrowed from bot */
    const char *mode;   /* borrowed from bot */
} llm_turn;

/* POST /api/chat {message} (a new conversation), asserted 200 answered,
 * and the stored bot message of that very request. */
static llm_turn llm_chat(const char *question)
{
    llm_turn t;
    json_t *body = json_pack("{s:s}", "message", question);
    char *js = json_dumps(body, JSON_COMPACT);
    char path[128];
    const char *rid, *st;
    it_resp *list, *conv;
    json_t *c0, *msgs;
    json_int_t id;
    size_t i;
    double t0;

    memset(&t, 0, sizeof(t));
    t0 = llm_now();
    t.r = it_req("POST", "/api/chat", NULL, "application/json", js, -1, NULL);
    t.secs = llm_now() - t0;
    free(js);
    json_decref(body);
    ck_assert_msg(t.r->status == 200, "chat \"%s\": status %ld, body %s",
                  question, t.r->status, t.r->body);
    st = json_string_value(json_object_get(t.r->json, "status"));
    ck_assert_msg(st && !strcmp(st, "answered"), "chat \"%s\" was not "
                  "answered: %s", question, t.r->body);
    ck_assert_msg(json_is_string(json_object_get(t.r->json, "reply"))
                  && json_is_array(json_object_get(t.r->json, "sources"))
                  && json_is_string(json_object_get(t.r->json, "session_id")),
                  "chat reply shape: %s", t.r->body);
    rid = it_header(t.r, "X-Request-Id");
    ck_assert_msg(rid && *rid, "chat reply without X-Request-Id");

    list = it_get("/api/admin/conversations?limit=1", IT_ADMIN);
    ck_assert_msg(list->status == 200, "conversations: status %ld, body %s",
                  list->status, list->body);
    c0 = json_array_get(json_object_get(list->json, "conversations"), 0);
    ck_assert_msg(json_is_integer(json_object_get(c0, "id")),
                  "no newest conversation: %s", list->body);
    id = json_integer_value(json_object_get(c0, "id"));
    it_free(list);

    snprintf(path, sizeof(path), "/api/admin/conversations/%lld",
             (long long)id);
    conv = it_get(path, IT_ADMIN);
    ck_assert_msg(conv->status == 200, "%s: status %ld, body %s", path,
                  conv->status, conv->body);
    msgs = json_object_get(conv->json, "messages");
    for (i = 0; i < json_array_size(msgs); i++) {
        json_t *m = json_array_get(msgs, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        const char *mrid = json_string_value(json_object_get(m,
                                                             "request_id"));

        if (role && !strcmp(role, "bot") && mrid && !strcmp(mrid, rid)) {
            t.bot = json_incref(m);
            break;
        }
    }
    ck_assert_msg(t.bot != NULL, "newest conversation %lld has no bot "
                  "message of request %s: %s", (long long)id, rid,
                  conv->body);
    it_free(conv);
    t.timing = json_object_get(t.bot, "timing");
    t.mode = json_string_value(json_object_get(t.bot, "mode"));
    ck_assert_msg(json_is_object(t.timing) && t.mode, "bot message without "
                  "mode or timing");
    ck_assert_msg(!strcmp(json_string_value(json_object_get(t.bot, "body")),
                          json_string_value(json_object_get(t.r->json,
                                                            "reply"))),
                  "stored reply differs from the one sent");
    return t;
}

static void llm_turn_free(llm_turn *t)
{
    it_free(t->r);
    json_decref(t->bot);
}

static const char *llm_reply(const llm_turn *t)
{
    return json_string_value(json_object_get(t->r->json, "reply"));
}

static json_int_t llm_attempts(const llm_turn *t)
{
    json_t *a = json_object_get(t->timing, "llm_attempts");

    ck_assert_msg(json_is_integer(a), "timing without llm_attempts");
    return json_integer_value(a);
}

/* timing.llm_error, or NULL when absent or null. */
static const char *llm_error(const llm_turn *t)
{
    return json_string_value(json_object_get(t->timing, "llm_error"));
}

static char *llm_dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT);
}

#define LLM_ASSERT_MODE(t, want) do { \
        char *d_ = llm_dump((t)->bot); \
        ck_assert_msg(!strcmp((t)->mode, (want)), "mode %s, expected %s; " \
                      "bot message %s", (t)->mode, (want), d_); \
        free(d_); \
    } while (0)

#define LLM_ASSERT_ERROR(t, want) do { \
        const char *e_ = llm_error(t); \
        char *d_ = llm_dump((t)->timing); \
        ck_assert_msg(e_ && !strcmp(e_, (want)), "llm_error %s, expected " \
                      "%s; timing %s", e_ ? e_ : "(none)", (want), d_); \
        free(d_); \
    } while (0)

/* ---- the breaker, as GET /api/admin/health reports it ------------------- */

static json_t *llm_health(void)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *llm;

    ck_assert_msg(r->status == 200, "admin health: status %ld, body %s",
                  r->status, r->body);
    llm = json_object_get(r->json, "llm");
    ck_assert_msg(json_is_object(llm), "admin health has no llm object: %s",
                  r->body);
    llm = json_deep_copy(llm);
    it_free(r);
    return llm;
}

static const char *llm_brk_state(json_t *h)
{
    const char *b = json_string_value(json_object_get(h, "breaker"));

    ck_assert_msg(b != NULL, "admin health llm has no breaker state");
    return b;
}

/* Failures in earlier tests count towards the breaker (it is host-wide, in
 * shared memory, and lives as long as httpd): bring it back to closed with
 * no failures counted, by one good call after any cool-down. */
static void llm_settle(void)
{
    json_t *h = llm_health();
    int i;

    for (i = 0; i < 3
         && (strcmp(llm_brk_state(h), "closed")
             || json_integer_value(json_object_get(
                    h, "consecutive_failures")) != 0); i++) {
        llm_turn t;

        llm_mode("good", 1);
        if (!strcmp(llm_brk_state(h), "open")) {
            usleep(2200 * 1000);
        }
        t = llm_chat(LLM_Q_PARK);
        llm_turn_free(&t);
        json_decref(h);
        h = llm_health();
    }
    ck_assert_msg(!strcmp(llm_brk_state(h), "closed")
                  && json_integer_value(json_object_get(
                         h, "consecutive_failures")) == 0,
                  "the breaker did not settle: breaker %s, %lld failures",
                  llm_brk_state(h), (long long)json_integer_value(
                      json_object_get(h, "consecutive_failures")));
    json_decref(h);
}

/* A fresh start for one test: breaker closed, fake reset, then `mode`. */
static void llm_begin(const char *mode)
{
    llm_settle();
    llm_mode(mode, 1);
}

/* ---- the top source, as the admin search reports it --------------------- */

/* GET /api/admin/knowledge/search?q=<q>&k=1 -> the top hit (own ref). */
static json_t *llm_top_hit(const char *q)
{
    CURL *c = curl_easy_init();
    char *esc = curl_easy_escape(c, q, 0), path[512];
    it_resp *r;
    json_t *hit;

    snprintf(path, sizeof(path), "/api/admin/knowledge/search?k=1&q=%s", esc);
    curl_free(esc);
    curl_easy_cleanup(c);
    r = it_get(path, IT_ADMIN);
    ck_assert_msg(r->status == 200 && json_array_size(r->json) == 1,
                  "search: status %ld, body %s", r->status, r->body);
    hit = json_incref(json_array_get(r->json, 0));
    it_free(r);
    return hit;
}

/* The first sentence of a chunk the way the fake takes it: the first
 * paragraph, Markdown list markers, headings and quotes dropped, lines
 * joined with one space, cut after the first [.!?] followed by space. */
static char *llm_first_sentence(const char *text)
{
    char *para, *out, *o, *line, *save = NULL, *end;
    const char *p = text;
    size_t n;

    while (*p && isspace((unsigned char)*p)) {
        p++;
    }
    /* The first paragraph ends at a blank (or whitespace-only) line. */
    for (end = (char *)p; *end; end++) {
        if (*end == '\n') {
            char *q = end + 1;

            while (*q && *q != '\n' && isspace((unsigned char)*q)) {
                q++;
            }
            if (*q == '\n') {
                break;
            }
        }
    }
    para = strndup(p, (size_t)(end - p));
    out = calloc(1, strlen(para) + 2);
    o = out;
    for (line = strtok_r(para, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *s = line, *e;

        while (*s && isspace((unsigned char)*s)) {
            s++;
        }
        if ((*s == '-' || *s == '*' || *s == '+')
            && isspace((unsigned char)s[1])) {
            s++;
        }
        else if (isdigit((unsigned char)*s)) {
            char *d = s;

            while (isdigit((unsigned char)*d)) {
                d++;
            }
            if ((*d == '.' || *d == ')') && isspace((unsigned char)d[1])) {
                s = d + 1;
            }
        }
        else if (*s == '#') {
            while (*s == '#') {
                s++;
            }
        }
        else if (*s == '>') {
            s++;
        }
        while (*s && isspace((unsigned char)*s)) {
            s++;
        }
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1])) {
            *--e = '\0';
        }
        if (!*s) {
            continue;
        }
        if (o != out) {
            *o++ = ' ';
        }
        n = strlen(s);
        memcpy(o, s, n);
        o += n;
        *o = '\0';
    }
    free(para);
    for (o = out; *o; o++) {
        if ((*o == '.' || *o == '!' || *o == '?')
            && isspace((unsigned char)o[1])) {
            o[1] = '\0';
            break;
        }
    }
    return out;
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(llm_good)
{
    json_t *hit, *s, *lr, *msgs, *src;
    const char *u, *top_id, *top_title, *top_text, *reply, *model;
    char *want, *block;
    llm_turn t;

    llm_begin("good");
    hit = llm_top_hit(LLM_Q_PARK);
    top_id = json_string_value(json_object_get(hit, "id"));
    top_title = json_string_value(json_object_get(hit, "title"));
    top_text = json_string_value(json_object_get(hit, "text"));
    ck_assert_msg(top_id && top_title && top_text, "search hit shape");
    want = llm_first_sentence(top_text);
    ck_assert_msg(strlen(want) > 10, "no first sentence in the top source: "
                  "%s", top_text);

    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "llm");
    reply = llm_reply(&t);
    ck_assert_msg(!strcmp(reply, want), "reply \"%s\", expected the first "
                  "sentence of the top source \"%s\"", reply, want);
    ck_assert_msg(!strstr(reply, "[S1]") && !strstr(reply, "[S"),
                  "the citation was not stripped: %s", reply);
    src = json_object_get(t.r->json, "sources");
    ck_assert_msg(json_array_size(src) == 1
                  && !strcmp(json_string_value(json_object_get(
                                 json_array_get(src, 0), "id")), top_id),
                  "sources are not exactly the cited top source %s: %s",
                  top_id, t.r->body);
    ck_assert_msg(llm_attempts(&t) == 1 && llm_error(&t) == NULL,
                  "one clean attempt expected: %s",
                  json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(json_is_integer(json_object_get(t.timing, "llm_ms"))
                  && json_is_integer(json_object_get(t.timing, "total_ms"))
                  && json_is_integer(json_object_get(t.timing,
                                                     "retrieval_us")),
                  "timing fields: %s", json_dumps(t.timing, JSON_COMPACT));

    s = llm_stats();
    ck_assert_msg(json_integer_value(json_object_get(s, "requests")) == 1,
                  "the fake saw %lld requests, expected 1",
                  (long long)json_integer_value(json_object_get(s,
                                                                "requests")));
    ck_assert_msg(json_array_size(json_object_get(s, "violations")) == 0,
                  "the fake recorded violations: %s",
                  json_dumps(json_object_get(s, "violations"), JSON_COMPACT));
    lr = json_object_get(s, "last_request");
    model = json_string_value(json_object_get(lr, "model"));
    ck_assert_msg(model && !strcmp(model, LLM_MODEL), "model %s",
                  model ? model : "(none)");
    msgs = json_object_get(lr, "messages");
    ck_assert_msg(json_array_size(msgs) == 2
                  && !strcmp(json_string_value(json_object_get(
                                 json_array_get(msgs, 0), "role")), "system")
                  && !strcmp(json_string_value(json_object_get(
                                 json_array_get(msgs, 1), "role")), "user"),
                  "messages are not system, user: %s",
                  json_dumps(msgs, JSON_COMPACT));
    u = json_string_value(json_object_get(json_array_get(msgs, 1),
                                          "content"));
    ck_assert_msg(u && strstr(u, "[S1]") && strstr(u, LLM_Q_PARK),
                  "user message lacks [S1] or the question: %s", u);
    /* The top source is S1, title then text. */
    if (asprintf(&block, "[S1] %s\n%s", top_title, top_text) < 0) {
        ck_abort_msg("out of memory");
    }
    ck_assert_msg(strstr(u, block) != NULL, "S1 is not the top source %s; "
                  "user message: %s", top_id, u);
    free(block);
    /* More than one source went to the model, so "only the cited source
     * in sources" is a real filter. */
    ck_assert_msg(strstr(u, "\n[S2] ") != NULL, "only one source was sent; "
                  "the question no longer retrieves two: %s", u);
    json_decref(s);
    free(want);
    json_decref(hit);
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_offcontext)
{
    llm_turn t;

    llm_begin("offcontext");
    t = llm_chat(LLM_Q_LIPS);
    LLM_ASSERT_MODE(&t, "extractive");
    ck_assert_msg(!strcasestr(llm_reply(&t), "ibuprofen")
                  && !strstr(llm_reply(&t), "400mg"),
                  "the ungrounded answer reached the patient: %s",
                  llm_reply(&t));
    ck_assert_msg(json_array_size(json_object_get(t.r->json, "sources")) >= 1,
                  "extractive answer without sources: %s", t.r->body);
    /* The call itself succeeded: the grounding check refused it. */
    ck_assert_msg(llm_attempts(&t) == 1 && llm_error(&t) == NULL,
                  "timing %s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 1, "the fake saw %lld requests",
                  (long long)llm_requests());
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_noanswer)
{
    llm_turn t;

    llm_begin("noanswer");
    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "extractive");
    ck_assert_msg(!strstr(llm_reply(&t), "NO_ANSWER"),
                  "NO_ANSWER reached the patient: %s", llm_reply(&t));
    ck_assert_msg(*llm_reply(&t) != '\0', "empty extractive reply");
    ck_assert_msg(llm_attempts(&t) == 1 && llm_error(&t) == NULL,
                  "timing %s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 1, "the fake saw %lld requests",
                  (long long)llm_requests());
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_badjson)
{
    llm_turn t;

    llm_begin("badjson");
    /* The canary rides on a failing call: the CC00701 warning it causes
     * must not quote the patient (checked in llm_no_patient_text). */
    t = llm_chat(LLM_Q_PARK " " LLM_CANARY);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "bad_response");
    ck_assert_msg(llm_attempts(&t) == 1, "a 200 with a bad body was retried: "
                  "%s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(!strstr(llm_reply(&t), "not json"), "reply %s",
                  llm_reply(&t));
    ck_assert_msg(llm_requests() == 1, "the fake saw %lld requests",
                  (long long)llm_requests());
    llm_turn_free(&t);
}
END_TEST

/* A completion cut off at max_completion_tokens (finish_reason "length")
 * is not an answer: its last claim may be half of one.  The extractive
 * answer is used; it is no sign of an outage, so even more of them than
 * ConciergeLLMBreakerFailures leave the breaker closed. */
START_TEST(llm_length)
{
    llm_turn t;
    json_t *h;
    int i;

    llm_begin("length");
    for (i = 0; i < 4; i++) {
        t = llm_chat(i % 2 ? LLM_Q_LIPS : LLM_Q_PARK);
        LLM_ASSERT_MODE(&t, "extractive");
        LLM_ASSERT_ERROR(&t, "truncated");
        ck_assert_msg(llm_attempts(&t) == 1, "a cut-off answer was retried: "
                      "%s", json_dumps(t.timing, JSON_COMPACT));
        llm_turn_free(&t);
    }
    ck_assert_msg(llm_requests() == 4, "the fake saw %lld requests",
                  (long long)llm_requests());
    h = llm_health();
    ck_assert_msg(!strcmp(llm_brk_state(h), "closed"), "breaker %s after "
                  "four cut-off answers", llm_brk_state(h));
    json_decref(h);
}
END_TEST

/* A key the provider refuses (401 invalid_api_key): not retried, answered
 * extractively. */
START_TEST(llm_401)
{
    llm_turn t;

    llm_begin("401");
    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "http_401");
    ck_assert_msg(llm_attempts(&t) == 1 && llm_requests() == 1, "a refused "
                  "key was retried: %s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(*llm_reply(&t) != '\0', "empty extractive reply");
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_429_once)
{
    llm_turn t;

    llm_begin("429once");
    t = llm_chat(LLM_Q_LIPS);
    LLM_ASSERT_MODE(&t, "llm");
    ck_assert_msg(llm_attempts(&t) == 2 && llm_error(&t) == NULL,
                  "timing %s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 2, "the fake saw %lld requests, "
                  "expected 2", (long long)llm_requests());
    /* retry-after: 1 was honoured. */
    ck_assert_msg(t.secs >= 1.0, "the chat took %.3f s: retry-after: 1 "
                  "was not honoured", t.secs);
    ck_assert_msg(json_integer_value(json_object_get(t.timing, "llm_ms"))
                  >= 1000, "llm_ms below the 1 s retry-after: %s",
                  json_dumps(t.timing, JSON_COMPACT));
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_429_always)
{
    llm_turn t;

    llm_begin("429");
    t = llm_chat(LLM_Q_LIPS);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "http_429");
    ck_assert_msg(llm_attempts(&t) == 2, "timing %s",
                  json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 2, "the fake saw %lld requests, "
                  "expected 2", (long long)llm_requests());
    ck_assert_msg(t.secs >= 1.0 && t.secs < 5.0, "the chat took %.3f s",
                  t.secs);
    ck_assert_msg(json_array_size(json_object_get(t.r->json, "sources")) >= 1,
                  "extractive answer without sources: %s", t.r->body);
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_500)
{
    llm_turn t;

    llm_begin("500");
    t = llm_chat(LLM_Q_LIPS " " LLM_CANARY);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "http_500");
    ck_assert_msg(llm_attempts(&t) == 2, "timing %s",
                  json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 2, "the fake saw %lld requests, "
                  "expected 2", (long long)llm_requests());
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_500_once)
{
    llm_turn t;

    llm_begin("500once");
    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "llm");
    ck_assert_msg(llm_attempts(&t) == 2 && llm_error(&t) == NULL,
                  "timing %s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == 2, "the fake saw %lld requests, "
                  "expected 2", (long long)llm_requests());
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_hang)
{
    json_int_t n;
    llm_turn t;

    llm_begin("hang");
    t = llm_chat(LLM_Q_PARK " " LLM_CANARY);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "timeout");
    ck_assert_msg(t.secs < 5.0, "the chat took %.3f s with a 1.5 s LLM "
                  "timeout", t.secs);
    n = llm_requests();
    ck_assert_msg(n >= 1 && n <= 2, "the fake saw %lld requests",
                  (long long)n);
    ck_assert_msg(llm_attempts(&t) == n, "llm_attempts %lld, the fake saw "
                  "%lld", (long long)llm_attempts(&t), (long long)n);
    ck_assert_msg(json_integer_value(json_object_get(t.timing, "llm_ms"))
                  >= 1400, "gave up before the timeout: %s",
                  json_dumps(t.timing, JSON_COMPACT));
    llm_turn_free(&t);
}
END_TEST

START_TEST(llm_breaker)
{
    json_t *h;
    json_int_t before, opened0;
    llm_turn t;
    int i;

    llm_begin("500");
    h = llm_health();
    opened0 = json_integer_value(json_object_get(h, "breaker_opened"));
    ck_assert_msg(json_is_true(json_object_get(h, "configured")),
                  "admin health says the LLM is not configured");
    json_decref(h);

    /* ConciergeLLMBreakerFailures 3: three failed chats open it. */
    for (i = 0; i < 3; i++) {
        t = llm_chat(i == 1 ? LLM_Q_LIPS : LLM_Q_PARK);
        LLM_ASSERT_MODE(&t, "extractive");
        LLM_ASSERT_ERROR(&t, "http_500");
        llm_turn_free(&t);
    }
    ck_assert_msg(llm_requests() == 6, "the fake saw %lld requests for "
                  "three failed chats, expected 6", (long long)llm_requests());
    h = llm_health();
    ck_assert_msg(!strcmp(llm_brk_state(h), "open"), "breaker %s after 3 "
                  "failures", llm_brk_state(h));
    ck_assert_msg(json_integer_value(json_object_get(
                      h, "consecutive_failures")) >= 3,
                  "consecutive_failures %lld",
                  (long long)json_integer_value(json_object_get(
                      h, "consecutive_failures")));
    ck_assert_msg(json_integer_value(json_object_get(h, "breaker_opened"))
                  == opened0 + 1, "breaker_opened %lld -> %lld", (long long)
                  opened0, (long long)json_integer_value(json_object_get(
                      h, "breaker_opened")));
    json_decref(h);

    /* Open: the fake is not called at all. */
    before = llm_requests();
    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "extractive");
    LLM_ASSERT_ERROR(&t, "breaker_open");
    ck_assert_msg(llm_attempts(&t) == 0, "attempts with the breaker open: "
                  "%s", json_dumps(t.timing, JSON_COMPACT));
    ck_assert_msg(llm_requests() == before, "the open breaker let a call "
                  "through: %lld -> %lld", (long long)before,
                  (long long)llm_requests());
    llm_turn_free(&t);

    /* After the cool-down (ConciergeLLMBreakerCooldown 2) one trial call
     * goes through; it succeeds and closes the breaker. */
    llm_mode("good", 0);
    usleep(2200 * 1000);
    h = llm_health();
    ck_assert_msg(!strcmp(llm_brk_state(h), "half_open"), "breaker %s after "
                  "the cool-down", llm_brk_state(h));
    json_decref(h);
    before = llm_requests();
    t = llm_chat(LLM_Q_PARK);
    LLM_ASSERT_MODE(&t, "llm");
    ck_assert_msg(llm_requests() == before + 1, "the trial chat made %lld "
                  "requests", (long long)(llm_requests() - before));
    llm_turn_free(&t);
    h = llm_health();
    ck_assert_msg(!strcmp(llm_brk_state(h), "closed")
                  && json_integer_value(json_object_get(
                         h, "consecutive_failures")) == 0,
                  "breaker %s, %lld failures after a good call",
                  llm_brk_state(h), (long long)json_integer_value(
                      json_object_get(h, "consecutive_failures")));
    json_decref(h);
}
END_TEST

START_TEST(llm_no_patient_text)
{
    char *log = it_log_read();

    /* The canary went to the fake (as it should) on failing calls. */
    ck_assert_msg(strstr(log, "CC00701") != NULL, "no CC00701 warning was "
                  "logged for the failed calls:\n%.3000s", log);
    ck_assert_msg(!strstr(log, LLM_CANARY), "a patient's words are in the "
                  "error log:\n%.3000s", log);
    ck_assert_msg(!strstr(log, "park my car") && !strstr(log, "lip filler"),
                  "a patient's question is in the error log:\n%.3000s", log);
    ck_assert_msg(!strstr(log, LLM_KEY), "the API key is in the error "
                  "log:\n%.3000s", log);
    free(log);
}
END_TEST

START_TEST(llm_log_clean)
{
    /* CC00701 (warn): "LLM call failed (<error>) after <n> attempt(s),
     * <ms> ms: answering extractively", once per failed call that reached
     * the fake - llm_badjson (bad_response), llm_length (truncated),
     * llm_401 (http_401), llm_429_always (http_429),
     * llm_500 and the three failing chats of llm_breaker (http_500),
     * llm_hang (timeout).  The chat the open breaker refused logs nothing
     * (mc_llm_answer returns before the warning), and retries that end in
     * success (429once, 500once) log nothing either.  CC00801 (an answer
     * that failed the grounding check: offcontext, noanswer) is at info,
     * below LogLevel warn, so it is not allowed here. */
    static const char *const allowed[] = { "CC00701", NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

/* ---- fixture ------------------------------------------------------------- */

static void llm_setup(void)
{
    char portfile[512], logfile[512], fake[1200], extra[1024];
    const char *top = getenv("CC_TOP");
    const char *argv[] = { "python3", fake, "--port", "0", "--portfile",
                           portfile, "--key", LLM_KEY, "--model", LLM_MODEL,
                           NULL };
    const char *files[] = { portfile, NULL };
    int ports[1];

    snprintf(fake, sizeof(fake), "%s/tests/fakes/fake_llm.py",
             top ? top : ".");
    snprintf(portfile, sizeof(portfile), "%s/fake_llm.port", it_var);
    snprintf(logfile, sizeof(logfile), "%s/fake_llm.log", it_var);
    llm_fake_pid = it_fake_spawn(argv, logfile, files, ports);
    llm_fake_port = llm_fake_pid > 0 ? ports[0] : 0;
    if (llm_fake_port <= 0) {
        fprintf(stderr, "test_llm: the fake LLM did not start; see %s\n",
                logfile);
    }
    snprintf(extra, sizeof(extra),
             "ConciergeRateLimit chat 100000/min\n"
             "ConciergeRateLimit admin 100000/min\n"
             "ConciergeLLMBaseURL http://127.0.0.1:%d/openai/v1\n"
             "ConciergeLLMModel " LLM_MODEL "\n"
             "ConciergeLLMKey " LLM_KEY "\n"
             "ConciergeLLMTimeout 1500\n"
             "ConciergeLLMConnectTimeout 500\n"
             "ConciergeLLMBreakerFailures 3\n"
             "ConciergeLLMBreakerCooldown 2\n",
             llm_fake_port > 0 ? llm_fake_port : 9);
    it_httpd_start(extra, 2, 8);
}

static void llm_teardown(void)
{
    it_httpd_stop();
    it_fake_stop(&llm_fake_pid);
}

Suite *it_suite_llm(void)
{
    Suite *s = suite_create("llm");
    TCase *tc = tcase_create("llm");

    tcase_add_unchecked_fixture(tc, llm_setup, llm_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, llm_good);
    tcase_add_test(tc, llm_offcontext);
    tcase_add_test(tc, llm_noanswer);
    tcase_add_test(tc, llm_badjson);
    tcase_add_test(tc, llm_length);
    tcase_add_test(tc, llm_401);
    tcase_add_test(tc, llm_429_once);
    tcase_add_test(tc, llm_429_always);
    tcase_add_test(tc, llm_500);
    tcase_add_test(tc, llm_500_once);
    tcase_add_test(tc, llm_hang);
    tcase_add_test(tc, llm_breaker);
    tcase_add_test(tc, llm_no_patient_text);
    tcase_add_test(tc, llm_log_clean);
    suite_add_tcase(s, tc);
    return s;
}
