/* Unit tests: cc_gcal, authentication (service-account key, JWT
 * assertion, token request and reply).  Events, freeBusy, retry decision
 * and backoff: test_cc_gcal.c.
 *
 * The JWT is verified independently: the test generates its own RSA key
 * with EVP_PKEY_keygen, writes the PKCS#8 PEM into a service-account JSON
 * file, lets cc_gcal sign, then splits the token, base64url-decodes it
 * with its own decoder and checks the signature with EVP_DigestVerify
 * (PKCS#1 v1.5 padding) against the public half.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "cc_gcal.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define EMAIL    "concierge@clinic-test.iam.gserviceaccount.com"
#define NOW      INT64_C(1700000000)
#define SCOPE    "https://www.googleapis.com/auth/calendar"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* ---- test keys (made once, in the unchecked fixture) -------------------- */

enum {
    PEM_NONE, PEM_GOOD, PEM_PKCS1, PEM_RSA1024, PEM_EC, PEM_ED25519,
    PEM_RSAPSS, PEM_ENCRYPTED, PEM_PUBLIC, PEM_GARBAGE, PEM_BAD_BASE64,
    PEM_EMPTY, PEM_CERT, PEM_KINDS
};

static EVP_PKEY *g_rsa;             /* the service account's key */
static EVP_PKEY *g_other;           /* another 2048-bit key */
static char *g_pem[PEM_KINDS];      /* malloc'd, live for the process */

static EVP_PKEY *gen_key(const char *alg, int bits, const char *group)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *k = NULL;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_PKEY_keygen_init(c), 1);
    if (bits > 0) {
        ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits), 0);
    }
    if (group) {
        ck_assert_int_gt(EVP_PKEY_CTX_set_group_name(c, group), 0);
    }
    ck_assert_int_eq(EVP_PKEY_keygen(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

/* How to write a key as PEM. */
enum { W_PKCS8, W_TRADITIONAL, W_ENCRYPTED, W_PUBLIC };

static char *to_pem(EVP_PKEY *k, int how)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;
    int rc;

    ck_assert_ptr_nonnull(b);
    switch (how) {
    case W_TRADITIONAL:
        rc = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL,
                                                  NULL);
        break;
    case W_ENCRYPTED:
        rc = PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0,
                                           NULL, (void *)"passphrase");
        break;
    case W_PUBLIC:
        rc = PEM_write_bio_PUBKEY(b, k);
        break;
    default:
        rc = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
        break;
    }
    ck_assert_int_eq(rc, 1);
    n = BIO_get_mem_data(b, &data);
    ck_assert_int_gt(n, 0);
    out = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

static void keys_setup(void)
{
    EVP_PKEY *k;

    if (g_rsa != NULL) {
        return;
    }
    g_rsa = gen_key("RSA", 2048, NULL);
    g_other = gen_key("RSA", 2048, NULL);
    g_pem[PEM_NONE] = NULL;
    g_pem[PEM_GOOD] = to_pem(g_rsa, W_PKCS8);
    g_pem[PEM_PKCS1] = to_pem(g_rsa, W_TRADITIONAL);
    g_pem[PEM_ENCRYPTED] = to_pem(g_rsa, W_ENCRYPTED);
    g_pem[PEM_PUBLIC] = to_pem(g_rsa, W_PUBLIC);
    k = gen_key("RSA", 1024, NULL);
    g_pem[PEM_RSA1024] = to_pem(k, W_PKCS8);
    EVP_PKEY_free(k);
    k = gen_key("EC", 0, "P-256");
    g_pem[PEM_EC] = to_pem(k, W_PKCS8);
    EVP_PKEY_free(k);
    k = gen_key("ED25519", 0, NULL);
    g_pem[PEM_ED25519] = to_pem(k, W_PKCS8);
    EVP_PKEY_free(k);
    k = gen_key("RSA-PSS", 2048, NULL);
    g_pem[PEM_RSAPSS] = to_pem(k, W_PKCS8);
    EVP_PKEY_free(k);
    g_pem[PEM_GARBAGE] = strdup("hello, this is not a key");
    g_pem[PEM_BAD_BASE64] = strdup("-----BEGIN PRIVATE KEY-----\n"
                                   "MIIE!!!!notbase64@@@@\n"
                                   "-----END PRIVATE KEY-----\n");
    g_pem[PEM_EMPTY] = strdup("");
    g_pem[PEM_CERT] = strdup("-----BEGIN CERTIFICATE-----\n"
                             "MIIBszCCAVmgAwIBAgIUQ0lqTWFHb2NrQ2VydGlmaWNhdGUw\n"
                             "-----END CERTIFICATE-----\n");
    ck_assert_ptr_nonnull(strstr(g_pem[PEM_GOOD], "BEGIN PRIVATE KEY"));
    ck_assert_ptr_nonnull(strstr(g_pem[PEM_PKCS1], "BEGIN RSA PRIVATE KEY"));
    ck_assert_ptr_nonnull(strstr(g_pem[PEM_ENCRYPTED],
                                 "BEGIN ENCRYPTED PRIVATE KEY"));
}

static void keys_teardown(void)
{
}

/* A service-account key file as Google issues it (the PEM's newlines
 * escaped as \n by jansson); NULL arguments leave the member out. */
static char *keyfile(apr_pool_t *p, const char *type, const char *email,
                     const char *pem, const char *token_uri)
{
    json_t *o = json_object();
    char *s, *copy;

    if (type) {
        json_object_set_new(o, "type", json_string(type));
    }
    json_object_set_new(o, "project_id", json_string("clinic-test"));
    json_object_set_new(o, "private_key_id",
                        json_string("3f2a0c1d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"));
    if (pem) {
        json_object_set_new(o, "private_key", json_string(pem));
    }
    if (email) {
        json_object_set_new(o, "client_email", json_string(email));
    }
    json_object_set_new(o, "client_id", json_string("104220000000000000001"));
    json_object_set_new(o, "auth_uri",
                        json_string("https://accounts.google.com/o/oauth2/auth"));
    if (token_uri) {
        json_object_set_new(o, "token_uri", json_string(token_uri));
    }
    s = json_dumps(o, JSON_INDENT(2));
    ck_assert_ptr_nonnull(s);
    copy = apr_pstrdup(p, s);
    free(s);
    json_decref(o);
    return copy;
}

static cc_gcal_key_t *good_key(apr_pool_t *p, const char *token_uri)
{
    cc_problem_t prob;
    char *kf = keyfile(p, "service_account", EMAIL, g_pem[PEM_GOOD],
                       token_uri);
    cc_gcal_key_t *k;

    memset(&prob, 0, sizeof(prob));
    k = cc_gcal_key_parse(p, kf, strlen(kf), &prob);
    ck_assert_msg(k != NULL, "good key refused: %s %s", prob.code,
                  prob.message);
    return k;
}

/* The problem message must not carry any part of the key. */
static void assert_no_key_material(const cc_problem_t *prob)
{
    char needle[21];
    const char *line2 = strchr(g_pem[PEM_GOOD], '\n');

    ck_assert_ptr_null(strstr(prob->message, "BEGIN"));
    ck_assert_ptr_null(strstr(prob->message, "MII"));
    ck_assert_ptr_null(strstr(prob->message, "-----"));
    ck_assert_ptr_nonnull(line2);
    memcpy(needle, line2 + 1, 20);
    needle[20] = '\0';
    ck_assert_ptr_null(strstr(prob->message, needle));
    memcpy(needle, line2 + 21, 12);
    needle[12] = '\0';
    ck_assert_ptr_null(strstr(prob->message, needle));
}

/* ---- key file: the table ------------------------------------------------- */

typedef struct key_case_t {
    const char *name;
    const char *type;
    const char *email;
    int         pem;
    const char *token_uri;
    int         ok;
} key_case_t;

#define SA "service_account"

static const key_case_t key_cases[] = {
    { "good, default token_uri", SA, EMAIL, PEM_GOOD, NULL, 1 },
    { "good, token_uri", SA, EMAIL, PEM_GOOD,
      "https://oauth2.googleapis.com/token", 1 },
    { "good, local fake", SA, EMAIL, PEM_GOOD, "http://127.0.0.1:8931/token",
      1 },
    { "PKCS#1 PEM", SA, EMAIL, PEM_PKCS1, NULL, 1 },
    { "wrong type", "authorized_user", EMAIL, PEM_GOOD, NULL, 0 },
    { "type case", "Service_Account", EMAIL, PEM_GOOD, NULL, 0 },
    { "no type", NULL, EMAIL, PEM_GOOD, NULL, 0 },
    { "no email", SA, NULL, PEM_GOOD, NULL, 0 },
    { "empty email", SA, "", PEM_GOOD, NULL, 0 },
    { "email without @", SA, "concierge.clinic.example", PEM_GOOD, NULL, 0 },
    { "email with two @", SA, "a@b@c.example", PEM_GOOD, NULL, 0 },
    { "email with space", SA, "con cierge@x.example", PEM_GOOD, NULL, 0 },
    { "email with newline", SA, "a@x.example\nBcc: b@y", PEM_GOOD, NULL, 0 },
    { "email @ at end", SA, "concierge@", PEM_GOOD, NULL, 0 },
    { "no private_key", SA, EMAIL, PEM_NONE, NULL, 0 },
    { "empty private_key", SA, EMAIL, PEM_EMPTY, NULL, 0 },
    { "garbage PEM", SA, EMAIL, PEM_GARBAGE, NULL, 0 },
    { "bad base64 PEM", SA, EMAIL, PEM_BAD_BASE64, NULL, 0 },
    { "certificate", SA, EMAIL, PEM_CERT, NULL, 0 },
    { "public key", SA, EMAIL, PEM_PUBLIC, NULL, 0 },
    { "encrypted PKCS#8", SA, EMAIL, PEM_ENCRYPTED, NULL, 0 },
    { "RSA 1024", SA, EMAIL, PEM_RSA1024, NULL, 0 },
    { "EC P-256", SA, EMAIL, PEM_EC, NULL, 0 },
    { "Ed25519", SA, EMAIL, PEM_ED25519, NULL, 0 },
    { "RSA-PSS", SA, EMAIL, PEM_RSAPSS, NULL, 0 },
    { "ftp token_uri", SA, EMAIL, PEM_GOOD, "ftp://oauth2.example/token", 0 },
    { "token_uri no host", SA, EMAIL, PEM_GOOD, "https:///token", 0 },
    { "token_uri empty", SA, EMAIL, PEM_GOOD, "", 0 },
    { "token_uri with space", SA, EMAIL, PEM_GOOD,
      "https://oauth2.googleapis.com/to ken", 0 },
};

START_TEST(test_key_table)
{
    const key_case_t *c = &key_cases[_i];
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    cc_gcal_key_t *k;
    char *kf = keyfile(p, c->type, c->email, g_pem[c->pem], c->token_uri);

    memset(&prob, 0, sizeof(prob));
    k = cc_gcal_key_parse(p, kf, strlen(kf), &prob);
    if (c->ok) {
        ck_assert_msg(k != NULL, "%s: refused: %s", c->name, prob.message);
        ck_assert_str_eq(cc_gcal_key_email(k), c->email);
        ck_assert_str_eq(cc_gcal_key_token_uri(k),
                         c->token_uri ? c->token_uri
                                      : CC_GCAL_TOKEN_URI_DEFAULT);
    } else {
        ck_assert_msg(k == NULL, "%s: accepted", c->name);
        ck_assert_str_eq(prob.code, "gcal_bad_key");
        ck_assert_int_eq(prob.status, 500);
        ck_assert_msg(prob.message[0] != '\0', "%s: no message", c->name);
        assert_no_key_material(&prob);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Files that are not a service-account object at all. */
static const char *const raw_key_cases[] = {
    "not json",
    "[]",
    "null",
    "\"service_account\"",
    "{",
    "{\"type\":5,\"client_email\":\"" EMAIL "\"}",
    "{\"type\":\"service_account\",\"type\":\"service_account\"}",
    "{\"type\":\"service_account\",\"client_email\":[\"" EMAIL "\"]}",
    "{\"type\":\"service_account\",\"client_email\":\"" EMAIL "\","
    "\"private_key\":17}",
    "{\"type\":\"service_account\",\"client_email\":\"" EMAIL "\","
    "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\u0000\"}",
};

START_TEST(test_key_raw)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    const char *s = raw_key_cases[_i];

    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_gcal_key_parse(p, s, strlen(s), &prob));
    ck_assert_str_eq(prob.code, "gcal_bad_key");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_key_edges)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    char *kf = keyfile(p, SA, EMAIL, g_pem[PEM_GOOD], NULL);
    size_t n = strlen(kf);
    char *big;

    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_gcal_key_parse(p, NULL, 10, &prob));
    ck_assert_ptr_null(cc_gcal_key_parse(p, kf, 0, &prob));
    ck_assert_ptr_null(cc_gcal_key_parse(NULL, kf, n, &prob));
    ck_assert_ptr_nonnull(cc_gcal_key_parse(p, kf, n, NULL));

    /* Truncated in the middle of the PEM: a JSON error, and the message
     * quotes nothing from the file. */
    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_gcal_key_parse(p, kf, n / 2, &prob));
    ck_assert_str_eq(prob.code, "gcal_bad_key");
    assert_no_key_material(&prob);

    /* Over the size limit (valid JSON padded with blanks). */
    big = apr_palloc(p, CC_GCAL_KEY_MAX_BYTES + 2);
    memset(big, ' ', CC_GCAL_KEY_MAX_BYTES + 1);
    memcpy(big, kf, n);
    big[CC_GCAL_KEY_MAX_BYTES + 1] = '\0';
    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_gcal_key_parse(p, big, CC_GCAL_KEY_MAX_BYTES + 1,
                                         &prob));
    ck_assert_str_eq(prob.code, "gcal_bad_key");
    /* ... and at the limit it is fine. */
    ck_assert_ptr_nonnull(cc_gcal_key_parse(p, big, CC_GCAL_KEY_MAX_BYTES,
                                            &prob));

    /* The key's pool cleanup frees the EVP_PKEY (ASan/LSan would tell). */
    ck_assert_ptr_null(cc_gcal_key_email(NULL));
    ck_assert_ptr_null(cc_gcal_key_token_uri(NULL));
    apr_pool_destroy(p);
}
END_TEST

/* The decoded private key text is wiped, the caller's buffer is not
 * touched. */
START_TEST(test_key_input_untouched)
{
    apr_pool_t *p = new_pool();
    char *kf = keyfile(p, SA, EMAIL, g_pem[PEM_GOOD], NULL);
    char *copy = apr_pstrdup(p, kf);

    ck_assert_ptr_nonnull(cc_gcal_key_parse(p, kf, strlen(kf), NULL));
    ck_assert_str_eq(kf, copy);
    apr_pool_destroy(p);
}
END_TEST

/* ---- JWT ----------------------------------------------------------------- */

/* base64url without padding -> bytes (in p); NULL on any other character
 * or an impossible length. */
static unsigned char *b64url_decode(apr_pool_t *p, const char *s, size_t n,
                                    size_t *out_len)
{
    unsigned char *out = apr_palloc(p, n * 3 / 4 + 3);
    uint32_t acc = 0;
    size_t i, o = 0;
    int bits = 0;

    if (n % 4 == 1) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];
        int v;

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '-') {
            v = 62;
        } else if (c == '_') {
            v = 63;
        } else {
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        return NULL;                    /* non-canonical trailing bits */
    }
    *out_len = o;
    return out;
}

typedef struct jwt_parts_t {
    char *header, *claims;              /* decoded, NUL-terminated */
    unsigned char *sig;
    size_t siglen;
    char *signing_input;                /* "header.claims" as sent */
} jwt_parts_t;

static void split_jwt(apr_pool_t *p, const char *jwt, jwt_parts_t *out)
{
    const char *d1 = strchr(jwt, '.'), *d2;
    unsigned char *h, *c;
    size_t hl = 0, cl = 0;

    ck_assert_ptr_nonnull(d1);
    d2 = strchr(d1 + 1, '.');
    ck_assert_ptr_nonnull(d2);
    ck_assert_ptr_null(strchr(d2 + 1, '.'));
    ck_assert_ptr_null(strchr(jwt, '='));
    h = b64url_decode(p, jwt, (size_t)(d1 - jwt), &hl);
    c = b64url_decode(p, d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    out->sig = b64url_decode(p, d2 + 1, strlen(d2 + 1), &out->siglen);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(out->sig);
    out->header = apr_pstrmemdup(p, (const char *)h, hl);
    out->claims = apr_pstrmemdup(p, (const char *)c, cl);
    out->signing_input = apr_pstrmemdup(p, jwt, (size_t)(d2 - jwt));
}

/* RSASSA-PKCS1-v1_5 / SHA-256 verification with the public key. */
static int rs256_verify(EVP_PKEY *pub, const char *input,
                        const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int rc;

    ck_assert_ptr_nonnull(md);
    ck_assert_int_eq(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
                                          pub), 1);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING),
                     0);
    rc = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input,
                          strlen(input));
    EVP_MD_CTX_free(md);
    return rc;
}

/* The public half only, as a verifier would hold it. */
static EVP_PKEY *public_of(EVP_PKEY *k)
{
    char *pem = to_pem(k, W_PUBLIC);
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);

    ck_assert_ptr_nonnull(pub);
    BIO_free(b);
    free(pem);
    return pub;
}

START_TEST(test_jwt_verifies)
{
    apr_pool_t *p = new_pool();
    cc_gcal_key_t *k = good_key(p, NULL);
    EVP_PKEY *pub = public_of(g_rsa), *other = public_of(g_other);
    jwt_parts_t parts;
    char *jwt, *tampered;
    size_t pos;

    jwt = cc_gcal_jwt(p, k, SCOPE, NULL, NOW, 3600);
    ck_assert_ptr_nonnull(jwt);
    split_jwt(p, jwt, &parts);
    ck_assert_str_eq(parts.header, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    ck_assert_str_eq(parts.claims,
                     "{\"iss\":\"" EMAIL "\","
                     "\"scope\":\"https://www.googleapis.com/auth/calendar\","
                     "\"aud\":\"https://oauth2.googleapis.com/token\","
                     "\"iat\":1700000000,\"exp\":1700003600}");
    ck_assert_int_eq(parts.siglen, 256);
    ck_assert_int_eq(rs256_verify(pub, parts.signing_input, parts.sig,
                                  parts.siglen), 1);
    /* Another key does not verify it. */
    ck_assert_int_ne(rs256_verify(other, parts.signing_input, parts.sig,
                                  parts.siglen), 1);
    /* A changed claim does not verify. */
    tampered = apr_pstrdup(p, parts.signing_input);
    pos = strlen(tampered) - 3;
    tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
    ck_assert_int_ne(rs256_verify(pub, tampered, parts.sig, parts.siglen), 1);
    /* PKCS#1 v1.5 is deterministic: the same inputs, the same token. */
    ck_assert_str_eq(cc_gcal_jwt(p, k, SCOPE, NULL, NOW, 3600), jwt);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(other);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwt_claims)
{
    apr_pool_t *p = new_pool();
    cc_gcal_key_t *k = good_key(p, "http://127.0.0.1:8931/token");
    EVP_PKEY *pub = public_of(g_rsa);
    jwt_parts_t parts;
    char *jwt;

    /* aud NULL: the key file's token_uri; lifetime clamped to 3600. */
    jwt = cc_gcal_jwt(p, k, SCOPE " https://www.googleapis.com/auth/"
                      "calendar.events", NULL, NOW + 5, 7200);
    ck_assert_ptr_nonnull(jwt);
    split_jwt(p, jwt, &parts);
    ck_assert_str_eq(parts.claims,
                     "{\"iss\":\"" EMAIL "\","
                     "\"scope\":\"https://www.googleapis.com/auth/calendar "
                     "https://www.googleapis.com/auth/calendar.events\","
                     "\"aud\":\"http://127.0.0.1:8931/token\","
                     "\"iat\":1700000005,\"exp\":1700003605}");
    ck_assert_int_eq(rs256_verify(pub, parts.signing_input, parts.sig,
                                  parts.siglen), 1);

    /* An explicit aud and a short lifetime. */
    jwt = cc_gcal_jwt(p, k, SCOPE, "https://oauth2.googleapis.com/token",
                      NOW, 60);
    ck_assert_ptr_nonnull(jwt);
    split_jwt(p, jwt, &parts);
    ck_assert_ptr_nonnull(strstr(parts.claims,
                                 "\"aud\":\"https://oauth2.googleapis.com/"
                                 "token\",\"iat\":1700000000,"
                                 "\"exp\":1700000060}"));
    ck_assert_int_eq(rs256_verify(pub, parts.signing_input, parts.sig,
                                  parts.siglen), 1);
    EVP_PKEY_free(pub);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwt_refusals)
{
    apr_pool_t *p = new_pool();
    cc_gcal_key_t *k = good_key(p, NULL);

    ck_assert_ptr_null(cc_gcal_jwt(p, NULL, SCOPE, NULL, NOW, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(NULL, k, SCOPE, NULL, NOW, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, NULL, NULL, NOW, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, "", NULL, NOW, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, SCOPE, "", NOW, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, SCOPE, NULL, 0, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, SCOPE, NULL, -5, 3600));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, SCOPE, NULL, NOW, 0));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, SCOPE, NULL, NOW, -1));
    ck_assert_ptr_null(cc_gcal_jwt(p, k, "bad \xff utf8", NULL, NOW, 3600));
    ck_assert_ptr_nonnull(cc_gcal_jwt(p, k, SCOPE, NULL, NOW, 1));
    ck_assert_ptr_nonnull(cc_gcal_jwt(p, k, SCOPE, NULL, NOW, INT_MAX));
    apr_pool_destroy(p);
}
END_TEST

/* A PKCS#1 key file signs tokens that verify too. */
START_TEST(test_jwt_pkcs1_key)
{
    apr_pool_t *p = new_pool();
    EVP_PKEY *pub = public_of(g_rsa);
    char *kf = keyfile(p, SA, EMAIL, g_pem[PEM_PKCS1], NULL);
    cc_gcal_key_t *k = cc_gcal_key_parse(p, kf, strlen(kf), NULL);
    jwt_parts_t parts;
    char *jwt;

    ck_assert_ptr_nonnull(k);
    jwt = cc_gcal_jwt(p, k, SCOPE, NULL, NOW, 3600);
    ck_assert_ptr_nonnull(jwt);
    split_jwt(p, jwt, &parts);
    ck_assert_int_eq(rs256_verify(pub, parts.signing_input, parts.sig,
                                  parts.siglen), 1);
    EVP_PKEY_free(pub);
    apr_pool_destroy(p);
}
END_TEST

/* ---- token request and reply -------------------------------------------- */

START_TEST(test_token_form)
{
    apr_pool_t *p = new_pool();

    ck_assert_str_eq(cc_gcal_token_form(p, "aGVhZA.Y2xhaW1z.c2ln-_09"),
                     "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3A"
                     "jwt-bearer&assertion=aGVhZA.Y2xhaW1z.c2ln-_09");
    ck_assert_ptr_null(cc_gcal_token_form(p, NULL));
    ck_assert_ptr_null(cc_gcal_token_form(p, ""));
    ck_assert_ptr_null(cc_gcal_token_form(p, "a+b.c"));
    ck_assert_ptr_null(cc_gcal_token_form(p, "a.b.c="));
    ck_assert_ptr_null(cc_gcal_token_form(p, "a.b&c=d"));
    ck_assert_ptr_null(cc_gcal_token_form(p, "a.b c"));
    ck_assert_ptr_null(cc_gcal_token_form(NULL, "a.b.c"));
    apr_pool_destroy(p);
}
END_TEST

typedef struct token_case_t {
    const char *body;
    int         ok;
    const char *token;          /* ok: expected token */
    int64_t     expires;        /* ok: expected expires_in */
    const char *code;           /* !ok: expected problem code */
    const char *msg_has;        /* !ok: substring of the message, or NULL */
} token_case_t;

static const token_case_t token_cases[] = {
    { "{\"access_token\":\"ya29.c.b0AXv0zTOk\",\"expires_in\":3599,"
      "\"token_type\":\"Bearer\"}", 1, "ya29.c.b0AXv0zTOk", 3599, NULL, NULL },
    { "{\"token_type\":\"bearer\",\"expires_in\":1,"
      "\"access_token\":\"t\"}", 1, "t", 1, NULL, NULL },
    { "{\"access_token\":\"tok\",\"expires_in\":86400,"
      "\"token_type\":\"BEARER\",\"id_token\":\"x\"}", 1, "tok", 86400, NULL,
      NULL },
    { "{\"error\":\"invalid_grant\",\"error_description\":"
      "\"Invalid JWT Signature.\"}", 0, NULL, 0, "gcal_invalid_grant",
      "invalid_grant: Invalid JWT Signature." },
    { "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT: "
      "Token must be a short-lived token (60 minutes) and in a reasonable "
      "timeframe. Check your iat and exp values in the JWT claim.\"}", 0,
      NULL, 0, "gcal_invalid_grant", "Invalid JWT: Token must be" },
    { "{\"error\":\"unsupported_grant_type\",\"error_description\":"
      "\"Invalid grant_type: \"}", 0, NULL, 0, "gcal_unsupported_grant_type",
      "unsupported_grant_type" },
    { "{\"error\":\"invalid_scope\"}", 0, NULL, 0, "gcal_invalid_scope",
      "invalid_scope" },
    { "{\"error\":\"invalid_client\",\"error_description\":\"The OAuth "
      "client was not found.\"}", 0, NULL, 0, "gcal_invalid_client",
      "invalid_client" },
    { "{\"error\":\"unauthorized_client\"}", 0, NULL, 0,
      "gcal_unauthorized_client", NULL },
    { "{\"error\":\"invalid_request\"}", 0, NULL, 0, "gcal_invalid_request",
      NULL },
    { "{\"error\":\"temporarily_unavailable\"}", 0, NULL, 0,
      "gcal_token_error", "temporarily_unavailable" },
    { "{\"error\":\"<b>evil</b>\\n\"}", 0, NULL, 0, "gcal_token_error",
      "?b?evil?/b??" },
    { "{\"error\":{\"code\":401,\"message\":\"Request is missing required "
      "authentication credential.\",\"status\":\"UNAUTHENTICATED\"}}", 0,
      NULL, 0, "gcal_token_error", "UNAUTHENTICATED" },
    { "{\"error\":17}", 0, NULL, 0, "gcal_token_error", "unknown" },
    { "{\"expires_in\":3599,\"token_type\":\"Bearer\"}", 0, NULL, 0,
      "gcal_bad_response", "access_token" },
    { "{\"access_token\":\"\",\"expires_in\":3599,\"token_type\":\"Bearer\"}",
      0, NULL, 0, "gcal_bad_response", "access_token" },
    { "{\"access_token\":\"a b\",\"expires_in\":3599,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"expires_in\":3599,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"caf\\u00e9\",\"expires_in\":3599,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":42,\"expires_in\":3599,\"token_type\":\"Bearer\"}",
      0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"expires_in\":\"3599\","
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response",
      "expires_in" },
    { "{\"access_token\":\"t\",\"expires_in\":3599.0,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"expires_in\":0,\"token_type\":\"Bearer\"}",
      0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"expires_in\":-60,\"token_type\":\"Bearer\"}",
      0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"expires_in\":86401,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"token_type\":\"Bearer\"}", 0, NULL, 0,
      "gcal_bad_response", NULL },
    { "{\"access_token\":\"t\",\"expires_in\":3599,\"token_type\":\"MAC\"}",
      0, NULL, 0, "gcal_bad_response", "token_type" },
    { "{\"access_token\":\"t\",\"expires_in\":3599}", 0, NULL, 0,
      "gcal_bad_response", "token_type" },
    { "{\"access_token\":\"t\",\"access_token\":\"u\",\"expires_in\":3599,"
      "\"token_type\":\"Bearer\"}", 0, NULL, 0, "gcal_bad_response", NULL },
    { "<html>502 Bad Gateway</html>", 0, NULL, 0, "gcal_bad_response",
      "not a JSON object" },
    { "[]", 0, NULL, 0, "gcal_bad_response", NULL },
    { "", 0, NULL, 0, "gcal_bad_response", "empty" },
};

START_TEST(test_token_parse_table)
{
    const token_case_t *c = &token_cases[_i];
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    char *tok = (char *)"unset";
    int64_t exp = -7;
    int rc;

    memset(&prob, 0, sizeof(prob));
    rc = cc_gcal_token_parse(p, c->body, strlen(c->body), &tok, &exp, &prob);
    ck_assert_msg(rc == c->ok, "case %d: rc %d (%s: %s)", _i, rc, prob.code,
                  prob.message);
    if (c->ok) {
        ck_assert_str_eq(tok, c->token);
        ck_assert_int_eq(exp, c->expires);
    } else {
        ck_assert_ptr_null(tok);
        ck_assert_int_eq(prob.status, 502);
        ck_assert_msg(strcmp(prob.code, c->code) == 0, "case %d: code %s",
                      _i, prob.code);
        if (c->msg_has) {
            ck_assert_msg(strstr(prob.message, c->msg_has) != NULL,
                          "case %d: message %s", _i, prob.message);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_token_parse_bounds)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    char *tok, *body, *desc, *longtok;
    int64_t exp;

    /* A long description is cut, not copied verbatim. */
    desc = apr_palloc(p, 2001);
    memset(desc, 'd', 2000);
    desc[2000] = '\0';
    body = apr_psprintf(p, "{\"error\":\"invalid_grant\","
                        "\"error_description\":\"%s\"}", desc);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_gcal_token_parse(p, body, strlen(body), &tok, &exp,
                                         &prob), 0);
    ck_assert_str_eq(prob.code, "gcal_invalid_grant");
    ck_assert_ptr_null(strstr(prob.message, desc + 1900));
    ck_assert_int_lt(strlen(prob.message), 200);

    /* A long error code is bounded too. */
    body = apr_psprintf(p, "{\"error\":\"%s\"}", desc);
    ck_assert_int_eq(cc_gcal_token_parse(p, body, strlen(body), &tok, &exp,
                                         &prob), 0);
    ck_assert_str_eq(prob.code, "gcal_token_error");
    ck_assert_int_lt(strlen(prob.message), 200);

    /* Tokens up to CC_GCAL_TOKEN_MAX_LEN, not beyond. */
    longtok = apr_palloc(p, CC_GCAL_TOKEN_MAX_LEN + 2);
    memset(longtok, 'x', CC_GCAL_TOKEN_MAX_LEN + 1);
    longtok[CC_GCAL_TOKEN_MAX_LEN] = '\0';
    body = apr_psprintf(p, "{\"access_token\":\"%s\",\"expires_in\":3599,"
                        "\"token_type\":\"Bearer\"}", longtok);
    ck_assert_int_eq(cc_gcal_token_parse(p, body, strlen(body), &tok, &exp,
                                         &prob), 1);
    ck_assert_int_eq(strlen(tok), CC_GCAL_TOKEN_MAX_LEN);
    longtok[CC_GCAL_TOKEN_MAX_LEN] = 'x';
    longtok[CC_GCAL_TOKEN_MAX_LEN + 1] = '\0';
    body = apr_psprintf(p, "{\"access_token\":\"%s\",\"expires_in\":3599,"
                        "\"token_type\":\"Bearer\"}", longtok);
    ck_assert_int_eq(cc_gcal_token_parse(p, body, strlen(body), &tok, &exp,
                                         &prob), 0);

    /* Whole reply over the limit. */
    body = apr_palloc(p, CC_GCAL_TOKEN_MAX_BYTES + 1);
    memset(body, ' ', CC_GCAL_TOKEN_MAX_BYTES + 1);
    ck_assert_int_eq(cc_gcal_token_parse(p, body, CC_GCAL_TOKEN_MAX_BYTES + 1,
                                         &tok, &exp, &prob), 0);
    ck_assert_str_eq(prob.code, "gcal_bad_response");

    /* No destination. */
    ck_assert_int_eq(cc_gcal_token_parse(p, "{}", 2, NULL, &exp, &prob), 0);
    ck_assert_int_eq(cc_gcal_token_parse(p, "{}", 2, &tok, NULL, &prob), 0);
    ck_assert_int_eq(cc_gcal_token_parse(p, NULL, 0, &tok, &exp, NULL), 0);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_gcal_auth(void)
{
    Suite *s = suite_create("gcal_auth");
    TCase *tc = tcase_create("key");

    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_loop_test(tc, test_key_table, 0, N(key_cases));
    tcase_add_loop_test(tc, test_key_raw, 0, N(raw_key_cases));
    tcase_add_test(tc, test_key_edges);
    tcase_add_test(tc, test_key_input_untouched);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("jwt");
    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_test(tc, test_jwt_verifies);
    tcase_add_test(tc, test_jwt_claims);
    tcase_add_test(tc, test_jwt_refusals);
    tcase_add_test(tc, test_jwt_pkcs1_key);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("token");
    tcase_add_test(tc, test_token_form);
    tcase_add_loop_test(tc, test_token_parse_table, 0, N(token_cases));
    tcase_add_test(tc, test_token_parse_bounds);
    suite_add_tcase(s, tc);

    return s;
}
