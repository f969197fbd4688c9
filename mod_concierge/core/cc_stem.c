/*
 * cc_stem.c - the Porter2 ("Snowball English") stemmer.
 *
 * Written from the published description of the algorithm (M. F. Porter,
 * "The English (Porter2) stemming algorithm", snowballstem.org): the
 * exceptional forms, Step 0, 1a, 1b, 1c, 2, 3, 4, 5, the regions R1/R2
 * (with the gener/commun/arsen special prefixes) and the y -> Y marking.
 *
 * Works in place: no step ever makes the word longer than it was, so the
 * caller's buffer (len + 1 bytes for the NUL) always suffices.  Pure, no
 * allocation, no globals beyond static const tables: thread-safe.
 */
#include <stddef.h>
#include <string.h>
#include "cc_tok.h"

typedef struct stem_t {
    char   *w;
    size_t  len;
    size_t  p1;     /* R1 = w[p1..len) */
    size_t  p2;     /* R2 = w[p2..len) */
} stem_t;

/* a e i o u y (lower-case y only: a Y marks a consonant y) */
#define VOWEL_MASK ((1u << 0) | (1u << 4) | (1u << 8) | (1u << 14) | \
                    (1u << 20) | (1u << 24))

static inline int is_v(char c)
{
    unsigned d = (unsigned)(unsigned char)c - 'a';

    return d < 26 && ((VOWEL_MASK >> d) & 1u);
}

/* Short, variable-length comparisons: a plain loop beats a memcmp call. */
static inline int same(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

static inline int ends(const stem_t *st, const char *suf, size_t n)
{
    return st->len >= n && same(st->w + st->len - n, suf, n);
}

/* Replace the last n bytes by rep (rlen <= n). */
static inline void replace(stem_t *st, size_t n, const char *rep,
                           size_t rlen)
{
    size_t i;

    st->len -= n;
    for (i = 0; i < rlen; i++) {
        st->w[st->len++] = rep[i];
    }
}

/* Does w[0..end) end in a short syllable?  Either (a) non-vowel, vowel,
 * non-vowel other than w, x or Y; or (b) the word is vowel, non-vowel. */
static int short_syllable(const char *w, size_t end)
{
    if (end >= 3) {
        char c = w[end - 1];

        if (!is_v(c) && c != 'w' && c != 'x' && c != 'Y'
            && is_v(w[end - 2]) && !is_v(w[end - 3])) {
            return 1;
        }
        return 0;
    }
    return end == 2 && is_v(w[0]) && !is_v(w[1]);
}

/* ---- exceptional forms -------------------------------------------------- */

typedef struct exc_t {
    const char    *word;
    const char    *stem;
    unsigned char  wlen;
    unsigned char  slen;
} exc_t;

#define EXC(w, s) { w, s, sizeof(w) - 1, sizeof(s) - 1 }

static const exc_t exceptions1[] = {
    EXC("skis", "ski"),     EXC("skies", "sky"),    EXC("dying", "die"),
    EXC("lying", "lie"),    EXC("tying", "tie"),    EXC("idly", "idl"),
    EXC("gently", "gentl"), EXC("ugly", "ugli"),    EXC("early", "earli"),
    EXC("only", "onli"),    EXC("singly", "singl"), EXC("sky", "sky"),
    EXC("news", "news"),    EXC("howe", "howe"),    EXC("atlas", "atlas"),
    EXC("cosmos", "cosmos"), EXC("bias", "bias"),   EXC("andes", "andes"),
};

/* Invariant after Step 1a. */
static const exc_t exceptions2[] = {
    EXC("inning", ""),  EXC("outing", ""),  EXC("canning", ""),
    EXC("herring", ""), EXC("earring", ""), EXC("proceed", ""),
    EXC("exceed", ""),  EXC("succeed", ""),
};

/* ---- suffix rules ------------------------------------------------------- */

enum {
    COND_NONE = 0,
    COND_OGI,       /* Step 2 ogi: preceded by l */
    COND_LI,        /* Step 2 li: preceded by a valid li-ending */
    COND_R2,        /* Step 3 ative: in R2 as well */
    COND_ST         /* Step 4 ion: preceded by s or t */
};

typedef struct rule_t {
    char           suf[8];
    char           rep[5];
    unsigned char  slen;
    unsigned char  rlen;
    unsigned char  cond;
} rule_t;

#define RULE(s, r, c) { s, r, sizeof(s) - 1, sizeof(r) - 1, c }

/* Each table is ordered longest suffix first, so the first match is the
 * longest one, as the algorithm requires. */
static const rule_t step2_rules[] = {
    RULE("ational", "ate", COND_NONE),
    RULE("fulness", "ful", COND_NONE),
    RULE("iveness", "ive", COND_NONE),
    RULE("ization", "ize", COND_NONE),
    RULE("ousness", "ous", COND_NONE),
    RULE("biliti", "ble", COND_NONE),
    RULE("lessli", "less", COND_NONE),
    RULE("tional", "tion", COND_NONE),
    RULE("alism", "al", COND_NONE),
    RULE("aliti", "al", COND_NONE),
    RULE("ation", "ate", COND_NONE),
    RULE("entli", "ent", COND_NONE),
    RULE("fulli", "ful", COND_NONE),
    RULE("iviti", "ive", COND_NONE),
    RULE("ousli", "ous", COND_NONE),
    RULE("abli", "able", COND_NONE),
    RULE("alli", "al", COND_NONE),
    RULE("anci", "ance", COND_NONE),
    RULE("ator", "ate", COND_NONE),
    RULE("enci", "ence", COND_NONE),
    RULE("izer", "ize", COND_NONE),
    RULE("bli", "ble", COND_NONE),
    RULE("ogi", "og", COND_OGI),
    RULE("li", "", COND_LI),
};

static const rule_t step3_rules[] = {
    RULE("ational", "ate", COND_NONE),
    RULE("tional", "tion", COND_NONE),
    RULE("alize", "al", COND_NONE),
    RULE("icate", "ic", COND_NONE),
    RULE("iciti", "ic", COND_NONE),
    RULE("ative", "", COND_R2),
    RULE("ical", "ic", COND_NONE),
    RULE("ness", "", COND_NONE),
    RULE("ful", "", COND_NONE),
};

static const rule_t step4_rules[] = {
    RULE("ement", "", COND_NONE),
    RULE("ance", "", COND_NONE),
    RULE("ence", "", COND_NONE),
    RULE("able", "", COND_NONE),
    RULE("ible", "", COND_NONE),
    RULE("ment", "", COND_NONE),
    RULE("ant", "", COND_NONE),
    RULE("ent", "", COND_NONE),
    RULE("ism", "", COND_NONE),
    RULE("ate", "", COND_NONE),
    RULE("iti", "", COND_NONE),
    RULE("ous", "", COND_NONE),
    RULE("ive", "", COND_NONE),
    RULE("ize", "", COND_NONE),
    RULE("ion", "", COND_ST),
    RULE("al", "", COND_NONE),
    RULE("er", "", COND_NONE),
    RULE("ic", "", COND_NONE),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const rule_t *longest(const stem_t *st, const rule_t *rules, size_t n)
{
    char last;
    size_t i;

    if (st->len == 0) {
        return NULL;
    }
    last = st->w[st->len - 1];
    for (i = 0; i < n; i++) {
        const rule_t *r = &rules[i];

        if (r->suf[r->slen - 1] == last && ends(st, r->suf, r->slen)) {
            return r;
        }
    }
    return NULL;
}

static int valid_li(char c)
{
    switch (c) {
    case 'c': case 'd': case 'e': case 'g': case 'h':
    case 'k': case 'm': case 'n': case 'r': case 't':
        return 1;
    default:
        return 0;
    }
}

/* Apply the longest matching rule if its suffix lies in R1 (step 2, 3) or
 * R2 (step 4) and its condition holds. */
static void apply_rules(stem_t *st, const rule_t *rules, size_t n,
                        size_t region)
{
    const rule_t *r;
    size_t at;

    if (region + 2 > st->len) {
        return;                 /* no suffix (2 letters at least) fits */
    }
    r = longest(st, rules, n);
    if (!r) {
        return;
    }
    at = st->len - r->slen;
    if (at < region) {
        return;
    }
    switch (r->cond) {
    case COND_OGI:
        if (at == 0 || st->w[at - 1] != 'l') {
            return;
        }
        break;
    case COND_LI:
        if (at == 0 || !valid_li(st->w[at - 1])) {
            return;
        }
        break;
    case COND_R2:
        if (at < st->p2) {
            return;
        }
        break;
    case COND_ST:
        if (at == 0 || (st->w[at - 1] != 's' && st->w[at - 1] != 't')) {
            return;
        }
        break;
    default:
        break;
    }
    replace(st, r->slen, r->rep, r->rlen);
}

/* ---- regions ------------------------------------------------------------ */

/* Position after the first non-vowel that follows a vowel, from `from`;
 * len when there is none. */
static size_t region_after(const char *w, size_t len, size_t from)
{
    size_t i = from;

    while (i < len && !is_v(w[i])) {
        i++;
    }
    while (i < len && is_v(w[i])) {
        i++;
    }
    return i < len ? i + 1 : len;
}

static void mark_regions(stem_t *st)
{
    const char *w = st->w;
    size_t len = st->len;

    if (len >= 5 && (same(w, "gener", 5) || same(w, "arsen", 5))) {
        st->p1 = 5;
    }
    else if (len >= 6 && same(w, "commun", 6)) {
        st->p1 = 6;
    }
    else {
        st->p1 = region_after(w, len, 0);
    }
    st->p2 = region_after(w, len, st->p1);
}

/* ---- the steps ---------------------------------------------------------- */

/* Step 0: the longest of ' 's 's' goes. */
static void step0(stem_t *st)
{
    if (ends(st, "'s'", 3)) {
        st->len -= 3;
    }
    else if (ends(st, "'s", 2)) {
        st->len -= 2;
    }
    else if (ends(st, "'", 1)) {
        st->len -= 1;
    }
}

static void step1a(stem_t *st)
{
    size_t i;

    if (ends(st, "sses", 4)) {
        st->len -= 2;                           /* -> ss */
    }
    else if (ends(st, "ied", 3) || ends(st, "ies", 3)) {
        /* -> i after more than one letter, else -> ie */
        st->len -= st->len - 3 > 1 ? 2 : 1;
    }
    else if (ends(st, "us", 2) || ends(st, "ss", 2)) {
        /* unchanged */
    }
    else if (ends(st, "s", 1)) {
        /* delete if a vowel occurs before the letter preceding the s */
        for (i = 0; i + 2 < st->len; i++) {
            if (is_v(st->w[i])) {
                st->len--;
                break;
            }
        }
    }
}

/* bb dd ff gg mm nn pp rr tt lose their last letter after -ed/-ing. */
static int undouble(char c)
{
    switch (c) {
    case 'b': case 'd': case 'f': case 'g': case 'm':
    case 'n': case 'p': case 'r': case 't':
        return 1;
    default:
        return 0;
    }
}

static int has_vowel(const char *w, size_t end)
{
    size_t i;

    for (i = 0; i < end; i++) {
        if (is_v(w[i])) {
            return 1;
        }
    }
    return 0;
}

static void step1b(stem_t *st)
{
    size_t n;
    char *w = st->w;

    if (ends(st, "eedly", 5) || ends(st, "eed", 3)) {
        n = w[st->len - 1] == 'y' ? 5 : 3;
        if (st->len - n >= st->p1) {
            st->len -= n - 2;                   /* -> ee */
        }
        return;
    }
    if (ends(st, "ingly", 5) || ends(st, "edly", 4)) {
        n = w[st->len - 4] == 'e' ? 4 : 5;
    }
    else if (ends(st, "ing", 3)) {
        n = 3;
    }
    else if (ends(st, "ed", 2)) {
        n = 2;
    }
    else {
        return;
    }
    if (!has_vowel(w, st->len - n)) {
        return;
    }
    st->len -= n;
    if (ends(st, "at", 2) || ends(st, "bl", 2) || ends(st, "iz", 2)) {
        w[st->len++] = 'e';
    }
    else if (st->len >= 2 && w[st->len - 1] == w[st->len - 2]
             && undouble(w[st->len - 1])) {
        st->len--;
    }
    else if (st->p1 >= st->len && short_syllable(w, st->len)) {
        w[st->len++] = 'e';                     /* short word */
    }
}

/* Step 1c: a final y or Y after a non-vowel that is not the first letter
 * becomes i. */
static void step1c(stem_t *st)
{
    char *w = st->w;
    size_t n = st->len;

    if (n >= 3 && (w[n - 1] == 'y' || w[n - 1] == 'Y') && !is_v(w[n - 2])) {
        w[n - 1] = 'i';
    }
}

static void step5(stem_t *st)
{
    char *w = st->w;
    size_t n = st->len;

    if (n == 0) {
        return;
    }
    if (w[n - 1] == 'e') {
        if (n - 1 >= st->p2
            || (n - 1 >= st->p1 && !short_syllable(w, n - 1))) {
            st->len--;
        }
    }
    else if (w[n - 1] == 'l') {
        if (n - 1 >= st->p2 && n >= 2 && w[n - 2] == 'l') {
            st->len--;
        }
    }
}

static int is_exception(const exc_t *tab, size_t n, const char *w,
                        size_t len)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (tab[i].wlen == len && tab[i].word[0] == w[0]
            && same(tab[i].word, w, len)) {
            return (int)i;
        }
    }
    return -1;
}

size_t cc_stem_english(char *w, size_t len)
{
    stem_t st;
    size_t i;
    int x;

    if (!w) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];

        if ((c < 'a' || c > 'z') && c != '\'') {
            w[len] = '\0';                      /* not a plain word */
            return len;
        }
    }
    if (len >= 3 && len <= 6
        && (x = is_exception(exceptions1, NELEM(exceptions1), w, len)) >= 0) {
        memcpy(w, exceptions1[x].stem, exceptions1[x].slen);
        len = exceptions1[x].slen;
        w[len] = '\0';
        return len;
    }
    if (len <= 2) {
        w[len] = '\0';
        return len;
    }

    /* Prelude: drop an initial apostrophe; mark consonant y as Y. */
    if (w[0] == '\'') {
        memmove(w, w + 1, len - 1);
        len--;
    }
    if (len > 0 && w[0] == 'y') {
        w[0] = 'Y';
    }
    for (i = 1; i < len; i++) {
        if (w[i] == 'y' && is_v(w[i - 1])) {
            w[i] = 'Y';
        }
    }

    st.w = w;
    st.len = len;
    mark_regions(&st);

    step0(&st);
    step1a(&st);
    if (is_exception(exceptions2, NELEM(exceptions2), w, st.len) < 0) {
        step1b(&st);
        step1c(&st);
        apply_rules(&st, step2_rules, NELEM(step2_rules), st.p1);
        apply_rules(&st, step3_rules, NELEM(step3_rules), st.p1);
        apply_rules(&st, step4_rules, NELEM(step4_rules), st.p2);
        step5(&st);
    }

    /* Postlude: Y back to y. */
    for (i = 0; i < st.len; i++) {
        if (w[i] == 'Y') {
            w[i] = 'y';
        }
    }
    w[st.len] = '\0';
    return st.len;
}
