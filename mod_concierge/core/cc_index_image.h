/*
 * cc_index_image.h - the layout of the retrieval image, shared by its
 * builder (cc_index_build.c) and its readers (cc_index_read.c,
 * cc_index_search.c).  Private to those files; the public API is
 * cc_index.h.
 *
 * Image layout (every field at a fixed byte offset, read and written with
 * memcpy so the image may sit at any address; all sections start on an
 * 8-byte boundary; every in-section reference is a uint32 byte offset from
 * the image start, which the 1 GiB size limit keeps in range):
 *
 *   header (CC_IX_HDR bytes, offsets below; besides the checksum of the
 *           bytes after the header, it carries an FNV-1a 64 of its own
 *           fields so that check also catches a damaged parameter;
 *           version 4 added title_cover_weight, H_TCW, version 5
 *           title_rank_weight, H_TRW, version 6 context_weight, H_CXW)
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
 *   pairs        npairs x 8     hash u32, chunk u32; sorted by (hash,
 *                               chunk), unique: every two terms adjacent
 *                               in a chunk's title or text (stop words
 *                               dropped), as cc_ix_pair_hash (version 3)
 *   sentences    per chunk, on an 8-byte boundary, the sentence table of
 *                its text (cc_sent_analyse: sentence ranges, heading and
 *                has-a-term flags, hashes of each sentence's terms), so a
 *                chat answer need not split, clean and tokenise the chunk
 */
#ifndef CC_INDEX_IMAGE_H
#define CC_INDEX_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cc_tok.h"

#define CC_IX_MAX_CHUNKS   1000000u
#define CC_IX_MAX_IMAGE    ((uint64_t)1 << 30)
#define CC_IX_MAX_K        64
#define CC_IX_RERANK       16      /* BM25 candidates the re-rank sees */
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
#define H_CW           184     /* coverage_weight (version 3) */
#define H_PW           192     /* pair_weight (version 3) */
#define H_OFF_PAIRS    200     /* (version 3) */
#define H_NPAIRS       208     /* u32, then 4 bytes of zero */
#define H_TCW          216     /* title_cover_weight (version 4) */
#define H_TRW          224     /* title_rank_weight (version 5) */
#define H_CXW          232     /* context_weight (version 6) */
#define H_HDRSUM       240     /* FNV-1a 64 of header bytes [0, 240) */
#define CC_IX_HDR      248

#define SZ_TERM        16
#define SZ_POST        8
#define SZ_CHUNK       40
#define SZ_NORM        8
#define SZ_SYNT        12
#define SZ_SYNG        8
#define SZ_SYNM        4
#define SZ_PAIR        8

/* The header, read once and checked for what search and the accessors
 * rely on: every section within len. */
typedef struct cc_ix_view_t {
    const unsigned char *img;
    size_t   len;
    double   k1, tw, sw, cw, pw, tcw, trw, cxw;
    uint32_t nchunks, nterms, npost, nsynt, nsyng, nsynm, npairs;
    uint64_t off_terms, off_post, off_chunks, off_norms;
    uint64_t off_synt, off_syng, off_synm, off_pairs, off_sents, sents_len;
    uint64_t off_heap, heap_len;
} cc_ix_view_t;

/* Fill v from the header of img[0..len): magic, version and header size
 * match, every section lies within len.  0 when usable, -1 otherwise.
 * Neither the checksums nor the entries are checked (cc_index_check). */
int cc_ix_view(cc_ix_view_t *v, const void *img, size_t len);

/* Hash of the adjacent term pair (a, b): FNV-1a 32 over a, a 0x1f
 * separator, b.  Builder and search must agree on it. */
static inline uint32_t cc_ix_pair_hash(const char *a, size_t an,
                                       const char *b, size_t bn)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < an; i++) {
        h = (h ^ (unsigned char)a[i]) * 16777619u;
    }
    h = (h ^ 0x1fu) * 16777619u;
    for (i = 0; i < bn; i++) {
        h = (h ^ (unsigned char)b[i]) * 16777619u;
    }
    return h;
}

/* Byte order of terms: memcmp over the common length, then the shorter
 * first. */
static inline int cc_ix_cmp_bytes(const char *a, size_t an, const char *b,
                                  size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);

    if (r != 0) {
        return r;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}

#endif
