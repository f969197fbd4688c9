/*
 * cc_index_build.c - build the pointer-free retrieval image (layout in
 * cc_index_image.h): the builder collects chunks, their terms and the
 * synonym groups in malloc'd tables; cc_index_build sorts the dictionary
 * and writes every section into one pool block.
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

static uint64_t cc_align8(uint64_t v)
{
    return (v + 7u) & ~(uint64_t)7u;
}

/* ---- parameters -------------------------------------------------------- */

void cc_index_params_default(cc_index_params_t *params)
{
    if (!params) {
        return;
    }
    params->k1 = 1.2;
    params->b = 0.75;
    params->title_weight = 2.0;
    params->synonym_weight = 0.6;
    params->coverage_weight = 0.5;
    params->pair_weight = 0.5;
    params->title_cover_weight = 0.4;
    params->title_rank_weight = 1.0;
    params->context_weight = 1.0;
}

/* ---- builder ----------------------------------------------------------- */

typedef struct cc_ix_rec_t {
    uint32_t term;      /* builder term id */
    uint32_t chunk;
    uint16_t tf_body;
    uint16_t tf_title;
} cc_ix_rec_t;

typedef struct cc_ix_pair_t {
    uint32_t hash;      /* cc_ix_pair_hash */
    uint32_t chunk;
} cc_ix_pair_t;

typedef struct cc_ix_chunk_t {
    const char *id;
    const char *title;
    const char *text;
    const void *sents;      /* sentence table of text (in the pool) */
    size_t      id_len, title_len, text_len, sents_len;
    uint32_t    body_terms, title_terms;
} cc_ix_chunk_t;

typedef struct cc_ix_syn_t {
    uint32_t term;      /* builder term id */
    uint32_t group;
    uint32_t trigger;   /* a query holding it expands to the group: a
                           single-word entry, or a phrase's words joined
                           by one space (its words are members only) */
} cc_ix_syn_t;

struct cc_index_builder_t {
    apr_pool_t       *p;
    cc_index_params_t params;
    int               failed;       /* out of memory */
    int               too_large;    /* a hard limit was passed */
    uint64_t          nadded;       /* chunks offered, stored or not */
    uint64_t          bytes;        /* string bytes stored */

    cc_ix_chunk_t    *chunks;
    uint32_t          nchunks, chunks_cap;

    /* term table: open addressing over term ids */
    char             *arena;        /* term bytes, NUL-terminated */
    size_t            arena_len, arena_cap;
    uint32_t         *term_off;     /* per id: offset in arena */
    uint32_t         *term_len;
    uint32_t         *term_hash;
    uint32_t         *term_last;    /* per id: last chunk seen + 1 */
    size_t           *term_rec;     /* per id: its record in that chunk */
    uint32_t          nterms, terms_cap;
    uint32_t         *slots;        /* id + 1, 0 = empty */
    uint32_t          nslots;       /* power of two */

    cc_ix_rec_t      *recs;
    size_t            nrecs, recs_cap;

    cc_ix_syn_t      *syns;
    size_t            nsyns, syns_cap;
    uint32_t          ngroups;

    cc_ix_pair_t     *pairs;
    size_t            npairs, pairs_cap;

    /* state of the chunk being added */
    uint32_t          cur_chunk;
    int               cur_title;
    uint32_t          cur_count;
    uint32_t          cur_prev;     /* previous term id in the field */
};

static apr_status_t cc_builder_cleanup(void *data)
{
    cc_index_builder_t *b = data;

    free(b->chunks);
    free(b->arena);
    free(b->term_off);
    free(b->term_len);
    free(b->term_hash);
    free(b->term_last);
    free(b->term_rec);
    free(b->slots);
    free(b->recs);
    free(b->syns);
    free(b->pairs);
    return APR_SUCCESS;
}

/* Grow *arr to hold at least need elements of size sz. */
static int cc_grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    size_t ncap;
    void *n;

    if (need <= *cap) {
        return 0;
    }
    ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / sz) {
            return -1;
        }
        ncap *= 2;
    }
    n = realloc(*arr, ncap * sz);
    if (!n) {
        return -1;
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

static uint32_t cc_hash32(const char *s, size_t n)
{
    uint64_t h = cc_fnv1a64((const unsigned char *)s, n);

    return (uint32_t)(h ^ (h >> 32));
}

static int cc_rehash(cc_index_builder_t *b, uint32_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    uint32_t i;

    if (!slots) {
        return -1;
    }
    for (i = 0; i < b->nterms; i++) {
        uint32_t s = b->term_hash[i] & (nslots - 1);

        while (slots[s]) {
            s = (s + 1) & (nslots - 1);
        }
        slots[s] = i + 1;
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = nslots;
    return 0;
}

/* Id of term s[0..n), added when new; CC_IX_NONE on failure. */
static uint32_t cc_term_id(cc_index_builder_t *b, const char *s, size_t n)
{
    uint32_t h = cc_hash32(s, n), slot, id;
    size_t cap;

    if ((uint64_t)b->nterms * 2 >= b->nslots) {
        if (b->nslots >= UINT32_MAX / 4
            || cc_rehash(b, b->nslots ? b->nslots * 2 : 1024) != 0) {
            return CC_IX_NONE;
        }
    }
    slot = h & (b->nslots - 1);
    while (b->slots[slot]) {
        id = b->slots[slot] - 1;
        if (b->term_hash[id] == h && b->term_len[id] == n
            && memcmp(b->arena + b->term_off[id], s, n) == 0) {
            return id;
        }
        slot = (slot + 1) & (b->nslots - 1);
    }
    if (b->nterms >= b->terms_cap) {
        size_t c = b->terms_cap;

        cap = c;
        if (cc_grow((void **)&b->term_off, &cap, b->nterms + 1,
                    sizeof(uint32_t)) != 0) {
            return CC_IX_NONE;
        }
        cap = c;
        if (cc_grow((void **)&b->term_len, &cap, b->nterms + 1,
                    sizeof(uint32_t)) != 0) {
            return CC_IX_NONE;
        }
        cap = c;
        if (cc_grow((void **)&b->term_hash, &cap, b->nterms + 1,
                    sizeof(uint32_t)) != 0) {
            return CC_IX_NONE;
        }
        cap = c;
        if (cc_grow((void **)&b->term_last, &cap, b->nterms + 1,
                    sizeof(uint32_t)) != 0) {
            return CC_IX_NONE;
        }
        cap = c;
        if (cc_grow((void **)&b->term_rec, &cap, b->nterms + 1,
                    sizeof(size_t)) != 0) {
            return CC_IX_NONE;
        }
        if (cap > UINT32_MAX) {
            return CC_IX_NONE;
        }
        b->terms_cap = (uint32_t)cap;
    }
    if (b->arena_len + n + 1 > UINT32_MAX
        || cc_grow((void **)&b->arena, &b->arena_cap, b->arena_len + n + 1,
                   1) != 0) {
        return CC_IX_NONE;
    }
    id = b->nterms++;
    memcpy(b->arena + b->arena_len, s, n);
    b->arena[b->arena_len + n] = '\0';
    b->term_off[id] = (uint32_t)b->arena_len;
    b->term_len[id] = (uint32_t)n;
    b->term_hash[id] = h;
    b->term_last[id] = 0;
    b->term_rec[id] = 0;
    b->arena_len += n + 1;
    b->slots[slot] = id + 1;
    return id;
}

cc_index_builder_t *cc_index_builder_create(apr_pool_t *p,
                                            const cc_index_params_t *params)
{
    cc_index_builder_t *b = apr_pcalloc(p, sizeof(*b));

    b->p = p;
    if (params) {
        b->params = *params;
    }
    else {
        cc_index_params_default(&b->params);
    }
    if (!(b->params.k1 >= 0.0) || !isfinite(b->params.k1)) {
        b->params.k1 = 1.2;
    }
    if (!(b->params.b >= 0.0 && b->params.b <= 1.0)) {
        b->params.b = 0.75;
    }
    if (!(b->params.title_weight >= 0.0)
        || !isfinite(b->params.title_weight)) {
        b->params.title_weight = 2.0;
    }
    if (!(b->params.synonym_weight >= 0.0)
        || !isfinite(b->params.synonym_weight)) {
        b->params.synonym_weight = 0.6;
    }
    if (!(b->params.coverage_weight >= 0.0)
        || !isfinite(b->params.coverage_weight)) {
        b->params.coverage_weight = 0.5;
    }
    if (!(b->params.pair_weight >= 0.0)
        || !isfinite(b->params.pair_weight)) {
        b->params.pair_weight = 0.5;
    }
    if (!(b->params.title_cover_weight >= 0.0
          && b->params.title_cover_weight <= 16.0)) {
        /* negative, NaN, or more than search accepts (cc_index_coverage) */
        b->params.title_cover_weight = 0.4;
    }
    if (!(b->params.title_rank_weight >= 0.0
          && b->params.title_rank_weight <= 16.0)) {
        /* negative, NaN, or more than search accepts */
        b->params.title_rank_weight = 1.0;
    }
    if (!(b->params.context_weight >= 0.0
          && b->params.context_weight <= 1.0)) {
        /* negative, NaN, or more than 1 (cc_index_coverage) */
        b->params.context_weight = 1.0;
    }
    apr_pool_cleanup_register(p, b, cc_builder_cleanup,
                              apr_pool_cleanup_null);
    return b;
}

static int cc_add_term(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_index_builder_t *b = baton;
    uint32_t id;
    cc_ix_rec_t *r;

    if (len == 0) {
        return 0;
    }
    id = cc_term_id(b, term, len);
    if (id == CC_IX_NONE) {
        b->failed = 1;
        return 1;
    }
    b->cur_count++;
    if (b->cur_prev != CC_IX_NONE) {
        cc_ix_pair_t *pr;

        if (b->npairs >= CC_IX_MAX_IMAGE / SZ_PAIR) {
            b->too_large = 1;
            return 1;
        }
        if (cc_grow((void **)&b->pairs, &b->pairs_cap, b->npairs + 1,
                    sizeof(*b->pairs)) != 0) {
            b->failed = 1;
            return 1;
        }
        pr = &b->pairs[b->npairs++];
        pr->hash = cc_ix_pair_hash(b->arena + b->term_off[b->cur_prev],
                                   b->term_len[b->cur_prev], term, len);
        pr->chunk = b->cur_chunk;
    }
    b->cur_prev = id;
    if (b->term_last[id] == b->cur_chunk + 1) {
        r = &b->recs[b->term_rec[id]];
    }
    else {
        if (b->nrecs >= CC_IX_MAX_IMAGE / SZ_POST) {
            b->too_large = 1;
            return 1;
        }
        if (cc_grow((void **)&b->recs, &b->recs_cap, b->nrecs + 1,
                    sizeof(*b->recs)) != 0) {
            b->failed = 1;
            return 1;
        }
        r = &b->recs[b->nrecs];
        r->term = id;
        r->chunk = b->cur_chunk;
        r->tf_body = 0;
        r->tf_title = 0;
        b->term_last[id] = b->cur_chunk + 1;
        b->term_rec[id] = b->nrecs++;
    }
    if (b->cur_title) {
        if (r->tf_title < UINT16_MAX) {
            r->tf_title++;
        }
    }
    else if (r->tf_body < UINT16_MAX) {
        r->tf_body++;
    }
    return 0;
}

void cc_index_builder_add(cc_index_builder_t *b, const char *id,
                          const char *title, const char *text, size_t len)
{
    cc_ix_chunk_t *c;
    size_t id_len, title_len;

    if (!b) {
        return;
    }
    b->nadded++;
    if (b->failed || b->too_large) {
        return;
    }
    if (!text) {
        len = 0;
    }
    id_len = id ? strlen(id) : 0;
    title_len = title ? strlen(title) : 0;
    if (b->nadded > CC_IX_MAX_CHUNKS
        || b->bytes + id_len + title_len + len + 3 > CC_IX_MAX_IMAGE) {
        b->too_large = 1;
        return;
    }
    {
        size_t cap = b->chunks_cap;

        if (cc_grow((void **)&b->chunks, &cap, (size_t)b->nchunks + 1,
                    sizeof(*b->chunks)) != 0) {
            b->failed = 1;
            return;
        }
        b->chunks_cap = (uint32_t)cap;
    }
    b->bytes += id_len + title_len + len + 3;
    c = &b->chunks[b->nchunks];
    c->id = apr_pstrmemdup(b->p, id ? id : "", id_len);
    c->title = apr_pstrmemdup(b->p, title ? title : "", title_len);
    c->text = apr_pstrmemdup(b->p, len ? text : "", len);
    c->id_len = id_len;
    c->title_len = title_len;
    c->text_len = len;
    {
        apr_status_t rv = cc_sent_analyse(&c->sents, &c->sents_len, b->p,
                                          c->text, len);

        if (rv == APR_EINVAL) {
            b->too_large = 1;       /* a text over 4 GiB */
            return;
        }
        if (rv != APR_SUCCESS) {
            b->failed = 1;
            return;
        }
        if (b->bytes + c->sents_len + 8 > CC_IX_MAX_IMAGE) {
            b->too_large = 1;
            return;
        }
        b->bytes += c->sents_len + 8;
    }

    b->cur_chunk = b->nchunks;
    b->cur_title = 1;
    b->cur_count = 0;
    b->cur_prev = CC_IX_NONE;
    cc_tok_each(c->title, title_len, CC_IX_TOK_FLAGS, cc_add_term, b);
    c->title_terms = b->cur_count;
    b->cur_title = 0;
    b->cur_count = 0;
    b->cur_prev = CC_IX_NONE;
    cc_tok_each(c->text, len, CC_IX_TOK_FLAGS, cc_add_term, b);
    c->body_terms = b->cur_count;
    b->nchunks++;
}

/* ---- synonyms ---------------------------------------------------------- */

typedef struct cc_syn_line_t {
    cc_index_builder_t *b;
    uint32_t           *ids;
    uint32_t           *trig;       /* per id: a trigger (cc_ix_syn_t) */
    size_t              n, cap, tcap;
    int                 failed;
    /* the entry being read: its terms joined by one space */
    char                phrase[256];
    size_t              plen;
    unsigned            nwords;
    uint32_t            first_word;
    int                 words_join;     /* a phrase's words are members */
} cc_syn_line_t;

static void cc_syn_add(cc_syn_line_t *l, uint32_t id, uint32_t trig)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->ids[i] == id) {
            l->trig[i] |= trig;
            return;
        }
    }
    if (cc_grow((void **)&l->ids, &l->cap, l->n + 1, sizeof(*l->ids)) != 0
        || cc_grow((void **)&l->trig, &l->tcap, l->n + 1,
                   sizeof(*l->trig)) != 0) {
        l->failed = 1;
        return;
    }
    l->ids[l->n] = id;
    l->trig[l->n] = trig;
    l->n++;
}

static int cc_syn_term(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_syn_line_t *l = baton;
    uint32_t id;

    if (len == 0) {
        return 0;
    }
    id = cc_term_id(l->b, term, len);
    if (id == CC_IX_NONE) {
        l->failed = 1;
        return 1;
    }
    /* Every word is a member; the first is held back until the entry is
     * known to be one word (then it is a trigger too). */
    if (l->nwords == 0) {
        l->first_word = id;
    }
    else if (l->words_join) {
        if (l->nwords == 1) {
            cc_syn_add(l, l->first_word, 0);
        }
        cc_syn_add(l, id, 0);
    }
    l->nwords++;
    if (l->plen + len + 1 < sizeof(l->phrase)) {
        if (l->plen > 0) {
            l->phrase[l->plen++] = ' ';
        }
        memcpy(l->phrase + l->plen, term, len);
        l->plen += len;
    }
    else {
        l->plen = sizeof(l->phrase);    /* too long to be a trigger */
    }
    return l->failed;
}

/* Tokenise one side of a line (comma-separated entries) into l; returns
 * the number of new terms.  A one-word entry is a trigger and a member; a
 * phrase ("anti-wrinkle", "work out") triggers the group only as a whole,
 * its words adjacent in the query.  The words of a phrase on the left of
 * '=' (the clinic's own term) are members, searched when the group is
 * triggered; those of a phrase on the right (the patient's words) are
 * not: "work" and "out" alone say nothing about exercise. */
static size_t cc_syn_side(cc_syn_line_t *l, const char *s, size_t n,
                          int words_join)
{
    size_t before = l->n, i = 0;

    l->words_join = words_join;
    while (i <= n && !l->failed) {
        const char *comma = i < n ? memchr(s + i, ',', n - i) : NULL;
        size_t e = comma ? (size_t)(comma - s) : n;

        if (e > i) {
            l->plen = 0;
            l->nwords = 0;
            cc_tok_each(s + i, e - i, CC_IX_TOK_FLAGS, cc_syn_term, l);
            if (l->nwords == 1) {
                cc_syn_add(l, l->first_word, 1);
            }
            else if (l->nwords > 1 && l->plen < sizeof(l->phrase)) {
                uint32_t id = cc_term_id(l->b, l->phrase, l->plen);

                if (id == CC_IX_NONE) {
                    l->failed = 1;
                }
                else {
                    cc_syn_add(l, id, 1);
                }
            }
        }
        i = e + 1;
    }
    return l->n - before;
}

int cc_index_builder_synonyms(cc_index_builder_t *b, const char *text,
                              size_t len)
{
    cc_syn_line_t l;
    size_t pos = 0;
    int malformed = 0;

    if (!b || !text) {
        return 0;
    }
    memset(&l, 0, sizeof(l));
    l.b = b;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos, *hash, *eq;
        size_t n = end - pos, i, left_terms, right_terms;
        int blank = 1;

        pos = nl ? end + 1 : len;
        hash = memchr(s, '#', n);
        if (hash) {
            n = (size_t)(hash - s);
        }
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];

            if (c != ' ' && c != '\t' && c != '\r' && c != '\f'
                && c != '\v') {
                blank = 0;
                break;
            }
        }
        if (blank) {
            continue;
        }
        eq = memchr(s, '=', n);
        if (!eq || memchr(eq + 1, '=', n - (size_t)(eq - s) - 1)) {
            malformed++;
            continue;
        }
        l.n = 0;
        left_terms = cc_syn_side(&l, s, (size_t)(eq - s), 1);
        right_terms = cc_syn_side(&l, eq + 1, n - (size_t)(eq - s) - 1, 0);
        if (l.failed) {
            b->failed = 1;
            break;
        }
        if (left_terms == 0 || right_terms == 0 || l.n < 2) {
            malformed++;
            continue;
        }
        if (cc_grow((void **)&b->syns, &b->syns_cap, b->nsyns + l.n,
                    sizeof(*b->syns)) != 0) {
            b->failed = 1;
            break;
        }
        for (i = 0; i < l.n; i++) {
            b->syns[b->nsyns].term = l.ids[i];
            b->syns[b->nsyns].group = b->ngroups;
            b->syns[b->nsyns].trigger = l.trig[i];
            b->nsyns++;
        }
        b->ngroups++;
    }
    free(l.ids);
    free(l.trig);
    return malformed;
}

/* ---- build ------------------------------------------------------------- */

typedef struct cc_sort_term_t {
    const char *s;
    uint32_t    n;
    uint32_t    id;
} cc_sort_term_t;


static int cc_cmp_sort_term(const void *x, const void *y)
{
    const cc_sort_term_t *a = x, *b = y;

    return cc_ix_cmp_bytes(a->s, a->n, b->s, b->n);
}

typedef struct cc_sort_syn_t {
    const char *s;
    uint32_t    n;
    uint32_t    group;
    uint32_t    id;
} cc_sort_syn_t;

static int cc_cmp_sort_syn(const void *x, const void *y)
{
    const cc_sort_syn_t *a = x, *b = y;
    int r = cc_ix_cmp_bytes(a->s, a->n, b->s, b->n);

    if (r != 0) {
        return r;
    }
    return a->group < b->group ? -1 : a->group > b->group ? 1 : 0;
}

static int cc_cmp_syn_group(const void *x, const void *y)
{
    const cc_ix_syn_t *a = x, *b = y;

    if (a->group != b->group) {
        return a->group < b->group ? -1 : 1;
    }
    return a->term < b->term ? -1 : a->term > b->term ? 1 : 0;
}

/* Copy s[0..n) and a NUL into the heap at *at; returns its offset. */
static uint32_t cc_put_str(unsigned char *img, uint64_t *at, const char *s,
                           size_t n)
{
    uint32_t off = (uint32_t)*at;

    if (n > 0) {
        memcpy(img + *at, s, n);
    }
    img[*at + n] = '\0';
    *at += n + 1;
    return off;
}

typedef struct cc_build_tmp_t {
    cc_sort_term_t *sorted;
    uint32_t       *rank;       /* builder term id -> dictionary index */
    uint32_t       *first;      /* dictionary index -> first posting */
    uint32_t       *df;         /* dictionary index -> df */
    cc_sort_syn_t  *syn;
    cc_ix_syn_t    *groups;
} cc_build_tmp_t;

static int cc_cmp_pair(const void *x, const void *y)
{
    const cc_ix_pair_t *a = x, *b = y;

    if (a->hash != b->hash) {
        return a->hash < b->hash ? -1 : 1;
    }
    return a->chunk < b->chunk ? -1 : a->chunk > b->chunk;
}

static void cc_build_tmp_free(cc_build_tmp_t *t)
{
    free(t->sorted);
    free(t->rank);
    free(t->first);
    free(t->df);
    free(t->syn);
    free(t->groups);
}

static apr_status_t cc_build_fail(cc_build_tmp_t *t, cc_problem_t *prob,
                                  int status, const char *code,
                                  const char *msg)
{
    cc_build_tmp_free(t);
    cc_problem_set(prob, status, code, "%s", msg);
    return status == 413 ? APR_EINVAL : APR_ENOMEM;
}

apr_status_t cc_index_build(void **img, size_t *len, cc_index_builder_t *b,
                            apr_pool_t *p, cc_problem_t *prob)
{
    cc_build_tmp_t t;
    const cc_index_params_t *pr;
    uint64_t nterms, ndict, npost, nchunks, nsynt = 0, nsynm = 0, ngroups;
    uint64_t off_terms, off_post, off_chunks, off_norms, off_synt, off_syng;
    uint64_t off_synm, off_sents, sents_len, off_heap, heap_len, total, at;
    uint64_t off_pairs, npairs = 0;
    uint64_t sat, i;
    unsigned char *out;
    double sum = 0.0, avg;

    memset(&t, 0, sizeof(t));
    if (img) {
        *img = NULL;
    }
    if (len) {
        *len = 0;
    }
    if (!img || !len || !b || !p) {
        cc_problem_set(prob, 500, "internal_error", "no index to build");
        return APR_EINVAL;
    }
    if (b->too_large) {
        return cc_build_fail(&t, prob, 413, "knowledge_too_large",
                             b->nadded > CC_IX_MAX_CHUNKS
                             ? "the knowledge base has more than 1000000 "
                               "chunks"
                             : "the knowledge base index would exceed 1 GiB");
    }
    if (b->failed) {
        return cc_build_fail(&t, prob, 500, "internal_error",
                             "out of memory building the index");
    }
    pr = &b->params;
    nterms = b->nterms;
    npost = b->nrecs;
    nchunks = b->nchunks;
    ngroups = b->ngroups;

    /* The dictionary: every term with a posting (synonym-only terms stay
     * out), sorted by bytes.  t.df is first counted per builder id. */
    t.sorted = malloc((nterms ? nterms : 1) * sizeof(*t.sorted));
    t.rank = malloc((nterms ? nterms : 1) * sizeof(*t.rank));
    t.first = calloc(nterms + 1, sizeof(*t.first));
    t.df = calloc(nterms ? nterms : 1, sizeof(*t.df));
    if (!t.sorted || !t.rank || !t.first || !t.df) {
        return cc_build_fail(&t, prob, 500, "internal_error",
                             "out of memory building the index");
    }
    for (i = 0; i < npost; i++) {
        t.df[b->recs[i].term]++;
    }
    ndict = 0;
    for (i = 0; i < nterms; i++) {
        t.rank[i] = CC_IX_NONE;
        if (t.df[i] > 0) {
            t.sorted[ndict].s = b->arena + b->term_off[i];
            t.sorted[ndict].n = b->term_len[i];
            t.sorted[ndict].id = (uint32_t)i;
            ndict++;
        }
    }
    qsort(t.sorted, ndict, sizeof(*t.sorted), cc_cmp_sort_term);
    for (i = 0; i < ndict; i++) {
        t.rank[t.sorted[i].id] = (uint32_t)i;
        t.first[i + 1] = t.first[i] + t.df[t.sorted[i].id];
    }

    /* Synonyms: (term, group) pairs sorted by term bytes; per group its
     * members that occur in the dictionary. */
    if (b->nsyns > 0) {
        t.syn = malloc(b->nsyns * sizeof(*t.syn));
        t.groups = malloc(b->nsyns * sizeof(*t.groups));
        if (!t.syn || !t.groups) {
            return cc_build_fail(&t, prob, 500, "internal_error",
                                 "out of memory building the index");
        }
        /* Triggers go to the term table, every entry to the members
         * (a phrase itself has no postings, so it is no member). */
        for (i = 0; i < b->nsyns; i++) {
            uint32_t id = b->syns[i].term;

            t.groups[i] = b->syns[i];
            if (!b->syns[i].trigger) {
                continue;
            }
            t.syn[nsynt].s = b->arena + b->term_off[id];
            t.syn[nsynt].n = b->term_len[id];
            t.syn[nsynt].group = b->syns[i].group;
            t.syn[nsynt].id = id;
            nsynt++;
        }
        qsort(t.syn, nsynt, sizeof(*t.syn), cc_cmp_sort_syn);
        qsort(t.groups, b->nsyns, sizeof(*t.groups), cc_cmp_syn_group);
        for (i = 0; i < b->nsyns; i++) {
            if (t.rank[t.groups[i].term] != CC_IX_NONE) {
                nsynm++;
            }
        }
    }

    /* Adjacent pairs: sorted, one entry per (hash, chunk). */
    if (b->npairs > 0) {
        qsort(b->pairs, b->npairs, sizeof(*b->pairs), cc_cmp_pair);
        for (i = 0; i < b->npairs; i++) {
            if (npairs == 0 || b->pairs[i].hash != b->pairs[npairs - 1].hash
                || b->pairs[i].chunk != b->pairs[npairs - 1].chunk) {
                b->pairs[npairs++] = b->pairs[i];
            }
        }
        b->npairs = npairs;
    }

    /* Lay out the sections. */
    off_terms = CC_IX_HDR;
    off_post = cc_align8(off_terms + ndict * SZ_TERM);
    off_chunks = cc_align8(off_post + npost * SZ_POST);
    off_norms = cc_align8(off_chunks + nchunks * SZ_CHUNK);
    off_synt = cc_align8(off_norms + nchunks * SZ_NORM);
    off_syng = cc_align8(off_synt + nsynt * SZ_SYNT);
    off_synm = cc_align8(off_syng + ngroups * SZ_SYNG);
    off_pairs = cc_align8(off_synm + nsynm * SZ_SYNM);
    off_sents = cc_align8(off_pairs + npairs * SZ_PAIR);
    sents_len = 0;
    for (i = 0; i < nchunks; i++) {
        sents_len += cc_align8(b->chunks[i].sents_len);
    }
    off_heap = cc_align8(off_sents + sents_len);
    heap_len = 0;
    for (i = 0; i < nchunks; i++) {
        heap_len += b->chunks[i].id_len + b->chunks[i].title_len
                    + b->chunks[i].text_len + 3;
    }
    for (i = 0; i < ndict; i++) {
        heap_len += t.sorted[i].n + 1;
    }
    for (i = 0; i < nsynt; i++) {
        heap_len += t.syn[i].n + 1;
    }
    heap_len = cc_align8(heap_len + 1);
    total = off_heap + heap_len;
    if (total > CC_IX_MAX_IMAGE) {
        return cc_build_fail(&t, prob, 413, "knowledge_too_large",
                             "the knowledge base index would exceed 1 GiB");
    }
    out = apr_palloc(p, (apr_size_t)total);
    if (!out) {
        return cc_build_fail(&t, prob, 500, "internal_error",
                             "out of memory building the index");
    }
    memset(out, 0, (size_t)total);
    at = off_heap;
    sat = off_sents;

    /* Chunks and norms. */
    for (i = 0; i < nchunks; i++) {
        const cc_ix_chunk_t *c = &b->chunks[i];

        sum += (double)c->body_terms + pr->title_weight * c->title_terms;
    }
    avg = nchunks > 0 ? sum / (double)nchunks : 0.0;
    for (i = 0; i < nchunks; i++) {
        const cc_ix_chunk_t *c = &b->chunks[i];
        unsigned char *e = out + off_chunks + i * SZ_CHUNK;
        double dl = (double)c->body_terms + pr->title_weight * c->title_terms;
        double ratio = avg > 0.0 ? dl / avg : 0.0;

        cc_st32(e + 0, cc_put_str(out, &at, c->id, c->id_len));
        cc_st32(e + 4, (uint32_t)c->id_len);
        cc_st32(e + 8, cc_put_str(out, &at, c->title, c->title_len));
        cc_st32(e + 12, (uint32_t)c->title_len);
        cc_st32(e + 16, cc_put_str(out, &at, c->text, c->text_len));
        cc_st32(e + 20, (uint32_t)c->text_len);
        cc_st32(e + 24, c->body_terms);
        cc_st32(e + 28, c->title_terms);
        cc_st32(e + 32, (uint32_t)sat);
        cc_st32(e + 36, (uint32_t)c->sents_len);
        if (c->sents_len > 0) {
            memcpy(out + sat, c->sents, c->sents_len);
        }
        sat += cc_align8(c->sents_len);
        cc_std(out + off_norms + i * SZ_NORM,
               pr->k1 * (1.0 - pr->b + pr->b * ratio));
    }

    /* Dictionary. */
    for (i = 0; i < ndict; i++) {
        unsigned char *e = out + off_terms + i * SZ_TERM;

        cc_st32(e + 0, cc_put_str(out, &at, t.sorted[i].s, t.sorted[i].n));
        cc_st32(e + 4, t.sorted[i].n);
        cc_st32(e + 8, t.first[i]);
        cc_st32(e + 12, t.df[t.sorted[i].id]);
    }

    /* Postings: records are in chunk order, so a stable scatter keeps each
     * term's list in chunk order.  t.first becomes the fill cursor. */
    for (i = 0; i < npost; i++) {
        const cc_ix_rec_t *r = &b->recs[i];
        uint32_t d = t.rank[r->term];
        unsigned char *e = out + off_post + (uint64_t)t.first[d]++ * SZ_POST;

        cc_st32(e + 0, r->chunk);
        cc_st16(e + 4, r->tf_body);
        cc_st16(e + 6, r->tf_title);
    }

    /* Synonym terms, groups and members. */
    for (i = 0; i < nsynt; i++) {
        unsigned char *e = out + off_synt + i * SZ_SYNT;

        cc_st32(e + 0, cc_put_str(out, &at, t.syn[i].s, t.syn[i].n));
        cc_st32(e + 4, t.syn[i].n);
        cc_st32(e + 8, t.syn[i].group);
    }
    {
        uint64_t m = 0, g = 0, j = 0;

        for (g = 0; g < ngroups; g++) {
            unsigned char *e = out + off_syng + g * SZ_SYNG;
            uint64_t first = m;

            while (j < b->nsyns && t.groups[j].group == g) {
                uint32_t d = t.rank[t.groups[j].term];

                if (d != CC_IX_NONE) {
                    cc_st32(out + off_synm + m * SZ_SYNM, d);
                    m++;
                }
                j++;
            }
            cc_st32(e + 0, (uint32_t)first);
            cc_st32(e + 4, (uint32_t)(m - first));
        }
    }

    /* Pairs. */
    for (i = 0; i < npairs; i++) {
        cc_st32(out + off_pairs + i * SZ_PAIR, b->pairs[i].hash);
        cc_st32(out + off_pairs + i * SZ_PAIR + 4, b->pairs[i].chunk);
    }

    /* Header. */
    cc_st32(out + H_MAGIC, CC_INDEX_MAGIC);
    cc_st32(out + H_VERSION, CC_INDEX_VERSION);
    cc_st64(out + H_TOTAL, total);
    cc_st32(out + H_HDRSIZE, CC_IX_HDR);
    cc_st32(out + H_FLAGS, 0);
    cc_std(out + H_K1, pr->k1);
    cc_std(out + H_B, pr->b);
    cc_std(out + H_TW, pr->title_weight);
    cc_std(out + H_SW, pr->synonym_weight);
    cc_std(out + H_CW, pr->coverage_weight);
    cc_std(out + H_PW, pr->pair_weight);
    cc_std(out + H_TCW, pr->title_cover_weight);
    cc_std(out + H_TRW, pr->title_rank_weight);
    cc_std(out + H_CXW, pr->context_weight);
    cc_std(out + H_AVG, avg);
    cc_st32(out + H_NCHUNKS, (uint32_t)nchunks);
    cc_st32(out + H_NTERMS, (uint32_t)ndict);
    cc_st32(out + H_NPOSTINGS, (uint32_t)npost);
    cc_st32(out + H_NSYNTERMS, (uint32_t)nsynt);
    cc_st32(out + H_NSYNGROUPS, (uint32_t)ngroups);
    cc_st32(out + H_NSYNMEMBERS, (uint32_t)nsynm);
    cc_st64(out + H_OFF_TERMS, off_terms);
    cc_st64(out + H_OFF_POST, off_post);
    cc_st64(out + H_OFF_CHUNKS, off_chunks);
    cc_st64(out + H_OFF_NORMS, off_norms);
    cc_st64(out + H_OFF_SYNT, off_synt);
    cc_st64(out + H_OFF_SYNG, off_syng);
    cc_st64(out + H_OFF_SYNM, off_synm);
    cc_st64(out + H_OFF_HEAP, off_heap);
    cc_st64(out + H_HEAP_LEN, heap_len);
    cc_st64(out + H_OFF_SENTS, off_sents);
    cc_st64(out + H_SENTS_LEN, sents_len);
    cc_st64(out + H_OFF_PAIRS, off_pairs);
    cc_st32(out + H_NPAIRS, (uint32_t)npairs);
    cc_st64(out + H_CHECKSUM, cc_fnv1a64(out + CC_IX_HDR,
                                      (size_t)(total - CC_IX_HDR)));
    cc_st64(out + H_HDRSUM, cc_fnv1a64(out, H_HDRSUM));

    cc_build_tmp_free(&t);
    *img = out;
    *len = (size_t)total;
    return APR_SUCCESS;
}
