/*
 * cc_intent_int.h - private to the booking-intent parser (cc_words.c,
 * cc_when.c, cc_intent.c); not a public header.
 *
 * A message is scanned once into terms (ci_tok_t), each looked up in the
 * dictionary of every word the rules name (cc_words.c): the entry gives a
 * bit per list the word is in, so the rules test bits (ci_has) rather
 * than compare strings.  cc_when.c finds the days and the part of the
 * day; cc_intent.c the service and the booking cues.
 */
#ifndef CC_INTENT_INT_H
#define CC_INTENT_INT_H

#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include "cc_intent.h"
#include "cc_tok.h"
#include "cc_words.h"

#define CI_MAX_RANGES  16       /* day mentions kept */
#define CI_LOCAL_TERMS 64       /* terms kept on the stack (more: pool) */

/* ---- terms ------------------------------------------------------------- */

typedef struct ci_tok_t {
    char             w[CC_TOK_MAX + 1];  /* folded term */
    uint8_t          len;                /* strlen(w) */
    uint8_t          stem;               /* CI_S_* of its stem */
    int              num;       /* leading digits' value, -1: none / huge */
    int              ndig;      /* number of leading digits */
    uint32_t         start, end;         /* byte offsets in the message */
    uint64_t         k;                  /* ci_key(w) */
    const ci_word_t *e;                  /* its entry, or &ci_none */
} ci_tok_t;

typedef struct ci_ctx_t {
    const char *msg;
    size_t      len;
    ci_tok_t   *t;
    int         n;
    int         cap;            /* room in t */
    int         full;           /* a term did not fit */
    int64_t     today;
    int         twd;            /* weekday of today, 0 = Monday */
    int64_t     rf[CI_MAX_RANGES];
    int         rd[CI_MAX_RANGES];
    int         nr;
    int         parts;          /* bit (1 << CC_PART_*) per part seen */
} ci_ctx_t;

/* Term i is the word s (a string literal). */
#define ci_is(c, i, s) ci_is_k((c), (i), CI_KEY("" s), sizeof(s) - 1, (s))

static inline int ci_is_k(const ci_ctx_t *c, int i, uint64_t k, size_t n,
                          const char *s)
{
    const ci_tok_t *t;

    if (i < 0 || i >= c->n) {
        return 0;
    }
    t = &c->t[i];
    return t->k == k && t->len == n
           && (n <= 8 || memcmp(t->w + 8, s + 8, n - 8) == 0);
}

/* Term t starts with s (a string literal). */
#define ci_prefix(t, s) ci_prefix_k((t), CI_KEY("" s), sizeof(s) - 1, (s))

static inline int ci_prefix_k(const ci_tok_t *t, uint64_t k, size_t n,
                              const char *s)
{
    uint64_t mask = n >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;

    return t->len >= n && (t->k & mask) == k
           && (n <= 8 || memcmp(t->w + 8, s + 8, n - 8) == 0);
}

/* Term i is in one of the lists of bits. */
static inline int ci_has(const ci_ctx_t *c, int i, uint64_t bits)
{
    return i >= 0 && i < c->n && (c->t[i].e->bits & bits) != 0;
}

/* One of the n terms before i is in one of the lists of bits. */
static inline int ci_before(const ci_ctx_t *c, int i, int n, uint64_t bits)
{
    int k;

    for (k = 1; k <= n; k++) {
        if (ci_has(c, i - k, bits)) {
            return 1;
        }
    }
    return 0;
}

/* Terms i and i+1 are separated by exactly the byte ch. */
static inline int ci_sep(const ci_ctx_t *c, int i, char ch)
{
    return i >= 0 && i + 1 < c->n && c->t[i + 1].start == c->t[i].end + 1
           && c->t[i].end < c->len && c->msg[c->t[i].end] == ch;
}

/* ---- between the files ------------------------------------------------- */

/* Tokenise c->msg[0..c->len) into c->t (local[0..nlocal) first; a long
 * message again into room from p), building the dictionary on first use. */
void cc_words_scan(ci_ctx_t *c, apr_pool_t *p, ci_tok_t *local, int nlocal);

/* A day mention / a part of the day at term i: adds to c->rf, c->rd, c->nr
 * / c->parts; returns the number of terms used (at least 1). */
int cc_when_date_at(ci_ctx_t *c, int i);
int cc_when_part_at(ci_ctx_t *c, int i);

#endif
