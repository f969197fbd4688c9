/*
 * mod_concierge_auth.c - the "concierge" authn provider for mod_auth_basic:
 * staff accounts in staff_users (bcrypt), read through the module's own
 * prepared statement.
 *
 * Why not mod_authn_dbd: when PostgreSQL restarts, apr_dbd_pgsql silently
 * reconnects a pooled connection (PQreset) and the new session has none of
 * the prepared statements; mod_authn_dbd then reads every failure as "user
 * not found" until httpd restarts.  Our statements are re-prepared on such
 * a connection (mod_concierge_db.c), so logins recover with the database,
 * and a database outage is answered 503 (AUTH_GENERAL_ERROR), never 401.
 */
#include "apr_strings.h"
#include "apr_md5.h"
#include "apr_lib.h"
#include "http_request.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_auth.h"

/* Compared against when the user does not exist, so that a missing user
 * costs the same bcrypt work as a wrong password (no user enumeration by
 * timing).  bcrypt of a random string at cost 10. */
static const char mc_dummy_hash[] =
    "$2y$10$C/JT68aUESwIAA1mPn888OM4OtPzPN6f284EuqwClujGCVLmzxj42";

static int valid_user_name(const char *user)
{
    const char *p;

    for (p = user; *p; p++) {
        if (!apr_isalnum(*p) && *p != '.' && *p != '_' && *p != '-'
            && *p != '@') {
            return 0;
        }
    }
    return p > user && p - user <= 64;
}

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    apr_dbd_results_t *res;
    const char *args[1], *hash;
    ap_dbd_t *dbd;

    if (!valid_user_name(user)) {
        apr_password_validate(password, mc_dummy_hash);
        return AUTH_USER_NOT_FOUND;
    }
    dbd = mc_db_acquire(r);
    if (!dbd) {
        return AUTH_GENERAL_ERROR;
    }
    args[0] = user;
    if (mc_db_select(r, dbd, "cc_user_pw", &res, 1, args) != APR_SUCCESS) {
        return AUTH_GENERAL_ERROR;
    }
    hash = mc_db_value(r, dbd, res, 0);
    if (!hash) {
        apr_password_validate(password, mc_dummy_hash);
        return AUTH_USER_NOT_FOUND;
    }
    return apr_password_validate(password, hash) == APR_SUCCESS
           ? AUTH_GRANTED : AUTH_DENIED;
}

static const authn_provider mc_authn_provider = {
    check_password,
    NULL            /* no digest realm hashes: Basic only */
};

void mc_auth_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "concierge",
                              AUTHN_PROVIDER_VERSION, &mc_authn_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_user_pw",
      "SELECT password_hash FROM staff_users WHERE username = %s AND active" },
    { "cc_user_role",
      "SELECT role FROM staff_users WHERE username = %s AND active" },
    { NULL, NULL }
};
MC_RESOURCE(auth, NULL, stmts);
