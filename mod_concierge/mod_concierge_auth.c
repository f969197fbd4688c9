/*
 * mod_concierge_auth.c - the "concierge" authn provider for mod_auth_basic:
 * staff accounts in staff_users (bcrypt), read through the module's own
 * prepared statement; a lock-out after repeated failures; and a cache of
 * verified credentials.
 *
 * Why not mod_authn_dbd: when PostgreSQL restarts, apr_dbd_pgsql silently
 * reconnects a pooled connection (PQreset) and the new session has none of
 * the prepared statements; mod_authn_dbd then reads every failure as "user
 * not found" until httpd restarts.  Our statements are re-prepared on such
 * a connection (mod_concierge_db.c), so logins recover with the database,
 * and a database outage is answered 503 (AUTH_GENERAL_ERROR), never 401.
 *
 * Lock-out (ConciergeLoginLockout <failures> <seconds>, default 10 900):
 * failed logins are counted per client address and per user name in the
 * shared bucket table (every process sees them); each is a bucket of
 * <failures> that refills over <seconds>, so the count decays.  A login
 * from a locked address or for a locked name is refused with 429 and
 * Retry-After by a check_authn hook that runs before mod_auth_basic - no
 * password is hashed.  A success does not reset anything: an attacker's
 * address stays locked whatever the real user does.
 *
 * Cache: Basic authentication sends the password with every request, and
 * bcrypt costs ~50 ms of CPU.  A verified (user, password) is remembered
 * per process under HMAC-SHA256(per-process random key, user NUL
 * password) - never the password, never a reusable hash - for
 * MC_CRED_TTL seconds, with the account's cred_version.  Each request
 * still reads the account (version and role, one indexed row, the query
 * the role check made anyway); a different version (password, role or
 * active changed by any path: the column is bumped by a trigger, sql/010)
 * drops the entry and the password is checked again.
 */
#include "apr_strings.h"
#include "apr_md5.h"
#include "apr_lib.h"
#include "apr_hash.h"
#include "apr_thread_mutex.h"
#include "http_request.h"
#include "http_protocol.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_auth.h"

#define MC_CRED_TTL       apr_time_from_sec(60)
#define MC_CRED_MAX       4096          /* entries per process */

/* Compared against when the user does not exist, so that a missing user
 * costs the same bcrypt work as a wrong password (no user enumeration by
 * timing).  bcrypt of a random string at cost 10. */
static const char mc_dummy_hash[] =
    "$2y$10$C/JT68aUESwIAA1mPn888OM4OtPzPN6f284EuqwClujGCVLmzxj42";

typedef struct cred_entry {
    apr_int64_t version;
    apr_time_t  expires;
} cred_entry;

static apr_thread_mutex_t *cred_mu;
static apr_pool_t         *cred_pool;     /* holds the table; recycled */
static apr_hash_t         *cred_table;    /* hex HMAC -> cred_entry */
static unsigned char       cred_key[32];
static int                 cred_ready;

void mc_auth_child_init(apr_pool_t *p, server_rec *s)
{
    if (apr_generate_random_bytes(cred_key, sizeof(cred_key))
        != APR_SUCCESS
        || apr_thread_mutex_create(&cred_mu, APR_THREAD_MUTEX_DEFAULT, p)
           != APR_SUCCESS
        || apr_pool_create(&cred_pool, p) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01601)
                     "no credential cache in this process: every staff "
                     "request checks the password");
        return;
    }
    cred_table = apr_hash_make(cred_pool);
    cred_ready = 1;
}

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

/* The cache key of (user, password): hex HMAC-SHA256, in p. */
static const char *cred_id(apr_pool_t *p, const char *user,
                           const char *password)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    apr_size_t ul = strlen(user), pl = strlen(password);
    unsigned char *msg = apr_palloc(p, ul + pl + 1);
    char *hex = apr_palloc(p, 2 * 32 + 1);
    unsigned int i;

    memcpy(msg, user, ul);
    msg[ul] = '\0';
    memcpy(msg + ul + 1, password, pl);
    if (!HMAC(EVP_sha256(), cred_key, sizeof(cred_key), msg, ul + pl + 1,
              mac, &len) || len != 32) {
        return NULL;
    }
    OPENSSL_cleanse(msg, ul + pl + 1);
    for (i = 0; i < len; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    }
    return hex;
}

/* 1 when id is cached with this version and not expired. */
static int cred_lookup(const char *id, apr_int64_t version)
{
    cred_entry *e;
    int hit = 0;

    apr_thread_mutex_lock(cred_mu);
    e = apr_hash_get(cred_table, id, APR_HASH_KEY_STRING);
    if (e) {
        hit = e->version == version && e->expires > apr_time_now();
        if (!hit) {
            apr_hash_set(cred_table, id, APR_HASH_KEY_STRING, NULL);
        }
    }
    apr_thread_mutex_unlock(cred_mu);
    return hit;
}

static void cred_store(const char *id, apr_int64_t version)
{
    cred_entry *e;

    apr_thread_mutex_lock(cred_mu);
    if (apr_hash_count(cred_table) >= MC_CRED_MAX) {
        /* Bounded: start again (entries are cheap to make again). */
        apr_pool_clear(cred_pool);
        cred_table = apr_hash_make(cred_pool);
    }
    e = apr_hash_get(cred_table, id, APR_HASH_KEY_STRING);
    if (!e) {
        e = apr_palloc(cred_pool, sizeof(*e));
        apr_hash_set(cred_table, apr_pstrdup(cred_pool, id),
                     APR_HASH_KEY_STRING, e);
    }
    e->version = version;
    e->expires = apr_time_now() + MC_CRED_TTL;
    apr_thread_mutex_unlock(cred_mu);
}

/* ---- lock-out ------------------------------------------------------------ */

static const char *ip_key(request_rec *r)
{
    return mc_client_key(r);
}

/* A failed login: counted for the address and the name; a note for the
 * audit when this one locked either (auth.locked_out). */
static void count_failure(request_rec *r, const char *user, int known)
{
    cc_rate_t rate = mc_config_lockout(r->server);
    cc_bucket_result_t a, b;

    mc_shm_bucket_take(r, MC_SHM_CLS_LOGIN_IP, ip_key(r), &rate, &a);
    memset(&b, 0, sizeof(b));
    if (user) {         /* a name that cannot be an account is not kept */
        mc_shm_bucket_take(r, MC_SHM_CLS_LOGIN_USER,
                           apr_pstrcat(r->pool, "u:", user, NULL), &rate,
                           &b);
    }
    if ((a.allowed && a.remaining == 0) || (b.allowed && b.remaining == 0)) {
        apr_table_setn(r->notes, MC_NOTE_LOCKED_OUT,
                       a.allowed && a.remaining == 0
                       ? (b.allowed && b.remaining == 0 && known
                          ? "address and account" : "address")
                       : "account");
    }
    if (!known) {
        apr_table_setn(r->notes, MC_NOTE_UNKNOWN_USER, "1");
    }
}

/* check_authn, before mod_auth_basic: a locked address or name gets 429
 * before any password work. */
static int login_gate(request_rec *r)
{
    const char *user = NULL, *pw = NULL;
    cc_rate_t rate;
    cc_bucket_result_t a, b;
    apr_uint32_t wait;

    if (!mc_is_api(r) || r->main
        || !apr_table_get(r->headers_in, "Authorization")
        || ap_get_basic_auth_components(r, &user, &pw) != APR_SUCCESS) {
        return DECLINED;
    }
    rate = mc_config_lockout(r->server);
    mc_shm_bucket_peek(r, MC_SHM_CLS_LOGIN_IP, ip_key(r), &rate, &a);
    if (valid_user_name(user)) {
        mc_shm_bucket_peek(r, MC_SHM_CLS_LOGIN_USER,
                           apr_pstrcat(r->pool, "u:", user, NULL), &rate, &b);
    }
    else {
        b.allowed = 1;
        b.retry_after_s = 0;
    }
    if (a.allowed && b.allowed) {
        return DECLINED;
    }
    wait = a.retry_after_s > b.retry_after_s ? a.retry_after_s
                                             : b.retry_after_s;
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%u", wait));
    apr_table_setn(r->notes, MC_NOTE_ERROR_CODE, "login_locked");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(01602)
                  "login refused: too many failures from this %s",
                  a.allowed ? "account" : "address");
    return HTTP_TOO_MANY_REQUESTS;
}

/* ---- the provider ----------------------------------------------------------- */

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *args[1], *hash, *id = NULL, *v;
    apr_int64_t version;
    ap_dbd_t *dbd;
    int ok;

    if (!valid_user_name(user)) {
        apr_password_validate(password, mc_dummy_hash);
        count_failure(r, NULL, 0);
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
    if (apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        apr_password_validate(password, mc_dummy_hash);
        count_failure(r, user, 0);
        return AUTH_USER_NOT_FOUND;
    }
    hash = apr_dbd_get_entry(dbd->driver, row, 0);
    v = apr_dbd_get_entry(dbd->driver, row, 1);
    version = v ? apr_strtoi64(v, NULL, 10) : 0;
    /* The role, read here: the route's role check needs no second query. */
    apr_table_setn(r->notes, MC_NOTE_ROLE,
                   apr_pstrdup(r->pool, apr_dbd_get_entry(dbd->driver,
                                                          row, 2)));
    if (cred_ready) {
        id = cred_id(r->pool, user, password);
        if (id && cred_lookup(id, version)) {
            mc_shm_auth_count(1);
            return AUTH_GRANTED;
        }
    }
    ok = hash && apr_password_validate(password, hash) == APR_SUCCESS;
    mc_shm_auth_count(0);
    if (!ok) {
        apr_table_unset(r->notes, MC_NOTE_ROLE);
        count_failure(r, user, 1);
        return AUTH_DENIED;
    }
    if (id) {
        cred_store(id, version);
    }
    return AUTH_GRANTED;
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
    ap_hook_check_authn(login_gate, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_user_pw",
      "SELECT password_hash, cred_version, role FROM staff_users WHERE "
      "username = %s AND active" },
    { "cc_user_role",
      "SELECT role FROM staff_users WHERE username = %s AND active" },
    { NULL, NULL }
};
MC_RESOURCE(auth, NULL, stmts);
