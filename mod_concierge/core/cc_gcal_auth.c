/*
 * cc_gcal_auth.c - the service account's side of Google's OAuth 2.0 JWT
 * bearer grant: key file, JWT assertion, token request and reply.  See
 * cc_gcal_auth.h for the contract.
 *
 * Secrets: the private key lives only in the EVP_PKEY (freed by a pool
 * cleanup); the PEM text that jansson decoded is wiped with
 * OPENSSL_cleanse before the temporary JSON is released, and so is the
 * access token's copy inside the decoded reply.  Problem messages name
 * fields, never values.  OpenSSL's error queue is cleared after every
 * failure here, so no stale error leaks into an unrelated caller.
 *
 * A cc_gcal_key_t is immutable once parsed; several threads may sign
 * with it at once (each cc_gcal_jwt call has its own EVP_MD_CTX), each
 * with its own pool.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "cc_json.h"
#include "cc_slots.h"
#include "cc_time.h"
#include "cc_gcal_auth.h"
#include "cc_gcal_int.h"
#include "cc_token.h"

#define CC_GCAL_KEY_MIN_BITS    2048
#define CC_GCAL_KEY_MAX_BITS    8192
#define CC_GCAL_EMAIL_MAX       254
#define CC_GCAL_URI_MAX         2048
#define CC_GCAL_SCOPE_MAX       2048
#define CC_GCAL_ERR_CODE_MAX    40
#define CC_GCAL_ERR_DESC_MAX    80

struct cc_gcal_key_t {
    EVP_PKEY   *pkey;
    const char *email;
    const char *token_uri;
};


/* One '@' with something on both sides, printable ASCII without the
 * characters that delimit addresses, at most 254 bytes. */
static int cc_gcal_email_ok(const char *a)
{
    size_t len, i, at = 0;
    int n_at = 0;

    len = strnlen(a, CC_GCAL_EMAIL_MAX + 1);
    if (len < 3 || len > CC_GCAL_EMAIL_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a[i];

        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c) != NULL) {
            return 0;
        }
        if (c == '@') {
            n_at++;
            at = i;
        }
    }
    return n_at == 1 && at > 0 && at < len - 1;
}

static int cc_gcal_uri_ok(const char *u)
{
    size_t len = strnlen(u, CC_GCAL_URI_MAX + 1), i, scheme;

    if (len > CC_GCAL_URI_MAX) {
        return 0;
    }
    if (strncmp(u, "https://", 8) == 0) {
        scheme = 8;
    }
    else if (strncmp(u, "http://", 7) == 0) {
        scheme = 7;
    }
    else {
        return 0;
    }
    if (len == scheme || u[scheme] == '/') {
        return 0;                       /* no host */
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Decode a reply body into *out under limits; on failure set a 502
 * "gcal_bad_response" problem naming `what`. */

/* ---- service-account key ------------------------------------------------- */

static apr_status_t cc_gcal_pkey_cleanup(void *data)
{
    EVP_PKEY_free((EVP_PKEY *)data);
    return APR_SUCCESS;
}

/* Refuse to prompt for a passphrase: encrypted keys simply fail. */
static int cc_gcal_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Load an unencrypted RSA private key from PEM text; NULL (and a problem)
 * when it is anything else. */
static EVP_PKEY *cc_gcal_load_pem(const char *pem, size_t len,
                                  cc_problem_t *prob)
{
    BIO *bio;
    EVP_PKEY *pkey;
    int bits;

    if (len == 0 || len > CC_GCAL_KEY_MAX_BYTES
        || strstr(pem, "-----BEGIN ") == NULL) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"private_key\" is not PEM");
        return NULL;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: out of memory");
        return NULL;
    }
    pkey = PEM_read_bio_PrivateKey(bio, NULL, cc_gcal_no_passphrase, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        ERR_clear_error();
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"private_key\" is not an "
                       "unencrypted PEM private key");
        return NULL;
    }
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"private_key\" is not an RSA "
                       "key (RS256 needs RSA)");
        return NULL;
    }
    bits = EVP_PKEY_get_bits(pkey);
    if (bits < CC_GCAL_KEY_MIN_BITS || bits > CC_GCAL_KEY_MAX_BITS) {
        EVP_PKEY_free(pkey);
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: RSA key of %d bits (need %d to "
                       "%d)", bits, CC_GCAL_KEY_MIN_BITS,
                       CC_GCAL_KEY_MAX_BITS);
        return NULL;
    }
    return pkey;
}

/* A required (or optional) string member; NULL if absent or not a string
 * (then *bad is set when it was present but of another type). */
static const char *cc_gcal_str(json_t *obj, const char *name, int *bad)
{
    json_t *v = json_object_get(obj, name);

    *bad = 0;
    if (v == NULL || json_is_null(v)) {
        return NULL;
    }
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    /* jansson strings may hold NUL ("\u0000" is rejected by cc_json, but
     * be safe): such a value is not usable as a C string. */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

cc_gcal_key_t *cc_gcal_key_parse(apr_pool_t *p, const char *json, size_t len,
                                 cc_problem_t *prob)
{
    cc_json_limits_t lim = { CC_GCAL_KEY_MAX_BYTES, CC_GCAL_JSON_DEPTH };
    apr_pool_t *tmp = NULL;
    json_t *j = NULL, *pk;
    cc_gcal_key_t *k = NULL;
    const char *type, *email, *pem, *uri;
    EVP_PKEY *pkey;
    int bad;

    if (p == NULL || json == NULL || len == 0) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: empty");
        return NULL;
    }
    if (len > CC_GCAL_KEY_MAX_BYTES) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: larger than %d bytes",
                       CC_GCAL_KEY_MAX_BYTES);
        return NULL;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: out of memory");
        return NULL;
    }
    apr_pool_tag(tmp, "cc_gcal_key_parse");
    /* No jansson error text in the message: it may quote key bytes. */
    if (cc_json_decode(&j, tmp, json, len, &lim, NULL) != APR_SUCCESS
        || !json_is_object(j)) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: not a JSON object");
        goto done;
    }
    type = cc_gcal_str(j, "type", &bad);
    if (type == NULL || strcmp(type, "service_account") != 0) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"type\" is not "
                       "\"service_account\"");
        goto done;
    }
    email = cc_gcal_str(j, "client_email", &bad);
    if (email == NULL || !cc_gcal_email_ok(email)) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"client_email\" is missing or "
                       "not an e-mail address");
        goto done;
    }
    uri = cc_gcal_str(j, "token_uri", &bad);
    if (bad || (uri != NULL && !cc_gcal_uri_ok(uri))) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"token_uri\" is not an "
                       "http(s) URL");
        goto done;
    }
    pem = cc_gcal_str(j, "private_key", &bad);
    if (pem == NULL) {
        cc_problem_set(prob, 500, "gcal_bad_key",
                       "service-account key: \"private_key\" is missing");
        goto done;
    }
    pkey = cc_gcal_load_pem(pem, strlen(pem), prob);
    if (pkey == NULL) {
        goto done;
    }
    k = apr_pcalloc(p, sizeof(*k));
    k->pkey = pkey;
    apr_pool_cleanup_register(p, pkey, cc_gcal_pkey_cleanup,
                              apr_pool_cleanup_null);
    k->email = apr_pstrdup(p, email);
    k->token_uri = apr_pstrdup(p, uri ? uri : CC_GCAL_TOKEN_URI_DEFAULT);
done:
    /* Wipe the decoded PEM before jansson frees it. */
    pk = j ? json_object_get(j, "private_key") : NULL;
    if (json_is_string(pk) && json_string_length(pk) > 0) {
        OPENSSL_cleanse((char *)json_string_value(pk),
                        json_string_length(pk));
    }
    apr_pool_destroy(tmp);
    return k;
}

const char *cc_gcal_key_email(const cc_gcal_key_t *k)
{
    return k ? k->email : NULL;
}

const char *cc_gcal_key_token_uri(const cc_gcal_key_t *k)
{
    return k ? k->token_uri : NULL;
}

/* ---- JWT ----------------------------------------------------------------- */

/* RSASSA-PKCS1-v1_5 with SHA-256 over data; the signature in p. */
static unsigned char *cc_gcal_sign(apr_pool_t *p, EVP_PKEY *pkey,
                                   const char *data, size_t len,
                                   size_t *siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t n = 0;

    if (md == NULL) {
        return NULL;
    }
    if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1
        || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0
        || EVP_DigestSign(md, NULL, &n, (const unsigned char *)data,
                          len) != 1
        || n == 0) {
        goto done;
    }
    sig = apr_palloc(p, n);
    if (EVP_DigestSign(md, sig, &n, (const unsigned char *)data, len) != 1) {
        sig = NULL;
        goto done;
    }
    *siglen = n;
done:
    if (sig == NULL) {
        ERR_clear_error();
    }
    EVP_MD_CTX_free(md);
    return sig;
}

char *cc_gcal_jwt(apr_pool_t *p, const cc_gcal_key_t *k, const char *scope,
                  const char *aud, int64_t now, int lifetime_s)
{
    /* base64url('{"alg":"RS256","typ":"JWT"}') */
    static const char header[] = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
    json_t *claims;
    char *cj, *input, *sig64;
    unsigned char *sig;
    size_t siglen = 0;

    if (p == NULL || k == NULL || k->pkey == NULL || now <= 0
        || lifetime_s <= 0) {
        return NULL;
    }
    if (aud == NULL) {
        aud = k->token_uri;
    }
    if (scope == NULL || *scope == '\0' || *aud == '\0'
        || strnlen(scope, CC_GCAL_SCOPE_MAX + 1) > CC_GCAL_SCOPE_MAX
        || strnlen(aud, CC_GCAL_URI_MAX + 1) > CC_GCAL_URI_MAX) {
        return NULL;
    }
    if (lifetime_s > CC_GCAL_JWT_MAX_LIFETIME) {
        lifetime_s = CC_GCAL_JWT_MAX_LIFETIME;
    }
    /* Insertion order is kept by jansson: iss, scope, aud, iat, exp. */
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", k->email,
                       "scope", scope, "aud", aud,
                       "iat", (json_int_t)now,
                       "exp", (json_int_t)(now + lifetime_s));
    if (claims == NULL) {
        return NULL;                    /* not UTF-8 */
    }
    cc_json_pool_own(p, claims);
    cj = cc_json_dump(p, claims, NULL);
    if (cj == NULL || *cj == '\0') {
        return NULL;
    }
    input = apr_pstrcat(p, header, ".",
                        cc_b64url(p, (const unsigned char *)cj,
                                       strlen(cj)), NULL);
    sig = cc_gcal_sign(p, k->pkey, input, strlen(input), &siglen);
    if (sig == NULL) {
        return NULL;
    }
    sig64 = cc_b64url(p, sig, siglen);
    return apr_pstrcat(p, input, ".", sig64, NULL);
}

char *cc_gcal_token_form(apr_pool_t *p, const char *jwt)
{
    size_t i, n;

    if (p == NULL || jwt == NULL || *jwt == '\0') {
        return NULL;
    }
    n = strlen(jwt);
    for (i = 0; i < n; i++) {
        char c = jwt[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.')) {
            return NULL;
        }
    }
    return apr_pstrcat(p, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                       "grant-type%3Ajwt-bearer&assertion=", jwt, NULL);
}

/* ---- token reply --------------------------------------------------------- */

static int cc_gcal_token_ok(const char *t, size_t n)
{
    size_t i;

    if (n == 0 || n > CC_GCAL_TOKEN_MAX_LEN) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

int cc_gcal_token_parse(apr_pool_t *p, const char *body, size_t len,
                        char **token, int64_t *expires_in,
                        cc_problem_t *prob)
{
    static const char *const oauth_errors[] = {
        "invalid_request", "invalid_client", "invalid_grant",
        "unauthorized_client", "unsupported_grant_type", "invalid_scope",
        NULL
    };
    apr_pool_t *tmp = NULL;
    json_t *j = NULL, *at, *tt, *ei, *err;
    int ok = 0, i;

    if (token) {
        *token = NULL;
    }
    if (p == NULL || token == NULL || expires_in == NULL) {
        cc_problem_set(prob, 500, "internal_error",
                       "token reply parser called without a destination");
        return 0;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "internal_error", "out of memory");
        return 0;
    }
    apr_pool_tag(tmp, "cc_gcal_token_parse");
    if (!cc_gcal_decode(&j, tmp, body, len, CC_GCAL_TOKEN_MAX_BYTES,
                        "token endpoint", prob)) {
        goto done;
    }
    err = json_object_get(j, "error");
    if (err != NULL) {
        const char *code, *desc;
        json_t *d = json_object_get(j, "error_description");

        /* Google's OAuth endpoint answers {"error":"invalid_grant",
         * "error_description":"..."}; tolerate an object too. */
        if (json_is_object(err)) {
            d = json_object_get(err, "message");
            err = json_object_get(err, "status");
        }
        code = json_is_string(err) ? json_string_value(err) : "unknown";
        desc = json_is_string(d) ? json_string_value(d) : "";
        for (i = 0; oauth_errors[i]; i++) {
            if (strcmp(code, oauth_errors[i]) == 0) {
                break;
            }
        }
        cc_problem_set(prob, 502,
                       oauth_errors[i] ? apr_pstrcat(tmp, "gcal_", code, NULL)
                                       : "gcal_token_error",
                       "Google token endpoint refused the assertion: %s%s%s",
                       cc_gcal_sanitise(tmp, code, CC_GCAL_ERR_CODE_MAX),
                       *desc ? ": " : "",
                       cc_gcal_sanitise(tmp, desc, CC_GCAL_ERR_DESC_MAX));
        goto done;
    }
    at = json_object_get(j, "access_token");
    tt = json_object_get(j, "token_type");
    ei = json_object_get(j, "expires_in");
    if (!json_is_string(at)
        || !cc_gcal_token_ok(json_string_value(at), json_string_length(at))
        || strlen(json_string_value(at)) != json_string_length(at)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the token endpoint reply has no usable "
                       "\"access_token\"");
        goto done;
    }
    if (!json_is_string(tt)
        || strcasecmp(json_string_value(tt), "Bearer") != 0) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the token endpoint reply's \"token_type\" is not "
                       "\"Bearer\"");
        goto done;
    }
    if (!json_is_integer(ei) || json_integer_value(ei) < 1
        || json_integer_value(ei) > CC_GCAL_TOKEN_MAX_EXPIRY) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the token endpoint reply's \"expires_in\" is not an "
                       "integer of 1 to %d seconds", CC_GCAL_TOKEN_MAX_EXPIRY);
        goto done;
    }
    *token = apr_pstrmemdup(p, json_string_value(at), json_string_length(at));
    *expires_in = (int64_t)json_integer_value(ei);
    ok = 1;
done:
    at = j ? json_object_get(j, "access_token") : NULL;
    if (json_is_string(at) && json_string_length(at) > 0) {
        OPENSSL_cleanse((char *)json_string_value(at),
                        json_string_length(at));
    }
    apr_pool_destroy(tmp);
    return ok;
}

