/*
 * cc_index.h - the retrieval index: built into one pointer-free image in
 * plain memory, searched in place (the same bytes live in shared memory in
 * the module, in a malloc'd buffer in tests, fuzzing and `make eval`).
 *
 * Ranking: BM25 (k1, b) over the chunk body plus the title as a separate
 * field with its own weight (BM25F-style: title term frequencies are
 * multiplied by title_weight before saturation), with query expansion
 * through an admin-editable synonym list (a query term that appears in a
 * synonym group also searches the group's other terms at a reduced weight).
 *
 * Image layout (all integers little-endian as the host writes them; every
 * reference is a byte offset from the image start; every read in search is
 * bounds-checked against len, so a damaged image can give a wrong result
 * but never a crash):
 *
 *   +-----------------------+ 0
 *   | header                | magic "CCIX", version, total length,
 *   |                       | checksum (FNV-1a 64 of bytes after header),
 *   |                       | params, counts, section offsets
 *   +-----------------------+
 *   | term dictionary       | sorted terms -> postings offset, df
 *   | postings              | (chunk, tf_body, tf_title) triples
 *   | chunk table           | id, title, text, sentence table
 *   |                       | offsets/lengths, lengths
 *   | synonym table         | term -> group; group -> terms
 *   | sentence tables       | per chunk: cc_sent_analyse of its text
 *   | string heap           | ids, titles, texts, terms (NUL-terminated)
 *   +-----------------------+ len
 */
#ifndef CC_INDEX_H
#define CC_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_INDEX_MAGIC   0x58494343u   /* "CCIX" */
#define CC_INDEX_VERSION 3u

typedef struct cc_index_params_t {
    double k1;            /* default 1.2 */
    double b;             /* default 0.75 */
    double title_weight;  /* default 2.0; 0 disables the title field */
    double synonym_weight;/* weight of expanded terms, default 0.6;
                             0 disables expansion */
    double coverage_weight;/* exponent of the coverage factor that
                             re-ranks the best BM25 candidates, default
                             0.5; 0 ranks by BM25 alone */
    double pair_weight;   /* bonus of a candidate holding all of the
                             question's adjacent term pairs, default 0.5
                             (score * (1 + pair_weight * share)); 0
                             disables it */
} cc_index_params_t;

void cc_index_params_default(cc_index_params_t *params);

typedef struct cc_index_builder_t cc_index_builder_t;

cc_index_builder_t *cc_index_builder_create(apr_pool_t *p,
                                            const cc_index_params_t *params);
/* Add one chunk.  id is the caller's stable identifier (e.g.
 * "doc-slug#3"), returned by search.  Strings are copied. */
void cc_index_builder_add(cc_index_builder_t *b, const char *id,
                          const char *title, const char *text, size_t len);
/* Synonym groups, one per line: "acne = zits, spots, pimples, breakouts".
 * Every term on a line (left and right of '=') is in the group; phrases
 * are tokenised and each of their terms joins the group.  '#' starts a
 * comment.  Malformed lines are skipped and counted in the return value. */
int cc_index_builder_synonyms(cc_index_builder_t *b, const char *text,
                              size_t len);

/* Build the image into memory allocated from p (8-byte aligned).  Returns
 * APR_SUCCESS, or an error with prob set (e.g. too many chunks). */
apr_status_t cc_index_build(void **img, size_t *len, cc_index_builder_t *b,
                            apr_pool_t *p, cc_problem_t *prob);

/* Validate an image: magic, version, length fields, checksum, that every
 * section lies within len, and every chunk's sentence table (in its section,
 * cc_sent_check for the chunk's text length).  0 when usable. */
int cc_index_check(const void *img, size_t len);

typedef struct cc_index_stats_t {
    uint32_t nchunks, nterms, nsynonym_groups;
    double   avg_len;
    uint64_t checksum;
} cc_index_stats_t;
int cc_index_stats(const void *img, size_t len, cc_index_stats_t *st);

typedef struct cc_hit_t {
    uint32_t chunk;   /* index into the chunk table */
    double   score;
} cc_hit_t;

/* Top-k chunks for query (k <= 64), best first; returns how many were
 * found (score > 0).  scratch is for temporary allocation (cleared by the
 * caller); no allocation survives the call. */
int cc_index_search(const void *img, size_t len, const char *query,
                    size_t qlen, cc_hit_t *hits, int k, apr_pool_t *scratch);

/* How much of the query chunk i answers: the idf-weighted share of the
 * query's distinct terms (stemmed, stop words dropped) that occur in the
 * chunk, directly or through a synonym.  Terms the knowledge never uses
 * weigh the most, so "who won the football last night" scores low on an
 * aftercare section that only shares "last night".  0..1. */
double cc_index_coverage(const void *img, size_t len, const char *query,
                         size_t qlen, uint32_t chunk, apr_pool_t *scratch);

/* Accessors of chunk i; NULL when out of range or damaged. */
const char *cc_index_chunk_id(const void *img, size_t len, uint32_t i);
const char *cc_index_chunk_title(const void *img, size_t len, uint32_t i);
const char *cc_index_chunk_text(const void *img, size_t len, uint32_t i,
                                size_t *tlen);
/* The sentence table of chunk i's text (cc_sent_analyse; for
 * cc_source_t.sents) and its length in *blen; NULL (and *blen 0) when out
 * of range or when it does not lie within the image's sentence section.
 * Only its bounds are checked here: cc_answer_extract checks the content
 * (cc_index_check has validated all of it at attach). */
const void *cc_index_chunk_sentences(const void *img, size_t len, uint32_t i,
                                     size_t *blen);

#endif
