/*
 * api/knowledge.c - the knowledge base (admin): documents,
 * whole-base replacement, synonyms, and the search the bot would run.
 *
 * Every change runs in one transaction with the knowledge version bump
 * (first) and its audit entry; before COMMIT it builds the index image of
 * the knowledge as changed, and a change whose image does not fit
 * ConciergeIndexSize is refused (413 index_too_large, rolled back).  After
 * the commit this host installs that image and answers once it is live.
 * Other hosts notice the version within a second (mod_concierge_index.c).
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "mod_concierge_index.h"
#include "util_script.h"
#include "cc_json.h"

#define MC_TITLE_MAX 200

/* BEGIN and bump the knowledge version first (bump: a one-value select,
 * cc_kn_bump or cc_kn_syn_set with its nargs args): its row lock queues
 * concurrent changes (on any host) behind this one, so the index image this
 * transaction builds before COMMIT holds every change committed before it
 * and is the one for the version it commits.  OK with *version, or DONE
 * after answering 503. */
static int kn_begin(mc_ctx *c, mc_tx *t, const char *bump, int nargs,
                    const char **args, apr_int64_t *version)
{
    request_rec *r = c->r;
    apr_dbd_results_t *res;
    const char *v = NULL;

    if (mc_tx_begin(c, t) != OK) {
        return DONE;
    }
    if (mc_db_select(r, t->dbd, bump, &res, nargs, args) == APR_SUCCESS) {
        v = mc_db_value(r, t->dbd, res, 0);
    }
    if (!v) {
        mc_tx_abort(t);
        mc_error_db(c);
        return DONE;
    }
    *version = apr_strtoi64(v, NULL, 10);
    return OK;
}

/* After the change's statements: build the index image of the knowledge
 * as it will be, refuse the change (roll back: no version, no audit entry)
 * when the image does not fit ConciergeIndexSize, else audit, commit,
 * install the image on this host (no second build) and reply.  A delete
 * (may_overflow) always goes through: it never grows the index, and when
 * a base written around the API is already too large, deleting is the
 * way back. */
static int commit_change(mc_tx *t, apr_int64_t version, const char *action,
                         const char *target, json_t *detail, int status,
                         json_t *reply, int may_overflow)
{
    request_rec *r = t->c->r;
    mc_index_image *im = NULL;
    apr_size_t needed = 0, available = 0;
    apr_status_t rv;
    mc_index_ref ref;

    cc_json_pool_own(r->pool, reply);
    cc_json_pool_own(r->pool, detail);
    rv = mc_index_prepare(r, t->dbd, &im, &needed, &available);
    if (rv == APR_ENOSPC && !may_overflow) {
        mc_tx_abort(t);
        return mc_error(t->c, 413, "index_too_large", "the knowledge index "
                        "would need %" APR_SIZE_T_FMT " bytes and "
                        "ConciergeIndexSize is %" APR_SIZE_T_FMT ": nothing "
                        "was changed", needed, available);
    }
    if (rv != APR_SUCCESS && rv != APR_ENOSPC) {
        mc_tx_abort(t);
        if (rv == APR_EINIT) {
            return mc_error(t->c, 503, "index_unavailable", "the knowledge "
                            "index is not attached");
        }
        if (apr_table_get(r->notes, MC_NOTE_DB_FAILED)) {
            return mc_error_db(t->c);
        }
        return mc_error(t->c, 422, "index_build_failed", "the knowledge "
                        "index could not be built from this change: "
                        "nothing was changed");
    }
    if (mc_tx_commit(t, NULL, NULL, action, target, json_incref(detail))
        != OK) {
        return OK;
    }
    json_object_set_new(reply, "version", json_integer(version));
    if (!im) {
        /* A delete that leaves the base still too large (see above). */
        json_object_set_new(reply, "index", json_pack(
            "{s:s, s:I, s:I}", "error", "index_too_large", "needed_bytes",
            (json_int_t)needed, "slot_bytes", (json_int_t)available));
    }
    else if (mc_index_install(r, im) != APR_SUCCESS) {
        /* Saved, but this host still serves the previous index. */
        json_object_set_new(reply, "index", json_string("rebuild_failed"));
    }
    else if (mc_index_acquire(r, &ref) == APR_SUCCESS) {
        json_object_set_new(reply, "generation", json_integer(ref.generation));
        json_object_set_new(reply, "index_version",
                            json_integer(ref.kversion));
        mc_index_release(&ref);
    }
    return mc_reply(t->c, status, json_incref(reply));
}

static int mc_api_admin_knowledge_list(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_api_db(c);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    json_t *docs;
    const char *rows, *version;

    if (!dbd) {
        return OK;
    }
    if (mc_db_select(r, dbd, "cc_kn_list", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error_db(c);
    }
    rows = apr_dbd_get_entry(dbd->driver, row, 0);
    version = apr_dbd_get_entry(dbd->driver, row, 1);
    docs = mc_pg_json(r, rows);
    if (!docs) {
        return mc_error(c, 500, "internal_error", "document rows unreadable");
    }
    return mc_reply(c, 200, json_pack("{s:I, s:o, s:o}", "version",
                                      (json_int_t)(version ? apr_strtoi64(
                                          version, NULL, 10) : 0),
                                      "documents", json_incref(docs),
                                      "index", mc_index_health(NULL)));
}

static int mc_api_admin_knowledge_get(mc_ctx *c)
{
    const char *args[1] = { cc_route_param(&c->params, "slug") };

    return mc_reply_select(c, "cc_kn_get", 1, args, NULL,
                           "no document with that slug");
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
    apr_dbd_results_t *res;
    apr_int64_t version;
    int is_new;
    mc_tx t;

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
    if (kn_begin(c, &t, "cc_kn_bump", 0, NULL, &version) != OK) {
        return OK;
    }
    args[0] = slug;
    args[1] = title;
    args[2] = format;
    args[3] = body;
    args[4] = c->user;
    if (mc_db_select(r, t.dbd, create_only ? "cc_kn_insert" : "cc_kn_upsert",
                     &res, 5, args) != APR_SUCCESS) {
        mc_tx_abort(&t);
        return mc_error_db(c);
    }
    created = mc_db_value(r, t.dbd, res, 0);
    if (create_only && !created) {
        mc_tx_abort(&t);
        return mc_error(c, 409, "slug_taken", "a document with slug '%s' "
                        "exists; PUT it to replace it", slug);
    }
    is_new = create_only || (created && !strcmp(created, "true"));
    return commit_change(&t, version,
                         is_new ? "knowledge.create" : "knowledge.update",
                         slug,
                         json_pack("{s:s, s:s, s:I}", "title", title,
                                   "format", format, "bytes",
                                   (json_int_t)strlen(body)),
                         is_new ? 201 : 200,
                         json_pack("{s:s, s:b}", "slug", slug,
                                   "created", is_new), 0);
}

static int mc_api_admin_knowledge_create(mc_ctx *c)
{
    return save_doc(c, NULL, 1);
}

static int mc_api_admin_knowledge_put(mc_ctx *c)
{
    return save_doc(c, cc_route_param(&c->params, "slug"), 0);
}

static int mc_api_admin_knowledge_delete(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[1] = { cc_route_param(&c->params, "slug") };
    apr_int64_t version;
    int n = 0;
    mc_tx t;

    if (kn_begin(c, &t, "cc_kn_bump", 0, NULL, &version) != OK) {
        return OK;
    }
    if (mc_db_query(r, t.dbd, "cc_kn_delete", &n, 1, args) != APR_SUCCESS) {
        mc_tx_abort(&t);
        return mc_error_db(c);
    }
    if (n == 0) {
        mc_tx_abort(&t);
        return mc_error(c, 404, "not_found", "no document with that slug");
    }
    return commit_change(&t, version, "knowledge.delete", args[0],
                         json_object(), 200,
                         json_pack("{s:s, s:b}", "slug", args[0],
                                   "deleted", 1), 1);
}

/* PUT /api/admin/knowledge: a Markdown body replaces the whole knowledge
 * base with one document, "handbook" (its first "# " heading is the
 * title). */
static int mc_api_admin_knowledge_replace(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[5], *title = "Clinic handbook", *p;
    apr_dbd_results_t *res;
    apr_int64_t version;
    apr_size_t n;
    mc_tx t;

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
    if (kn_begin(c, &t, "cc_kn_bump", 0, NULL, &version) != OK) {
        return OK;
    }
    args[0] = "handbook";
    args[1] = title;
    args[2] = "markdown";
    args[3] = c->raw;
    args[4] = c->user;
    if (mc_db_query(r, t.dbd, "cc_kn_delete_all", NULL, 0, NULL)
        != APR_SUCCESS
        || mc_db_select(r, t.dbd, "cc_kn_upsert", &res, 5, args)
           != APR_SUCCESS) {
        mc_tx_abort(&t);
        return mc_error_db(c);
    }
    return commit_change(&t, version, "knowledge.replace", "knowledge",
                         json_pack("{s:s, s:I}", "title", title, "bytes",
                                   (json_int_t)c->raw_len),
                         200, json_pack("{s:s, s:s}", "slug", "handbook",
                                        "title", title), 0);
}

static int mc_api_admin_synonyms_get(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_api_db(c);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *syn;

    if (!dbd) {
        return OK;
    }
    if (mc_db_select(r, dbd, "cc_kn_state", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return mc_error_db(c);
    }
    syn = apr_dbd_get_entry(dbd->driver, row, 1);
    syn = syn ? syn : "";
    return mc_reply_raw(c, 200, "text/plain; charset=utf-8", syn, strlen(syn));
}

static int mc_api_admin_synonyms_put(mc_ctx *c)
{
    const char *args[1] = { c->raw };
    apr_int64_t version;
    mc_tx t;

    /* cc_kn_syn_set bumps the knowledge version itself. */
    if (kn_begin(c, &t, "cc_kn_syn_set", 1, args, &version) != OK) {
        return OK;
    }
    return commit_change(&t, version, "knowledge.synonyms", "synonyms",
                         json_pack("{s:I}", "bytes", (json_int_t)c->raw_len),
                         200, json_object(), 0);
}

/* GET /api/admin/knowledge/search?q=&k= -> what the bot would retrieve. */
static int mc_api_admin_knowledge_search(mc_ctx *c)
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

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/knowledge", mc_api_admin_knowledge_list,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "The knowledge documents (without their text)",
      NULL, MC_SHAPE("document_list") },
    { "PUT", "/api/admin/knowledge", mc_api_admin_knowledge_replace,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 12 * MB, MC_BODY_TEXT,
      "Replace the whole knowledge base with one Markdown file",
      MC_SHAPE("markdown"), MC_SHAPE("knowledge_version") },
    { "POST", "/api/admin/knowledge/documents", mc_api_admin_knowledge_create,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 2 * MB, MC_BODY_JSON,
      "Add a document",
      MC_SHAPE("document"), MC_SHAPE("knowledge_version") },
    { "GET", "/api/admin/knowledge/documents/{slug}", mc_api_admin_knowledge_get,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One document with its text",
      NULL, MC_SHAPE("document") },
    { "PUT", "/api/admin/knowledge/documents/{slug}", mc_api_admin_knowledge_put,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 2 * MB, MC_BODY_JSON,
      "Create or replace a document",
      MC_SHAPE("document"), MC_SHAPE("knowledge_version") },
    { "DELETE", "/api/admin/knowledge/documents/{slug}", mc_api_admin_knowledge_delete,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Delete a document",
      NULL, MC_SHAPE("knowledge_version") },
    { "GET", "/api/admin/knowledge/search", mc_api_admin_knowledge_search,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "What retrieval finds for a question, with scores",
      NULL, MC_SHAPE("search_hits") },
    { "GET", "/api/admin/knowledge/synonyms", mc_api_admin_synonyms_get,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "The synonym list used by retrieval",
      NULL, MC_SHAPE("synonyms") },
    { "PUT", "/api/admin/knowledge/synonyms", mc_api_admin_synonyms_put,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 256 * KB, MC_BODY_TEXT,
      "Replace the synonym list (one group per line)",
      MC_SHAPE("synonym_text"), MC_SHAPE("knowledge_version") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_kn_list",
      "SELECT coalesce(json_agg(json_build_object('slug', slug, 'title', "
      "title, 'format', format, 'bytes', octet_length(body), 'updated_at', "
      "updated_at, 'updated_by', updated_by) ORDER BY slug), '[]')::text, "
      "(SELECT version FROM knowledge_state WHERE id = 1) "
      "FROM knowledge_documents" },
    { "cc_kn_get",
      "SELECT json_build_object('slug', slug, 'title', title, 'format', "
      "format, 'body', body, 'bytes', octet_length(body), 'created_at', "
      "created_at, 'updated_at', updated_at, 'updated_by', updated_by)::text "
      "FROM knowledge_documents WHERE slug = %s" },
    { "cc_kn_upsert",
      "INSERT INTO knowledge_documents (slug, title, format, body, "
      "updated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (slug) DO UPDATE "
      "SET title = excluded.title, format = excluded.format, body = "
      "excluded.body, updated_by = excluded.updated_by, updated_at = now() "
      "RETURNING (xmax = 0)::text" },
    { "cc_kn_insert",
      "INSERT INTO knowledge_documents (slug, title, format, body, "
      "updated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (slug) DO NOTHING "
      "RETURNING slug" },
    { "cc_kn_delete", "DELETE FROM knowledge_documents WHERE slug = %s" },
    { "cc_kn_delete_all", "DELETE FROM knowledge_documents" },
    { "cc_kn_bump",
      "UPDATE knowledge_state SET version = version + 1, updated_at = now() "
      "WHERE id = 1 RETURNING version" },
    { "cc_kn_syn_set",
      "UPDATE knowledge_state SET synonyms = %s, version = version + 1, "
      "updated_at = now() WHERE id = 1 RETURNING version" },
    { NULL, NULL }
};
MC_RESOURCE(knowledge, routes, stmts);
