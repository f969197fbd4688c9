/*
 * cc_sent.c - sentence splitting, cleaning and sentence tables (the rules
 * are in cc_sent.h).
 *
 * Everything here treats its input as hostile: text comes from the
 * knowledge base or from an LLM.  All scans are bounded and linear (a
 * citation group is at most CC_CITE_MAX bytes, an abbreviation look-back at
 * most a few bytes), nothing reads past the given length, and no function
 * keeps state between calls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_bytes.h"
#include "cc_cite.h"
#include "cc_sent.h"
#include "cc_tok.h"

#define CC_TOKF        (CC_TOK_STEM | CC_TOK_NOSTOP)
#define CC_ST_FACTS    (CC_SENT_PRICE | CC_SENT_HOURS | CC_SENT_WHERE)
#define CC_ST_FLAGS    (CC_SENT_HEADING | CC_SENT_ANY | CC_ST_FACTS)

/* ---- small helpers ------------------------------------------------------ */

static int cc_is_hspace(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static unsigned char cc_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ---- sentence splitting ------------------------------------------------- */

/* Markdown markup at a line start t[0..n) (indentation already skipped);
 * *mlen is the marker's length, the space after a list marker included. */
static int cc_line_kind(const char *t, size_t n, size_t *mlen)
{
    size_t k = 0;

    *mlen = 0;
    if (n == 0) {
        return CC_LINE_PLAIN;
    }
    if ((t[0] == '-' || t[0] == '*' || t[0] == '+') && n > 1
        && (t[1] == ' ' || t[1] == '\t')) {
        *mlen = 2;
        return CC_LINE_ITEM;
    }
    if (cc_is_digit((unsigned char)t[0])) {
        while (k < n && k < 9 && cc_is_digit((unsigned char)t[k])) {
            k++;
        }
        if (k + 1 < n && (t[k] == '.' || t[k] == ')')
            && (t[k + 1] == ' ' || t[k + 1] == '\t')) {
            *mlen = k + 2;
            return CC_LINE_ITEM;
        }
        return CC_LINE_PLAIN;
    }
    if (t[0] == '#') {
        while (k < n && k < 6 && t[k] == '#') {
            k++;
        }
        if (k == n || cc_is_space((unsigned char)t[k])) {
            *mlen = k;
            return CC_LINE_HEAD;
        }
        return CC_LINE_PLAIN;
    }
    if (t[0] == '|') {
        *mlen = 1;
        return CC_LINE_TABLE;
    }
    if (t[0] == '>') {
        *mlen = 1;
        return CC_LINE_QUOTE;
    }
    return CC_LINE_PLAIN;
}

/* Is the '.' at t[dot] the end of an abbreviation rather than a sentence?
 * The word is read back to white space or an opening bracket/quote, but
 * never before from and never more than a few bytes. */
static int cc_abbrev(const char *t, size_t from, size_t dot)
{
    static const char *const abbr[] = {
        "e.g", "eg", "i.e", "ie", "dr", "mr", "mrs", "ms", "prof", "approx",
        "etc", "vs", "st", "a.m", "p.m", "cf", "incl", "tel", "jr", "sr",
        NULL
    };
    char w[12];
    size_t b = dot;
    size_t n;
    size_t k;

    while (b > from && dot - b < sizeof(w)) {
        unsigned char c = (unsigned char)t[b - 1];

        if (cc_is_space(c) || c == '(' || c == '[' || c == '"' || c == '\'') {
            break;
        }
        b--;
    }
    n = dot - b;
    if (n == 0 || n >= sizeof(w)) {
        return 0;
    }
    if (n == 1 && t[b] >= 'A' && t[b] <= 'Z') {
        return 1;       /* an initial: "J. Smith" */
    }
    for (k = 0; k < n; k++) {
        w[k] = (char)cc_lower((unsigned char)t[b + k]);
    }
    w[n] = '\0';
    for (k = 0; abbr[k]; k++) {
        if (strcmp(w, abbr[k]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Closing quotes and brackets after a terminator: '"', '\'', ')', ']',
 * '*', '_' and the UTF-8 right quotes U+2019 and U+201D. */
static size_t cc_skip_closers(const char *t, size_t k, size_t len)
{
    while (k < len) {
        unsigned char c = (unsigned char)t[k];

        if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '*'
            || c == '_') {
            k++;
        }
        else if (c == 0xe2 && k + 2 < len && (unsigned char)t[k + 1] == 0x80
                 && ((unsigned char)t[k + 2] == 0x99
                     || (unsigned char)t[k + 2] == 0x9d)) {
            k += 3;
        }
        else {
            break;
        }
    }
    return k;
}

/* Citation groups (and a terminator after them) that follow a sentence's
 * end on the same line: "Open at 9. [S1]" -> the group joins the sentence. */
static size_t cc_absorb_cites(const char *t, size_t end, size_t len)
{
    size_t q = end;
    int any = 0;

    for (;;) {
        size_t r = q;
        size_t n;

        while (r < len && (t[r] == ' ' || t[r] == '\t')) {
            r++;
        }
        if (r < len && t[r] == '[' && (n = cc_cite_len(t + r, len - r)) > 0) {
            q = r + n;
            any = 1;
        }
        else {
            break;
        }
    }
    if (!any) {
        return end;
    }
    while (q < len && cc_sent_is_end((unsigned char)t[q])) {
        q++;
    }
    return q;
}

static void cc_sent_push(apr_array_header_t *out, const char *t, size_t s,
                         size_t e, int para, int heading)
{
    cc_sent_t *st;

    while (e > s && cc_is_space((unsigned char)t[e - 1])) {
        e--;
    }
    if (e <= s) {
        return;
    }
    st = apr_array_push(out);
    st->s = s;
    st->e = e;
    st->para = para;
    st->heading = heading;
}

apr_array_header_t *cc_sent_split(apr_pool_t *p, const char *t,
                                  size_t len, int cites)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(cc_sent_t));
    size_t i = 0;
    size_t start = 0;
    int open = 0;
    int para = 0;
    int heading = 0;
    int line_only = 0;

    while (i < len) {
        unsigned char c;

        if (i == 0 || t[i - 1] == '\n') {
            size_t j = i;
            size_t mlen;
            int kind;

            while (j < len && cc_is_hspace((unsigned char)t[j])) {
                j++;
            }
            if (j >= len || t[j] == '\n') {         /* blank line */
                if (open) {
                    cc_sent_push(out, t, start, i, para, heading);
                }
                open = heading = line_only = 0;
                para++;
                i = j < len ? j + 1 : len;
                continue;
            }
            kind = cc_line_kind(t + j, len - j, &mlen);
            if (kind == CC_LINE_ITEM || kind == CC_LINE_HEAD
                || kind == CC_LINE_TABLE) {
                if (open) {
                    cc_sent_push(out, t, start, i, para, heading);
                }
                open = 1;
                start = j;
                heading = kind == CC_LINE_HEAD;
                line_only = kind != CC_LINE_ITEM;
                i = j + mlen;
                continue;
            }
            heading = line_only = 0;
        }
        c = (unsigned char)t[i];
        if (c == '\n' && line_only) {
            if (open) {
                cc_sent_push(out, t, start, i, para, heading);
            }
            open = heading = line_only = 0;
            i++;
            continue;
        }
        if (!open && !cc_is_space(c)) {
            open = 1;
            start = i;
        }
        if (cc_sent_is_end(c)) {
            size_t k = i;

            while (k < len && cc_sent_is_end((unsigned char)t[k])) {
                k++;
            }
            k = cc_skip_closers(t, k, len);
            if (k >= len || cc_is_space((unsigned char)t[k])) {
                size_t end = k;

                if (c == '.' && k == i + 1 && cc_abbrev(t, start, i)) {
                    i = k;
                    continue;
                }
                if (cites) {
                    end = cc_absorb_cites(t, end, len);
                }
                cc_sent_push(out, t, start, end, para, heading);
                open = 0;
                i = end;
                continue;
            }
            i = k;
            continue;
        }
        i++;
    }
    if (open) {
        cc_sent_push(out, t, start, len, para, heading);
    }
    return out;
}

char *cc_sent_clean(apr_pool_t *p, const char *t, size_t s, size_t e,
                    size_t *outlen)
{
    char *out = apr_palloc(p, e - s + 1);
    size_t o = 0;
    size_t i = s;
    int table = 0;
    int round;
    int space = 0;

    for (round = 0; round < 4; round++) {
        size_t mlen;
        int kind;

        while (i < e && cc_is_space((unsigned char)t[i])) {
            i++;
        }
        kind = cc_line_kind(t + i, e - i, &mlen);
        if (kind == CC_LINE_PLAIN) {
            break;
        }
        table |= kind == CC_LINE_TABLE;
        i += mlen;
    }
    while (e > i && (cc_is_space((unsigned char)t[e - 1])
                     || (table && t[e - 1] == '|'))) {
        e--;
    }
    for (; i < e; i++) {
        unsigned char c = (unsigned char)t[i];

        if (c < 0x20 || c == 0x7f) {
            if (c == '\n') {
                /* a wrapped line inside a quote: drop its '>' */
                size_t j = i + 1;

                while (j < e && cc_is_hspace((unsigned char)t[j])) {
                    j++;
                }
                if (j < e && t[j] == '>') {
                    i = j;
                }
            }
            space = 1;
            continue;
        }
        if (c == ' ') {
            space = 1;
            continue;
        }
        if (space && o > 0) {
            out[o++] = ' ';
        }
        space = 0;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}


int cc_sent_line_kind(const char *t, size_t n, size_t *mlen)
{
    return cc_line_kind(t, n, mlen);
}


/* ---- sentence tables ---------------------------------------------------- */

/* A growable malloc'd array of term hashes; oom sticks. */
typedef struct cc_hashes_t {
    uint64_t *v;
    size_t    n;
    size_t    cap;
    int       oom;
} cc_hashes_t;

static int cc_hashes_cb(void *baton, const char *term, size_t len,
                        uint32_t pos, size_t start, size_t end)
{
    cc_hashes_t *h = baton;

    if (len == 0 || h->oom) {
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        uint64_t *v;

        if (cap > SIZE_MAX / sizeof(*v)) {
            h->oom = 1;
            return 1;
        }
        v = realloc(h->v, cap * sizeof(*v));
        if (!v) {
            h->oom = 1;
            return 1;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = cc_fnv1a64(term, len);
    return 0;
}

static int cc_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Sort v[0..n) and drop repeats; returns the new count. */
static size_t cc_sort_unique(uint64_t *v, size_t n)
{
    size_t i, u;

    if (n < 2) {
        return n;
    }
    if (n <= 16) {
        for (i = 1; i < n; i++) {
            uint64_t x = v[i];
            size_t j = i;

            while (j > 0 && v[j - 1] > x) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
    }
    else {
        qsort(v, n, sizeof(*v), cc_cmp_u64);
    }
    for (i = 1, u = 1; i < n; i++) {
        if (v[i] != v[u - 1]) {
            v[u++] = v[i];
        }
    }
    return u;
}

static int cc_any_term_cb(void *baton, const char *term, size_t len,
                          uint32_t pos, size_t start, size_t end)
{
    *(int *)baton = 1;
    return 1;
}

int cc_sent_any_term(const char *t, size_t len)
{
    int any = 0;

    cc_tok_each(t, len, 0, cc_any_term_cb, &any);
    return any;
}

/* The sentence table of text[0..len): scratch in tmp, the blob in p (the
 * two may be the same pool). */
static apr_status_t cc_sents_make(const void **blob, size_t *blen,
                                  apr_pool_t *p, apr_pool_t *tmp,
                                  const char *text, size_t len)
{
    apr_array_header_t *sents;
    cc_hashes_t terms = { NULL, 0, 0, 0 };
    unsigned char *recs;
    unsigned char *out;
    uint64_t total;
    int k;

    *blob = NULL;
    *blen = 0;
    if (!text) {
        len = 0;
    }
    if (len > UINT32_MAX) {
        return APR_EINVAL;
    }
    sents = len ? cc_sent_split(tmp, text, len, 0)
                : apr_array_make(tmp, 1, sizeof(cc_sent_t));
    recs = apr_palloc(tmp, (size_t)CC_SENTS_REC * (size_t)(sents->nelts + 1));
    for (k = 0; k < sents->nelts; k++) {
        const cc_sent_t *st = &APR_ARRAY_IDX(sents, k, cc_sent_t);
        unsigned char *r = recs + (size_t)k * CC_SENTS_REC;
        size_t first = terms.n;
        uint32_t flags = 0;

        if (st->heading) {
            flags = CC_SENT_HEADING;
        }
        else {
            size_t clen;
            char *ctext = cc_sent_clean(tmp, text, st->s, st->e, &clen);
            int any = cc_tok_each(ctext, clen, CC_TOKF, cc_hashes_cb,
                                  &terms) > 0;

            if (!any) {
                any = cc_sent_any_term(ctext, clen);
            }
            if (any) {
                flags = CC_SENT_ANY
                        | (cc_sent_facts(text, st->s, st->e)
                           << CC_SENT_FACT_SHIFT);
            }
            if (terms.oom) {
                break;
            }
            terms.n = first + cc_sort_unique(terms.v + first,
                                             terms.n - first);
        }
        cc_st32(r + 0, (uint32_t)st->s);
        cc_st32(r + 4, (uint32_t)st->e);
        cc_st32(r + 8, (uint32_t)(terms.n - first));
        cc_st32(r + 12, flags);
    }
    if (terms.oom || terms.n > UINT32_MAX) {
        free(terms.v);
        return APR_ENOMEM;
    }
    total = CC_SENTS_HDR + (uint64_t)sents->nelts * CC_SENTS_REC
            + (uint64_t)terms.n * 8u;
    out = apr_palloc(p, (apr_size_t)total);
    if (!out) {
        free(terms.v);
        return APR_ENOMEM;
    }
    cc_st32(out + 0, CC_SENTS_MAGIC);
    cc_st32(out + 4, (uint32_t)sents->nelts);
    cc_st32(out + 8, (uint32_t)terms.n);
    cc_st32(out + 12, (uint32_t)len);
    if (sents->nelts > 0) {
        memcpy(out + CC_SENTS_HDR, recs, (size_t)sents->nelts * CC_SENTS_REC);
    }
    if (terms.n > 0) {
        memcpy(out + CC_SENTS_HDR + (size_t)sents->nelts * CC_SENTS_REC,
               terms.v, terms.n * 8u);
    }
    free(terms.v);
    *blob = out;
    *blen = (size_t)total;
    return APR_SUCCESS;
}

apr_status_t cc_sent_analyse(const void **blob, size_t *blen, apr_pool_t *p,
                             const char *text, size_t len)
{
    apr_pool_t *tmp = NULL;
    apr_status_t rv;

    if (!blob || !blen) {
        return APR_EINVAL;
    }
    *blob = NULL;
    *blen = 0;
    if (!p) {
        return APR_EINVAL;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    rv = cc_sents_make(blob, blen, p, tmp, text, len);
    apr_pool_destroy(tmp);
    return rv;
}

int cc_sent_check(const void *blob, size_t blen, size_t text_len)
{
    const unsigned char *b = blob;
    const unsigned char *r;
    const unsigned char *h;
    uint32_t nsent, nterms, k, used = 0, prev_end = 0;

    if (!b || blen < CC_SENTS_HDR || text_len > UINT32_MAX) {
        return -1;
    }
    nsent = cc_ld32(b + 4);
    nterms = cc_ld32(b + 8);
    if (cc_ld32(b) != CC_SENTS_MAGIC || cc_ld32(b + 12) != text_len
        || nsent > text_len
        || (uint64_t)blen != CC_SENTS_HDR + (uint64_t)nsent * CC_SENTS_REC
                             + (uint64_t)nterms * 8u) {
        return -1;
    }
    r = b + CC_SENTS_HDR;
    h = r + (size_t)nsent * CC_SENTS_REC;
    for (k = 0; k < nsent; k++, r += CC_SENTS_REC) {
        uint32_t s = cc_ld32(r), e = cc_ld32(r + 4);
        uint32_t cnt = cc_ld32(r + 8), fl = cc_ld32(r + 12), j;

        if (s < prev_end || s >= e || e > text_len || (fl & ~CC_ST_FLAGS)
            || cnt > nterms - used
            || ((fl & CC_SENT_HEADING) && fl != CC_SENT_HEADING)
            || (!(fl & CC_SENT_ANY) && (cnt != 0 || (fl & CC_ST_FACTS)))) {
            return -1;
        }
        for (j = 1; j < cnt; j++) {
            if (cc_ld64(h + (size_t)(used + j) * 8u)
                <= cc_ld64(h + (size_t)(used + j - 1) * 8u)) {
                return -1;
            }
        }
        used += cnt;
        prev_end = e;
    }
    return used == nterms ? 0 : -1;
}


/* ---- kinds of fact: asked by a question, carried by a sentence ---------- */

typedef struct cc_word_t {
    const char *w;
    unsigned    f;
} cc_word_t;

/* The flags of w (NUL-terminated) in the table v[0..n) sorted by strcmp,
 * 0 if absent. */
static unsigned cc_word_find(const cc_word_t *v, size_t n, const char *w)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w, v[mid].w);

        if (c == 0) {
            return v[mid].f;
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

/* Cue words of questions, folded as cc_tok folds them (lower case, accents
 * removed), not stemmed; English, Spanish, French, German.  CC_CUE_DAY:
 * day names, a cue in a short question only ("Saturday?", "Saturday
 * appointments?", not "make-up on Thursday"); CC_CUE_WEAK: "hours",
 * "time", ..., not a cue after "how long" / "how many"; the others read
 * phrases ("how much", "wie viel", "what time", "how do I get"). */
#define CC_CUE_PRICE     0x0001u
#define CC_CUE_HOURS     0x0002u
#define CC_CUE_WHERE     0x0004u
#define CC_CUE_DAY       0x0008u
#define CC_CUE_WEAK      0x0010u
#define CC_CUE_HOW       0x0020u
#define CC_CUE_MUCH      0x0040u
#define CC_CUE_LONG      0x0080u
#define CC_CUE_WHAT      0x0100u
#define CC_CUE_WIE       0x0200u
#define CC_CUE_VIEL      0x0400u
#define CC_CUE_QUE       0x0800u
#define CC_CUE_TIME      0x1000u
#define CC_CUE_GET       0x2000u
#define CC_CUE_DURATION  0x4000u
#define CC_CUE_KINDS     (CC_CUE_PRICE | CC_CUE_HOURS | CC_CUE_WHERE \
                          | CC_CUE_WEAK)

/* Sorted by strcmp (binary search). */
static const cc_word_t cc_cues[] = {
    { "abierto", CC_CUE_HOURS }, { "abiertos", CC_CUE_HOURS },
    { "abre", CC_CUE_HOURS }, { "abren", CC_CUE_HOURS },
    { "address", CC_CUE_WHERE }, { "adresse", CC_CUE_WHERE },
    { "afford", CC_CUE_PRICE }, { "anfahrt", CC_CUE_WHERE },
    { "aparcamiento", CC_CUE_WHERE }, { "aparcar", CC_CUE_WHERE },
    { "charge", CC_CUE_PRICE }, { "charged", CC_CUE_PRICE },
    { "charges", CC_CUE_PRICE }, { "cheap", CC_CUE_PRICE },
    { "cheaper", CC_CUE_PRICE }, { "cheapest", CC_CUE_PRICE },
    { "cierra", CC_CUE_HOURS }, { "cierran", CC_CUE_HOURS },
    { "close", CC_CUE_HOURS }, { "closed", CC_CUE_HOURS },
    { "closes", CC_CUE_HOURS }, { "closing", CC_CUE_HOURS },
    { "combien", CC_CUE_PRICE }, { "cost", CC_CUE_PRICE },
    { "coste", CC_CUE_PRICE }, { "costing", CC_CUE_PRICE },
    { "costo", CC_CUE_PRICE }, { "costs", CC_CUE_PRICE },
    { "cout", CC_CUE_PRICE }, { "coute", CC_CUE_PRICE },
    { "coutent", CC_CUE_PRICE }, { "cuanta", CC_CUE_PRICE },
    { "cuantas", CC_CUE_DURATION }, { "cuanto", CC_CUE_PRICE },
    { "cuantos", CC_CUE_PRICE }, { "cuesta", CC_CUE_PRICE },
    { "cuestan", CC_CUE_PRICE }, { "dienstag", CC_CUE_DAY },
    { "dimanche", CC_CUE_DAY }, { "direccion", CC_CUE_WHERE },
    { "direction", CC_CUE_WHERE }, { "directions", CC_CUE_WHERE },
    { "domingo", CC_CUE_DAY }, { "domingos", CC_CUE_DAY },
    { "donde", CC_CUE_WHERE }, { "donnerstag", CC_CUE_DAY },
    { "expensive", CC_CUE_PRICE }, { "fee", CC_CUE_PRICE },
    { "fees", CC_CUE_PRICE }, { "ferme", CC_CUE_HOURS },
    { "fermez", CC_CUE_HOURS }, { "find", CC_CUE_WHERE },
    { "freitag", CC_CUE_DAY }, { "friday", CC_CUE_DAY },
    { "fridays", CC_CUE_DAY }, { "garer", CC_CUE_WHERE },
    { "gebuhr", CC_CUE_PRICE }, { "gebuhren", CC_CUE_PRICE },
    { "geoffnet", CC_CUE_HOURS }, { "get", CC_CUE_GET },
    { "heure", CC_CUE_WEAK }, { "heures", CC_CUE_WEAK },
    { "hora", CC_CUE_WEAK | CC_CUE_TIME }, { "horaire", CC_CUE_HOURS },
    { "horaires", CC_CUE_HOURS }, { "horario", CC_CUE_HOURS },
    { "horarios", CC_CUE_HOURS }, { "horas", CC_CUE_WEAK },
    { "hour", CC_CUE_WEAK }, { "hours", CC_CUE_WEAK }, { "how", CC_CUE_HOW },
    { "jeudi", CC_CUE_DAY }, { "jueves", CC_CUE_DAY },
    { "kosten", CC_CUE_PRICE }, { "kostet", CC_CUE_PRICE },
    { "lange", CC_CUE_DURATION }, { "liegt", CC_CUE_WHERE },
    { "llegar", CC_CUE_WHERE }, { "located", CC_CUE_WHERE },
    { "location", CC_CUE_WHERE }, { "long", CC_CUE_LONG },
    { "lundi", CC_CUE_DAY }, { "lunes", CC_CUE_DAY }, { "many", CC_CUE_LONG },
    { "mardi", CC_CUE_DAY }, { "martes", CC_CUE_DAY },
    { "mercredi", CC_CUE_DAY }, { "miercoles", CC_CUE_DAY },
    { "mittwoch", CC_CUE_DAY }, { "monday", CC_CUE_DAY },
    { "mondays", CC_CUE_DAY }, { "montag", CC_CUE_DAY },
    { "much", CC_CUE_MUCH }, { "offen", CC_CUE_HOURS },
    { "offnet", CC_CUE_HOURS }, { "offnungszeiten", CC_CUE_HOURS },
    { "open", CC_CUE_HOURS }, { "opening", CC_CUE_HOURS },
    { "opens", CC_CUE_HOURS }, { "ou", CC_CUE_WHERE },
    { "ouvert", CC_CUE_HOURS }, { "ouverte", CC_CUE_HOURS },
    { "ouverts", CC_CUE_HOURS }, { "ouvre", CC_CUE_HOURS },
    { "ouvrez", CC_CUE_HOURS }, { "park", CC_CUE_WHERE },
    { "parken", CC_CUE_WHERE }, { "parking", CC_CUE_WHERE },
    { "parkplatz", CC_CUE_WHERE }, { "postcode", CC_CUE_WHERE },
    { "precio", CC_CUE_PRICE }, { "precios", CC_CUE_PRICE },
    { "preis", CC_CUE_PRICE }, { "preise", CC_CUE_PRICE },
    { "price", CC_CUE_PRICE }, { "priced", CC_CUE_PRICE },
    { "prices", CC_CUE_PRICE }, { "pricing", CC_CUE_PRICE },
    { "prix", CC_CUE_PRICE }, { "que", CC_CUE_QUE }, { "quelle", CC_CUE_QUE },
    { "reach", CC_CUE_GET }, { "sabado", CC_CUE_DAY },
    { "sabados", CC_CUE_DAY }, { "samedi", CC_CUE_DAY },
    { "samstag", CC_CUE_DAY }, { "saturday", CC_CUE_DAY },
    { "saturdays", CC_CUE_DAY }, { "situe", CC_CUE_WHERE },
    { "situee", CC_CUE_WHERE }, { "sonntag", CC_CUE_DAY },
    { "stationnement", CC_CUE_WHERE }, { "sunday", CC_CUE_DAY },
    { "sundays", CC_CUE_DAY }, { "tarif", CC_CUE_PRICE },
    { "tarifa", CC_CUE_PRICE }, { "tarifas", CC_CUE_PRICE },
    { "tarifs", CC_CUE_PRICE }, { "thursday", CC_CUE_DAY },
    { "thursdays", CC_CUE_DAY }, { "time", CC_CUE_WEAK | CC_CUE_TIME },
    { "times", CC_CUE_WEAK }, { "tuesday", CC_CUE_DAY },
    { "tuesdays", CC_CUE_DAY }, { "ubicacion", CC_CUE_WHERE },
    { "ubicados", CC_CUE_WHERE }, { "uhr", CC_CUE_WEAK },
    { "uhrzeit", CC_CUE_HOURS }, { "vendredi", CC_CUE_DAY },
    { "viel", CC_CUE_VIEL }, { "viernes", CC_CUE_DAY },
    { "wednesday", CC_CUE_DAY }, { "wednesdays", CC_CUE_DAY },
    { "weekend", CC_CUE_DAY }, { "weekends", CC_CUE_DAY },
    { "what", CC_CUE_WHAT }, { "where", CC_CUE_WHERE },
    { "which", CC_CUE_WHAT }, { "wie", CC_CUE_WIE },
    { "wieviel", CC_CUE_PRICE }, { "wo", CC_CUE_WHERE },
    { "wochenende", CC_CUE_DAY },
};
#define CC_NCUES (sizeof(cc_cues) / sizeof(cc_cues[0]))

typedef struct cc_qkind_t {
    unsigned kind;
    unsigned prev;        /* the previous term's cue flags */
    int      howq;        /* "how" seen */
    int      duration;    /* "how long", "how many" */
    int      weak;        /* "hours", "time", ... seen */
    int      day;         /* a day name seen */
    int      other;       /* content words that are no cue */
} cc_qkind_t;

static int cc_qkind_cb(void *baton, const char *w, size_t n, uint32_t pos,
                       size_t start, size_t end)
{
    cc_qkind_t *k = baton;
    unsigned f = cc_word_find(cc_cues, CC_NCUES, w);

    if (((k->prev & CC_CUE_HOW) && (f & CC_CUE_LONG))
        || (f & CC_CUE_DURATION)) {
        k->duration = 1;
    }
    if (((k->prev & CC_CUE_HOW) && (f & CC_CUE_MUCH))
        || ((k->prev & CC_CUE_WIE) && (f & CC_CUE_VIEL))
        || (f & CC_CUE_PRICE)) {
        k->kind |= CC_FACT_PRICE;
    }
    if (((k->prev & (CC_CUE_WHAT | CC_CUE_QUE)) && (f & CC_CUE_TIME))
        || (f & CC_CUE_HOURS)) {
        k->kind |= CC_FACT_HOURS;
    }
    if ((k->howq && (f & CC_CUE_GET)) || (f & CC_CUE_WHERE)) {
        k->kind |= CC_FACT_WHERE;
    }
    k->weak |= (f & CC_CUE_WEAK) != 0;
    if (f & CC_CUE_DAY) {
        k->day = 1;
    }
    else if (!(f & CC_CUE_KINDS) && !cc_tok_stopword(w, n)) {
        k->other++;
    }
    k->howq |= (f & CC_CUE_HOW) != 0;
    k->prev = f;
    return 0;
}

unsigned cc_sent_asks(const char *q, size_t n)
{
    cc_qkind_t k;
    size_t i;

    memset(&k, 0, sizeof(k));
    cc_tok_each(q, n, 0, cc_qkind_cb, &k);
    if ((k.weak && !k.duration) || (k.day && k.other <= 1)) {
        k.kind |= CC_FACT_HOURS;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)q[i];

        if ((c == 0xc2 && i + 1 < n && (unsigned char)q[i + 1] == 0xa3)
            || (c == 0xe2 && i + 2 < n && (unsigned char)q[i + 1] == 0x82
                && (unsigned char)q[i + 2] == 0xac)
            || c == '$') {
            k.kind |= CC_FACT_PRICE;
        }
    }
    return k.kind;
}

/* Words that carry a fact in a sentence (a final 's' is also tried:
 * "Saturdays", "streets"); sorted by strcmp. */
static const cc_word_t cc_fact_words[] = {
    { "avenue", CC_FACT_WHERE },
    { "bridge", CC_FACT_WHERE }, { "bus", CC_FACT_WHERE },
    { "entrance", CC_FACT_WHERE }, { "ferry", CC_FACT_WHERE },
    { "floor", CC_FACT_WHERE }, { "free", CC_FACT_PRICE },
    { "friday", CC_FACT_HOURS }, { "harbourside", CC_FACT_WHERE },
    { "kilometre", CC_FACT_WHERE }, { "lane", CC_FACT_WHERE },
    { "metres", CC_FACT_WHERE }, { "monday", CC_FACT_HOURS },
    { "park", CC_FACT_WHERE }, { "postcode", CC_FACT_WHERE },
    { "quay", CC_FACT_WHERE }, { "quayside", CC_FACT_WHERE },
    { "road", CC_FACT_WHERE }, { "saturday", CC_FACT_HOURS },
    { "square", CC_FACT_WHERE }, { "station", CC_FACT_WHERE },
    { "street", CC_FACT_WHERE }, { "sunday", CC_FACT_HOURS },
    { "taxi", CC_FACT_WHERE }, { "thursday", CC_FACT_HOURS },
    { "train", CC_FACT_WHERE }, { "tuesday", CC_FACT_HOURS },
    { "walk", CC_FACT_WHERE }, { "wednesday", CC_FACT_HOURS },
    { "weekday", CC_FACT_HOURS }, { "weekend", CC_FACT_HOURS },
};
#define CC_NFACT_WORDS (sizeof(cc_fact_words) / sizeof(cc_fact_words[0]))

static int cc_f_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int cc_f_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

/* A UK postcode at t[i..e): "BS1 4QA", "EC1A 1BB". */
static int cc_postcode(const char *t, size_t i, size_t e)
{
    size_t k = i;

    while (k < e && k < i + 2 && cc_f_upper((unsigned char)t[k])) {
        k++;
    }
    if (k == i || k >= e || !cc_is_digit((unsigned char)t[k])) {
        return 0;
    }
    k++;
    if (k < e && (cc_is_digit((unsigned char)t[k])
                  || cc_f_upper((unsigned char)t[k]))) {
        k++;
    }
    return k + 3 < e && t[k] == ' '
           && cc_is_digit((unsigned char)t[k + 1])
           && cc_f_upper((unsigned char)t[k + 2])
           && cc_f_upper((unsigned char)t[k + 3])
           && (k + 4 >= e || !cc_f_alpha((unsigned char)t[k + 4]));
}

unsigned cc_sent_facts(const char *t, size_t s, size_t e)
{
    unsigned f = 0;
    size_t i = s;

    while (i < e) {
        unsigned char c = (unsigned char)t[i];
        int wstart = i == s || !(cc_f_alpha((unsigned char)t[i - 1])
                                 || cc_is_digit((unsigned char)t[i - 1]));

        if (c == 0xc2 && i + 1 < e && (unsigned char)t[i + 1] == 0xa3) {
            f |= CC_FACT_PRICE;
            i += 2;
            continue;
        }
        if (c == 0xe2 && i + 2 < e && (unsigned char)t[i + 1] == 0x82
            && (unsigned char)t[i + 2] == 0xac) {
            f |= CC_FACT_PRICE;
            i += 3;
            continue;
        }
        if (c == '$' && i + 1 < e && cc_is_digit((unsigned char)t[i + 1])) {
            f |= CC_FACT_PRICE;
        }
        if (wstart && cc_is_digit(c)) {
            size_t k = i;

            while (k < e && cc_is_digit((unsigned char)t[k])) {
                k++;
            }
            if (k + 2 < e && (t[k] == ':' || t[k] == '.')
                && cc_is_digit((unsigned char)t[k + 1])
                && cc_is_digit((unsigned char)t[k + 2])) {
                k += 3;
            }
            if (k < e && t[k] == ' ') {
                k++;
            }
            if (k + 1 < e && (t[k] == 'a' || t[k] == 'p')
                && (t[k + 1] == 'm' || (t[k + 1] == '.' && k + 2 < e
                                        && t[k + 2] == 'm'))
                && (k + 2 >= e || !cc_f_alpha((unsigned char)t[k + 2])
                    || t[k + 1] == '.')) {
                f |= CC_FACT_HOURS;
            }
            i = k > i ? k : i + 1;
            continue;
        }
        if (wstart && cc_f_alpha(c)) {
            char w[16];
            size_t k = i, n = 0;

            if (cc_f_upper(c) && cc_postcode(t, i, e)) {
                f |= CC_FACT_WHERE;
            }
            while (k < e && cc_f_alpha((unsigned char)t[k])) {
                if (n < sizeof(w) - 1) {
                    w[n++] = (char)((unsigned char)t[k] | 0x20);
                }
                k++;
            }
            w[n] = '\0';
            if (n >= 3 && k - i < sizeof(w)) {
                unsigned g = cc_word_find(cc_fact_words, CC_NFACT_WORDS, w);

                if (!g && w[n - 1] == 's') {
                    w[n - 1] = '\0';
                    g = cc_word_find(cc_fact_words, CC_NFACT_WORDS, w);
                }
                f |= g;
            }
            i = k;
            continue;
        }
        i++;
    }
    return f;
}
