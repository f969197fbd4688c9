/*
 * cc_risk.c - the clinical-safety risk engine.  See cc_risk.h.
 *
 * Compile: every line is parsed and checked first (into a scratch pool
 * that is destroyed afterwards), and only a fully valid text is copied
 * into the caller's pool, so a failed compile leaves nothing behind.  The
 * result is read-only: cc_risk_check never writes to it, keeps no state of
 * its own and allocates only from the pool it is given, so one ruleset
 * serves every thread at once.
 *
 * Pattern syntax, beyond cc_risk.h (whitespace-separated pieces):
 *   word      folded with the chat tokenizer, so "Alérgico" is "alergico"
 *             and "don't" is "dont"; a piece the tokenizer splits
 *             ("a&e", "breast-feeding") becomes consecutive terms
 *   word*     prefix; the star applies to the last term of the piece
 *   =word     exact: never typo-tolerant ("=cancer" must not match
 *             "cancel")
 *   a|b|c     one term, any of the alternatives (each one term, each may
 *             use * = #): "had ~ botox|filler*|peel ~ yesterday|monday"
 *   ~         up to 3 other terms may stand here
 *   ..        up to 8 other terms of the same sentence may stand here (at
 *             most one ".." per pattern)
 *   #         any number term ("15", "2.5")
 *   #n        the number n; #lo-hi a number whose integer part is in
 *             [lo, hi]
 *   #mg, #1-17yo
 *             a number with those letters attached ("400mg", "15yo")
 * A negator whose pattern starts with "!" is a hedge ("! not sure",
 * "! dont know"): it negates nothing and cancels every negator match that
 * starts inside it, so "I'm not sure if I'm pregnant" stays risky.
 * Comments: a line whose first non-blank character is '#' ("#" inside a
 * pattern is the number wildcard, so there are no trailing comments).
 *
 * Typo tolerance (word and phrase rules only, alphabetic pattern terms):
 * optimal-string-alignment distance <= 1 from 5 letters (<= 2 from 9),
 * prefixes from 7 letters; always the same first letter, and for whole
 * words the same last letter (or the pattern plus a plural "s"):
 * "pregant", "diabetis", "warfrin" match; "cancel" (cancer), "aspiring"
 * (aspirin), "depressing" (depression), "station" (statin*) do not.  A
 * text term that is a stop word, or that some pattern term matches
 * exactly, is never typo-matched.
 *
 * Message text: the tokenizer's terms, plus French elision: "l'allergie",
 * "j'ai", "n'ai", "qu'il" are split after the apostrophe ("l" "allergie"),
 * in patterns too.  Between terms the engine looks at the skipped bytes:
 *   sentence break  . ! ? ; newline, and … 。 ！ ？ ； ¿ ¡
 *   comma           , ， – — and a spaced " - "
 * Clauses end at a sentence break and at a clause-break word (and, but,
 * however, although, though, except, apart, besides, because, so,
 * whereas, while; y, pero, aunque, excepto, salvo, porque; et, mais,
 * cependant, pourtant, sauf, parce).  Phrases never span a sentence break.
 *
 * Negator scope: the 4 terms after the negator in its clause; a list word
 * (or, nor, ni, ou, o) restarts the count ("not on roaccutane or any acne
 * meds"), up to 16 terms in all.  It ends early at a subject word that
 * starts a new statement (i, im, ive, id, she, shes, he, hes, we, they,
 * theyre, my, yo, mi, je, j, il, elle) and at a comma right after the
 * negator ("No, I'm pregnant").  A match is negated when its first term
 * is in the scope of a negator whose categories include the match's.
 *
 * Unless scope: the clause, further cut at commas (conservative: "I'm
 * allergic to nuts, do you offer allergy testing?" stays risky).  A match
 * is excused when an unless of its category matched in the clause of its
 * first term.  Emergency matches are never negated nor excused.
 *
 * Cost: the terms of a message are looked up in a hash of the distinct
 * first terms of all rules (exact, and each prefix length in use); typo
 * candidates come from buckets by first letter and length, filtered by
 * letter sets before a banded edit distance.  Only rules whose first term
 * matched are tried.  Input is read up to 16 KiB; pattern backtracking is
 * bounded by the gap limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
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

const char *const cc_risk_category_names[CC_RISK_NCATEGORIES] = {
    "pregnancy", "allergy", "chronic", "medication", "minor",
    "recent_procedure", "mental_health", "emergency", "medical_advice"
};

enum { K_WORD = 0, K_PHRASE, K_NEGATOR, K_UNLESS };
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
    uint32_t          cats;     /* categories (bit mask) */
    uint16_t          nt;
    uint8_t           kind;
    uint8_t           anti;     /* negator "!": a hedge */
} rk_rule_t;

/* A distinct first term (alternative): the rules that start with it. */
typedef struct rk_key_t {
    const rk_alt_t *alt;
    uint32_t        hash;
    const uint32_t *rules;      /* every rule starting with this term */
    const uint32_t *frules;     /* those that allow a typo in it */
    uint32_t        nrules, nfrules;
} rk_key_t;

struct cc_ruleset_t {
    const rk_rule_t *rules;
    uint32_t         nrules;
    const rk_key_t  *keys;
    uint32_t         nkeys;
    const uint32_t  *slots;     /* hash table: key index + 1, 0 = empty */
    uint32_t         slot_mask;
    const uint32_t  *numrules;  /* rules starting with a number term */
    uint32_t         nnumrules;
    uint64_t         prefix_lens;  /* bit l: some prefix key has length l */
    /* typo candidates: key indices by first letter (and length for words) */
    const uint32_t  *fz_lit;
    uint32_t         fz_lit_off[26][CC_TOK_MAX + 2];
    const uint32_t  *fz_pre;
    uint32_t         fz_pre_off[27];
};

/* ---- small helpers ------------------------------------------------------ */

static uint32_t rk_hash(const char *s, size_t n, unsigned type)
{
    uint32_t h = 2166136261u ^ type;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t rk_mask(const char *s, size_t n)
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
static unsigned rk_first_class(const char *s, size_t n)
{
    if (n > 0 && s[0] >= 'a' && s[0] <= 'z') {
        return (unsigned)(s[0] - 'a');
    }
    return 26;
}

static uint32_t rk_first_bit(const char *s, size_t n)
{
    return 1u << rk_first_class(s, n);
}

static int rk_popcount(uint32_t v)
{
    return __builtin_popcount(v);
}

static int rk_is_alpha(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < 'a' || s[i] > 'z') {
            return 0;
        }
    }
    return n > 0;
}

static int rk_word_in(const char *w, size_t n, const char *const *list)
{
    size_t i;

    for (i = 0; list[i]; i++) {
        if (list[i][0] == w[0] && strlen(list[i]) == n
            && memcmp(list[i], w, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *const rk_break_words[] = {
    "and", "but", "however", "although", "though", "except", "apart",
    "besides", "because", "so", "whereas", "while",
    "y", "pero", "aunque", "excepto", "salvo", "porque",
    "et", "mais", "cependant", "pourtant", "sauf", "parce",
    NULL
};

static const char *const rk_list_words[] = {
    "or", "nor", "ni", "ou", "o",
    NULL
};

static const char *const rk_subject_words[] = {
    "i", "im", "ive", "id", "she", "shes", "he", "hes", "we", "they",
    "theyre", "my", "yo", "mi", "je", "j", "il", "elle",
    NULL
};

/* Optimal string alignment distance between a[0..la) and b[0..lb)
 * (prefix: between a and the closest prefix of b), or k + 1 when above k.
 * Lengths are at most CC_TOK_MAX. */
static int rk_osa(const char *a, int la, const char *b, int lb, int k,
                  int prefix)
{
    int r0[CC_TOK_MAX + 2], r1[CC_TOK_MAX + 2], r2[CC_TOK_MAX + 2];
    int *pp = r0, *pv = r1, *cu = r2;
    const int inf = k + 1;
    int i, j, best;

    if (la > CC_TOK_MAX || lb > CC_TOK_MAX) {
        return inf;
    }
    if (prefix) {
        if (lb < la - k) {
            return inf;
        }
        if (lb > la + k) {
            lb = la + k;
        }
    }
    else if (abs(la - lb) > k) {
        return inf;
    }
    for (j = 0; j <= lb; j++) {
        pv[j] = j <= k ? j : inf;
        pp[j] = inf;
    }
    for (i = 1; i <= la; i++) {
        int lo = i - k > 1 ? i - k : 1;
        int hi = i + k < lb ? i + k : lb;
        int rowmin;
        int *tmp;

        for (j = 0; j <= lb; j++) {
            cu[j] = inf;
        }
        cu[0] = i <= k ? i : inf;
        rowmin = cu[0];
        for (j = lo; j <= hi; j++) {
            int v = pv[j - 1] + (a[i - 1] != b[j - 1]);

            if (pv[j] + 1 < v) {
                v = pv[j] + 1;
            }
            if (cu[j - 1] + 1 < v) {
                v = cu[j - 1] + 1;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
                && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v) {
                v = pp[j - 2] + 1;
            }
            if (v > inf) {
                v = inf;
            }
            cu[j] = v;
            if (v < rowmin) {
                rowmin = v;
            }
        }
        if (rowmin > k) {
            return inf;
        }
        tmp = pp;
        pp = pv;
        pv = cu;
        cu = tmp;
    }
    if (!prefix) {
        return pv[lb];
    }
    best = inf;
    for (j = 0; j <= lb; j++) {
        if (pv[j] < best) {
            best = pv[j];
        }
    }
    return best;
}

/* ---- tokenizing with French elision ------------------------------------- */

typedef int rk_term_fn(void *baton, const char *term, size_t len,
                       size_t start, size_t end);

typedef struct rk_split_t {
    const unsigned char *text;
    size_t               len;
    rk_term_fn          *fn;
    void                *baton;
} rk_split_t;

/* Bytes of an apostrophe at s[i], 0 when none. */
static size_t rk_apos_at(const unsigned char *s, size_t len, size_t i)
{
    if (i < len && s[i] == '\'') {
        return 1;
    }
    if (i + 1 < len && s[i] == 0xCA && s[i + 1] == 0xBC) {
        return 2;
    }
    if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x99) {
        return 3;
    }
    return 0;
}

static int rk_split_cb(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    rk_split_t *sp = baton;
    const unsigned char *s = sp->text;
    size_t plen = 0, alen = 0;

    if (len >= 2 && start < sp->len) {
        unsigned char c = (unsigned char)(s[start] | 0x20);

        if (strchr("cdjlmnst", c) && c == (unsigned char)term[0]) {
            alen = rk_apos_at(s, sp->len, start + 1);
            plen = alen ? 1 : 0;
        }
        else if (c == 'q' && len >= 3 && start + 1 < sp->len
                 && (s[start + 1] | 0x20) == 'u' && term[0] == 'q'
                 && term[1] == 'u') {
            alen = rk_apos_at(s, sp->len, start + 2);
            plen = alen ? 2 : 0;
        }
    }
    if (plen && len > plen) {
        if (sp->fn(sp->baton, term, plen, start, start + plen)) {
            return 1;
        }
        return sp->fn(sp->baton, term + plen, len - plen,
                      start + plen + alen, end);
    }
    return sp->fn(sp->baton, term, len, start, end);
}

static void rk_tokenize(const char *text, size_t len, rk_term_fn *fn,
                        void *baton)
{
    rk_split_t sp;

    sp.text = (const unsigned char *)text;
    sp.len = len;
    sp.fn = fn;
    sp.baton = baton;
    cc_tok_each(text, len, 0, rk_split_cb, &sp);
}

/* ---- compiling ----------------------------------------------------------- */

/* Terms of one tokenized piece. */
typedef struct rk_words_t {
    apr_pool_t *p;
    const char *s[RK_MAX_PTERMS + 1];
    uint16_t    len[RK_MAX_PTERMS + 1];
    int         n;
} rk_words_t;

static int rk_words_cb(void *baton, const char *term, size_t len,
                       size_t start, size_t end)
{
    rk_words_t *w = baton;

    if (w->n > RK_MAX_PTERMS) {
        return 1;
    }
    w->s[w->n] = apr_pstrmemdup(w->p, term, len);
    w->len[w->n] = (uint16_t)len;
    w->n++;
    return 0;
}

/* Copy a short fragment for an error message: printable ASCII only. */
static const char *rk_frag(apr_pool_t *p, const char *s, size_t n)
{
    char buf[32];
    size_t i, o = 0;

    for (i = 0; i < n && o < 24; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
                    && c != '\'') ? (char)c : '?';
    }
    if (i < n) {
        buf[o++] = '.';
        buf[o++] = '.';
    }
    buf[o] = '\0';
    return apr_pstrdup(p, buf);
}

static int rk_parse_num(const char *s, size_t n, size_t *i, uint32_t *v)
{
    uint32_t x = 0;
    size_t k = *i;

    if (k >= n || s[k] < '0' || s[k] > '9') {
        return 0;
    }
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        x = x * 10 + (uint32_t)(s[k] - '0');
        if (x > RK_NUM_MAX) {
            x = RK_NUM_MAX;
        }
        k++;
    }
    *i = k;
    *v = x;
    return 1;
}

/* A number term: "#", "#n", "#lo-hi", each optionally followed by
 * letters ("#mg"). */
static const char *rk_parse_numterm(apr_pool_t *p, const char *s, size_t n,
                                    rk_alt_t *a)
{
    size_t i = 1, k;
    uint32_t lo = 0, hi = RK_NUM_MAX;
    char *suf;

    if (i < n && s[i] >= '0' && s[i] <= '9') {
        rk_parse_num(s, n, &i, &lo);
        hi = lo;
        if (i < n && s[i] == '-') {
            i++;
            if (!rk_parse_num(s, n, &i, &hi)) {
                return "bad number range (want #lo-hi)";
            }
        }
        if (lo > hi) {
            return "bad number range (lo > hi)";
        }
    }
    if (n - i > CC_TOK_MAX) {
        return "term too long";
    }
    suf = apr_pstrmemdup(p, s + i, n - i);
    for (k = 0; suf[k]; k++) {
        if (suf[k] >= 'A' && suf[k] <= 'Z') {
            suf[k] = (char)(suf[k] + 0x20);
        }
        else if (suf[k] < 'a' || suf[k] > 'z') {
            return "bad number term (want #, #n, #lo-hi, then letters)";
        }
    }
    memset(a, 0, sizeof(*a));
    a->type = T_NUM;
    a->lo = lo;
    a->hi = hi;
    a->s = suf;
    a->len = (uint16_t)(n - i);
    return NULL;
}

static void rk_set_alt(rk_alt_t *a, const char *s, uint16_t len, int prefix,
                       int exact, int fuzzy_kind)
{
    memset(a, 0, sizeof(*a));
    a->s = s;
    a->len = len;
    a->type = prefix ? T_PREFIX : T_LIT;
    a->mask = rk_mask(s, len);
    if (!exact && fuzzy_kind && rk_is_alpha(s, len)
        && len >= (prefix ? 7 : 5)) {
        a->edits = len >= 9 ? 2 : 1;
    }
}

typedef struct rk_parse_t {
    apr_pool_t *p;              /* scratch */
    rk_pterm_t  t[RK_MAX_PTERMS];
    int         nt;
    int         gap;            /* gap before the next term */
    int         fuzzy_kind;     /* word or phrase rule */
} rk_parse_t;

static unsigned rk_alt_class(const rk_alt_t *a)
{
    return a->type == T_NUM ? 27 : rk_first_class(a->s, a->len);
}

static const char *rk_add_term(rk_parse_t *ps, rk_alt_t *alts, int nalt)
{
    rk_pterm_t *pt;
    unsigned c;
    int k, j;

    if (ps->nt >= RK_MAX_PTERMS) {
        return "too many terms";
    }
    /* stable insertion sort by class; off[] indexes the classes */
    for (k = 1; k < nalt; k++) {
        rk_alt_t x = alts[k];

        for (j = k; j > 0 && rk_alt_class(&alts[j - 1]) > rk_alt_class(&x);
             j--) {
            alts[j] = alts[j - 1];
        }
        alts[j] = x;
    }
    pt = &ps->t[ps->nt];
    memset(pt->off, 0, sizeof(pt->off));
    for (k = 0; k < nalt; k++) {
        pt->off[rk_alt_class(&alts[k]) + 1]++;
    }
    for (c = 1; c < sizeof(pt->off); c++) {
        pt->off[c] = (uint8_t)(pt->off[c] + pt->off[c - 1]);
    }
    ps->t[ps->nt].alt = apr_pmemdup(ps->p, alts, sizeof(rk_alt_t)
                                    * (size_t)nalt);
    ps->t[ps->nt].nalt = (uint8_t)nalt;
    ps->t[ps->nt].gap = (uint8_t)ps->gap;
    ps->t[ps->nt].first = 0;
    for (k = 0; k < nalt; k++) {
        ps->t[ps->nt].first |= alts[k].type == T_NUM ? 1u << 27
                               : rk_first_bit(alts[k].s, alts[k].len);
    }
    ps->gap = 0;
    ps->nt++;
    return NULL;
}

/* Parse one whitespace-separated piece of a pattern; NULL or an error. */
static const char *rk_parse_piece(rk_parse_t *ps, const char *s, size_t n,
                                  int *fargaps, int *gaps)
{
    rk_alt_t alts[RK_MAX_ALTS];
    int nalt = 0, multi = memchr(s, '|', n) != NULL;
    size_t i = 0;

    if ((n == 1 && s[0] == '~') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        if (ps->nt == 0) {
            return "a gap before the first term";
        }
        if (ps->gap) {
            return "two gaps in a row";
        }
        if (n == 1) {
            ps->gap = RK_GAP;
            ++*gaps;
        }
        else {
            ps->gap = RK_FARGAP;
            ++*fargaps;
        }
        return NULL;
    }
    while (i <= n) {
        const char *a = s + i;
        const char *bar = memchr(a, '|', n - i);
        size_t an = bar ? (size_t)(bar - a) : n - i;
        int exact = 0, prefix = 0;
        rk_words_t w;
        const char *err;
        int k;

        if (an == 0) {
            return "empty alternative";
        }
        if (nalt >= RK_MAX_ALTS) {
            return "too many alternatives";
        }
        if (a[0] == '#') {
            if ((err = rk_parse_numterm(ps->p, a, an, &alts[nalt])) != NULL) {
                return err;
            }
            nalt++;
        }
        else {
            if (a[0] == '=') {
                exact = 1;
                a++;
                an--;
            }
            if (an > 0 && a[an - 1] == '*') {
                prefix = 1;
                an--;
            }
            if (memchr(a, '*', an) || memchr(a, '~', an)
                || memchr(a, '#', an) || memchr(a, '=', an)) {
                return "'*' only ends a term, '=' and '#' only start one";
            }
            memset(&w, 0, sizeof(w));
            w.p = ps->p;
            rk_tokenize(a, an, rk_words_cb, &w);
            if (w.n == 0) {
                return "empty term";
            }
            if (w.n > RK_MAX_PTERMS) {
                return "too many terms";
            }
            if (multi && w.n != 1) {
                return "an alternative is one term";
            }
            if (multi) {
                rk_set_alt(&alts[nalt++], w.s[0], w.len[0], prefix, exact,
                           ps->fuzzy_kind);
            }
            else {
                for (k = 0; k < w.n; k++) {
                    rk_alt_t one;

                    rk_set_alt(&one, w.s[k], w.len[k],
                               prefix && k == w.n - 1, exact,
                               ps->fuzzy_kind);
                    if ((err = rk_add_term(ps, &one, 1)) != NULL) {
                        return err;
                    }
                }
                return NULL;
            }
        }
        if (!bar) {
            break;
        }
        i = (size_t)(bar - s) + 1;
        if (i == n) {
            return "empty alternative";
        }
    }
    return rk_add_term(ps, alts, nalt);
}

typedef struct rk_tmp_rule_t {
    const char *text;
    rk_pterm_t *t;
    uint32_t    cats;
    int         nt;
    int         kind;
    int         anti;
} rk_tmp_rule_t;

static int rk_lang_kept(const char *langs, const char *lang, size_t n)
{
    const char *q = langs;

    if (!langs || (n == 1 && lang[0] == '*')) {
        return 1;
    }
    while (*q) {
        const char *e = q, *f;

        while (*e && *e != ',') {
            e++;
        }
        while (q < e && (*q == ' ' || *q == '\t')) {
            q++;
        }
        f = e;
        while (f > q && (f[-1] == ' ' || f[-1] == '\t')) {
            f--;
        }
        if ((size_t)(f - q) == n && memcmp(q, lang, n) == 0) {
            return 1;
        }
        q = *e ? e + 1 : e;
    }
    return 0;
}

static int rk_field(const char **s, const char *e, const char **f, size_t *n)
{
    const char *q = *s;

    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    *f = q;
    while (q < e && *q != ' ' && *q != '\t') {
        q++;
    }
    *n = (size_t)(q - *f);
    *s = q;
    return *n > 0;
}

/* Parse the category field: a name, "*" or a comma list. */
static const char *rk_parse_cats(const char *f, size_t n, int kind,
                                 uint32_t *cats, apr_pool_t *sp)
{
    size_t i = 0;

    *cats = 0;
    if (n == 1 && f[0] == '*') {
        if (kind != K_NEGATOR && kind != K_UNLESS) {
            return "category '*' is only for negator and unless";
        }
        *cats = CAT_ALL;
        return NULL;
    }
    while (i < n) {
        size_t j = i;
        int c, found = -1;

        while (j < n && f[j] != ',') {
            j++;
        }
        for (c = 0; c < CC_RISK_NCATEGORIES; c++) {
            if (strlen(cc_risk_category_names[c]) == j - i
                && memcmp(cc_risk_category_names[c], f + i, j - i) == 0) {
                found = c;
            }
        }
        if (found < 0) {
            return apr_psprintf(sp, "unknown category '%s'",
                                rk_frag(sp, f + i, j - i));
        }
        *cats |= 1u << found;
        i = j + 1;
    }
    if ((kind == K_WORD || kind == K_PHRASE) && rk_popcount(*cats) != 1) {
        return "word and phrase rules take exactly one category";
    }
    return NULL;
}

/* Parse one rule line s[0..e).  Returns NULL (a rule in *r, or r->nt == 0
 * for a blank or comment line) or an error message. */
static const char *rk_parse_line(apr_pool_t *sp, const char *s,
                                 const char *e, const char *langs,
                                 rk_tmp_rule_t *r, int *kept)
{
    static const char *const kinds[] = { "word", "phrase", "negator",
                                         "unless" };
    const char *fcat, *flang, *fkind, *q, *f;
    size_t ncat, nlang, nkind, n;
    rk_parse_t ps;
    const char *err;
    int kind = -1, k, gaps = 0, fargaps = 0;

    memset(r, 0, sizeof(*r));
    *kept = 0;
    while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    q = s;
    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q == e || *q == '#') {
        return NULL;
    }
    if (e - s > RK_MAX_LINE) {
        return "line too long";
    }
    rk_field(&q, e, &fcat, &ncat);
    if (!rk_field(&q, e, &flang, &nlang)) {
        return "missing language, kind and pattern";
    }
    if (!rk_field(&q, e, &fkind, &nkind)) {
        return "missing kind and pattern";
    }
    for (k = 0; k < 4; k++) {
        if (strlen(kinds[k]) == nkind && memcmp(kinds[k], fkind, nkind) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        return apr_psprintf(sp, "unknown kind '%s' (word, phrase, negator, "
                            "unless)", rk_frag(sp, fkind, nkind));
    }
    if ((err = rk_parse_cats(fcat, ncat, kind, &r->cats, sp)) != NULL) {
        return err;
    }
    if (!((nlang == 2 && (memcmp(flang, "en", 2) == 0
                          || memcmp(flang, "es", 2) == 0
                          || memcmp(flang, "fr", 2) == 0))
          || (nlang == 1 && flang[0] == '*'))) {
        return apr_psprintf(sp, "unknown language '%s' (en, es, fr, *)",
                            rk_frag(sp, flang, nlang));
    }
    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q < e && *q == '!') {
        if (kind != K_NEGATOR) {
            return "'!' is only for negator patterns";
        }
        r->anti = 1;
        q++;
        while (q < e && (*q == ' ' || *q == '\t')) {
            q++;
        }
    }
    if (q == e) {
        return "empty pattern";
    }
    memset(&ps, 0, sizeof(ps));
    ps.p = sp;
    ps.fuzzy_kind = kind == K_WORD || kind == K_PHRASE;
    r->text = apr_pstrmemdup(sp, q, (size_t)(e - q));
    while (rk_field(&q, e, &f, &n)) {
        if ((err = rk_parse_piece(&ps, f, n, &fargaps, &gaps)) != NULL) {
            return apr_psprintf(sp, "%s in '%s'", err, rk_frag(sp, f, n));
        }
    }
    if (ps.nt == 0) {
        return "empty pattern";
    }
    if (ps.gap) {
        return "a gap after the last term";
    }
    if (gaps > RK_MAX_GAPS || fargaps > 1) {
        return "too many gaps (at most 4 '~' and one '..')";
    }
    if (kind == K_WORD && ps.nt != 1) {
        return "a word pattern is one term (use phrase)";
    }
    r->kind = kind;
    r->nt = ps.nt;
    r->t = apr_pmemdup(sp, ps.t, sizeof(rk_pterm_t) * (size_t)ps.nt);
    *kept = rk_lang_kept(langs, flang, nlang);
    return NULL;
}

typedef struct rk_build_key_t {
    const rk_alt_t     *alt;
    apr_array_header_t *rules;      /* uint32_t */
    apr_array_header_t *frules;
    uint32_t            hash;
} rk_build_key_t;

static int rk_key_eq(const rk_alt_t *a, const char *s, size_t n,
                     unsigned type)
{
    return a->type == type && a->len == n && memcmp(a->s, s, n) == 0;
}

static uint32_t *rk_flatten(apr_pool_t *p, const apr_array_header_t *a)
{
    uint32_t *v = apr_pcalloc(p, sizeof(uint32_t) * ((size_t)a->nelts + 1));

    if (a->nelts) {
        memcpy(v, a->elts, sizeof(uint32_t) * (size_t)a->nelts);
    }
    return v;
}

/* Copy the parsed rules into p. */
static rk_rule_t *rk_copy_rules(apr_pool_t *p, apr_array_header_t *tmp)
{
    rk_rule_t *rules = apr_pcalloc(p, sizeof(rk_rule_t)
                                      * ((size_t)tmp->nelts + 1));
    int r, t, a;

    for (r = 0; r < tmp->nelts; r++) {
        const rk_tmp_rule_t *tr = &APR_ARRAY_IDX(tmp, r, rk_tmp_rule_t);
        rk_pterm_t *pt = apr_pcalloc(p, sizeof(rk_pterm_t) * (size_t)tr->nt);

        for (t = 0; t < tr->nt; t++) {
            rk_alt_t *al = apr_pcalloc(p, sizeof(rk_alt_t)
                                          * tr->t[t].nalt);

            for (a = 0; a < tr->t[t].nalt; a++) {
                al[a] = tr->t[t].alt[a];
                al[a].s = apr_pstrmemdup(p, al[a].s, al[a].len);
            }
            pt[t].alt = al;
            pt[t].nalt = tr->t[t].nalt;
            pt[t].gap = tr->t[t].gap;
            pt[t].first = tr->t[t].first;
            memcpy(pt[t].off, tr->t[t].off, sizeof(pt[t].off));
        }
        rules[r].text = apr_pstrdup(p, tr->text);
        rules[r].t = pt;
        rules[r].nt = (uint16_t)tr->nt;
        rules[r].cats = tr->cats;
        rules[r].kind = (uint8_t)tr->kind;
        rules[r].anti = (uint8_t)tr->anti;
    }
    return rules;
}

/* Typo candidates: counting sort of the keys by (first letter, length). */
static void rk_build_fuzzy(apr_pool_t *p, cc_ruleset_t *rs, rk_key_t *keys)
{
    uint32_t cnt_lit[26][CC_TOK_MAX + 2], cnt_pre[27];
    uint32_t total = 0, tpre = 0, k;
    uint32_t *lit = NULL, *pre = NULL;
    int a, l, pass;

    for (pass = 0; pass < 2; pass++) {
        memset(cnt_lit, 0, sizeof(cnt_lit));
        memset(cnt_pre, 0, sizeof(cnt_pre));
        for (k = 0; k < rs->nkeys; k++) {
            const rk_alt_t *al = keys[k].alt;
            int c0;

            if (!keys[k].nfrules || al->len > CC_TOK_MAX
                || al->s[0] < 'a' || al->s[0] > 'z') {
                continue;
            }
            c0 = al->s[0] - 'a';
            if (al->type == T_LIT) {
                if (pass) {
                    lit[rs->fz_lit_off[c0][al->len]
                        + cnt_lit[c0][al->len]] = k;
                }
                cnt_lit[c0][al->len]++;
            }
            else {
                if (pass) {
                    pre[rs->fz_pre_off[c0] + cnt_pre[c0]] = k;
                }
                cnt_pre[c0]++;
            }
        }
        if (pass) {
            break;
        }
        for (a = 0; a < 26; a++) {
            for (l = 0; l <= CC_TOK_MAX + 1; l++) {
                rs->fz_lit_off[a][l] = total;
                total += cnt_lit[a][l];
            }
            rs->fz_pre_off[a] = tpre;
            tpre += cnt_pre[a];
        }
        rs->fz_pre_off[26] = tpre;
        lit = apr_pcalloc(p, sizeof(uint32_t) * (total + 1));
        pre = apr_pcalloc(p, sizeof(uint32_t) * (tpre + 1));
    }
    rs->fz_lit = lit;
    rs->fz_pre = pre;
}

cc_ruleset_t *cc_risk_compile(apr_pool_t *p, const char *text, size_t len,
                              const char *langs, cc_problem_t *prob)
{
    apr_pool_t *sp = NULL;
    apr_array_header_t *tmp, *bkeys, *numrules;
    cc_ruleset_t *rs;
    rk_rule_t *rules;
    rk_key_t *keys;
    uint32_t *slots;
    uint32_t r, k, nslots, nalts = 0;
    size_t i = 0;
    int line = 0;

    if (!p || (!text && len)) {
        cc_problem_set(prob, 400, "invalid_rules", "no rules text");
        return NULL;
    }
    if (apr_pool_create(&sp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "internal", "out of memory");
        return NULL;
    }
    tmp = apr_array_make(sp, 256, sizeof(rk_tmp_rule_t));
    while (i < len) {
        const char *s = text + i;
        const char *nl = memchr(s, '\n', len - i);
        const char *e = nl ? nl : text + len;
        const char *err;
        rk_tmp_rule_t tr;
        int kept;

        line++;
        err = rk_parse_line(sp, s, e, langs, &tr, &kept);
        if (err) {
            cc_problem_set(prob, 400, "invalid_rules", "line %d: %s", line,
                           err);
            apr_pool_destroy(sp);
            return NULL;
        }
        if (tr.nt > 0 && kept) {
            APR_ARRAY_PUSH(tmp, rk_tmp_rule_t) = tr;
            nalts += tr.t[0].nalt;
        }
        i = (size_t)(e - text) + 1;
    }

    /* Valid: build the immutable ruleset in p. */
    rs = apr_pcalloc(p, sizeof(*rs));
    rs->nrules = (uint32_t)tmp->nelts;
    rules = rk_copy_rules(p, tmp);
    bkeys = apr_array_make(sp, 256, sizeof(rk_build_key_t));
    numrules = apr_array_make(sp, 16, sizeof(uint32_t));
    nslots = 16;
    while (nslots < nalts * 2 + 2) {
        nslots *= 2;
    }
    slots = apr_pcalloc(p, sizeof(uint32_t) * nslots);
    for (r = 0; r < rs->nrules; r++) {
        const rk_pterm_t *f = &rules[r].t[0];
        int a;

        for (a = 0; a < f->nalt; a++) {
            const rk_alt_t *al = &f->alt[a];
            rk_build_key_t *bk = NULL;
            uint32_t h, s;

            if (al->type == T_NUM) {
                if (!numrules->nelts
                    || APR_ARRAY_IDX(numrules, numrules->nelts - 1,
                                     uint32_t) != r) {
                    APR_ARRAY_PUSH(numrules, uint32_t) = r;
                }
                continue;
            }
            h = rk_hash(al->s, al->len, al->type);
            for (s = h & (nslots - 1); slots[s]; s = (s + 1) & (nslots - 1)) {
                rk_build_key_t *c = &APR_ARRAY_IDX(bkeys, slots[s] - 1,
                                                   rk_build_key_t);

                if (rk_key_eq(c->alt, al->s, al->len, al->type)) {
                    bk = c;
                    break;
                }
            }
            if (!bk) {
                bk = apr_array_push(bkeys);
                bk->alt = al;
                bk->hash = h;
                bk->rules = apr_array_make(sp, 4, sizeof(uint32_t));
                bk->frules = apr_array_make(sp, 4, sizeof(uint32_t));
                slots[s] = (uint32_t)bkeys->nelts;
            }
            /* the same rule twice under one key ("fill*|fill*") once */
            if (!bk->rules->nelts
                || APR_ARRAY_IDX(bk->rules, bk->rules->nelts - 1,
                                 uint32_t) != r) {
                APR_ARRAY_PUSH(bk->rules, uint32_t) = r;
                if (al->edits) {
                    if (!bk->alt->edits) {
                        bk->alt = al;   /* the key's typo tolerance */
                    }
                    APR_ARRAY_PUSH(bk->frules, uint32_t) = r;
                }
            }
        }
    }
    rs->rules = rules;
    rs->slots = slots;
    rs->slot_mask = nslots - 1;
    rs->nkeys = (uint32_t)bkeys->nelts;
    keys = apr_pcalloc(p, sizeof(rk_key_t) * (rs->nkeys + 1));
    for (k = 0; k < rs->nkeys; k++) {
        const rk_build_key_t *bk = &APR_ARRAY_IDX(bkeys, k, rk_build_key_t);

        keys[k].alt = bk->alt;
        keys[k].hash = bk->hash;
        keys[k].rules = rk_flatten(p, bk->rules);
        keys[k].nrules = (uint32_t)bk->rules->nelts;
        keys[k].frules = rk_flatten(p, bk->frules);
        keys[k].nfrules = (uint32_t)bk->frules->nelts;
        if (bk->alt->type == T_PREFIX && bk->alt->len < 64) {
            rs->prefix_lens |= (uint64_t)1 << bk->alt->len;
        }
    }
    rs->keys = keys;
    rs->numrules = rk_flatten(p, numrules);
    rs->nnumrules = (uint32_t)numrules->nelts;
    rk_build_fuzzy(p, rs, keys);
    apr_pool_destroy(sp);
    return rs;
}

int cc_risk_count(const cc_ruleset_t *rs)
{
    return rs ? (int)rs->nrules : 0;
}

/* ---- checking ------------------------------------------------------------ */

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
    apr_pool_t          *p;
    const unsigned char *text;
    size_t               len;
    rk_tok_t            *t;
    uint32_t             n, cap;
    size_t               prev_end;
    uint32_t             sent, clause, scl;
} rk_text_t;

/* Look at the bytes skipped between two terms. */
static unsigned rk_gap_flags(const unsigned char *s, size_t a, size_t b)
{
    unsigned f = 0;
    int space = 0, dash = 0;
    size_t i;

    for (i = a; i < b; i++) {
        unsigned char c = s[i];

        switch (c) {
        case '.': case '!': case '?': case ';': case '\n': case '\r':
            f |= F_GSENT;
            break;
        case ',':
            f |= F_GCOMMA;
            break;
        case ' ': case '\t':
            space = 1;
            break;
        case '-':
            dash = 1;
            break;
        case 0xC2:          /* ¡ ¿ */
            if (i + 1 < b && (s[i + 1] == 0xA1 || s[i + 1] == 0xBF)) {
                f |= F_GSENT;
            }
            break;
        case 0xE2:          /* … – — */
            if (i + 2 < b && s[i + 1] == 0x80) {
                if (s[i + 2] == 0xA6) {
                    f |= F_GSENT;
                }
                else if (s[i + 2] == 0x93 || s[i + 2] == 0x94) {
                    f |= F_GCOMMA;
                }
            }
            break;
        case 0xE3:          /* 。 */
            if (i + 2 < b && s[i + 1] == 0x80 && s[i + 2] == 0x82) {
                f |= F_GSENT;
            }
            break;
        case 0xEF:          /* ！ ？ ； ． ， */
            if (i + 2 < b && s[i + 1] == 0xBC) {
                unsigned char d = s[i + 2];

                if (d == 0x81 || d == 0x9F || d == 0x9B || d == 0x8E) {
                    f |= F_GSENT;
                }
                else if (d == 0x8C) {
                    f |= F_GCOMMA;
                }
            }
            break;
        default:
            break;
        }
    }
    if (dash && space) {
        f |= F_GCOMMA;
    }
    return f;
}

static int rk_text_cb(void *baton, const char *term, size_t len,
                      size_t start, size_t end)
{
    rk_text_t *tx = baton;
    rk_tok_t *tk;
    unsigned f;

    if (tx->n == tx->cap) {
        uint32_t cap = tx->cap ? tx->cap * 2 : 64;
        rk_tok_t *nt = apr_palloc(tx->p, sizeof(rk_tok_t) * cap);

        if (tx->n) {
            memcpy(nt, tx->t, sizeof(rk_tok_t) * tx->n);
        }
        tx->t = nt;
        tx->cap = cap;
    }
    tk = &tx->t[tx->n];
    memset(tk, 0, sizeof(*tk));
    f = rk_gap_flags(tx->text, tx->prev_end < start ? tx->prev_end : start,
                     start);
    tx->prev_end = end;
    tk->s = apr_pstrmemdup(tx->p, term, len);
    tk->len = (uint16_t)len;
    tk->start = start;
    tk->end = end;
    tk->mask = rk_mask(term, len);
    if (term[0] >= '0' && term[0] <= '9') {
        size_t i = 0;

        f |= F_NUM;
        rk_parse_num(term, len, &i, &tk->num);
        if (i + 1 < len && term[i] == '.' && term[i + 1] >= '0'
            && term[i + 1] <= '9') {
            i++;
            while (i < len && term[i] >= '0' && term[i] <= '9') {
                i++;
            }
        }
        tk->suffix = (uint16_t)i;
    }
    else if (rk_is_alpha(term, len)) {
        f |= F_ALPHA;
        if (len <= 10 && cc_tok_stopword(term, len)) {
            f |= F_STOP;
        }
        if (len <= 9 && rk_word_in(term, len, rk_break_words)) {
            f |= F_BREAK;
        }
        if (len <= 6 && rk_word_in(term, len, rk_subject_words)) {
            f |= F_SUBJ;
        }
        if (len <= 3 && rk_word_in(term, len, rk_list_words)) {
            f |= F_LIST;
        }
    }
    if (tx->n == 0) {
        f &= ~(unsigned)(F_GSENT | F_GCOMMA);
    }
    if (f & F_GSENT) {
        tx->sent++;
        tx->clause++;
        tx->scl++;
    }
    else if (f & F_BREAK) {
        tx->clause++;
        tx->scl++;
    }
    else if (f & F_GCOMMA) {
        tx->scl++;
    }
    tk->flags = (uint16_t)f;
    tk->fclass = (uint8_t)rk_first_class(term, len);
    tk->first = (1u << tk->fclass) | ((f & F_NUM) ? 1u << 27 : 0);
    tk->sent = tx->sent;
    tk->clause = tx->clause;
    tk->scl = tx->scl;
    tx->n++;
    return 0;
}

/* Exact (or prefix, or number) match of one alternative. */
static int rk_alt_exact(const rk_alt_t *a, const rk_tok_t *tk)
{
    if (a->type == T_NUM) {
        return (tk->flags & F_NUM) && tk->num >= a->lo && tk->num <= a->hi
               && (size_t)tk->len - tk->suffix == a->len
               && memcmp(tk->s + tk->suffix, a->s, a->len) == 0;
    }
    if (a->s[0] != tk->s[0]) {
        return 0;
    }
    if (a->type == T_LIT) {
        return tk->len == a->len && memcmp(tk->s, a->s, a->len) == 0;
    }
    return tk->len >= a->len && memcmp(tk->s, a->s, a->len) == 0;
}

/* Match through typo tolerance; the caller checked that tk is an
 * alphabetic non-stop-word. */
static int rk_alt_fuzzy(const rk_alt_t *a, const rk_tok_t *tk)
{
    int k = a->edits;

    if (!k || tk->s[0] != a->s[0]
        || rk_popcount(a->mask & ~tk->mask) > k) {
        return 0;
    }
    if (a->type == T_LIT) {
        char lp = a->s[a->len - 1], lt = tk->s[tk->len - 1];

        if (abs((int)tk->len - (int)a->len) > k
            || rk_popcount(tk->mask & ~a->mask) > k) {
            return 0;
        }
        if (lp != lt && !(lt == 's' && tk->len == a->len + 1
                          && tk->s[tk->len - 2] == lp)) {
            return 0;
        }
        return rk_osa(a->s, a->len, tk->s, tk->len, k, 0) <= k;
    }
    return rk_osa(a->s, a->len, tk->s, tk->len, k, 1) <= k;
}

/* 0: no, 1: exact, 2: through typo tolerance. */
static int rk_alt_eq(const rk_alt_t *a, const rk_tok_t *tk, int fuzzy)
{
    if (rk_alt_exact(a, tk)) {
        return 1;
    }
    return fuzzy && (tk->flags & (F_ALPHA | F_STOP)) == F_ALPHA
           && rk_alt_fuzzy(a, tk) ? 2 : 0;
}

static int rk_term_eq(const rk_pterm_t *pt, const rk_tok_t *tk, int fuzzy)
{
    unsigned a, b = pt->off[tk->fclass], e = pt->off[tk->fclass + 1];

    if (!(pt->first & tk->first)) {
        return 0;       /* every match needs the same first letter */
    }
    if (tk->flags & F_NUM) {
        for (a = pt->off[27]; a < pt->off[28]; a++) {
            if (rk_alt_exact(&pt->alt[a], tk)) {
                return 1;
            }
        }
    }
    for (a = b; a < e; a++) {
        if (rk_alt_exact(&pt->alt[a], tk)) {
            return 1;
        }
    }
    if (fuzzy && (tk->flags & (F_ALPHA | F_STOP)) == F_ALPHA) {
        for (a = b; a < e; a++) {
            if (rk_alt_fuzzy(&pt->alt[a], tk)) {
                return 2;
            }
        }
    }
    return 0;
}

/* Match r->t[ti..] with term ti at position pos (same sentence); *last is
 * the position of the last term, *fz set when a typo was needed. */
static int rk_match(const rk_rule_t *r, int ti, const rk_text_t *tx,
                    uint32_t pos, uint32_t sent, int *fz, uint32_t *last)
{
    int m, g, maxg;

    if (pos >= tx->n || tx->t[pos].sent != sent) {
        return 0;
    }
    m = rk_term_eq(&r->t[ti], &tx->t[pos],
                   r->kind == K_WORD || r->kind == K_PHRASE);
    if (!m) {
        return 0;
    }
    if (ti + 1 == r->nt) {
        *last = pos;
        *fz |= m == 2;
        return 1;
    }
    maxg = r->t[ti + 1].gap;
    for (g = 0; g <= maxg; g++) {
        if (rk_match(r, ti + 1, tx, pos + 1 + (uint32_t)g, sent, fz, last)) {
            *fz |= m == 2;
            return 1;
        }
    }
    return 0;
}

typedef struct rk_hit_t {
    uint32_t rule;
    uint32_t first, last;
    int      fuzzy;
} rk_hit_t;

static void rk_try_rules(const cc_ruleset_t *rs, const uint32_t *lst,
                         uint32_t n, const rk_text_t *tx, uint32_t pos,
                         apr_array_header_t *hits)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        const rk_rule_t *r = &rs->rules[lst[i]];
        uint32_t last = pos;
        int fz = 0, h, dup = 0;

        /* a rule reached through two alternatives matches once */
        for (h = hits->nelts - 1; h >= 0; h--) {
            const rk_hit_t *o = &APR_ARRAY_IDX(hits, h, rk_hit_t);

            if (o->first != pos) {
                break;
            }
            if (o->rule == lst[i]) {
                dup = 1;
                break;
            }
        }
        if (!dup && rk_match(r, 0, tx, pos, tx->t[pos].sent, &fz, &last)) {
            rk_hit_t *ht = apr_array_push(hits);

            ht->rule = lst[i];
            ht->first = pos;
            ht->last = last;
            ht->fuzzy = fz;
        }
    }
}

static const rk_key_t *rk_lookup(const cc_ruleset_t *rs, const char *s,
                                 size_t n, unsigned type)
{
    uint32_t h = rk_hash(s, n, type);
    uint32_t i;

    for (i = h & rs->slot_mask; rs->slots[i]; i = (i + 1) & rs->slot_mask) {
        const rk_key_t *k = &rs->keys[rs->slots[i] - 1];

        if (k->hash == h && rk_key_eq(k->alt, s, n, type)) {
            return k;
        }
    }
    return NULL;
}

/* Every rule match starting at term pos. */
static void rk_find_at(const cc_ruleset_t *rs, const rk_text_t *tx,
                       uint32_t pos, apr_array_header_t *hits)
{
    const rk_tok_t *tk = &tx->t[pos];
    const rk_key_t *k;
    int any = 0;
    uint32_t l, i;

    if (tk->flags & F_NUM) {
        rk_try_rules(rs, rs->numrules, rs->nnumrules, tx, pos, hits);
    }
    if ((k = rk_lookup(rs, tk->s, tk->len, T_LIT)) != NULL) {
        rk_try_rules(rs, k->rules, k->nrules, tx, pos, hits);
        any = 1;
    }
    for (l = 1; l <= tk->len && l < 64; l++) {
        if (((rs->prefix_lens >> l) & 1)
            && (k = rk_lookup(rs, tk->s, l, T_PREFIX)) != NULL) {
            rk_try_rules(rs, k->rules, k->nrules, tx, pos, hits);
            any = 1;
        }
    }
    /* Typo candidates: same first letter, similar length. */
    if (!any && (tk->flags & F_ALPHA) && !(tk->flags & F_STOP)
        && tk->len >= 4) {
        int a = tk->s[0] - 'a';
        int lo = tk->len - 2, hi = tk->len + 2, len;

        if (lo < 5) {
            lo = 5;
        }
        if (hi > CC_TOK_MAX) {
            hi = CC_TOK_MAX;
        }
        for (len = lo; len <= hi; len++) {
            uint32_t b = rs->fz_lit_off[a][len];
            uint32_t e = rs->fz_lit_off[a][len + 1];

            if (len < 9 && abs(len - (int)tk->len) > 1) {
                continue;
            }
            for (i = b; i < e; i++) {
                k = &rs->keys[rs->fz_lit[i]];
                if (rk_alt_eq(k->alt, tk, 1) == 2) {
                    rk_try_rules(rs, k->frules, k->nfrules, tx, pos, hits);
                }
            }
        }
        for (i = rs->fz_pre_off[a]; i < rs->fz_pre_off[a + 1]; i++) {
            k = &rs->keys[rs->fz_pre[i]];
            if (rk_alt_eq(k->alt, tk, 1) == 2) {
                rk_try_rules(rs, k->frules, k->nfrules, tx, pos, hits);
            }
        }
    }
}

void cc_risk_check(const cc_ruleset_t *rs, const char *text, size_t len,
                   apr_pool_t *p, cc_risk_result_t *out)
{
    rk_text_t tx;
    apr_array_header_t *hits;
    uint32_t *neg, *exc;
    unsigned char *hedge;
    uint32_t i, maxscl;
    int h;

    if (!out) {
        return;
    }
    memset(out, 0, sizeof(*out));
    if (!p) {
        return;
    }
    out->matches = apr_array_make(p, 4, sizeof(cc_risk_match_t));
    if (!rs || !text || len == 0 || rs->nrules == 0) {
        return;
    }
    if (len > RK_MAX_INPUT) {
        len = RK_MAX_INPUT;
    }
    memset(&tx, 0, sizeof(tx));
    tx.p = p;
    tx.text = (const unsigned char *)text;
    tx.len = len;
    rk_tokenize(text, len, rk_text_cb, &tx);
    if (tx.n == 0) {
        return;
    }

    hits = apr_array_make(p, 16, sizeof(rk_hit_t));
    for (i = 0; i < tx.n; i++) {
        rk_find_at(rs, &tx, i, hits);
    }
    if (hits->nelts == 0) {
        return;
    }

    /* Hedges, then negator scopes and excused clauses. */
    maxscl = tx.t[tx.n - 1].scl;
    neg = apr_pcalloc(p, sizeof(uint32_t) * (tx.n + 1));
    exc = apr_pcalloc(p, sizeof(uint32_t) * (maxscl + 1));
    hedge = apr_pcalloc(p, tx.n + 1);
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        uint32_t j;

        if (r->kind == K_NEGATOR && r->anti) {
            for (j = ht->first; j <= ht->last; j++) {
                hedge[j] = 1;
            }
        }
        else if (r->kind == K_UNLESS) {
            exc[tx.t[ht->first].scl] |= r->cats;
        }
    }
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        uint32_t c, j, stop;

        if (r->kind != K_NEGATOR || r->anti || hedge[ht->first]) {
            continue;
        }
        c = tx.t[ht->last].clause;
        stop = ht->last + RK_SCOPE;
        for (j = ht->last + 1; j <= stop && j < tx.n
             && j <= ht->last + RK_SCOPE_MAX; j++) {
            const rk_tok_t *tk = &tx.t[j];

            if (tk->clause != c || (tk->flags & F_SUBJ)
                || (j == ht->last + 1 && (tk->flags & F_GCOMMA))) {
                break;
            }
            if (tk->flags & F_LIST) {
                stop = j + RK_SCOPE;
            }
            neg[j] |= r->cats;
        }
    }

    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        cc_risk_match_t *m;
        uint32_t bit = r->cats;

        if (r->kind != K_WORD && r->kind != K_PHRASE) {
            continue;
        }
        m = apr_array_push(out->matches);
        m->category = (cc_risk_category_e)__builtin_ctz(bit);
        m->rule = r->text;
        m->start = tx.t[ht->first].start;
        m->end = tx.t[ht->last].end;
        m->fuzzy = ht->fuzzy;
        m->negated = bit != CAT_EMERG
                     && ((neg[ht->first] & bit)
                         || (exc[tx.t[ht->first].scl] & bit));
        if (!m->negated) {
            out->categories |= bit;
        }
    }
    out->risk = out->categories != 0;
    out->emergency = (out->categories & CAT_EMERG) != 0;
}
