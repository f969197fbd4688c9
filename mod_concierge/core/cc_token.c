/*
 * cc_token.c - see cc_token.h.
 */
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "cc_token.h"

#define CC_TOKEN_BYTES 32
#define CC_TOKEN_CHARS 43       /* base64url of 32 bytes, no padding */

char *cc_b64url(apr_pool_t *p, const unsigned char *d, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = apr_palloc(p, (n + 2) / 3 * 4 + 1);
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8)
                     | d[i + 2];

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
    }
    else if (n - i == 2) {
        uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8);

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

int cc_sha256_hex_buf(char out[65], const void *d, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    int ok = EVP_Digest(d, n, md, &mdlen, EVP_sha256(), NULL) == 1
             && mdlen == 32;

    if (!ok) {
        memset(md, 0, sizeof(md));
    }
    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return ok;
}

char *cc_sha256_hex(apr_pool_t *p, const void *d, size_t n)
{
    char *out = apr_palloc(p, 65);

    cc_sha256_hex_buf(out, d, n);
    return out;
}

char *cc_token_new(apr_pool_t *p)
{
    unsigned char raw[CC_TOKEN_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NULL;
    }
    return cc_b64url(p, raw, sizeof(raw));
}

int cc_token_valid(const char *s)
{
    size_t n;

    if (!s) {
        return 0;
    }
    for (n = 0; s[n]; n++) {
        char c = s[n];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return n == CC_TOKEN_CHARS;
}
