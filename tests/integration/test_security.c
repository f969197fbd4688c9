/*
 * test_security.c - the staff side under attack (issue 12), through the
 * real server.
 *
 *   csrf   what a hostile page can make a signed-in staff member's
 *          browser send - a form POST (urlencoded, multipart, text/plain),
 *          an <img>, a no-cors fetch - each with valid staff credentials
 *          and the headers browsers add (Origin, Sec-Fetch-*): refused
 *          with 403 cross_site or 415 before anything changes or is
 *          audited; the same requests from the page's own origin, from an
 *          allowed origin, and from non-browser clients work.
 *   login  failed staff logins counted per address and per account
 *          (ConciergeLoginLockout 4 8 here): 429 with Retry-After before
 *          any password check, decay, no reset by another address's
 *          success, the lock-out audited without a mistyped name; and the
 *          cache of verified credentials: used, and dropped at once when
 *          the password, role or active flag changes (API or SQL).
 *          Requests leave from several 127.0.0.x addresses.
 *   privacy less patient data kept (item 8): a conversation idle past
 *          ConciergeChatIdleExpiry (2h here; rows are backdated in SQL)
 *          reads 404 and a new message starts a new conversation, unless
 *          an escalation of it is unresolved; ConciergeRetentionDays
 *          deletes old chat logs, or empties them of text where an
 *          escalation refers to them, with the audit chain intact; with
 *          ConciergeChatLog Off the bot stays silent in an escalated
 *          conversation, which keeps the escalating message and every
 *          later one, and nothing before it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include "harness.h"

#define SEC_ALLOWED "https://www.clinic.example"
#define SEC_EVIL    "https://evil.example"

static char sec_self[64];       /* http://127.0.0.1:<port>, this server */
static char sec_host[64];       /* 127.0.0.1:<port>, its Host header */

/* A fresh escalation (a risky chat message); its id. */
static long sec_escalation(void)
{
    it_resp *r = it_req("POST", "/api/chat", NULL, "application/json",
                        "{\"message\":\"I have chest pain and cannot "
                        "breathe\"}", -1, NULL);
    long id;

    ck_assert_msg(r->status == 200, "chat: %ld %s", r->status, r->body);
    id = (long)json_integer_value(json_object_get(r->json, "escalation_id"));
    ck_assert_msg(id > 0, "no escalation: %s", r->body);
    it_free(r);
    return id;
}

static long sec_claimed(long esc)
{
    return it_sql_num("SELECT count(*) FROM escalations WHERE id = %ld AND "
                      "claimed_at IS NOT NULL", esc);
}

static long sec_audit_count(void)
{
    return it_sql_num("SELECT (SELECT count(*) FROM audit_log) + "
                      "(SELECT count(*) FROM audit_pending)");
}

/* ---- forms ------------------------------------------------------------- */

START_TEST(csrf_form_posts_refused)
{
    long esc = sec_escalation();
    char path[128];
    static const struct {
        const char *ctype, *body, *sfs;
    } forms[] = {
        /* What <form method=post action=...> sends, by enctype, from a
         * browser with fetch metadata and from one without it. */
        { "application/x-www-form-urlencoded", "note=x", "cross-site" },
        { "multipart/form-data; boundary=----x",
          "------x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1"
          "\r\n------x--\r\n", "cross-site" },
        { "text/plain", "{\"note\":\"x\"}", "cross-site" },
        { "application/x-www-form-urlencoded", "note=x", NULL },
        { "text/plain", "{\"note\":\"x\"}", NULL },
        { "text/plain", "{\"note\":\"x\"}", "same-site" },
    };
    size_t i;

    snprintf(path, sizeof(path), "/api/admin/escalations/%ld/claim", esc);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char sfs[64];
        const char *hdrs[3] = { "Origin: " SEC_EVIL, NULL, NULL };
        it_resp *r;

        if (forms[i].sfs) {
            snprintf(sfs, sizeof(sfs), "Sec-Fetch-Site: %s", forms[i].sfs);
            hdrs[1] = sfs;
        }
        r = it_req("POST", path, IT_STAFF, forms[i].ctype, forms[i].body,
                   -1, hdrs);
        it_assert_error(r, 403, "cross_site");
        it_free(r);
    }
    /* Origin "null" (a sandboxed frame, a file: page). */
    {
        const char *hdrs[] = { "Origin: null", NULL };
        it_resp *r = it_req("POST", path, IT_STAFF, "application/json", "{}",
                            -1, hdrs);

        it_assert_error(r, 403, "cross_site");
        it_free(r);
    }
    ck_assert_int_eq(sec_claimed(esc), 0);
}
END_TEST

/* A browser without Origin (old, or stripped by a proxy) still cannot send
 * JSON cross-site; a bodyless POST without a content type is refused
 * even from a non-browser client. */
START_TEST(csrf_content_type_required)
{
    long esc = sec_escalation();
    char path[128];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/escalations/%ld/claim", esc);
    r = it_req("POST", path, IT_STAFF, "", NULL, -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("POST", path, IT_STAFF, "text/plain", "", 0, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("POST", path, IT_STAFF, "application/x-www-form-urlencoded",
               "", 0, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    ck_assert_int_eq(sec_claimed(esc), 0);
    /* The patient's chat is a POST too. */
    r = it_req("POST", "/api/chat", NULL, "text/plain",
               "{\"message\":\"hello\"}", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    /* Markdown routes: text/markdown; text/plain only on a PUT, which no
     * form can send. */
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_ADMIN,
               "application/x-www-form-urlencoded", "a=b", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    /* As the dashboard sends it: JSON, same origin. */
    {
        char o[96], h[96];
        const char *hdrs[] = { o, "Sec-Fetch-Site: same-origin",
                               "Sec-Fetch-Mode: cors", h, NULL };

        snprintf(o, sizeof(o), "Origin: %s", sec_self);
        snprintf(h, sizeof(h), "Host: %s", sec_host);
        r = it_req("POST", path, IT_STAFF, "application/json", NULL, -1,
                   hdrs);
        ck_assert_msg(r->status == 200, "same-origin claim: %ld %s",
                      r->status, r->body);
        it_free(r);
    }
    ck_assert_int_eq(sec_claimed(esc), 1);
}
END_TEST

/* ---- reads that write audit entries ------------------------------------- */

START_TEST(csrf_img_read_refused)
{
    long esc = sec_escalation(), conv, before;
    char path[128];
    static const char *const img[] = {
        "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors",
        "Sec-Fetch-Dest: image", NULL
    };
    static const char *const link[] = {
        "Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: navigate",
        "Sec-Fetch-Dest: document", NULL
    };
    static const char *const own[] = {
        "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: cors",
        "Sec-Fetch-Dest: empty", NULL
    };
    it_resp *r;

    conv = it_sql_num("SELECT conversation_id FROM escalations WHERE id = "
                      "%ld", esc);
    snprintf(path, sizeof(path), "/api/admin/conversations/%ld", conv);
    /* Seal what is staged, so the counts below see only these reads. */
    it_free(it_get("/api/admin/audit?limit=1", IT_ADMIN));
    before = sec_audit_count();
    r = it_req("GET", path, IT_STAFF, NULL, NULL, -1, img);
    it_assert_error(r, 403, "cross_site");
    ck_assert_msg(!strstr(r->body, "chest"), "message text in a refusal");
    it_free(r);
    r = it_req("GET", path, IT_STAFF, NULL, NULL, -1, link);
    it_assert_error(r, 403, "cross_site");
    it_free(r);
    /* The refusals are on record as what they were - a hostile page's
     * attempt, auth.cross_site - and nothing was read. */
    ck_assert_msg(sec_audit_count() == before + 2
                  && it_sql_num("SELECT count(*) FROM (SELECT action, target "
                                "FROM audit_log UNION ALL SELECT action, "
                                "target FROM audit_pending) a WHERE action = "
                                "'auth.cross_site' AND target = '%s'", path)
                     == 2,
                  "refused cross-site reads: %s", it_sql("SELECT string_agg("
                  "action || ' ' || target, ', ') FROM (SELECT action, target "
                  "FROM audit_log ORDER BY seq DESC LIMIT 3) x"));
    before = sec_audit_count();
    /* The dashboard's own read works and is audited. */
    r = it_req("GET", path, IT_STAFF, NULL, NULL, -1, own);
    ck_assert_msg(r->status == 200, "same-origin read: %ld %s", r->status,
                  r->body);
    it_free(r);
    ck_assert_msg(sec_audit_count() == before + 1, "the allowed read was "
                  "not audited");
}
END_TEST

/* ---- allowed origins ------------------------------------------------------ */

START_TEST(csrf_allowed_origin)
{
    static const char *const allowed[] = {
        "Origin: " SEC_ALLOWED, "Sec-Fetch-Site: cross-site", NULL
    };
    static const char *const upper[] = {
        "Origin: HTTPS://WWW.Clinic.Example", "Sec-Fetch-Site: cross-site",
        NULL
    };
    static const char *const other_port[] = {
        "Origin: " SEC_ALLOWED ":8443", "Sec-Fetch-Site: cross-site", NULL
    };
    static const char *const lookalike[] = {
        "Origin: " SEC_ALLOWED ".evil.example", NULL
    };
    it_resp *r;

    r = it_req("POST", "/api/chat", NULL, "application/json",
               "{\"message\":\"What are your opening hours?\"}", -1, allowed);
    ck_assert_msg(r->status == 200, "allowed origin: %ld %s", r->status,
                  r->body);
    it_free(r);
    r = it_req("POST", "/api/chat", NULL, "application/json",
               "{\"message\":\"What are your opening hours?\"}", -1, upper);
    ck_assert_msg(r->status == 200, "allowed origin, other case: %ld %s",
                  r->status, r->body);
    it_free(r);
    r = it_req("POST", "/api/chat", NULL, "application/json",
               "{\"message\":\"What are your opening hours?\"}", -1,
               other_port);
    it_assert_error(r, 403, "cross_site");
    it_free(r);
    r = it_req("POST", "/api/chat", NULL, "application/json",
               "{\"message\":\"What are your opening hours?\"}", -1,
               lookalike);
    it_assert_error(r, 403, "cross_site");
    it_free(r);
}
END_TEST

/* Every state-changing route of the live table refuses a cross-site
 * request, with an admin's credentials, before its handler runs. */
START_TEST(csrf_every_route)
{
    it_resp *rt = it_get("/api/admin/routes", IT_ADMIN);
    json_t *routes = json_object_get(rt->json, "routes"), *e;
    static const char *const hdrs[] = {
        "Origin: " SEC_EVIL, "Sec-Fetch-Site: cross-site", NULL
    };
    size_t i;
    int n = 0;

    ck_assert_int_eq(rt->status, 200);
    json_array_foreach(routes, i, e) {
        const char *m = json_string_value(json_object_get(e, "method"));
        const char *pat = json_string_value(json_object_get(e, "pattern"));
        char *path = strdup(pat ? pat : ""), *p;
        it_resp *r;

        if (!m || !strcmp(m, "GET")) {
            free(path);
            continue;
        }
        /* {id} and {slug} parameters: any well-formed value. */
        while ((p = strchr(path, '{'))) {
            char *q = strchr(p, '}'), *np;

            ck_assert(q != NULL);
            *p = '\0';
            ck_assert(asprintf(&np, "%s1%s", path, q + 1) > 0);
            free(path);
            path = np;
        }
        r = it_req(m, path, IT_ADMIN, "application/json", "{}", -1, hdrs);
        ck_assert_msg(r->status == 403 && r->json
                      && !strcmp(json_string_value(json_object_get(
                             json_object_get(r->json, "error"), "code")),
                             "cross_site"),
                      "%s %s cross-site: %ld %s", m, path, r->status,
                      r->body);
        it_free(r);
        free(path);
        n++;
    }
    ck_assert_msg(n >= 20, "only %d state-changing routes", n);
    it_free(rt);
}
END_TEST

/* ---- reads of patient data, and who may resolve ---------------------------- */

static long sec_audited(const char *action, const char *actor,
                        const char *target, long id_in_detail)
{
    it_free(it_get("/api/admin/audit?limit=1", IT_ADMIN));  /* seal */
    return it_sql_num("SELECT count(*) FROM audit_log WHERE action = '%s' "
                      "AND actor = '%s' AND ('%s' = '' OR target = '%s') "
                      "AND (%ld = 0 OR (detail::jsonb -> 'ids') @> "
                      "to_jsonb(%ld))", action, actor, target, target,
                      id_in_detail, id_in_detail);
}

START_TEST(audit_staff_reads)
{
    long esc = sec_escalation(), conv;
    char path[128], target[32];
    it_resp *r;

    conv = it_sql_num("SELECT conversation_id FROM escalations WHERE id = "
                      "%ld", esc);
    snprintf(target, sizeof(target), "%ld", esc);
    /* One escalation: it carries the conversation. */
    snprintf(path, sizeof(path), "/api/admin/escalations/%ld", esc);
    r = it_get(path, IT_STAFF);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    ck_assert_msg(sec_audited("escalation.read", "it-staff", target, 0) == 1,
                  "GET escalation not audited");
    /* The queue and the conversation list show first messages. */
    r = it_get("/api/admin/escalations?limit=50", IT_STAFF);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    ck_assert_msg(sec_audited("escalation.list_read", "it-staff", "", esc)
                  >= 1, "the queue read is not audited with its ids");
    r = it_get("/api/admin/conversations?limit=50", IT_STAFF);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    ck_assert_msg(sec_audited("conversation.list_read", "it-staff", "", conv)
                  >= 1, "the conversation list read is not audited");
}
END_TEST

START_TEST(resolve_claimed_by_other)
{
    long esc = sec_escalation();
    char path[128], claim[128];
    it_resp *r;

    r = it_put_json("/api/admin/users/sec-staff-2", IT_ADMIN,
                    "{\"role\":\"staff\",\"password\":"
                    "\"sec-staff-2-password\"}");
    ck_assert_msg(r->status == 200 || r->status == 201, "%s", r->body);
    it_free(r);
    snprintf(claim, sizeof(claim), "/api/admin/escalations/%ld/claim", esc);
    snprintf(path, sizeof(path), "/api/admin/escalations/%ld/resolve", esc);
    r = it_req("POST", claim, IT_STAFF, NULL, NULL, -1, NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    /* Another staff member may not close what a colleague handles... */
    r = it_req("POST", path, "sec-staff-2:sec-staff-2-password",
               "application/json", "{\"outcome\":\"done\"}", -1, NULL);
    it_assert_error(r, 409, "claimed_by_other");
    it_free(r);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM escalations WHERE id "
                                "= %ld AND status = 'resolved'", esc), 0);
    /* ...an admin may. */
    r = it_req("POST", path, IT_ADMIN, "application/json",
               "{\"outcome\":\"called the patient back\"}", -1, NULL);
    ck_assert_msg(r->status == 200, "admin resolve: %ld %s", r->status,
                  r->body);
    it_free(r);
}
END_TEST

/* ---- logins -------------------------------------------------------------- */

#define LK_FAILS 4              /* ConciergeLoginLockout 4 8 */

static long lk_status(const char *src, const char *auth, const char *path)
{
    it_resp *r;
    long st;

    it_source_ip = src;
    r = it_get(path, auth);
    it_source_ip = NULL;
    st = r->status;
    if (st == 429) {
        ck_assert_msg(it_header(r, "Retry-After")
                      && atoi(it_header(r, "Retry-After")) >= 1,
                      "429 without Retry-After");
        it_assert_error(r, 429, "login_locked");
    }
    it_free(r);
    return st;
}

static void lk_user(const char *name, const char *role, const char *pw)
{
    char path[128], body[200];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/users/%s", name);
    snprintf(body, sizeof(body), "{\"role\":\"%s\",\"password\":\"%s\"}",
             role, pw);
    r = it_put_json(path, IT_ADMIN, body);
    ck_assert_msg(r->status == 200 || r->status == 201, "user %s: %ld %s",
                  name, r->status, r->body);
    it_free(r);
}

static long lk_audit(const char *where)
{
    return it_sql_num("SELECT count(*) FROM (SELECT actor, action, target, "
                      "detail FROM audit_log UNION ALL SELECT actor, action, "
                      "target, detail FROM audit_pending) a WHERE %s", where);
}

START_TEST(login_lockout_by_address)
{
    int i;

    for (i = 0; i < LK_FAILS; i++) {
        ck_assert_int_eq(lk_status("127.0.0.2", "nobody-typo:Secret-guess-1",
                                   "/api/admin/me"), 401);
    }
    /* Locked: even the right password of a real account gets 429 from
     * this address, with no password checked. */
    ck_assert_int_eq(lk_status("127.0.0.2", IT_ADMIN, "/api/admin/me"), 429);
    /* Another address is not affected, nor is the account. */
    ck_assert_int_eq(lk_status("127.0.0.1", IT_ADMIN, "/api/admin/me"), 200);
    /* The lock-out is on record; the mistyped name is not, anywhere. */
    it_free(it_get("/api/admin/audit?limit=1", IT_ADMIN));
    ck_assert_msg(lk_audit("action = 'auth.locked_out' AND target = "
                           "'127.0.0.2' AND actor = '(unknown user)'") == 1,
                  "lock-out not audited once");
    ck_assert_msg(lk_audit("actor || target || detail LIKE "
                           "'%%nobody-typo%%'") == 0,
                  "a typed name that matches no account was audited");
    /* The count decays: one failure back every 8/4 = 2 s. */
    sleep(3);
    ck_assert_int_eq(lk_status("127.0.0.2", IT_ADMIN, "/api/admin/me"), 200);
}
END_TEST

/* A graceful restart (logrotate's, every night) keeps the count: a
 * locked-out address is still locked out in the new generation's
 * processes (the buckets live in the parent's retained data). */
START_TEST(login_lockout_survives_graceful)
{
    int i, st = 0;

    for (i = 0; i < LK_FAILS; i++) {
        ck_assert_int_eq(lk_status("127.0.0.9", "graceful-typo:Secret-guess-2",
                                   "/api/admin/me"), 401);
    }
    ck_assert_int_eq(lk_status("127.0.0.9", IT_ADMIN, "/api/admin/me"), 429);
    ck_assert_int_eq(it_sh("scripts/httpd.sh graceful"), 0);
    /* Until the new generation answers (its children report a new pid),
     * any answer is fine; once they do, 429 still. */
    for (i = 0; i < 50; i++) {
        /* AH00489 once at start, once more when the restart is done. */
        char *log = it_log_read();
        const char *again = log ? strstr(log, "AH00489") : NULL;
        int restarted = again && strstr(again + 1, "AH00489");

        free(log);
        if (restarted) {
            break;
        }
        usleep(100 * 1000);
    }
    ck_assert_msg(i < 50, "no graceful restart in the error log");
    usleep(1000 * 1000);
    st = lk_status("127.0.0.9", IT_ADMIN, "/api/admin/me");
    ck_assert_msg(st == 429, "after a graceful restart the locked-out "
                  "address got %d", st);
    ck_assert_int_eq(lk_status("127.0.0.1", IT_ADMIN, "/api/admin/me"), 200);
}
END_TEST

START_TEST(login_lockout_by_account)
{
    lk_user("lock-me", "staff", "lock-me-password-1");
    /* Two addresses, two failures each: the account is locked... */
    ck_assert_int_eq(lk_status("127.0.0.3", "lock-me:wrong-1",
                               "/api/admin/me"), 401);
    ck_assert_int_eq(lk_status("127.0.0.3", "lock-me:wrong-2",
                               "/api/admin/me"), 401);
    ck_assert_int_eq(lk_status("127.0.0.4", "lock-me:wrong-3",
                               "/api/admin/me"), 401);
    ck_assert_int_eq(lk_status("127.0.0.4", "lock-me:wrong-4",
                               "/api/admin/me"), 401);
    /* ...from every address, the right password too... */
    ck_assert_int_eq(lk_status("127.0.0.5", "lock-me:lock-me-password-1",
                               "/api/admin/me"), 429);
    /* ...while those addresses still serve other accounts. */
    ck_assert_int_eq(lk_status("127.0.0.5", IT_STAFF, "/api/admin/me"), 200);
    ck_assert_int_eq(lk_status("127.0.0.4", IT_STAFF, "/api/admin/me"), 200);
    it_free(it_get("/api/admin/audit?limit=1", IT_ADMIN));
    ck_assert_msg(lk_audit("action = 'auth.locked_out' AND actor = "
                           "'lock-me'") == 1, "account lock-out not audited");
    /* The password guesses themselves are never stored. */
    ck_assert_msg(lk_audit("detail LIKE '%%wrong-%%'") == 0,
                  "a password guess is in the audit log");
}
END_TEST

START_TEST(login_success_does_not_reset)
{
    int i;

    lk_user("reset-me", "staff", "reset-me-password-1");
    for (i = 0; i < LK_FAILS - 1; i++) {
        ck_assert_int_eq(lk_status("127.0.0.6", "reset-me:wrong",
                                   "/api/admin/me"), 401);
    }
    /* The real user signs in from elsewhere... */
    ck_assert_int_eq(lk_status("127.0.0.7", "reset-me:reset-me-password-1",
                               "/api/admin/me"), 200);
    /* ...which does not clear the attacker's address: one more failure
     * there locks it. */
    ck_assert_int_eq(lk_status("127.0.0.6", "someone-else:wrong",
                               "/api/admin/me"), 401);
    ck_assert_int_eq(lk_status("127.0.0.6", IT_STAFF, "/api/admin/me"), 429);
}
END_TEST

static json_t *lk_logins(void)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *o;

    ck_assert_int_eq(r->status, 200);
    o = json_incref(json_object_get(r->json, "staff_logins"));
    it_free(r);
    return o;
}

/* A verified password is not hashed again on every request. */
START_TEST(login_cache_used)
{
    json_t *a, *b;
    long hashed, cached;
    int i;

    a = lk_logins();
    for (i = 0; i < 10; i++) {
        ck_assert_int_eq(lk_status("127.0.0.1", IT_ADMIN, "/api/admin/me"),
                         200);
    }
    b = lk_logins();
    hashed = (long)(json_integer_value(json_object_get(b,
                                                       "password_checked"))
                    - json_integer_value(json_object_get(a,
                                                         "password_checked")));
    cached = (long)(json_integer_value(json_object_get(b, "from_cache"))
                    - json_integer_value(json_object_get(a, "from_cache")));
    /* 11 requests (10 + health) over two processes: at most one bcrypt
     * each. */
    ck_assert_msg(hashed <= 2 && cached >= 9, "password checked %ld times, "
                  "from the cache %ld times", hashed, cached);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* While nothing changes, a cached credential needs no database read: with
 * staff_users locked against every reader, staff requests of a cached
 * credential are still answered at once (before: 503 after lock_timeout);
 * an uncached one waits for the database as it must. */
START_TEST(login_cache_no_db_read)
{
    it_resp *h = it_get("/api/admin/health", IT_ADMIN);
    double t0;
    int i, st;

    ck_assert_msg(json_is_true(json_object_get(json_object_get(h->json,
                      "staff_logins"), "changes_pushed")),
                  "credential changes are not pushed: %.300s", h->body);
    it_free(h);
    for (i = 0; i < 6; i++) {       /* cached in both processes */
        ck_assert_int_eq(lk_status("127.0.0.1", IT_ADMIN, "/api/admin/me"),
                         200);
    }
    ck_assert_int_eq(it_sh("(echo 'BEGIN; LOCK TABLE staff_users IN ACCESS "
                           "EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT;' | "
                           "scripts/pg.sh psql -q >/dev/null 2>&1 &)"), 0);
    usleep(700 * 1000);
    for (i = 0; i < 6; i++) {
        struct timespec ts;
        double secs;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = ts.tv_sec + ts.tv_nsec / 1e9;
        st = lk_status("127.0.0.1", IT_ADMIN, "/api/admin/me");
        clock_gettime(CLOCK_MONOTONIC, &ts);
        secs = ts.tv_sec + ts.tv_nsec / 1e9 - t0;
        ck_assert_msg(st == 200 && secs < 1.0, "a cached staff request "
                      "while staff_users is locked: %d after %.2f s", st,
                      secs);
    }
    sleep(5);
}
END_TEST

/* A cached credential is dropped as soon as the account changes, by the
 * API or by SQL behind the module's back. */
START_TEST(login_cache_dropped_on_change)
{
    int i;

    lk_user("cache-me", "admin", "cache-me-password-1");
    for (i = 0; i < 4; i++) {       /* cached in both processes */
        ck_assert_int_eq(lk_status("127.0.0.8", "cache-me:cache-me-password-1",
                                   "/api/admin/audit?limit=1"), 200);
    }
    /* Password changed through the API: the old one fails at once. */
    lk_user("cache-me", "admin", "cache-me-password-2");
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(lk_status("127.0.0.8",
                                   "cache-me:cache-me-password-1",
                                   "/api/admin/audit?limit=1"), 401);
    }
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(lk_status("127.0.0.9",
                                   "cache-me:cache-me-password-2",
                                   "/api/admin/audit?limit=1"), 200);
    }
    /* Demoted by SQL: an admin route refuses at once. */
    it_sql_exec("UPDATE staff_users SET role = 'staff' WHERE username = "
                "'cache-me'");
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(lk_status("127.0.0.9",
                                   "cache-me:cache-me-password-2",
                                   "/api/admin/audit?limit=1"), 403);
    }
    /* Switched off by SQL: refused at once. */
    it_sql_exec("UPDATE staff_users SET active = false WHERE username = "
                "'cache-me'");
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(lk_status("127.0.0.10",
                                   "cache-me:cache-me-password-2",
                                   "/api/admin/me"), 401);
    }
    /* A change that proves nothing new keeps the version. */
    ck_assert_int_eq(it_sql_num("WITH u AS (UPDATE staff_users SET "
                                "updated_at = now(), cred_version = 1 "
                                "WHERE username = 'cache-me' RETURNING "
                                "cred_version) SELECT cred_version FROM u"),
                     4);
}
END_TEST

/* ---- behind a reverse proxy ---------------------------------------------- */

/* GET /api/services from src with X-Forwarded-For xff (NULL: none). */
static long px_get(const char *src, const char *xff)
{
    char h[128];
    const char *hdrs[] = { h, NULL };
    it_resp *r;
    long st;

    snprintf(h, sizeof(h), "X-Forwarded-For: %s", xff ? xff : "");
    it_source_ip = src;
    r = it_req("GET", "/api/services", NULL, NULL, NULL, -1,
               xff ? hdrs : NULL);
    it_source_ip = NULL;
    st = r->status;
    it_free(r);
    return st;
}

/* mod_remoteip with the proxy at 127.0.0.2 (README, "Behind a reverse
 * proxy"): a forged X-Forwarded-For from anyone else changes nothing, the
 * proxy's is the client, and IPv6 clients share a bucket per /64. */
START_TEST(proxy_forwarded_for)
{
    char xff[64];
    int i;

    /* Not the proxy: the header is ignored, every request is 127.0.0.3's. */
    for (i = 0; i < 3; i++) {
        snprintf(xff, sizeof(xff), "198.51.100.%d", i + 1);
        ck_assert_int_eq(px_get("127.0.0.3", xff), 200);
    }
    ck_assert_int_eq(px_get("127.0.0.3", "198.51.100.99"), 429);
    /* Through the proxy: each forwarded client has its own bucket. */
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(px_get("127.0.0.2", "198.51.100.10"), 200);
    }
    ck_assert_int_eq(px_get("127.0.0.2", "198.51.100.10"), 429);
    ck_assert_int_eq(px_get("127.0.0.2", "198.51.100.11"), 200);
    /* IPv6: one bucket for the /64. */
    ck_assert_int_eq(px_get("127.0.0.2", "2001:db8:1:2::1"), 200);
    ck_assert_int_eq(px_get("127.0.0.2", "2001:db8:1:2::2"), 200);
    ck_assert_int_eq(px_get("127.0.0.2", "2001:db8:1:2:ffff::3"), 200);
    ck_assert_int_eq(px_get("127.0.0.2", "2001:db8:1:2::4"), 429);
    ck_assert_int_eq(px_get("127.0.0.2", "2001:db8:1:3::1"), 200);
}
END_TEST

/* A full bucket table (ConciergeRateLimitSlots 64, the least allowed):
 * a hundred addresses, one request each.  Those that find no room share
 * their class's overflow bucket (3 requests a minute, like one client)
 * instead of evicting a live bucket and starting with a full one; the
 * client that had used up its own bucket is still refused. */
START_TEST(buckets_full_table)
{
    char ip[32];
    int i, n429 = 0;
    it_resp *h;
    long overflows;

    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(px_get("127.0.1.1", NULL), 200);
    }
    ck_assert_int_eq(px_get("127.0.1.1", NULL), 429);
    for (i = 2; i <= 101; i++) {
        snprintf(ip, sizeof(ip), "127.0.1.%d", i);
        n429 += px_get(ip, NULL) == 429;
    }
    ck_assert_msg(n429 >= 30, "only %d of 100 new addresses were refused "
                  "with a 64-slot table: new keys got fresh buckets", n429);
    ck_assert_int_eq(px_get("127.0.1.1", NULL), 429);
    h = it_get("/api/admin/health", IT_ADMIN);
    overflows = (long)json_integer_value(json_object_get(json_object_get(
        json_object_get(h->json, "shared_memory"), "rate_limiter"),
        "overflows"));
    ck_assert_msg(overflows >= n429, "health counts %ld overflows for %d "
                  "refused newcomers: %.600s", overflows, n429, h->body);
    it_free(h);
}
END_TEST

static void buckets_setup(void)
{
    it_httpd_start("ConciergeRateLimitSlots 64\n"
                   "ConciergeRateLimit browse 3/min\n"
                   "ConciergeRateLimit admin 100000/min\n", 1, 8);
}

static void proxy_setup(void)
{
    it_httpd_start("LoadModule remoteip_module "
                   "/usr/lib/apache2/modules/mod_remoteip.so\n"
                   "RemoteIPHeader X-Forwarded-For\n"
                   "RemoteIPInternalProxy 127.0.0.2\n"
                   "ConciergeRateLimit browse 3/min\n", 1, 8);
}

static void sec_setup(void)
{
    it_httpd_start("ConciergeRateLimit chat 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n"
                   "ConciergeAllowedOrigin " SEC_ALLOWED "\n", 2, 8);
    snprintf(sec_self, sizeof(sec_self), "http://127.0.0.1:%d", it_port);
    snprintf(sec_host, sizeof(sec_host), "127.0.0.1:%d", it_port);
}

static void sec_teardown(void)
{
    it_httpd_stop();
}

static void login_setup(void)
{
    it_httpd_start("ConciergeRateLimit admin 100000/min\n"
                   "ConciergeRateLimit login 100000/min\n"
                   "ConciergeLoginLockout 4 8\n", 2, 8);
}

Suite *it_suite_security(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("csrf");

    tcase_add_unchecked_fixture(tc, sec_setup, sec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, csrf_form_posts_refused);
    tcase_add_test(tc, csrf_content_type_required);
    tcase_add_test(tc, csrf_img_read_refused);
    tcase_add_test(tc, csrf_allowed_origin);
    tcase_add_test(tc, csrf_every_route);
    tcase_add_test(tc, audit_staff_reads);
    tcase_add_test(tc, resolve_claimed_by_other);
    suite_add_tcase(s, tc);

    tc = tcase_create("login");
    tcase_add_unchecked_fixture(tc, login_setup, sec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, login_lockout_by_address);
    tcase_add_test(tc, login_lockout_survives_graceful);
    tcase_add_test(tc, login_lockout_by_account);
    tcase_add_test(tc, login_success_does_not_reset);
    tcase_add_test(tc, login_cache_used);
    tcase_add_test(tc, login_cache_no_db_read);
    tcase_add_test(tc, login_cache_dropped_on_change);
    suite_add_tcase(s, tc);

    tc = tcase_create("proxy");
    tcase_add_unchecked_fixture(tc, proxy_setup, sec_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, proxy_forwarded_for);
    suite_add_tcase(s, tc);

    tc = tcase_create("buckets");
    tcase_add_unchecked_fixture(tc, buckets_setup, sec_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, buckets_full_table);
    suite_add_tcase(s, tc);

    it_security_privacy_tcases(s);
    it_security_chat_tcases(s);
    return s;
}
