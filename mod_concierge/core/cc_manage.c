/*
 * cc_manage.c - see cc_manage.h.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "cc_manage.h"
#include "cc_token.h"

#define CC_MANAGE_KEY_BYTES 32

struct cc_manage_key_t {
    unsigned char k[CC_MANAGE_KEY_BYTES];
};

apr_status_t cc_manage_key_derive(cc_manage_key_t **out, apr_pool_t *p,
                                  const char *secret)
{
    cc_manage_key_t *key = apr_pcalloc(p, sizeof(*key));
    unsigned int n = 0;

    *out = NULL;
    if (!secret || EVP_Digest(secret, strlen(secret), key->k, &n,
                              EVP_sha256(), NULL) != 1
        || n != CC_MANAGE_KEY_BYTES) {
        return APR_EGENERAL;
    }
    *out = key;
    return APR_SUCCESS;
}

apr_status_t cc_manage_key_random(cc_manage_key_t **out, apr_pool_t *p)
{
    cc_manage_key_t *key = apr_pcalloc(p, sizeof(*key));

    *out = NULL;
    if (RAND_bytes(key->k, sizeof(key->k)) != 1) {
        return APR_EGENERAL;
    }
    *out = key;
    return APR_SUCCESS;
}

apr_status_t cc_manage_token(char **out, apr_pool_t *p,
                             const cc_manage_key_t *key, const char *nonce)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    *out = NULL;
    if (!key || !nonce
        || !HMAC(EVP_sha256(), key->k, sizeof(key->k),
                 (const unsigned char *)nonce, strlen(nonce), mac, &n)
        || n != 32) {
        return APR_EGENERAL;
    }
    *out = cc_b64url(p, mac, n);
    return APR_SUCCESS;
}

int cc_manage_token_check(const char *token, const char *stored_hash)
{
    char have[65];

    if (!token || !*token || !stored_hash || strlen(stored_hash) != 64
        || !cc_sha256_hex_buf(have, token, strlen(token))) {
        return 0;
    }
    return CRYPTO_memcmp(have, stored_hash, 64) == 0;
}
