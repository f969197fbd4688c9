/*
 * cc_tok.c - the text normaliser: UTF-8 decoding, case and accent folding,
 * term segmentation and English stop words.  See cc_tok.h.
 *
 * No locale, no ctype for non-ASCII: our own UTF-8 decoder and static const
 * folding tables.  No mutable globals and no allocation in cc_tok_each (the
 * term is built in a stack buffer), so it is thread-safe and cheap enough
 * to run on every message and every indexed chunk.
 *
 * Character classes (after folding):
 *   letter    ASCII letters, folded Latin-1 / Latin Extended-A (to ASCII),
 *             Greek / Cyrillic (lower-cased, kept as UTF-8), and every other
 *             code point >= 0x80 not listed as a separator below
 *   digit     0-9 (and fullwidth digits, folded to ASCII)
 *   apos      ' U+2019 U+02BC: dropped between a letter/digit and a letter
 *   . ,       kept (as '.') between digits of a number; a ',' that separates
 *             thousands ("1,200") is dropped
 *   currency  $ £ ¥ €: start a term when a digit follows
 *   mark      combining diacritics: skipped inside a term (NFD "e\u0301")
 *   separator everything else: ASCII punctuation, controls and space,
 *             invalid UTF-8, U+0080-U+00BF (except £ ¥ and µ, a letter),
 *             × ÷, U+2000-U+206F, currency block, arrows/maths/box
 *             drawing/dingbats (U+2190-U+2BFF), U+2E00-U+2E7F,
 *             U+3000-U+303F, presentation forms, specials, private use,
 *             emoji (U+1F000-U+1FBFF), tags
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_tok.h"

enum {
    C_SEP = 0,
    C_ALPHA,        /* letter, output is ASCII a-z */
    C_LETTER,       /* letter, output is non-ASCII UTF-8 */
    C_DIGIT,
    C_APOS,
    C_DOT,
    C_COMMA,
    C_CUR,
    C_MARK
};

typedef struct tok_ch_t {
    unsigned      cls;
    unsigned      n;        /* input bytes consumed */
    unsigned      olen;     /* output bytes */
    unsigned char out[4];   /* folded output (UTF-8) */
} tok_ch_t;

/* ASCII: class; letters are folded separately. */
static const unsigned char ascii_cls[128] = {
    ['$'] = C_CUR, ['\''] = C_APOS, [','] = C_COMMA, ['.'] = C_DOT,
    ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT,
    ['4'] = C_DIGIT, ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT,
    ['8'] = C_DIGIT, ['9'] = C_DIGIT,
    ['A'] = C_ALPHA, ['B'] = C_ALPHA, ['C'] = C_ALPHA, ['D'] = C_ALPHA,
    ['E'] = C_ALPHA, ['F'] = C_ALPHA, ['G'] = C_ALPHA, ['H'] = C_ALPHA,
    ['I'] = C_ALPHA, ['J'] = C_ALPHA, ['K'] = C_ALPHA, ['L'] = C_ALPHA,
    ['M'] = C_ALPHA, ['N'] = C_ALPHA, ['O'] = C_ALPHA, ['P'] = C_ALPHA,
    ['Q'] = C_ALPHA, ['R'] = C_ALPHA, ['S'] = C_ALPHA, ['T'] = C_ALPHA,
    ['U'] = C_ALPHA, ['V'] = C_ALPHA, ['W'] = C_ALPHA, ['X'] = C_ALPHA,
    ['Y'] = C_ALPHA, ['Z'] = C_ALPHA,
    ['a'] = C_ALPHA, ['b'] = C_ALPHA, ['c'] = C_ALPHA, ['d'] = C_ALPHA,
    ['e'] = C_ALPHA, ['f'] = C_ALPHA, ['g'] = C_ALPHA, ['h'] = C_ALPHA,
    ['i'] = C_ALPHA, ['j'] = C_ALPHA, ['k'] = C_ALPHA, ['l'] = C_ALPHA,
    ['m'] = C_ALPHA, ['n'] = C_ALPHA, ['o'] = C_ALPHA, ['p'] = C_ALPHA,
    ['q'] = C_ALPHA, ['r'] = C_ALPHA, ['s'] = C_ALPHA, ['t'] = C_ALPHA,
    ['u'] = C_ALPHA, ['v'] = C_ALPHA, ['w'] = C_ALPHA, ['x'] = C_ALPHA,
    ['y'] = C_ALPHA, ['z'] = C_ALPHA,
};

/* U+00C0..U+017F folded to ASCII; "" = not a letter (× ÷). */
static const char latin_fold[0x180 - 0xC0][3] = {
    /* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* U+00C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", "",
    /* U+00D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* U+00E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "",
    /* U+00F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
    /* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c",
    /* U+0108 */ "c", "c", "c", "c", "c", "c", "d", "d",
    /* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e",
    /* U+0118 */ "e", "e", "e", "e", "g", "g", "g", "g",
    /* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h",
    /* U+0128 */ "i", "i", "i", "i", "i", "i", "i", "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k",
    /* U+0138 */ "k", "l", "l", "l", "l", "l", "l", "l",
    /* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n",
    /* U+0148 */ "n", "n", "n", "n", "o", "o", "o", "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r",
    /* U+0158 */ "r", "r", "s", "s", "s", "s", "s", "s",
    /* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t",
    /* U+0168 */ "u", "u", "u", "u", "u", "u", "u", "u",
    /* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y",
    /* U+0178 */ "y", "z", "z", "z", "z", "z", "z", "s",
};

/* Decode one UTF-8 sequence at s[0..avail) (avail >= 1).  Returns the
 * number of bytes (>= 1); *cp is the code point, or UINT32_MAX for an
 * invalid byte (then 1 is returned: the next byte is looked at afresh).
 * Rejects overlongs, surrogates, > U+10FFFF and truncated sequences. */
static inline unsigned utf8_decode(const unsigned char *s, size_t avail,
                                   uint32_t *cp)
{
    unsigned c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail >= 2 && (s[1] & 0xC0) == 0x80) {
            *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
            return 2;
        }
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        if (avail >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80
            && !(c == 0xE0 && s[1] < 0xA0)          /* overlong */
            && !(c == 0xED && s[1] >= 0xA0)) {      /* surrogate */
            *cp = ((uint32_t)(c & 0x0F) << 12)
                  | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
            return 3;
        }
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        if (avail >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80
            && (s[3] & 0xC0) == 0x80
            && !(c == 0xF0 && s[1] < 0x90)          /* overlong */
            && !(c == 0xF4 && s[1] >= 0x90)) {      /* > U+10FFFF */
            *cp = ((uint32_t)(c & 0x07) << 18)
                  | ((uint32_t)(s[1] & 0x3F) << 12)
                  | ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
            return 4;
        }
    }
    *cp = UINT32_MAX;
    return 1;
}

static inline unsigned utf8_encode(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static inline void ascii_ch(unsigned c, tok_ch_t *ch)
{
    ch->cls = ascii_cls[c];
    ch->out[0] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 0x20 : c);
    ch->olen = 1;
}

/* Not a letter: separators and symbols among the code points >= 0x80. */
static int cp_is_sep(uint32_t cp)
{
    if (cp < 0x2000) {
        return cp < 0xC0;                   /* C1 controls, U+00A0-U+00BF */
    }
    if (cp <= 0x206F                        /* general punctuation */
        || (cp >= 0x20A0 && cp <= 0x20CF)   /* currency symbols */
        || (cp >= 0x2190 && cp <= 0x2BFF)   /* arrows .. misc symbols */
        || (cp >= 0x2E00 && cp <= 0x2E7F)   /* supplemental punctuation */
        || (cp >= 0x3000 && cp <= 0x303F)   /* CJK symbols, punctuation */
        || (cp >= 0xE000 && cp <= 0xF8FF)   /* private use */
        || (cp >= 0xFE10 && cp <= 0xFE1F)   /* vertical forms */
        || (cp >= 0xFE30 && cp <= 0xFE6F)   /* CJK compat., small forms */
        || cp == 0xFEFF                     /* BOM */
        || (cp >= 0xFF00 && cp <= 0xFF65)   /* fullwidth punctuation */
        || (cp >= 0xFFF0 && cp <= 0xFFFF)) { /* specials */
        return 1;
    }
    return (cp >= 0x1F000 && cp <= 0x1FBFF)   /* emoji, symbols */
           || (cp >= 0xE0000 && cp <= 0xE007F) /* tags */
           || cp >= 0xF0000;                  /* private use planes */
}

static int cp_is_mark(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F)
           || (cp >= 0x1AB0 && cp <= 0x1AFF)
           || (cp >= 0x1DC0 && cp <= 0x1DFF)
           || (cp >= 0x20D0 && cp <= 0x20FF)
           || (cp >= 0xFE00 && cp <= 0xFE0F)   /* variation selectors */
           || (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* Classify a non-ASCII code point. */
static void cp_ch(uint32_t cp, tok_ch_t *ch)
{
    if (cp >= 0xC0 && cp < 0x180) {
        const char *f = latin_fold[cp - 0xC0];

        if (!f[0]) {
            ch->cls = C_SEP;
            return;
        }
        ch->cls = C_ALPHA;
        ch->out[0] = (unsigned char)f[0];
        ch->olen = 1;
        if (f[1]) {
            ch->out[1] = (unsigned char)f[1];
            ch->olen = 2;
        }
        return;
    }
    switch (cp) {
    case 0xA3:                  /* £ */
    case 0xA5:                  /* ¥ */
    case 0x20AC:                /* € */
        ch->cls = C_CUR;
        ch->olen = utf8_encode(cp, ch->out);
        return;
    case 0xB5:                  /* micro sign: the letter mu ("5µg") */
        cp = 0x3BC;
        break;
    case 0x2019:                /* right single quotation mark */
    case 0x02BC:                /* modifier letter apostrophe */
        ch->cls = C_APOS;
        return;
    case 0x03C2:                /* final sigma */
        cp = 0x03C3;
        break;
    default:
        break;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {     /* fullwidth ASCII */
        ascii_ch(cp - 0xFEE0, ch);
        return;
    }
    if (cp_is_sep(cp)) {
        ch->cls = C_SEP;
        return;
    }
    if (cp_is_mark(cp)) {
        ch->cls = C_MARK;
        return;
    }
    /* Greek and Cyrillic capitals to lower case. */
    if ((cp >= 0x0391 && cp <= 0x03A9) || (cp >= 0x0410 && cp <= 0x042F)) {
        cp += 0x20;
    }
    else if (cp >= 0x0400 && cp <= 0x040F) {
        cp += 0x50;
    }
    else if (cp == 0x0386) {
        cp = 0x03AC;
    }
    else if (cp >= 0x0388 && cp <= 0x038A) {
        cp += 0x25;
    }
    else if (cp == 0x038C) {
        cp = 0x03CC;
    }
    else if (cp == 0x038E || cp == 0x038F) {
        cp += 0x3F;
    }
    ch->cls = C_LETTER;
    ch->olen = utf8_encode(cp, ch->out);
}

/* Classify the character at s[i] (i < len). */
static inline void classify(const unsigned char *s, size_t len, size_t i,
                            tok_ch_t *ch)
{
    uint32_t cp;

    if (s[i] < 0x80) {
        ch->n = 1;
        ascii_ch(s[i], ch);
        return;
    }
    ch->n = utf8_decode(s + i, len - i, &cp);
    if (cp == UINT32_MAX) {
        ch->cls = C_SEP;
        return;
    }
    cp_ch(cp, ch);
}

/* Class of the character at s[i], C_SEP at the end of input. */
static inline unsigned class_at(const unsigned char *s, size_t len, size_t i,
                                tok_ch_t *ch)
{
    if (i >= len) {
        ch->cls = C_SEP;
        ch->n = 0;
        return C_SEP;
    }
    classify(s, len, i, ch);
    return ch->cls;
}

static inline int is_word(unsigned cls)
{
    return cls == C_ALPHA || cls == C_LETTER || cls == C_DIGIT;
}

/* Exactly three digits at s[i..] and no fourth: a thousands group. */
static int thousands_at(const unsigned char *s, size_t len, size_t i)
{
    tok_ch_t ch;
    int k;

    for (k = 0; k < 3; k++) {
        if (class_at(s, len, i, &ch) != C_DIGIT) {
            return 0;
        }
        i += ch.n;
    }
    return class_at(s, len, i, &ch) != C_DIGIT;
}

uint32_t cc_tok_each(const char *text, size_t len, int flags,
                     cc_tok_fn *fn, void *baton)
{
    const unsigned char *s = (const unsigned char *)text;
    char term[CC_TOK_MAX + 8];
    uint32_t pos = 0, emitted = 0;
    size_t i = 0;

    if (!s) {
        return 0;
    }
    while (i < len) {
        tok_ch_t ch, nx;
        size_t start, tlen = 0;
        int ascii = 1;      /* every byte of the term is a-z */
        int numeric;        /* [currency] digits [. digits] so far */
        int full = 0;       /* truncated: append nothing more */
        int has_dot = 0, thou = 0;
        unsigned ndig = 0, prev = C_SEP;
        uint32_t p;

        /* ASCII separators are the common case between terms. */
        if (s[i] < 0x80 && ascii_cls[s[i]] == C_SEP) {
            i++;
            continue;
        }
        classify(s, len, i, &ch);
        if (ch.cls == C_CUR) {
            if (class_at(s, len, i + ch.n, &nx) != C_DIGIT) {
                i += ch.n;
                continue;
            }
            start = i;
            memcpy(term, ch.out, ch.olen);
            tlen = ch.olen;
            ascii = 0;
            numeric = 1;
            prev = C_CUR;
            i += ch.n;
            ch = nx;
        }
        else if (is_word(ch.cls)) {
            start = i;
            numeric = ch.cls == C_DIGIT;
        }
        else {
            i += ch.n;
            continue;
        }

        /* ch is classified and sits at i (< len). */
        for (;;) {
            unsigned step = ch.n;

            if (is_word(ch.cls)) {
                if (!full) {
                    if (tlen + ch.olen <= CC_TOK_MAX) {
                        /* fixed-size copy: term has slack past CC_TOK_MAX */
                        memcpy(term + tlen, ch.out, sizeof(ch.out));
                        tlen += ch.olen;
                    }
                    else {
                        full = 1;
                    }
                }
                if (ch.cls == C_DIGIT) {
                    ndig++;
                    ascii = 0;
                }
                else {
                    numeric = 0;
                    if (ch.cls == C_LETTER) {
                        ascii = 0;
                    }
                }
                prev = ch.cls;
            }
            else if (ch.cls == C_MARK) {
                /* combining mark on the previous letter: skipped */
            }
            else if (ch.cls == C_APOS && prev != C_CUR
                     && (class_at(s, len, i + step, &nx) == C_ALPHA
                         || nx.cls == C_LETTER)) {
                i += step;          /* dropped: "don't" -> "dont" */
                ch = nx;
                continue;
            }
            else if ((ch.cls == C_DOT || ch.cls == C_COMMA) && numeric
                     && prev == C_DIGIT && !has_dot
                     && class_at(s, len, i + step, &nx) == C_DIGIT) {
                if (ch.cls == C_COMMA && ndig >= 1 && ndig <= 3
                    && thousands_at(s, len, i + step)) {
                    thou = 1;       /* "1,200" -> "1200" */
                }
                else if (ch.cls == C_COMMA && thou) {
                    break;
                }
                else {
                    if (!full) {
                        if (tlen < CC_TOK_MAX) {
                            term[tlen++] = '.';
                        }
                        else {
                            full = 1;
                        }
                    }
                    has_dot = 1;
                }
                ndig = 0;
                i += step;
                ch = nx;
                continue;
            }
            else {
                break;
            }
            i += step;
            if (i >= len) {
                break;
            }
            classify(s, len, i, &ch);
        }

        term[tlen] = '\0';
        p = pos++;
        if ((flags & CC_TOK_NOSTOP) && ascii && cc_tok_stopword(term, tlen)) {
            continue;
        }
        if ((flags & CC_TOK_STEM) && ascii) {
            tlen = cc_stem_english(term, tlen);
        }
        emitted++;
        if (fn && fn(baton, term, tlen, p, start, i)) {
            break;
        }
    }
    return emitted;
}

typedef struct terms_ctx_t {
    apr_pool_t          *p;
    apr_array_header_t  *arr;
} terms_ctx_t;

static int push_term(void *baton, const char *term, size_t len, uint32_t pos,
                     size_t start, size_t end)
{
    terms_ctx_t *ctx = baton;

    APR_ARRAY_PUSH(ctx->arr, char *) = apr_pstrmemdup(ctx->p, term, len);
    return 0;
}

apr_array_header_t *cc_tok_terms(apr_pool_t *p, const char *text, size_t len,
                                 int flags)
{
    terms_ctx_t ctx;

    if (!p) {
        return NULL;
    }
    ctx.p = p;
    ctx.arr = apr_array_make(p, 16, sizeof(char *));
    cc_tok_each(text, len, flags, push_term, &ctx);
    return ctx.arr;
}

/* ---- stop words --------------------------------------------------------- */

/* English stop words, grouped by length; within a group every word takes
 * exactly that many bytes and the group is sorted, so a lookup is a binary
 * search over fixed-width keys.  Deliberately absent: negations (no, not,
 * nor, never, none, without, dont, cant, ...), time and order (before,
 * after, during, while, until, once, again, over, under, between, am),
 * "only", "may" (the month), "us", "must", "ill". */
static const char stop1[] = "a" "i";
static const char stop2[] =
    "an" "as" "at" "be" "by" "do" "he" "if" "im" "in" "is" "it" "me" "my"
    "of" "on" "or" "so" "to" "we";
static const char stop3[] =
    "all" "and" "any" "are" "but" "can" "did" "for" "had" "has" "her" "hes"
    "him" "his" "how" "its" "ive" "our" "own" "she" "the" "too" "was" "who"
    "why" "you";
static const char stop4[] =
    "also" "been" "both" "does" "each" "from" "have" "here" "hers" "into"
    "just" "lets" "more" "most" "ours" "same" "shes" "some" "such" "than"
    "that" "them" "then" "they" "this" "very" "were" "weve" "what" "when"
    "whom" "will" "with" "youd" "your";
static const char stop5[] =
    "about" "being" "could" "doing" "might" "other" "shall" "thats" "their"
    "there" "these" "theyd" "those" "whats" "where" "which" "whose" "would"
    "youll" "youre" "yours" "youve";
static const char stop6[] =
    "having" "itself" "myself" "should" "theirs" "theres" "theyll"
    "theyre" "theyve";
static const char stop7[] =
    "because" "herself" "himself" "through";
static const char stop8[] = "yourself";
static const char stop9[] = "ourselves";
static const char stop10[] = "themselves" "yourselves";

typedef struct stop_group_t {
    const char *words;
    size_t      n;          /* number of words */
} stop_group_t;

#define GROUP(a, len) { a, (sizeof(a) - 1) / (len) }

static const stop_group_t stop_groups[11] = {
    { "", 0 },
    GROUP(stop1, 1), GROUP(stop2, 2), GROUP(stop3, 3), GROUP(stop4, 4),
    GROUP(stop5, 5), GROUP(stop6, 6), GROUP(stop7, 7), GROUP(stop8, 8),
    GROUP(stop9, 9), GROUP(stop10, 10),
};

int cc_tok_stopword(const char *w, size_t len)
{
    const stop_group_t *g;
    size_t lo, hi;

    if (!w || len == 0 || len > 10) {
        return 0;
    }
    g = &stop_groups[len];
    lo = 0;
    hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, k;
        const char *sw = g->words + mid * len;
        int c = 0;

        for (k = 0; k < len; k++) {
            if (w[k] != sw[k]) {
                c = (unsigned char)w[k] < (unsigned char)sw[k] ? -1 : 1;
                break;
            }
        }
        if (c == 0) {
            return 1;
        }
        if (c < 0) {
            hi = mid;
        }
        else {
            lo = mid + 1;
        }
    }
    return 0;
}
