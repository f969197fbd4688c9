/*
 * cc_audit.h - the audit log's hash chain.
 *
 * Each entry's hash is SHA-256 over the previous entry's hash (hex) and the
 * entry's canonical form.  The canonical form is unambiguous: every field
 * is written as "<decimal byte length>:<bytes>\n", in a fixed order,
 * prefixed by a version line, so no choice of field contents can make two
 * different entries serialise alike.
 *
 *   "cc-audit-v1\n"
 *   seq  created_us  actor  action  target  request_id  detail
 *
 * seq and created_us are written in decimal; NULL strings as "" (length 0).
 * The first entry's previous hash is 64 '0' characters.
 */
#ifndef CC_AUDIT_H
#define CC_AUDIT_H

#include <stdint.h>
#include <apr_pools.h>

#define CC_AUDIT_HASH_HEX 65   /* 64 hex digits + NUL */
#define CC_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct cc_audit_entry_t {
    int64_t     seq;
    int64_t     created_us;   /* microseconds since the Unix epoch, UTC */
    const char *actor;        /* user name, "patient:<session>", "system" */
    const char *action;       /* e.g. "user.upsert", "auth.login_failed" */
    const char *target;       /* what was acted on */
    const char *request_id;
    const char *detail;       /* compact JSON text, stored verbatim */
} cc_audit_entry_t;

/* Canonical bytes of e (in p); *len receives the length. */
char *cc_audit_canonical(apr_pool_t *p, const cc_audit_entry_t *e,
                         size_t *len);

/* out = hex(SHA-256(prev_hex || canonical(e))).  prev_hex must be 64 hex
 * characters (CC_AUDIT_GENESIS for the first entry).  Returns 0, or -1 if
 * prev_hex is malformed or OpenSSL fails. */
int cc_audit_hash(char out[CC_AUDIT_HASH_HEX], const char *prev_hex,
                  const cc_audit_entry_t *e, apr_pool_t *p);

/* Streaming verifier: feed entries in seq order. */
typedef struct cc_audit_verifier_t {
    char    prev[CC_AUDIT_HASH_HEX];
    int64_t expect_seq;        /* next seq expected (starts at 1) */
    int64_t checked;
    int64_t first_bad_seq;     /* 0 while intact */
    const char *reason;        /* static string when broken:
                                  "hash_mismatch", "prev_hash_mismatch",
                                  "sequence_gap" */
} cc_audit_verifier_t;

void cc_audit_verify_init(cc_audit_verifier_t *v);
/* Check one stored row (its fields, its stored prev_hash and hash).
 * Returns 1 while the chain is intact, 0 once broken (later calls are
 * ignored and keep returning 0). */
int cc_audit_verify_step(cc_audit_verifier_t *v, const cc_audit_entry_t *e,
                         const char *stored_prev, const char *stored_hash,
                         apr_pool_t *p);

#endif
