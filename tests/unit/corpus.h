/* The test corpus shared by the index, sentence-table and answer unit
 * tests: a checked pool, a repeatable pseudo-random sequence, the clinic
 * knowledge corpus with its index, and three clinic answer sources. */
#ifndef CC_TEST_CORPUS_H
#define CC_TEST_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_index.h"

/* A new root pool (the test fails when it cannot be made). */
apr_pool_t *corpus_pool(void);

/* The whole file at path in p, NUL-terminated, its length in *len; NULL
 * when it cannot be opened. */
char *corpus_slurp(apr_pool_t *p, const char *path, size_t *len);

/* Every section of the sample knowledge (the .md files of knowledge/, found from
 * the working directory and up to two folders above it), chunked as the
 * module does (1200 characters): cc_chunk_t, files in name order.  *root
 * (may be NULL) is the folder holding knowledge/, for its sibling files.
 * The test fails when the folder is missing or a file cannot be read. */
apr_array_header_t *corpus_knowledge(apr_pool_t *p, const char **root);

/* The next value of the linear congruential sequence in *s (24 bits). */
uint32_t corpus_lcg(uint32_t *s);

typedef struct corpus_doc_t {
    const char *id;
    const char *title;
    const char *text;
} corpus_doc_t;

/* Fifteen sections of a clinic's knowledge base, one chunk each. */
extern const corpus_doc_t corpus_clinic[];
extern const size_t corpus_nclinic;

/* A synonym list for the clinic corpus. */
#define CORPUS_SYNONYMS "acne = zits, spots, pimples\n"

/* Build an index of docs; returns the image (in p), checked: 8-byte
 * aligned, a multiple of 8 bytes long, accepted by cc_index_check. */
void *corpus_index(apr_pool_t *p, const corpus_doc_t *docs, size_t n,
                   const cc_index_params_t *params, const char *synonyms,
                   size_t *len);

/* corpus_index of the clinic corpus. */
void *corpus_clinic_index(apr_pool_t *p, const cc_index_params_t *params,
                          const char *synonyms, size_t *len);

/* BM25 by hand, for comparison with the index: the idf of a term in df of
 * n chunks, and the saturated weight of term frequency tf in a chunk of
 * length dl (average avg). */
double corpus_idf(double n, double df);
double corpus_sat(const cc_index_params_t *pr, double tf, double dl,
                  double avg);

/* Three answer sources: opening hours (a list), car parking (prose with a
 * price, "e.g."), peel aftercare (a list); scores 3, 2, 1. */
void corpus_sources(cc_source_t *src);

#endif
