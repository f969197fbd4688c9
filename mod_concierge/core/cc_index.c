/*
 * cc_index.c - build and search the pointer-free retrieval image.
 *
 * Image layout (every field at a fixed byte offset, read and written with
 * memcpy so the image may sit at any address; all sections start on an
 * 8-byte boundary; every in-section reference is a uint32 byte offset from
 * the image start, which the 1 GiB size limit keeps in range):
 *
 *   header (CC_IX_HDR bytes, offsets below; besides the checksum of the
 *           bytes after the header, it carries an FNV-1a 64 of its own
 *           fields so that check also catches a damaged parameter)
 *   terms        nterms x 16    str_off, str_len, post_first, df;
 *                               sorted by term bytes (memcmp, then length)
 *   postings     npostings x 8  chunk u32, tf_body u16, tf_title u16;
 *                               per term in chunk order (tf saturate 65535)
 *   chunks       nchunks x 40   id_off, id_len, title_off, title_len,
 *                               text_off, text_len, body_terms, title_terms,
 *                               sents_off, sents_len
 *   norms        nchunks x 8    double k1 * (1 - b + b * dl / avgdl),
 *                               dl = body_terms + title_weight * title_terms
 *   syn terms    nsyn_terms x 12   str_off, str_len, group;
 *                               sorted by (term, group)
 *   syn groups   nsyn_groups x 8   member_first, member_count
 *   syn members  nsyn_members x 4  term index (dictionary), per group
 *   sentences    per chunk, on an 8-byte boundary, the sentence table of
 *                its text (cc_sent_analyse: sentence ranges, heading and
 *                has-a-term flags, hashes of each sentence's terms), so a
 *                chat answer need not split, clean and tokenise the chunk
 *   string heap  NUL-terminated strings; the image's last byte is NUL
 *
 * Score of chunk d for query term t (weight w: 1, or synonym_weight for an
 * expansion term):
 *   w * idf(t) * tf' * (k1 + 1) / (tf' + norm(d))
 *   tf' = tf_body + title_weight * tf_title
 *   idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 *
 * Search trusts nothing in the image: each value is read once into a local
 * and checked (sections against len, entries against their section, string
 * ranges against len) before it is used as an index or a length.  A
 * sentence table is bounded by its section here and checked field by field
 * by its reader (cc_answer_extract); cc_index_check validates every table
 * in full at attach.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_sent.h"
#include "cc_bytes.h"
#include "cc_index.h"
#include "cc_tok.h"

#define CC_IX_MAX_CHUNKS   1000000u
#define CC_IX_MAX_IMAGE    ((uint64_t)1 << 30)
#define CC_IX_MAX_K        64
#define CC_IX_TOK_FLAGS    (CC_TOK_STEM | CC_TOK_NOSTOP)
#define CC_IX_NONE         UINT32_MAX

/* Header field offsets. */
#define H_MAGIC        0
#define H_VERSION      4
#define H_TOTAL        8
#define H_CHECKSUM     16
#define H_HDRSIZE      24
#define H_FLAGS        28
#define H_K1           32
#define H_B            40
#define H_TW           48
#define H_SW           56
#define H_AVG          64
#define H_NCHUNKS      72
#define H_NTERMS       76
#define H_NPOSTINGS    80
#define H_NSYNTERMS    84
#define H_NSYNGROUPS   88
#define H_NSYNMEMBERS  92
#define H_OFF_TERMS    96
#define H_OFF_POST     104
#define H_OFF_CHUNKS   112
#define H_OFF_NORMS    120
#define H_OFF_SYNT     128
#define H_OFF_SYNG     136
#define H_OFF_SYNM     144
#define H_OFF_HEAP     152
#define H_HEAP_LEN     160
#define H_OFF_SENTS    168
#define H_SENTS_LEN    176
#define H_HDRSUM       184     /* FNV-1a 64 of header bytes [0, 184) */
#define CC_IX_HDR      192

#define SZ_TERM        16
#define SZ_POST        8
#define SZ_CHUNK       40
#define SZ_NORM        8
#define SZ_SYNT        12
#define SZ_SYNG        8
#define SZ_SYNM        4

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
}

/* ---- builder ----------------------------------------------------------- */

typedef struct cc_ix_rec_t {
    uint32_t term;      /* builder term id */
    uint32_t chunk;
    uint16_t tf_body;
    uint16_t tf_title;
} cc_ix_rec_t;

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

    /* state of the chunk being added */
    uint32_t          cur_chunk;
    int               cur_title;
    uint32_t          cur_count;
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
    cc_tok_each(c->title, title_len, CC_IX_TOK_FLAGS, cc_add_term, b);
    c->title_terms = b->cur_count;
    b->cur_title = 0;
    b->cur_count = 0;
    cc_tok_each(c->text, len, CC_IX_TOK_FLAGS, cc_add_term, b);
    c->body_terms = b->cur_count;
    b->nchunks++;
}

/* ---- synonyms ---------------------------------------------------------- */

typedef struct cc_syn_line_t {
    cc_index_builder_t *b;
    uint32_t           *ids;
    size_t              n, cap;
    int                 failed;
} cc_syn_line_t;

static int cc_syn_term(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_syn_line_t *l = baton;
    uint32_t id;
    size_t i;

    if (len == 0) {
        return 0;
    }
    id = cc_term_id(l->b, term, len);
    if (id == CC_IX_NONE) {
        l->failed = 1;
        return 1;
    }
    for (i = 0; i < l->n; i++) {
        if (l->ids[i] == id) {
            return 0;
        }
    }
    if (cc_grow((void **)&l->ids, &l->cap, l->n + 1, sizeof(*l->ids)) != 0) {
        l->failed = 1;
        return 1;
    }
    l->ids[l->n++] = id;
    return 0;
}

/* Tokenise one side of a line (comma-separated phrases) into l; returns
 * the number of new terms. */
static size_t cc_syn_side(cc_syn_line_t *l, const char *s, size_t n)
{
    size_t before = l->n, i = 0;

    while (i <= n) {
        const char *comma = i < n ? memchr(s + i, ',', n - i) : NULL;
        size_t e = comma ? (size_t)(comma - s) : n;

        if (e > i) {
            cc_tok_each(s + i, e - i, CC_IX_TOK_FLAGS, cc_syn_term, l);
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
        left_terms = cc_syn_side(&l, s, (size_t)(eq - s));
        right_terms = cc_syn_side(&l, eq + 1, n - (size_t)(eq - s) - 1);
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
            b->nsyns++;
        }
        b->ngroups++;
    }
    free(l.ids);
    return malformed;
}

/* ---- build ------------------------------------------------------------- */

typedef struct cc_sort_term_t {
    const char *s;
    uint32_t    n;
    uint32_t    id;
} cc_sort_term_t;

static int cc_cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);

    if (r != 0) {
        return r;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static int cc_cmp_sort_term(const void *x, const void *y)
{
    const cc_sort_term_t *a = x, *b = y;

    return cc_cmp_bytes(a->s, a->n, b->s, b->n);
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
    int r = cc_cmp_bytes(a->s, a->n, b->s, b->n);

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
        for (i = 0; i < b->nsyns; i++) {
            uint32_t id = b->syns[i].term;

            t.syn[i].s = b->arena + b->term_off[id];
            t.syn[i].n = b->term_len[id];
            t.syn[i].group = b->syns[i].group;
            t.syn[i].id = id;
            t.groups[i] = b->syns[i];
        }
        qsort(t.syn, b->nsyns, sizeof(*t.syn), cc_cmp_sort_syn);
        qsort(t.groups, b->nsyns, sizeof(*t.groups), cc_cmp_syn_group);
        nsynt = b->nsyns;
        for (i = 0; i < b->nsyns; i++) {
            if (t.rank[t.groups[i].term] != CC_IX_NONE) {
                nsynm++;
            }
        }
    }

    /* Lay out the sections. */
    off_terms = CC_IX_HDR;
    off_post = cc_align8(off_terms + ndict * SZ_TERM);
    off_chunks = cc_align8(off_post + npost * SZ_POST);
    off_norms = cc_align8(off_chunks + nchunks * SZ_CHUNK);
    off_synt = cc_align8(off_norms + nchunks * SZ_NORM);
    off_syng = cc_align8(off_synt + nsynt * SZ_SYNT);
    off_synm = cc_align8(off_syng + ngroups * SZ_SYNG);
    off_sents = cc_align8(off_synm + nsynm * SZ_SYNM);
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

            while (j < nsynt && t.groups[j].group == g) {
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
    cc_st64(out + H_CHECKSUM, cc_fnv1a64(out + CC_IX_HDR,
                                      (size_t)(total - CC_IX_HDR)));
    cc_st64(out + H_HDRSUM, cc_fnv1a64(out, H_HDRSUM));

    cc_build_tmp_free(&t);
    *img = out;
    *len = (size_t)total;
    return APR_SUCCESS;
}

/* ---- reading ----------------------------------------------------------- */

/* The header, read once and checked for what search and the accessors
 * rely on: every section within len. */
typedef struct cc_ix_view_t {
    const unsigned char *img;
    size_t   len;
    double   k1, tw, sw;
    uint32_t nchunks, nterms, npost, nsynt, nsyng, nsynm;
    uint64_t off_terms, off_post, off_chunks, off_norms;
    uint64_t off_synt, off_syng, off_synm, off_sents, sents_len;
    uint64_t off_heap, heap_len;
} cc_ix_view_t;

/* Is [off, off + n * sz) inside len (and 8-byte aligned)? */
static int cc_section_ok(uint64_t off, uint64_t n, uint64_t sz, size_t len)
{
    if ((off & 7u) != 0 || off < CC_IX_HDR || off > len) {
        return 0;
    }
    return n <= ((uint64_t)len - off) / sz;
}

static int cc_view(cc_ix_view_t *v, const void *img, size_t len)
{
    const unsigned char *p = img;

    if (!p || len < CC_IX_HDR) {
        return -1;
    }
    if (cc_ld32(p + H_MAGIC) != CC_INDEX_MAGIC
        || cc_ld32(p + H_VERSION) != CC_INDEX_VERSION
        || cc_ld32(p + H_HDRSIZE) != CC_IX_HDR) {
        return -1;
    }
    v->img = p;
    v->len = len;
    v->k1 = cc_ldd(p + H_K1);
    v->tw = cc_ldd(p + H_TW);
    v->sw = cc_ldd(p + H_SW);
    v->nchunks = cc_ld32(p + H_NCHUNKS);
    v->nterms = cc_ld32(p + H_NTERMS);
    v->npost = cc_ld32(p + H_NPOSTINGS);
    v->nsynt = cc_ld32(p + H_NSYNTERMS);
    v->nsyng = cc_ld32(p + H_NSYNGROUPS);
    v->nsynm = cc_ld32(p + H_NSYNMEMBERS);
    v->off_terms = cc_ld64(p + H_OFF_TERMS);
    v->off_post = cc_ld64(p + H_OFF_POST);
    v->off_chunks = cc_ld64(p + H_OFF_CHUNKS);
    v->off_norms = cc_ld64(p + H_OFF_NORMS);
    v->off_synt = cc_ld64(p + H_OFF_SYNT);
    v->off_syng = cc_ld64(p + H_OFF_SYNG);
    v->off_synm = cc_ld64(p + H_OFF_SYNM);
    v->off_heap = cc_ld64(p + H_OFF_HEAP);
    v->heap_len = cc_ld64(p + H_HEAP_LEN);
    v->off_sents = cc_ld64(p + H_OFF_SENTS);
    v->sents_len = cc_ld64(p + H_SENTS_LEN);
    if (!cc_section_ok(v->off_terms, v->nterms, SZ_TERM, len)
        || !cc_section_ok(v->off_post, v->npost, SZ_POST, len)
        || !cc_section_ok(v->off_chunks, v->nchunks, SZ_CHUNK, len)
        || !cc_section_ok(v->off_norms, v->nchunks, SZ_NORM, len)
        || !cc_section_ok(v->off_synt, v->nsynt, SZ_SYNT, len)
        || !cc_section_ok(v->off_syng, v->nsyng, SZ_SYNG, len)
        || !cc_section_ok(v->off_synm, v->nsynm, SZ_SYNM, len)
        || !cc_section_ok(v->off_sents, v->sents_len, 1, len)
        || !cc_section_ok(v->off_heap, v->heap_len, 1, len)) {
        return -1;
    }
    return 0;
}

/* The string at [off, off + n) when it lies within len and is followed by
 * a NUL that is also within len; NULL otherwise. */
static const char *cc_view_str(const cc_ix_view_t *v, uint32_t off,
                               uint32_t n)
{
    if ((uint64_t)off + n >= v->len || v->img[(uint64_t)off + n] != '\0') {
        return NULL;
    }
    return (const char *)v->img + off;
}

int cc_index_check(const void *img, size_t len)
{
    const unsigned char *p = img;
    cc_ix_view_t v;
    uint64_t ends[9];
    uint64_t offs[9];
    uint32_t c;
    int i;

    if (cc_view(&v, img, len) != 0) {
        return -1;
    }
    if (cc_ld64(p + H_TOTAL) != (uint64_t)len || len > CC_IX_MAX_IMAGE
        || cc_ld32(p + H_FLAGS) != 0
        || cc_ld64(p + H_HDRSUM) != cc_fnv1a64(p, H_HDRSUM)) {
        return -1;
    }
    if (cc_ld64(p + H_CHECKSUM) != cc_fnv1a64(p + CC_IX_HDR, len - CC_IX_HDR)) {
        return -1;
    }
    /* Sections in order, not overlapping; the image ends with a NUL. */
    offs[0] = v.off_terms;
    ends[0] = v.off_terms + (uint64_t)v.nterms * SZ_TERM;
    offs[1] = v.off_post;
    ends[1] = v.off_post + (uint64_t)v.npost * SZ_POST;
    offs[2] = v.off_chunks;
    ends[2] = v.off_chunks + (uint64_t)v.nchunks * SZ_CHUNK;
    offs[3] = v.off_norms;
    ends[3] = v.off_norms + (uint64_t)v.nchunks * SZ_NORM;
    offs[4] = v.off_synt;
    ends[4] = v.off_synt + (uint64_t)v.nsynt * SZ_SYNT;
    offs[5] = v.off_syng;
    ends[5] = v.off_syng + (uint64_t)v.nsyng * SZ_SYNG;
    offs[6] = v.off_synm;
    ends[6] = v.off_synm + (uint64_t)v.nsynm * SZ_SYNM;
    offs[7] = v.off_sents;
    ends[7] = v.off_sents + v.sents_len;
    offs[8] = v.off_heap;
    ends[8] = v.off_heap + v.heap_len;
    for (i = 1; i < 9; i++) {
        if (offs[i] < ends[i - 1]) {
            return -1;
        }
    }
    if (ends[8] != len || p[len - 1] != '\0') {
        return -1;
    }
    if (v.nchunks > CC_IX_MAX_CHUNKS) {
        return -1;
    }
    /* Every chunk's sentence table: inside its section and well formed
     * for the chunk's text length. */
    for (c = 0; c < v.nchunks; c++) {
        const unsigned char *e = p + v.off_chunks + (uint64_t)c * SZ_CHUNK;
        uint32_t off = cc_ld32(e + 32), n = cc_ld32(e + 36);

        if (off < v.off_sents || off > ends[7] || n > ends[7] - off
            || cc_sent_check(p + off, n, cc_ld32(e + 20)) != 0) {
            return -1;
        }
    }
    return 0;
}

int cc_index_stats(const void *img, size_t len, cc_index_stats_t *st)
{
    cc_ix_view_t v;

    if (!st) {
        return -1;
    }
    memset(st, 0, sizeof(*st));
    if (cc_view(&v, img, len) != 0) {
        return -1;
    }
    st->nchunks = v.nchunks;
    st->nterms = v.nterms;
    st->nsynonym_groups = v.nsyng;
    st->avg_len = cc_ldd(v.img + H_AVG);
    st->checksum = cc_ld64(v.img + H_CHECKSUM);
    return 0;
}

/* ---- accessors --------------------------------------------------------- */

static const char *cc_chunk_field(const void *img, size_t len, uint32_t i,
                                  unsigned field, size_t *n)
{
    cc_ix_view_t v;
    const unsigned char *e;
    uint32_t off, l;
    const char *s;

    if (cc_view(&v, img, len) != 0 || i >= v.nchunks) {
        return NULL;
    }
    e = v.img + v.off_chunks + (uint64_t)i * SZ_CHUNK + field * 8u;
    off = cc_ld32(e);
    l = cc_ld32(e + 4);
    s = cc_view_str(&v, off, l);
    if (s && n) {
        *n = l;
    }
    /* The image's last byte is a NUL, so strlen() on any string in it
     * stops inside the image even if the image changes under it. */
    if (s && v.img[len - 1] != '\0') {
        return NULL;
    }
    return s;
}

const char *cc_index_chunk_id(const void *img, size_t len, uint32_t i)
{
    return cc_chunk_field(img, len, i, 0, NULL);
}

const char *cc_index_chunk_title(const void *img, size_t len, uint32_t i)
{
    return cc_chunk_field(img, len, i, 1, NULL);
}

const char *cc_index_chunk_text(const void *img, size_t len, uint32_t i,
                                size_t *tlen)
{
    size_t n = 0;
    const char *s = cc_chunk_field(img, len, i, 2, &n);

    if (tlen) {
        *tlen = s ? n : 0;
    }
    return s;
}

const void *cc_index_chunk_sentences(const void *img, size_t len, uint32_t i,
                                     size_t *blen)
{
    cc_ix_view_t v;
    const unsigned char *e;
    uint32_t off, n;

    if (blen) {
        *blen = 0;
    }
    if (cc_view(&v, img, len) != 0 || i >= v.nchunks) {
        return NULL;
    }
    e = v.img + v.off_chunks + (uint64_t)i * SZ_CHUNK;
    off = cc_ld32(e + 32);
    n = cc_ld32(e + 36);
    /* cc_view put the section inside len. */
    if (n == 0 || off < v.off_sents || off > v.off_sents + v.sents_len
        || n > v.off_sents + v.sents_len - off) {
        return NULL;
    }
    if (blen) {
        *blen = n;
    }
    return v.img + off;
}

/* ---- search ------------------------------------------------------------ */

typedef struct cc_qterm_t {
    const char *s;
    size_t      n;
} cc_qterm_t;

typedef struct cc_qcollect_t {
    apr_pool_t *pool;
    cc_qterm_t *terms;
    size_t      n, cap;
} cc_qcollect_t;

static int cc_query_term(void *baton, const char *term, size_t len,
                         uint32_t pos, size_t start, size_t end)
{
    cc_qcollect_t *q = baton;

    if (len == 0) {
        return 0;
    }
    if (q->n == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 32;
        cc_qterm_t *n = apr_palloc(q->pool, ncap * sizeof(*n));

        if (q->n > 0) {
            memcpy(n, q->terms, q->n * sizeof(*n));
        }
        q->terms = n;
        q->cap = ncap;
    }
    q->terms[q->n].s = apr_pstrmemdup(q->pool, term, len);
    q->terms[q->n].n = len;
    q->n++;
    return 0;
}

static int cc_cmp_qterm(const void *x, const void *y)
{
    const cc_qterm_t *a = x, *b = y;

    return cc_cmp_bytes(a->s, a->n, b->s, b->n);
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
    return cc_cmp_bytes(s, n, (const char *)v->img + off, sl);
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
    if (q->n == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 32;
        cc_qent_t *n = apr_palloc(q->pool, ncap * sizeof(*n));

        if (q->n > 0) {
            memcpy(n, q->e, q->n * sizeof(*n));
        }
        q->e = n;
        q->cap = ncap;
    }
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
    int expand;

    if (!hits || k <= 0 || !query || !scratch) {
        return 0;
    }
    if (k > CC_IX_MAX_K) {
        k = CC_IX_MAX_K;
    }
    if (cc_view(&v, img, len) != 0 || v.nchunks == 0 || v.nterms == 0) {
        return 0;
    }

    /* Query terms, sorted and deduplicated. */
    memset(&qc, 0, sizeof(qc));
    qc.pool = scratch;
    cc_tok_each(query, qlen, CC_IX_TOK_FLAGS, cc_query_term, &qc);
    if (qc.n == 0) {
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
            double tf = (double)cc_ld16(pp + 4) + v.tw * (double)cc_ld16(pp + 6);
            double norm;

            if (c >= v.nchunks || !(tf > 0.0)) {
                continue;
            }
            norm = cc_ldd(v.img + v.off_norms + (uint64_t)c * SZ_NORM);
            cc_acc_add(&acc, c, w * tf / (tf + norm));
        }
    }

    /* Top k. */
    top.n = 0;
    top.k = k;
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

double cc_index_coverage(const void *img, size_t len, const char *query,
                         size_t qlen, uint32_t chunk, apr_pool_t *scratch)
{
    cc_ix_view_t v;
    cc_qcollect_t qc;
    double n, total = 0.0, matched = 0.0, idf_unknown;
    size_t i;

    if (!query || !scratch || cc_view(&v, img, len) != 0
        || chunk >= v.nchunks) {
        return 0.0;
    }
    memset(&qc, 0, sizeof(qc));
    qc.pool = scratch;
    cc_tok_each(query, qlen, CC_IX_TOK_FLAGS, cc_query_term, &qc);
    if (qc.n == 0) {
        return 0.0;
    }
    qsort(qc.terms, qc.n, sizeof(*qc.terms), cc_cmp_qterm);
    n = (double)v.nchunks;
    idf_unknown = log(1.0 + (n + 0.5) / 0.5);
    for (i = 0; i < qc.n; i++) {
        uint32_t d;
        double idf;
        int has = 0;

        if (i > 0 && cc_cmp_qterm(&qc.terms[i], &qc.terms[i - 1]) == 0) {
            continue;
        }
        d = cc_dict_find(&v, qc.terms[i].s, qc.terms[i].n);
        if (d != CC_IX_NONE) {
            uint32_t df = cc_ld32(v.img + v.off_terms + (uint64_t)d * SZ_TERM
                               + 12);

            idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
            has = cc_chunk_has(&v, d, chunk);
        }
        else {
            idf = idf_unknown;     /* a word the clinic never uses */
        }
        if (!has && v.nsynt > 0) {
            cc_qents_t qe;
            size_t j;

            memset(&qe, 0, sizeof(qe));
            qe.pool = scratch;
            cc_expand(&v, &qe, qc.terms[i].s, qc.terms[i].n);
            for (j = 0; j < qe.n && !has; j++) {
                has = cc_chunk_has(&v, qe.e[j].term, chunk);
            }
        }
        total += idf;
        if (has) {
            matched += idf;
        }
    }
    return total > 0.0 ? matched / total : 0.0;
}
