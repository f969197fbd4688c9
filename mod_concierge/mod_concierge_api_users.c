/*
 * mod_concierge_api_users.c - staff accounts: GET /api/admin/me,
 * GET /api/admin/users, PUT /api/admin/users/{username}.
 *
 * Passwords are hashed with bcrypt (apr_bcrypt_encode), the format
 * mod_authn_dbd verifies; the plain password never leaves this request.
 */
#include "apr_strings.h"
#include "apr_md5.h"
#include <unistd.h>
#include "mod_concierge.h"
#include "cc_json.h"

#define MC_BCRYPT_COST 10
#define MC_PW_MIN 12
#define MC_PW_MAX 128

int mc_api_admin_me(mc_ctx *c)
{
    /* server_pid: which worker process answered (operators and the
     * cross-process tests use it). */
    return mc_reply(c, 200, json_pack("{s:s, s:s, s:i}", "user", c->user,
                                      "role", c->role == MC_ROLE_ADMIN
                                              ? "admin" : "staff",
                                      "server_pid", (int)getpid()));
}

int mc_api_admin_users_list(mc_ctx *c)
{
    request_rec *r = c->r;
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;
    const char *rows;
    json_t *users;
    json_error_t jerr;

    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
    }
    if (mc_db_select(r, dbd, "cc_users_list", &res, 0, NULL) != APR_SUCCESS
        || !(rows = mc_db_value(r, dbd, res, 0))) {
        return mc_error(c, 503, "db_error", "staff accounts could not be read");
    }
    users = json_loads(rows, 0, &jerr);
    if (!users) {
        return mc_error(c, 500, "internal_error", "staff rows unreadable");
    }
    return mc_reply(c, 200, json_pack("{s:o}", "users", users));
}

static const char *bcrypt_hash(request_rec *r, const char *pw)
{
    unsigned char salt[16];
    char out[64];

    if (apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS
        || apr_bcrypt_encode(pw, MC_BCRYPT_COST, salt, sizeof(salt), out,
                             sizeof(out)) != APR_SUCCESS) {
        return NULL;
    }
    return apr_pstrdup(r->pool, out);
}

int mc_api_admin_user_put(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *username = cc_route_param(&c->params, "username");
    const char *role = NULL, *password = NULL, *hash = "";
    int active = 1, created = 0, nrows = 0;
    json_error_t jerr;
    ap_dbd_t *dbd;
    apr_dbd_transaction_t *tx = NULL;
    apr_dbd_results_t *res;
    const char *args[4];
    apr_status_t rv;
    json_t *detail;

    if (!username || strlen(username) > 64
        || strspn(username, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789._-") != strlen(username)) {
        return mc_error(c, 400, "invalid_parameter",
                        "user names are 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:s, s?s, s?b}",
                       "role", &role, "password", &password,
                       "active", &active) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"role\": "
                        "\"staff\"|\"admin\", \"password\"?: string, "
                        "\"active\"?: boolean}: %s", jerr.text);
    }
    if (strcmp(role, "staff") && strcmp(role, "admin")) {
        return mc_error(c, 422, "invalid_role", "role must be staff or admin");
    }
    if (password) {
        apr_size_t n = strlen(password);

        if (n < MC_PW_MIN || n > MC_PW_MAX) {
            return mc_error(c, 422, "weak_password", "passwords are %d to %d "
                            "characters", MC_PW_MIN, MC_PW_MAX);
        }
        if (!(hash = bcrypt_hash(r, password))) {
            return mc_error(c, 500, "internal_error", "could not hash");
        }
    }
    if (username && c->user && !strcmp(username, c->user)
        && (!active || strcmp(role, "admin"))) {
        return mc_error(c, 422, "self_lockout", "you cannot demote or "
                        "deactivate your own account");
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return mc_error(c, 503, "db_unavailable", "the database is unavailable");
    }
    if (mc_db_begin(r, dbd, &tx) != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    args[0] = username;
    rv = mc_db_select(r, dbd, "cc_user_exists", &res, 1, args);
    if (rv == APR_SUCCESS && !mc_db_value(r, dbd, res, 0)) {
        if (!password) {
            mc_db_end(r, dbd, tx, 1);
            return mc_error(c, 422, "password_required",
                            "a new account needs a password");
        }
        args[1] = hash;
        args[2] = role;
        args[3] = active ? "true" : "false";
        rv = mc_db_query(r, dbd, "cc_user_insert", &nrows, 4, args);
        created = 1;
    }
    if (rv == APR_SUCCESS && (!created || nrows == 0)) {
        created = 0;
        args[0] = role;
        args[1] = active ? "true" : "false";
        args[2] = hash;
        args[3] = username;
        rv = mc_db_query(r, dbd, "cc_user_update", &nrows, 4, args);
    }
    detail = cc_json_pool_own(r->pool, json_pack("{s:s, s:b, s:b}",
                              "role", role, "active", active,
                              "password_changed", password != NULL));
    if (rv == APR_SUCCESS) {
        rv = mc_audit_append(r, dbd, c->user,
                             created ? "user.create" : "user.update",
                             username, cc_json_dump(r->pool, detail, NULL));
    }
    if (mc_db_end(r, dbd, tx, rv != APR_SUCCESS) != APR_SUCCESS
        || rv != APR_SUCCESS) {
        return mc_error(c, 503, "db_error", "the change was not saved");
    }
    return mc_reply(c, created ? 201 : 200,
                    json_pack("{s:s, s:s, s:b, s:b}", "username", username,
                              "role", role, "active", active,
                              "created", created));
}
