/*
 * cc_audit.c - canonical form, hashing and verification of the audit chain.
 */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "cc_audit.h"

#define CC_AUDIT_VERSION_LINE "cc-audit-v1\n"
#define CC_AUDIT_NFIELDS 7
#define CC_AUDIT_HEX_LEN 64

static const char cc_hex_digits[] = "0123456789abcdef";

char *cc_audit_canonical(apr_pool_t *p, const cc_audit_entry_t *e,
                         size_t *len)
{
    char seq[32], created[32];
    const char *field[CC_AUDIT_NFIELDS];
    size_t flen[CC_AUDIT_NFIELDS];
    char prefix[CC_AUDIT_NFIELDS][32];
    size_t plen[CC_AUDIT_NFIELDS];
    size_t total = sizeof(CC_AUDIT_VERSION_LINE) - 1;
    char *buf, *w;
    int i;

    if (len) {
        *len = 0;
    }
    if (!p || !e) {
        return NULL;
    }
    apr_snprintf(seq, sizeof(seq), "%" APR_INT64_T_FMT, (apr_int64_t)e->seq);
    apr_snprintf(created, sizeof(created), "%" APR_INT64_T_FMT,
                 (apr_int64_t)e->created_us);
    field[0] = seq;
    field[1] = created;
    field[2] = e->actor;
    field[3] = e->action;
    field[4] = e->target;
    field[5] = e->request_id;
    field[6] = e->detail;

    for (i = 0; i < CC_AUDIT_NFIELDS; i++) {
        if (!field[i]) {
            field[i] = "";
        }
        flen[i] = strlen(field[i]);
        plen[i] = (size_t)apr_snprintf(prefix[i], sizeof(prefix[i]),
                                       "%" APR_SIZE_T_FMT ":", flen[i]);
        total += plen[i] + flen[i] + 1;
    }

    buf = apr_palloc(p, total + 1);
    w = buf;
    memcpy(w, CC_AUDIT_VERSION_LINE, sizeof(CC_AUDIT_VERSION_LINE) - 1);
    w += sizeof(CC_AUDIT_VERSION_LINE) - 1;
    for (i = 0; i < CC_AUDIT_NFIELDS; i++) {
        memcpy(w, prefix[i], plen[i]);
        w += plen[i];
        memcpy(w, field[i], flen[i]);
        w += flen[i];
        *w++ = '\n';
    }
    *w = '\0';
    if (len) {
        *len = total;
    }
    return buf;
}

static int cc_is_hex64(const char *s)
{
    size_t i;

    if (!s) {
        return 0;
    }
    for (i = 0; i < CC_AUDIT_HEX_LEN; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return s[CC_AUDIT_HEX_LEN] == '\0';
}

int cc_audit_hash(char out[CC_AUDIT_HASH_HEX], const char *prev_hex,
                  const cc_audit_entry_t *e, apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    const char *canon;
    size_t clen;
    int ok;
    unsigned int i;

    if (!out) {
        return -1;
    }
    out[0] = '\0';
    if (!cc_is_hex64(prev_hex) || !e || !p) {
        return -1;
    }
    canon = cc_audit_canonical(p, e, &clen);
    if (!canon) {
        return -1;
    }

    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        return -1;
    }
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
         && EVP_DigestUpdate(ctx, prev_hex, CC_AUDIT_HEX_LEN) == 1
         && EVP_DigestUpdate(ctx, canon, clen) == 1
         && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1
         && mdlen == CC_AUDIT_HEX_LEN / 2;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return -1;
    }

    for (i = 0; i < mdlen; i++) {
        out[2 * i] = cc_hex_digits[md[i] >> 4];
        out[2 * i + 1] = cc_hex_digits[md[i] & 0x0f];
    }
    out[CC_AUDIT_HEX_LEN] = '\0';
    return 0;
}

void cc_audit_verify_init(cc_audit_verifier_t *v)
{
    memset(v, 0, sizeof(*v));
    apr_cpystrn(v->prev, CC_AUDIT_GENESIS, sizeof(v->prev));
    v->expect_seq = 1;
}

/* Constant-time equality of two hex hashes; lengths must match first. */
static int cc_hash_eq(const char *a, const char *b)
{
    size_t la, lb;

    if (!a || !b) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}

static int cc_verify_fail(cc_audit_verifier_t *v, const char *reason)
{
    v->first_bad_seq = v->expect_seq;
    v->reason = reason;
    return 0;
}

int cc_audit_verify_step(cc_audit_verifier_t *v, const cc_audit_entry_t *e,
                         const char *stored_prev, const char *stored_hash,
                         apr_pool_t *p)
{
    char computed[CC_AUDIT_HASH_HEX];

    if (!v) {
        return 0;
    }
    if (v->reason) {
        return 0;
    }
    if (!e || e->seq != v->expect_seq) {
        return cc_verify_fail(v, "sequence_gap");
    }
    if (!cc_hash_eq(stored_prev, v->prev)) {
        return cc_verify_fail(v, "prev_hash_mismatch");
    }
    if (cc_audit_hash(computed, v->prev, e, p) != 0
        || !cc_hash_eq(stored_hash, computed)) {
        return cc_verify_fail(v, "hash_mismatch");
    }
    apr_cpystrn(v->prev, stored_hash, sizeof(v->prev));
    v->expect_seq++;
    v->checked++;
    return 1;
}
