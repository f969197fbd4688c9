/*
 * cc_stripe.c - Stripe's webhook signature (see cc_stripe.h).
 *
 * The header is parsed by splitting on ',' and each element on its first
 * '='; t must be decimal digits and appear once; each v1 must be 64 hex
 * digits (anything else cannot match and is skipped).  Every (secret, v1)
 * pair is compared, in constant time, even after a match: the time taken
 * does not say which secret or signature matched.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include "cc_stripe.h"

static int is_hex64(const char *s, size_t n)
{
    size_t i;

    if (n != 64) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* hex(HMAC-SHA256(secret, "<t>.<body>")) into out[65]. */
static int sign(const char *secret, const char *t, size_t tlen,
                const char *body, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    unsigned int i;
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *h = m ? EVP_MAC_CTX_new(m) : NULL;
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = h && EVP_MAC_init(h, (const unsigned char *)secret, strlen(secret),
                           params)
         && EVP_MAC_update(h, (const unsigned char *)t, tlen)
         && EVP_MAC_update(h, (const unsigned char *)".", 1)
         && EVP_MAC_update(h, (const unsigned char *)body, len)
         && EVP_MAC_final(h, mac, &maclen, sizeof(mac)) && maclen == 32;
    EVP_MAC_CTX_free(h);
    EVP_MAC_free(m);
    if (!ok) {
        return 0;
    }
    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return 1;
}

cc_stripe_rc cc_stripe_verify(const char *header, const char *body,
                              size_t len, const char *const *secrets,
                              int nsecrets, int64_t now, int64_t tolerance)
{
    const char *p, *t = NULL, *v1[CC_STRIPE_V1_MAX];
    size_t tlen = 0, hlen;
    int nv1 = 0, i, j, match = 0;
    int64_t ts = 0;

    if (!header || !body || !secrets || nsecrets < 1) {
        return CC_STRIPE_MALFORMED;
    }
    hlen = strnlen(header, CC_STRIPE_HEADER_MAX + 1);
    if (hlen == 0 || hlen > CC_STRIPE_HEADER_MAX) {
        return CC_STRIPE_MALFORMED;
    }
    for (p = header; p < header + hlen;) {
        const char *end = memchr(p, ',', (size_t)(header + hlen - p));
        const char *eq;
        size_t n;

        if (!end) {
            end = header + hlen;
        }
        n = (size_t)(end - p);
        eq = memchr(p, '=', n);
        if (eq) {
            size_t klen = (size_t)(eq - p), vlen = n - klen - 1;
            const char *v = eq + 1;

            if (klen == 1 && p[0] == 't') {
                if (t || vlen == 0 || vlen > 18) {
                    return CC_STRIPE_MALFORMED;     /* twice, or absurd */
                }
                for (i = 0; i < (int)vlen; i++) {
                    if (v[i] < '0' || v[i] > '9') {
                        return CC_STRIPE_MALFORMED;
                    }
                    ts = ts * 10 + (v[i] - '0');
                }
                t = v;
                tlen = vlen;
            }
            else if (klen == 2 && p[0] == 'v' && p[1] == '1'
                     && nv1 < CC_STRIPE_V1_MAX && is_hex64(v, vlen)) {
                v1[nv1++] = v;
            }
        }
        p = end + 1;
    }
    if (!t) {
        return CC_STRIPE_MALFORMED;
    }
    if (nv1 == 0) {
        return CC_STRIPE_NO_V1;
    }
    if (tolerance < 0) {
        tolerance = 0;
    }
    if (ts < now - tolerance) {
        return CC_STRIPE_TOO_OLD;
    }
    if (ts > now + tolerance) {
        return CC_STRIPE_TOO_NEW;
    }
    for (i = 0; i < nsecrets; i++) {
        char expected[65];

        if (!secrets[i] || !*secrets[i]
            || !sign(secrets[i], t, tlen, body, len, expected)) {
            continue;
        }
        for (j = 0; j < nv1; j++) {
            match |= CRYPTO_memcmp(expected, v1[j], 64) == 0;
        }
        OPENSSL_cleanse(expected, sizeof(expected));
    }
    return match ? CC_STRIPE_OK : CC_STRIPE_MISMATCH;
}

const char *cc_stripe_rc_text(cc_stripe_rc rc)
{
    switch (rc) {
    case CC_STRIPE_OK:        return "signature verified";
    case CC_STRIPE_MALFORMED: return "Stripe-Signature is missing or malformed";
    case CC_STRIPE_NO_V1:     return "Stripe-Signature carries no v1 signature";
    case CC_STRIPE_TOO_OLD:   return "the signature's timestamp is too old";
    case CC_STRIPE_TOO_NEW:   return "the signature's timestamp is in the future";
    case CC_STRIPE_MISMATCH:  return "no signature matches the body";
    }
    return "unknown";
}
