/*
 * cc_extract.c - the extractive answer: sentences taken verbatim from the
 * retrieved chunks, chosen by the query terms they hold (cc_answer.h).
 *
 * The sources' text comes from the knowledge base and their sentence
 * tables possibly from a damaged image: every table field is read once
 * and checked before use, and nothing reads past a text's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_buf.h"
#include "cc_bytes.h"
#include "cc_sent.h"
#include "cc_tok.h"

#define CC_TOKF          (CC_TOK_STEM | CC_TOK_NOSTOP)
#define CC_SENT_MAX      400           /* bytes per extracted sentence */
#define CC_QTERMS_MAX    64            /* query terms used (one bit each) */
#define CC_EXTRACT_MAX   16            /* cap on max_sentences */
#define CC_ELLIPSIS      "\xe2\x80\xa6"

/* ---- extractive answer -------------------------------------------------- */

typedef struct cc_cand_t {
    int         src;      /* source rank */
    uint32_t    pos;      /* sentence ordinal within its source */
    size_t      s, e;     /* the sentence's bytes in the source text */
    const char *text;     /* cleaned, once needed (NULL before) */
    size_t      len;
    uint64_t    mask;     /* query terms present */
    double      score;
} cc_cand_t;

/* The query's first CC_QTERMS_MAX distinct terms by hash: open addressing
 * in twice as many slots, so a probe always ends. */
#define CC_QSLOTS (2 * CC_QTERMS_MAX)

typedef struct cc_qhash_t {
    uint64_t      key[CC_QSLOTS];
    unsigned char bit[CC_QSLOTS];   /* bit index + 1; 0 = empty */
    unsigned      n;
} cc_qhash_t;

static unsigned cc_qslot(uint64_t h)
{
    return (unsigned)(h ^ (h >> 29) ^ (h >> 47)) & (CC_QSLOTS - 1);
}

static int cc_qhash_cb(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_qhash_t *q = baton;
    uint64_t h;
    unsigned s;

    if (q->n >= CC_QTERMS_MAX) {
        return 1;
    }
    if (len == 0) {
        return 0;
    }
    h = cc_fnv1a64(term, len);
    for (s = cc_qslot(h); q->bit[s]; s = (s + 1) & (CC_QSLOTS - 1)) {
        if (q->key[s] == h) {
            return 0;
        }
    }
    q->key[s] = h;
    q->bit[s] = (unsigned char)++q->n;
    return 0;
}

/* The query-term bit of term hash h, or 0. */
static uint64_t cc_qhash_bit(const cc_qhash_t *q, uint64_t h)
{
    unsigned s;

    for (s = cc_qslot(h); q->bit[s]; s = (s + 1) & (CC_QSLOTS - 1)) {
        if (q->key[s] == h) {
            return (uint64_t)1 << (q->bit[s] - 1);
        }
    }
    return 0;
}

/* Every sentence of source i that has a term, with the query terms it
 * holds, from its sentence table b[0..blen) (text of tlen bytes).  Each
 * field is read once and checked before use, so even a table that fails
 * or changes after cc_sent_check only ends the walk early. */
static void cc_cands_add(apr_array_header_t *cands, const cc_qhash_t *q,
                         int i, const unsigned char *b, size_t blen,
                         size_t tlen)
{
    const unsigned char *r = b + CC_SENTS_HDR;
    const unsigned char *h;
    uint32_t nsent, nterms, k, used = 0;

    if (blen < CC_SENTS_HDR) {
        return;
    }
    nsent = cc_ld32(b + 4);
    nterms = cc_ld32(b + 8);
    if ((uint64_t)blen < CC_SENTS_HDR + (uint64_t)nsent * CC_SENTS_REC
                         + (uint64_t)nterms * 8u) {
        return;
    }
    h = r + (size_t)nsent * CC_SENTS_REC;
    for (k = 0; k < nsent; k++, r += CC_SENTS_REC) {
        uint32_t s = cc_ld32(r), e = cc_ld32(r + 4);
        uint32_t cnt = cc_ld32(r + 8), fl = cc_ld32(r + 12), j;
        const unsigned char *t = h + (size_t)used * 8u;
        uint64_t mask = 0;
        cc_cand_t *c;

        if (s >= e || e > tlen || cnt > nterms - used) {
            return;
        }
        used += cnt;
        if ((fl & CC_SENT_HEADING) || !(fl & CC_SENT_ANY)) {
            continue;
        }
        if (q->n) {
            for (j = 0; j < cnt; j++, t += 8) {
                mask |= cc_qhash_bit(q, cc_ld64(t));
            }
        }
        c = apr_array_push(cands);
        c->src = i;
        c->pos = k;
        c->s = s;
        c->e = e;
        c->text = NULL;
        c->len = 0;
        c->mask = mask;
        c->score = 0.0;
    }
}

/* The candidate's cleaned text, made on first use. */
static void cc_cand_clean(apr_pool_t *tmp, const cc_source_t *src,
                          cc_cand_t *c)
{
    if (!c->text) {
        c->text = cc_sent_clean(tmp, src[c->src].text, c->s, c->e, &c->len);
    }
}

static int cc_cand_by_score(const void *a, const void *b)
{
    const cc_cand_t *x = *(const cc_cand_t *const *)a;
    const cc_cand_t *y = *(const cc_cand_t *const *)b;

    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    if (x->src != y->src) {
        return x->src < y->src ? -1 : 1;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int cc_cand_by_place(const void *a, const void *b)
{
    const cc_cand_t *x = *(const cc_cand_t *const *)a;
    const cc_cand_t *y = *(const cc_cand_t *const *)b;

    if (x->src != y->src) {
        return x->src < y->src ? -1 : 1;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int cc_popcount64(uint64_t v)
{
    int n = 0;

    while (v) {
        v &= v - 1;
        n++;
    }
    return n;
}

/* Append one extracted sentence: cut to CC_SENT_MAX bytes at a word
 * boundary with an ellipsis, given a final '.' when it has no terminal
 * punctuation (list items, table rows). */
static void cc_emit_sentence(cc_buf_t *b, const char *t, size_t n)
{
    if (b->n > 0) {
        cc_buf_add(b, " ", 1);
    }
    if (n > CC_SENT_MAX) {
        size_t room = CC_SENT_MAX - (sizeof(CC_ELLIPSIS) - 1);
        size_t cut = room;

        while (cut > 0 && t[cut] != ' ') {
            cut--;
        }
        if (cut == 0) {
            cut = room;
            while (cut > 0 && ((unsigned char)t[cut] & 0xc0) == 0x80) {
                cut--;
            }
        }
        while (cut > 0 && (t[cut - 1] == ' ' || t[cut - 1] == ','
                           || t[cut - 1] == ';' || t[cut - 1] == ':')) {
            cut--;
        }
        cc_buf_add(b, t, cut);
        cc_buf_str(b, CC_ELLIPSIS);
        return;
    }
    cc_buf_add(b, t, n);
    if (n > 0) {
        unsigned char last = (unsigned char)t[n - 1];
        int closed = cc_sent_is_end(last) || last == ':' || last == ';';

        if (!closed && (last == '"' || last == '\'' || last == ')')
            && n > 1) {
            closed = cc_sent_is_end((unsigned char)t[n - 2]);
        }
        if (!closed && n >= 3 && memcmp(t + n - 3, CC_ELLIPSIS, 3) == 0) {
            closed = 1;
        }
        if (!closed) {
            cc_buf_add(b, ".", 1);
        }
    }
}

char *cc_answer_extract(apr_pool_t *p, const char *query,
                        const cc_source_t *src, int nsrc, int max_sentences,
                        int *used)
{
    apr_pool_t *tmp = NULL;
    apr_array_header_t *cands;
    apr_hash_t *seen;
    cc_qhash_t qh;
    cc_cand_t **order;
    cc_cand_t **pick;
    cc_buf_t out = { NULL, 0, 0, 0 };
    unsigned df[CC_QTERMS_MAX];
    double best = 0.0;
    int npick = 0;
    int i;
    char *res;

    if (!src || nsrc < 0) {
        nsrc = 0;
    }
    if (used) {
        for (i = 0; i < nsrc; i++) {
            used[i] = 0;
        }
    }
    if (max_sentences < 1) {
        max_sentences = 1;
    }
    if (max_sentences > CC_EXTRACT_MAX) {
        max_sentences = CC_EXTRACT_MAX;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return apr_pstrdup(p, "");
    }

    memset(&qh, 0, sizeof(qh));
    if (query) {
        cc_tok_each(query, strlen(query), CC_TOKF, cc_qhash_cb, &qh);
    }

    /* Every sentence of every source is a candidate, read from the
     * source's sentence table (made here when it has none or a bad one). */
    cands = apr_array_make(tmp, 64, sizeof(cc_cand_t));
    for (i = 0; i < nsrc; i++) {
        size_t len = cc_source_len(&src[i]);
        const void *b = src[i].sents;
        size_t blen = src[i].sents_len;

        if (len == 0) {
            continue;
        }
        if (!b || cc_sent_check(b, blen, len) != 0) {
            if (cc_sent_analyse(&b, &blen, tmp, src[i].text, len)
                != APR_SUCCESS) {
                continue;
            }
        }
        cc_cands_add(cands, &qh, i, b, blen, len);
    }
    if (cands->nelts == 0) {
        apr_pool_destroy(tmp);
        return apr_pstrdup(p, "");
    }

    /* Rarer query terms weigh more (between 1 and 2); a lower-ranked source
     * is discounted by 10% per rank. */
    memset(df, 0, sizeof(df));
    for (i = 0; i < cands->nelts; i++) {
        uint64_t m = APR_ARRAY_IDX(cands, i, cc_cand_t).mask;
        unsigned b;

        for (b = 0; b < qh.n; b++) {
            if (m & ((uint64_t)1 << b)) {
                df[b]++;
            }
        }
    }
    for (i = 0; i < cands->nelts; i++) {
        cc_cand_t *c = &APR_ARRAY_IDX(cands, i, cc_cand_t);
        double total = (double)cands->nelts;
        double s = 0.0;
        unsigned b;

        for (b = 0; b < qh.n; b++) {
            if (c->mask & ((uint64_t)1 << b)) {
                s += 2.0 * total / (total + (double)df[b]);
            }
        }
        c->score = s / (1.0 + 0.1 * (double)c->src);
        if (c->score > best) {
            best = c->score;
        }
    }

    order = apr_palloc(tmp, sizeof(*order) * (size_t)cands->nelts);
    pick = apr_palloc(tmp, sizeof(*pick) * (size_t)max_sentences);
    if (best > 0.0) {
        int n = 0;

        for (i = 0; i < cands->nelts; i++) {
            cc_cand_t *c = &APR_ARRAY_IDX(cands, i, cc_cand_t);

            /* Keep sentences with at least 60% of the best score ... */
            if (c->score >= 0.6 * best) {
                order[n++] = c;
            }
        }
        qsort(order, (size_t)n, sizeof(*order), cc_cand_by_score);
        seen = apr_hash_make(tmp);
        for (i = 0; i < n && npick < max_sentences; i++) {
            /* ... and more than half as many query terms as the best. */
            if (i > 0 && 2 * cc_popcount64(order[i]->mask)
                         <= cc_popcount64(order[0]->mask)) {
                continue;
            }
            cc_cand_clean(tmp, src, order[i]);
            if (apr_hash_get(seen, order[i]->text,
                             (apr_ssize_t)order[i]->len)) {
                continue;
            }
            apr_hash_set(seen, order[i]->text, (apr_ssize_t)order[i]->len,
                         order[i]);
            pick[npick++] = order[i];
        }
        qsort(pick, (size_t)npick, sizeof(*pick), cc_cand_by_place);
    }
    else {
        /* Nothing overlaps: the first sentence of the best source that has
         * one (candidates are in source order). */
        pick[npick] = &APR_ARRAY_IDX(cands, 0, cc_cand_t);
        cc_cand_clean(tmp, src, pick[npick++]);
    }

    for (i = 0; i < npick; i++) {
        cc_emit_sentence(&out, pick[i]->text, pick[i]->len);
        if (used) {
            used[pick[i]->src] = 1;
        }
    }
    res = apr_pstrmemdup(p, out.d ? out.d : "", out.oom ? 0 : out.n);
    free(out.d);
    apr_pool_destroy(tmp);
    return res;
}
