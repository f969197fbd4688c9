/*
 * cc_index_read.c - attach-time validation of a retrieval image, its
 * statistics and chunk accessors (layout in cc_index_image.h).
 *
 * Nothing in the image is trusted: each value is read once into a local
 * and checked (sections against len, entries against their section, string
 * ranges against len) before it is used as an index or a length.  A
 * sentence table is bounded by its section here and checked field by field
 * by its reader (cc_answer_extract); cc_index_check validates every table
 * in full at attach.
 */
#include <stdint.h>
#include <string.h>
#include "cc_bytes.h"
#include "cc_index.h"
#include "cc_index_image.h"
#include "cc_sent.h"

/* ---- reading ----------------------------------------------------------- */

/* Is [off, off + n * sz) inside len (and 8-byte aligned)? */
static int cc_section_ok(uint64_t off, uint64_t n, uint64_t sz, size_t len)
{
    if ((off & 7u) != 0 || off < CC_IX_HDR || off > len) {
        return 0;
    }
    return n <= ((uint64_t)len - off) / sz;
}

int cc_ix_view(cc_ix_view_t *v, const void *img, size_t len)
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
    v->cw = cc_ldd(p + H_CW);
    v->pw = cc_ldd(p + H_PW);
    v->tcw = cc_ldd(p + H_TCW);
    v->trw = cc_ldd(p + H_TRW);
    v->cxw = cc_ldd(p + H_CXW);
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
    v->off_pairs = cc_ld64(p + H_OFF_PAIRS);
    v->npairs = cc_ld32(p + H_NPAIRS);
    if (!cc_section_ok(v->off_terms, v->nterms, SZ_TERM, len)
        || !cc_section_ok(v->off_post, v->npost, SZ_POST, len)
        || !cc_section_ok(v->off_chunks, v->nchunks, SZ_CHUNK, len)
        || !cc_section_ok(v->off_norms, v->nchunks, SZ_NORM, len)
        || !cc_section_ok(v->off_synt, v->nsynt, SZ_SYNT, len)
        || !cc_section_ok(v->off_syng, v->nsyng, SZ_SYNG, len)
        || !cc_section_ok(v->off_synm, v->nsynm, SZ_SYNM, len)
        || !cc_section_ok(v->off_pairs, v->npairs, SZ_PAIR, len)
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
    uint64_t ends[10];
    uint64_t offs[10];
    uint32_t c;
    int i;

    if (cc_ix_view(&v, img, len) != 0) {
        return -1;
    }
    if (cc_ld64(p + H_TOTAL) != (uint64_t)len || len > CC_IX_MAX_IMAGE
        || cc_ld32(p + H_FLAGS) != 0 || cc_ld32(p + H_NPAIRS + 4) != 0
        || cc_ld64(p + H_HDRSUM) != cc_fnv1a64(p, H_HDRSUM)) {
        return -1;
    }
    if (cc_ld64(p + H_CHECKSUM)
        != cc_fnv1a64(p + CC_IX_HDR, len - CC_IX_HDR)) {
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
    offs[7] = v.off_pairs;
    ends[7] = v.off_pairs + (uint64_t)v.npairs * SZ_PAIR;
    offs[8] = v.off_sents;
    ends[8] = v.off_sents + v.sents_len;
    offs[9] = v.off_heap;
    ends[9] = v.off_heap + v.heap_len;
    for (i = 1; i < 10; i++) {
        if (offs[i] < ends[i - 1]) {
            return -1;
        }
    }
    if (ends[9] != len || p[len - 1] != '\0') {
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

        if (off < v.off_sents || off > ends[8] || n > ends[8] - off
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
    if (cc_ix_view(&v, img, len) != 0) {
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

    if (cc_ix_view(&v, img, len) != 0 || i >= v.nchunks) {
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
    if (cc_ix_view(&v, img, len) != 0 || i >= v.nchunks) {
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
