/*
 * cc_risk_match_int.h - what the matcher (cc_risk_match.c) and its who-
 * and-when context (cc_risk_context.c) share: a message's terms, the rule
 * hits and the excusing scopes.  Internal to the core.
 */
#ifndef CC_RISK_MATCH_INT_H
#define CC_RISK_MATCH_INT_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_risk_int.h"

typedef struct rk_tok_t {
    const char *s;
    size_t      start, end;
    uint32_t    mask;
    uint32_t    num;        /* F_NUM: integer part */
    uint32_t    sent, clause, scl;
    uint32_t    first;      /* rk_first_bit, | 1 << 27 for a number */
    uint8_t     fclass;     /* rk_first_class */
    uint16_t    len;
    uint16_t    suffix;     /* F_NUM: offset of the attached letters */
    uint16_t    flags;
} rk_tok_t;

typedef struct rk_text_t {
    const cc_ruleset_t  *rs;
    apr_pool_t          *p;
    const unsigned char *text;
    size_t               len;
    rk_tok_t            *t;
    uint32_t             n, cap;
    size_t               prev_end;
    uint32_t             sent, clause, scl;
    uint64_t             sig[RK_SIG_WORDS];    /* what the terms of the
                                   current sentence have (rk_sig_at) */
    int                  naive; /* cc_risk_check_naive */
} rk_text_t;

typedef struct rk_hit_t {
    uint32_t rule;
    uint32_t first, last;
    int      fuzzy;
} rk_hit_t;

/* Rule kinds as a bit set, for the two passes of cc_risk_check. */
#define KB(k) (1u << (k))

typedef struct rk_ctx_t {
    uint32_t *other;    /* per term: categories a third-party scope
                           excuses there (NULL: none) */
    uint32_t *past;     /* per clause: categories a past marker excuses
                           there (NULL: none) */
    uint32_t *normal;   /* per clause: categories a normal result ("past
                           +") excuses there, unless the writer says "I"
                           before the match in the clause (NULL: none) */
    uint32_t  treated;  /* categories some treated marker cancels the
                           third-party scopes of */
} rk_ctx_t;

/* The third-party and past scopes of a message (ctx, allocated from
 * tx->p), from its hits and its negator scopes (neg: per term, nega: the
 * categories a negator right before each term covers). */
void rk_context(const cc_ruleset_t *rs, const rk_text_t *tx,
                const apr_array_header_t *hits, const uint32_t *neg,
                const uint32_t *nega, rk_ctx_t *ctx);

/* Whether a first-person "I" comes before term i in its clause. */
int rk_i_before(const rk_text_t *tx, uint32_t i);

#endif
