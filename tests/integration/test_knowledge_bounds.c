/*
 * test_knowledge_bounds.c - knowledge edits sized before they commit
 * (issue 12 item 6), on a server of their own with ConciergeIndexSize 1M;
 * part of the `knowledge` suite.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "knowledge.h"

/* ---- index size bounds (their own server: ConciergeIndexSize 1M) -------- */

/* A Markdown body of n distinct words (~12 bytes each): its index image
 * holds the text and every word, so 120,000 words need well over 1 MB. */
static char *kn_big_markdown(int n)
{
    size_t cap = (size_t)n * 12 + 64, len;
    char *s = malloc(cap);
    int i;

    ck_assert(s != NULL);
    len = (size_t)snprintf(s, cap, "# Big\n\n## Many words\n\n");
    for (i = 0; i < n; i++) {
        len += (size_t)snprintf(s + len, cap - len, "wd%07d ", i);
    }
    return s;
}

static json_t *kn_health_index(void)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *ix;

    ck_assert_msg(r->status == 200, "health: %ld %s", r->status, r->body);
    ix = json_incref(json_object_get(r->json, "index"));
    it_free(r);
    ck_assert_msg(json_is_object(ix), "health without index");
    return ix;
}

static long kn_count(const char *log, const char *needle)
{
    long n = 0;

    for (; (log = strstr(log, needle)); log++) {
        n++;
    }
    return n;
}

/* An edit whose index would not fit a slot is refused before COMMIT:
 * 413 index_too_large naming both sizes; no document, no version, no
 * audit entry.  A change that fits is installed by the request itself
 * (generation in the reply, searchable at once). */
START_TEST(kn_too_large_refused)
{
    json_int_t v0 = kn_version(), v1;
    long audit0 = it_sql_num("SELECT count(*) FROM audit_log");
    long docs0 = it_sql_num("SELECT count(*) FROM knowledge_documents");
    char *md = kn_big_markdown(120000), *body;
    const char *msg;
    json_t *o, *ix;
    it_resp *r;

    o = json_pack("{s:s, s:s, s:s}", "title", "Big", "body", md, "slug",
                  "big-doc");
    body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    r = it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
               "application/json", body, -1, NULL);
    it_assert_error(r, 413, "index_too_large");
    msg = kn_str(json_object_get(r->json, "error"), "message");
    if (!msg) {
        msg = kn_str(r->json, "message");
    }
    ck_assert_msg(msg && strstr(msg, "ConciergeIndexSize is 1048576")
                  && strstr(msg, "would need"),
                  "the refusal does not state both sizes: %s", r->body);
    it_free(r);
    free(body);

    /* The whole-base upload too. */
    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN,
               "text/markdown; charset=utf-8", md, -1, NULL);
    it_assert_error(r, 413, "index_too_large");
    it_free(r);
    free(md);

    ck_assert_msg(kn_version() == v0, "a refused edit moved the version");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM audit_log"), audit0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM knowledge_documents"),
                     docs0);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM knowledge_documents "
                                "WHERE slug IN ('big-doc', 'handbook')"), 0);
    ix = kn_health_index();
    ck_assert_msg(json_is_null(json_object_get(ix, "error"))
                  && json_integer_value(json_object_get(ix, "failed_builds"))
                     == 0, "refused edits left a failed build: %s",
                  json_dumps(ix, JSON_COMPACT));
    json_decref(ix);

    /* A change that fits: built before COMMIT and live when answered. */
    body = kn_cat_body("Marmalade", 0);
    r = it_put_json(KN_CAT_PATH, IT_ADMIN, body);
    free(body);
    ck_assert_msg(r->status == 201, "PUT clinic-cat: %ld %s", r->status,
                  r->body);
    v1 = json_integer_value(json_object_get(r->json, "version"));
    ck_assert_msg(v1 == v0 + 1
                  && json_integer_value(json_object_get(r->json,
                                                        "index_version"))
                     == v1
                  && json_is_integer(json_object_get(r->json, "generation")),
                  "the edit's own image is not the live one: %s", r->body);
    it_free(r);
    r = kn_search(KN_CAT_Q, 1);
    ck_assert_msg(strstr(r->body, "Marmalade"), "the cat is not found at "
                  "once: %s", r->body);
    it_free(r);
    r = it_req("DELETE", KN_CAT_PATH, IT_ADMIN, NULL, NULL, -1, NULL);
    ck_assert_msg(r->status == 200, "DELETE: %ld %s", r->status, r->body);
    it_free(r);
}
END_TEST

/* A base made too large around the API (SQL) is tried once, then backed
 * off (every host used to rebuild it once a second forever); the previous
 * index keeps answering, health says why, and deleting through the API
 * recovers at once. */
START_TEST(kn_oversize_backoff)
{
    json_t *ix, *err;
    it_resp *r;
    char *log;
    long tries;
    double until;

    it_sql_exec("INSERT INTO knowledge_documents (slug, title, format, body, "
                "updated_by) SELECT 'big-sql', 'Big', 'markdown', "
                "'# Big' || chr(10) || chr(10) || string_agg('wd' || "
                "lpad(g::text, 7, '0'), ' ') , 'psql' FROM "
                "generate_series(1, 150000) g; UPDATE knowledge_state SET "
                "version = version + 1");
    /* 4 s of traffic: searches, lists and health probes. */
    until = kn_now() + 4.0;
    while (kn_now() < until) {
        r = kn_search("parking", 3);
        ck_assert_msg(json_array_size(r->json) > 0, "the previous index "
                      "stopped answering: %s", r->body);
        it_free(r);
        ix = kn_health_index();
        json_decref(ix);
        usleep(100 * 1000);
    }
    ix = kn_health_index();
    err = json_object_get(ix, "error");
    ck_assert_msg(json_is_object(err)
                  && !strcmp(kn_str(err, "code"), "index_too_large")
                  && json_integer_value(json_object_get(err, "needed_bytes"))
                     > json_integer_value(json_object_get(ix, "slot_bytes"))
                  && json_integer_value(json_object_get(err, "retry_in_ms"))
                     > 0,
                  "health does not show the oversize index: %s",
                  json_dumps(ix, JSON_COMPACT));
    json_decref(ix);
    log = it_log_read();
    tries = kn_count(log, "CC00605");
    free(log);
    ck_assert_msg(tries >= 1 && tries <= 2, "the oversize index was built %ld "
                  "times in 4 s (expected once, then a 5 s back-off)", tries);

    /* Deleting through the API is always allowed, and recovers. */
    r = it_req("DELETE", "/api/admin/knowledge/documents/big-sql", IT_ADMIN,
               NULL, NULL, -1, NULL);
    ck_assert_msg(r->status == 200 && json_is_integer(json_object_get(
                      r->json, "generation")),
                  "DELETE big-sql: %ld %s", r->status, r->body);
    it_free(r);
    ix = kn_health_index();
    ck_assert_msg(json_is_null(json_object_get(ix, "error")),
                  "the error stays after recovery: %s",
                  json_dumps(ix, JSON_COMPACT));
    json_decref(ix);
}
END_TEST

START_TEST(kn_bounds_log_clean)
{
    /* kn_oversize_backoff's build, once per back-off. */
    static const char *const allowed[] = { "CC00605", NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

static void kn_bounds_setup(void)
{
    it_httpd_start("ConciergeRateLimit admin 100000/min\n"
                   "ConciergeIndexSize 1M\n", 2, 8);
}

static void kn_bounds_teardown(void)
{
    it_sh("scripts/pg.sh apppsql -q -c \"DELETE FROM knowledge_documents "
          "WHERE slug IN ('big-sql', 'big-doc', 'clinic-cat'); UPDATE "
          "knowledge_state SET version = version + 1\" >/dev/null");
    it_httpd_stop();
}


void kn_add_bounds_tcase(Suite *s)
{
    TCase *tc = tcase_create("knowledge_bounds");

    tcase_add_unchecked_fixture(tc, kn_bounds_setup, kn_bounds_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kn_too_large_refused);
    tcase_add_test(tc, kn_oversize_backoff);
    tcase_add_test(tc, kn_bounds_log_clean);
    suite_add_tcase(s, tc);
}
