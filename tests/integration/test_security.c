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
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    suite_add_tcase(s, tc);
    return s;
}
