/*
 * test_knowledge.c - the knowledge base through the admin API: the list
 * and its index, a document's life (create, search, chat, update, delete,
 * audit), refused input, synonyms, searches racing index rebuilds, a
 * change made behind the module's back (another host), and replacing the
 * whole base (restored afterwards for the other suites).  No LLM is
 * configured in this group.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <time.h>
#include "harness.h"
#include "knowledge.h"

#define KN_HANDBOOK "# Handbook\n\n## Opening hours\n\nWe are open 9 to 5.\n\n" \
                    "## Parking\n\nPark at the back."

/* ---- helpers ------------------------------------------------------------- */

const char *kn_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

double kn_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The cat document's JSON body with `name` as the cat's name. */
char *kn_cat_body(const char *name, int with_slug)
{
    char text[256];
    json_t *o;
    char *s;

    snprintf(text, sizeof(text), "# Clinic cat\n\n## Our clinic cat\n\nThe "
             "clinic cat is called %s and sleeps in reception.", name);
    o = json_pack("{s:s, s:s}", "title", "Clinic cat", "body", text);
    if (with_slug) {
        json_object_set_new(o, "slug", json_string("clinic-cat"));
    }
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* PUT the cat document naming the cat `name`; asserted 200 or 201. */
static void kn_put_cat(const char *name)
{
    char *body = kn_cat_body(name, 0);
    it_resp *r = it_put_json(KN_CAT_PATH, IT_ADMIN, body);

    ck_assert_msg(r->status == 200 || r->status == 201, "PUT clinic-cat "
                  "(%s): status %ld, body %s", name, r->status, r->body);
    free(body);
    it_free(r);
}

/* GET /api/admin/knowledge/search?q=<encoded q>&k=<k>, asserted 200. */
it_resp *kn_search(const char *q, int k)
{
    char path[512];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/knowledge/search?q=%s&k=%d", q,
             k);
    r = it_get(path, IT_ADMIN);
    ck_assert_msg(r->status == 200 && json_is_array(r->json),
                  "GET %s: status %ld, body %s", path, r->status, r->body);
    return r;
}

/* Index of the first hit whose id starts with `prefix`, or -1. */
static int kn_hit_index(it_resp *r, const char *prefix)
{
    size_t i, n = strlen(prefix);
    json_t *h;

    json_array_foreach(r->json, i, h) {
        const char *id = kn_str(h, "id");

        if (id && !strncmp(id, prefix, n)) {
            return (int)i;
        }
    }
    return -1;
}

/* GET /api/admin/knowledge, asserted 200. */
static it_resp *kn_list(void)
{
    it_resp *r = it_get("/api/admin/knowledge", IT_ADMIN);

    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "GET /api/admin/knowledge: status %ld, body %s", r->status,
                  r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "version")),
                  "no integer version: %s", r->body);
    ck_assert_msg(json_is_array(json_object_get(r->json, "documents")),
                  "no documents array: %s", r->body);
    return r;
}

json_int_t kn_version(void)
{
    it_resp *r = kn_list();
    json_int_t v = json_integer_value(json_object_get(r->json, "version"));

    it_free(r);
    return v;
}

/* Newest audit entry with `action`, asserted present. */
static it_resp *kn_audit_newest(const char *action)
{
    char path[256];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/admin/audit?action=%s&limit=1",
             action);
    r = it_get(path, IT_ADMIN);
    ck_assert_msg(r->status == 200
                  && json_array_size(json_object_get(r->json, "entries"))
                     == 1,
                  "GET %s: status %ld, body %s", path, r->status, r->body);
    return r;
}

static void kn_assert_audit(const char *action, const char *target)
{
    it_resp *r = kn_audit_newest(action);
    json_t *e = json_array_get(json_object_get(r->json, "entries"), 0);

    ck_assert_msg(!strcmp(kn_str(e, "action"), action)
                  && !strcmp(kn_str(e, "target"), target)
                  && !strcmp(kn_str(e, "actor"), "it-admin"),
                  "newest %s entry is not it-admin on %s: %s", action,
                  target, r->body);
    it_free(r);
}

/* Poll a search until its top hit's id / text satisfy the test, for up to
 * `secs` seconds; returns the last answer. */
static it_resp *kn_poll(const char *q, const char *id_prefix, int id_not,
                        const char *text_has, double secs)
{
    double until = kn_now() + secs;
    it_resp *r;

    for (;;) {
        json_t *top;
        const char *id, *text;
        int ok;

        r = kn_search(q, 1);
        top = json_array_get(r->json, 0);
        id = top ? kn_str(top, "id") : NULL;
        text = top ? kn_str(top, "text") : NULL;
        ok = id && text;
        if (ok && id_prefix) {
            int match = strncmp(id, id_prefix, strlen(id_prefix)) == 0;

            ok = id_not ? !match : match;
        }
        if (ok && text_has) {
            ok = strstr(text, text_has) != NULL;
        }
        if (ok || kn_now() > until) {
            return r;
        }
        it_free(r);
        usleep(100 * 1000);
    }
}

/* ---- list and index ------------------------------------------------------ */

START_TEST(kn_list_and_index)
{
    it_resp *s = kn_search("parking", 3), *r;
    json_t *docs, *d, *idx;
    size_t i;

    ck_assert_msg(json_array_size(s->json) > 0, "no hit for parking: %s",
                  s->body);
    it_free(s);
    r = kn_list();
    ck_assert_msg(json_integer_value(json_object_get(r->json, "version")) > 0,
                  "version is not positive: %s", r->body);
    docs = json_object_get(r->json, "documents");
    ck_assert_msg(json_array_size(docs) >= 5, "only %zu documents: %s",
                  json_array_size(docs), r->body);
    json_array_foreach(docs, i, d) {
        const char *fmt = kn_str(d, "format");

        ck_assert_msg(kn_str(d, "slug") && *kn_str(d, "slug")
                      && kn_str(d, "title") && *kn_str(d, "title")
                      && fmt && (!strcmp(fmt, "markdown")
                                 || !strcmp(fmt, "text"))
                      && json_is_integer(json_object_get(d, "bytes"))
                      && json_integer_value(json_object_get(d, "bytes")) > 0,
                      "document %zu lacks slug/title/format/bytes: %s", i,
                      r->body);
        ck_assert_msg(json_object_get(d, "body") == NULL,
                      "the list carries document bodies");
    }
    idx = json_object_get(r->json, "index");
    ck_assert_msg(json_is_object(idx), "no index object: %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(idx, "generation")) > 0,
                  "index generation is not positive after a search: %s",
                  r->body);
    ck_assert_msg(json_integer_value(json_object_get(idx, "chunks")) > 60,
                  "the sample knowledge has only %lld chunks: %s",
                  (long long)json_integer_value(json_object_get(idx,
                                                                "chunks")),
                  r->body);
    it_free(r);

    r = it_get("/api/admin/knowledge/documents/visiting", IT_ADMIN);
    ck_assert_msg(r->status == 200 && kn_str(r->json, "body")
                  && strstr(kn_str(r->json, "body"), "Prince Street"),
                  "GET visiting: status %ld, body %.300s", r->status,
                  r->body);
    it_free(r);
}
END_TEST

/* ---- a document's life --------------------------------------------------- */

START_TEST(kn_document_lifecycle)
{
    char *body;
    it_resp *r, *s;
    json_int_t v0;
    json_t *top;
    const char *text, *reply;

    r = it_req("DELETE", KN_CAT_PATH, IT_ADMIN, NULL, NULL, -1, NULL);
    it_free(r);     /* left over from an earlier run: either way */
    v0 = kn_version();

    r = it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
               "application/json", "{\"title\":\"Clinic cat\",\"body\":\"# "
               "Clinic cat\\n\\n## Our clinic cat\\n\\nThe clinic cat is "
               "called Marmalade and sleeps in reception.\"}", -1, NULL);
    ck_assert_msg(r->status == 201, "create: status %ld, body %s", r->status,
                  r->body);
    ck_assert_msg(kn_str(r->json, "slug")
                  && !strcmp(kn_str(r->json, "slug"), "clinic-cat"),
                  "create: slug is not clinic-cat: %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "version"))
                  > v0, "create: version did not move past %lld: %s",
                  (long long)v0, r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "generation"))
                  > 0, "create: no generation: %s", r->body);
    it_free(r);

    /* Searchable at once (the POST answers once the index is live). */
    s = kn_search(KN_CAT_Q, 3);
    top = json_array_get(s->json, 0);
    ck_assert_msg(top && kn_str(top, "title")
                  && !strcmp(kn_str(top, "title"), "Our clinic cat")
                  && strstr(kn_str(top, "text"), "Marmalade"),
                  "top hit for the cat is not the new document: %s", s->body);
    it_free(s);

    /* The bot answers from it. */
    r = it_req("POST", "/api/chat", NULL, "application/json",
               "{\"message\":\"what's the name of your cat?\"}", -1, NULL);
    ck_assert_msg(r->status == 200, "chat: status %ld, body %s", r->status,
                  r->body);
    reply = kn_str(r->json, "reply");
    ck_assert_msg(kn_str(r->json, "status")
                  && !strcmp(kn_str(r->json, "status"), "answered")
                  && reply && strstr(reply, "Marmalade"),
                  "chat about the cat does not answer Marmalade: %s",
                  r->body);
    it_free(r);

    /* The slug is taken now. */
    v0 = kn_version();
    r = it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
               "application/json", "{\"title\":\"Clinic cat\",\"body\":\"x\"}",
               -1, NULL);
    it_assert_error(r, 409, "slug_taken");
    it_free(r);
    ck_assert_msg(kn_version() == v0, "a refused create moved the version");

    /* Update: Pickles replaces Marmalade. */
    body = kn_cat_body("Pickles", 0);
    r = it_put_json(KN_CAT_PATH, IT_ADMIN, body);
    free(body);
    ck_assert_msg(r->status == 200, "update: status %ld, body %s", r->status,
                  r->body);
    ck_assert_msg(json_is_false(json_object_get(r->json, "created"))
                  && json_integer_value(json_object_get(r->json, "version"))
                     > v0,
                  "update: created is not false or version did not move: %s",
                  r->body);
    it_free(r);
    s = kn_search(KN_CAT_Q, 3);
    top = json_array_get(s->json, 0);
    text = top ? kn_str(top, "text") : NULL;
    ck_assert_msg(text && strstr(text, "Pickles") && !strstr(text,
                                                              "Marmalade"),
                  "after the update the top hit is not Pickles only: %s",
                  s->body);
    it_free(s);
    r = it_get(KN_CAT_PATH, IT_ADMIN);
    ck_assert_msg(r->status == 200 && kn_str(r->json, "body")
                  && strstr(kn_str(r->json, "body"), "Pickles")
                  && !strcmp(kn_str(r->json, "title"), "Clinic cat"),
                  "GET clinic-cat: status %ld, body %s", r->status, r->body);
    it_free(r);

    kn_assert_audit("knowledge.create", "clinic-cat");
    kn_assert_audit("knowledge.update", "clinic-cat");

    /* Delete. */
    r = it_req("DELETE", KN_CAT_PATH, IT_ADMIN, NULL, NULL, -1, NULL);
    ck_assert_msg(r->status == 200, "delete: status %ld, body %s", r->status,
                  r->body);
    it_free(r);
    kn_assert_audit("knowledge.delete", "clinic-cat");
    s = kn_search(KN_CAT_Q, 50);
    ck_assert_msg(kn_hit_index(s, "clinic-cat#") < 0, "the deleted document "
                  "is still found: %s", s->body);
    it_free(s);
    r = it_get(KN_CAT_PATH, IT_ADMIN);
    it_assert_error(r, 404, "not_found");
    it_free(r);
    r = it_req("DELETE", KN_CAT_PATH, IT_ADMIN, NULL, NULL, -1, NULL);
    it_assert_error(r, 404, "not_found");
    it_free(r);
}
END_TEST

/* ---- refused input: JSON errors, the version unchanged -------------------- */

static it_resp *kn_post_doc(const char *body)
{
    return it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
                  "application/json", body, -1, NULL);
}

START_TEST(kn_bad_input)
{
    json_int_t v0 = kn_version(), v1;
    char title[256], body[512];
    it_resp *r;

    r = it_put_json("/api/admin/knowledge/documents/Bad%20Slug!", IT_ADMIN,
                    "{\"title\":\"Bad\",\"body\":\"x\"}");
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_put_json("/api/admin/knowledge/documents/UPPER", IT_ADMIN,
                    "{\"title\":\"Bad\",\"body\":\"x\"}");
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_put_json("/api/admin/knowledge/documents/visiting", IT_ADMIN,
                    "{\"title\":\"Bad\",\"body\":\"x\",\"slug\":\"faq\"}");
    it_assert_error(r, 422, "slug_mismatch");
    it_free(r);

    r = kn_post_doc("{\"title\":\"Upper\",\"body\":\"x\",\"slug\":\"UPPER\"}");
    it_assert_error(r, 422, "invalid_slug");
    it_free(r);
    r = kn_post_doc("{\"title\":\"Dots\",\"body\":\"x\",\"slug\":\".hidden\"}");
    it_assert_error(r, 422, "invalid_slug");
    it_free(r);
    r = kn_post_doc("{\"title\":\"\",\"body\":\"x\"}");
    it_assert_error(r, 422, "invalid_title");
    it_free(r);
    memset(title, 'a', 201);
    title[201] = '\0';
    snprintf(body, sizeof(body), "{\"title\":\"%s\",\"body\":\"x\"}", title);
    r = kn_post_doc(body);
    it_assert_error(r, 422, "invalid_title");
    it_free(r);
    r = kn_post_doc("{\"title\":\"Pdf\",\"body\":\"x\",\"format\":\"pdf\"}");
    it_assert_error(r, 422, "invalid_format");
    it_free(r);
    r = kn_post_doc("{\"title\":\"No body\"}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = kn_post_doc("{\"title\":\"Extra\",\"body\":\"x\",\"extra\":1}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    /* A NUL in the body: refused by the JSON decoder already. */
    r = kn_post_doc("{\"title\":\"Nul\",\"body\":\"a\\u0000b\"}");
    it_assert_error(r, 400, "invalid_json");
    it_free(r);
    r = kn_post_doc("{\"title\":");
    it_assert_error(r, 400, "invalid_json");
    it_free(r);

    /* Whole replacement: text only, valid UTF-8, not empty, admins only. */
    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN, "application/json",
               "{\"body\":\"# Handbook\"}", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN, "text/markdown",
               "# Handbook\n\nBad \xff\xfe bytes\n", -1, NULL);
    it_assert_error(r, 400, "invalid_text");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN,
               "text/markdown; charset=iso-8859-1", "# Handbook\n", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN, "text/markdown", "",
               0, NULL);
    it_assert_error(r, 400, "empty_body");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge", IT_STAFF, "text/markdown",
               KN_HANDBOOK, -1, NULL);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge", NULL, "text/markdown",
               KN_HANDBOOK, -1, NULL);
    it_assert_error(r, 401, "authentication_required");
    it_free(r);
    r = it_req("POST", "/api/admin/knowledge/documents", IT_STAFF,
               "application/json", "{\"title\":\"Staff\",\"body\":\"x\"}", -1,
               NULL);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = it_get("/api/admin/knowledge", IT_STAFF);
    it_assert_error(r, 403, "forbidden");
    it_free(r);

    /* Search parameters. */
    r = it_get("/api/admin/knowledge/search?q=", IT_ADMIN);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/knowledge/search?q=parking&k=0", IT_ADMIN);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_get("/api/admin/knowledge/search?q=%FF%FE", IT_ADMIN);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);

    v1 = kn_version();
    ck_assert_msg(v1 == v0, "refused requests moved the version from %lld "
                  "to %lld", (long long)v0, (long long)v1);
    r = it_get("/api/admin/knowledge/documents/handbook", IT_ADMIN);
    it_assert_error(r, 404, "not_found");
    it_free(r);
}
END_TEST

/* ---- synonyms ------------------------------------------------------------ */

static char *kn_trim_dup(const char *s)
{
    char *d = strdup(s);
    size_t n = strlen(d);

    while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r')) {
        d[--n] = '\0';
    }
    return d;
}

START_TEST(kn_synonyms)
{
    it_resp *r, *s;
    const char *ct;
    char *orig, *shipped, *trim_a, *trim_b, *body;
    FILE *f;
    size_t cap = 0;

    r = it_get("/api/admin/knowledge/synonyms", IT_ADMIN);
    ck_assert_msg(r->status == 200, "GET synonyms: status %ld, body %s",
                  r->status, r->body);
    ct = it_header(r, "Content-Type");
    ck_assert_msg(ct && !strncmp(ct, "text/plain", 10), "synonyms content "
                  "type %s", ct ? ct : "(none)");
    orig = strdup(r->body);
    it_free(r);

    /* The shipped list, as the seed loaded it. */
    shipped = NULL;
    f = fopen("knowledge/synonyms.txt", "r");
    if (f) {
        char buf[4096];
        size_t n;
        FILE *m = open_memstream(&shipped, &cap);

        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            fwrite(buf, 1, n, m);
        }
        fclose(m);
        fclose(f);
    }
    ck_assert_msg(shipped != NULL, "cannot read knowledge/synonyms.txt");
    trim_a = kn_trim_dup(orig);
    trim_b = kn_trim_dup(shipped);
    ck_assert_msg(!strcmp(trim_a, trim_b), "the synonyms are not the shipped "
                  "list:\n%.2000s", orig);
    ck_assert_msg(strstr(orig, "anti-wrinkle = botox"), "no botox line");
    free(trim_a);
    free(trim_b);
    free(shipped);

    /* The cat document (the lifecycle test deleted it). */
    kn_put_cat("Marmalade");
    s = kn_search("ginger%20tom", 10);
    ck_assert_msg(kn_hit_index(s, "clinic-cat#") < 0, "ginger tom finds the "
                  "cat before the synonym exists: %s", s->body);
    it_free(s);

    /* Add a line, keeping every original one. */
    if (asprintf(&body, "%s%s# added by test_knowledge\nmarmalade = ginger "
                 "tom\n", orig, orig[0] && orig[strlen(orig) - 1] != '\n'
                 ? "\n" : "") < 0) {
        ck_abort_msg("out of memory");
    }
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_ADMIN,
               "text/plain; charset=utf-8", body, -1, NULL);
    ck_assert_msg(r->status == 200 && json_is_integer(json_object_get(
                      r->json, "version"))
                  && json_integer_value(json_object_get(r->json,
                                                        "generation")) > 0,
                  "PUT synonyms: status %ld, body %s", r->status, r->body);
    it_free(r);
    r = it_get("/api/admin/knowledge/synonyms", IT_ADMIN);
    ck_assert_msg(!strcmp(r->body, body), "GET synonyms is not what was "
                  "PUT:\n%.2000s", r->body);
    it_free(r);
    free(body);
    kn_assert_audit("knowledge.synonyms", "synonyms");

    s = kn_search("ginger%20tom", 5);
    ck_assert_msg(kn_hit_index(s, "clinic-cat#") >= 0, "ginger tom does not "
                  "find the cat through the synonym: %s", s->body);
    it_free(s);
    /* The shipped groups still work: "zits" finds the acne pages. */
    s = kn_search("zits", 5);
    ck_assert_msg(json_array_size(s->json) > 0, "zits finds nothing with the "
                  "extended list: %s", s->body);
    it_free(s);

    /* Restore the original list. */
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_ADMIN, "text/plain",
               orig, -1, NULL);
    ck_assert_msg(r->status == 200, "restoring synonyms: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    r = it_get("/api/admin/knowledge/synonyms", IT_ADMIN);
    ck_assert_msg(!strcmp(r->body, orig), "the synonyms were not restored:"
                  "\n%.2000s", r->body);
    it_free(r);
    s = kn_search("ginger%20tom", 10);
    ck_assert_msg(kn_hit_index(s, "clinic-cat#") < 0, "ginger tom still finds "
                  "the cat after the restore: %s", s->body);
    it_free(s);

    /* Refusals. */
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_ADMIN,
               "application/json", "{}", -1, NULL);
    it_assert_error(r, 415, "unsupported_media_type");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_ADMIN, "text/plain",
               "a = \xff\n", -1, NULL);
    it_assert_error(r, 400, "invalid_text");
    it_free(r);
    r = it_req("PUT", "/api/admin/knowledge/synonyms", IT_STAFF, "text/plain",
               orig, -1, NULL);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = it_get("/api/admin/knowledge/synonyms", IT_ADMIN);
    ck_assert_msg(!strcmp(r->body, orig), "refusals changed the synonyms");
    it_free(r);
    free(orig);
}
END_TEST

/* ---- searches racing rebuilds -------------------------------------------- */

#define KN_THREADS 4
#define KN_PUTS 10

typedef struct kn_race {
    pthread_mutex_t mu;
    volatile int    stop;
    int             searches;
    int             failures;
    char            first[1024];
} kn_race;

static void kn_race_fail(kn_race *st, const char *fmt, const char *a,
                         long b)
{
    pthread_mutex_lock(&st->mu);
    if (st->failures++ == 0) {
        snprintf(st->first, sizeof(st->first), fmt, b, a);
    }
    pthread_mutex_unlock(&st->mu);
}

static void *kn_race_worker(void *arg)
{
    kn_race *st = arg;

    while (!__atomic_load_n(&st->stop, __ATOMIC_SEQ_CST)) {
        it_resp *r = it_get("/api/admin/knowledge/search?q=" KN_CAT_Q "&k=1",
                            IT_ADMIN);
        json_t *top = r->json ? json_array_get(r->json, 0) : NULL;
        const char *text = top ? kn_str(top, "text") : NULL;

        if (r->status != 200 || !json_is_array(r->json)) {
            kn_race_fail(st, "search answered %ld: %.500s", r->body,
                         r->status);
        }
        else if (!text) {
            kn_race_fail(st, "search (%ld) has no top hit: %.500s", r->body,
                         r->status);
        }
        else if ((strstr(text, "Marmalade") != NULL)
                 == (strstr(text, "Pickles") != NULL)) {
            kn_race_fail(st, "search (%ld) top hit has not exactly one name:"
                         " %.500s", r->body, r->status);
        }
        pthread_mutex_lock(&st->mu);
        st->searches++;
        pthread_mutex_unlock(&st->mu);
        it_free(r);
    }
    return NULL;
}

START_TEST(kn_concurrent_rebuilds)
{
    static kn_race st;
    pthread_t th[KN_THREADS];
    const char *final = NULL, *other = NULL;
    int t, i, searches_during;

    kn_put_cat("Marmalade");
    memset(&st, 0, sizeof(st));
    pthread_mutex_init(&st.mu, NULL);
    for (t = 0; t < KN_THREADS; t++) {
        ck_assert_msg(pthread_create(&th[t], NULL, kn_race_worker, &st) == 0,
                      "pthread_create failed");
    }
    usleep(50 * 1000);
    for (i = 0; i < KN_PUTS; i++) {
        final = i % 2 ? "Marmalade" : "Pickles";
        other = i % 2 ? "Pickles" : "Marmalade";
        kn_put_cat(final);
        usleep(20 * 1000);
    }
    __atomic_store_n(&st.stop, 1, __ATOMIC_SEQ_CST);
    for (t = 0; t < KN_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    searches_during = st.searches;
    ck_assert_msg(st.failures == 0, "%d of %d searches during the rebuilds "
                  "failed; first: %s", st.failures, st.searches, st.first);
    ck_assert_msg(searches_during >= KN_PUTS, "only %d searches ran during "
                  "the rebuilds", searches_during);

    /* The last PUT answered after its index went live: every process,
     * every connection, sees the final name at once. */
    for (i = 0; i < 40; i++) {
        it_resp *r = kn_search(KN_CAT_Q, 1);
        json_t *top = json_array_get(r->json, 0);
        const char *text = top ? kn_str(top, "text") : NULL;

        ck_assert_msg(text && strstr(text, final) && !strstr(text, other),
                      "search %d after the last PUT does not see %s only: %s",
                      i, final, r->body);
        it_free(r);
    }
    pthread_mutex_destroy(&st.mu);
}
END_TEST

/* ---- another host changes the knowledge ---------------------------------- */

START_TEST(kn_other_host)
{
    it_resp *r;
    json_t *top;
    const char *text;
    double t0;
    int rc;

    kn_put_cat("Marmalade");
    rc = it_sh("scripts/pg.sh apppsql -q -v ON_ERROR_STOP=1 -c \"UPDATE "
               "knowledge_documents SET body = E'# Clinic cat\\n\\n## Our "
               "clinic cat\\n\\nThe clinic cat is called Biscuit and sleeps "
               "in reception.' WHERE slug = 'clinic-cat'; UPDATE "
               "knowledge_state SET version = version + 1\" >/dev/null");
    ck_assert_msg(rc == 0, "psql update failed (%d)", rc);
    t0 = kn_now();
    r = kn_poll(KN_CAT_Q, "clinic-cat#", 0, "Biscuit", 3.0);
    top = json_array_get(r->json, 0);
    text = top ? kn_str(top, "text") : NULL;
    ck_assert_msg(text && strstr(text, "Biscuit") && !strstr(text,
                                                              "Marmalade"),
                  "3 s after a change behind the module's back the search "
                  "still shows the old text (%.1f s): %s", kn_now() - t0,
                  r->body);
    it_free(r);
    /* Later searches keep seeing it (both processes share the index). */
    for (rc = 0; rc < 10; rc++) {
        r = kn_search(KN_CAT_Q, 1);
        top = json_array_get(r->json, 0);
        ck_assert_msg(top && strstr(kn_str(top, "text"), "Biscuit"),
                      "search %d went back to an old text: %s", rc, r->body);
        it_free(r);
    }
}
END_TEST

/* ---- the whole base replaced (LAST: restores the sample) ------------------ */

START_TEST(kn_replace_whole)
{
    it_resp *r, *s;
    json_t *docs, *top;
    json_int_t v0 = kn_version();
    int rc;

    r = it_req("PUT", "/api/admin/knowledge", IT_ADMIN,
               "text/markdown; charset=utf-8", KN_HANDBOOK, -1, NULL);
    ck_assert_msg(r->status == 200, "replace: status %ld, body %s", r->status,
                  r->body);
    ck_assert_msg(kn_str(r->json, "slug")
                  && !strcmp(kn_str(r->json, "slug"), "handbook")
                  && kn_str(r->json, "title")
                  && !strcmp(kn_str(r->json, "title"), "Handbook")
                  && json_integer_value(json_object_get(r->json, "version"))
                     > v0,
                  "replace: unexpected reply %s", r->body);
    it_free(r);
    kn_assert_audit("knowledge.replace", "knowledge");

    r = kn_list();
    docs = json_object_get(r->json, "documents");
    ck_assert_msg(json_array_size(docs) == 1
                  && !strcmp(kn_str(json_array_get(docs, 0), "slug"),
                             "handbook")
                  && !strcmp(kn_str(json_array_get(docs, 0), "title"),
                             "Handbook"),
                  "after the replacement the list is not just the handbook:"
                  " %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(json_object_get(
                      r->json, "index"), "chunks")) < 10,
                  "the index still holds the old chunks: %s", r->body);
    it_free(r);
    s = kn_search("parking", 5);
    top = json_array_get(s->json, 0);
    ck_assert_msg(top && !strncmp(kn_str(top, "id"), "handbook#", 9)
                  && strstr(kn_str(top, "text"), "Park at the back"),
                  "parking does not find the handbook chunk: %s", s->body);
    ck_assert_msg(kn_hit_index(s, "visiting#") < 0, "old documents are still "
                  "found: %s", s->body);
    it_free(s);

    /* Restore the sample knowledge for the other suites. */
    rc = it_sh("scripts/pg.sh apppsql -q -c \"DELETE FROM "
               "knowledge_documents\" >/dev/null && scripts/seed.sh "
               ">/dev/null");
    ck_assert_msg(rc == 0, "restoring the sample knowledge failed (%d)", rc);
    s = kn_poll("parking", "handbook#", 1, NULL, 3.0);
    top = json_array_get(s->json, 0);
    ck_assert_msg(top && strncmp(kn_str(top, "id"), "handbook#", 9) != 0,
                  "3 s after the restore parking still finds the handbook: "
                  "%s", s->body);
    it_free(s);
    r = kn_list();
    ck_assert_msg(json_array_size(json_object_get(r->json, "documents"))
                  >= 5, "the sample was not restored: %s", r->body);
    it_free(r);
}
END_TEST

START_TEST(kn_log_clean)
{
    static const char *const allowed[] = { NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

static void kn_setup(void)
{
    it_httpd_start("ConciergeRateLimit chat 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n", 2, 8);
}

/* Should a test have failed half way, leave the sample knowledge and the
 * shipped synonyms for the suites that follow. */
static void kn_teardown(void)
{
    it_sh("n=$(scripts/pg.sh apppsql -tAq -c \"SELECT (SELECT count(*) FROM "
          "knowledge_documents WHERE slug IN ('clinic-cat', 'handbook')) + "
          "(SELECT count(*) FROM knowledge_state WHERE synonyms LIKE "
          "'%%marmalade%%')\" 2>/dev/null); if [ \"$n\" != 0 ]; then "
          "scripts/pg.sh apppsql -q -c \"DELETE FROM knowledge_documents\" "
          ">/dev/null && scripts/seed.sh >/dev/null; fi");
    it_httpd_stop();
}

/* ---- body sizes: the upload's buffer grows with the body ------------------ */

#define KN_DOC_CAP (2 * 1024 * 1024)   /* the documents route's body cap */

/* A document body of exactly `len` bytes of JSON, slug `slug`. */
static char *kn_doc_of_len(const char *slug, size_t len)
{
    char head[128];
    size_t hn, i;
    char *s = malloc(len + 1);

    ck_assert(s != NULL);
    hn = (size_t)snprintf(head, sizeof(head), "{\"title\":\"Sized\",\"slug\":"
                          "\"%s\",\"body\":\"# Sized\\n\\n## Words\\n\\n",
                          slug);
    ck_assert(len > hn + 2);
    memcpy(s, head, hn);
    for (i = hn; i < len - 2; i++) {
        size_t k = (i - hn) % 12;

        s[i] = k == 11 ? ' ' : (char)('a' + ((i - hn) / 12 / (k + 1)) % 26);
    }
    memcpy(s + len - 2, "\"}", 2);
    s[len] = '\0';
    return s;
}

/* Small and cap-sized bodies, announced (Content-Length) or chunked, are
 * read whole; one byte over the cap is 413 either way with nothing
 * changed.  (The buffer that now grows with the body is unit-tested in
 * test_cc_limbuf.c; here the reads it serves.) */
START_TEST(kn_upload_sizes)
{
    static const char *const chunked[] = { "Transfer-Encoding: chunked",
                                           NULL };
    static const struct { const char *slug; size_t len; int chunk; } ok[] = {
        { "size-small-cl", 200, 0 },
        { "size-small-ch", 200, 1 },
        { "size-cap-cl", KN_DOC_CAP, 0 },
        { "size-cap-ch", KN_DOC_CAP, 1 },
    };
    json_int_t v0;
    long docs0;
    size_t i;
    it_resp *r;
    char *body;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        body = kn_doc_of_len(ok[i].slug, ok[i].len);
        r = it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
                   "application/json", body, (long)ok[i].len,
                   ok[i].chunk ? chunked : NULL);
        ck_assert_msg(r->status == 201, "%s (%zu bytes%s): %ld %.300s",
                      ok[i].slug, ok[i].len, ok[i].chunk ? ", chunked" : "",
                      r->status, r->body);
        it_free(r);
        free(body);
        ck_assert_int_eq(it_sql_num("SELECT octet_length(body) FROM "
                                    "knowledge_documents WHERE slug = '%s'",
                                    ok[i].slug),
                         (long)ok[i].len - (long)strlen(ok[i].slug) - 41);
    }
    v0 = kn_version();
    docs0 = it_sql_num("SELECT count(*) FROM knowledge_documents");
    for (i = 0; i < 2; i++) {
        body = kn_doc_of_len("size-over", KN_DOC_CAP + 1);
        r = it_req("POST", "/api/admin/knowledge/documents", IT_ADMIN,
                   "application/json", body, KN_DOC_CAP + 1,
                   i ? chunked : NULL);
        it_assert_error(r, 413, "body_too_large");
        it_free(r);
        free(body);
    }
    ck_assert_msg(kn_version() == v0, "an over-cap body moved the version");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM knowledge_documents"),
                     docs0);
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char path[128];

        snprintf(path, sizeof(path), "/api/admin/knowledge/documents/%s",
                 ok[i].slug);
        r = it_req("DELETE", path, IT_ADMIN, NULL, NULL, -1, NULL);
        ck_assert_msg(r->status == 200, "DELETE %s: %ld", ok[i].slug,
                      r->status);
        it_free(r);
    }
}
END_TEST

Suite *it_suite_knowledge(void)
{
    Suite *s = suite_create("knowledge");
    TCase *tc = tcase_create("knowledge");

    tcase_add_unchecked_fixture(tc, kn_setup, kn_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, kn_list_and_index);
    tcase_add_test(tc, kn_document_lifecycle);
    tcase_add_test(tc, kn_bad_input);
    tcase_add_test(tc, kn_synonyms);
    tcase_add_test(tc, kn_concurrent_rebuilds);
    tcase_add_test(tc, kn_other_host);
    tcase_add_test(tc, kn_upload_sizes);
    tcase_add_test(tc, kn_replace_whole);
    tcase_add_test(tc, kn_log_clean);
    suite_add_tcase(s, tc);

    kn_add_bounds_tcase(s);
    return s;
}
