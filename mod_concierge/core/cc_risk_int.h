/*
 * cc_risk_int.h - private to the risk engine (cc_risk_compile.c,
 * cc_risk_match.c); not a public header.  The compiled ruleset's layout,
 * shared by the compiler that writes it and the matcher that reads it,
 * and the small helpers both use.
 */
#ifndef CC_RISK_INT_H
#define CC_RISK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cc_risk.h"
#include "cc_tok.h"

#define RK_MAX_INPUT    16384u  /* bytes of a message read */
#define RK_MAX_PTERMS   12      /* terms in one pattern */
#define RK_MAX_ALTS     48      /* alternatives of one term */
#define RK_MAX_GAPS     4       /* "~" in one pattern */
#define RK_GAP          3       /* terms a "~" may skip */
#define RK_FARGAP       8       /* terms a ".." may skip */
#define RK_SCOPE        4       /* terms a negator reaches */
#define RK_SCOPE_MAX    16      /* ... with list words */
#define RK_MAX_LINE     2000    /* bytes of one rule line */
#define RK_NUM_MAX      1000000u

#define CAT_ALL   ((1u << CC_RISK_NCATEGORIES) - 1u)
#define CAT_EMERG (1u << CC_RISK_EMERGENCY)


/* Rule kinds (the names are in cc_risk_compile.c, the scope rules at the
 * top of cc_risk_match.c). */
enum { K_WORD = 0, K_PHRASE, K_NEGATOR, K_UNLESS, K_OTHER, K_SELF,
       K_TREATED, K_PAST, K_CLAUSE, K_LIST, K_SUBJECT, K_NKINDS };

/* The context kinds (rk_context in cc_risk_match.c). */
#define RK_IS_CONTEXT(k)  ((k) >= K_OTHER && (k) <= K_PAST)
/* The word-list kinds: words that set a text term flag, never matched as
 * rules. */
#define RK_IS_WORDLIST(k) ((k) >= K_CLAUSE)
enum { T_LIT = 0, T_PREFIX, T_NUM };

/* Text term flags. */
#define F_NUM     0x01      /* starts with a digit */
#define F_ALPHA   0x02      /* a-z only */
#define F_STOP    0x04      /* English stop word */
#define F_SUBJ    0x08      /* subject word: ends a negator scope */
#define F_BREAK   0x10      /* clause-break word */
#define F_GSENT   0x20      /* sentence break before this term */
#define F_GCOMMA  0x40      /* comma before this term */
#define F_LIST    0x80      /* list word: a negator scope goes on */

/* One alternative of a pattern term. */
typedef struct rk_alt_t {
    const char *s;          /* folded term; T_NUM: the attached letters */
    uint32_t    mask;       /* letters a-z present */
    uint32_t    lo, hi;     /* T_NUM range */
    uint16_t    len;
    uint8_t     type;
    uint8_t     edits;      /* typo tolerance, 0 = exact */
} rk_alt_t;

typedef struct rk_pterm_t {
    const rk_alt_t *alt;    /* sorted by rk_first_class */
    uint32_t        first;  /* rk_first_bit of every alternative */
    uint8_t         off[29];    /* alternatives of class c: [off[c],
                                   off[c + 1]) */
    uint8_t         nalt;
    uint8_t         gap;    /* other terms allowed before this one */
} rk_pterm_t;

typedef struct rk_rule_t {
    const char       *text;     /* the pattern as written */
    const rk_pterm_t *t;
    const uint16_t   *need;     /* what terms 2.. need in the message
                                   (rk_sig_*): per term a count n, then n
                                   codes, one of which must be present;
                                   ends with 0; NULL: nothing to check */
    uint32_t          cats;     /* categories (bit mask) */
    uint16_t          nt;
    uint8_t           kind;
    uint8_t           anti;     /* "!": a negator that is a hedge, a past
                                   marker that is recent */
    uint8_t           cont;     /* other "+": carries a third-party scope
                                   into its clause */
} rk_rule_t;

/* A word of a clause, list or subject rule and the flags it sets. */
typedef struct rk_wflag_t {
    const char *s;          /* NULL: an empty slot */
    uint32_t    hash;
    uint16_t    len;
    uint16_t    flags;      /* F_BREAK, F_LIST, F_SUBJ */
} rk_wflag_t;

/* A rule in a key's list, with what refuses most rules without reading
 * them: its kind, and one or two codes of its most selective later term
 * (one of them must be in the sentence's signature; none: no test). */
typedef struct rk_ref_t {
    uint32_t rule;
    uint16_t code[2];
    uint8_t  kind;
    uint8_t  ncode;
} rk_ref_t;

/* A distinct first term (alternative): the rules that start with it. */
typedef struct rk_key_t {
    const rk_alt_t *alt;
    uint32_t        hash;
    const rk_ref_t *rules;      /* every rule starting with this term */
    const rk_ref_t *frules;     /* those that allow a typo in it */
    uint32_t        nrules, nfrules;
} rk_key_t;

/* A typo candidate: a key allowing a typo, with what rk_alt_fuzzy tests
 * first, so that most candidates are refused without reading the key. */
typedef struct rk_fzkey_t {
    uint32_t mask;      /* its alternative's rk_mask */
    uint32_t key;       /* index in keys */
    uint16_t len;
    char     last;      /* last byte */
    uint8_t  edits;
} rk_fzkey_t;

struct cc_ruleset_t {
    const rk_rule_t *rules;
    uint32_t         nrules;
    const rk_key_t  *keys;
    uint32_t         nkeys;
    const uint32_t  *slots;     /* hash table: key index + 1, 0 = empty */
    uint32_t         slot_mask;
    const uint64_t  *kbloom;    /* RK_KBLOOM_BITS: bit (hash >> 16) of every
                                   key: most probes stop here */
    const rk_ref_t  *numrules;  /* rules starting with a number term */
    uint32_t         nnumrules;
    uint64_t         prefix_lens;  /* bit l: some prefix key has length l */
    int              context;   /* some other, self, treated or past rule */
    const rk_wflag_t *wflags;   /* hash table of the engine's and the
                                   word-list rules' words */
    uint32_t          wflag_mask;
    /* typo candidates: key indices by first letter (and length for words) */
    const rk_fzkey_t *fz_lit;
    uint32_t         fz_lit_off[26][CC_TOK_MAX + 2];
    const rk_fzkey_t *fz_pre;
    uint32_t         fz_pre_off[27];
};

#define RK_KBLOOM_BITS 65536u

/* ---- small helpers ------------------------------------------------------ */

static inline uint32_t rk_hash(const char *s, size_t n, unsigned type)
{
    uint32_t h = 2166136261u ^ type;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static inline uint32_t rk_mask(const char *s, size_t n)
{
    uint32_t m = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] >= 'a' && s[i] <= 'z') {
            m |= 1u << (s[i] - 'a');
        }
    }
    return m;
}

/* A quick filter: class 0-25 for a term starting with a-z, 26 otherwise,
 * 27 for a number term (T_NUM). */
static inline unsigned rk_first_class(const char *s, size_t n)
{
    if (n > 0 && s[0] >= 'a' && s[0] <= 'z') {
        return (unsigned)(s[0] - 'a');
    }
    return 26;
}

static inline uint32_t rk_first_bit(const char *s, size_t n)
{
    return 1u << rk_first_class(s, n);
}

/* Bits set (inline: without -mpopcnt, __builtin_popcount is a library
 * call). */
static inline int rk_popcount(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    v = (v + (v >> 4)) & 0x0F0F0F0Fu;
    return (int)((v * 0x01010101u) >> 24);
}

/* A sentence's signature: a 2048-bit set of codes of its terms, each a
 * hash of one property a pattern alternative may need:
 *   RK_SIG_EXACT  the whole term          (a word, not typo-tolerant)
 *   RK_SIG_PRE3   its first three bytes   (a prefix of 3+ bytes)
 *   RK_SIG_PAIR   its first two bytes     (a prefix of 2)
 *   RK_SIG_ENDS   first and last byte; for a term ending in "s" also the
 *                 byte before it          (a typo-tolerant word: same
 *                                          first and last letter, or plus
 *                                          a plural "s")
 *   RK_SIG_CLASS  rk_first_class, 27 for a number
 *                                         (a one-byte or typo-tolerant
 *                                          prefix, a number)
 * A text term can only match an alternative whose code it has, so a rule
 * is tried only when each of its later terms has one of its
 * alternatives' codes in the sentence (rk_rule_t.need).  Two codes may
 * share a bit: that only lets a rule through to rk_match. */
#define RK_SIG_BITS    2048u
#define RK_SIG_WORDS   (RK_SIG_BITS / 64)
enum { RK_SIG_EXACT = 1, RK_SIG_PRE3, RK_SIG_PAIR, RK_SIG_ENDS,
       RK_SIG_CLASS };

static inline unsigned rk_sig_code(unsigned kind, const char *s, size_t n)
{
    uint32_t h = (2166136261u ^ kind) * 16777619u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h & (RK_SIG_BITS - 1);
}

static inline unsigned rk_sig_class(unsigned c)
{
    char b = (char)c;

    return rk_sig_code(RK_SIG_CLASS, &b, 1);
}

static inline unsigned rk_sig_ends(char first, char last)
{
    char b[2];

    b[0] = first;
    b[1] = last;
    return rk_sig_code(RK_SIG_ENDS, b, 2);
}

static inline void rk_sig_set(uint64_t *sig, unsigned code)
{
    sig[code >> 6] |= (uint64_t)1 << (code & 63);
}

static inline int rk_sig_has(const uint64_t *sig, unsigned code)
{
    return (int)((sig[code >> 6] >> (code & 63)) & 1);
}

static inline int rk_is_alpha(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < 'a' || s[i] > 'z') {
            return 0;
        }
    }
    return n > 0;
}
/* The key alternative a is the term s[0..n) of that type. */
static inline int rk_key_eq(const rk_alt_t *a, const char *s, size_t n,
                            unsigned type)
{
    return a->type == type && a->len == n && memcmp(a->s, s, n) == 0;
}

/* ---- between the files ------------------------------------------------- */

/* The engine's own clause-break, list and subject words (NULL-terminated;
 * cc_risk_match.c), put in every ruleset's word table (rk_wflag_t) with
 * the words of its clause, list and subject rules. */
extern const char *const cc_risk_break_words[];
extern const char *const cc_risk_list_words[];
extern const char *const cc_risk_subject_words[];

typedef int rk_term_fn(void *baton, const char *term, size_t len,
                       size_t start, size_t end);

/* Feed the terms of text[0..len) to fn: the chat tokenizer's terms, with
 * French elision split after the apostrophe ("l'allergie": "l"
 * "allergie"). */
void cc_risk_tokenize(const char *text, size_t len, rk_term_fn *fn,
                      void *baton);

/* Parse the digits at s[*i..n) into *v (capped at RK_NUM_MAX), moving *i
 * past them; 0 when there is no digit there. */
int cc_risk_parse_num(const char *s, size_t n, size_t *i, uint32_t *v);

#endif
