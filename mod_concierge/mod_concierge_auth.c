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
 * MC_CRED_TTL seconds, with the account's cred_version and role.
 *
 * While nothing changes, a cached credential needs no database read: each
 * process LISTENs on concierge_credentials on a connection of its own (not
 * one of mod_dbd's), and every change of a password, role or active flag
 * - by any path: triggers, sql/010 and sql/013 - notifies it when it
 * commits; the process then bumps its epoch, which every entry carries, so
 * all its entries stop answering.  Whenever the listener is not connected
 * (or was not when an entry was made), requests read the account as
 * before (version and role, one indexed row): a different version drops
 * the entry and the password is checked again.  An entry's epoch is taken
 * before that read, so a change committed between the read and the store
 * is never cached as current.
 *
 * The same connection listens on concierge_availability (sql/014) for the
 * booking service's cache of busy intervals (mc_avail_epoch).
 */
#include "apr_strings.h"
#include "apr_md5.h"
#include "apr_lib.h"
#include "apr_hash.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "apr_atomic.h"
#include <poll.h>
#include <libpq-fe.h>
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
    apr_int64_t  version;
    apr_time_t   expires;
    apr_uint32_t epoch;         /* cred_epoch before the account was read */
    char         role[16];
} cred_entry;

/* Pushed changes (see the top): bumped on every notification and on every
 * (re)connection of the listener; cred_listening is 1 while it listens. */
static volatile apr_uint32_t cred_epoch;
static volatile apr_uint32_t cred_listening;
static volatile apr_uint32_t avail_epoch;   /* concierge_availability */
static const char           *listen_params;     /* DBDParams */
static apr_thread_t         *listen_thread;
static volatile apr_uint32_t listen_stop;

static void *APR_THREAD_FUNC cred_listener(apr_thread_t *th, void *data);
static apr_status_t listener_stop(void *data);
static const char *dbd_params(apr_pool_t *p, const ap_directive_t *d,
                              int *pgsql);

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
    {
        int pgsql = 0;

        listen_params = dbd_params(p, ap_conftree, &pgsql);
        apr_atomic_set32(&listen_stop, 0);
        if (listen_params && pgsql
            && apr_thread_create(&listen_thread, NULL, cred_listener, s, p)
               == APR_SUCCESS) {
            /* Before the child pool's own cleanups. */
            apr_pool_pre_cleanup_register(p, NULL, listener_stop);
        }
        else {
            listen_thread = NULL;
        }
    }
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

/* 1 when id was cached in this epoch, not expired, and the listener is
 * on: no database read needed.  role (16 bytes) receives its role. */
static int cred_lookup_pushed(const char *id, apr_uint32_t epoch, char *role)
{
    cred_entry *e;
    int hit = 0;

    if (!apr_atomic_read32(&cred_listening)) {
        return 0;
    }
    apr_thread_mutex_lock(cred_mu);
    e = apr_hash_get(cred_table, id, APR_HASH_KEY_STRING);
    if (e && e->epoch == epoch && e->expires > apr_time_now() && e->role[0]) {
        memcpy(role, e->role, sizeof(e->role));
        hit = 1;
    }
    apr_thread_mutex_unlock(cred_mu);
    return hit;
}

/* 1 when id is cached with this version and not expired; a hit is then
 * current as of epoch (taken before the account was read), with role. */
static int cred_lookup(const char *id, apr_int64_t version,
                       apr_uint32_t epoch, const char *role)
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
        else if (role && strlen(role) < sizeof(e->role)) {
            e->epoch = epoch;
            memcpy(e->role, role, strlen(role) + 1);
        }
    }
    apr_thread_mutex_unlock(cred_mu);
    return hit;
}

static void cred_store(const char *id, apr_int64_t version,
                       apr_uint32_t epoch, const char *role)
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
    e->epoch = epoch;
    if (role && strlen(role) < sizeof(e->role)) {
        memcpy(e->role, role, strlen(role) + 1);
    }
    else {
        e->role[0] = '\0';      /* never answered without the database */
    }
    apr_thread_mutex_unlock(cred_mu);
}

/* ---- the listener -------------------------------------------------------- */

int mc_auth_listening(void)
{
    return apr_atomic_read32(&cred_listening) != 0;
}

static int listen_start(PGconn *pc)
{
    PGresult *res = PQexec(pc, "LISTEN concierge_credentials; "
                           "LISTEN concierge_availability");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    PQclear(res);
    return ok;
}

int mc_avail_epoch(apr_uint32_t *epoch)
{
    *epoch = apr_atomic_read32(&avail_epoch);
    return apr_atomic_read32(&cred_listening) != 0;
}

static void *APR_THREAD_FUNC cred_listener(apr_thread_t *th, void *data)
{
    static mc_lograte lr_listen, lr_again;
    server_rec *s = data;
    PGconn *pc = NULL;
    apr_uint32_t dropped = 0;
    int fails = 0;

    while (!apr_atomic_read32(&listen_stop)) {
        struct pollfd pfd;
        PGnotify *n;
        int lost = 0;

        if (!pc) {
            pc = PQconnectdb(listen_params);
            if (PQstatus(pc) != CONNECTION_OK || !listen_start(pc)) {
                int i, wait = 10 << (fails < 3 ? fails : 3);   /* x 100 ms */

                PQfinish(pc);
                pc = NULL;
                if (fails++ == 0 && mc_lograte_ok(&lr_listen, &dropped)) {
                    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                                 CCLOGNO(01603) "credential changes: cannot "
                                 "listen (database unavailable); staff "
                                 "requests read their account meanwhile (%u "
                                 "more since the last such line)", dropped);
                }
                for (i = 0; i < (wait > 50 ? 50 : wait)
                            && !apr_atomic_read32(&listen_stop); i++) {
                    apr_sleep(apr_time_from_msec(100));
                }
                continue;
            }
            if (fails && mc_lograte_ok(&lr_again, &dropped)) {
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, CCLOGNO(01604)
                             "credential changes: listening again");
            }
            fails = 0;
            /* Anything cached so far may have missed a change. */
            apr_atomic_inc32(&cred_epoch);
            apr_atomic_inc32(&avail_epoch);
            apr_atomic_set32(&cred_listening, 1);
        }
        pfd.fd = PQsocket(pc);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 200) > 0) {
            if (!PQconsumeInput(pc)) {
                lost = 1;
            }
            while ((n = PQnotifies(pc)) != NULL) {
                if (!strcmp(n->relname, "concierge_availability")) {
                    apr_atomic_inc32(&avail_epoch);
                }
                else {
                    apr_atomic_inc32(&cred_epoch);
                }
                PQfreemem(n);
            }
        }
        if (lost || PQstatus(pc) != CONNECTION_OK) {
            apr_atomic_set32(&cred_listening, 0);
            apr_atomic_inc32(&cred_epoch);
            apr_atomic_inc32(&avail_epoch);
            PQfinish(pc);
            pc = NULL;
        }
    }
    apr_atomic_set32(&cred_listening, 0);
    if (pc) {
        PQfinish(pc);
    }
    apr_thread_exit(th, APR_SUCCESS);
    return NULL;
}

static apr_status_t listener_stop(void *data)
{
    apr_status_t trv;

    if (listen_thread) {
        apr_atomic_set32(&listen_stop, 1);
        apr_thread_join(&trv, listen_thread);
        listen_thread = NULL;
    }
    return APR_SUCCESS;
}

/* DBDParams as configured (the first), unquoted; NULL without one or when
 * the driver is not pgsql. */
static const char *dbd_params(apr_pool_t *p, const ap_directive_t *d,
                              int *pgsql)
{
    const char *found = NULL;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "DBDriver") && d->args) {
            *pgsql = !strcasecmp(d->args, "pgsql");
        }
        if (!found && !strcasecmp(d->directive, "DBDParams") && d->args) {
            const char *a = d->args;

            found = ap_getword_conf(p, &a);
        }
        if (d->first_child) {
            const char *c = dbd_params(p, d->first_child, pgsql);

            found = found ? found : c;
        }
    }
    return found;
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
    apr_uint32_t epoch;
    ap_dbd_t *dbd;
    int ok;

    if (!valid_user_name(user)) {
        apr_password_validate(password, mc_dummy_hash);
        count_failure(r, NULL, 0);
        return AUTH_USER_NOT_FOUND;
    }
    /* Taken before anything is read: see the top. */
    epoch = apr_atomic_read32(&cred_epoch);
    if (cred_ready) {
        char role[16];

        id = cred_id(r->pool, user, password);
        if (id && cred_lookup_pushed(id, epoch, role)) {
            apr_table_setn(r->notes, MC_NOTE_ROLE,
                           apr_pstrdup(r->pool, role));
            mc_shm_auth_count(1);
            return AUTH_GRANTED;
        }
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
        if (id && cred_lookup(id, version, epoch,
                              apr_table_get(r->notes, MC_NOTE_ROLE))) {
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
        cred_store(id, version, epoch,
                   apr_table_get(r->notes, MC_NOTE_ROLE));
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
