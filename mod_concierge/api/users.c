/*
 * api/users.c - staff accounts: GET /api/admin/me,
 * GET /api/admin/users, PUT /api/admin/users/{username}.
 *
 * Passwords are hashed with bcrypt (apr_bcrypt_encode), the format
 * mod_authn_dbd verifies; the plain password never leaves this request.
 */
#include "apr_strings.h"
#include "apr_md5.h"
#include <unistd.h>
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_audit.h"
#include "cc_json.h"

#define MC_BCRYPT_COST 10
#define MC_PW_MIN 12
#define MC_PW_MAX 128

static int mc_api_admin_me(mc_ctx *c)
{
    /* server_pid: which worker process answered (operators and the
     * cross-process tests use it). */
    return mc_reply(c, 200, json_pack("{s:s, s:s, s:i}", "user", c->user,
                                      "role", c->role == MC_ROLE_ADMIN
                                              ? "admin" : "staff",
                                      "server_pid", (int)getpid()));
}

static int mc_api_admin_users_list(mc_ctx *c)
{
    return mc_reply_select(c, "cc_users_list", 0, NULL, "users", NULL);
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

static int mc_api_admin_user_put(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *username = cc_route_param(&c->params, "username");
    const char *role = NULL, *password = NULL, *hash = "";
    int active = 1, created = 0, nrows = 0;
    json_error_t jerr;
    ap_dbd_t *dbd;
    apr_dbd_results_t *res;
    const char *args[4];
    apr_status_t rv;
    mc_tx t;

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
    if (mc_tx_begin(c, &t) != OK) {
        return OK;
    }
    dbd = t.dbd;
    args[0] = username;
    rv = mc_db_select(r, dbd, "cc_user_exists", &res, 1, args);
    if (rv == APR_SUCCESS && !mc_db_value(r, dbd, res, 0)) {
        if (!password) {
            mc_tx_abort(&t);
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
    if (rv != APR_SUCCESS) {
        mc_tx_abort(&t);
        return mc_error_db(c);
    }
    if (mc_tx_commit(&t, NULL, NULL, created ? "user.create" : "user.update",
                     username, json_pack("{s:s, s:b, s:b}", "role", role,
                                         "active", active, "password_changed",
                                         password != NULL)) != OK) {
        return OK;
    }
    return mc_reply(c, created ? 201 : 200,
                    json_pack("{s:s, s:s, s:b, s:b}", "username", username,
                              "role", role, "active", active,
                              "created", created));
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/me", mc_api_admin_me, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Who is signed in, with which role",
      NULL, MC_SHAPE("me") },
    { "GET", "/api/admin/users", mc_api_admin_users_list, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Staff accounts (never their password hashes)",
      NULL, MC_SHAPE("user_list") },
    { "PUT", "/api/admin/users/{username}", mc_api_admin_user_put,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 4 * KB, MC_BODY_JSON,
      "Create or change a staff account",
      MC_SHAPE("user"), MC_SHAPE("user") },
    { NULL }
};

static const mc_stmt stmts[] = {
    { "cc_users_list",
      "SELECT coalesce(json_agg(json_build_object("
      "'username', username, 'role', role, 'active', active, "
      "'created_at', created_at, 'updated_at', updated_at) "
      "ORDER BY username), '[]')::text FROM staff_users" },
    { "cc_user_insert",
      "INSERT INTO staff_users (username, password_hash, role, active) "
      "VALUES (%s, %s, %s, %s::boolean) ON CONFLICT (username) DO NOTHING" },
    { "cc_user_update",
      "UPDATE staff_users SET role = %s, active = %s::boolean, "
      "password_hash = coalesce(nullif(%s, ''), password_hash), "
      "updated_at = now() WHERE username = %s" },
    { "cc_user_exists",
      "SELECT role, active FROM staff_users WHERE username = %s" },
    { NULL, NULL }
};
MC_RESOURCE(users, routes, stmts);
