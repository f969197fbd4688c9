/*
 * cc_index_search.c - ranked search over a retrieval image, and how much
 * of a query one chunk covers (layout in cc_index_image.h).
 *
 * Score of chunk d for query term t (weight w: 1, or synonym_weight for an
 * expansion term):
 *   w * idf(t) * tf' * (k1 + 1) / (tf' + norm(d))
 *   tf' = tf_body + title_weight * tf_title
 *   idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 * summed over the query's terms (chatter dropped) and their expansions
 * (of each term, and of each two adjacent words that form a phrase
 * synonym).  The best CC_IX_RERANK chunks are then re-scored
 *   bm25 * coverage^coverage_weight * (1 + pair_weight * pairs)
 *        * (1 + title_rank_weight * title agreement)
 * (cc_index.h says why), and the best k of those returned.  A question
 * with no term left but one that asks where the clinic is or when it
 * opens is searched as the clinic's words for it (cc_query_collect).
 * cc_index_coverage blends the coverage with the title match
 * ((coverage + title_cover_weight * title) / (1 + title_cover_weight)),
 * the figure the chat's grounding threshold is written in; its coverage
 * counts a missing word the knowledge uses elsewhere at context_weight.
 *
 * Search trusts nothing in the image: each value is read once into a local
 * and checked (sections against len, entries against their section, string
 * ranges against len) before it is used as an index or a length; a
 * damaged image can give a wrong result but never a crash.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_bytes.h"
#include "cc_index.h"
#include "cc_index_image.h"
#include "cc_sent.h"
#include "cc_tok.h"

/* ---- search ------------------------------------------------------------ */

/* The pool-allocated array arr of n elements of size bytes with room for
 * one more: arr itself, or a copy twice as large (first when empty). */
static void *cc_grow(apr_pool_t *pool, void *arr, size_t n, size_t *cap,
                     size_t size, size_t first)
{
    void *na;

    if (n < *cap) {
        return arr;
    }
    *cap = *cap ? *cap * 2 : first;
    na = apr_palloc(pool, *cap * size);
    if (n > 0) {
        memcpy(na, arr, n * size);
    }
    return na;
}

typedef struct cc_qterm_t {
    const char *s;
    size_t      n;
} cc_qterm_t;

/* Two adjacent words of the query (stop words dropped, chatter kept), as
 * "a b": a phrase synonym is looked up by it ("work out", "call off"). */
typedef struct cc_qphrase_t {
    const char *s, *a, *b;
    size_t      n, an, bn;
} cc_qphrase_t;

typedef struct cc_qcollect_t {
    apr_pool_t *pool;
    cc_qterm_t *terms;
    size_t      n, cap;
    int         meta;       /* a word that only talks to the assistant */
    const char *prev;       /* the previous term kept, for pairs */
    size_t      prevn;
    uint32_t   *pairs;      /* cc_ix_pair_hash of adjacent terms */
    size_t      npairs, pcap;
    const char *raw;        /* the previous word, chatter included */
    size_t      rawn;
    cc_qphrase_t *phr;
    size_t      nphr, phcap;
} cc_qcollect_t;

/* Patient chatter: words (as stemmed) that carry no topic in a question,
 * dropped from the query on top of the tokenizer's stop words.  They are
 * what people type around the question ("u", "get", "actually", "dont",
 * "really", "want", "lol", "tbh", "stuff") and text-speak for stop words
 * ("wen", "cud", "wud", "cos"); most are words the clinic never writes, so
 * left in they would weigh as the rarest terms of the question in coverage
 * and sink a plain question below the grounding threshold.  Sorted
 * (strcmp). */
static const char *const cc_chatter[] = {
    "actual", "am", "anyon", "anyth", "anywher", "arent", "btw", "cant",
    "cos", "coz", "cud", "cuz", "didnt", "doesnt", "done", "dont", "get",
    "go", "gonna", "got", "hello", "hey", "hi", "hiya", "hows", "idk",
    "isnt", "know", "lol", "lot", "mayb", "ok", "okay", "pleas", "pls", "plz",
    "pretti", "r", "realli", "rid", "shud", "someon", "someth", "somewher",
    "stuff", "tbh", "thank", "thanx", "thing", "thnx", "thx", "u", "ur",
    "wan", "wanna", "want", "wat", "wen", "wheres", "whos", "wont", "wot",
    "wud", "ya",
};

/* Words (as stemmed) that address the assistant's instructions, not the
 * clinic: "ignore your instructions", "disregard the above", "what's in
 * your prompt", "pretend you are", "quote it verbatim".  A message holding
 * one is a prompt injection whatever else it asks; search finds nothing
 * for it and its coverage is 0, so the chat never grounds an answer on
 * it.  None of them is a word the knowledge uses.  Sorted (strcmp). */
static const char *const cc_meta[] = {
    "disregard", "ignor", "jailbreak", "pretend", "prompt", "roleplay",
    "verbatim",
};

static int cc_cmp_cstr(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static int cc_is_meta(const char *term)
{
    return bsearch(term, cc_meta, sizeof(cc_meta) / sizeof(cc_meta[0]),
                   sizeof(cc_meta[0]), cc_cmp_cstr) != NULL;
}

static int cc_is_chatter(const char *term)
{
    return bsearch(term, cc_chatter, sizeof(cc_chatter)
                   / sizeof(cc_chatter[0]), sizeof(cc_chatter[0]),
                   cc_cmp_cstr) != NULL;
}

static int cc_query_term(void *baton, const char *term, size_t len,
                         uint32_t pos, size_t start, size_t end)
{
    cc_qcollect_t *q = baton;
    const char *raw;

    if (len == 0) {
        return 0;
    }
    if (cc_is_meta(term)) {
        q->meta = 1;
        return 1;       /* stop: nothing in this message is searched */
    }
    raw = apr_pstrmemdup(q->pool, term, len);
    if (q->raw && q->rawn + 1 + len <= CC_TOK_MAX * 2 + 1) {
        cc_qphrase_t *ph;

        q->phr = cc_grow(q->pool, q->phr, q->nphr, &q->phcap,
                         sizeof(*q->phr), 16);
        ph = &q->phr[q->nphr++];
        ph->a = q->raw;
        ph->an = q->rawn;
        ph->b = raw;
        ph->bn = len;
        ph->s = apr_pstrcat(q->pool, q->raw, " ", raw, NULL);
        ph->n = q->rawn + 1 + len;
    }
    q->raw = raw;
    q->rawn = len;
    if (cc_is_chatter(term)) {
        return 0;
    }
    q->terms = cc_grow(q->pool, q->terms, q->n, &q->cap, sizeof(*q->terms),
                       32);
    q->terms[q->n].s = raw;
    q->terms[q->n].n = len;
    if (q->prev) {
        q->pairs = cc_grow(q->pool, q->pairs, q->npairs, &q->pcap,
                           sizeof(*q->pairs), 32);
        q->pairs[q->npairs++] = cc_ix_pair_hash(q->prev, q->prevn, term, len);
    }
    q->prev = q->terms[q->n].s;
    q->prevn = len;
    q->n++;
    return 0;
}

/* The query's terms into qc (zeroed here).  A question that asks where
 * the clinic is or when it is open in words the tokenizer and the
 * chatter list drop entirely ("where are you?", "where is it", "what
 * time?") is searched as the clinic's own words for that fact:
 * cc_sent_asks says which fact it asks for; a price asked for without a
 * word of what ("how much is it?") stays empty, since no one section
 * answers it. */
static void cc_query_collect(cc_qcollect_t *qc, apr_pool_t *pool,
                             const char *query, size_t qlen)
{
    static const char where[] = "address", hours[] = "opening hours";
    unsigned asks;

    memset(qc, 0, sizeof(*qc));
    qc->pool = pool;
    cc_tok_each(query, qlen, CC_IX_TOK_FLAGS, cc_query_term, qc);
    if (qc->n > 0 || qc->meta) {
        return;
    }
    asks = cc_sent_asks(query, qlen);
    if (asks & CC_FACT_WHERE) {
        memset(qc, 0, sizeof(*qc));
        qc->pool = pool;
        cc_tok_each(where, sizeof(where) - 1, CC_IX_TOK_FLAGS, cc_query_term,
                    qc);
    }
    else if (asks & CC_FACT_HOURS) {
        memset(qc, 0, sizeof(*qc));
        qc->pool = pool;
        cc_tok_each(hours, sizeof(hours) - 1, CC_IX_TOK_FLAGS, cc_query_term,
                    qc);
    }
}

static int cc_cmp_qterm(const void *x, const void *y)
{
    const cc_qterm_t *a = x, *b = y;

    return cc_ix_cmp_bytes(a->s, a->n, b->s, b->n);
}

/* A term to score: dictionary index and whether it came from expansion. */
typedef struct cc_qent_t {
    uint32_t term;
    uint32_t expanded;
} cc_qent_t;

static int cc_cmp_qent(const void *x, const void *y)
{
    const cc_qent_t *a = x, *b = y;

    if (a->term != b->term) {
        return a->term < b->term ? -1 : 1;
    }
    return a->expanded < b->expanded ? -1 : a->expanded > b->expanded;
}

/* Compare s[0..n) with the string at (off, sl) in the image; a string out
 * of bounds compares greater (damaged image: a wrong answer, no crash). */
static int cc_cmp_img(const cc_ix_view_t *v, const char *s, size_t n,
                      uint32_t off, uint32_t sl)
{
    if ((uint64_t)off + sl > v->len) {
        return -1;
    }
    return cc_ix_cmp_bytes(s, n, (const char *)v->img + off, sl);
}

/* Dictionary index of s[0..n), or CC_IX_NONE. */
static uint32_t cc_dict_find(const cc_ix_view_t *v, const char *s, size_t n)
{
    uint32_t lo = 0, hi = v->nterms;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = v->img + v->off_terms
                                 + (uint64_t)mid * SZ_TERM;
        int r = cc_cmp_img(v, s, n, cc_ld32(e), cc_ld32(e + 4));

        if (r == 0) {
            return mid;
        }
        if (r < 0) {
            hi = mid;
        }
        else {
            lo = mid + 1;
        }
    }
    return CC_IX_NONE;
}

/* First synonym-term entry for s[0..n) (entries sorted by term). */
static uint32_t cc_syn_lower(const cc_ix_view_t *v, const char *s, size_t n)
{
    uint32_t lo = 0, hi = v->nsynt;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = v->img + v->off_synt
                                 + (uint64_t)mid * SZ_SYNT;

        if (cc_cmp_img(v, s, n, cc_ld32(e), cc_ld32(e + 4)) > 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

typedef struct cc_qents_t {
    apr_pool_t *pool;
    cc_qent_t  *e;
    size_t      n, cap;
} cc_qents_t;

static void cc_qents_push(cc_qents_t *q, uint32_t term, uint32_t expanded)
{
    q->e = cc_grow(q->pool, q->e, q->n, &q->cap, sizeof(*q->e), 32);
    q->e[q->n].term = term;
    q->e[q->n].expanded = expanded;
    q->n++;
}

/* Expand s[0..n) through every synonym group it belongs to. */
static void cc_expand(const cc_ix_view_t *v, cc_qents_t *q, const char *s,
                      size_t n)
{
    uint32_t i = cc_syn_lower(v, s, n);

    for (; i < v->nsynt; i++) {
        const unsigned char *e = v->img + v->off_synt + (uint64_t)i * SZ_SYNT;
        uint32_t g, first, count, j;
        const unsigned char *ge;

        if (cc_cmp_img(v, s, n, cc_ld32(e), cc_ld32(e + 4)) != 0) {
            break;
        }
        g = cc_ld32(e + 8);
        if (g >= v->nsyng) {
            continue;
        }
        ge = v->img + v->off_syng + (uint64_t)g * SZ_SYNG;
        first = cc_ld32(ge);
        count = cc_ld32(ge + 4);
        if (first > v->nsynm || count > v->nsynm - first) {
            continue;
        }
        for (j = 0; j < count; j++) {
            uint32_t d = cc_ld32(v->img + v->off_synm
                                 + (uint64_t)(first + j) * SZ_SYNM);

            if (d < v->nterms) {
                cc_qents_push(q, d, 1);
            }
        }
    }
}

/* Sparse accumulator: open addressing, chunk + 1 as key (0 = empty). */
typedef struct cc_acc_t {
    double   *dense;        /* nchunks scores, or NULL */
    uint32_t *keys;
    double   *vals;
    uint32_t  mask;
    uint32_t  used;
} cc_acc_t;

static void cc_acc_add(cc_acc_t *a, uint32_t chunk, double s)
{
    uint32_t slot;

    if (a->dense) {
        a->dense[chunk] += s;
        return;
    }
    slot = (chunk * 2654435761u) & a->mask;
    while (a->keys[slot] != 0 && a->keys[slot] != chunk + 1) {
        slot = (slot + 1) & a->mask;
    }
    if (a->keys[slot] == 0) {
        if (a->used >= a->mask) {
            return;     /* cannot happen: capacity > postings walked */
        }
        a->keys[slot] = chunk + 1;
        a->used++;
    }
    a->vals[slot] += s;
}

/* Is hit a worse than hit b?  Lower score, or equal score and a later
 * chunk (so ties rank in chunk order). */
static int cc_worse(const cc_hit_t *a, const cc_hit_t *b)
{
    if (a->score != b->score) {
        return a->score < b->score;
    }
    return a->chunk > b->chunk;
}

/* qsort order of hits: best first. */
static int cc_cmp_hit_desc(const void *x, const void *y)
{
    const cc_hit_t *a = x, *b = y;

    return cc_worse(a, b) ? 1 : cc_worse(b, a) ? -1 : 0;
}

/* Min-heap of the best k (worst at the root). */
typedef struct cc_topk_t {
    cc_hit_t h[CC_IX_MAX_K];
    int      n, k;
} cc_topk_t;

static void cc_topk_sift(cc_topk_t *t, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        cc_hit_t tmp;

        if (l < t->n && cc_worse(&t->h[l], &t->h[m])) {
            m = l;
        }
        if (r < t->n && cc_worse(&t->h[r], &t->h[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        tmp = t->h[i];
        t->h[i] = t->h[m];
        t->h[m] = tmp;
        i = m;
    }
}

static void cc_topk_offer(cc_topk_t *t, uint32_t chunk, double score)
{
    cc_hit_t c;

    if (!(score > 0.0)) {
        return;     /* also drops NaN from a damaged image */
    }
    c.chunk = chunk;
    c.score = score;
    if (t->n < t->k) {
        int i = t->n++;

        t->h[i] = c;
        while (i > 0) {
            int parent = (i - 1) / 2;
            cc_hit_t tmp;

            if (!cc_worse(&t->h[i], &t->h[parent])) {
                break;
            }
            tmp = t->h[i];
            t->h[i] = t->h[parent];
            t->h[parent] = tmp;
            i = parent;
        }
        return;
    }
    if (cc_worse(&t->h[0], &c)) {
        t->h[0] = c;
        cc_topk_sift(t, 0);
    }
}

/* ---- query coverage, shared by the re-rank and cc_index_coverage ------- */

/* Does chunk c hold dictionary term d?  Postings are in chunk order. */
static int cc_chunk_has(const cc_ix_view_t *v, uint32_t d, uint32_t c)
{
    const unsigned char *e = v->img + v->off_terms + (uint64_t)d * SZ_TERM;
    uint32_t first = cc_ld32(e + 8), df = cc_ld32(e + 12), lo = 0, hi;

    if (first > v->npost || df > v->npost - first) {
        return 0;
    }
    hi = df;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t pc = cc_ld32(v->img + v->off_post
                              + (uint64_t)(first + mid) * SZ_POST);

        if (pc == c) {
            return 1;
        }
        if (pc < c) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return 0;
}

/* Does chunk c hold the adjacent pair with hash h?  Entries are sorted by
 * (hash, chunk). */
static int cc_pair_has(const cc_ix_view_t *v, uint32_t h, uint32_t c)
{
    uint32_t lo = 0, hi = v->npairs;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = v->img + v->off_pairs
                                 + (uint64_t)mid * SZ_PAIR;
        uint32_t eh = cc_ld32(e), ec = cc_ld32(e + 4);

        if (eh == h && ec == c) {
            return 1;
        }
        if (eh < h || (eh == h && ec < c)) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return 0;
}

static int cc_cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

    return a < b ? -1 : a > b;
}

static int cc_has_digit(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            return 1;
        }
    }
    return 0;
}

/* The distinct query terms, each with its idf (a word the clinic never
 * uses weighs as a term of df 0: the most) and the dictionary entries
 * that match it (its own, then its synonyms'), looked up once per query. */
typedef struct cc_qinfo_t {
    size_t     n;
    double    *idf;
    size_t    *first;       /* into ents: n + 1 bounds */
    cc_qents_t ents;
    double     total;       /* sum of idf */
} cc_qinfo_t;

static void cc_qinfo_make(cc_qinfo_t *qi, const cc_ix_view_t *v,
                          const cc_qcollect_t *qc, apr_pool_t *scratch)
{
    double n = (double)v->nchunks;
    size_t i;

    memset(qi, 0, sizeof(*qi));
    qi->n = qc->n;
    qi->idf = apr_palloc(scratch, (qc->n + 1) * sizeof(double));
    qi->first = apr_palloc(scratch, (qc->n + 1) * sizeof(size_t));
    qi->ents.pool = scratch;
    for (i = 0; i < qc->n; i++) {
        uint32_t d = cc_dict_find(v, qc->terms[i].s, qc->terms[i].n);
        double df = 0.0;

        qi->first[i] = qi->ents.n;
        if (d != CC_IX_NONE) {
            df = (double)cc_ld32(v->img + v->off_terms
                                 + (uint64_t)d * SZ_TERM + 12);
            cc_qents_push(&qi->ents, d, 0);
        }
        if (v->nsynt > 0) {
            size_t j;

            cc_expand(v, &qi->ents, qc->terms[i].s, qc->terms[i].n);
            /* "work out": each of its words is covered by what the
             * phrase means. */
            for (j = 0; j < qc->nphr; j++) {
                const cc_qphrase_t *ph = &qc->phr[j];

                if (cc_ix_cmp_bytes(ph->a, ph->an, qc->terms[i].s,
                                    qc->terms[i].n) == 0
                    || cc_ix_cmp_bytes(ph->b, ph->bn, qc->terms[i].s,
                                       qc->terms[i].n) == 0) {
                    cc_expand(v, &qi->ents, ph->s, ph->n);
                }
            }
        }
        qi->idf[i] = log(1.0 + (n - df + 0.5) / (df + 0.5));
        if (qi->first[i] == qi->ents.n
            && cc_has_digit(qc->terms[i].s, qc->terms[i].n)) {
            /* A number the clinic never writes ("20 mins", "3am", "50
             * quid") says how much or when, not what: it does not
             * count against coverage. */
            qi->idf[i] = 0.0;
        }
        qi->total += qi->idf[i];
    }
    qi->first[qc->n] = qi->ents.n;
}

/* The idf-weighted share of the query's terms that chunk holds.  A term
 * the chunk lacks counts cxw of its idf when the knowledge has it (its own
 * entry or a synonym's: context the patient gave), all of it when not
 * (cc_index.h, context_weight); cxw 1 is the plain share. */
static double cc_qinfo_cover(const cc_qinfo_t *qi, const cc_ix_view_t *v,
                             uint32_t chunk, double cxw)
{
    double matched = 0.0, context = 0.0, total;
    size_t i, j;

    for (i = 0; i < qi->n; i++) {
        for (j = qi->first[i]; j < qi->first[i + 1]; j++) {
            if (cc_chunk_has(v, qi->ents.e[j].term, chunk)) {
                matched += qi->idf[i];
                break;
            }
        }
        if (j == qi->first[i + 1] && qi->first[i] < qi->first[i + 1]) {
            context += qi->idf[i];
        }
    }
    total = qi->total - (1.0 - cxw) * context;
    return total > 0.0 ? matched / total : 0.0;
}

/* ---- title match --------------------------------------------------------- */

/* How much of chunk c's title the question holds: the idf-weighted share
 * of the title's terms (chatter dropped, as in the question) that are
 * among the question's terms or their synonyms.  A section's title says
 * what the section answers; a question the section answers usually names
 * it ("gift vouchers", "cancellation policy"), one it does not answer
 * shares only words of its body ("minoxidil ... hair growth" on a laser
 * section).  cc_index_coverage blends it in (cc_index.h).
 *
 * The other direction, how much of the question the title holds (the
 * idf-weighted share of the question's terms that the title holds, each
 * directly or through a synonym), tells a section from its parent and its
 * siblings: "the policy on cancelling" holds all of "Clinic policies" and
 * of "Cancellation policy", but only the second holds "cancelling".  The
 * re-rank uses the harmonic mean of the two shares (cc_index.h). */
#define CC_TITLE_MAX_TERMS 64

typedef struct cc_tmatch_t {
    const cc_ix_view_t *v;
    const cc_qent_t    *set;    /* sorted by term */
    size_t              nset;
    double              held, total;
    uint32_t            ids[CC_TITLE_MAX_TERMS];  /* the title's terms */
    size_t              nids;
} cc_tmatch_t;

static int cc_title_term(void *baton, const char *term, size_t len,
                         uint32_t pos, size_t start, size_t end)
{
    cc_tmatch_t *tm = baton;
    const cc_ix_view_t *v = tm->v;
    uint32_t d, lo = 0, hi;
    double df, idf;

    if (len == 0 || cc_is_chatter(term)) {
        return 0;
    }
    d = cc_dict_find(v, term, len);
    if (d == CC_IX_NONE) {
        return 0;       /* every title term is indexed: a damaged image */
    }
    if (tm->nids < CC_TITLE_MAX_TERMS) {
        tm->ids[tm->nids++] = d;
    }
    df = (double)cc_ld32(v->img + v->off_terms + (uint64_t)d * SZ_TERM + 12);
    idf = log(1.0 + ((double)v->nchunks - df + 0.5) / (df + 0.5));
    tm->total += idf;
    hi = (uint32_t)tm->nset;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (tm->set[mid].term < d) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    if (lo < tm->nset && tm->set[lo].term == d) {
        tm->held += idf;
    }
    return 0;
}

/* The question's dictionary entries (qi), sorted by term for
 * cc_title_match; NULL when it has none. */
static cc_qent_t *cc_title_set(const cc_qinfo_t *qi, apr_pool_t *scratch)
{
    cc_qent_t *set;

    if (qi->ents.n == 0) {
        return NULL;
    }
    set = apr_palloc(scratch, qi->ents.n * sizeof(*set));
    memcpy(set, qi->ents.e, qi->ents.n * sizeof(*set));
    qsort(set, qi->ents.n, sizeof(*set), cc_cmp_qent);
    return set;
}

/* Title match of chunk against the question (qi; set from cc_title_set):
 * the share of the title the question holds, and in *qshare (when not
 * NULL) the share of the question the title holds. */
static double cc_title_match(const cc_ix_view_t *v, const cc_qinfo_t *qi,
                             const cc_qent_t *set, uint32_t chunk,
                             double *qshare)
{
    cc_tmatch_t tm;
    const char *t = cc_index_chunk_title(v->img, v->len, chunk);
    double held = 0.0;
    size_t i, j, k;

    if (qshare) {
        *qshare = 0.0;
    }
    if (!t || !set) {
        return 0.0;
    }
    memset(&tm, 0, sizeof(tm));
    tm.v = v;
    tm.set = set;
    tm.nset = qi->ents.n;
    cc_tok_each(t, strlen(t), CC_IX_TOK_FLAGS, cc_title_term, &tm);
    if (qshare && qi->total > 0.0) {
        for (i = 0; i < qi->n; i++) {
            int hit = 0;

            for (j = qi->first[i]; j < qi->first[i + 1] && !hit; j++) {
                for (k = 0; k < tm.nids; k++) {
                    if (tm.ids[k] == qi->ents.e[j].term) {
                        hit = 1;
                        break;
                    }
                }
            }
            if (hit) {
                held += qi->idf[i];
            }
        }
        *qshare = held / qi->total;
    }
    return tm.total > 0.0 ? tm.held / tm.total : 0.0;
}

int cc_index_search(const void *img, size_t len, const char *query,
                    size_t qlen, cc_hit_t *hits, int k, apr_pool_t *scratch)
{
    cc_ix_view_t v;
    cc_qcollect_t qc;
    cc_qents_t qe;
    cc_acc_t acc;
    cc_topk_t top;
    uint64_t walk = 0;
    double kp1;
    size_t i, u;
    int expand, rerank;

    if (!hits || k <= 0 || !query || !scratch) {
        return 0;
    }
    if (k > CC_IX_MAX_K) {
        k = CC_IX_MAX_K;
    }
    if (cc_ix_view(&v, img, len) != 0 || v.nchunks == 0 || v.nterms == 0) {
        return 0;
    }

    /* Query terms, sorted and deduplicated. */
    cc_query_collect(&qc, scratch, query, qlen);
    if (qc.n == 0 || qc.meta) {
        return 0;
    }
    qsort(qc.terms, qc.n, sizeof(*qc.terms), cc_cmp_qterm);
    for (i = 1, u = 1; i < qc.n; i++) {
        if (cc_cmp_qterm(&qc.terms[i], &qc.terms[u - 1]) != 0) {
            qc.terms[u++] = qc.terms[i];
        }
    }
    qc.n = u;

    /* Dictionary entries to score: the query's own terms, then synonyms
     * of them; after sorting, a term's own entry (expanded 0) comes first
     * and wins over the same term reached by expansion. */
    memset(&qe, 0, sizeof(qe));
    qe.pool = scratch;
    expand = v.sw > 0.0 && v.nsynt > 0;
    for (i = 0; i < qc.n; i++) {
        uint32_t d = cc_dict_find(&v, qc.terms[i].s, qc.terms[i].n);

        if (d != CC_IX_NONE) {
            cc_qents_push(&qe, d, 0);
        }
        if (expand) {
            cc_expand(&v, &qe, qc.terms[i].s, qc.terms[i].n);
        }
    }
    for (i = 0; expand && i < qc.nphr; i++) {
        cc_expand(&v, &qe, qc.phr[i].s, qc.phr[i].n);
    }
    if (qe.n == 0) {
        return 0;
    }
    qsort(qe.e, qe.n, sizeof(*qe.e), cc_cmp_qent);
    for (i = 1, u = 1; i < qe.n; i++) {
        if (qe.e[i].term != qe.e[u - 1].term) {
            qe.e[u++] = qe.e[i];
        }
    }
    qe.n = u;

    /* How many postings will be walked decides the accumulator. */
    for (i = 0; i < qe.n; i++) {
        const unsigned char *e = v.img + v.off_terms
                                 + (uint64_t)qe.e[i].term * SZ_TERM;
        uint32_t df = cc_ld32(e + 12);

        walk += df < v.npost ? df : v.npost;
    }
    if (walk > v.npost) {
        walk = v.npost;
    }
    memset(&acc, 0, sizeof(acc));
    if (v.nchunks <= 65536u || walk * 4 >= v.nchunks) {
        acc.dense = apr_pcalloc(scratch, (apr_size_t)v.nchunks
                                         * sizeof(double));
        if (!acc.dense) {
            return 0;
        }
    }
    else {
        uint64_t cap = 64;

        while (cap < walk * 2 + 2) {
            cap *= 2;
        }
        acc.keys = apr_pcalloc(scratch, (apr_size_t)cap * sizeof(uint32_t));
        acc.vals = apr_pcalloc(scratch, (apr_size_t)cap * sizeof(double));
        acc.mask = (uint32_t)(cap - 1);
        if (!acc.keys || !acc.vals) {
            return 0;
        }
    }

    /* Score. */
    kp1 = v.k1 + 1.0;
    for (i = 0; i < qe.n; i++) {
        const unsigned char *e = v.img + v.off_terms
                                 + (uint64_t)qe.e[i].term * SZ_TERM;
        uint32_t first = cc_ld32(e + 8), df = cc_ld32(e + 12), j;
        double w, idf, n = (double)v.nchunks;
        const unsigned char *pp;

        if (first > v.npost || df > v.npost - first || df == 0) {
            continue;
        }
        idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
        w = (qe.e[i].expanded ? v.sw : 1.0) * idf * kp1;
        pp = v.img + v.off_post + (uint64_t)first * SZ_POST;
        for (j = 0; j < df; j++, pp += SZ_POST) {
            uint32_t c = cc_ld32(pp);
            double tf = (double)cc_ld16(pp + 4)
                        + v.tw * (double)cc_ld16(pp + 6);
            double norm;

            if (c >= v.nchunks || !(tf > 0.0)) {
                continue;
            }
            norm = cc_ldd(v.img + v.off_norms + (uint64_t)c * SZ_NORM);
            cc_acc_add(&acc, c, w * tf / (tf + norm));
        }
    }

    /* Top candidates by BM25: k, or CC_IX_RERANK when re-ranking. */
    top.n = 0;
    top.k = k;
    if (!(v.cw > 0.0 && v.cw <= 16.0)) {
        v.cw = 0.0;     /* off, or a damaged header: BM25F alone */
    }
    if (!(v.pw > 0.0 && v.pw <= 16.0) || v.npairs == 0 || qc.npairs == 0) {
        v.pw = 0.0;
    }
    if (!(v.trw > 0.0 && v.trw <= 16.0)) {
        v.trw = 0.0;
    }
    rerank = v.cw > 0.0 || v.pw > 0.0 || v.trw > 0.0;
    if (rerank && top.k < CC_IX_RERANK) {
        top.k = CC_IX_RERANK;
    }
    if (acc.dense) {
        uint32_t c;

        for (c = 0; c < v.nchunks; c++) {
            if (acc.dense[c] > 0.0) {
                cc_topk_offer(&top, c, acc.dense[c]);
            }
        }
    }
    else {
        uint32_t s;

        for (s = 0; s <= acc.mask; s++) {
            if (acc.keys[s] != 0) {
                cc_topk_offer(&top, acc.keys[s] - 1, acc.vals[s]);
            }
        }
    }
    /* Re-rank the candidates: score * coverage^cw * (1 + pw * pairs)
     * * (1 + trw * title agreement), so that of two chunks with a similar
     * BM25 score the one that holds more of the question's rare terms, its
     * words side by side as the patient wrote them ("lip filler", "gift
     * voucher"), and a title that says what was asked ("Cancellation
     * policy", not "Clinic policies"), comes first. */
    if (rerank && top.n > 0) {
        cc_qinfo_t qi;
        cc_hit_t cand[CC_IX_MAX_K];
        const cc_qent_t *tset = NULL;
        int nc = top.n, c;

        memcpy(cand, top.h, (size_t)nc * sizeof(cand[0]));

        if (v.cw > 0.0 || v.trw > 0.0) {
            cc_qinfo_make(&qi, &v, &qc, scratch);
        }
        if (v.trw > 0.0) {
            tset = cc_title_set(&qi, scratch);
        }
        if (v.pw > 0.0) {
            qsort(qc.pairs, qc.npairs, sizeof(*qc.pairs), cc_cmp_u32);
            for (i = 1, u = 1; i < qc.npairs; i++) {
                if (qc.pairs[i] != qc.pairs[u - 1]) {
                    qc.pairs[u++] = qc.pairs[i];
                }
            }
            qc.npairs = u;
        }
        top.n = 0;
        top.k = k;
        for (c = 0; c < nc; c++) {
            double f = 1.0;

            if (v.cw > 0.0) {
                f *= pow(cc_qinfo_cover(&qi, &v, cand[c].chunk, 1.0),
                         v.cw);
            }
            if (v.pw > 0.0) {
                size_t j, has = 0;

                for (j = 0; j < qc.npairs; j++) {
                    has += cc_pair_has(&v, qc.pairs[j], cand[c].chunk);
                }
                f *= 1.0 + v.pw * (double)has / (double)qc.npairs;
            }
            cand[c].score *= f;
            if (v.trw == 0.0) {
                cc_topk_offer(&top, cand[c].chunk, cand[c].score);
            }
        }
        if (v.trw > 0.0) {
            /* The title agreement last, best candidates first: one whose
             * score times the largest factor (1 + trw) cannot enter the
             * top k is not tokenised (the same result, for less). */
            qsort(cand, (size_t)nc, sizeof(cand[0]), cc_cmp_hit_desc);
            for (c = 0; c < nc; c++) {
                cc_hit_t bound = cand[c];
                double qs, ts;

                bound.score *= 1.0 + v.trw;
                if (top.n == top.k && !cc_worse(&top.h[0], &bound)) {
                    continue;
                }
                ts = cc_title_match(&v, &qi, tset, cand[c].chunk, &qs);
                if (ts + qs > 0.0) {
                    cand[c].score *= 1.0 + v.trw * 2.0 * ts * qs / (ts + qs);
                }
                cc_topk_offer(&top, cand[c].chunk, cand[c].score);
            }
        }
    }
    /* Pop worst-first into the tail of hits: best first. */
    {
        int n = top.n, at;

        for (at = n - 1; at >= 0; at--) {
            hits[at] = top.h[0];
            top.h[0] = top.h[--top.n];
            cc_topk_sift(&top, 0);
        }
        return n;
    }
}

/* ---- query coverage ------------------------------------------------------ */

double cc_index_coverage(const void *img, size_t len, const char *query,
                         size_t qlen, uint32_t chunk, apr_pool_t *scratch)
{
    cc_ix_view_t v;
    cc_qcollect_t qc;
    cc_qinfo_t qi;
    double cover;
    size_t i, u;

    if (!query || !scratch || cc_ix_view(&v, img, len) != 0
        || chunk >= v.nchunks) {
        return 0.0;
    }
    cc_query_collect(&qc, scratch, query, qlen);
    if (qc.n == 0 || qc.meta) {
        return 0.0;
    }
    qsort(qc.terms, qc.n, sizeof(*qc.terms), cc_cmp_qterm);
    for (i = 1, u = 1; i < qc.n; i++) {
        if (cc_cmp_qterm(&qc.terms[i], &qc.terms[u - 1]) != 0) {
            qc.terms[u++] = qc.terms[i];
        }
    }
    qc.n = u;
    cc_qinfo_make(&qi, &v, &qc, scratch);
    if (!(v.cxw >= 0.0 && v.cxw <= 1.0)) {
        v.cxw = 1.0;    /* a damaged header: every missing word alike */
    }
    cover = cc_qinfo_cover(&qi, &v, chunk, v.cxw);
    if (!(v.tcw > 0.0 && v.tcw <= 16.0)) {
        return cover;   /* off, or a damaged header */
    }
    return (cover + v.tcw * cc_title_match(&v, &qi, cc_title_set(&qi,
                                                                   scratch),
                                           chunk, NULL))
           / (1.0 + v.tcw);
}
