/*
 * cc_risk_lexicon.c - the concept lexicon: compiled from its data files
 * (conf/risk-lexicon/) into a section of the model image, checked on
 * attach, looked up by binary search in place.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_risk_lexicon.h"

typedef struct lex_ent_t {
    const char *w;
    size_t      len;
    int         concept, exact;
    const char *file;
    int         line;
} lex_ent_t;

static int ent_cmp(const void *a, const void *b)
{
    const lex_ent_t *x = a, *y = b;
    size_t k = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->w, y->w, k);

    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* The next line of s[*i..n), without its end and surrounding blanks; NULL
 * at the end.  Comments and blank lines come back empty. */
static const char *next_line(const char *s, size_t n, size_t *i,
                             size_t *ln)
{
    size_t a, b;

    if (*i >= n) {
        return NULL;
    }
    a = *i;
    b = a;
    while (b < n && s[b] != '\n') {
        b++;
    }
    *i = b + 1;
    while (a < b && (s[a] == ' ' || s[a] == '\t')) {
        a++;
    }
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'
                     || s[b - 1] == '\r')) {
        b--;
    }
    if (a < b && s[a] == '#') {
        b = a;
    }
    *ln = b - a;
    return s + a;
}

apr_status_t cc_risk_lex_compile(void **sec, size_t *len, apr_pool_t *p,
                                 const char *concepts, size_t clen,
                                 const cc_risk_lex_src_t *src, size_t nsrc,
                                 cc_problem_t *prob)
{
    const char *names[CC_RISK_LEX_MAXCON];
    size_t nlen[CC_RISK_LEX_MAXCON];
    int ncon = 0, lineno;
    apr_array_header_t *ents = apr_array_make(p, 1024, sizeof(lex_ent_t));
    lex_ent_t *e;
    cc_risk_lex_hdr_t *h;
    cc_risk_lex_stem_t *st;
    char *base, *text;
    size_t i, j, pos, ln, textlen = 0, total, off;
    const char *l;

    *sec = NULL;
    *len = 0;
    pos = 0;
    lineno = 0;
    while (concepts && (l = next_line(concepts, clen, &pos, &ln)) != NULL) {
        lineno++;
        if (ln == 0) {
            continue;
        }
        if (ncon >= CC_RISK_LEX_MAXCON || ln >= CC_RISK_LEX_NAMELEN
            || memchr(l, ' ', ln) || memchr(l, '\t', ln)) {
            cc_problem_set(prob, 500, "invalid_lexicon",
                           "concepts line %d: too many concepts or a bad "
                           "name", lineno);
            return APR_EINVAL;
        }
        for (j = 0; j < (size_t)ncon; j++) {
            if (nlen[j] == ln && memcmp(names[j], l, ln) == 0) {
                cc_problem_set(prob, 500, "invalid_lexicon",
                               "concepts line %d: name given twice",
                               lineno);
                return APR_EINVAL;
            }
        }
        names[ncon] = l;
        nlen[ncon++] = ln;
    }
    if (ncon == 0) {
        cc_problem_set(prob, 500, "invalid_lexicon", "no concepts");
        return APR_EINVAL;
    }
    for (i = 0; i < nsrc; i++) {
        pos = 0;
        lineno = 0;
        while ((l = next_line(src[i].text, src[i].len, &pos, &ln)) != NULL) {
            const char *sp, *w;
            size_t cn, wn, k;
            int c = -1, bad = 0;

            lineno++;
            if (ln == 0) {
                continue;
            }
            sp = memchr(l, ' ', ln);
            if (!sp) {
                sp = l + ln;
            }
            cn = (size_t)(sp - l);
            w = sp;
            while (w < l + ln && (*w == ' ' || *w == '\t')) {
                w++;
            }
            wn = (size_t)(l + ln - w);
            for (j = 0; j < (size_t)ncon; j++) {
                if (nlen[j] == cn && memcmp(names[j], l, cn) == 0) {
                    c = (int)j;
                }
            }
            e = NULL;
            if (wn > 0 && w[wn - 1] == '*') {
                wn--;
                k = 0;
            }
            else {
                k = 1;
            }
            if (wn < CC_RISK_LEX_MINSTEM || wn > CC_RISK_LEX_MAXSTEM) {
                bad = 1;
            }
            for (j = 0; j < wn; j++) {
                if (w[j] < 'a' || w[j] > 'z') {
                    bad = 1;
                }
            }
            if (c < 0 || bad) {
                cc_problem_set(prob, 500, "invalid_lexicon",
                               "%s line %d: %s", src[i].name, lineno,
                               c < 0 ? "unknown concept"
                                     : "a form is 3 to 32 letters a-z");
                return APR_EINVAL;
            }
            e = apr_array_push(ents);
            e->w = w;
            e->len = wn;
            e->concept = c;
            e->exact = (int)k;
            e->file = src[i].name;
            e->line = lineno;
            textlen += wn;
        }
    }
    e = (lex_ent_t *)ents->elts;
    qsort(e, (size_t)ents->nelts, sizeof(*e), ent_cmp);
    for (i = 1; i < (size_t)ents->nelts; i++) {
        if (ent_cmp(&e[i - 1], &e[i]) == 0) {
            cc_problem_set(prob, 500, "invalid_lexicon",
                           "%s line %d: \"%.*s\" also in %s line %d",
                           e[i].file, e[i].line, (int)e[i].len, e[i].w,
                           e[i - 1].file, e[i - 1].line);
            return APR_EINVAL;
        }
    }

    off = sizeof(*h) + (size_t)ncon * CC_RISK_LEX_NAMELEN
          + (size_t)ents->nelts * sizeof(*st);
    total = (off + textlen + 7) & ~(size_t)7;
    base = apr_pcalloc(p, total);
    h = (cc_risk_lex_hdr_t *)base;
    memcpy(h->magic, CC_RISK_LEX_MAGIC, 8);
    h->nconcepts = (uint32_t)ncon;
    h->nstems = (uint32_t)ents->nelts;
    h->textlen = (uint32_t)textlen;
    h->size = (uint32_t)total;
    for (j = 0; j < (size_t)ncon; j++) {
        memcpy(base + sizeof(*h) + j * CC_RISK_LEX_NAMELEN, names[j],
               nlen[j]);
    }
    st = (cc_risk_lex_stem_t *)(base + sizeof(*h)
                                + (size_t)ncon * CC_RISK_LEX_NAMELEN);
    text = base + off;
    pos = 0;
    j = 0;
    for (i = 0; i < (size_t)ents->nelts; i++) {
        st[i].off = (uint32_t)pos;
        st[i].len = (uint8_t)e[i].len;
        st[i].concept = (uint8_t)e[i].concept;
        st[i].exact = (uint8_t)e[i].exact;
        memcpy(text + pos, e[i].w, e[i].len);
        pos += e[i].len;
        while (j <= (size_t)(e[i].w[0] - 'a')) {
            h->first[j++] = (uint32_t)i;
        }
    }
    while (j < 27) {
        h->first[j++] = (uint32_t)ents->nelts;
    }
    *sec = base;
    *len = total;
    return APR_SUCCESS;
}

int cc_risk_lex_view(cc_risk_lex_t *lx, const void *sec, size_t len,
                     const char **why)
{
    const cc_risk_lex_hdr_t *h = sec;
    const cc_risk_lex_stem_t *st;
    const char *names, *text;
    uint64_t off;
    size_t i, j;

    *why = "too short or misaligned";
    if (!sec || len < sizeof(*h) || ((uintptr_t)sec & 3u) != 0) {
        return 0;
    }
    *why = "wrong magic or counts";
    if (memcmp(h->magic, CC_RISK_LEX_MAGIC, 8) != 0 || h->size != len
        || h->nconcepts == 0 || h->nconcepts > CC_RISK_LEX_MAXCON
        || h->reserved != 0) {
        return 0;
    }
    off = (uint64_t)sizeof(*h) + (uint64_t)h->nconcepts * CC_RISK_LEX_NAMELEN
          + (uint64_t)h->nstems * sizeof(*st);
    if (off + h->textlen > len || len - (off + h->textlen) >= 8) {
        *why = "sizes do not add up";
        return 0;
    }
    names = (const char *)sec + sizeof(*h);
    st = (const cc_risk_lex_stem_t *)(names + (size_t)h->nconcepts
                                              * CC_RISK_LEX_NAMELEN);
    text = (const char *)sec + off;
    for (i = 0; i < h->nconcepts; i++) {
        if (names[i * CC_RISK_LEX_NAMELEN] == '\0'
            || names[i * CC_RISK_LEX_NAMELEN + CC_RISK_LEX_NAMELEN - 1]
               != '\0') {
            *why = "bad concept name";
            return 0;
        }
    }
    *why = "bad first-letter index";
    if (h->first[0] != 0 || h->first[26] != h->nstems) {
        return 0;
    }
    for (j = 0; j < 26; j++) {
        if (h->first[j] > h->first[j + 1]) {
            return 0;
        }
    }
    for (i = 0; i < h->nstems; i++) {
        if ((uint64_t)st[i].off + st[i].len > h->textlen
            || st[i].len < CC_RISK_LEX_MINSTEM
            || st[i].len > CC_RISK_LEX_MAXSTEM
            || st[i].concept >= h->nconcepts || st[i].exact > 1
            || st[i].zero != 0) {
            *why = "a stem out of bounds";
            return 0;
        }
        for (j = 0; j < st[i].len; j++) {
            if (text[st[i].off + j] < 'a' || text[st[i].off + j] > 'z') {
                *why = "a stem not folded";
                return 0;
            }
        }
        j = (size_t)(text[st[i].off] - 'a');
        if (i < h->first[j] || i >= h->first[j + 1]) {
            *why = "bad first-letter index";
            return 0;
        }
        if (i > 0) {
            const cc_risk_lex_stem_t *q = &st[i - 1];
            size_t k = q->len < st[i].len ? q->len : st[i].len;
            int r = memcmp(text + q->off, text + st[i].off, k);

            if (r > 0 || (r == 0 && q->len >= st[i].len)) {
                *why = "stems not sorted";
                return 0;
            }
        }
    }
    lx->hdr = h;
    lx->names = names;
    lx->stem = st;
    lx->text = text;
    return 1;
}

const char *cc_risk_concept_name(const cc_risk_lex_t *lx, int c)
{
    return lx && c >= 0 && (uint32_t)c < lx->hdr->nconcepts
           ? lx->names + (size_t)c * CC_RISK_LEX_NAMELEN : NULL;
}

int cc_risk_concept_count(const cc_risk_lex_t *lx)
{
    return lx ? (int)lx->hdr->nconcepts : 0;
}

static int concept_of(const cc_risk_lex_t *lx, const char *w, size_t n)
{
    const cc_risk_lex_stem_t *st = lx->stem;
    size_t lo, hi, i, nst = lx->hdr->nstems;
    int best = -1, blen = 0;

    if (w[0] < 'a' || w[0] > 'z') {
        return -1;
    }
    lo = lx->hdr->first[w[0] - 'a'];
    hi = lx->hdr->first[w[0] - 'a' + 1];
    /* First stem >= w[0..3), within the stems of its first letter. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *c = lx->text + st[mid].off;
        size_t k = st[mid].len < 3 ? st[mid].len : 3;
        int r = memcmp(c, w, k);

        if (r == 0) {
            r = (k < 3) ? -1 : 0;
        }
        if (r < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    /* The stems sharing those three letters are next to each other: the
     * longest that w begins with (or is, for an exact one) wins. */
    for (i = lo; i < nst && memcmp(lx->text + st[i].off, w, 3) == 0; i++) {
        size_t k = st[i].len;

        if (k <= n && k > (size_t)blen
            && memcmp(lx->text + st[i].off, w, k) == 0
            && (!st[i].exact || k == n)) {
            best = st[i].concept;
            blen = (int)k;
        }
    }
    return best;
}

int cc_risk_concept(const cc_risk_lex_t *lx, const char *w, size_t n)
{
    int c;

    if (!lx || n < 3) {
        return -1;
    }
    c = concept_of(lx, w, n);
    /* French elision folded into the word: "lepilepsie", "dallergie". */
    if (c < 0 && n >= 5 && strchr("cdjlmnst", w[0]) != NULL) {
        c = concept_of(lx, w + 1, n - 1);
    }
    return c;
}
