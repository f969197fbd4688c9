/*
 * mod_concierge_api_knowledge.c - the knowledge base (admin): documents,
 * whole-base replacement, synonyms, and the search the bot would run.
 *
 * Every change runs in one transaction with the knowledge version bump
 * and its audit entry; after the commit this host rebuilds its index and
 * answers once the new generation is live.  Other hosts notice the
 * version within a second (mod_concierge_index.c).
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge.h"
#include "util_script.h"
#include "cc_json.h"

#define MC_TITLE_MAX 200

static int db_down(mc_ctx *c)
{
    return mc_error(c, 503, "db_unavailable", "the database is unavailable");
}

static int db_failed(mc_ctx *c)
{
    return mc_error(c, 503, "db_error", "the knowledge could not be saved");
}

/* Bump the version, audit, commit, rebuild this host's index, reply. */
static int commit_change(mc_ctx *c, ap_dbd_t *dbd, apr_dbd_transaction_t *tx,
                         const char *action, const char *target,
                         json_t *detail, int status, json_t *reply)
{
    request_rec *r = c->r;
    apr_dbd_results_t *res;
    const char *version;
    apr_status_t rv;
    mc_index_ref ref;

    cc_json_pool_own(r->pool, detail);
    cc_json_pool_own(r->pool, reply);
    rv = mc_db_select(r, dbd, "cc_kn_bump", &res, 0, NULL);
    version = rv == APR_SUCCESS ? mc_db_value(r, dbd, res, 0) : NULL;
    if (!version) {
        rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        rv = mc_audit_append(r, dbd, c->user, action, target,
                             cc_json_dump(r->pool, detail, NULL));
    }
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS) != APR_SUCCESS
        || rv != APR_SUCCESS) {
        return db_failed(c);
    }
    json_object_set_new(reply, "version",
                        json_integer(apr_strtoi64(version, NULL, 10)));
    if (mc_index_rebuild(r, dbd, 1) != APR_SUCCESS) {
        /* Saved, but this host still serves the previous index. */
        json_object_set_new(reply, "index", json_string("rebuild_failed"));
    }
    else if (mc_index_acquire(r, &ref) == APR_SUCCESS) {
        json_object_set_new(reply, "generation", json_integer(ref.generation));
        json_object_set_new(reply, "index_version",
                            json_integer(ref.kversion));
        mc_index_release(&ref);
    }
    json_incref(reply);
    return mc_reply(c, status, reply);
}

int mc_api_admin_knowledge_list(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    json_t *docs;
    json_error_t jerr;
    const char *rows, *version;

    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_select(r, dbd, "cc_kn_list", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error(c, 503, "db_error", "the knowledge could not be read");
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    version = apr_dbd_get_entry(dbd->driver, row, 1);
    docs = rows ? json_loads(rows, 0, &jerr) : NULL;
    if (!docs) {
        return mc_error(c, 500, "internal_error", "document rows unreadable");
    }
    return mc_reply(c, 200, json_pack("{s:I, s:o, s:o}", "version",
                                      (json_int_t)(version ? apr_strtoi64(
                                          version, NULL, 10) : 0),
                                      "documents", docs,
                                      "index", mc_index_health()));
}

int mc_api_admin_knowledge_get(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[1] = { cc_route_param(&c->params, "slug") };
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;
    const char *doc;
    json_error_t jerr;
    json_t *o;

    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_select(r, dbd, "cc_kn_get", &res, 1, args) != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the knowledge could not be read");
    }
    doc = mc_db_value(r, dbd, res, 0);
    if (!doc) {
        return mc_error(c, 404, "not_found", "no document with that slug");
    }
    o = json_loads(doc, 0, &jerr);
    return o ? mc_reply(c, 200, o)
             : mc_error(c, 500, "internal_error", "document unreadable");
}

static int valid_slug(const char *s)
{
    const char *p;

    if (!s || (!apr_islower(*s) && !apr_isdigit(*s))) {
        return 0;
    }
    for (p = s; *p; p++) {
        if (!apr_islower(*p) && !apr_isdigit(*p) && !strchr("._-", *p)) {
            return 0;
        }
    }
    return p - s <= 64;
}

/* A slug from a title: lower-case ASCII letters and digits, '-' between. */
static char *slug_from_title(apr_pool_t *p, const char *title)
{
    char *out = apr_palloc(p, 65);
    apr_size_t n = 0;
    int dash = 0;

    for (; *title && n < 64; title++) {
        if (apr_isalnum(*title)) {
            if (dash && n > 0 && n < 63) {
                out[n++] = '-';
            }
            out[n++] = (char)apr_tolower(*title);
            dash = 0;
        }
        else {
            dash = 1;
        }
    }
    out[n] = '\0';
    return n ? out : apr_psprintf(p, "doc-%" APR_TIME_T_FMT, apr_time_now());
}

/* {"title", "format"?: "markdown"|"text", "body", "slug"?} */
static int parse_doc(mc_ctx *c, const char **slug, const char **title,
                     const char **format, const char **body, int want_slug)
{
    json_error_t jerr;
    size_t body_len = 0;

    *slug = NULL;
    *format = "markdown";
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s, s?s, s:s%, s?s}",
                       "title", title, "format", format, "body", body,
                       &body_len, "slug", slug) != 0) {
        mc_error(c, 400, "invalid_body", "expected {\"title\": string, "
                 "\"body\": string, \"format\"?: \"markdown\"|\"text\", "
                 "\"slug\"?: string}: %s", jerr.text);
        return DONE;
    }
    if (!**title || strlen(*title) > MC_TITLE_MAX) {
        mc_error(c, 422, "invalid_title", "the title must be 1 to %d bytes",
                 MC_TITLE_MAX);
        return DONE;
    }
    if (strcmp(*format, "markdown") && strcmp(*format, "text")) {
        mc_error(c, 422, "invalid_format", "format is markdown or text");
        return DONE;
    }
    if (strlen(*body) != body_len) {
        mc_error(c, 422, "invalid_body", "the body contains a NUL character");
        return DONE;
    }
    if (want_slug && *slug && !valid_slug(*slug)) {
        mc_error(c, 422, "invalid_slug", "slugs are 1 to 64 of a-z 0-9 . _ - "
                 "starting with a letter or digit");
        return DONE;
    }
    return OK;
}

static int save_doc(mc_ctx *c, const char *slug, int create_only)
{
    request_rec *r = c->r;
    const char *title, *format, *body, *given, *args[5], *created;
    ap_dbd_t *dbd;
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    int is_new;

    if (parse_doc(c, &given, &title, &format, &body, create_only) != OK) {
        return OK;
    }
    if (create_only) {
        slug = given ? given : slug_from_title(r->pool, title);
    }
    else if (given && strcmp(given, slug)) {
        return mc_error(c, 422, "slug_mismatch", "the body's slug differs "
                        "from the path's");
    }
    if (!valid_slug(slug)) {
        return mc_error(c, 400, "invalid_parameter", "slugs are 1 to 64 of "
                        "a-z 0-9 . _ - starting with a letter or digit");
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return db_failed(c);
    }
    args[0] = slug;
    args[1] = title;
    args[2] = format;
    args[3] = body;
    args[4] = c->user;
    if (mc_db_select(r, dbd, create_only ? "cc_kn_insert" : "cc_kn_upsert",
                     &res, 5, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return db_failed(c);
    }
    created = mc_db_value(r, dbd, res, 0);
    if (create_only && !created) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 409, "slug_taken", "a document with slug '%s' "
                        "exists; PUT it to replace it", slug);
    }
    is_new = create_only || (created && !strcmp(created, "true"));
    return commit_change(c, dbd, tx,
                         is_new ? "knowledge.create" : "knowledge.update",
                         slug,
                         json_pack("{s:s, s:s, s:I}", "title", title,
                                   "format", format, "bytes",
                                   (json_int_t)strlen(body)),
                         is_new ? 201 : 200,
                         json_pack("{s:s, s:b}", "slug", slug,
                                   "created", is_new));
}

int mc_api_admin_knowledge_create(mc_ctx *c)
{
    return save_doc(c, NULL, 1);
}

int mc_api_admin_knowledge_put(mc_ctx *c)
{
    return save_doc(c, cc_route_param(&c->params, "slug"), 0);
}

int mc_api_admin_knowledge_delete(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[1] = { cc_route_param(&c->params, "slug") };
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_transaction_t *tx = NULL;
    int n = 0;

    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return db_failed(c);
    }
    if (mc_db_query(r, dbd, "cc_kn_delete", &n, 1, args) != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return db_failed(c);
    }
    if (n == 0) {
        mc_db_end(r, dbd, tx, 1);
        return mc_error(c, 404, "not_found", "no document with that slug");
    }
    return commit_change(c, dbd, tx, "knowledge.delete", args[0],
                         json_object(), 200,
                         json_pack("{s:s, s:b}", "slug", args[0],
                                   "deleted", 1));
}

/* PUT /api/admin/knowledge: a Markdown body replaces the whole knowledge
 * base with one document, "handbook" (its first "# " heading is the
 * title). */
int mc_api_admin_knowledge_replace(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[5], *title = "Clinic handbook", *p;
    ap_dbd_t *dbd;
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    apr_size_t n;

    if (c->raw_len == 0) {
        return mc_error(c, 400, "empty_body", "send the handbook as Markdown");
    }
    for (p = c->raw; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (p[0] == '#' && p[1] == ' ') {
            const char *e = strchr(p, '\n');

            n = e ? (apr_size_t)(e - p - 2) : strlen(p + 2);
            while (n > 0 && apr_isspace(p[2 + n - 1])) {
                n--;
            }
            if (n > 0 && n <= MC_TITLE_MAX) {
                title = apr_pstrmemdup(r->pool, p + 2, n);
            }
            break;
        }
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return db_failed(c);
    }
    args[0] = "handbook";
    args[1] = title;
    args[2] = "markdown";
    args[3] = c->raw;
    args[4] = c->user;
    if (mc_db_query(r, dbd, "cc_kn_delete_all", NULL, 0, NULL) != APR_SUCCESS
        || mc_db_select(r, dbd, "cc_kn_upsert", &res, 5, args)
           != APR_SUCCESS) {
        mc_db_end(r, dbd, tx, 1);
        return db_failed(c);
    }
    return commit_change(c, dbd, tx, "knowledge.replace", "knowledge",
                         json_pack("{s:s, s:I}", "title", title, "bytes",
                                   (json_int_t)c->raw_len),
                         200, json_pack("{s:s, s:s}", "slug", "handbook",
                                        "title", title));
}

int mc_api_admin_synonyms_get(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *syn;

    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_select(r, dbd, "cc_kn_state", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error(c, 503, "db_error", "synonyms could not be read");
    }
    syn = apr_dbd_get_entry(dbd->driver, row, 1);
    syn = syn ? syn : "";
    return mc_reply_raw(c, 200, "text/plain; charset=utf-8", syn, strlen(syn));
}

int mc_api_admin_synonyms_put(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[1] = { c->raw };
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    const char *version;
    apr_status_t rv;
    json_t *reply;
    mc_index_ref ref;

    if (!dbd) {
        return db_down(c);
    }
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return db_failed(c);
    }
    rv = mc_db_select(r, dbd, "cc_kn_syn_set", &res, 1, args);
    version = rv == APR_SUCCESS ? mc_db_value(r, dbd, res, 0) : NULL;
    if (rv == APR_SUCCESS && version) {
        json_t *d = cc_json_pool_own(r->pool, json_pack("{s:I}", "bytes",
                                     (json_int_t)c->raw_len));

        rv = mc_audit_append(r, dbd, c->user, "knowledge.synonyms",
                             "synonyms", cc_json_dump(r->pool, d, NULL));
    }
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS || !version) != APR_SUCCESS
        || rv != APR_SUCCESS || !version) {
        return db_failed(c);
    }
    reply = json_pack("{s:I}", "version",
                      (json_int_t)apr_strtoi64(version, NULL, 10));
    if (mc_index_rebuild(r, dbd, 1) == APR_SUCCESS
        && mc_index_acquire(r, &ref) == APR_SUCCESS) {
        json_object_set_new(reply, "generation", json_integer(ref.generation));
        mc_index_release(&ref);
    }
    return mc_reply(c, 200, reply);
}

/* GET /api/admin/knowledge/search?q=&k= -> what the bot would retrieve. */
int mc_api_admin_knowledge_search(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_table_t *args = NULL;
    const char *q;
    apr_int64_t k;
    mc_hit hits[64];
    int n = 0, i;
    apr_status_t rv;
    json_t *a;

    if (mc_arg_int(c, "k", 5, 1, 50, &k) != APR_SUCCESS) {
        return OK;
    }
    ap_args_to_table(r, &args);
    q = args ? apr_table_get(args, "q") : NULL;
    if (!q || !*q || strlen(q) > 1000 || !cc_utf8_valid(q, strlen(q))) {
        return mc_error(c, 400, "invalid_parameter", "q must be 1 to 1000 "
                        "bytes of UTF-8 text");
    }
    rv = mc_index_query(r, q, strlen(q), (int)k, hits, &n, NULL);
    if (rv == APR_ENOENT || rv == APR_EINIT) {
        return mc_error(c, 503, "index_unavailable", "the knowledge index is "
                        "not built yet");
    }
    if (rv != APR_SUCCESS) {
        return mc_error(c, 503, "index_unavailable", "the knowledge index "
                        "could not be searched");
    }
    a = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:f, s:s%}",
                                           "id", hits[i].id,
                                           "title", hits[i].title,
                                           "score", hits[i].score,
                                           "coverage", hits[i].coverage,
                                           "text", hits[i].text,
                                           hits[i].len));
    }
    return mc_reply(c, 200, a);
}
